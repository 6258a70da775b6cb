import type { DockerState, ImageState, ProjectSummary, ServerEvent } from '../../../server/contract/index.js';

/**
 * The part of the dashboard's state that the server pushes: workspaces, Docker engine and workspace image.
 * Kept as plain data so the reducer below is a pure function (unit-tested without a browser).
 */
export interface LiveState {
  /** Workspaces by id. */
  projects: Readonly<Record<string, ProjectSummary>>;
  /** `true` once a full list arrived (a `hello` event or `GET /api/projects/`). */
  projectsLoaded: boolean;
  /** `true` once a `hello` arrived on the current or an earlier connection: pushed state is the source of truth. */
  helloReceived: boolean;
  docker: DockerState | null;
  image: ImageState | null;
}

export const INITIAL_LIVE_STATE: LiveState = { projects: {}, projectsLoaded: false, helloReceived: false, docker: null, image: null };

function indexById(projects: readonly ProjectSummary[]): Record<string, ProjectSummary> {
  const byId: Record<string, ProjectSummary> = {};
  for (const project of projects) byId[project.id] = project;
  return byId;
}

/**
 * Applies one server event (contract `ServerEvent`) to the live state; returns a new object when something
 * changed and the same object otherwise (so subscribers do not re-render for nothing).
 * - `hello`: replaces everything (a reconnect may have missed events, including removals).
 * - `project.updated`: inserts or replaces that workspace.
 * - `project.removed`: drops it (no-op when unknown).
 * - `docker`, `image`: replace that part.
 * - `workshop.changed`: nothing here (the Workshop view refetches its board).
 */
export function reduceServerEvent(state: LiveState, event: ServerEvent): LiveState {
  switch (event.type) {
    case 'hello':
      return { projects: indexById(event.projects), projectsLoaded: true, helloReceived: true, docker: event.docker, image: event.image };
    case 'project.updated':
      return { ...state, projects: { ...state.projects, [event.project.id]: event.project } };
    case 'project.removed': {
      if (!(event.projectId in state.projects)) return state;
      const { [event.projectId]: _removed, ...rest } = state.projects;
      return { ...state, projects: rest };
    }
    case 'docker':
      return { ...state, docker: event.docker };
    case 'image':
      return { ...state, image: event.image };
    case 'workshop.changed':
      // Not live state: the Workshop view refetches its board (see `workshop-store.ts`).
      return state;
  }
}

/**
 * Applies the answer of `GET /api/projects/`. Ignored once a `hello` arrived: the pushed state is newer than
 * or as new as any list fetched in parallel, and a late list must not undo a live update.
 */
export function reduceProjectList(state: LiveState, projects: readonly ProjectSummary[]): LiveState {
  if (state.helloReceived) return state;
  return { ...state, projects: indexById(projects), projectsLoaded: true };
}

/** Inserts or replaces one workspace known from an API answer (e.g. the create response). */
export function reduceProjectUpsert(state: LiveState, project: ProjectSummary): LiveState {
  return { ...state, projects: { ...state.projects, [project.id]: project } };
}

/** Merges a partial update (e.g. the start response `{id, status, workspaceUrl}`) into a known workspace. */
export function reduceProjectPatch(state: LiveState, projectId: string, patch: Partial<ProjectSummary>): LiveState {
  const current = state.projects[projectId];
  if (!current) return state;
  return { ...state, projects: { ...state.projects, [projectId]: { ...current, ...patch, id: projectId } } };
}

/** Drops a workspace after a successful delete. */
export function reduceProjectRemoved(state: LiveState, projectId: string): LiveState {
  return reduceServerEvent(state, { type: 'project.removed', projectId });
}

/**
 * Workspaces in display order: newest first, then by name (locale-aware, numbers compared as numbers so
 * "Seat 2" comes before "Seat 10").
 */
export function sortProjects(projects: Readonly<Record<string, ProjectSummary>>): ProjectSummary[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return Object.values(projects).sort((a, b) => {
    const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
    if (!Number.isNaN(byTime) && byTime !== 0) return byTime;
    return collator.compare(a.name, b.name);
  });
}

/** Distinct non-empty groups, sorted, for the group field's suggestions (and later the group filter). */
export function distinctGroups(projects: Readonly<Record<string, ProjectSummary>>): string[] {
  const groups = new Set<string>();
  for (const project of Object.values(projects)) if (project.group) groups.add(project.group);
  return [...groups].sort((a, b) => a.localeCompare(b));
}
