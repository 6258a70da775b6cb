/**
 * Test harness for the real backend: starts `startServer` on a fresh temporary data directory, port 0 and a
 * unique `instanceId` (so its containers are told apart from anyone else's on the shared engine), gives a
 * small typed API caller, and removes the containers of that instance and the data directory afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { startServer, type StartServerOptions, type XaresAppServer } from '../../server/app.js';
import { DEFAULT_RESOURCES_DIR, type ServerConfigInput } from '../../server/config.js';
import type { ProjectStatus, ProjectSummary } from '../../server/contract/index.js';
import { LABEL_INSTANCE } from '../../server/runtime/workspace-runtime.js';
import { resolveWorkspaceImageTag } from '../../server/services/image-service.js';

/**
 * Tag of the real workspace image the tests run: `XARES_TEST_IMAGE`, else `XARES_WORKSPACE_IMAGE` (as the
 * global setup reads it), else the project's own tag from resources/images/workspace/image.json — the one
 * tests/helpers/global-setup.ts makes sure exists.
 */
export function testWorkspaceImage(): string {
  return process.env['XARES_TEST_IMAGE'] || process.env['XARES_WORKSPACE_IMAGE'] || resolveWorkspaceImageTag(undefined, DEFAULT_RESOURCES_DIR);
}

