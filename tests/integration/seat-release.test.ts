// Ending open sessions on a real engine (issue #4 "seat sessions", issue #3 "Passwords"): releasing a workshop
// seat, or changing a workspace's password, must end the editor windows already open on it (their WebSocket to
// code-server and their kept-alive HTTP connections), not only refuse the next request; the editor's reconnect
// is then refused. Also: a planted `xares_participant` cookie does not hide the real one.
import http from 'node:http';
import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let lan: string;
/** A workshop seat without a password, and a password-protected workspace outside the workshop. */
let seat: string;
let guarded: string;
const PASSWORD = 'release-test-pass-1';
const NEW_PASSWORD = 'release-test-pass-2';
/** Longest we wait for a connection to be ended; the fix ends it synchronously, so this is generous. */
const CLOSE_TIMEOUT_MS = 5_000;

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  socket: net.Socket;
}

/** One request to our server with an explicit Host; `agent` keeps the connection open when given. */
function request(
  host: string,
  path: string,
  options: { method?: string; cookie?: string; form?: Record<string, string>; json?: unknown; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (options.cookie) headers['cookie'] = options.cookie;
    let payload: string | undefined;
    if (options.form) {
      payload = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    const method = options.method ?? (payload ? 'POST' : 'GET');
    const req = http.request({ host: '127.0.0.1', port: t.port, path, agent: options.agent ?? false, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as net.Socket;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, socket }));
    });
    req.on('error', (error) => reject(new Error(`${method} ${host}${path}: ${error.message}`)));
    req.end(payload);
  });
}

const cookieOf = (reply: Reply, name: string) => (reply.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`))?.split(';')[0];
const isWorkbench = (reply: Reply) => reply.status === 200 && reply.body.includes('workbench') && !reply.body.includes('workspace-login-form');

/**
 * Opens a WebSocket to code-server through our server like VS Code's remote connection and waits for code-server's
 * answer to the auth handshake, so the socket is proven to reach code-server. Resolves with the open socket.
 */
async function openEditorSocket(host: string, pathPrefix: string, cookie: string): Promise<WebSocket> {
  const path = `${pathPrefix}/?reconnectionToken=${randomBytes(8).toString('hex')}&reconnection=false&skipWebSocketFrames=false`;
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}${path}`, { headers: { host, cookie }, origin: `http://${host}` });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no WebSocket reply in time')), 30_000);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('message', (data: Buffer) => {
      clearTimeout(timer);
      const text = data.subarray(13).toString('utf8');
      if (data.readUInt8(0) === 2 && text.includes('"type":"sign"')) resolve();
      else reject(new Error(`unexpected reply: ${text.slice(0, 200)}`));
    });
    ws.once('open', () => {
      const payload = Buffer.from(JSON.stringify({ type: 'auth', auth: '00000000000000000000', data: randomBytes(8).toString('hex') }));
      const header = Buffer.alloc(13);
      header.writeUInt8(2, 0);
      header.writeUInt32BE(payload.length, 9);
      ws.send(Buffer.concat([header, payload]));
    });
  });
  return ws;
}

/** Resolves when `emitter` emits 'close'; rejects after `timeoutMs` (the connection stayed open). */
function closed(emitter: { once(event: 'close', listener: () => void): unknown }, what: string, timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} stayed open`)), timeoutMs);
    emitter.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** HTTP status with which our server answers a WebSocket upgrade (101 when it goes through). */
function upgradeStatus(host: string, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}${path}`, { headers: { host, cookie }, origin: `http://${host}` });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** A kept-alive connection that carried a workbench request with `cookie`; still open when returned. */
async function keptAliveConnection(host: string, path: string, cookie: string): Promise<{ socket: net.Socket; agent: http.Agent }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const reply = await request(host, path, { cookie, agent });
  expect(isWorkbench(reply)).toBe(true);
  expect(reply.socket.destroyed).toBe(false);
  return { socket: reply.socket, agent };
}

beforeAll(async () => {
  t = await startTestServer({ publicHost: 'lan.test' });
  lan = `lan.test:${t.port}`;
  expect((await t.api('PUT', '/api/workshop/settings', { group: 'release-room', registrationOpen: true })).status).toBe(200);
  const [a, b] = await Promise.all([
    t.api('POST', '/api/projects/create', { projectName: 'release-seat', projectType: 'empty', group: 'release-room' }),
    t.api('POST', '/api/projects/create', { projectName: 'release-guarded', projectType: 'empty', passwordProtected: true, password: PASSWORD }),
  ]);
  expect(a.status).toBe(201);
  expect(b.status).toBe(201);
  seat = a.body.project.id;
  guarded = b.body.project.id;
  await Promise.all([t.waitForStatus(seat, 'running', 240_000), t.waitForStatus(guarded, 'running', 240_000)]);
}, 600_000);

afterAll(async () => {
  await t?.dispose();
});

