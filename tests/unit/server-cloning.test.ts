// Clone batch rules (issue 4 "Clone"): names, the all-or-nothing limit check, snapshot tags, the concurrency
// gate, and the request contract.
import { describe, expect, it } from 'vitest';
import { CloneProjectRequest, CloneProjectResponse } from '../../server/contract/index.js';
import { SNAPSHOT_REPOSITORY, checkCloneLimits, cloneNames, createLimiter, snapshotTag } from '../../server/services/cloning.js';
import { ServiceError } from '../../server/services/service-error.js';

describe('cloneNames', () => {
  it('numbers from 1 and skips names already taken, case-insensitively', () => {
    expect(cloneNames('Base', 3, [])).toEqual(['Base 1', 'Base 2', 'Base 3']);
    expect(cloneNames('Base', 3, ['base 1', 'BASE 3', 'Other 2'])).toEqual(['Base 2', 'Base 4', 'Base 5']);
  });

  it('continues after an earlier batch', () => {
    const first = cloneNames('Kurs', 2, ['Kurs']);
    expect(cloneNames('Kurs', 2, ['Kurs', ...first])).toEqual(['Kurs 3', 'Kurs 4']);
  });

  it('cuts a long source name so every clone name stays within 100 characters', () => {
    const long = 'x'.repeat(100);
    const names = cloneNames(long, 12, []);
    expect(names).toHaveLength(12);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(100);
    expect(names[0]).toBe(`${'x'.repeat(98)} 1`);
    expect(names[11]).toBe(`${'x'.repeat(97)} 12`);
    expect(new Set(names).size).toBe(12);
  });

  it('does not leave a space before the number when the cut ends on one', () => {
    const name = `${'a'.repeat(97)} bcd`; // 101 characters; the cut ends right after the space
    expect(cloneNames(name, 1, [])).toEqual([`${'a'.repeat(97)} 1`]);
  });
});

describe('checkCloneLimits', () => {
  const limits = { existing: 2, active: 1, maxWorkspaces: 5, maxConcurrentWorkspaces: 10 };

  it('accepts a batch that fits both limits exactly', () => {
    expect(() => checkCloneLimits(3, limits)).not.toThrow();
  });

  it('refuses a batch above the free workspace slots with the contract message, 400 on count', () => {
    const error = catchError(() => checkCloneLimits(10, limits));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.status).toBe(400);
    expect(error.message).toBe('Cannot create 10 clones: only 3 workspace slots remaining (limit: 5)');
    expect(error.details).toEqual({ count: error.message });
  });

  it('speaks in the singular where it should and never counts below zero', () => {
    expect(catchError(() => checkCloneLimits(2, { ...limits, existing: 4 })).message).toBe('Cannot create 2 clones: only 1 workspace slot remaining (limit: 5)');
    expect(catchError(() => checkCloneLimits(1, { ...limits, existing: 7 })).message).toBe('Cannot create 1 clone: only 0 workspace slots remaining (limit: 5)');
  });

  it('refuses a batch above the free running slots with 409 CONCURRENT_LIMIT_REACHED', () => {
    const error = catchError(() => checkCloneLimits(3, { existing: 0, active: 2, maxWorkspaces: 50, maxConcurrentWorkspaces: 4 }));
    expect(error.code).toBe('CONCURRENT_LIMIT_REACHED');
    expect(error.status).toBe(409);
    expect(error.message).toContain('only 2 running workspace slots free (limit: 4)');
  });

  it('checks the workspace limit before the running limit', () => {
    expect(catchError(() => checkCloneLimits(5, { existing: 5, active: 5, maxWorkspaces: 5, maxConcurrentWorkspaces: 5 })).code).toBe('VALIDATION_ERROR');
  });
});

describe('snapshotTag', () => {
  it('is in our snapshot repository, names the source, and differs per batch', () => {
    const a = snapshotTag('abcdef123456');
    const b = snapshotTag('abcdef123456');
    expect(a).toMatch(new RegExp(`^${SNAPSHOT_REPOSITORY}:abcdef123456-[0-9a-f]{8}$`));
    expect(a).not.toBe(b);
  });
});

describe('createLimiter', () => {
  it('never runs more than the limit at once, runs everything, and frees the slot of a failing call', async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const task = (fail: boolean) =>
      limit(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        if (fail) throw new Error('boom');
        return 'ok';
      });
    const settled = Promise.allSettled(Array.from({ length: 10 }, (_, i) => task(i % 4 === 0)));
    // Release one waiting task at a time until all ten have run.
    let released = 0;
    while (released < 10) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(3);
      const next = gates.shift();
      if (next) {
        next();
        released += 1;
      }
    }
    const results = await settled;
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
  });
});

describe('CloneProjectRequest', () => {
  it('takes a whole count from 1 to 50 and an optional password of 8–50 characters', () => {
    expect(CloneProjectRequest.parse({ count: 1 })).toEqual({ count: 1 });
    expect(CloneProjectRequest.parse({ count: 50, password: 'student-pw-123' })).toEqual({ count: 50, password: 'student-pw-123' });
    for (const count of [0, 51, 2.5, '3', null, undefined]) {
      const result = CloneProjectRequest.safeParse({ count });
      expect(result.success, `count ${String(count)}`).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['count']);
    }
    expect(CloneProjectRequest.safeParse({ count: 2, password: 'short' }).error?.issues[0]?.path).toEqual(['password']);
  });

  it('describes the 202 answer of the contract', () => {
    const body = {
      success: true,
      message: 'Cloning 2 workspaces from "Base"',
      sourceProjectId: 'abcdef123456',
      sourceProjectName: 'Base',
      clones: [
        { projectId: 'bbbbbbbbbbbb', projectName: 'Base 1', status: 'creating' },
        { projectId: 'cccccccccccc', projectName: 'Base 2', status: 'creating' },
      ],
      totalCount: 2,
    };
    expect(CloneProjectResponse.parse(body)).toEqual(body);
  });
});

function catchError(fn: () => void): ServiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}
