// Path seats (`/w/<id>/…` on participant hosts) through the real router, against a loopback Node upstream
// (http + ws): prefix stripping, Set-Cookie paths, redirects, the gate under the prefix, our cookies never
// reaching the workspace, and WebSockets. Plus the host classification and URLs of public-urls.ts.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { hostname } from 'node:os';
import { ConfigError, configFromEnv } from '../../server/config.js';
import { HostGuard } from '../../server/http/host-guard.js';
import { isParticipantPath } from '../../server/routing/participant-access.js';
import { classifyRequestHost, detectLanIPv4, isLoopbackAddress, isLoopbackOnlyHost, joinUrl, seatUrl } from '../../server/routing/public-urls.js';
import { createStaticRouteTable } from '../../server/routing/static-route-table.js';
import { createWorkspaceGate } from '../../server/routing/workspace-gate.js';
import { createWorkspaceRouter, moveCookiePath, prefixLocation, type WorkspaceRouter } from '../../server/routing/workspace-router.js';

const OPEN = 'open00000001';
const FREE = 'free00000001';
const CLAIM_OPEN = 'claim-open-0123456789abcdef012345';
const SEAT_A = 'seata0000001';
const SEAT_B = 'seatb0000001';
const CLAIM_A = 'claim-a-0123456789abcdef0123456789';
const CLAIM_B = 'claim-b-0123456789abcdef0123456789';
const LAN = 'lan.test:8080';

interface Seen {
  url: string;
  cookie: string | undefined;
}

