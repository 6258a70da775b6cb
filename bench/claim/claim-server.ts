// Server for the claim benchmark: the real backend (startServer: routers, auth, the claim transaction, SQLite
// on a fresh data dir) with <seats> workspaces of one open workshop group that "run" on the fake seat runtime
// (tests/helpers/fake-seat-runtime.ts: no Docker, so 200 seats cost nothing but their records). Run by
// bench/claim/run.ts as a child process, so the clients and the server do not share one event loop.
//
// Usage: XARES_ADMIN_TOKEN=<token> node --import tsx bench/claim/claim-server.ts <seats>
// Prints `READY <port>` on stdout once every seat is running; stops on SIGTERM/SIGINT or when stdin closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../server/app.js';
import { CreateProjectRequest } from '../../server/contract/index.js';
import { startFakeSeatRuntime } from '../../tests/helpers/fake-seat-runtime.js';

export const BENCH_GROUP = 'bench-workshop';

const seats = Number(process.argv[2]);
const adminToken = process.env['XARES_ADMIN_TOKEN'];
if (!Number.isInteger(seats) || seats < 1 || seats > 1000 || !adminToken) {
  console.error('usage: XARES_ADMIN_TOKEN=<token> claim-server.ts <seats 1-1000>');
  process.exit(2);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'xares-bench-claim-'));
const fake = await startFakeSeatRuntime();
const server = await startServer(
  {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    instanceId: `bench-claim-${process.pid}`,
    adminToken,
    workshopGroup: BENCH_GROUP,
    maxWorkspaces: seats,
    maxConcurrentWorkspaces: seats,
    buildImageIfMissing: false,
    logLevel: 'warn',
  },
  // One client address sends every claim here; the per-address limit is for rooms, not for this benchmark.
  { runtime: fake.runtime, claimRateLimit: 1_000_000 },
);

for (let start = 0; start < seats; start += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, seats - start) }, (_, i) =>
      server.projects.create(CreateProjectRequest.parse({ projectName: `Seat ${start + i + 1}`, projectType: 'empty', group: BENCH_GROUP })),
    ),
  );
}
const deadline = Date.now() + 60_000;
while (server.workshop.status().available < seats) {
  if (Date.now() > deadline) throw new Error(`only ${server.workshop.status().available} of ${seats} seats are running`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
process.stdout.write(`READY ${server.port}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();
