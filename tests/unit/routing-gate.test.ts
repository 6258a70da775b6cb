// The password gate's pure parts: cookie signing and refusal, safe redirects, cookie stripping, the login page,
// the rate limit (with a fixed clock), and log redaction of the password fields.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';
import {
  GATE_FAILURES_PER_CLIENT,
  GATE_SESSION_SECONDS,
  GATE_TICKET_SECONDS,
  createWorkspaceGate,
  renderLoginPage,
  safeNextPath,
  type GateRoute,
  type WorkspaceGate,
} from '../../server/routing/workspace-gate.js';

const HASH_A = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdGE$aGFzaGE';
const HASH_B = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdGI$aGFzaGI';
const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';

let clock = 1_800_000_000_000;
let verifyCalls = 0;
const servers: http.Server[] = [];

function gateWith(secret = randomBytes(32)): WorkspaceGate {
  return createWorkspaceGate({
    secret,
    now: () => clock,
    verifyPassword: async (projectId, password) => {
      verifyCalls += 1;
      if (password !== 'right password') return null;
      return projectId === A ? HASH_A : HASH_B;
    },
  });
}

/** A tiny server that hands every request to the gate's login handler for `projectId`. */
async function loginServer(gate: WorkspaceGate, projectId: string): Promise<number> {
  const server = http.createServer((req, res) => gate.handleLogin(req, res, { projectId, workspaceName: 'Room <1>', base: '', keys: { passwordHash: projectId === A ? HASH_A : HASH_B } }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function post(port: number, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/__xares/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, location: response.headers.get('location'), setCookie: response.headers.get('set-cookie'), body: await response.text(), retryAfter: response.headers.get('retry-after') };
}

function requestWithCookie(cookie: string): http.IncomingMessage {
  return { headers: { cookie } } as unknown as http.IncomingMessage;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('gate cookies', () => {
  it('signs a session for one workspace and hash only, and refuses replays, tampering and expiry', async () => {
    const gate = gateWith();
    const port = await loginServer(gate, A);
    const signed = await post(port, { password: 'right password', next: '/?folder=/workspace' });
    expect(signed.status).toBe(303);
    expect(signed.location).toBe('/?folder=/workspace');
    expect(signed.setCookie).toMatch(new RegExp(`^xares_gate_${A}=v1\\.\\d+\\.[A-Za-z0-9_-]+; Path=/; Max-Age=${GATE_SESSION_SECONDS}; HttpOnly; SameSite=Lax$`));
    const pair = signed.setCookie!.split(';')[0]!;
    const value = pair.split('=')[1]!;

    expect(gate.hasSession(requestWithCookie(pair), A, { passwordHash: HASH_A })).toBe(true);
    expect(gate.hasSession(requestWithCookie(`other=1; ${pair}; x=y`), A, { passwordHash: HASH_A })).toBe(true);
    // Another workspace (renamed cookie too), another hash (password changed), another secret (new server).
    expect(gate.hasSession(requestWithCookie(pair), B, { passwordHash: HASH_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${B}=${value}`), B, { passwordHash: HASH_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(pair), A, { passwordHash: HASH_B })).toBe(false);
    expect(gateWith().hasSession(requestWithCookie(pair), A, { passwordHash: HASH_A })).toBe(false);
    // Tampered issue time or MAC.
    const [version, issued, mac] = value.split('.');
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=${version}.${Number(issued) + 1}.${mac}`), A, { passwordHash: HASH_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=${version}.${issued}.${mac!.slice(0, -2)}AA`), A, { passwordHash: HASH_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=garbage`), A, { passwordHash: HASH_A })).toBe(false);
    // Expired after the session lifetime.
    clock += (GATE_SESSION_SECONDS + 5) * 1000;
    expect(gate.hasSession(requestWithCookie(pair), A, { passwordHash: HASH_A })).toBe(false);
  });

  it('strips gate cookies and client-sent code-server sessions before the upstream', () => {
    const gate = gateWith();
    expect(gate.upstreamCookie(`a=1; xares_gate_${A}=v1.1.x; code-server-session=forged; b=2`, 'code-server-session=real')).toBe('a=1; b=2; code-server-session=real');
    expect(gate.upstreamCookie(undefined, undefined)).toBeUndefined();
    expect(gate.upstreamCookie(`xares_gate_${B}=x`, undefined)).toBeUndefined();
  });
});

describe('login form', () => {
  it('only redirects to same-host paths', () => {
    expect(safeNextPath('/?folder=/workspace')).toBe('/?folder=/workspace');
    expect(safeNextPath('/proxy/5000/x?y=1#z')).toBe('/proxy/5000/x?y=1#z');
    for (const bad of ['//evil.example', '/\\evil.example', 'http://evil.example/', 'javascript:alert(1)', '', null, undefined, '/a\nb', '/__xares/login', 'x'.repeat(3000)]) {
      expect(safeNextPath(bad as string)).toBe('/');
    }
  });

  it('escapes every text of the page and has no script', () => {
    const html = renderLoginPage({ workspaceName: '<img src=x onerror=alert(1)>', next: '/"><script>alert(1)</script>', error: '<b>x</b>' });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('action="/__xares/login"');
  });

  it('rate-limits failed logins per client and workspace, without calling argon2 while limited', async () => {
    const gate = gateWith();
    const port = await loginServer(gate, A);
    for (let i = 0; i < GATE_FAILURES_PER_CLIENT; i += 1) {
      const wrong = await post(port, { password: `wrong ${i}`, next: '/' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Wrong password');
      expect(wrong.body).toContain('Room &lt;1&gt;');
    }
    const callsBefore = verifyCalls;
    const limited = await post(port, { password: 'right password', next: '/' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatch(/Too many wrong passwords\. Wait \d+ seconds/);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(limited.setCookie).toBeNull();
    expect(verifyCalls).toBe(callsBefore);
    // The window passes: the right password works again.
    clock += 61_000;
    expect((await post(port, { password: 'right password', next: '/' })).status).toBe(303);
  });

  it('counts attempts still being verified, so a parallel burst runs no more argon2 checks than the limit', async () => {
    const gate = gateWith();
    const port = await loginServer(gate, B);
    const callsBefore = verifyCalls;
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => post(port, { password: `burst ${i}`, next: '/' })));
    expect(verifyCalls - callsBefore).toBeLessThanOrEqual(GATE_FAILURES_PER_CLIENT);
    expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(20 - GATE_FAILURES_PER_CLIENT);
  });

  it('refuses a form posted from another site, a non-form body and an oversized body', async () => {
    const gate = gateWith();
    const port = await loginServer(gate, A);
    const cross = await post(port, { password: 'right password', next: '/' }, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.setCookie).toBeNull();
    expect((await post(port, { password: 'right password', next: '/' }, { origin: `http://127.0.0.1:${port}` })).status).toBe(303);
    const json = await fetch(`http://127.0.0.1:${port}/__xares/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"right password"}' });
    expect(json.status).toBe(400);
    const big = await post(port, { password: 'x'.repeat(10_000) }).catch(() => ({ status: 0 }));
    expect(big.status === 400 || big.status === 0).toBe(true);
  });
});

describe('log redaction', () => {
  it('never writes the fields of a password change', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ currentPassword: 'secret-1', newPassword: 'secret-2', body: { currentPassword: 'secret-3', newPassword: 'secret-4' } }, 'change');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.join('')).not.toMatch(/secret/);
  });
});

/** Sends one request to a server that hands it to the gate's enter handler for `route`. */
async function enterServer(gate: WorkspaceGate, route: () => GateRoute): Promise<number> {
  const server = http.createServer((req, res) => {
    const r = route();
    // Like the router: strip the path seat prefix before the gate sees the URL.
    if (r.base !== '' && req.url?.startsWith(`${r.base}/`)) req.url = req.url.slice(r.base.length);
    if (gate.isEnterPath(req.url)) gate.handleEnter(req, res, r);
    else if (gate.isLoginPath(req.url)) gate.handleLogin(req, res, r);
    else if (gate.hasSession(req, r.projectId, r.keys)) res.end('inside');
    else gate.sendLoginPage(req, res, r);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function get(port: number, path: string, cookie?: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
  return { status: response.status, location: response.headers.get('location'), setCookie: response.headers.get('set-cookie'), body: await response.text() };
}

const CLAIM_A = 'claim-key-of-a-0123456789abcdef';
const CLAIM_A2 = 'claim-key-of-a-second-claim-xyz';
const CLAIM_B = 'claim-key-of-b-0123456789abcdef';
const TEACHER = 'teacher-key-0123456789abcdef0123';

function seatGate(secret = randomBytes(32)): WorkspaceGate {
  return createWorkspaceGate({ secret, now: () => clock, teacherKey: TEACHER, verifyPassword: async () => null });
}

describe('seat sessions', () => {
  it('accepts a seat cookie only while its claim key is the current one, and only for its own workspace', () => {
    const gate = seatGate();
    const setCookie = gate.seatSessionCookie(A, CLAIM_A, `/w/${A}/`);
    expect(setCookie).toMatch(new RegExp(`^xares_gate_${A}=s1\\.\\d+\\.[A-Za-z0-9_-]+; Path=/w/${A}/; Max-Age=${GATE_SESSION_SECONDS}; HttpOnly; SameSite=Lax$`));
    const pair = setCookie.split(';')[0]!;
    const value = pair.slice(pair.indexOf('=') + 1);
    expect(gate.hasSession(requestWithCookie(pair), A, { claimKey: CLAIM_A })).toBe(true);
    // A seat with a password too: the seat cookie still opens it (the claimer needs no password).
    expect(gate.hasSession(requestWithCookie(pair), A, { claimKey: CLAIM_A, passwordHash: HASH_A })).toBe(true);
    // Released (no key) or claimed again by someone else (new key): the old cookie is dead at once.
    expect(gate.hasSession(requestWithCookie(pair), A, {})).toBe(false);
    expect(gate.hasSession(requestWithCookie(pair), A, { passwordHash: HASH_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(pair), A, { claimKey: CLAIM_A2 })).toBe(false);
    // Seat A's session on seat B, under B's cookie name, even if B had the same claim key.
    expect(gate.hasSession(requestWithCookie(pair), B, { claimKey: CLAIM_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${B}=${value}`), B, { claimKey: CLAIM_A })).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${B}=${value}`), B, { claimKey: CLAIM_B })).toBe(false);
    // A seat cookie is no password session: relabelled as v1 it fails against the password hash.
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=${value.replace(/^s1/, 'v1')}`), A, { passwordHash: CLAIM_A })).toBe(false);
    // A planted second cookie of the same name does not shadow the real one.
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=s1.1.forged; ${pair}`), A, { claimKey: CLAIM_A })).toBe(true);
    expect(() => gate.seatSessionCookie(A, CLAIM_A, '/w/x; Domain=evil')).toThrow();
    expect(() => gate.seatSessionCookie(A, '', '/')).toThrow();
  });

  it('keeps password sessions of clones apart even when they share the password (and its hash)', async () => {
    const shared = '$argon2id$v=19$m=19456,t=2,p=1$c2FtZQ$c2FtZQ';
    const gate = createWorkspaceGate({ secret: randomBytes(32), now: () => clock, verifyPassword: async () => shared });
    const port = await enterServer(gate, () => ({ projectId: A, workspaceName: 'Original', base: '', keys: { passwordHash: shared } }));
    const signed = await post(port, { password: 'same password', next: '/' });
    expect(signed.status).toBe(303);
    const pair = signed.setCookie!.split(';')[0]!;
    const value = pair.slice(pair.indexOf('=') + 1);
    expect(gate.hasSession(requestWithCookie(pair), A, { passwordHash: shared })).toBe(true);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${B}=${value}`), B, { passwordHash: shared })).toBe(false);
  });

  it('makes teacher tickets only with a teacher key, and never puts the key in them', () => {
    const ticketGate = seatGate();
    expect(() => gateWith().createTeacherTicket(A)).toThrow();
    expect(ticketGate.createTeacherTicket(A)).toMatch(/^e1\.aaaaaaaaaaaa\.\d+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(ticketGate.createTeacherTicket(A)).not.toContain(TEACHER);
  });
});

