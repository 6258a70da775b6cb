import { randomBytes } from 'node:crypto';
import { ServiceError } from './service-error.js';

/**
 * How many clones of a batch are made at the same time: container created, configured and started, and the
 * slot held until code-server answers. code-server's boot is most of the time and CPU-bound: without the bound
 * on it, 40 clones booting at once on 2 cores under load missed the 120 s readiness deadline together. bench/clone
 * on a 2-core machine: 10 clones to `running` took about the time of the hand-made baseline (10 `docker run`
 * at once) with 10; with 4 the last clones started later and the batch was slower in most rounds.
 */
export const CLONE_PARALLELISM = 10;

/** Longest display name (the rename rule, contract `DisplayName`); clone names are cut to fit. */
const MAX_NAME_LENGTH = 100;

/**
 * Names for `count` clones of `sourceName`: `<source> <n>` with the lowest free numbers from 1 on
 * (api-reference "Clone Workspace"), skipping every name in `taken` (compared case-insensitively, so a
 * batch never collides with the store's unique index). The source part is cut (and trimmed) when the name
 * would exceed 100 characters.
 */
export function cloneNames(sourceName: string, count: number, taken: Iterable<string>): string[] {
  const used = new Set<string>();
  for (const name of taken) used.add(name.toLowerCase());
  const names: string[] = [];
  for (let n = 1; names.length < count; n += 1) {
    const suffix = ` ${n}`;
    const name = `${sourceName.slice(0, MAX_NAME_LENGTH - suffix.length).trimEnd()}${suffix}`;
    if (used.has(name.toLowerCase())) continue;
    used.add(name.toLowerCase());
    names.push(name);
  }
  return names;
}

/** Counts a clone batch is checked against. */
export interface CloneLimits {
  /** Workspaces that exist (or are being created) now. */
  existing: number;
  /** Workspaces that run, start or hold a start reservation now. */
  active: number;
  maxWorkspaces: number;
  maxConcurrentWorkspaces: number;
}

/**
 * All-or-nothing limit check of a batch of `count` clones (every clone exists and starts, so it needs a
 * workspace slot and a running slot). Workspace limit first, with the contract's message
 * ("Cannot create 10 clones: only 3 workspace slots remaining (limit: 5)"), as 400 VALIDATION_ERROR (the
 * contract answers this case with 400) and the message also in `details.count`; then the running limit as
 * 409 CONCURRENT_LIMIT_REACHED, like create and start.
 * @throws ServiceError as described; returns normally when the whole batch fits.
 */
export function checkCloneLimits(count: number, limits: CloneLimits): void {
  const free = Math.max(0, limits.maxWorkspaces - limits.existing);
  if (count > free) {
    const message = `Cannot create ${count} clone${count === 1 ? '' : 's'}: only ${free} workspace slot${free === 1 ? '' : 's'} remaining (limit: ${limits.maxWorkspaces})`;
    throw new ServiceError('VALIDATION_ERROR', message, { count: message });
  }
  const running = Math.max(0, limits.maxConcurrentWorkspaces - limits.active);
  if (count > running) {
    throw new ServiceError(
      'CONCURRENT_LIMIT_REACHED',
      `Cannot start ${count} clone${count === 1 ? '' : 's'}: only ${running} running workspace slot${running === 1 ? '' : 's'} free (limit: ${limits.maxConcurrentWorkspaces})`,
    );
  }
}

/** Repository of snapshot images; the tag is `<source id>-<random>`, unique per batch. */
export const SNAPSHOT_REPOSITORY = 'xares-snapshot';

/** A new snapshot image tag for a batch cloning `sourceId` (a 12-character project id). */
export function snapshotTag(sourceId: string): string {
  return `${SNAPSHOT_REPOSITORY}:${sourceId}-${randomBytes(4).toString('hex')}`;
}

/**
 * A gate that lets at most `limit` calls of the returned function run at once (first come, first served).
 * Callers queue until a slot is free; a failing call frees its slot like a succeeding one.
 */
export function createLimiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await fn();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
