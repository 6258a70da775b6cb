// `/git/` reverse proxy (server/http/git-proxy.ts) on loopback servers: a stand-in upstream records what it gets
// (prefix stripped, query kept, not decoded) and echoes WebSocket messages; admin hosts get a redirect to the
// participant address (or a 503 when there is none), a server not in use a 503 page.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createGitProxy } from '../../server/http/git-proxy.js';
import { getWithHost } from '../helpers/http-host.js';

let upstream: http.Server;
let front: http.Server;
let upstreamUrl = '';
let target: { hostUrl: string } | { unavailable: string };
let participantBase = 'http://lan.test:8080/';
const seen: Array<{ url: string; host: string | undefined; forwardedFor: string | undefined; cookie?: string | undefined }> = [];

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const get = (path: string, host: string, extraHeaders: Record<string, string> = {}) => getWithHost((front.address() as AddressInfo).port, host, path, extraHeaders);

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', host: req.headers.host, forwardedFor: req.headers['x-forwarded-for'] as string | undefined, cookie: req.headers.cookie });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`upstream ${req.url}`);
  });
  const wss = new WebSocketServer({ server: upstream });
  wss.on('connection', (socket, req) => socket.on('message', (data) => socket.send(`echo ${req.url} ${String(data)}`)));
  upstreamUrl = `http://127.0.0.1:${await listen(upstream)}/`;
  target = { hostUrl: upstreamUrl };
  const proxy = createGitProxy({
    isParticipantHost: (host) => !!host && !host.startsWith('localhost') && !host.startsWith('127.'),
    participantBaseUrl: () => participantBase,
    target: async () => target,
    logger: pino({ level: 'silent' }),
  });
  const app = express();
  app.use(proxy.middleware);
  app.use((_req, res) => res.status(404).send('not git'));
  front = http.createServer(app);
  front.on('upgrade', (req, socket, head) => {
    if (!proxy.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await listen(front);
});

afterAll(async () => {
  await new Promise((resolve) => front.close(resolve));
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('git proxy', () => {
  it('passes /git/… on participant hosts to the server without the prefix, undecoded, with X-Forwarded-For', async () => {
    const answer = await get('/git/u/r%2Fx?tab=a%20b', 'lan.test:8080');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('upstream /u/r%2Fx?tab=a%20b');
    expect(seen.at(-1)).toMatchObject({ url: '/u/r%2Fx?tab=a%20b', host: 'lan.test:8080', forwardedFor: '127.0.0.1' });
    expect((await get('/git/', 'lan.test:8080')).body).toBe('upstream /');
    expect((await get('/gitx', 'lan.test:8080')).body).toBe('not git');
  });

  it("keeps our cookies (seat sessions, participant, code-server's) from Forgejo and passes its own", async () => {
    const cookie = 'xares_gate_abc=s1; i_like_gitea=f1; xares_participant=p1; code-server-session=c1; _csrf=t1';
    expect((await get('/git/u/r', 'lan.test:8080', { cookie })).status).toBe(200);
    expect(seen.at(-1)?.cookie).toBe('i_like_gitea=f1; _csrf=t1');
    await get('/git/u/r', 'lan.test:8080', { cookie: 'xares_gate_abc=s1' });
    expect(seen.at(-1)?.cookie).toBeUndefined();
  });

  it('redirects admin hosts to the participant address; 503 when that would be an admin host too', async () => {
    const before = seen.length;
    const answer = await get('/git/u/r?tab=1', 'localhost:8080');
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('http://lan.test:8080/git/u/r?tab=1');
    participantBase = 'http://localhost:8080/';
    const loop = await get('/git/u/r', '127.0.0.1:8080');
    participantBase = 'http://lan.test:8080/';
    expect(loop.status).toBe(503);
    expect(seen.length).toBe(before);
  });

  it('answers 503 with the escaped reason when there is no server to pass to', async () => {
    target = { unavailable: 'Off <b>now</b>' };
    const answer = await get('/git/', 'lan.test:8080');
    target = { hostUrl: upstreamUrl };
    expect(answer.status).toBe(503);
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.body).toContain('Off &#60;b&#62;now&#60;/b&#62;');
  });

  it('answers 502 with a page when the server does not answer', async () => {
    target = { hostUrl: 'http://127.0.0.1:1/' };
    const answer = await get('/git/', 'lan.test:8080');
    target = { hostUrl: upstreamUrl };
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('did not answer');
  });

  it('passes WebSockets on participant hosts (prefix stripped), refuses them on admin hosts', async () => {
    const port = (front.address() as AddressInfo).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/git/-/ws?x=1`, { headers: { host: 'lan.test:8080' } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hi'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    ws.terminate();
    expect(reply).toBe('echo /-/ws?x=1 hi');
    const admin = new WebSocket(`ws://127.0.0.1:${port}/git/-/ws`, { headers: { host: 'localhost:8080' } });
    await expect(new Promise((resolve, reject) => {
      admin.once('open', resolve);
      admin.once('error', reject);
    })).rejects.toThrow();
  });
});