describe('enter tickets', () => {
  it('enter a claimed seat once, set the seat cookie under the path prefix, and then are spent', async () => {
    const gate = seatGate();
    const route = (): GateRoute => ({ projectId: A, workspaceName: 'Seat A', base: `/w/${A}`, keys: { claimKey: CLAIM_A } });
    const port = await enterServer(gate, route);
    const ticket = gate.createEnterTicket(A, CLAIM_A);
    expect(ticket).not.toContain(CLAIM_A);
    const entered = await get(port, `/w/${A}/__xares/enter?ticket=${ticket}`);
    expect(entered.status).toBe(303);
    expect(entered.location).toBe(`/w/${A}/`);
    expect(entered.setCookie).toMatch(new RegExp(`^xares_gate_${A}=s1\\.[^;]+; Path=/w/${A}/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    const pair = entered.setCookie!.split(';')[0]!;
    expect((await get(port, `/w/${A}/`, pair)).body).toBe('inside');
    // Single use.
    const again = await get(port, `/w/${A}/__xares/enter?ticket=${ticket}`);
    expect(again.status).toBe(401);
    expect(again.setCookie).toBeNull();
    expect(again.body).toContain('already used');
  });

  it('refuse expired tickets, tickets of another workspace, tampered ones and tickets of a released claim', async () => {
    const gate = seatGate();
    let keysA: GateRoute['keys'] = { claimKey: CLAIM_A };
    const portA = await enterServer(gate, () => ({ projectId: A, workspaceName: 'Seat A', base: '', keys: keysA }));
    const portB = await enterServer(gate, () => ({ projectId: B, workspaceName: 'Seat B', base: '', keys: { claimKey: CLAIM_A } }));

    const forA = gate.createEnterTicket(A, CLAIM_A);
    const onB = await get(portB, `/__xares/enter?ticket=${forA}`);
    expect(onB.status).toBe(401);
    expect(onB.setCookie).toBeNull();
    // Relabelled for B: the MAC covers the project id.
    const relabelled = forA.replace(`.${A}.`, `.${B}.`);
    expect((await get(portB, `/__xares/enter?ticket=${relabelled}`)).status).toBe(401);
    const [v, id, expires, nonce, mac] = forA.split('.');
    expect((await get(portA, `/__xares/enter?ticket=${[v, id, Number(expires) + 600, nonce, mac].join('.')}`)).status).toBe(401);
    expect((await get(portA, `/__xares/enter?ticket=garbage`)).status).toBe(401);
    expect((await get(portA, `/__xares/enter`)).status).toBe(401);

    const late = gate.createEnterTicket(A, CLAIM_A);
    clock += (GATE_TICKET_SECONDS + 1) * 1000;
    const expired = await get(portA, `/__xares/enter?ticket=${late}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('expired');

    const beforeRelease = gate.createEnterTicket(A, CLAIM_A);
    keysA = { claimKey: CLAIM_A2 };
    expect((await get(portA, `/__xares/enter?ticket=${beforeRelease}`)).status).toBe(401);
    keysA = {};
    // Not gated any more: the link just opens the (open) workspace, without a cookie.
    const open = await get(portA, `/__xares/enter?ticket=${beforeRelease}`);
    expect(open.status).toBe(303);
    expect(open.setCookie).toBeNull();
  });

  it('let the teacher enter protected and claimed workspaces; the session ends when the teacher key changes', async () => {
    const secret = randomBytes(32);
    const gate = seatGate(secret);
    const route = (): GateRoute => ({ projectId: A, workspaceName: 'Seat A', base: '', keys: { claimKey: CLAIM_A, passwordHash: HASH_A } });
    const port = await enterServer(gate, route);
    const entered = await get(port, `/__xares/enter?ticket=${gate.createTeacherTicket(A)}`);
    expect(entered.status).toBe(303);
    expect(entered.setCookie).toMatch(new RegExp(`^xares_gate_${A}=t1\\.[^;]+; Path=/;`));
    const pair = entered.setCookie!.split(';')[0]!;
    expect(gate.hasSession(requestWithCookie(pair), A, route().keys)).toBe(true);
    expect(gate.hasSession(requestWithCookie(pair), A, {})).toBe(true);
    expect(gate.hasSession(requestWithCookie(pair.replace(A, B)), B, route().keys)).toBe(false);
    const rotated = createWorkspaceGate({ secret, now: () => clock, teacherKey: 'another-teacher-key-0123456789ab', verifyPassword: async () => null });
    expect(rotated.hasSession(requestWithCookie(pair), A, route().keys)).toBe(false);
    // A teacher ticket is no seat ticket for the claimer's key, and a seat ticket gives no teacher session.
    const seatTicketEntered = await get(port, `/__xares/enter?ticket=${gate.createEnterTicket(A, CLAIM_A)}`);
    expect(seatTicketEntered.setCookie).toMatch(/=s1\./);
  });
});

describe('login under a path seat', () => {
  it('posts to, redirects into and scopes its cookie to /w/<id>/', async () => {
    const gate = gateWith();
    const port = await enterServer(gate, () => ({ projectId: A, workspaceName: 'Seat A', base: `/w/${A}`, keys: { passwordHash: HASH_A } }));
    const page = await get(port, `/w/${A}/some/file?x=1`);
    expect(page.status).toBe(401);
    expect(page.body).toContain(`action="/w/${A}/__xares/login"`);
    expect(page.body).toContain('value="/some/file?x=1"');
    const response = await fetch(`http://127.0.0.1:${port}/w/${A}/__xares/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: 'right password', next: '/some/file?x=1' }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/w/${A}/some/file?x=1`);
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(new RegExp(`^xares_gate_${A}=v1\\.[^;]+; Path=/w/${A}/;`));
    expect((await get(port, `/w/${A}/`, setCookie.split(';')[0]!)).body).toBe('inside');
  });

  it('shows a claimed seat without password no form, only the way back to its own browser', async () => {
    const gate = seatGate();
    const port = await enterServer(gate, () => ({ projectId: A, workspaceName: 'Seat A', base: `/w/${A}`, keys: { claimKey: CLAIM_A } }));
    const page = await get(port, `/w/${A}/`);
    expect(page.status).toBe(401);
    expect(page.body).not.toContain('<form');
    expect(page.body).toContain('workshop seat in use');
    // Knowing the address (or the e-mail) is not enough: a POST to the login path gets no session either.
    const response = await fetch(`http://127.0.0.1:${port}/w/${A}/__xares/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: 'anything', next: '/' }).toString(),
    });
    expect(response.status).not.toBe(303);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});
