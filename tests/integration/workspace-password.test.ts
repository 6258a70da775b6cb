// Password enforcement on real containers (issue #3 "Passwords", "App ports"): the router's gate (login page,
// signed per-workspace cookie, rate limit), code-server's own password on the direct 127.0.0.1 port, and
// PUT /api/projects/:id/password on running and stopped workspaces.
import { statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_FAILURES_PER_CLIENT } from '../../server/routing/workspace-gate.js';
import { CODE_SERVER_PORT } from '../../server/runtime/workspace-runtime.js';
import { openStore } from '../../server/store/index.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request to our server with an explicit Host (fetch cannot set it). */
function request(host: string, path: string, options: { method?: string; cookie?: string; form?: Record<string, string>; origin?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (options.cookie) headers['cookie'] = options.cookie;
    if (options.origin) headers['origin'] = options.origin;
    let payload: string | undefined;
    if (options.form) {
      payload = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const req = http.request({ host: '127.0.0.1', port: t.port, path, agent: false, method: options.method ?? (payload ? 'POST' : 'GET'), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', (error) => reject(new Error(`${options.method ?? (payload ? 'POST' : 'GET')} ${host}${path}: ${error.message}`)));
    req.end(payload);
  });
}

/** GET straight to code-server's published 127.0.0.1 port (the path around the router). */
function direct(port: number, path: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: cookie ? { cookie } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', (error) => reject(new Error(`GET 127.0.0.1:${port}${path} (direct): ${error.message}`)));
    req.end();
  });
}

const ideHost = (id: string) => `${id}.localhost:${t.port}`;
const appHost = (id: string, port: number) => `${id}-${port}.localhost:${t.port}`;
const WORKBENCH = '/?folder=/workspace';

function isLoginPage(reply: Reply): boolean {
  return reply.status === 401 && reply.body.includes('data-testid="workspace-login-form"') && !reply.body.includes('workbench');
}

function isWorkbench(reply: Reply): boolean {
  return reply.status === 200 && reply.body.includes('workbench') && !reply.body.includes('workspace-login-form');
}

/** Signs in on `host`; returns the `name=value` of the gate cookie and the whole Set-Cookie line. */
async function signIn(host: string, password: string, next = WORKBENCH): Promise<{ cookie: string; setCookie: string; reply: Reply }> {
  const reply = await request(host, '/__xares/login', { form: { password, next } });
  expect(reply.status).toBe(303);
  const setCookie = (reply.headers['set-cookie'] ?? [])[0] ?? '';
  return { cookie: setCookie.split(';')[0] as string, setCookie, reply };
}

async function createProtected(name: string, password: string): Promise<string> {
  const created = await t.api('POST', '/api/projects/create', { projectName: name, projectType: 'empty', passwordProtected: true, password });
  expect(created.status).toBe(201);
  return created.body.project.id as string;
}

async function hostPortOf(id: string): Promise<number> {
  const info = await docker.getContainer(`workspace-${id}`).inspect();
  return Number(info.NetworkSettings.Ports[`${CODE_SERVER_PORT}/tcp`]?.[0]?.HostPort);
}

async function execIn(id: string, cmd: string[], detach = false): Promise<string> {
  const exec = await docker.getContainer(`workspace-${id}`).exec({ Cmd: cmd, User: 'coder', WorkingDir: '/workspace', AttachStdout: !detach, AttachStderr: !detach });
  if (detach) {
    await exec.start({ Detach: true });
    return '';
  }
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  // Multiplexed stream: strip the 8-byte frame headers.
  const raw = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

/** WebSocket upgrade through the router; resolves to the HTTP status of a refusal or 101. */
async function upgradeStatus(host: string, cookie?: string): Promise<number> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/?reconnectionToken=${randomBytes(6).toString('hex')}&reconnection=false&skipWebSocketFrames=false`, {
    headers: { host, ...(cookie ? { cookie } : {}) },
    origin: `http://${host}`,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', reject);
    });
  } finally {
    ws.terminate();
  }
}

