// One server per data folder across processes: a headless server (`server/cli.ts`, as `npm run serve` runs it)
// holds the folder; a second server in another process is refused naming it; a killed holder's lock is taken
// over; a clean stop (SIGTERM) removes the lock. Docker points at a socket that does not exist: no container is
// touched (the server starts anyway and reports the engine as unavailable).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type XaresAppServer } from '../../server/app.js';
import { DATA_LOCK_FILE, DataFolderLockedError } from '../../server/store/data-lock.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { pollUntil } from '../helpers/server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'xares-lock-int-'));
const children: ChildProcess[] = [];
const servers: XaresAppServer[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const server of servers) await server.close();
  rmSync(work, { recursive: true, force: true });
});

interface Headless {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  exited: Promise<number | null>;
}

/** Runs server/cli.ts in its own Node process on `dataDir`. */
function headless(dataDir: string): Headless {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server', 'cli.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      XARES_DATA_DIR: dataDir,
      XARES_PORT: '0',
      XARES_HOST: '127.0.0.1',
      XARES_LOG_LEVEL: 'silent',
      DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, errors: () => err, exited };
}

async function dashboardOf(server: Headless): Promise<string> {
  return pollUntil(async () => /dashboard: (\S+)/.exec(server.output())?.[1], { timeoutMs: 60_000, intervalMs: 100, description: 'the headless server to listen' });
}

function startInProcess(dataDir: string): Promise<XaresAppServer> {
  return startServer(
    { port: 0, host: '127.0.0.1', dataDir, instanceId: 'lockint', buildImageIfMissing: false, logLevel: 'silent' },
    { runtime: createFakeRuntime({ images: new Set(), engineUp: false }), networkControl: false },
  );
}

describe('data folder lock across processes', () => {
  it('refuses a second server while a headless one runs, takes over after that one was killed', async () => {
    const dataDir = path.join(work, 'a');
    const first = headless(dataDir);
    const dashboard = await dashboardOf(first);
    expect(JSON.parse(readFileSync(path.join(dataDir, DATA_LOCK_FILE), 'utf8'))).toMatchObject({ pid: first.child.pid, dashboardUrl: dashboard });

    // In another process (this test): refused, naming the folder, the process and its dashboard.
    const refused = await startInProcess(dataDir).then(
      (server) => {
        servers.push(server);
        return null;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DataFolderLockedError);
    expect((refused as Error).message).toContain(`The data folder ${dataDir} is already used by another Xares server (process ${first.child.pid}, dashboard at ${dashboard})`);

    // A second headless server: one line, no stack, exit code 3.
    const second = headless(dataDir);
    expect(await second.exited).toBe(3);
    expect(second.errors()).toMatch(/^Xares cannot start: The data folder .* is already used by another Xares server \(process \d+, dashboard at http/);
    expect(second.errors()).not.toMatch(/\n\s+at /);
    // The first one still answers.
    expect((await fetch(new URL('/api/health', dashboard))).status).toBe(200);

    // Killed without a chance to clean up: the lock file stays, and the next server takes it over.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(path.join(dataDir, DATA_LOCK_FILE))).toBe(true);
    const next = await startInProcess(dataDir);
    servers.push(next);
    expect(JSON.parse(readFileSync(path.join(dataDir, DATA_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, dashboardUrl: next.dashboardUrl });
  }, 120_000);

  it('removes the lock on a clean stop (SIGTERM), so the next start needs no take-over', async () => {
    const dataDir = path.join(work, 'b');
    const server = headless(dataDir);
    await dashboardOf(server);
    expect(existsSync(path.join(dataDir, DATA_LOCK_FILE))).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(path.join(dataDir, DATA_LOCK_FILE))).toBe(false);
  }, 120_000);
});
