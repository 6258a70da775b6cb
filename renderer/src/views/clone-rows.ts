import type { CloneEntry, ProjectSummary } from '../../../server/contract/index.js';

/** Where one clone stands, for its progress bar. */
export interface CloneRowState {
  projectId: string;
  name: string;
  /** What the row says: a phase while being made, then Running, Failed, Stopped or Removed. */
  label: string;
  /** 0–1: snapshot 0.1, container 0.35, code-server starting 0.7, running (or finished otherwise) 1. */
  fraction: number;
  state: 'working' | 'running' | 'failed' | 'stopped' | 'removed';
  /** The server's reason when it failed. */
  reason?: string;
  /** The clone's Git branch (`clone/<name>`) once set up. */
  gitBranch?: string;
  /** Why its Git branch could not be set up (the clone still works on the default branch). */
  gitError?: string;
}

const PHASES: Record<NonNullable<ProjectSummary['progress']>, { label: string; fraction: number }> = {
  snapshot: { label: 'Copying the source…', fraction: 0.1 },
  creating: { label: 'Creating the container…', fraction: 0.35 },
  starting: { label: 'Starting VS Code…', fraction: 0.7 },
};

/**
 * The state of each clone of a batch from the live projects store (`projects`, fed by the event stream): its
 * phase (`progress`) while `creating`, then its final status, with its Git branch and the reason its branch
 * could not be pushed (`gitError`) when the server reports them. A clone missing from the store was deleted.
 */
export function cloneRows(clones: readonly CloneEntry[], projects: Readonly<Record<string, ProjectSummary>>): CloneRowState[] {
  return clones.map((clone) => {
    const project = projects[clone.projectId];
    if (!project) return { projectId: clone.projectId, name: clone.projectName, label: 'Removed', fraction: 1, state: 'removed' };
    const base = {
      projectId: clone.projectId,
      name: project.name,
      ...(project.gitBranch ? { gitBranch: project.gitBranch } : {}),
      ...(project.gitError ? { gitError: project.gitError } : {}),
    };
    switch (project.status) {
      case 'running':
        return { ...base, label: 'Running', fraction: 1, state: 'running' };
      case 'error':
        return { ...base, label: 'Failed', fraction: 1, state: 'failed', ...(project.statusReason ? { reason: project.statusReason } : {}) };
      case 'stopped':
        return { ...base, label: 'Stopped', fraction: 1, state: 'stopped' };
      case 'creating': {
        // A clone seen before its first phase update is waiting for the snapshot.
        const phase = PHASES[project.progress ?? 'snapshot'];
        return { ...base, label: phase.label, fraction: phase.fraction, state: 'working' };
      }
    }
  });
}
