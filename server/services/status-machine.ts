import type { ProjectStatus } from '../contract/index.js';

/**
 * The workspace status machine (api-reference "Status Values", behaviour.md "Workspaces"):
 *   creating → running (code-server answered `/healthz`) | stopped | error (with reason)
 *   running  → stopped (stopped by us or outside) | error (container removed or failed) | creating (restart)
 *   stopped  → creating (start) | error (container removed) | stopped
 *   error    → creating (start/recreate) | stopped | error
 * Anything may go to `error`; `running` is reached only through `creating` except when an already running
 * container is found at reconcile time.
 */
const ALLOWED: Record<ProjectStatus, readonly ProjectStatus[]> = {
  creating: ['creating', 'running', 'stopped', 'error'],
  running: ['running', 'stopped', 'error', 'creating'],
  stopped: ['stopped', 'creating', 'error'],
  error: ['error', 'creating', 'stopped'],
};

/** True when a project may move from `from` to `to`. */
export function canTransition(from: ProjectStatus, to: ProjectStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** What an engine event means for a project's status, given its current status; null = no change. */
export function statusAfterEngineEvent(current: ProjectStatus, action: string): { status: ProjectStatus; reason: string | null } | null {
  switch (action) {
    case 'start':
    case 'restart':
    case 'unpause':
      // The readiness probe decides when it becomes `running`.
      return current === 'running' ? null : { status: 'creating', reason: 'Waiting for code-server to answer' };
    case 'kill':
      // A signal was sent (e.g. SIGHUP to restart code-server after a password change): not an end by itself.
      // When the container does end, its 'die' event follows.
      return null;
    case 'die':
    case 'stop':
      return current === 'stopped' || current === 'error' ? null : { status: 'stopped', reason: null };
    case 'oom':
      return { status: 'error', reason: 'The workspace ran out of memory' };
    case 'destroy':
      return { status: 'error', reason: 'The container was removed outside the app' };
    case 'pause':
      return current === 'running' ? { status: 'stopped', reason: 'The container was paused outside the app' } : null;
    default:
      return null;
  }
}

/**
 * Why a clone without a container cannot be used. A clone's files exist only in its own container (made from a
 * snapshot of its source), so it is never re-created from the base image: that would hand out an empty
 * workspace. `containerId` null = the batch was interrupted (e.g. the app stopped during the snapshot) before
 * the container was made; otherwise the container was removed.
 */
export function missingCloneReason(containerId: string | null): string {
  return containerId === null
    ? 'Clone interrupted before its container was made: delete it and clone again'
    : 'The clone\'s container was removed: delete it and clone again';
}

/**
 * Status a record gets at start-up reconciliation from what the engine reports (behaviour.md: a record whose
 * container vanished becomes `error`, never deleted). `containerState` null = no container. `clone`: given for a
 * clone (record.clonedFrom set), whose missing container gets {@link missingCloneReason}.
 */
export function statusFromContainer(
  current: ProjectStatus,
  containerState: { running: boolean } | null,
  clone?: { containerId: string | null },
): { status: ProjectStatus; reason: string | null } {
  if (containerState === null) {
    if (clone) return { status: 'error', reason: missingCloneReason(clone.containerId) };
    return { status: 'error', reason: 'The container is missing (it was removed while the app was not watching)' };
  }
  if (containerState.running) return { status: 'creating', reason: 'Waiting for code-server to answer' };
  return { status: 'stopped', reason: null };
}