function storedHash(id: string): string {
  const store = openStore(t.dataDir);
  try {
    return store.projects.get(id)!.passwordHash!;
  } finally {
    store.close();
  }
}

const PASSWORD = 'shared Pass 123';
let a = '';
let b = '';

beforeAll(async () => {
  t = await startTestServer();
  // Two workspaces with the same password, like two clones of one prepared workspace.
  a = await createProtected('Gate A', PASSWORD);
  b = await createProtected('Gate B', PASSWORD);
  await Promise.all([t.waitForStatus(a, 'running'), t.waitForStatus(b, 'running')]);
}, 240_000);

afterAll(async () => {
  await t?.dispose();
});

describe('password gate in the router', () => {
  it('shows the login page without a session, on the IDE host, on WebSockets and on app-port hosts', async () => {
    const page = await request(ideHost(a), WORKBENCH);
    expect(isLoginPage(page)).toBe(true);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toContain('<script');
    expect(page.body).toContain('name="next" value="/?folder=/workspace"');
    expect(await upgradeStatus(ideHost(a))).toBe(401);
    expect(isLoginPage(await request(appHost(a, 5000), '/'))).toBe(true);
    // A forged code-server session from the client does not help either.
    expect(isLoginPage(await request(ideHost(a), WORKBENCH, { cookie: `code-server-session=${storedHash(a)}` }))).toBe(true);
  });

  it('keeps code-server closed on the direct 127.0.0.1 port and keeps secrets out of the container configuration', async () => {
    const port = await hostPortOf(a);
    const reply = await direct(port, WORKBENCH);
    expect(reply.status).toBe(302);
    expect(String(reply.headers.location)).toContain('login');
    const info = await docker.getContainer(`workspace-${a}`).inspect();
    const hash = storedHash(a);
    for (const text of [JSON.stringify(info.Config.Env), JSON.stringify(info.Config.Labels), JSON.stringify(info.Config.Cmd), JSON.stringify(info.Config.Entrypoint), JSON.stringify(info)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(hash);
    }
    expect(await execIn(a, ['sh', '-c', 'env'])).not.toContain(PASSWORD);
    expect(await execIn(a, ['sh', '-c', 'env'])).not.toContain('argon2');
  });

  it('refuses a wrong password and lets the right one in with a host-only, HttpOnly cookie', async () => {
    const wrong = await request(ideHost(a), '/__xares/login', { form: { password: 'not the password', next: WORKBENCH } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Wrong password');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const { cookie, setCookie, reply } = await signIn(ideHost(a), PASSWORD);
    expect(reply.headers.location).toBe(WORKBENCH);
    expect(cookie.startsWith(`xares_gate_${a}=`)).toBe(true);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/domain=/i);
    expect(isWorkbench(await request(ideHost(a), WORKBENCH, { cookie }))).toBe(true);
    expect(await upgradeStatus(ideHost(a), cookie)).toBe(101);
  });

  it('never redirects to another site after signing in, and refuses a cross-site form', async () => {
    for (const next of ['//evil.example/', 'http://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const reply = await request(ideHost(a), '/__xares/login', { form: { password: PASSWORD, next } });
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe('/');
    }
    const cross = await request(ideHost(a), '/__xares/login', { form: { password: PASSWORD, next: '/' }, origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers['set-cookie']).toBeUndefined();
  });

  it('does not accept one workspace session on another, even with the same password, and keeps both in one jar', async () => {
    const signedA = await signIn(ideHost(a), PASSWORD);
    const valueA = signedA.cookie.split('=')[1] as string;
    // Replayed as it is, and renamed to the other workspace's cookie name.
    expect(isLoginPage(await request(ideHost(b), WORKBENCH, { cookie: signedA.cookie }))).toBe(true);
    expect(isLoginPage(await request(ideHost(b), WORKBENCH, { cookie: `xares_gate_${b}=${valueA}` }))).toBe(true);
    expect(await upgradeStatus(ideHost(b), `xares_gate_${b}=${valueA}`)).toBe(401);

    const signedB = await signIn(ideHost(b), PASSWORD);
    const jar = `${signedA.cookie}; ${signedB.cookie}`;
    expect(isWorkbench(await request(ideHost(a), WORKBENCH, { cookie: jar }))).toBe(true);
    expect(isWorkbench(await request(ideHost(b), WORKBENCH, { cookie: jar }))).toBe(true);
  });

  it('gates app ports with their own sign-in on the app host', async () => {
    await execIn(a, ['python3', '-m', 'http.server', '5000', '--bind', '127.0.0.1'], true);
    await execIn(a, ['sh', '-c', 'echo app-port-content > /workspace/index.html']);
    const host = appHost(a, 5000);
    expect(isLoginPage(await request(host, '/index.html'))).toBe(true);
    const { cookie } = await signIn(host, PASSWORD, '/index.html');
    const reply = await pollUntil(
      async () => {
        const r = await request(host, '/index.html', { cookie });
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, description: 'the app through the gate' },
    );
    expect(reply.body).toContain('app-port-content');
  });

  it('rate-limits failed logins per client and workspace, with clear wording', async () => {
    for (let i = 0; i < GATE_FAILURES_PER_CLIENT; i += 1) {
      expect((await request(ideHost(b), '/__xares/login', { form: { password: `wrong ${i} password`, next: '/' } })).status).toBe(401);
    }
    const limited = await request(ideHost(b), '/__xares/login', { form: { password: PASSWORD, next: '/' } });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many wrong passwords');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['set-cookie']).toBeUndefined();
    // Another workspace is not locked by it.
    expect((await request(ideHost(a), '/__xares/login', { form: { password: PASSWORD, next: '/' } })).status).toBe(303);
  });
});

describe('PUT /api/projects/:id/password', () => {
  it('validates the request in the contract shape', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ currentPassword: PASSWORD, newPassword: 'short' }, 400, 'INVALID_PASSWORD'],
      [{ currentPassword: PASSWORD, newPassword: 'has a\nnewline' }, 400, 'INVALID_PASSWORD'],
      [{ currentPassword: PASSWORD, newPassword: 'x'.repeat(51) }, 400, 'INVALID_PASSWORD'],
      [{ currentPassword: PASSWORD }, 400, 'VALIDATION_ERROR'],
      [{ currentPassword: PASSWORD, newPassword: 'long enough 1', removePassword: true }, 400, 'VALIDATION_ERROR'],
      [{ currentPassword: 'wrong password', newPassword: 'long enough 1' }, 401, 'INVALID_WORKSPACE_PASSWORD'],
      [{ newPassword: 'long enough 1' }, 401, 'INVALID_WORKSPACE_PASSWORD'],
    ];
    for (const [body, status, code] of cases) {
      const reply = await t.api('PUT', `/api/projects/${a}/password`, body);
      expect({ body, status: reply.status, code: reply.body.code }).toEqual({ body, status, code });
      expect(reply.body.success).toBe(false);
    }
    expect((await t.api('PUT', '/api/projects/zzzzzzzzzzzz/password', { newPassword: 'long enough 1' })).status).toBe(404);
  });

  it('changes the password of a running workspace at once, keeping its files and container', async () => {
    const before = await docker.getContainer(`workspace-${a}`).inspect();
    await execIn(a, ['sh', '-c', 'echo kept-across-change > /workspace/keep.txt']);
    const oldSession = (await signIn(ideHost(a), PASSWORD)).cookie;
    const hashBefore = storedHash(a);
    const next = 'brand new pass 9';
    const changed = await t.api('PUT', `/api/projects/${a}/password`, { currentPassword: PASSWORD, newPassword: next });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ success: true, message: 'Password updated successfully', passwordProtected: true });
    expect(JSON.stringify(changed.body)).not.toContain(next);

    const withOld = await request(ideHost(a), WORKBENCH, { cookie: oldSession });
    expect({ status: withOld.status, login: isLoginPage(withOld), start: withOld.body.slice(0, 300) }).toMatchObject({ status: 401, login: true });
    expect((await request(ideHost(a), '/__xares/login', { form: { password: PASSWORD, next: '/' } })).status).toBe(401);
    const { cookie } = await signIn(ideHost(a), next);
    expect(isWorkbench(await request(ideHost(a), WORKBENCH, { cookie }))).toBe(true);
    expect(await execIn(a, ['cat', '/workspace/keep.txt'])).toContain('kept-across-change');
    const after = await docker.getContainer(`workspace-${a}`).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    // code-server itself took the new password too: the old hash no longer opens the direct port.
    const port = await hostPortOf(a);
    expect((await direct(port, WORKBENCH, `code-server-session=${hashBefore}`)).status).toBe(302);
    expect((await direct(port, WORKBENCH, `code-server-session=${storedHash(a)}`)).status).toBe(200);
    expect((await direct(port, WORKBENCH)).status).toBe(302);

    // Remove: open at once, through the router and directly.
    const removed = await t.api('PUT', `/api/projects/${a}/password`, { currentPassword: next, removePassword: true });
    expect(removed.body).toEqual({ success: true, message: 'Password updated successfully', passwordProtected: false });
    expect((await t.api('GET', `/api/projects/${a}`)).body.project.passwordProtected).toBe(false);
    expect(isWorkbench(await request(ideHost(a), WORKBENCH))).toBe(true);
    expect((await direct(port, WORKBENCH)).status).toBe(200);
    expect(await execIn(a, ['cat', '/workspace/keep.txt'])).toContain('kept-across-change');

    // Set again on an open workspace: no current password needed, protected at once.
    const set = await t.api('PUT', `/api/projects/${a}/password`, { newPassword: 'third pass 333' });
    expect(set.body.passwordProtected).toBe(true);
    expect(isLoginPage(await request(ideHost(a), WORKBENCH))).toBe(true);
    expect((await direct(port, WORKBENCH)).status).toBe(302);
  });

  it('applies a change on a stopped workspace at its next start', async () => {
    const c = await createProtected('Gate C', PASSWORD);
    await t.waitForStatus(c, 'running');
    expect((await t.api('POST', `/api/projects/${c}/stop`, { password: PASSWORD })).status).toBe(200);
    const next = 'after restart 77';
    const changed = await t.api('PUT', `/api/projects/${c}/password`, { currentPassword: PASSWORD, newPassword: next });
    expect(changed.status).toBe(200);
    expect((await t.api('POST', `/api/projects/${c}/start`)).status).toBe(200);
    await t.waitForStatus(c, 'running');
    expect((await request(ideHost(c), '/__xares/login', { form: { password: PASSWORD, next: '/' } })).status).toBe(401);
    const { cookie } = await signIn(ideHost(c), next);
    expect(isWorkbench(await request(ideHost(c), WORKBENCH, { cookie }))).toBe(true);
    const port = await hostPortOf(c);
    expect((await direct(port, WORKBENCH)).status).toBe(302);
    expect((await direct(port, WORKBENCH, `code-server-session=${storedHash(c)}`)).status).toBe(200);
    const info = await docker.getContainer(`workspace-${c}`).inspect();
    expect(JSON.stringify(info)).not.toContain(next);
    expect(JSON.stringify(info)).not.toContain(storedHash(c));

    // Sessions survive a server restart (the secret is kept in the data dir, mode 0600).
    t = await t.restart();
    await t.waitForStatus(c, 'running');
    expect(isWorkbench(await request(ideHost(c), WORKBENCH, { cookie }))).toBe(true);
    expect(statSync(path.join(t.dataDir, 'gate-secret')).mode & 0o777).toBe(0o600);
  });
});
