// LAN access on a real engine (issue #4 "LAN access", "seat sessions", "origin separation"): a participant host
// (`lan.test`, configured as publicHost, and the machine's LAN address when it has one) serves the join page and
// the public workshop API only; path seats `/w/<id>/` reach code-server with the claiming browser's seat cookie
// or after the seat's password; the teacher's one-time open link enters any running workspace.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLanIPv4 } from '../../server/routing/public-urls.js';
import { exchangeWithCodeServer, startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let lan: string;
/** Seat with a password (claimed by participant 1) and without one (claimed by participant 2). */
let protectedSeat: string;
let openSeat: string;
const SEAT_PASSWORD = 'lan-seat-pass-42';
const participants: { email: string; cookie: string; seat: string; workspaceUrl: string }[] = [];

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request to our server with an explicit Host (fetch cannot set it). */
function request(
  host: string,
  path: string,
  options: { method?: string; cookie?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; connectTo?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host, ...options.headers };
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
    const req = http.request({ host: options.connectTo ?? '127.0.0.1', port: t.port, path, agent: false, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', (error) => reject(new Error(`${method} ${host}${path}: ${error.message}`)));
    req.end(payload);
  });
}

const json = (reply: Reply) => JSON.parse(reply.body) as Record<string, unknown>;
const cookieOf = (reply: Reply, name: string) => (reply.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
const isWorkbench = (reply: Reply) => reply.status === 200 && reply.body.includes('workbench') && !reply.body.includes('workspace-login-form');

beforeAll(async () => {
  // All interfaces: one test connects through the machine's LAN address like another computer would.
  t = await startTestServer({ publicHost: 'lan.test', host: undefined });
  lan = `lan.test:${t.port}`;
  expect((await t.api('PUT', '/api/workshop/settings', { group: 'lan-room', registrationOpen: true })).status).toBe(200);
  const [a, b] = await Promise.all([
    t.api('POST', '/api/projects/create', { projectName: 'lan-seat-a', projectType: 'empty', group: 'lan-room', passwordProtected: true, password: SEAT_PASSWORD }),
    t.api('POST', '/api/projects/create', { projectName: 'lan-seat-b', projectType: 'empty', group: 'lan-room' }),
  ]);
  expect(a.status).toBe(201);
  expect(b.status).toBe(201);
  protectedSeat = a.body.project.id;
  openSeat = b.body.project.id;
  await Promise.all([t.waitForStatus(protectedSeat, 'running', 240_000), t.waitForStatus(openSeat, 'running', 240_000)]);
  // Two participants claim from "other machines" (Host lan.test); which seat each gets is the workshop's choice.
  for (const email of ['ada@example.org', 'grace@example.org']) {
    const claim = await request(lan, '/api/workshop/claim', { json: { name: email.split('@')[0], email } });
    expect(claim.status).toBe(200);
    const workspaceUrl = json(claim)['workspaceUrl'] as string;
    const seat = /\/w\/([a-z0-9]+)\/$/.exec(workspaceUrl)?.[1];
    expect(workspaceUrl).toBe(`http://${lan}/w/${seat}/`);
    participants.push({ email, cookie: cookieOf(claim, 'xares_participant')!.split(';')[0]!, seat: seat!, workspaceUrl });
  }
  expect(new Set(participants.map((p) => p.seat))).toEqual(new Set([protectedSeat, openSeat]));
}, 600_000);

afterAll(async () => {
  await t?.dispose();
});

/** The participant's seat cookie (`name=value`), as `/join/enter` sets it for their browser. */
async function enterAs(participant: (typeof participants)[number]): Promise<string> {
  const entered = await request(lan, '/join/enter', { cookie: participant.cookie });
  expect(entered.status).toBe(303);
  expect(entered.headers.location).toBe(`/w/${participant.seat}/`);
  const setCookie = cookieOf(entered, `xares_gate_${participant.seat}`)!;
  expect(setCookie).toMatch(new RegExp(`; Path=/w/${participant.seat}/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
  return setCookie.split(';')[0]!;
}

describe('participant hosts', () => {
  it('serve the join page and the public workshop API, and refuse the dashboard and admin API even with the admin token', async () => {
    const hosts = [lan];
    const lanIp = detectLanIPv4();
    if (lanIp !== undefined) hosts.push(`${lanIp}:${t.port}`);
    const bearer = { authorization: `Bearer ${t.token}` };
    for (const host of hosts) {
      const join = await request(host, '/');
      expect(join.status, host).toBe(200);
      expect(join.headers['content-type']).toMatch(/text\/html/);
      expect(join.headers['content-security-policy']).toContain("script-src 'self'");
      expect((await request(host, '/api/health')).status).toBe(200);
      expect((await request(host, '/api/workshop/status')).status).toBe(200);
      for (const [method, path] of [
        ['GET', '/admin/'],
        ['GET', '/admin'],
        ['GET', '/api/projects'],
        ['GET', '/api/events'],
        ['GET', '/api/system/status'],
        ['GET', '/api/workshop/claims'],
        ['GET', `/api/workshop/claims?password=${encodeURIComponent(t.token)}`],
        ['GET', '/api/workshop/board'],
        ['POST', `/api/projects/${openSeat}/open-link`],
        ['POST', `/api/projects/${openSeat}/stop`],
        ['POST', '/api/auth/exchange'],
      ] as const) {
        const reply = await request(host, path, { method, headers: bearer });
        expect(reply.status, `${method} ${host}${path}`).toBe(403);
        expect(json(reply)).toMatchObject({ success: false, code: 'FORBIDDEN' });
        expect(reply.body).not.toContain(t.token);
      }
    }
    // The workspace kept running: the stop above was refused.
    expect((await t.api('GET', `/api/projects/${openSeat}`)).body.project.status).toBe('running');
    // The host computer's own names still get the dashboard and the API.
    expect((await request(`localhost:${t.port}`, '/')).headers.location).toBe('/admin/');
    expect((await request(`localhost:${t.port}`, '/api/projects', { headers: bearer })).status).toBe(200);
    // A name that is not ours gets nothing, path seats included (DNS rebinding).
    for (const path of ['/', `/w/${openSeat}/`, '/api/workshop/status']) {
      expect((await request(`evil.example:${t.port}`, path)).status).toBe(403);
    }
    // Path seats exist on participant hosts only.
    expect((await request(`localhost:${t.port}`, `/w/${openSeat}/`)).status).toBe(404);
  });
});

describe('peers on other machines', () => {
  it('get the join page and path seats, but nothing by a loopback name (Host: localhost or <id>.localhost)', async ({ skip }) => {
    const lanIp = detectLanIPv4();
    if (lanIp === undefined) return skip('this machine has no LAN address to connect through');
    const via = { connectTo: lanIp };
    // Connected to the LAN address, the peer is this machine's LAN address: not loopback, like another computer.
    expect((await request(lan, '/', via)).status).toBe(200);
    expect((await request(`${lanIp}:${t.port}`, '/api/workshop/status', via)).status).toBe(200);
    const bearer = { authorization: `Bearer ${t.token}` };
    for (const host of [`localhost:${t.port}`, `127.0.0.1:${t.port}`]) {
      const reply = await request(host, '/api/projects', { ...via, headers: bearer });
      expect(reply.status, host).toBe(403);
      expect(json(reply)).toMatchObject({ code: 'FORBIDDEN_HOST' });
      expect((await request(host, '/admin/', via)).status).toBe(403);
    }
    const byHost = await request(`${openSeat}.localhost:${t.port}`, '/?folder=/workspace', via);
    expect(byHost.status).toBe(403);
    expect(byHost.body).toContain('Only on the host computer');
    const { WebSocket } = await import('ws');
    const upgrade = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${lanIp}:${t.port}/`, { headers: { host: `${openSeat}.localhost:${t.port}` } });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('error', reject);
    });
    expect(upgrade).toBe(403);
    // The same requests from this machine itself still work.
    expect((await request(`localhost:${t.port}`, '/api/projects', { headers: bearer })).status).toBe(200);
    expect((await request(`${openSeat}.localhost:${t.port}`, '/')).status).not.toBe(403);
  });
});

