// Admin authentication, one-time sign-in codes, DNS-rebinding and cross-origin defences, headers.
import { statSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody } from '../../server/contract/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.dispose();
});

/** A raw request with full control over Host and Origin (fetch forbids setting Host). */
function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

const PROTECTED_ROUTES: Array<[string, string]> = [
  ['GET', '/api/projects/'],
  ['GET', '/api/projects'],
  ['POST', '/api/projects/create'],
  ['GET', '/api/projects/aaaaaaaaaaaa'],
  ['DELETE', '/api/projects/aaaaaaaaaaaa'],
  ['POST', '/api/projects/aaaaaaaaaaaa/start'],
  ['POST', '/api/projects/aaaaaaaaaaaa/stop'],
  ['GET', '/api/config'],
  ['GET', '/api/limits'],
  ['GET', '/api/workspace/stats'],
  ['GET', '/api/system/status'],
  ['GET', '/api/events'],
  ['GET', '/api/does-not-exist'],
];

describe('admin credential', () => {
  it.each(PROTECTED_ROUTES)('%s %s without or with a wrong credential → 401 UNAUTHORIZED', async (method, route) => {
    for (const token of [null, 'wrong-token', `${t.token}x`, '']) {
      const r = await t.api(method, route, method === 'GET' ? undefined : { projectName: 'abc-def', projectType: 'empty' }, { token });
      expect(r.status, `token ${String(token)}`).toBe(401);
      expect(ApiErrorBody.safeParse(r.body).success).toBe(true);
      expect(r.body.code).toBe('UNAUTHORIZED');
    }
    const basic = await t.api(method, route, undefined, { token: null, headers: { authorization: `Basic ${Buffer.from(`admin:${t.token}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    expect((await t.api('GET', '/api/projects/')).body.count).toBe(0);
  });

  it('leaves GET /api/health public and answers the contract shape', async () => {
    const r = await t.api('GET', '/api/health', undefined, { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(r.body.uptime).toMatch(/^(\d+d )?(\d+h )?\d+m$/);
    expect(Number.isNaN(Date.parse(r.body.timestamp))).toBe(false);
  });

  it('keeps the generated token in <dataDir>/admin-token with mode 0600 and reuses it after a restart', async () => {
    const file = path.join(t.dataDir, 'admin-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(t.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(t.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // One server per data folder (server/store/data-lock.ts): the restart is of a server of its own.
    const first = await startTestServer();
    const again = await first.restart();
    try {
      expect(again.token).toBe(first.token);
    } finally {
      await again.dispose();
    }
  });

  it('uses a configured admin token instead of a generated one', async () => {
    const configured = 'configured-admin-token-0123456789';
    const s = await startTestServer({ adminToken: configured });
    try {
      expect(s.token).toBe(configured);
      expect((await s.api('GET', '/api/limits', undefined, { token: configured })).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });

  it('trades a one-time sign-in code for the token exactly once', async () => {
    const link = t.server.createSignInUrl();
    expect(link).toMatch(new RegExp(`^http://localhost:${t.port}/admin/#code=[A-Za-z0-9_-]{43}$`));
    const code = link.split('#code=')[1]!;
    const first = await t.api('POST', '/api/auth/exchange', { code }, { token: null });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ success: true, token: t.token });
    const second = await t.api('POST', '/api/auth/exchange', { code }, { token: null });
    expect(second.status).toBe(401);
    expect(second.body.code).toBe('UNAUTHORIZED');
    const invalid = await t.api('POST', '/api/auth/exchange', { code: 'made-up-code' }, { token: null });
    expect(invalid.status).toBe(401);
    const malformed = await t.api('POST', '/api/auth/exchange', { nope: true }, { token: null });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_ERROR');
  });

  it('rate-limits sign-in attempts', async () => {
    const s = await startTestServer();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1) statuses.push((await s.api('POST', '/api/auth/exchange', { code: `guess-${i}` }, { token: null })).status);
      expect(statuses.slice(0, 10).every((st) => st === 401)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429]);
      const limited = await s.api('POST', '/api/auth/exchange', { code: 'x' }, { token: null });
      expect(limited.body.code).toBe('RATE_LIMITED');
    } finally {
      await s.dispose();
    }
  });
});

describe('hosts, origins and headers', () => {
  it('refuses a foreign Host header (DNS rebinding) with 403 FORBIDDEN_HOST, even with the token', async () => {
    for (const host of ['evil.example.com', `evil.example.com:${t.port}`, `localhost:${t.port + 1}`, 'localhost.evil.com', 'localhost:99999']) {
      const r = await rawRequest(t.port, { path: '/api/projects/', headers: { host, authorization: `Bearer ${t.token}` } });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ success: false, code: 'FORBIDDEN_HOST' });
    }
    const dashboard = await rawRequest(t.port, { path: '/admin/', headers: { host: 'attacker.test' } });
    expect(dashboard.status).toBe(403);
  });

  it('accepts our own host names with or without our port', async () => {
    for (const host of [`localhost:${t.port}`, `127.0.0.1:${t.port}`, 'localhost', `[::1]:${t.port}`, `LOCALHOST:${t.port}`]) {
      const r = await rawRequest(t.port, { path: '/api/limits', headers: { host, authorization: `Bearer ${t.token}` } });
      expect(r.status, host).toBe(200);
    }
  });

  it('refuses state-changing requests from another origin and never sends CORS headers', async () => {
    const host = `127.0.0.1:${t.port}`;
    const foreign = await rawRequest(t.port, {
      method: 'POST',
      path: '/api/projects/create',
      headers: { host, origin: 'http://evil.example.com', authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ projectName: 'cross-site', projectType: 'empty' }),
    });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).code).toBe('FORBIDDEN_ORIGIN');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();

    const sameOrigin = await rawRequest(t.port, {
      method: 'POST',
      path: '/api/projects/aaaaaaaaaaaa/stop',
      headers: { host, origin: `http://${host}`, authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(sameOrigin.status).toBe(404);

    const preflight = await rawRequest(t.port, {
      method: 'OPTIONS',
      path: '/api/projects/create',
      headers: { host, origin: 'http://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const get = await rawRequest(t.port, { path: '/api/limits', headers: { host, origin: 'http://evil.example.com', authorization: `Bearer ${t.token}` } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect((await t.api('GET', '/api/projects/')).body.count).toBe(0);
  });

  it('serves the dashboard at /admin/ with security headers and redirects / there', async () => {
    const host = `localhost:${t.port}`;
    const root = await rawRequest(t.port, { path: '/', headers: { host } });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/admin/');
    const page = await rawRequest(t.port, { path: '/admin/', headers: { host } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const clientRoute = await rawRequest(t.port, { path: '/admin/workspaces/abc', headers: { host } });
    expect(clientRoute.status).toBe(200);
    expect(clientRoute.body).toBe(page.body);
    const api = await rawRequest(t.port, { path: '/api/health', headers: { host } });
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.headers['x-powered-by']).toBeUndefined();
  });

  it('answers unknown API routes with 404 NOT_FOUND and closes upgrades nobody claims', async () => {
    const r = await t.api('GET', '/api/nothing/here');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    const closed = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(t.port, '127.0.0.1', () => {
        socket.write(`GET /api/events HTTP/1.1\r\nHost: localhost:${t.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (c: Buffer) => (data += c.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(closed).not.toMatch(/101 Switching Protocols/);
  });
});
