/**
 * The real workspace image on the real engine: code-server answers on a loopback port, the runtime user and
 * folders are right, and every tool and AI CLI a workshop expects runs. Containers made here carry
 * `xares.instance=<random id>` and are removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import {
  CONTEXT_HASH_LABEL,
  ImageBuildError,
  LOCAL_BASE_IMAGE,
  MANAGED_LABEL,
  OFFICIAL_BASE_IMAGE,
  buildWorkspaceImage,
  chooseBaseImage,
  ensureWorkspaceImage,
  imageExists,
  readWorkspaceImageSpec,
  type ImageProgress,
} from '../../server/images/image-builder.js';
import { computeContextHash } from '../../server/images/image-context.js';
import { CODE_SERVER_PORT } from '../../server/runtime/workspace-runtime.js';

/** Docker's key of code-server's container port (issue #3 moved it off 8080). */
const CODE_SERVER_PORT_KEY = `${CODE_SERVER_PORT}/tcp`;

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
const tag = process.env.XARES_WORKSPACE_IMAGE || readWorkspaceImageSpec(resourcesDir).tag;
const instanceId = `test-image-${randomBytes(6).toString('hex')}`;
const docker = new Docker();

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs` with the last error. */
async function pollUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${String(lastError ?? 'no answer')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a container of the image with code-server published on 127.0.0.1:<free port>. */
/**
 * True when code-server's /healthz answers 200. Each probe has its own deadline: while code-server starts,
 * docker-proxy accepts connections it cannot forward yet, and a request without one can hang.
 */
async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  return response.status === 200;
}

async function startWorkspace(options: { env?: string[]; cmd?: string[] } = {}): Promise<{ container: Docker.Container; port: number }> {
  const container = await docker.createContainer({
    Image: tag,
    Labels: { 'xares.instance': instanceId },
    ...(options.env ? { Env: options.env } : {}),
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    ExposedPorts: { [CODE_SERVER_PORT_KEY]: {} },
    HostConfig: { PortBindings: { [CODE_SERVER_PORT_KEY]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports[CODE_SERVER_PORT_KEY]?.[0];
  if (!binding) throw new Error('code-server port was not published');
  return { container, port: Number(binding.HostPort) };
}

/** Runs a command in the container (as its default user); resolves exit code and combined output. */
async function run(container: Docker.Container, command: string): Promise<{ code: number; output: string }> {
  const exec = await container.exec({ Cmd: ['bash', '-lc', command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const collected: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => collected.push(chunk));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output: Buffer.concat(collected).toString('utf8').trim() };
}

async function expectCommand(container: Docker.Container, command: string, pattern: RegExp): Promise<string> {
  const { code, output } = await run(container, command);
  expect(code, `\`${command}\` exited ${code}: ${output}`).toBe(0);
  expect(output).toMatch(pattern);
  return output;
}

