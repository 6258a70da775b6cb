/**
 * One Xares server per data folder: an exclusive lock file (`xares.lock`) in the data folder, created with
 * O_EXCL while the server runs. Two servers on one folder would both write `xares.sqlite` and both manage the
 * same containers (the desktop app used to move to the next port and become a second owner).
 *
 * The file holds JSON `{pid, hostname, startedAt, dashboardUrl}`. A lock whose process is gone (same host, pid
 * not alive) is stale and taken over; a lock from another host is never taken over (its pid means nothing here).
 * Released by `release()` (the server's close) and, as a last resort, on process exit.
 * Residual race: two servers taking over the same stale lock in the same instant could both remove it; the
 * second one's check of its own token after creating catches most of it.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Name of the lock file inside the data folder. */
export const DATA_LOCK_FILE = 'xares.lock';

/** What the lock file says about its holder. */
export interface DataLockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The holder's dashboard URL once it listens, else null. */
  dashboardUrl: string | null;
}

/** Thrown by {@link acquireDataFolderLock} when another live server holds the folder (`code` `DATA_FOLDER_LOCKED`). */
export class DataFolderLockedError extends Error {
  override readonly name = 'DataFolderLockedError';
  readonly code = 'DATA_FOLDER_LOCKED';
  constructor(
    readonly dataDir: string,
    /** The holder as its lock file says, or null when the file could not be read (being written). */
    readonly holder: DataLockHolder | null,
  ) {
    const who = holder
      ? `process ${holder.pid}${holder.hostname !== os.hostname() ? ` on ${holder.hostname}` : ''}` +
        (holder.dashboardUrl ? `, dashboard at ${holder.dashboardUrl}` : '')
      : 'another process';
    super(
      `The data folder ${dataDir} is already used by another Xares server (${who}). ` +
        'Stop that one first, or give this one another folder with XARES_DATA_DIR.',
    );
  }
}

/** A held lock. */
export interface DataFolderLock {
  /** Absolute path of the lock file. */
  readonly file: string;
  /** Records the dashboard URL in the lock file (for the message a second server shows). */
  describe(info: { dashboardUrl: string }): void;
  /** Removes the lock file if it is still ours. Idempotent; never throws. */
  release(): void;
}

/** Dependencies for tests: which pids are alive, this process's pid and host. */
export interface DataLockOptions {
  pid?: number;
  hostname?: string;
  isAlive?: (pid: number) => boolean;
}

/** Whether a process exists (`kill(pid, 0)`: ESRCH = gone, EPERM = exists but not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Lock files this process holds now (a second server in the same process must be refused, not take it over).
 * Kept on the global object so that every copy of this module in the process (a bundler or test runner loading
 * it twice) sees the same set.
 */
const heldHere: Set<string> = ((globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for('xares.heldDataLocks')] ??= new Set<string>());

/** An unreadable lock file older than this is a crash mid-write, ms. */
const UNREADABLE_STALE_MS = 10_000;

/** Age of the lock file, ms (Infinity when it is gone meanwhile: try again). */
function unreadableForMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

interface LockContent extends DataLockHolder {
  token: string;
}

function readLock(file: string): LockContent | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return null;
    return {
      pid: parsed.pid,
      hostname: parsed.hostname,
      startedAt: typeof parsed.startedAt === 'string' ? parsed.startedAt : '',
      dashboardUrl: typeof parsed.dashboardUrl === 'string' ? parsed.dashboardUrl : null,
      token: typeof parsed.token === 'string' ? parsed.token : '',
    };
  } catch {
    return null;
  }
}

/**
 * Takes the data folder's lock (the folder must exist).
 * @throws DataFolderLockedError when a live server (this process or another on this host, or any on another
 *   host) holds it; other I/O errors (EACCES) as they are.
 */
export function acquireDataFolderLock(dataDir: string, options: DataLockOptions = {}): DataFolderLock {
  const file = path.resolve(dataDir, DATA_LOCK_FILE);
  const pid = options.pid ?? process.pid;
  const hostname = options.hostname ?? os.hostname();
  const isAlive = options.isAlive ?? processAlive;
  const content: LockContent = { pid, hostname, startedAt: new Date().toISOString(), dashboardUrl: null, token: randomUUID() };

  for (let attempt = 0; ; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(content));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(file);
    const stale =
      !heldHere.has(file) &&
      (holder === null
        ? unreadableForMs(file) >= UNREADABLE_STALE_MS
        : holder.hostname === hostname && (holder.pid === pid || !isAlive(holder.pid)));
    // An unreadable file may be one being written this instant: refused unless it is old (a crash mid-write).
    if (!stale || attempt >= 2) {
      throw new DataFolderLockedError(path.resolve(dataDir), holder ? { pid: holder.pid, hostname: holder.hostname, startedAt: holder.startedAt, dashboardUrl: holder.dashboardUrl } : null);
    }
    // Stale (its process is gone): remove it if it is still the same file, then try again.
    if (readLock(file)?.token === holder?.token) {
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  heldHere.add(file);

  let released = false;
  const ours = () => readLock(file)?.token === content.token;
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.off('exit', release);
    try {
      if (ours()) unlinkSync(file);
    } catch {
      // Already gone or not removable: the next start sees a dead pid and takes it over.
    }
  };
  // A process that ends without closing the server (crash handler, process.exit) leaves no lock behind.
  process.on('exit', release);
  return {
    file,
    describe: (info) => {
      if (released || !ours()) return;
      content.dashboardUrl = info.dashboardUrl;
      try {
        writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
      } catch {
        // Only the message of a second server gets less precise.
      }
    },
    release,
  };
}