let upstream: http.Server;
let front: http.Server;
let frontPort: number;
let router: WorkspaceRouter;
const seen: Seen[] = [];
const wsSeen: string[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', cookie: req.headers.cookie });
    if (req.url === '/set-cookies') {
      res.writeHead(200, { 'set-cookie': ['a=1; Path=/; Domain=lan.test; HttpOnly', 'b=2', 'c=3; path=/static; Path=/deep'] });
      res.end('ok');
      return;
    }
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/login?x=1' });
      res.end();
      return;
    }
    if (req.url === '/redirect-away') {
      res.writeHead(302, { location: 'http://example.org/' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream ${req.url}`);
  });
  const wss = new WebSocketServer({ server: upstream });
  wss.on('connection', (ws, req) => {
    wsSeen.push(req.url ?? '');
    ws.on('message', (data) => ws.send(`echo ${data.toString()}`));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const routes = createStaticRouteTable([
    { kind: 'running', projectId: OPEN, name: 'Open', port: upstreamPort, claimKey: CLAIM_OPEN },
    { kind: 'running', projectId: FREE, name: 'Free', port: upstreamPort },
    { kind: 'running', projectId: SEAT_A, name: 'Seat A', port: upstreamPort, claimKey: CLAIM_A },
    { kind: 'running', projectId: SEAT_B, name: 'Seat B', port: upstreamPort, claimKey: CLAIM_B },
  ]);
  router = createWorkspaceRouter({
    baseDomain: 'localhost',
    routeTable: routes,
    logger: pino({ level: 'silent' }),
    gate: createWorkspaceGate({ secret: randomBytes(32), verifyPassword: async () => null }),
    isParticipantHost: (host) => host !== undefined && classifyRequestHost(host, { baseDomain: 'localhost' }) === 'participant',
  });
  front = http.createServer((req, res) => {
    if (router.handleRequest(req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('express');
  });
  front.on('upgrade', (req, socket, head) => {
    if (!router.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  frontPort = (front.address() as AddressInfo).port;
});

afterAll(async () => {
  router.close();
  front.closeAllConnections();
  upstream.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
  await new Promise((resolve) => upstream.close(resolve));
});

function get(host: string, path: string, cookie?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: frontPort, path, agent: false, headers: { host, ...(cookie === undefined ? {} : { cookie }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function seatCookie(projectId: string, claimKey: string): string {
  return router.gate!.seatSessionCookie(projectId, claimKey, `/w/${projectId}/`).split(';')[0]!;
}

const openCookie = () => seatCookie(OPEN, CLAIM_OPEN);

describe('path seats on participant hosts', () => {
  it('strip the prefix for the upstream, and only on participant hosts', async () => {
    const reply = await get(LAN, `/w/${OPEN}/static/app.js?v=1`, openCookie());
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('upstream /static/app.js?v=1');
    // The same path on an admin host is not a seat: the caller (Express) gets it.
    expect((await get('localhost:8080', `/w/${OPEN}/`)).body).toBe('express');
    expect((await get('127.0.0.1:8080', `/w/${OPEN}/`)).body).toBe('express');
    // Other paths on participant hosts are the caller's too (join page, API).
    expect((await get(LAN, '/')).body).toBe('express');
    expect((await get(LAN, '/wx')).body).toBe('express');
  });

  it('are not served for workspaces that are neither claimed nor protected (their host route still is)', async () => {
    const refused = await get(LAN, `/w/${FREE}/`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Not open to the network');
    expect((await get(LAN, `/w/${FREE}/__xares/enter?ticket=x`)).status).toBe(403);
    expect((await get(`${FREE}.localhost:8080`, '/')).body).toBe('upstream /');
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/w/${FREE}/socket`, { headers: { host: LAN }, origin: `http://${LAN}` });
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
        ws.once('error', reject);
      }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('redirect the bare prefix, and answer malformed or unknown ids with a page', async () => {
    const bare = await get(LAN, `/w/${OPEN}?folder=/workspace`);
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe(`/w/${OPEN}/?folder=/workspace`);
    expect((await get(LAN, '/w/NOT-AN-ID/')).status).toBe(404);
    expect((await get(LAN, '/w/zzzz00000009/')).status).toBe(404);
    expect((await get(LAN, `/w/${OPEN}x/`)).status).toBe(404);
  });

  it('move Set-Cookie paths under the prefix (no Domain) and give redirects their prefix back', async () => {
    const cookies = (await get(LAN, `/w/${OPEN}/set-cookies`, openCookie())).headers['set-cookie'];
    expect(cookies).toEqual([`a=1; HttpOnly; Path=/w/${OPEN}/`, `b=2; Path=/w/${OPEN}/`, `c=3; Path=/w/${OPEN}/deep`]);
    expect((await get(LAN, `/w/${OPEN}/redirect`, openCookie())).headers.location).toBe(`/w/${OPEN}/login?x=1`);
    expect((await get(LAN, `/w/${OPEN}/redirect-away`, openCookie())).headers.location).toBe('http://example.org/');
    expect(moveCookiePath('x=1; Path=relative', '/w/a')).toBe('x=1; Path=/w/a/');
    expect(prefixLocation('//evil.example/x', '/w/a')).toBe('//evil.example/x');
    expect(prefixLocation('/w/a/already', '/w/a')).toBe('/w/a/already');
  });

  it('let a claimed seat in only with its own seat cookie, and never pass our cookies upstream', async () => {
    const refused = await get(LAN, `/w/${SEAT_A}/`);
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('workshop seat in use');
    const cookieA = seatCookie(SEAT_A, CLAIM_A);
    // A's cookie under B's name, A's cookie on B's path: refused.
    expect((await get(LAN, `/w/${SEAT_B}/`, cookieA)).status).toBe(401);
    expect((await get(LAN, `/w/${SEAT_B}/`, cookieA.replace(SEAT_A, SEAT_B))).status).toBe(401);
    const before = seen.length;
    const inside = await get(LAN, `/w/${SEAT_A}/?folder=/workspace`, `theme=dark; ${cookieA}; xares_participant=p1`);
    expect(inside.status).toBe(200);
    expect(inside.body).toBe('upstream /?folder=/workspace');
    expect(seen.slice(before)).toEqual([{ url: '/?folder=/workspace', cookie: 'theme=dark' }]);
    // The same seat by host (`<id>.localhost`) takes a cookie of its own host; a path cookie value works there too
    // because it is signed for the seat, not the path.
    expect((await get(`${SEAT_A}.localhost:8080`, '/', cookieA)).status).toBe(200);
  });

  it('enter a claimed seat with a ticket under the prefix', async () => {
    const ticket = router.gate!.createEnterTicket(SEAT_B, CLAIM_B);
    const entered = await get(LAN, `/w/${SEAT_B}/__xares/enter?ticket=${ticket}`);
    expect(entered.status).toBe(303);
    expect(entered.headers.location).toBe(`/w/${SEAT_B}/`);
    const cookie = entered.headers['set-cookie']![0]!;
    expect(cookie).toContain(`Path=/w/${SEAT_B}/`);
    expect((await get(LAN, `/w/${SEAT_B}/`, cookie.split(';')[0]!)).status).toBe(200);
    expect((await get(LAN, `/w/${SEAT_B}/__xares/enter?ticket=${ticket}`)).status).toBe(401);
  });

  it('carry WebSockets under the prefix, with the seat cookie only', async () => {
    const open = (path: string, cookie?: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${frontPort}${path}`, { headers: { host: LAN, ...(cookie === undefined ? {} : { cookie }) }, origin: `http://${LAN}` });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
        ws.once('error', reject);
      });
    await expect(open(`/w/${SEAT_A}/socket?x=1`)).rejects.toMatchObject({ status: 401 });
    const ws = await open(`/w/${SEAT_A}/socket?x=1`, seatCookie(SEAT_A, CLAIM_A));
    const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    ws.send('hi');
    expect(await reply).toBe('echo hi');
    expect(wsSeen.at(-1)).toBe('/socket?x=1');
    ws.terminate();
  });
});

