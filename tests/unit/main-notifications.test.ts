import { describe, expect, it } from 'vitest';
import { claimSnapshots, cloneSourceLookup, NotificationPlanner, type ClaimSnapshot, type WorkspaceView } from '../../main/notifications.js';

const ws = (id: string, status: WorkspaceView['status'], extra: Partial<WorkspaceView> = {}): WorkspaceView => ({ id, name: `Name ${id}`, status, ...extra });
const updated = (project: WorkspaceView) => ({ type: 'project.updated', project }) as never;
const claim = (id: number, projectId: string, name: string): ClaimSnapshot => ({ id, projectId, projectName: `Name ${projectId}`, name });

/** Clones c1..c3 come from `src`, everything else has no source. */
function planner(): NotificationPlanner {
  return new NotificationPlanner((id) => (id.startsWith('c') ? { id: 'src', name: 'Python class' } : null));
}

describe('NotificationPlanner: clone batches', () => {
  it('announces one notice per source when every clone has settled, failures counted', () => {
    const p = planner();
    p.seed([ws('src', 'running')], []);
    for (const id of ['c1', 'c2', 'c3']) p.observe(updated(ws(id, 'creating', { progress: 'snapshot' })));
    p.observe(updated(ws('c1', 'creating', { progress: 'starting' })));
    p.observe(updated(ws('c1', 'running')));
    p.observe(updated(ws('c2', 'error', { statusReason: 'no space left' })));
    expect(p.drain()).toEqual([]); // c3 still in flight
    p.observe(updated(ws('c3', 'running')));
    expect(p.drain()).toEqual([
      { kind: 'clone-batch', title: 'Cloning finished with failures', body: 'Python class: 2 clones ready, 1 failed.', projectId: 'src' },
    ]);
    // Later updates of the same clones announce nothing more (the failed clone was counted in the batch).
    p.observe(updated(ws('c1', 'running')));
    p.observe(updated(ws('c2', 'error')));
    expect(p.drain()).toEqual([]);
  });

  it('says "Cloning finished" without failures and counts clones deleted on the way', () => {
    const p = planner();
    p.seed([], []);
    p.observe(updated(ws('c1', 'creating', { progress: 'creating' })));
    p.observe(updated(ws('c2', 'creating', { progress: 'creating' })));
    p.observe({ type: 'project.removed', projectId: 'c2' });
    p.observe(updated(ws('c1', 'running')));
    expect(p.drain()).toEqual([{ kind: 'clone-batch', title: 'Cloning finished', body: 'Python class: 1 clone ready, 1 deleted.', projectId: 'src' }]);
  });

  it('stays silent when every clone of a batch was deleted before finishing', () => {
    const p = planner();
    p.seed([], []);
    p.observe(updated(ws('c1', 'creating', { progress: 'snapshot' })));
    p.observe({ type: 'project.removed', projectId: 'c1' });
    expect(p.drain()).toEqual([]);
  });

  it('picks up clones already in flight at start', () => {
    const p = planner();
    p.seed([ws('c1', 'creating', { progress: 'starting' })], []);
    p.observe(updated(ws('c1', 'running')));
    expect(p.drain()).toHaveLength(1);
  });
});

