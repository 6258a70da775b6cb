// Workspace router against real upstreams: Node http + ws servers on 127.0.0.1 (first block), and a real
// code-server container from the workspace image (second block).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { readWorkspaceImageSpec } from '../../server/images/image-builder.js';
import { CODE_SERVER_PORT } from '../../server/runtime/workspace-runtime.js';
import { createStaticRouteTable, type StaticRouteTable } from '../../server/routing/static-route-table.js';
import { createWorkspaceRouter, type WorkspaceRouter } from '../../server/routing/workspace-router.js';

const execFileAsync = promisify(execFile);
const silent = pino({ level: 'silent' });

const RUNNING_ID = 'run000000001';
const APP_ID = 'app000000001';
const DEAD_ID = 'dead00000001';
const CREATING_ID = 'new000000001';
const STOPPED_ID = 'stop00000001';
const ERROR_ID = 'err000000001';
const UNKNOWN_ID = 'zzz000000009';
const MiB = 1024 * 1024;

// --- small helpers ----------------------------------------------------------------------------------------

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws with `what`). */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function listen(server: http.Server | net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server | net.Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the router with an explicit Host header; a fresh connection each time. */
function request(port: number, host: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false, headers: { host, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

function openWebSocket(port: number, host: string, path = '/ws', origin = `http://${host}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host }, origin, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') })));
    });
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: RawData) => resolve(data.toString()));
    ws.once('close', () => reject(new Error('closed before a message')));
  });
}

/** Sends a raw upgrade request and returns everything the server wrote until it closed the connection. */
function rawUpgrade(port: number, host: string, path = '/ws'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
    );
  });
}

/** Node http server with the router in front of a stand-in dashboard, as the real server wires it. */
function routerServer(router: WorkspaceRouter, options: http.ServerOptions = {}): http.Server {
  const server = http.createServer(options, (req, res) => {
    if (router.handleRequest(req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('dashboard');
  });
  server.on('upgrade', (req, socket, head) => {
    if (!router.handleUpgrade(req, socket, head)) socket.destroy();
  });
  return server;
}

// --- upstream: plain Node http + ws on loopback --------------------------------------------------------------

interface UpstreamLog {
  lastHeaders: http.IncomingHttpHeaders;
  lastUrl: string;
  wsHandshakes: http.IncomingHttpHeaders[];
  uploadSeen: number;
  abortedResponses: number;
}

function createUpstream(): { server: http.Server; wss: WebSocketServer; log: UpstreamLog } {
  const log: UpstreamLog = { lastHeaders: {}, lastUrl: '', wsHandshakes: [], uploadSeen: 0, abortedResponses: 0 };
  const server = http.createServer((req, res) => {
    log.lastHeaders = req.headers;
    log.lastUrl = req.url ?? '';
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/upload' || url.pathname === '/proxy/5000/upload') {
      let bytes = 0;
      log.uploadSeen = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        log.uploadSeen = bytes;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes }));
      });
      return;
    }
    if (url.pathname === '/download') {
      const total = Number(url.searchParams.get('mb') ?? '1') * MiB;
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    if (url.pathname === '/endless') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 10);
      res.on('close', () => {
        clearInterval(timer);
        if (!res.writableFinished) log.abortedResponses += 1;
      });
      return;
    }
    if (url.pathname === '/reset-midway') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.write('partial');
      setImmediate(() => req.socket.destroy());
      return;
    }
    if (url.pathname === '/cookies') {
      res.writeHead(200, {
        'set-cookie': ['a=1; Domain=localhost; Path=/', 'b=2; Path=/; domain=.localhost; Domain=localhost; HttpOnly', 'c=3; Path=/'],
      });
      res.end('ok');
      return;
    }
    if (url.pathname === '/proxy/5000/redirect') {
      res.writeHead(302, { location: '/proxy/5000/target?x=1' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    log.wsHandshakes.push(req.headers);
    ws.on('message', (data, isBinary) => ws.send(isBinary ? data : `echo:${data.toString()}`, { binary: isBinary }));
  });
  return { server, wss, log };
}

describe('workspace router with a local upstream', () => {
  let upstream: ReturnType<typeof createUpstream>;
  let upstreamPort: number;
  let routes: StaticRouteTable;
  let router: WorkspaceRouter;
  let server: http.Server;
  let port: number;
  let host: string;

  beforeAll(async () => {
    upstream = createUpstream();
    upstreamPort = await listen(upstream.server);
    const refusedPort = await deadPort();
    routes = createStaticRouteTable([
      { kind: 'running', projectId: RUNNING_ID, name: 'Running one', port: upstreamPort },
      { kind: 'running', projectId: APP_ID, name: 'App one', port: upstreamPort },
      { kind: 'running', projectId: DEAD_ID, name: 'Dead <one>', port: refusedPort },
      { kind: 'not-running', projectId: CREATING_ID, name: 'New & shiny', status: 'creating' },
      { kind: 'not-running', projectId: STOPPED_ID, name: 'Stopped one', status: 'stopped' },
      { kind: 'not-running', projectId: ERROR_ID, name: 'Broken one', status: 'error', reason: 'image <b>missing</b>' },
    ]);
    router = createWorkspaceRouter({ baseDomain: 'localhost', routeTable: routes, logger: silent });
    server = routerServer(router);
    port = await listen(server);
    host = `${RUNNING_ID}.localhost:${port}`;
  });

  afterAll(async () => {
    router.close();
    await closeServer(server);
    upstream.wss.close();
    await closeServer(upstream.server);
  });

  it('proxies GET with Host and Origin exactly as sent, and sets X-Forwarded-* itself', async () => {
    const reply = await request(port, `${RUNNING_ID.toUpperCase()}.LocalHost:${port}`, '/some/path?q=1&r=%20x', {
      headers: { origin: 'http://somewhere.example', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example', forwarded: 'for=6.6.6.6;host=evil' },
    });
    expect(reply.status).toBe(200);
    const seen = JSON.parse(reply.body) as { url: string; headers: http.IncomingHttpHeaders };
    expect(seen.url).toBe('/some/path?q=1&r=%20x');
    expect(seen.headers.host).toBe(`${RUNNING_ID.toUpperCase()}.LocalHost:${port}`);
    expect(seen.headers.origin).toBe('http://somewhere.example');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(`${RUNNING_ID.toUpperCase()}.LocalHost:${port}`);
    expect(seen.headers['x-forwarded-port']).toBe(String(port));
    expect(seen.headers.forwarded).toBeUndefined();
    // The request target goes through byte for byte (no re-serialisation).
    const odd = await request(port, host, '/a\\b/%2e%2E/c?x=%zz&y');
    expect((JSON.parse(odd.body) as { url: string }).url).toBe('/a\\b/%2e%2E/c?x=%zz&y');
  });

  it('sends everything on a workspace host to the workspace, /api and /admin included', async () => {
    for (const path of ['/api/health', '/api/projects/', '/admin/']) {
      const reply = await request(port, host, path);
      expect(reply.status).toBe(200);
      expect((JSON.parse(reply.body) as { url: string }).url).toBe(path);
    }
    // The dashboard stays on the bare base domain and on addresses.
    expect((await request(port, `localhost:${port}`, '/')).body).toBe('dashboard');
    expect((await request(port, `127.0.0.1:${port}`, '/')).body).toBe('dashboard');
  });

  it('answers any other subdomain of the base domain with a 404 page, never the dashboard', async () => {
    for (const name of ['admin', `x.${RUNNING_ID}`, `${RUNNING_ID}-0`, `${RUNNING_ID}-65536`, 'scr&lt;ipt']) {
      const reply = await request(port, `${name}.localhost:${port}`, '/');
      expect(reply.status, name).toBe(404);
      expect(reply.body).toContain('No workspace here');
      expect(reply.body).not.toContain('dashboard');
    }
  });

  it('streams a 100 MB upload without buffering it', async () => {
    const total = 100 * MiB;
    const chunk = randomBytes(MiB);
    let sent = 0;
    let firstChunkArrived = false;
    const body = new Readable({
      read() {
        if (sent === 0) {
          sent += chunk.length;
          this.push(chunk);
          // Send the rest only after the upstream has received the first MiB: a proxy that buffered the
          // body before forwarding it would never get there and this test would time out.
          void waitFor('the first MiB at the upstream', () => upstream.log.uploadSeen >= MiB, 20_000).then(() => {
            firstChunkArrived = true;
            this.push(chunk);
            sent += chunk.length;
          });
          return;
        }
        if (!firstChunkArrived) return;
        if (sent >= total) {
          this.push(null);
          return;
        }
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const reply = await request(port, host, '/upload', { method: 'POST', body, headers: { 'content-length': String(total), 'content-type': 'application/octet-stream' } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ bytes: total });
  }, 60_000);

  it('streams a chunked upload (no Content-Length) and a 100 MB download', async () => {
    const parts = Array.from({ length: 20 }, () => randomBytes(100_000));
    const upload = await request(port, host, '/upload', { method: 'PUT', body: Readable.from(parts) });
    expect(JSON.parse(upload.body)).toEqual({ bytes: 2_000_000 });

    const received = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/download?mb=100', agent: false, headers: { host } }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(received).toBe(100 * MiB);
  }, 60_000);

  it('makes workspace cookies host-only (no Domain attribute survives)', async () => {
    const reply = await request(port, host, '/cookies');
    expect(reply.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3; Path=/']);
  });

  it('proxies a WebSocket with Host and Origin as sent, text and binary both ways', async () => {
    const before = upstream.log.wsHandshakes.length;
    const ws = await openWebSocket(port, host, '/ws?token=1');
    const handshake = upstream.log.wsHandshakes[before];
    expect(handshake?.host).toBe(host);
    expect(handshake?.origin).toBe(`http://${host}`);
    expect(handshake?.['x-forwarded-host']).toBe(host);
    ws.send('hello');
    expect(await nextMessage(ws)).toBe('echo:hello');
    const binary = randomBytes(256 * 1024);
    const echoed = new Promise<Buffer>((resolve) => ws.once('message', (data) => resolve(data as Buffer)));
    ws.send(binary);
    expect((await echoed).equals(binary)).toBe(true);
    ws.close();
  });

  it('disconnect(id) ends both ends of that workspace\'s WebSockets and its kept-alive connections, and nothing else', async () => {
    const closeOf = (emitter: { once(event: 'close', listener: () => void): unknown }) => new Promise<void>((resolve) => emitter.once('close', () => resolve()));
    const upstreamEnd = new Promise<WebSocket>((resolve) => upstream.wss.once('connection', (ws) => resolve(ws)));
    const ws = await openWebSocket(port, host, '/ws');
    const upstreamClosed = closeOf(await upstreamEnd);
    const other = await openWebSocket(port, `${APP_ID}.localhost:${port}`, '/ws');
    // A kept-alive client connection that carried one request to the workspace.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const kept = await new Promise<net.Socket>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/x', agent, headers: { host } }, (res) => {
        const socket = res.socket as net.Socket;
        res.resume();
        res.on('end', () => resolve(socket));
      }).on('error', reject);
    });
    try {
      const ended = Promise.all([closeOf(ws), upstreamClosed, closeOf(kept)]);
      expect(router.disconnect(RUNNING_ID)).toBeGreaterThanOrEqual(3);
      await ended;
      // Another workspace's WebSocket is untouched; a workspace without connections is a no-op.
      other.send('still here');
      expect(await nextMessage(other)).toBe('echo:still here');
      expect(router.disconnect(RUNNING_ID)).toBe(0);
      expect(router.disconnect('nosuchworkspace')).toBe(0);
      // A new connection goes through again (no gate here: the route is open).
      const again = await openWebSocket(port, host, '/ws');
      again.send('back');
      expect(await nextMessage(again)).toBe('echo:back');
      again.close();
    } finally {
      other.close();
      agent.destroy();
    }
  });

  it('connects the very first WebSocket of a fresh router at once, and again after the upstream restarts', async () => {
    const freshRouter = createWorkspaceRouter({ baseDomain: 'localhost', routeTable: routes, logger: silent });
    const freshServer = routerServer(freshRouter);
    const freshPort = await listen(freshServer);
    const freshHost = `${RUNNING_ID}.localhost:${freshPort}`;
    try {
      const first = await openWebSocket(freshPort, freshHost);
      first.send('one');
      expect(await nextMessage(first)).toBe('echo:one');
      // Fill the keep-alive pool, then restart the upstream on the same port: pooled sockets go stale.
      await Promise.all(Array.from({ length: 8 }, () => keepAliveGet(freshPort, freshHost)));
      first.terminate();
      upstream.wss.close();
      await closeServer(upstream.server);
      upstream = createUpstream();
      await listen(upstream.server, upstreamPort);
      const again = await openWebSocket(freshPort, freshHost);
      again.send('two');
      expect(await nextMessage(again)).toBe('echo:two');
      again.close();
      for (let i = 0; i < 8; i += 1) expect((await request(freshPort, freshHost, '/after-restart')).status).toBe(200);
    } finally {
      freshRouter.close();
      await closeServer(freshServer);
    }
  });

  it('sends a body-less request once more when its pooled upstream connection turns out dead', async () => {
    // An upstream that drops every connection at its second request: exactly what a keep-alive connection
    // closed by the upstream while we reuse it looks like.
    const served = new WeakMap<object, number>();
    const flaky = http.createServer((req, res) => {
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (count > 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`served ${req.method}`);
    });
    const flakyPort = await listen(flaky);
    const flakyRoutes = createStaticRouteTable([{ kind: 'running', projectId: RUNNING_ID, name: 'Flaky', port: flakyPort }]);
    const flakyRouter = createWorkspaceRouter({ baseDomain: 'localhost', routeTable: flakyRoutes, logger: silent });
    const flakyServer = routerServer(flakyRouter);
    const flakyServerPort = await listen(flakyServer);
    const flakyHost = `${RUNNING_ID}.localhost:${flakyServerPort}`;
    try {
      for (let i = 0; i < 3; i += 1) {
        const reply = await request(flakyServerPort, flakyHost, '/again');
        expect(reply.status).toBe(200);
        expect(reply.body).toBe('served GET');
      }
      // A request with a body is never sent twice: the client gets the 502 page.
      await request(flakyServerPort, flakyHost, '/fill-pool');
      expect((await request(flakyServerPort, flakyHost, '/post', { method: 'POST', body: Buffer.from('x') })).status).toBe(502);
    } finally {
      flakyRouter.close();
      await closeServer(flakyServer);
      await closeServer(flaky);
    }
  });

  it('routes app ports through code-server’s /proxy/<port>/ and undoes its redirect prefix', async () => {
    const appHost = `${APP_ID}-5000.localhost:${port}`;
    const reply = await request(port, appHost, '/static/app.js?v=2');
    expect((JSON.parse(reply.body) as { url: string }).url).toBe('/proxy/5000/static/app.js?v=2');
    const redirect = await request(port, appHost, '/redirect');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/target?x=1');
    const upload = await request(port, appHost, '/upload', { method: 'POST', body: randomBytes(12345) });
    expect(JSON.parse(upload.body)).toEqual({ bytes: 12345 });
    const ws = await openWebSocket(port, appHost, '/socket');
    expect(upstream.log.wsHandshakes.at(-1)?.host).toBe(appHost);
    ws.send('app');
    expect(await nextMessage(ws)).toBe('echo:app');
    ws.close();
  });

  it('answers unknown and not-running workspaces with escaped pages', async () => {
    const unknown = await request(port, `${UNKNOWN_ID}.localhost:${port}`, '/');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(unknown.body).toContain(UNKNOWN_ID);
    expect(unknown.body).toContain('Workspace not found');

    const creating = await request(port, `${CREATING_ID}.localhost:${port}`, '/');
    expect(creating.status).toBe(503);
    expect(creating.headers.refresh).toBe('3');
    expect(creating.body).toContain('New &amp; shiny');
    expect(creating.body).toContain('<meta http-equiv="refresh" content="3">');

    const stopped = await request(port, `${STOPPED_ID}.localhost:${port}`, '/x');
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain('is stopped');

    const failed = await request(port, `${ERROR_ID}.localhost:${port}`, '/');
    expect(failed.status).toBe(503);
    expect(failed.body).toContain('image &lt;b&gt;missing&lt;/b&gt;');
    expect(failed.body).not.toContain('<b>missing');

    const head = await request(port, `${STOPPED_ID}.localhost:${port}`, '/', { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(head.body).toBe('');
  });

  it('answers 502 when the workspace refuses the connection, and keeps serving', async () => {
    const refused = await request(port, `${DEAD_ID}.localhost:${port}`, '/');
    expect(refused.status).toBe(502);
    expect(refused.body).toContain('Dead &lt;one&gt;');
    const upload = await request(port, `${DEAD_ID}.localhost:${port}`, '/upload', { method: 'POST', body: randomBytes(2 * MiB) }).catch((err: NodeJS.ErrnoException) => err.code ?? 'error');
    // Either a 502 page or a reset while the body was still being sent; never a hang or a crash.
    expect(typeof upload === 'string' ? upload : upload.status).toSatisfy((value: unknown) => value === 502 || value === 'ECONNRESET' || value === 'EPIPE');
    expect((await request(port, host, '/still-alive')).status).toBe(200);
  });

  it('answers WebSockets to missing, stopped and unreachable workspaces with an HTTP error and closes them', async () => {
    expect(await rawUpgrade(port, `${UNKNOWN_ID}.localhost:${port}`)).toMatch(/^HTTP\/1\.1 404 /);
    expect(await rawUpgrade(port, `${STOPPED_ID}.localhost:${port}`)).toMatch(/^HTTP\/1\.1 503 /);
    expect(await rawUpgrade(port, `${CREATING_ID}.localhost:${port}`)).toMatch(/^HTTP\/1\.1 503 /);
    const refused = await rawUpgrade(port, `${DEAD_ID}.localhost:${port}`);
    expect(refused).toMatch(/^HTTP\/1\.1 502 /);
    expect(refused).toContain('connection: close');
    expect(await rawUpgrade(port, `nothing.localhost:${port}`)).toMatch(/^HTTP\/1\.1 404 /);
    await expect(openWebSocket(port, `${STOPPED_ID}.localhost:${port}`)).rejects.toMatchObject({ status: 503 });
  });

  it('answers a failing route table with a 503 page, and non-WebSocket upgrades with 400', async () => {
    const brokenRouter = createWorkspaceRouter({
      baseDomain: 'localhost',
      routeTable: {
        resolve() {
          throw new Error('route table exploded');
        },
      },
      logger: silent,
    });
    const brokenServer = routerServer(brokenRouter);
    const brokenPort = await listen(brokenServer);
    try {
      expect((await request(brokenPort, `${RUNNING_ID}.localhost`, '/')).status).toBe(503);
      expect(await rawUpgrade(brokenPort, `${RUNNING_ID}.localhost`)).toMatch(/^HTTP\/1\.1 503 /);
    } finally {
      brokenRouter.close();
      await closeServer(brokenServer);
    }
    const h2c = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`);
    });
    expect(h2c).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('cuts the client connection when the upstream resets mid-response, without crashing', async () => {
    const outcome = await request(port, host, '/reset-midway').then(
      (reply) => `status ${reply.status}`,
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    expect(outcome).not.toBe('status 200');
    expect((await request(port, host, '/still-alive')).status).toBe(200);
  });

  it('releases the upstream request when the client goes away mid-response', async () => {
    const before = upstream.log.abortedResponses;
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/endless', agent: false, headers: { host } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.setTimeout(10_000, () => reject(new Error('no data')));
    });
    await waitFor('the upstream response to be abandoned', () => upstream.log.abortedResponses > before);
  });
});

/** A GET on a keep-alive agent that is left open afterwards (fills the router's upstream pool). */
async function keepAliveGet(port: number, host: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/pool', agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject);
  });
  agent.destroy();
}

describe('workspace router and server timeouts', () => {
  let upstream: ReturnType<typeof createUpstream>;
  let router: WorkspaceRouter;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    upstream = createUpstream();
    const upstreamPort = await listen(upstream.server);
    router = createWorkspaceRouter({
      baseDomain: 'localhost',
      routeTable: createStaticRouteTable([{ kind: 'running', projectId: RUNNING_ID, name: 'Idle', port: upstreamPort }]),
      logger: silent,
    });
    // Every Node server timeout made very short, so that any of them applying to proxied WebSockets would
    // cut the idle one below long before the test ends.
    server = routerServer(router, { requestTimeout: 400, headersTimeout: 300, keepAliveTimeout: 200, connectionsCheckingInterval: 50 });
    server.setTimeout(300);
    port = await listen(server);
  });

  afterAll(async () => {
    router.close();
    await closeServer(server);
    upstream.wss.close();
    await closeServer(upstream.server);
  });

  it('keeps an idle WebSocket open far beyond every server timeout', async () => {
    // Control: the short timeouts are in force (a request whose headers never finish is cut).
    const cut = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET / HTTP/1.1\r\nHost: ${RUNNING_ID}.localhost\r\n`));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
      socket.resume();
    });
    expect(cut).toBeLessThan(3_000);

    const host = `${RUNNING_ID}.localhost:${port}`;
    const ws = await openWebSocket(port, host);
    let closed = false;
    ws.on('close', () => (closed = true));
    // Idle for ten times the longest timeout configured above (the point of the test, not a synchronisation).
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(closed).toBe(false);
    ws.send('still here');
    expect(await nextMessage(ws)).toBe('echo:still here');
    ws.close();
  }, 20_000);

  it('close() ends proxied WebSockets and later requests get a 503 page', async () => {
    const host = `${RUNNING_ID}.localhost:${port}`;
    const ws = await openWebSocket(port, host);
    const closedEvent = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    router.close();
    await closedEvent;
    expect((await request(port, host, '/')).status).toBe(503);
  });
});

