/**
 * Which native notifications the desktop app shows, derived from the server's event bus (contract
 * server/contract/events.ts) and the workshop's claim list. Pure (no Electron import): events and claim lists go
 * in, notices come out; `main/index.ts` shows each notice with Electron's `Notification`.
 *
 * Notices (issue #6):
 * - a clone batch finished: every clone of one source seen `creating` with clone `progress` has become `running`
 *   or `error` (or was deleted) → one notice per batch, failures counted;
 * - a seat claimed: a claim id not seen before in the active claims;
 * - a workspace went into `error`: a transition from any other status (a clone's failure is counted in its batch
 *   notice instead, so it is not announced twice).
 * De-duplication: the planner remembers the last status of every workspace and every claim id, so repeated
 * `project.updated` events with the same status and re-reads of the same claims produce nothing. Batching:
 * notices wait in a queue until `drain()`; several claims or several errors queued together become one notice
 * each (a class claiming 20 seats in a minute must not raise 20 pop-ups).
 */
import type { ServerEvent } from '../server/contract/events.js';
import type { ProjectStatus, ProjectSummary } from '../server/contract/projects.js';

/** What a notice is about. */
export type NoticeKind = 'clone-batch' | 'seat-claimed' | 'workspace-error';

/** One native notification to show. */
export interface DesktopNotice {
  kind: NoticeKind;
  title: string;
  body: string;
  /** The workspace a click should show, when the notice is about one; null for summaries. */
  projectId: string | null;
}

/** The part of a workspace the planner reads (a `ProjectSummary` fits). */
export type WorkspaceView = Pick<ProjectSummary, 'id' | 'name' | 'status' | 'statusReason' | 'progress'>;

/** An active claim as the planner reads it (`WorkshopService.claims().active` mapped by main/index.ts). */
export interface ClaimSnapshot {
  /** The claim's stable id (store row id). */
  id: number;
  projectId: string;
  projectName: string;
  /** Participant name as entered. */
  name: string;
}

/** The source a clone was made from, or null when unknown (e.g. the source was deleted meanwhile). */
export type CloneSourceLookup = (cloneId: string) => { id: string; name: string } | null;

/**
 * The source lookup over the server's workspace briefs (`ProjectsService.briefs()`: `clonedFrom` is the source's
 * id, null for workspaces that are no clone). Read at each call, so a source renamed meanwhile shows its new name.
 */
export function cloneSourceLookup(briefs: () => ReadonlyArray<{ id: string; name: string; clonedFrom: string | null }>): CloneSourceLookup {
  return (cloneId) => {
    const all = briefs();
    const sourceId = all.find((brief) => brief.id === cloneId)?.clonedFrom;
    if (!sourceId) return null;
    return { id: sourceId, name: all.find((brief) => brief.id === sourceId)?.name ?? sourceId };
  };
}

/** The planner's view of `WorkshopService.claims().active` (claim record + current workspace name). */
export function claimSnapshots(active: ReadonlyArray<{ claim: { id: number; projectId: string; name: string }; projectName: string }>): ClaimSnapshot[] {
  return active.map((view) => ({ id: view.claim.id, projectId: view.claim.projectId, projectName: view.projectName, name: view.claim.name }));
}

interface CloneBatch {
  sourceName: string;
  /** Clone id → outcome so far. */
  members: Map<string, 'pending' | 'running' | 'error' | 'removed'>;
}

/** Longest text in a notice body; notification centres cut longer ones anyway. */
const MAX_BODY_CHARS = 200;

function clip(text: string, max = MAX_BODY_CHARS): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Turns server events into notices. Call `seed()` once with the workspaces and claims that exist at start (they
 * never notify), then `observe()` for every bus event and `observeClaims()` after every `workshop.changed`, and
 * `drain()` to take the queued notices (main/index.ts drains shortly after the last event, so bursts merge).
 */
export class NotificationPlanner {
  private readonly statuses = new Map<string, ProjectStatus>();
  private readonly names = new Map<string, string>();
  private readonly seenClaims = new Set<number>();
  private claimsSeeded = false;
  /** Source id → batch in flight; `cloneSource` maps each member back to its batch key. */
  private readonly batches = new Map<string, CloneBatch>();
  private readonly cloneSource = new Map<string, string>();
  private queue: DesktopNotice[] = [];

  constructor(private readonly sourceOf: CloneSourceLookup) {}

  /** Records the state at start: nothing in it is announced. Clones already in progress join their batches. */
  seed(workspaces: readonly WorkspaceView[], claims?: readonly ClaimSnapshot[]): void {
    for (const workspace of workspaces) {
      this.track(workspace);
      if (workspace.status === 'creating' && workspace.progress) this.joinBatch(workspace);
    }
    if (claims) {
      for (const claim of claims) this.seenClaims.add(claim.id);
      this.claimsSeeded = true;
    }
  }

  /** Takes one bus event. `hello` (SSE only) is treated like `seed`. */
  observe(event: ServerEvent): void {
    switch (event.type) {
      case 'hello':
        this.seed(event.projects);
        return;
      case 'project.updated':
        this.onProject(event.project);
        return;
      case 'project.removed':
        this.onRemoved(event.projectId);
        return;
      default:
        return; // docker, image, workshop.changed: nothing to announce by themselves
    }
  }

