// One server per data folder (server/store/data-lock.ts): a second startServer on the same folder is refused
// with a message naming the folder and the holder; the lock goes with close(); a lock left by a dead process
// is taken over; the CLI says so without a stack and exits with code 3.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer, type XaresAppServer } from '../../server/app.js';
import { runCli } from '../../server/cli.js';
import { acquireDataFolderLock, DATA_LOCK_FILE, DataFolderLockedError, type DataFolderLock } from '../../server/store/data-lock.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';

const dirs: string[] = [];
const servers: XaresAppServer[] = [];
const locks: DataFolderLock[] = [];

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-lock-test-'));
  dirs.push(dir);
  return dir;
}

function start(dir: string): Promise<XaresAppServer> {
  return startServer(
    { port: 0, host: '127.0.0.1', dataDir: dir, instanceId: 'locktest', buildImageIfMissing: false, logLevel: 'silent' },
    { runtime: createFakeRuntime({ images: new Set(), engineUp: false }), networkControl: false },
  ).then((server) => {
    servers.push(server);
    return server;
  });
}

/** A pid that is certainly not running: far above Linux's pid_max default and macOS's limit. */
const DEAD_PID = 2 ** 22 + 12_345;

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const lock of locks.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('data folder lock', () => {
  it('refuses a second server on the same data folder, naming the folder and the first server', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const lockFile = path.join(dir, DATA_LOCK_FILE);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, dashboardUrl: first.dashboardUrl });

    const second = start(dir);
    await expect(second).rejects.toBeInstanceOf(DataFolderLockedError);
    const error = (await second.catch((e: unknown) => e)) as DataFolderLockedError;
    expect(error.code).toBe('DATA_FOLDER_LOCKED');
    expect(error.dataDir).toBe(path.resolve(dir));
    expect(error.holder).toMatchObject({ pid: process.pid, dashboardUrl: first.dashboardUrl });
    expect(error.message).toContain(path.resolve(dir));
    expect(error.message).toContain(`process ${process.pid}`);
    expect(error.message).toContain(first.dashboardUrl);
    // The refused start left the first server's lock alone, and the first server still answers.
    expect(existsSync(lockFile)).toBe(true);
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);
  });

  it('lets a new server start after the first one closed (the lock file is gone)', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await first.close();
    expect(existsSync(path.join(dir, DATA_LOCK_FILE))).toBe(false);
    const again = await start(dir);
    expect(again.adminToken).toBe(first.adminToken);
    expect(JSON.parse(readFileSync(path.join(dir, DATA_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, dashboardUrl: again.dashboardUrl });
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = dataDir();
    writeFileSync(
      path.join(dir, DATA_LOCK_FILE),
      JSON.stringify({ pid: DEAD_PID, hostname: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', dashboardUrl: 'http://localhost:1/admin/', token: 'old' }),
    );
    const server = await start(dir);
    expect(JSON.parse(readFileSync(path.join(dir, DATA_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, dashboardUrl: server.dashboardUrl });
  });

  it('does not take over a live process’s lock, nor one from another host', () => {
    const dir = dataDir();
    const file = path.join(dir, DATA_LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: DEAD_PID, hostname: 'elsewhere.example', startedAt: '', dashboardUrl: null, token: 't' }));
    expect(() => acquireDataFolderLock(dir)).toThrow(/process \d+ on elsewhere\.example/);
    writeFileSync(file, JSON.stringify({ pid: 4242, hostname: os.hostname(), startedAt: '', dashboardUrl: null, token: 't' }));
    expect(() => acquireDataFolderLock(dir, { isAlive: (pid) => pid === 4242 })).toThrow(DataFolderLockedError);
    // The same file with that process gone: taken over.
    const lock = acquireDataFolderLock(dir, { isAlive: () => false });
    locks.push(lock);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
  });

  it('releases only its own lock, once', () => {
    const dir = dataDir();
    const lock = acquireDataFolderLock(dir);
    const file = path.join(dir, DATA_LOCK_FILE);
    lock.release();
    expect(existsSync(file)).toBe(false);
    // Someone else's lock written since then survives a second release.
    writeFileSync(file, JSON.stringify({ pid: 4242, hostname: os.hostname(), startedAt: '', dashboardUrl: null, token: 'other' }));
    lock.release();
    expect(existsSync(file)).toBe(true);
  });

  it('CLI: a second server on the same folder prints one clear line and exits with code 3', async () => {
    const dir = dataDir();
    locks.push(acquireDataFolderLock(dir));
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const code = await runCli({ XARES_DATA_DIR: dir, XARES_PORT: '0', XARES_LOG_LEVEL: 'silent' });
    expect(code).toBe(3);
    const text = written.join('');
    expect(text).toMatch(/^Xares cannot start: The data folder .* is already used by another Xares server \(process \d+\)/);
    expect(text).toContain(path.resolve(dir));
    expect(text).not.toMatch(/\n\s+at /); // no stack
  });
});
