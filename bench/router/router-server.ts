// Minimal server for the router benchmark: one Node http server with createWorkspaceRouter in front of a
// static route table holding one running workspace. Run by bench/router/run.ts as a child process, so that
// autocannon and the router do not share one event loop.
//
// Usage: node --import tsx bench/router/router-server.ts <projectId> <upstreamPort>
// Prints `LISTENING <port>` on stdout once it listens on 127.0.0.1 (a free port).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createStaticRouteTable } from '../../server/routing/static-route-table.js';
import { createWorkspaceRouter } from '../../server/routing/workspace-router.js';

const [projectId, upstreamPortText] = process.argv.slice(2);
const upstreamPort = Number(upstreamPortText);
if (!projectId || !Number.isInteger(upstreamPort) || upstreamPort < 1 || upstreamPort > 65535) {
  console.error('usage: router-server.ts <projectId> <upstreamPort>');
  process.exit(2);
}

const router = createWorkspaceRouter({
  baseDomain: 'localhost',
  routeTable: createStaticRouteTable([{ kind: 'running', projectId, name: 'bench', port: upstreamPort }]),
  logger: pino({ level: 'warn' }),
});
// Same server settings as server/app.ts uses in production.
const server = http.createServer((req, res) => {
  if (router.handleRequest(req, res)) return;
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  if (!router.handleUpgrade(req, socket, head)) socket.destroy();
});
server.requestTimeout = 0;
server.timeout = 0;
server.headersTimeout = 120_000;
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});

function stop(): void {
  router.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away: do not linger.
process.stdin.on('end', stop);
process.stdin.resume();