describe('path seats', () => {
  it('open a claimed seat in the browser that claimed it, and in no other without the password', async () => {
    const [first, second] = participants as [(typeof participants)[number], (typeof participants)[number]];
    for (const p of participants) {
      const anonymous = await request(lan, `/w/${p.seat}/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['set-cookie']).toBeUndefined();
      if (p.seat === protectedSeat) expect(anonymous.body).toContain(`action="/w/${p.seat}/__xares/login"`);
      else expect(anonymous.body).not.toContain('<form');
    }
    // Knowing the e-mail address is not enough: a second claim names the seat but sets no cookie.
    const again = await request(lan, '/api/workshop/claim', { json: { name: 'someone', email: first.email.toUpperCase() } });
    expect(again.status).toBe(409);
    expect(json(again)['workspaceUrl']).toBe(first.workspaceUrl);
    expect(again.headers['set-cookie']).toBeUndefined();

    const firstCookie = await enterAs(first);
    const secondCookie = await enterAs(second);
    expect(isWorkbench(await request(lan, `/w/${first.seat}/?folder=/workspace`, { cookie: firstCookie }))).toBe(true);
    expect(isWorkbench(await request(lan, `/w/${second.seat}/?folder=/workspace`, { cookie: secondCookie }))).toBe(true);
    // One seat's cookie opens no other seat, under its own name or renamed.
    expect((await request(lan, `/w/${second.seat}/`, { cookie: firstCookie })).status).toBe(401);
    expect((await request(lan, `/w/${second.seat}/`, { cookie: firstCookie.replace(first.seat, second.seat) })).status).toBe(401);
    // The participant cookie alone opens nothing either.
    expect((await request(lan, `/w/${first.seat}/`, { cookie: first.cookie })).status).toBe(401);
  });

  it('let anyone with the seat password in, with the login form under /w/<id>/', async () => {
    const form = await request(lan, `/w/${protectedSeat}/__xares/login?next=${encodeURIComponent('/?folder=/workspace')}`);
    expect(form.status).toBe(200);
    expect(form.body).toContain(`action="/w/${protectedSeat}/__xares/login"`);
    const wrong = await request(lan, `/w/${protectedSeat}/__xares/login`, { form: { password: 'not-the-password', next: '/' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const signed = await request(lan, `/w/${protectedSeat}/__xares/login`, { form: { password: SEAT_PASSWORD, next: '/?folder=/workspace' }, headers: { origin: `http://${lan}` } });
    expect(signed.status).toBe(303);
    expect(signed.headers.location).toBe(`/w/${protectedSeat}/?folder=/workspace`);
    const setCookie = cookieOf(signed, `xares_gate_${protectedSeat}`)!;
    expect(setCookie).toContain(`Path=/w/${protectedSeat}/`);
    const cookie = setCookie.split(';')[0]!;
    expect(isWorkbench(await request(lan, `/w/${protectedSeat}/?folder=/workspace`, { cookie }))).toBe(true);
    // A password session of one seat opens no other.
    expect((await request(lan, `/w/${openSeat}/`, { cookie: cookie.replace(protectedSeat, openSeat) })).status).toBe(401);
  });

  it('serve the workbench static files and its WebSocket under the prefix', async () => {
    const participant = participants[0]!;
    const cookie = await enterAs(participant);
    const prefix = `/w/${participant.seat}`;
    const workbench = await request(lan, `${prefix}/?folder=/workspace`, { cookie });
    expect(isWorkbench(workbench)).toBe(true);
    // code-server links its assets relatively (`stable-<commit>/static/…`, `./_static/…`): resolved against the
    // seat URL they stay inside it.
    const assets = [...workbench.body.matchAll(/(?:src|href)="((?:\.\/)?[a-z_][^":]*\.(?:js|css|ico))"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets.slice(0, 3)) {
      const url = new URL(asset, `http://${lan}${prefix}/`);
      expect(url.pathname.startsWith(`${prefix}/`)).toBe(true);
      const reply = await request(lan, url.pathname + url.search, { cookie });
      expect(reply.status, url.pathname).toBe(200);
      expect(reply.headers['content-type']).toMatch(/javascript|css|icon/);
    }
    // Without the cookie the asset is behind the gate too.
    const firstAsset = new URL(assets[0]!, `http://${lan}${prefix}/`);
    expect((await request(lan, firstAsset.pathname)).status).toBe(401);

    const reply = await exchangeWithCodeServer(t.port, participant.seat, 30_000, { host: lan, pathPrefix: prefix, cookie });
    expect(reply).toContain('"type":"sign"');
    await expect(exchangeWithCodeServer(t.port, participant.seat, 10_000, { host: lan, pathPrefix: prefix })).rejects.toThrow(/HTTP 401/);
  });
});

describe('teacher open link', () => {
  it('opens any running workspace once, on its own origin, without its password or seat cookie', async () => {
    for (const seat of [protectedSeat, openSeat]) {
      const link = await t.api('POST', `/api/projects/${seat}/open-link`);
      expect(link.status).toBe(200);
      const url = new URL(link.body.url as string);
      expect(url.origin).toBe(`http://${seat}.localhost:${t.port}`);
      expect(url.pathname).toBe('/__xares/enter');
      expect(link.body.url).not.toContain(t.token);
      const entered = await request(url.host, url.pathname + url.search);
      expect(entered.status).toBe(303);
      expect(entered.headers.location).toBe('/');
      const cookie = cookieOf(entered, `xares_gate_${seat}`)!.split(';')[0]!;
      expect(isWorkbench(await request(url.host, '/?folder=/workspace', { cookie }))).toBe(true);
      // Single use; and not valid on another workspace.
      expect((await request(url.host, url.pathname + url.search)).status).toBe(401);
      const other = seat === protectedSeat ? openSeat : protectedSeat;
      expect((await request(`${other}.localhost:${t.port}`, url.pathname + url.search)).status).toBe(401);
    }
    expect((await t.api('POST', '/api/projects/zzzz00000000/open-link')).status).toBe(404);
    expect((await t.api('POST', '/api/projects/open-link/open-link')).status).toBe(404);
    expect((await t.api('POST', `/api/projects/${openSeat}/open-link`, undefined, { token: null })).status).toBe(401);
  });
});

describe('releasing a seat', () => {
  it('ends its seat session at once (a seat with a password asks for it again)', async () => {
    const participant = participants.find((p) => p.seat === protectedSeat)!;
    const cookie = await enterAs(participant);
    expect(isWorkbench(await request(lan, `/w/${protectedSeat}/?folder=/workspace`, { cookie }))).toBe(true);
    expect((await t.api('POST', `/api/workshop/claims/${protectedSeat}/release`)).status).toBe(200);
    const after = await request(lan, `/w/${protectedSeat}/?folder=/workspace`, { cookie });
    expect(after.status).toBe(401);
    expect(after.body).toContain('workspace-login-form');
  });

  it('takes a released seat without a password off the network; the host computer still reaches it', async () => {
    const participant = participants.find((p) => p.seat === openSeat)!;
    const cookie = await enterAs(participant);
    expect(isWorkbench(await request(lan, `/w/${openSeat}/?folder=/workspace`, { cookie }))).toBe(true);
    expect((await t.api('POST', `/api/workshop/claims/${openSeat}/release`)).status).toBe(200);
    for (const reply of [await request(lan, `/w/${openSeat}/?folder=/workspace`, { cookie }), await request(lan, `/w/${openSeat}/`)]) {
      expect(reply.status).toBe(403);
      expect(reply.body).toContain('Not open to the network');
    }
    await expect(exchangeWithCodeServer(t.port, openSeat, 10_000, { host: lan, pathPrefix: `/w/${openSeat}`, cookie })).rejects.toThrow(/HTTP 403/);
    expect(isWorkbench(await request(`${openSeat}.localhost:${t.port}`, '/?folder=/workspace'))).toBe(true);
  });
});
