import { describe, expect, it } from 'vitest';
import type { ProjectStatus } from '../../server/contract/index.js';
import { ServiceError } from '../../server/services/service-error.js';
import { planGroup, WorkshopWorkspaces, type GroupBrief, type GroupProjects } from '../../server/services/workshop-workspaces.js';

function brief(id: string, group: string | null, status: ProjectStatus, clonedFrom: string | null = null): GroupBrief {
  return { id, name: `Seat ${id}`, group, status, clonedFrom };
}

/**
 * Stand-in for ProjectsService's start/stop with its rules: the concurrent limit counts running workspaces and
 * starts in flight (the slot is reserved before the first await), a protected workspace refuses a stop without
 * its password, and one workspace may be set to fail. Records the most starts in flight at once.
 */
function fakeProjects(briefs: GroupBrief[], options: { maxConcurrent?: number; protectedIds?: string[]; failing?: string[] } = {}) {
  const reserved = new Set<string>();
  let inFlight = 0;
  let peak = 0;
  const calls: string[] = [];
  const projects: GroupProjects = {
    briefs: () => briefs.map((b) => ({ ...b })),
    async start(id) {
      calls.push(`start ${id}`);
      const live = briefs.find((b) => b.id === id)!;
      const active = briefs.filter((b) => b.status === 'running' || b.status === 'creating').length + reserved.size;
      if (active >= (options.maxConcurrent ?? 100)) throw new ServiceError('CONCURRENT_LIMIT_REACHED', 'The maximum of 3 running workspaces is reached');
      reserved.add(id);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        if (options.failing?.includes(id)) throw new ServiceError('CONTAINER_CREATE_FAILED', 'The workspace did not start: boom');
        live.status = 'running';
      } finally {
        inFlight -= 1;
        reserved.delete(id);
      }
    },
    async stop(id, password) {
      calls.push(`stop ${id}`);
      if (options.protectedIds?.includes(id) && password === undefined) {
        throw new ServiceError('INVALID_WORKSPACE_PASSWORD', 'Invalid password for password-protected workspace');
      }
      await new Promise((resolve) => setImmediate(resolve));
      briefs.find((b) => b.id === id)!.status = 'stopped';
    },
  };
  return { projects, calls, peak: () => peak };
}

describe('planGroup', () => {
  it('start all: stopped and error seats of the group, never its template, never other groups; stop all: running ones, template included', () => {
    const briefs = [
      brief('tpl', 'A', 'running'),
      brief('s1', 'A', 'stopped', 'tpl'),
      brief('s2', 'A', 'error', 'tpl'),
      brief('s3', 'A', 'running', 'tpl'),
      brief('s4', 'A', 'creating', 'tpl'),
      brief('o1', 'B', 'stopped'),
      brief('o2', null, 'running'),
    ];
    expect(planGroup(briefs, 'A')).toEqual({ group: 'A', startable: ['s1', 's2'], stoppable: ['tpl', 's3'] });
    expect(planGroup(briefs, 'B')).toEqual({ group: 'B', startable: ['o1'], stoppable: [] });
    expect(planGroup(briefs, 'none')).toEqual({ group: 'none', startable: [], stoppable: [] });
  });

  it('a workspace cloned from one of another group does not make that one a template', () => {
    const briefs = [brief('src', 'B', 'stopped'), brief('c1', 'A', 'stopped', 'src'), brief('self', 'A', 'stopped', 'self')];
    expect(planGroup(briefs, 'A').startable).toEqual(['c1', 'self']);
    expect(planGroup(briefs, 'B').startable).toEqual(['src']);
  });
});

