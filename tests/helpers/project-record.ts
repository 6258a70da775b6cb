/** A complete stored project record for tests that write the store directly; `overrides` replace fields. */
import type { ProjectRecord } from '../../server/store/projects-repository.js';

export function projectRecord(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
  return {
    id: 'abcdefghijkl',
    name: 'First Project',
    type: 'empty',
    status: 'creating',
    statusReason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastActivity: null,
    passwordHash: null,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: null,
    createGitRepo: false,
    gitRepoUrl: null,
    containerId: 'c1',
    image: 'xares/workspace:test',
    clonedFrom: null,
    ...overrides,
  };
}