describe('public URLs', () => {
  it('classify loopback names and the base domain as admin, every other host as participant', () => {
    for (const host of ['localhost:8080', 'LOCALHOST', '127.0.0.1:1', '127.9.9.9', '[::1]:8080', 'ws.example.org:8080', undefined, '']) {
      expect(classifyRequestHost(host, { baseDomain: 'ws.example.org' })).toBe('admin');
    }
    for (const host of ['192.168.1.20:8080', 'lan.test', 'lab-pc.local:8080', '[fe80::1]:8080', '10.0.0.1']) {
      expect(classifyRequestHost(host, { baseDomain: 'ws.example.org' })).toBe('participant');
    }
  });

  it('build seat URLs for the host the participant used, and the join URL from publicHost', () => {
    expect(seatUrl(OPEN, '192.168.1.20:8080', { baseDomain: 'localhost', port: 8080 })).toBe(`http://192.168.1.20:8080/w/${OPEN}/`);
    expect(seatUrl(OPEN, 'localhost:8080', { baseDomain: 'localhost', port: 8080 })).toBe(`http://${OPEN}.localhost:8080/`);
    expect(seatUrl(OPEN, undefined, { baseDomain: 'localhost', port: 9000 })).toBe(`http://${OPEN}.localhost:9000/`);
    expect(joinUrl({ publicHost: 'lab-pc.local' }, 8080)).toBe('http://lab-pc.local:8080/');
    expect(joinUrl({ publicHost: 'fe80::1' }, 8080)).toBe('http://[fe80::1]:8080/');
    expect(joinUrl({}, 8080)).toMatch(/^http:\/\/[^/]+:8080\/$/);
  });

  it('let participant hosts reach only the join page, its assets and the public workshop API', () => {
    for (const path of ['/', '/join/', '/join/assets/x.js', '/join/enter', '/api/health', '/api/workshop/status', '/api/workshop/claim', '/api/workshop/me']) {
      expect(isParticipantPath(path)).toBe(true);
    }
    for (const path of ['/admin/', '/admin', '/api/projects', '/api/events', '/api/auth/exchange', '/api/workshop/claims', '/api/workshop/board', '/api/workshop/settings', '/API/projects', '/api/workshop/me/', '/index.html']) {
      expect(isParticipantPath(path)).toBe(false);
    }
  });

  it('read XARES_PUBLIC_HOST as a host name or IP address, and refuse anything else', () => {
    expect(configFromEnv({ XARES_PUBLIC_HOST: ' Lab-PC.local ' }).publicHost).toBe('lab-pc.local');
    expect(configFromEnv({ XARES_PUBLIC_HOST: '192.168.1.20' }).publicHost).toBe('192.168.1.20');
    expect(configFromEnv({ XARES_PUBLIC_HOST: 'fe80::1' }).publicHost).toBe('fe80::1');
    expect(configFromEnv({}).publicHost).toBeUndefined();
    for (const bad of ['http://lab-pc/', 'lab pc', 'lab-pc:8080', '<script>', 'a/b']) {
      expect(() => configFromEnv({ XARES_PUBLIC_HOST: bad }), bad).toThrow(ConfigError);
    }
  });

  it('detect the LAN address on a real interface, not on Docker or VM bridges or link-local ones', () => {
    const nic = (address: string, internal = false) => ({ address, internal, family: 'IPv4' as const, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` });
    expect(
      detectLanIPv4({ lo: [nic('127.0.0.1', true)], docker0: [nic('172.17.0.1')], 'br-1234': [nic('172.18.0.1')], veth0: [nic('172.17.0.5')], wlan0: [nic('169.254.3.3'), nic('192.168.1.20')] }),
    ).toBe('192.168.1.20');
    expect(detectLanIPv4({ eth0: [nic('203.0.113.7')], eth1: [nic('10.1.2.3')] })).toBe('10.1.2.3');
    expect(detectLanIPv4({ eth0: [nic('203.0.113.7')] })).toBe('203.0.113.7');
    expect(detectLanIPv4({ lo: [nic('127.0.0.1', true)], docker0: [nic('172.17.0.1')] })).toBeUndefined();
  });

  it('accept the machine name, its mDNS name and publicHost on our port only; nothing else', () => {
    const guard = new HostGuard('localhost', () => 8080, ['lab-pc.example.org']);
    const machine = hostname().toLowerCase();
    expect(guard.isOurHost(`${machine}:8080`)).toBe(true);
    if (!machine.includes('.')) expect(guard.isOurHost(`${machine}.local:8080`)).toBe(true);
    expect(guard.isOurHost('lab-pc.example.org:8080')).toBe(true);
    expect(guard.isOurHost('lab-pc.example.org:8081')).toBe(false);
    expect(guard.isOurHost('evil.example:8080')).toBe(false);
  });

  it('tell loopback peers and loopback-only host names', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['192.168.1.20', '::ffff:192.168.1.20', 'fe80::1', '', undefined]) expect(isLoopbackAddress(address), String(address)).toBe(false);
    for (const host of ['localhost:8080', 'LOCALHOST', 'abc123def456.localhost:8080', 'abc123def456-5000.localhost', '127.0.0.1:8080', '[::1]:8080']) {
      expect(isLoopbackOnlyHost(host), host).toBe(true);
    }
    for (const host of ['lan.test:8080', '192.168.1.20:8080', 'ws.example.org', 'notlocalhost:1', undefined]) expect(isLoopbackOnlyHost(host), String(host)).toBe(false);
  });
});