  /**
   * Takes the current active claims (after a `workshop.changed`). The first call without a seeded list only
   * records them; later calls queue a notice for every claim id not seen before.
   */
  observeClaims(active: readonly ClaimSnapshot[]): void {
    if (!this.claimsSeeded) {
      for (const claim of active) this.seenClaims.add(claim.id);
      this.claimsSeeded = true;
      return;
    }
    for (const claim of active) {
      if (this.seenClaims.has(claim.id)) continue;
      this.seenClaims.add(claim.id);
      this.queue.push({
        kind: 'seat-claimed',
        title: 'Seat claimed',
        body: clip(`${claim.name} took ${claim.projectName}.`),
        projectId: claim.projectId,
      });
    }
  }

  /** Whether notices are waiting for `drain()`. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /**
   * Takes the queued notices, merging several of one kind: claims become "N seats claimed" (names listed),
   * errors "N workspaces went into error" (names listed). Clone batch notices stay one per source.
   */
  drain(): DesktopNotice[] {
    const queued = this.queue;
    this.queue = [];
    const out: DesktopNotice[] = [];
    const claims = queued.filter((notice) => notice.kind === 'seat-claimed');
    const errors = queued.filter((notice) => notice.kind === 'workspace-error');
    out.push(...queued.filter((notice) => notice.kind === 'clone-batch'));
    if (claims.length === 1) out.push(claims[0]!);
    else if (claims.length > 1) {
      out.push({
        kind: 'seat-claimed',
        title: `${claims.length} seats claimed`,
        body: clip(claims.map((notice) => notice.body.replace(/\.$/, '')).join('; ')),
        projectId: null,
      });
    }
    if (errors.length === 1) out.push(errors[0]!);
    else if (errors.length > 1) {
      const names = errors.map((notice) => this.names.get(notice.projectId ?? '') ?? notice.projectId ?? '?');
      out.push({
        kind: 'workspace-error',
        title: `${errors.length} workspaces went into error`,
        body: clip(names.join(', ')),
        projectId: null,
      });
    }
    return out;
  }

  private track(workspace: WorkspaceView): ProjectStatus | undefined {
    const previous = this.statuses.get(workspace.id);
    this.statuses.set(workspace.id, workspace.status);
    this.names.set(workspace.id, workspace.name);
    return previous;
  }

  private joinBatch(workspace: WorkspaceView): void {
    if (this.cloneSource.has(workspace.id)) return;
    const source = this.sourceOf(workspace.id);
    // Clones whose source is unknown still get a batch (keyed by a placeholder) so they are counted somewhere.
    const key = source?.id ?? '?';
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { sourceName: source?.name ?? 'a deleted workspace', members: new Map() };
      this.batches.set(key, batch);
    }
    batch.members.set(workspace.id, 'pending');
    this.cloneSource.set(workspace.id, key);
  }

  private onProject(workspace: WorkspaceView): void {
    const previous = this.track(workspace);
    if (workspace.status === 'creating' && workspace.progress) {
      this.joinBatch(workspace);
      return;
    }
    const batchKey = this.cloneSource.get(workspace.id);
    if (batchKey !== undefined && (workspace.status === 'running' || workspace.status === 'error' || workspace.status === 'stopped')) {
      // A clone stopped before it ever ran counts as finished without failure: it exists and can be started.
      this.settle(batchKey, workspace.id, workspace.status === 'error' ? 'error' : 'running');
      return;
    }
    if (workspace.status === 'error' && previous !== 'error') {
      this.queue.push({
        kind: 'workspace-error',
        title: 'Workspace failed',
        body: clip(`${workspace.name}: ${workspace.statusReason?.trim() || 'went into error'}`),
        projectId: workspace.id,
      });
    }
  }

  private onRemoved(projectId: string): void {
    this.statuses.delete(projectId);
    const batchKey = this.cloneSource.get(projectId);
    if (batchKey !== undefined) this.settle(batchKey, projectId, 'removed');
    this.names.delete(projectId);
  }

  private settle(batchKey: string, cloneId: string, outcome: 'running' | 'error' | 'removed'): void {
    this.cloneSource.delete(cloneId);
    const batch = this.batches.get(batchKey);
    if (!batch) return;
    batch.members.set(cloneId, outcome);
    const outcomes = [...batch.members.values()];
    if (outcomes.includes('pending')) return;
    this.batches.delete(batchKey);
    const ready = outcomes.filter((value) => value === 'running').length;
    const failed = outcomes.filter((value) => value === 'error').length;
    const removed = outcomes.filter((value) => value === 'removed').length;
    if (ready + failed === 0) return; // every clone was deleted before it finished: nothing to report
    const parts = [`${plural(ready, 'clone', 'clones')} ready`];
    if (failed > 0) parts.push(`${failed} failed`);
    if (removed > 0) parts.push(`${removed} deleted`);
    this.queue.push({
      kind: 'clone-batch',
      title: failed > 0 ? 'Cloning finished with failures' : 'Cloning finished',
      body: clip(`${batch.sourceName}: ${parts.join(', ')}.`),
      projectId: batchKey === '?' ? null : batchKey,
    });
  }
}