describe(`workspace image ${tag}`, () => {
  let container: Docker.Container;
  let port: number;
  let secondsToHealthy: number;

  beforeAll(async () => {
    const started = Date.now();
    ({ container, port } = await startWorkspace());
    await pollUntil(() => healthy(port), 60_000, 'code-server /healthz');
    secondsToHealthy = (Date.now() - started) / 1000;
    console.log(`[image.test] ${tag}: container start to /healthz 200 in ${secondsToHealthy.toFixed(2)} s`);
  });

  afterAll(async () => {
    const ours = await docker.listContainers({ all: true, filters: { label: [`xares.instance=${instanceId}`] } });
    await Promise.all(ours.map((info) => docker.getContainer(info.Id).remove({ force: true, v: true })));
  });

  it('is labelled as ours and runs code-server as coder in /workspace on CODE_SERVER_PORT', async () => {
    const image = await docker.getImage(tag).inspect();
    expect(image.Config.Labels?.[MANAGED_LABEL]).toBe('true');
    expect(image.Config.User).toBe('1000:1000');
    expect(image.Config.WorkingDir).toBe('/workspace');
    expect(Object.keys(image.Config.ExposedPorts ?? {})).toContain(CODE_SERVER_PORT_KEY);
    expect(image.Config.Cmd?.[0]).toBe('/usr/local/bin/code-server');
    expect(image.Config.Cmd).toContain(`0.0.0.0:${CODE_SERVER_PORT}`);
    expect(image.Config.Env).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(PASSWORD|HASHED_PASSWORD)=/)]));
    expect(secondsToHealthy).toBeLessThan(30);
  });

  it('serves the VS Code workbench on /', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(response.url).toContain('folder=/workspace');
    const html = await response.text();
    expect(html).toContain('workbench/workbench.js');
    expect(html).toContain('codeServerVersion');
  });

  it('runs as the unprivileged user coder (uid 1000) owning /workspace', async () => {
    await expectCommand(container, 'id -u; id -un; id -g', /^1000\ncoder\n1000$/);
    await expectCommand(container, 'stat -c "%u %U %a" /workspace', /^1000 coder 7\d\d$/);
    await expectCommand(container, 'pwd; echo $HOME; touch /workspace/probe && echo writable', /^\/workspace\n\/home\/coder\nwritable$/);
    const { code } = await run(container, 'touch /usr/local/bin/probe');
    expect(code, 'coder must not write system folders').not.toBe(0);
  });

  it('has git, python3 with venv and pip, Node 20 with npm, ripgrep and tmux', async () => {
    await expectCommand(container, 'git --version', /^git version 2\./);
    await expectCommand(container, 'python3 -m venv /tmp/v && /tmp/v/bin/python -c "import sys; print(sys.prefix)"', /^\/tmp\/v$/);
    await expectCommand(container, 'python3 -m pip --version', /^pip \d+/);
    await expectCommand(container, 'node -v', /^v20\.\d+\.\d+$/);
    await expectCommand(container, 'npm -v', /^10\.8\.\d+$/);
    await expectCommand(container, 'rg --version', /^ripgrep \d+/);
    await expectCommand(container, 'tmux -V', /^tmux \d/);
    await expectCommand(container, 'code-server --version', /^4\.100\.3 /);
    await expectCommand(container, 'git config --system init.defaultBranch', /^main$/);
    // Flask from Debian (python-flask template offline), also seen by a venv with system site packages.
    await expectCommand(container, 'python3 -c "import flask; print(flask.__name__)"', /^flask$/);
    await expectCommand(container, 'python3 -m venv --system-site-packages /tmp/vs && /tmp/vs/bin/python -c "import flask; print(1)"', /^1$/);
    // Java 17 and Maven for the java-spring template.
    await expectCommand(container, 'java -version 2>&1 | head -n 1', /version "17\./);
    await expectCommand(container, 'mvn -v 2>&1 | head -n 1', /Apache Maven 3\./);
  });

  it('turns off the workspace trust prompt and telemetry in the default user settings', async () => {
    const output = await expectCommand(container, 'cat ~/.local/share/code-server/User/settings.json', /trust/);
    expect(JSON.parse(output)).toEqual({ 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off' });
  });

  it('has the AI coding CLIs: Claude Code, Codex and OpenCode', async () => {
    await expectCommand(container, 'claude --version', /\d+\.\d+\.\d+ \(Claude Code\)/);
    await expectCommand(container, 'codex --version', /^codex-cli \d+\.\d+\.\d+/);
    await expectCommand(container, 'opencode --version', /^\d+\.\d+\.\d+$/);
  });

  it('answers /healthz without auth and asks for a login when started with a password', async () => {
    const secured = await startWorkspace({
      env: ['PASSWORD=correct-horse-battery'],
      cmd: ['/usr/local/bin/code-server', '--bind-addr', `0.0.0.0:${CODE_SERVER_PORT}`, '--auth', 'password', '--disable-telemetry', '--disable-update-check', '/workspace'],
    });
    await pollUntil(() => healthy(secured.port), 60_000, 'secured /healthz');
    const response = await fetch(`http://127.0.0.1:${secured.port}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/login/);
    await secured.container.remove({ force: true, v: true });
  });
});

describe('image builder on the real engine', () => {
  const testTag = `xares-test/image-builder:${randomBytes(6).toString('hex')}`;
  const dirs: string[] = [];

  /** A resources/ folder whose workspace context is `dockerfile` plus extra-ca/.keep. */
  function makeResources(dockerfile: string): string {
    const resources = mkdtempSync(path.join(tmpdir(), 'xares-build-'));
    dirs.push(resources);
    mkdirSync(path.join(resources, 'images', 'workspace', 'extra-ca'), { recursive: true });
    writeFileSync(path.join(resources, 'images', 'workspace', 'Dockerfile'), dockerfile);
    writeFileSync(path.join(resources, 'images', 'workspace', 'extra-ca', '.keep'), '');
    return resources;
  }

  afterAll(async () => {
    if (await imageExists(docker, testTag)) await docker.getImage(testTag).remove({ force: true });
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('chooses the local debootstrap base when the engine has it', async () => {
    const expected = (await imageExists(docker, LOCAL_BASE_IMAGE)) ? LOCAL_BASE_IMAGE : OFFICIAL_BASE_IMAGE;
    expect(await chooseBaseImage(docker)).toBe(expected);
  });

  it('builds with progress, labels the image and sends the host CA certificates under extra-ca/', async () => {
    const resources = makeResources('ARG BASE_IMAGE\nFROM scratch\nCOPY extra-ca/ /ca/\nLABEL purpose=test\n');
    const caDir = mkdtempSync(path.join(tmpdir(), 'xares-ca-'));
    dirs.push(caDir);
    mkdirSync(path.join(caDir, 'corp'));
    writeFileSync(path.join(caDir, 'proxy.crt'), 'PROXY CERT');
    writeFileSync(path.join(caDir, 'corp', 'root.crt'), 'ROOT CERT');
    writeFileSync(path.join(caDir, 'corp', 'private.pem'), 'NOT SENT');
    const updates: ImageProgress[] = [];
    const first = await ensureWorkspaceImage(docker, {
      resourcesDir: resources,
      tag: testTag,
      baseImage: 'scratch',
      extraCaDir: caDir,
      onProgress: (update) => updates.push(update),
    });
    expect(first).toEqual({ built: true });
    expect(updates.at(-1)).toEqual({ progress: 1, message: `Built ${testTag}` });
    const progress = updates.map((update) => update.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(updates.some((update) => update.message.startsWith('Step 3/'))).toBe(true);

    const image = await docker.getImage(testTag).inspect();
    expect(image.Config.Labels).toMatchObject({
      [MANAGED_LABEL]: 'true',
      [CONTEXT_HASH_LABEL]: computeContextHash(path.join(resources, 'images', 'workspace')),
      purpose: 'test',
    });

    const container = await docker.createContainer({ Image: testTag, Cmd: ['/none'], Labels: { 'xares.instance': instanceId } });
    const archive = await container.getArchive({ path: '/ca' });
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      names.push(header.name);
      stream.resume();
      stream.on('end', next);
    });
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', () => resolve());
      extract.on('error', reject);
      archive.pipe(extract as unknown as NodeJS.WritableStream);
    });
    await container.remove({ force: true });
    expect(names.filter((name) => !name.endsWith('/')).sort()).toEqual(['ca/.keep', 'ca/corp/root.crt', 'ca/proxy.crt']);

    // Cached by tag: a second call does not build.
    const second = await ensureWorkspaceImage(docker, { resourcesDir: resources, tag: testTag, baseImage: 'scratch' });
    expect(second).toEqual({ built: false });
  });

  it("rejects with the build's own error and its last output lines", async () => {
    const resources = makeResources('FROM scratch\nRUN ["/no/such/program"]\n');
    const failedTag = `${testTag}-failed`;
    const failure = await buildWorkspaceImage(docker, { resourcesDir: resources, tag: failedTag, baseImage: 'scratch', extraCaDir: null }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ImageBuildError);
    const error = failure as ImageBuildError;
    expect(error.message).toMatch(new RegExp(`^Building ${failedTag} failed: .*no such file or directory`, 's'));
    expect(error.logTail.join('\n')).toMatch(/Step 2\/\d+ : RUN \["\/no\/such\/program"\]/);
    expect(error.message).toContain('--- last build output ---');
    expect(await imageExists(docker, failedTag)).toBe(false);
  });

  it('does not start when the signal is already aborted', async () => {
    const resources = makeResources('FROM scratch\n');
    const controller = new AbortController();
    controller.abort(new Error('stopped by the test'));
    await expect(
      buildWorkspaceImage(docker, { resourcesDir: resources, tag: `${testTag}-aborted`, baseImage: 'scratch', signal: controller.signal }),
    ).rejects.toThrow('stopped by the test');
    expect(await imageExists(docker, `${testTag}-aborted`)).toBe(false);
  });
});
