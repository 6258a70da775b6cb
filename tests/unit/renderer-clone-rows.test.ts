// The clone dialog's per-clone state (renderer/src/views/clone-rows.ts, used by the clone dialog): phase while being made,
// then the final status, the reason of a failure, and a clone deleted meanwhile.
import { describe, expect, it } from 'vitest';
import type { ProjectSummary } from '../../server/contract/index.js';
import { cloneRows } from '../../renderer/src/views/clone-rows.js';

function project(id: string, patch: Partial<ProjectSummary>): ProjectSummary {
  return {
    id,
    name: `Base ${id}`,
    type: 'empty',
    status: 'creating',
    createdAt: '2026-12-01T10:00:00.000Z',
    workspaceUrl: `http://${id}.localhost:8080/`,
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: null,
    ...patch,
  };
}

describe('cloneRows', () => {
  const clones = ['aaaaaaaaaaa1', 'aaaaaaaaaaa2', 'aaaaaaaaaaa3', 'aaaaaaaaaaa4', 'aaaaaaaaaaa5', 'aaaaaaaaaaa6'].map((projectId, i) => ({
    projectId,
    projectName: `Base ${i + 1}`,
    status: 'creating' as const,
  }));

  it('follows each clone from its phase to its end, in the order of the batch', () => {
    const [a, b, c, d, e] = clones.map((clone) => clone.projectId) as [string, string, string, string, string];
    const projects = {
      [a]: project(a, { progress: 'snapshot' }),
      [b]: project(b, { progress: 'creating' }),
      [c]: project(c, { progress: 'starting' }),
      [d]: project(d, { status: 'running' }),
      [e]: project(e, { status: 'error', statusReason: 'Could not create the clone container: disk full' }),
    };
    const rows = cloneRows(clones, projects);
    expect(rows.map((row) => [row.state, row.fraction, row.label])).toEqual([
      ['working', 0.1, 'Copying the source…'],
      ['working', 0.35, 'Creating the container…'],
      ['working', 0.7, 'Starting VS Code…'],
      ['running', 1, 'Running'],
      ['failed', 1, 'Failed'],
      ['removed', 1, 'Removed'],
    ]);
    expect(rows[4]!.reason).toBe('Could not create the clone container: disk full');
    expect(rows[5]!.name).toBe('Base 6');
    expect(rows[0]!.name).toBe(`Base ${a}`);
  });

  it('treats a creating clone without a phase as waiting for the snapshot', () => {
    const [first] = clones;
    expect(cloneRows([first!], { [first!.projectId]: project(first!.projectId, {}) })[0]).toMatchObject({ state: 'working', fraction: 0.1 });
  });

  it('carries the clone Git branch, and the reason its branch push failed while the clone itself runs', () => {
    const [first, second] = clones;
    const rows = cloneRows([first!, second!], {
      [first!.projectId]: project(first!.projectId, { status: 'running', gitBranch: 'clone/base-1' }),
      [second!.projectId]: project(second!.projectId, { status: 'running', gitBranch: 'main', gitError: 'Could not push branch clone/base-2: remote refused' }),
    });
    expect(rows[0]).toMatchObject({ state: 'running', gitBranch: 'clone/base-1' });
    expect(rows[0]!.gitError).toBeUndefined();
    expect(rows[1]).toMatchObject({ state: 'running', gitBranch: 'main', gitError: 'Could not push branch clone/base-2: remote refused' });
  });
});
