/**
 * Starts the fake Forgejo (tests/fake-forgejo/server.mjs) for tests: as a child process on 127.0.0.1 with a
 * random port ({@link startFakeForgejo}), or in a container of the workspace image ({@link startFakeForgejoContainer})
 * so workspace containers on the same Docker network reach it by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { tarOf } from './fake-llm-api.js';
import { execInContainer, pollUntil, testDocker, testWorkspaceImage } from './server.js';

/** Folder of the fake's sources. */
export const fakeForgejoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fake-forgejo');

/** Site admin the fake creates at start (like Forgejo's first user). */
export const FAKE_FORGEJO_ADMIN = { username: 'forgejo-admin', password: 'fake-admin-password-1' } as const;

/** A running fake on the host. `baseUrl` ends with `/`; `stop()` kills it and removes its repositories. */
export interface FakeForgejo {
  baseUrl: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 (random port). @throws when it does not print its port within 15 s. */
export async function startFakeForgejo(): Promise<FakeForgejo> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fake-forgejo-'));
  const child = spawn(
    process.execPath,
    [path.join(fakeForgejoDir, 'server.mjs'), '--data', dataDir, '--host', '127.0.0.1', '--port', '0',
      '--admin-user', FAKE_FORGEJO_ADMIN.username, '--admin-password', FAKE_FORGEJO_ADMIN.password],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fake-forgejo did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake-forgejo exited (${code}): ${out}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    port,
    dataDir,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates and starts container `name` (workspace image, node + git) running the fake on port 3000 of
 * `network` under `aliases`, with ROOT_URL `rootUrl` (default `http://<first alias or name>:3000/`), and
 * waits until it answers. Equivalent command line:
 *   docker run -d --network <net> --entrypoint node -v <repo>/tests/fake-forgejo:/fake:ro xares/workspace:5 \
 *     /fake/server.mjs --data /tmp/fake-forgejo --port 3000 --root-url http://git:3000/
 */
export async function startFakeForgejoContainer(options: {
  name: string;
  network: string;
  aliases?: string[];
  labels: Record<string, string>;
  rootUrl?: string;
  /** Also publish port 3000 on 127.0.0.1 (random host port) for the host's client. */
  publish?: boolean;
  docker?: Docker;
}): Promise<{ container: Docker.Container; hostBaseUrl?: string }> {
  const docker = options.docker ?? testDocker();
  const rootUrl = options.rootUrl ?? `http://${options.aliases?.[0] ?? options.name}:3000/`;
  const container = await docker.createContainer({
    name: options.name,
    Image: testWorkspaceImage(),
    Entrypoint: ['node', '/fake/server.mjs', '--data', '/tmp/fake-forgejo', '--port', '3000', '--root-url', rootUrl,
      '--admin-user', FAKE_FORGEJO_ADMIN.username, '--admin-password', FAKE_FORGEJO_ADMIN.password],
    Cmd: [],
    Labels: options.labels,
    ExposedPorts: { '3000/tcp': {} },
    HostConfig: {
      NetworkMode: options.network,
      CapDrop: ['NET_RAW'],
      ...(options.publish ? { PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [options.network]: { Aliases: options.aliases ?? [] } } },
  });
  await container.putArchive(await tarOf({ 'fake/server.mjs': readFileSync(path.join(fakeForgejoDir, 'server.mjs')) }), { path: '/' });
  await container.start();
  await pollUntil(
    async () => {
      const probe = await execInContainer(options.name, ['curl', '-s', 'http://127.0.0.1:3000/api/v1/version'], {}, docker);
      return probe.stdout.includes('"version"') ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 300, description: 'fake-forgejo container answers' },
  );
  let hostBaseUrl: string | undefined;
  if (options.publish) {
    const info = await container.inspect();
    const port = info.NetworkSettings.Ports['3000/tcp']?.[0]?.HostPort;
    hostBaseUrl = port ? `http://127.0.0.1:${port}/` : undefined;
  }
  return { container, hostBaseUrl };
}

/** Files of the fake Forgejo image's build context (tests/fake-forgejo). */
const FAKE_IMAGE_FILES = ['Dockerfile', 'server.mjs', 'fake-forgejo-cli.mjs', 'fake-forgejo-entrypoint.sh'] as const;

let fakeImageBuild: Promise<string> | null = null;

/**
 * Builds (once per content) the fake Forgejo IMAGE (tests/fake-forgejo/Dockerfile on the workspace image): it
 * stands in for the official Forgejo image as the managed Git server uses it (port 3000, /data volume,
 * FORGEJO__* settings, `forgejo admin user create|generate-access-token` via `docker exec -u git`).
 * @returns its tag `xares/fake-forgejo:<12 hex of the context and base image>` (an existing tag is reused).
 * @throws the build's error (with its last output lines).
 */
export function ensureFakeForgejoImage(docker: Docker = testDocker()): Promise<string> {
  fakeImageBuild ??= (async () => {
    const base = testWorkspaceImage();
    const files = Object.fromEntries(FAKE_IMAGE_FILES.map((name) => [name, readFileSync(path.join(fakeForgejoDir, name))]));
    const hash = createHash('sha256').update(base);
    for (const name of FAKE_IMAGE_FILES) hash.update(name).update(files[name]!);
    const tag = `xares/fake-forgejo:${hash.digest('hex').slice(0, 12)}`;
    const exists = await docker.getImage(tag).inspect().then(() => true, () => false);
    if (exists) return tag;
    const stream = await docker.buildImage(Readable.from(await tarOf(files)) as unknown as NodeJS.ReadableStream, {
      t: tag,
      buildargs: { BASE: base },
      labels: { 'xares.test': 'fake-forgejo' },
      rm: true,
      forcerm: true,
    });
    const output: string[] = [];
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null, results: Array<{ error?: string }>) => {
          const failed = error?.message ?? results?.find((r) => r.error)?.error;
          if (failed) reject(new Error(`fake Forgejo image build failed: ${failed}\n${output.slice(-20).join('')}`));
          else resolve();
        },
        (event: { stream?: string }) => {
          if (event.stream) output.push(event.stream);
        },
      );
    });
    return tag;
  })().catch((error: unknown) => {
    fakeImageBuild = null;
    throw error;
  });
  return fakeImageBuild;
}
