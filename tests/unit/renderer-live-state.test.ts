import { beforeEach, describe, expect, it } from 'vitest';
import type { DockerState, ImageState, ProjectSummary } from '../../server/contract/index.js';
import {
  INITIAL_LIVE_STATE,
  distinctGroups,
  reduceProjectList,
  reduceProjectPatch,
  reduceServerEvent,
  sortProjects,
} from '../../renderer/src/stores/live-reducer.js';
import { applyProjectList, dispatchServerEvent } from '../../renderer/src/stores/live-dispatch.js';
import { useProjectsStore } from '../../renderer/src/stores/projects-store.js';
import { useSystemStore } from '../../renderer/src/stores/system-store.js';

function project(id: string, over: Partial<ProjectSummary> = {}): ProjectSummary {
  return {
    id,
    name: `ws-${id.slice(0, 4)}`,
    type: 'empty',
    status: 'creating',
    createdAt: '2026-01-15T10:30:00.000Z',
    workspaceUrl: `http://${id}.localhost/`,
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: null,
    ...over,
  };
}
const dockerUp: DockerState = { available: true, version: '20.10.24', error: null };
const dockerDown: DockerState = { available: false, version: null, error: 'connect ENOENT /var/run/docker.sock' };
const imagePresent: ImageState = { tag: 'xares/workspace:1', state: 'present', progress: 1, message: '' };

describe('reduceServerEvent', () => {
  it('hello replaces everything, including workspaces missed while disconnected', () => {
    const before = reduceServerEvent(INITIAL_LIVE_STATE, { type: 'hello', projects: [project('aaaaaaaaaaaa'), project('bbbbbbbbbbbb')], docker: dockerUp, image: imagePresent });
    const after = reduceServerEvent(before, { type: 'hello', projects: [project('bbbbbbbbbbbb', { status: 'running' })], docker: dockerDown, image: imagePresent });
    expect(Object.keys(after.projects)).toEqual(['bbbbbbbbbbbb']);
    expect(after.projects['bbbbbbbbbbbb']!.status).toBe('running');
    expect(after.docker).toEqual(dockerDown);
    expect(after.projectsLoaded && after.helloReceived).toBe(true);
  });

  it('project.updated inserts or replaces one workspace and leaves the others untouched', () => {
    const start = reduceServerEvent(INITIAL_LIVE_STATE, { type: 'hello', projects: [project('aaaaaaaaaaaa')], docker: dockerUp, image: imagePresent });
    const updated = reduceServerEvent(start, { type: 'project.updated', project: project('aaaaaaaaaaaa', { status: 'running' }) });
    const inserted = reduceServerEvent(updated, { type: 'project.updated', project: project('cccccccccccc') });
    expect(updated.projects['aaaaaaaaaaaa']!.status).toBe('running');
    expect(start.projects['aaaaaaaaaaaa']!.status).toBe('creating');
    expect(Object.keys(inserted.projects).sort()).toEqual(['aaaaaaaaaaaa', 'cccccccccccc']);
  });

  it('project.removed drops the workspace; an unknown id returns the same state object', () => {
    const start = reduceServerEvent(INITIAL_LIVE_STATE, { type: 'hello', projects: [project('aaaaaaaaaaaa')], docker: dockerUp, image: imagePresent });
    expect(reduceServerEvent(start, { type: 'project.removed', projectId: 'aaaaaaaaaaaa' }).projects).toEqual({});
    expect(reduceServerEvent(start, { type: 'project.removed', projectId: 'zzzzzzzzzzzz' })).toBe(start);
  });

  it('docker and image events replace only their part', () => {
    const building: ImageState = { tag: 'xares/workspace:1', state: 'building', progress: 0.5, message: 'step 4' };
    const state = reduceServerEvent(reduceServerEvent(INITIAL_LIVE_STATE, { type: 'docker', docker: dockerDown }), { type: 'image', image: building });
    expect(state.docker).toEqual(dockerDown);
    expect(state.image).toEqual(building);
    expect(state.projectsLoaded).toBe(false);
  });

  it('a fetched list never overrides state that the stream already delivered', () => {
    const live = reduceServerEvent(INITIAL_LIVE_STATE, { type: 'hello', projects: [project('aaaaaaaaaaaa', { status: 'running' })], docker: dockerUp, image: imagePresent });
    expect(reduceProjectList(live, [project('aaaaaaaaaaaa', { status: 'creating' })])).toBe(live);
    const early = reduceProjectList(INITIAL_LIVE_STATE, [project('aaaaaaaaaaaa')]);
    expect(early.projectsLoaded).toBe(true);
    expect(early.helloReceived).toBe(false);
  });

  it('patches merge into known workspaces only', () => {
    const live = reduceProjectList(INITIAL_LIVE_STATE, [project('aaaaaaaaaaaa', { status: 'stopped' })]);
    expect(reduceProjectPatch(live, 'aaaaaaaaaaaa', { status: 'running' }).projects['aaaaaaaaaaaa']!.status).toBe('running');
    expect(reduceProjectPatch(live, 'zzzzzzzzzzzz', { status: 'running' })).toBe(live);
  });

  it('sorts newest first with natural name order for equal times, and lists distinct groups', () => {
    const byId = {
      a: project('aaaaaaaaaaaa', { name: 'Seat 10', group: 'monday' }),
      b: project('bbbbbbbbbbbb', { name: 'Seat 2', group: 'monday' }),
      c: project('cccccccccccc', { name: 'Newest', createdAt: '2026-02-01T00:00:00.000Z', group: 'alpha' }),
    };
    expect(sortProjects(byId).map((p) => p.name)).toEqual(['Newest', 'Seat 2', 'Seat 10']);
    expect(distinctGroups(byId)).toEqual(['alpha', 'monday']);
  });
});

describe('store dispatch', () => {
  beforeEach(() => {
    useProjectsStore.getState().reset();
    useSystemStore.getState().reset();
  });

  it('routes events into the projects and system stores', () => {
    dispatchServerEvent({ type: 'hello', projects: [project('aaaaaaaaaaaa')], docker: dockerUp, image: imagePresent });
    dispatchServerEvent({ type: 'project.updated', project: project('aaaaaaaaaaaa', { status: 'error', statusReason: 'Container exited' }) });
    dispatchServerEvent({ type: 'docker', docker: dockerDown });
    expect(useProjectsStore.getState().projects['aaaaaaaaaaaa']!.statusReason).toBe('Container exited');
    expect(useSystemStore.getState().docker).toEqual(dockerDown);
    applyProjectList([]);
    expect(Object.keys(useProjectsStore.getState().projects)).toEqual(['aaaaaaaaaaaa']);
  });

  it('does not notify project subscribers for an engine-only event', () => {
    dispatchServerEvent({ type: 'hello', projects: [project('aaaaaaaaaaaa')], docker: dockerUp, image: imagePresent });
    let notified = 0;
    const unsubscribe = useProjectsStore.subscribe(() => notified++);
    dispatchServerEvent({ type: 'docker', docker: dockerDown });
    unsubscribe();
    expect(notified).toBe(0);
  });
});