describe('releasing a seat', () => {
  it("ends the participant's open editor WebSocket and kept-alive connections at once; the reconnect is refused", async () => {
    const claim = await request(lan, '/api/workshop/claim', { json: { name: 'Ada', email: 'ada@example.org' } });
    expect(claim.status).toBe(200);
    expect(JSON.parse(claim.body)).toMatchObject({ workspaceUrl: `http://${lan}/w/${seat}/` });
    const participant = cookieOf(claim, 'xares_participant')!;
    const entered = await request(lan, '/join/enter', { cookie: participant });
    expect(entered.headers.location).toBe(`/w/${seat}/`);
    const seatCookie = cookieOf(entered, `xares_gate_${seat}`)!;
    const prefix = `/w/${seat}`;

    const ws = await openEditorSocket(lan, prefix, seatCookie);
    const kept = await keptAliveConnection(lan, `${prefix}/?folder=/workspace`, seatCookie);
    const wsClosed = closed(ws, 'the editor WebSocket');
    const keptClosed = closed(kept.socket, 'the kept-alive connection');
    try {
      expect((await t.api('POST', `/api/workshop/claims/${seat}/release`)).status).toBe(200);
      await Promise.all([wsClosed, keptClosed]);
    } finally {
      ws.terminate();
      kept.agent.destroy();
    }
    // VS Code reconnects: refused (an unclaimed seat without a password is off the network: 403).
    const reconnect = await upgradeStatus(lan, `${prefix}/?reconnectionToken=x&reconnection=true&skipWebSocketFrames=false`, seatCookie);
    expect([401, 403]).toContain(reconnect);
    expect((await request(lan, `${prefix}/`, { cookie: seatCookie })).status).toBe(403);
    expect((await request(lan, '/api/workshop/me', { cookie: participant })).status).toBe(404);
  });
});

describe('the participant cookie', () => {
  it('is found behind a planted cookie of the same name (welcome back, enter)', async () => {
    const claim = await request(lan, '/api/workshop/claim', { json: { name: 'Grace', email: 'grace@example.org' } });
    expect(claim.status).toBe(200);
    const participant = cookieOf(claim, 'xares_participant')!;
    // Browsers send the cookie of the more specific path first.
    const cookie = `xares_participant=garbage; ${participant}`;
    const me = await request(lan, '/api/workshop/me', { cookie });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ success: true, name: 'Grace' });
    const entered = await request(lan, '/join/enter', { cookie });
    expect(entered.status).toBe(303);
    expect(entered.headers.location).toBe(`/w/${seat}/`);
    expect(cookieOf(entered, `xares_gate_${seat}`)).toBeDefined();
    // Only garbage: no seat.
    expect((await request(lan, '/api/workshop/me', { cookie: 'xares_participant=garbage; xares_participant=v1.1.AAAA' })).status).toBe(404);
    expect((await t.api('POST', `/api/workshop/claims/${seat}/release`)).status).toBe(200);
  });
});

describe('changing a workspace password', () => {
  it('ends the open editor WebSocket and kept-alive connections of the old password at once; the reconnect is refused', async () => {
    const host = `${guarded}.localhost:${t.port}`;
    const signed = await request(host, '/__xares/login', { form: { password: PASSWORD, next: '/' } });
    expect(signed.status).toBe(303);
    const gateCookie = cookieOf(signed, `xares_gate_${guarded}`)!;
    expect(gateCookie).toBeDefined();

    const ws = await openEditorSocket(host, '', gateCookie);
    const kept = await keptAliveConnection(host, '/?folder=/workspace', gateCookie);
    const wsClosed = closed(ws, 'the editor WebSocket');
    const keptClosed = closed(kept.socket, 'the kept-alive connection');
    try {
      const changed = await t.api('PUT', `/api/projects/${guarded}/password`, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(changed.status).toBe(200);
      await Promise.all([wsClosed, keptClosed]);
    } finally {
      ws.terminate();
      kept.agent.destroy();
    }
    expect(await upgradeStatus(host, '/?reconnectionToken=x&reconnection=true&skipWebSocketFrames=false', gateCookie)).toBe(401);
    expect((await request(host, '/?folder=/workspace', { cookie: gateCookie })).status).toBe(401);

    // Removing the password ends the sessions of the new one the same way.
    const again = cookieOf(await request(host, '/__xares/login', { form: { password: NEW_PASSWORD, next: '/' } }), `xares_gate_${guarded}`)!;
    const kept2 = await keptAliveConnection(host, '/?folder=/workspace', again);
    const kept2Closed = closed(kept2.socket, 'the kept-alive connection');
    try {
      expect((await t.api('PUT', `/api/projects/${guarded}/password`, { currentPassword: NEW_PASSWORD, removePassword: true })).status).toBe(200);
      await kept2Closed;
    } finally {
      kept2.agent.destroy();
    }
  });
});
