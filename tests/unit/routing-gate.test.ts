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
  createWorkspaceGate,
  renderLoginPage,
  safeNextPath,
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
  const server = http.createServer((req, res) => gate.handleLogin(req, res, projectId, 'Room <1>'));
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

    expect(gate.hasSession(requestWithCookie(pair), A, HASH_A)).toBe(true);
    expect(gate.hasSession(requestWithCookie(`other=1; ${pair}; x=y`), A, HASH_A)).toBe(true);
    // Another workspace (renamed cookie too), another hash (password changed), another secret (new server).
    expect(gate.hasSession(requestWithCookie(pair), B, HASH_A)).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${B}=${value}`), B, HASH_A)).toBe(false);
    expect(gate.hasSession(requestWithCookie(pair), A, HASH_B)).toBe(false);
    expect(gateWith().hasSession(requestWithCookie(pair), A, HASH_A)).toBe(false);
    // Tampered issue time or MAC.
    const [version, issued, mac] = value.split('.');
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=${version}.${Number(issued) + 1}.${mac}`), A, HASH_A)).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=${version}.${issued}.${mac!.slice(0, -2)}AA`), A, HASH_A)).toBe(false);
    expect(gate.hasSession(requestWithCookie(`xares_gate_${A}=garbage`), A, HASH_A)).toBe(false);
    // Expired after the session lifetime.
    clock += (GATE_SESSION_SECONDS + 5) * 1000;
    expect(gate.hasSession(requestWithCookie(pair), A, HASH_A)).toBe(false);
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