describe('WorkshopWorkspaces', () => {
  it('starts every stopped seat of the group, a bounded number at a time', async () => {
    const briefs = Array.from({ length: 9 }, (_, i) => brief(`s${i}`, 'A', 'stopped'));
    const fake = fakeProjects(briefs);
    const result = await new WorkshopWorkspaces({ projects: fake.projects, parallelism: 3 }).startAll('A');
    expect(result).toMatchObject({ action: 'start', group: 'A', attempted: 9, skipped: [], failed: [] });
    expect([...result.done].sort()).toEqual(briefs.map((b) => b.id).sort());
    expect(briefs.every((b) => b.status === 'running')).toBe(true);
    expect(fake.peak()).toBe(3);
  });

  it('respects maxConcurrentWorkspaces: starts up to the limit, skips the rest with the reason, tries no further start after the first refusal', async () => {
    const briefs = [brief('r1', 'B', 'running'), ...Array.from({ length: 6 }, (_, i) => brief(`s${i}`, 'A', 'stopped'))];
    const fake = fakeProjects(briefs, { maxConcurrent: 3 });
    const result = await new WorkshopWorkspaces({ projects: fake.projects, parallelism: 1 }).startAll('A');
    expect(result.done).toEqual(['s0', 's1']);
    expect(result.skipped.map((s) => s.projectId)).toEqual(['s2', 's3', 's4', 's5']);
    expect(result.skipped.every((s) => s.code === 'CONCURRENT_LIMIT_REACHED' && s.projectName.startsWith('Seat '))).toBe(true);
    expect(result.failed).toEqual([]);
    expect(fake.calls.filter((call) => call.startsWith('start'))).toEqual(['start s0', 'start s1', 'start s2']);
    expect(briefs.filter((b) => b.status === 'running')).toHaveLength(3);
  });

  it('with parallel starts the limit still holds (slots reserved before waiting)', async () => {
    const briefs = Array.from({ length: 8 }, (_, i) => brief(`s${i}`, 'A', 'stopped'));
    const fake = fakeProjects(briefs, { maxConcurrent: 5 });
    const result = await new WorkshopWorkspaces({ projects: fake.projects, parallelism: 4 }).startAll('A');
    expect(result.done).toHaveLength(5);
    expect(result.skipped).toHaveLength(3);
    expect(briefs.filter((b) => b.status === 'running')).toHaveLength(5);
  });

  it('a failing start is reported as failed with its message; the others still start', async () => {
    const briefs = [brief('s1', 'A', 'stopped'), brief('s2', 'A', 'stopped'), brief('s3', 'A', 'stopped')];
    const result = await new WorkshopWorkspaces({ projects: fakeProjects(briefs, { failing: ['s2'] }).projects }).startAll('A');
    expect([...result.done].sort()).toEqual(['s1', 's3']);
    expect(result.failed).toEqual([{ projectId: 's2', projectName: 'Seat s2', code: 'CONTAINER_CREATE_FAILED', message: 'The workspace did not start: boom' }]);
  });

  it('an unexpected error (not a ServiceError) is a failure with code INTERNAL_ERROR, never a rejection', async () => {
    const projects: GroupProjects = {
      briefs: () => [brief('s1', 'A', 'stopped')],
      start: () => Promise.reject(new TypeError('kaput')),
      stop: () => Promise.resolve(),
    };
    const result = await new WorkshopWorkspaces({ projects }).startAll('A');
    expect(result.failed).toEqual([{ projectId: 's1', projectName: 'Seat s1', code: 'INTERNAL_ERROR', message: 'kaput' }]);
  });

  it('stops every running workspace of the group; password-protected ones are skipped, not forced', async () => {
    const briefs = [brief('tpl', 'A', 'running'), brief('s1', 'A', 'running', 'tpl'), brief('s2', 'A', 'running', 'tpl'), brief('s3', 'A', 'stopped', 'tpl'), brief('x', 'B', 'running')];
    const fake = fakeProjects(briefs, { protectedIds: ['s2'] });
    const result = await new WorkshopWorkspaces({ projects: fake.projects }).stopAll('A');
    expect(result.attempted).toBe(3);
    expect([...result.done].sort()).toEqual(['s1', 'tpl']);
    expect(result.skipped).toEqual([{ projectId: 's2', projectName: 'Seat s2', code: 'INVALID_WORKSPACE_PASSWORD', message: 'Invalid password for password-protected workspace' }]);
    expect(briefs.find((b) => b.id === 'x')?.status).toBe('running'); // other groups untouched
    expect(fake.calls).not.toContain('stop s3');
  });

  it('nothing to do: no calls, attempted 0', async () => {
    const fake = fakeProjects([brief('s1', 'A', 'running')]);
    const result = await new WorkshopWorkspaces({ projects: fake.projects }).startAll('A');
    expect(result).toEqual({ action: 'start', group: 'A', attempted: 0, done: [], skipped: [], failed: [] });
    expect(fake.calls).toEqual([]);
  });
});