describe('NotificationPlanner: workspaces in error', () => {
  it('announces a transition into error once, with the reason', () => {
    const p = planner();
    p.seed([ws('a', 'running')], []);
    p.observe(updated(ws('a', 'error', { statusReason: 'The container is missing' })));
    p.observe(updated(ws('a', 'error', { statusReason: 'The container is missing' })));
    expect(p.drain()).toEqual([{ kind: 'workspace-error', title: 'Workspace failed', body: 'Name a: The container is missing', projectId: 'a' }]);
  });

  it('does not announce workspaces already in error at start; a new failure after recovery is announced', () => {
    const p = planner();
    p.seed([ws('a', 'error')], []);
    p.observe(updated(ws('a', 'error')));
    expect(p.drain()).toEqual([]);
    p.observe(updated(ws('a', 'running')));
    p.observe(updated(ws('a', 'error')));
    expect(p.drain()).toEqual([expect.objectContaining({ kind: 'workspace-error', body: 'Name a: went into error' })]);
  });

  it('merges several failures queued together into one notice', () => {
    const p = planner();
    p.seed([ws('a', 'running'), ws('b', 'running'), ws('d', 'stopped')], []);
    for (const id of ['a', 'b', 'd']) p.observe(updated(ws(id, 'error')));
    expect(p.drain()).toEqual([{ kind: 'workspace-error', title: '3 workspaces went into error', body: 'Name a, Name b, Name d', projectId: null }]);
  });

  it('ignores docker, image and workshop events', () => {
    const p = planner();
    p.seed([], []);
    p.observe({ type: 'docker', docker: { available: false, version: null, error: 'down' } });
    p.observe({ type: 'workshop.changed' });
    expect(p.pending).toBe(false);
  });
});

describe('NotificationPlanner: seats claimed', () => {
  it('announces new claim ids only, existing claims at start never', () => {
    const p = planner();
    p.seed([], [claim(1, 'a', 'Ana')]);
    p.observeClaims([claim(1, 'a', 'Ana')]);
    expect(p.drain()).toEqual([]);
    p.observeClaims([claim(1, 'a', 'Ana'), claim(2, 'b', 'Ben')]);
    p.observeClaims([claim(1, 'a', 'Ana'), claim(2, 'b', 'Ben')]);
    expect(p.drain()).toEqual([{ kind: 'seat-claimed', title: 'Seat claimed', body: 'Ben took Name b.', projectId: 'b' }]);
  });

  it('records the first claim list when none was seeded', () => {
    const p = planner();
    p.observeClaims([claim(1, 'a', 'Ana')]);
    expect(p.drain()).toEqual([]);
    p.observeClaims([claim(1, 'a', 'Ana'), claim(3, 'c', 'Cy')]);
    expect(p.drain()).toHaveLength(1);
  });

  it('merges a burst of claims into one notice listing them', () => {
    const p = planner();
    p.seed([], []);
    p.observeClaims([claim(1, 'a', 'Ana'), claim(2, 'b', 'Ben')]);
    expect(p.drain()).toEqual([{ kind: 'seat-claimed', title: '2 seats claimed', body: 'Ana took Name a; Ben took Name b', projectId: null }]);
  });

  it('clips long participant names to one short line', () => {
    const p = planner();
    p.seed([], []);
    p.observeClaims([claim(1, 'a', `A${'x'.repeat(500)}\nB`)]);
    const [notice] = p.drain();
    expect(notice!.body.length).toBeLessThanOrEqual(200);
    expect(notice!.body).not.toContain('\n');
  });
});

describe('server adapters', () => {
  it('finds a clone\'s source by the briefs\' clonedFrom, with its current name', () => {
    const briefs = [
      { id: 's', name: 'Source', clonedFrom: null },
      { id: 'c', name: 'Source 1', clonedFrom: 's' },
      { id: 'o', name: 'Orphan 1', clonedFrom: 'gone' },
    ];
    const lookup = cloneSourceLookup(() => briefs);
    expect(lookup('c')).toEqual({ id: 's', name: 'Source' });
    expect(lookup('o')).toEqual({ id: 'gone', name: 'gone' });
    expect(lookup('s')).toBeNull();
    expect(lookup('unknown')).toBeNull();
  });
  it('maps the workshop\'s active claims', () => {
    expect(claimSnapshots([{ claim: { id: 4, projectId: 'p', name: 'Ana' }, projectName: 'Seat 1' }])).toEqual([
      { id: 4, projectId: 'p', projectName: 'Seat 1', name: 'Ana' },
    ]);
  });
});