// --- real code-server ------------------------------------------------------------------------------------

/** Tag of the workspace image, as the global setup chooses it: XARES_WORKSPACE_IMAGE, else resources/…/image.json. */
function workspaceImageTag(): string {
  return process.env.XARES_WORKSPACE_IMAGE || readWorkspaceImageSpec(fileURLToPath(new URL('../../resources', import.meta.url))).tag;
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { maxBuffer: 16 * MiB });
  return stdout.trim();
}

async function imageExists(tag: string): Promise<boolean> {
  return docker('image', 'inspect', tag).then(
    () => true,
    () => false,
  );
}

describe('workspace router with a real code-server container', () => {
  const testId = `router-${randomBytes(4).toString('hex')}`;
  const projectId = randomBytes(6).toString('hex');
  let containerId = '';
  let router: WorkspaceRouter;
  let server: http.Server;
  let port: number;
  let host: string;

  beforeAll(async () => {
    const tag = workspaceImageTag();
    if (!(await imageExists(tag))) throw new Error(`workspace image ${tag} is not on the engine; build it first (npm run images)`);
    // The image's default command runs code-server on 0.0.0.0:<CODE_SERVER_PORT> without a password (--auth none).
    containerId = await docker('run', '-d', '--rm', '--label', `xares.instance=${testId}`, '-p', `127.0.0.1::${CODE_SERVER_PORT}`, tag);
    const mapping = await docker('port', containerId, `${CODE_SERVER_PORT}/tcp`);
    const codeServerPort = Number(/:(\d+)\s*$/m.exec(mapping)?.[1]);
    await waitFor(
      'code-server /healthz',
      () =>
        new Promise<boolean>((resolve) => {
          http.get({ host: '127.0.0.1', port: codeServerPort, path: '/healthz', agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          }).on('error', () => resolve(false));
        }),
      60_000,
    );
    router = createWorkspaceRouter({
      baseDomain: 'localhost',
      routeTable: createStaticRouteTable([{ kind: 'running', projectId, name: 'Real one', port: codeServerPort }]),
      logger: silent,
    });
    server = routerServer(router);
    port = await listen(server);
    host = `${projectId}.localhost:${port}`;
  }, 120_000);

  afterAll(async () => {
    router?.close();
    if (server) await closeServer(server);
    if (containerId) await docker('rm', '-f', containerId).catch(() => undefined);
  });

  it('returns the workbench HTML through the router', async () => {
    const reply = await request(port, host, '/');
    // code-server may redirect `/` to `/?folder=...`; follow one redirect on the same host.
    const page = reply.status >= 300 && reply.status < 400 && reply.headers.location ? await request(port, host, new URL(reply.headers.location, `http://${host}`).pathname + new URL(reply.headers.location, `http://${host}`).search) : reply;
    expect(page.status).toBe(200);
    expect(page.body).toContain('workbench');
  });

  it('opens code-server’s WebSocket through the router and exchanges data', async () => {
    const path = `/?reconnectionToken=${randomBytes(8).toString('hex')}&reconnection=false&skipWebSocketFrames=false`;
    // code-server's origin check accepts the socket only because Host and Origin arrive unchanged...
    const ws = await openWebSocket(port, host, path);
    const reply = new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (data) => resolve(data as Buffer));
      ws.once('close', () => reject(new Error('closed without a reply')));
    });
    // VS Code's remote protocol: a control message (13-byte header: type 2, id, ack, length) carrying the
    // client's auth handshake; the server answers with a control message of its own ('sign' or 'error').
    const payload = Buffer.from(JSON.stringify({ type: 'auth', auth: '00000000000000000000', data: randomBytes(8).toString('hex') }));
    const header = Buffer.alloc(13);
    header.writeUInt8(2, 0);
    header.writeUInt32BE(payload.length, 9);
    ws.send(Buffer.concat([header, payload]));
    const frame = await reply;
    expect(frame.readUInt8(0)).toBe(2);
    expect(frame.subarray(13).toString('utf8')).toMatch(/"type":"(sign|error)"/);
    ws.terminate();
    // ...and refuses one whose Origin names another host.
    await expect(openWebSocket(port, host, path, 'http://elsewhere.localhost')).rejects.toMatchObject({ status: 403 });
  });

  it('reaches an app port inside the workspace through <id>-<port>.localhost', async () => {
    await docker('exec', '-d', containerId, 'sh', '-c', 'cd /tmp && mkdir -p site/sub && echo app-root-ok > site/index.html && echo deep-ok > site/sub/page.txt && cd site && exec python3 -m http.server 5000');
    const appHost = `${projectId}-5000.localhost:${port}`;
    let reply: Reply | undefined;
    await waitFor('the app on port 5000', async () => {
      reply = await request(port, appHost, '/');
      return reply.status === 200;
    }, 30_000);
    expect(reply?.body).toContain('app-root-ok');
    const deep = await request(port, appHost, '/sub/page.txt');
    expect(deep.body).toContain('deep-ok');
    // A directory without trailing slash: python redirects to `/sub/`; on the app host it must stay at root.
    const redirect = await request(port, appHost, '/sub');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/sub/');
  });

  it('answers an app port with nothing listening with our 502 page, and passes an app’s own 500 through', async () => {
    // Nothing listens on 5002 inside the container: code-server's port proxy answers 500 `connect ECONNREFUSED`.
    const emptyHost = `${projectId}-5002.localhost:${port}`;
    const nothing = await request(port, emptyHost, '/some/page');
    expect(nothing.status).toBe(502);
    expect(nothing.headers['content-type']).toMatch(/^text\/html/);
    expect(nothing.body).toContain('Nothing is listening on port 5002 in this workspace yet.');
    expect(nothing.body).not.toContain('ECONNREFUSED');

    // An app whose own 500s are forwarded unchanged: with a content type, without one, and a long one.
    const app = [
      'import http.server',
      'class H(http.server.BaseHTTPRequestHandler):',
      '    def do_GET(self):',
      '        body = {"/typed": b"app says no", "/untyped": b"connect ECONNREFUSED 0.0.0.0:5002", "/long": b"x" * 100000}.get(self.path, b"ok")',
      '        self.send_response(200 if body == b"ok" else 500)',
      '        if self.path == "/typed": self.send_header("Content-Type", "text/plain; charset=utf-8")',
      '        self.send_header("Content-Length", str(len(body)))',
      '        self.end_headers()',
      '        self.wfile.write(body)',
      'http.server.ThreadingHTTPServer(("0.0.0.0", 5003), H).serve_forever()',
    ].join('\n');
    await docker('exec', '-d', containerId, 'python3', '-c', app);
    const appHost = `${projectId}-5003.localhost:${port}`;
    await waitFor('the app on port 5003', async () => (await request(port, appHost, '/')).status === 200, 30_000);
    const typed = await request(port, appHost, '/typed');
    expect(typed.status).toBe(500);
    expect(typed.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(typed.body).toBe('app says no');
    // Same body as code-server's message, but for another port: the app's, not ours.
    const untyped = await request(port, appHost, '/untyped');
    expect(untyped.status).toBe(500);
    expect(untyped.body).toBe('connect ECONNREFUSED 0.0.0.0:5002');
    const long = await request(port, appHost, '/long');
    expect(long.status).toBe(500);
    expect(long.body).toBe('x'.repeat(100_000));
  });

  it('carries a WebSocket to an app port inside the workspace', async () => {
    // A WebSocket echo app on port 5001, written with the `ws` package code-server itself ships.
    const app = "const { WebSocketServer } = require('/usr/local/lib/code-server/node_modules/ws'); new WebSocketServer({ port: 5001 }).on('connection', (ws, req) => ws.on('message', (m) => ws.send('app-echo:' + req.url + ':' + m)));";
    await docker('exec', '-d', containerId, 'node', '-e', app);
    const appHost = `${projectId}-5001.localhost:${port}`;
    let ws: WebSocket | undefined;
    await waitFor('the WebSocket app on port 5001', async () => {
      ws = await openWebSocket(port, appHost, '/live?x=1').catch(() => undefined);
      return ws !== undefined;
    }, 30_000);
    ws?.send('ping');
    expect(await nextMessage(ws as WebSocket)).toBe('app-echo:/live?x=1:ping');
    ws?.close();
  });
});