/** A new instance id for one test server: `test-<12 hex>`. */
export function newInstanceId(): string {
  return `test-${randomBytes(6).toString('hex')}`;
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 100, description = 'condition' }: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Options of one API call. `token: null` sends no Authorization header; `rawBody` is sent as is. */
export interface ApiCallOptions {
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

/** What `api()` resolves to: status, parsed JSON body (or text when not JSON) and headers. */
export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestServer {
  readonly server: XaresAppServer;
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  readonly instanceId: string;
  readonly config: ServerConfigInput;
  /** Calls the API with the admin token (unless overridden); `body` is sent as JSON. */
  api<T = any>(method: string, apiPath: string, body?: unknown, options?: ApiCallOptions): Promise<ApiResult<T>>;
  /** Polls `GET /api/projects/` until the project has `status` (throws on timeout, default 120 s). */
  waitForStatus(projectId: string, status: ProjectStatus, timeoutMs?: number): Promise<ProjectSummary>;
  /** Closes this server and starts a new one on the same data directory and instance id. */
  restart(overrides?: Partial<ServerConfigInput>): Promise<TestServer>;
  /** Closes the server only (containers and data stay). Idempotent. */
  close(): Promise<void>;
  /** Closes the server, removes every container of this instance and the data directory. */
  dispose(): Promise<void>;
}

/** Docker client for test assertions and clean-up (same engine as the server's default). */
export function testDocker(): Docker {
  return new Docker();
}

/** What a command run with {@link execInContainer} printed, and its exit code (-1 when the engine gave none). */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` in container `container` (name or id), as `options.user` (default: the image's user) in
 * `options.workingDir` (default: the image's); resolves when the command ends, with its exit code and its
 * demultiplexed stdout and stderr.
 */
export async function execInContainer(container: string, cmd: string[], options: { user?: string; workingDir?: string } = {}, docker: Docker = testDocker()): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    ...(options.user ? { User: options.user } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** {@link execInContainer} in workspace `projectId`'s container, as the workspace user `coder` by default. */
export function execInWorkspace(projectId: string, cmd: string[], options: { user?: string; workingDir?: string } = {}): Promise<ExecResult> {
  return execInContainer(`workspace-${projectId}`, cmd, { user: 'coder', ...options });
}

/** Force-removes every container and image (clone snapshots) labelled `xares.instance=<instanceId>`; returns the number of containers. */
export async function removeInstanceContainers(instanceId: string, docker: Docker = testDocker()): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  // Clone snapshots of the instance outlive their tag while clones use them; with the clones gone they can go.
  const images = await docker.listImages({ filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } }).catch(() => []);
  await Promise.all(images.map((image) => docker.getImage(image.Id).remove({ force: true }).catch(() => undefined)));
  return containers.length;
}

/**
 * Starts a server for a test. Defaults: port 0, fresh temp data dir, unique instance id, the real workspace
 * image (`testWorkspaceImage()`), no image build, log level `warn` (`XARES_TEST_LOG_LEVEL` overrides).
 * `startOptions` go to `startServer` (e.g. a fake runtime); `restart` keeps them.
 */
export async function startTestServer(overrides: Partial<ServerConfigInput> = {}, startOptions: StartServerOptions = {}): Promise<TestServer> {
  const config: ServerConfigInput = {
    port: 0,
    host: '127.0.0.1',
    dataDir: overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'xares-test-data-')),
    instanceId: overrides.instanceId ?? newInstanceId(),
    workspaceImage: testWorkspaceImage(),
    buildImageIfMissing: false,
    logLevel: (process.env['XARES_TEST_LOG_LEVEL'] as ServerConfigInput['logLevel']) ?? 'warn',
    ...overrides,
  };
  const server = await startServer(config, startOptions);
  let closed = false;
  const harness: TestServer = {
    server,
    url: server.url,
    port: server.port,
    token: server.adminToken,
    dataDir: config.dataDir as string,
    instanceId: config.instanceId as string,
    config,
    async api<T = any>(method: string, apiPath: string, body?: unknown, options: ApiCallOptions = {}): Promise<ApiResult<T>> {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? server.adminToken : options.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let payload: string | undefined = options.rawBody;
      if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      const response = await fetch(`${server.url}${apiPath}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      return { status: response.status, body: parsed as T, headers: response.headers };
    },
    async waitForStatus(projectId, status, timeoutMs = 120_000) {
      return pollUntil(
        async () => {
          const list = await harness.api<{ projects: ProjectSummary[] }>('GET', '/api/projects/');
          const project = list.body.projects.find((p) => p.id === projectId);
          return project?.status === status ? project : undefined;
        },
        { timeoutMs, intervalMs: 150, description: `project ${projectId} to be ${status}` },
      );
    },
    async restart(next = {}) {
      await harness.close();
      return startTestServer({ ...config, ...next, dataDir: config.dataDir as string, instanceId: config.instanceId as string }, startOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
    },
    async dispose() {
      await harness.close();
      await removeInstanceContainers(config.instanceId as string).catch(() => undefined);
      // Proxy networks, the proxies' data volume and this instance's firewall chains (issue #5), once the
      // containers on them are gone.
      await server.network?.removeAll().catch(() => undefined);
      rmSync(config.dataDir as string, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * Opens a WebSocket to code-server through our server (Host `<projectId>.localhost:<port>`, Origin the same)
 * and performs the first step of VS Code's remote protocol: a control message (13-byte header: type 2, id,
 * ack, payload length) carrying an auth handshake, to which code-server answers with its own control message.
 * @returns the payload text of code-server's reply (contains `"type":"sign"` or `"type":"error"`).
 * @throws when the upgrade is refused, the socket closes first, or nothing arrives within `timeoutMs`.
 */
export async function exchangeWithCodeServer(
  port: number,
  projectId: string,
  timeoutMs = 15_000,
  via: { host?: string; pathPrefix?: string; cookie?: string } = {},
): Promise<string> {
  const { WebSocket } = await import('ws');
  // `via`: another Host (e.g. a participant host), a path prefix (a path seat `/w/<id>`) and a Cookie header.
  const host = via.host ?? `${projectId}.localhost:${port}`;
  const path = `${via.pathPrefix ?? ''}/?reconnectionToken=${randomBytes(8).toString('hex')}&reconnection=false&skipWebSocketFrames=false`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host, ...(via.cookie === undefined ? {} : { cookie: via.cookie }) }, origin: `http://${host}` });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no WebSocket reply in time')), timeoutMs);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused with HTTP ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('WebSocket closed without a reply')));
      ws.once('message', (data: Buffer) => {
        clearTimeout(timer);
        if (data.readUInt8(0) !== 2) reject(new Error(`unexpected frame type ${data.readUInt8(0)}`));
        else resolve(data.subarray(13).toString('utf8'));
      });
      ws.once('open', () => {
        const payload = Buffer.from(JSON.stringify({ type: 'auth', auth: '00000000000000000000', data: randomBytes(8).toString('hex') }));
        const header = Buffer.alloc(13);
        header.writeUInt8(2, 0);
        header.writeUInt32BE(payload.length, 9);
        ws.send(Buffer.concat([header, payload]));
      });
    });
  } finally {
    ws.terminate();
  }
}
