import type { ProjectSummary, ServerEvent } from '../../../server/contract/index.js';
import {
  reduceProjectList,
  reduceProjectPatch,
  reduceProjectRemoved,
  reduceProjectUpsert,
  reduceServerEvent,
  type LiveState,
} from './live-reducer.js';
import { useProjectsStore } from './projects-store.js';
import { useSystemStore } from './system-store.js';

function readLiveState(): LiveState {
  const projects = useProjectsStore.getState();
  const system = useSystemStore.getState();
  return { projects: projects.projects, projectsLoaded: projects.projectsLoaded, helloReceived: projects.helloReceived, docker: system.docker, image: system.image };
}

function writeLiveState(previous: LiveState, next: LiveState): void {
  if (next === previous) return;
  if (next.projects !== previous.projects || next.projectsLoaded !== previous.projectsLoaded || next.helloReceived !== previous.helloReceived) {
    useProjectsStore.setState({ projects: next.projects, projectsLoaded: next.projectsLoaded, helloReceived: next.helloReceived });
  }
  if (next.docker !== previous.docker || next.image !== previous.image) {
    useSystemStore.setState({ docker: next.docker, image: next.image });
  }
}

function apply(reducer: (state: LiveState) => LiveState): void {
  const previous = readLiveState();
  writeLiveState(previous, reducer(previous));
}

/** Routes one server event into the projects and system stores. */
export function dispatchServerEvent(event: ServerEvent): void {
  apply((state) => reduceServerEvent(state, event));
}

/** Applies a fetched workspace list (ignored once the live stream is authoritative). */
export function applyProjectList(projects: readonly ProjectSummary[]): void {
  apply((state) => reduceProjectList(state, projects));
}

/** Applies one workspace from an API answer. */
export function applyProjectUpsert(project: ProjectSummary): void {
  apply((state) => reduceProjectUpsert(state, project));
}

/** Merges a partial workspace update from an API answer. */
export function applyProjectPatch(projectId: string, patch: Partial<ProjectSummary>): void {
  apply((state) => reduceProjectPatch(state, projectId, patch));
}

/** Removes a workspace after a successful delete. */
export function applyProjectRemoved(projectId: string): void {
  apply((state) => reduceProjectRemoved(state, projectId));
}
