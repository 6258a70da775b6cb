// WorkshopService's `onSeatReleased` hook (the server ends a released seat's open connections with it): called
// once per ended claim, for a teacher's release and for a deleted workspace, after the claim key left memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ProjectSummary } from '../../server/contract/index.js';
import { EventBus } from '../../server/events/event-bus.js';
import { WorkshopService, type WorkshopProjects } from '../../server/services/workshop-service.js';
import { openStore, type Store } from '../../server/store/index.js';

function seat(id: string, name: string): ProjectSummary & { clonedFrom: null } {
  return {
    clonedFrom: null,
    id,
    name,
    type: 'empty',
    status: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    workspaceUrl: `http://${id}.localhost:8080/`,
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: 'room-1',
  };
}

let dataDir: string;
let store: Store;
let workshop: WorkshopService | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'xares-seat-release-'));
  store = openStore(dataDir);
});

afterEach(() => {
  workshop?.close();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('calls onSeatReleased after a release and a deletion, with the key already gone; a failing hook does not fail the release', () => {
  const items = [seat('aaaaaaaaaaaa', 'Seat 1'), seat('bbbbbbbbbbbb', 'Seat 2')];
  const projects: WorkshopProjects = { briefs: () => items, groups: () => ['room-1'] };
  const bus = new EventBus();
  const calls: { projectId: string; keyLeft: boolean }[] = [];
  let fail = false;
  workshop = new WorkshopService({
    repository: store.workshop,
    projects,
    bus,
    defaultGroup: 'room-1',
    secret: randomBytes(32),
    onSeatReleased: (projectId) => {
      calls.push({ projectId, keyLeft: workshop?.claimKeyOf(projectId) !== undefined });
      if (fail) throw new Error('hook failed');
    },
  });
  const first = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
  const second = workshop.claim({ name: 'Bob', email: 'bob@example.org' });
  expect(calls).toEqual([]);
  fail = true;
  expect(workshop.release(first.claim.projectId).claim.releasedAt).not.toBeNull();
  expect(calls).toEqual([{ projectId: first.claim.projectId, keyLeft: false }]);
  fail = false;
  items.splice(items.findIndex((p) => p.id === second.claim.projectId), 1);
  bus.publish({ type: 'project.removed', projectId: second.claim.projectId });
  expect(calls).toEqual([
    { projectId: first.claim.projectId, keyLeft: false },
    { projectId: second.claim.projectId, keyLeft: false },
  ]);
  // A deleted workspace without a claim: nothing to end.
  bus.publish({ type: 'project.removed', projectId: first.claim.projectId });
  expect(calls).toHaveLength(2);
});
