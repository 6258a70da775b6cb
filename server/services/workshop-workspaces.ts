import type { ErrorCode, ProjectStatus } from '../contract/index.js';
import { createLimiter } from './cloning.js';
import { ServiceError } from './service-error.js';

/**
 * Start all / stop all workspaces of a workshop group (issue #6 "Tray quick actions"), in-process through the
 * same `ProjectsService` calls the HTTP routes use, so every rule of a single start or stop holds:
 * `maxConcurrentWorkspaces` (a start beyond it is refused with CONCURRENT_LIMIT_REACHED and counted as
 * skipped), the password of a protected workspace for a stop (not given here: such a workspace is skipped and
 * named), engine availability. Which workspaces: see {@link planGroup}.
 */

/** What this module needs to know about one workspace (ProjectsService.briefs() gives it). */
export interface GroupBrief {
  id: string;
  name: string;
  group: string | null;
  status: ProjectStatus;
  /** Id of the workspace it was cloned from, or null. */
  clonedFrom?: string | null;
}

/** The ProjectsService calls used here. */
export interface GroupProjects {
  briefs(): GroupBrief[];
  /** @throws ServiceError (CONCURRENT_LIMIT_REACHED, SERVICE_UNAVAILABLE, CONTAINER_CREATE_FAILED, ...). */
  start(projectId: string): Promise<unknown>;
  /** @throws ServiceError (INVALID_WORKSPACE_PASSWORD for a protected workspace without its password, ...). */
  stop(projectId: string, password: unknown): Promise<void>;
}

/** The workspaces a group action would act on, by id (natural order is not needed: all are acted on). */
export interface GroupPlan {
  group: string;
  /** Seats (not templates) that are `stopped` or `error`: what "start all" starts. */
  startable: string[];
  /** Workspaces of the group (templates included) that are `running`: what "stop all" stops. */
  stoppable: string[];
}

/**
 * Which workspaces of `group` start all and stop all act on:
 * - start all starts the group's seats that are `stopped` or `error` (an `error` workspace gets the same retry
 *   as its Start button). Templates (a workspace another workspace of the group was cloned from; the same rule
 *   as WorkshopService) are never seats, so they are not started: they would only take a place under
 *   `maxConcurrentWorkspaces` from a seat. `creating` ones are on their way already.
 * - stop all stops every `running` workspace of the group, templates included (end of the workshop day).
 * Pure.
 */
export function planGroup(briefs: readonly GroupBrief[], group: string): GroupPlan {
  const members = briefs.filter((brief) => brief.group === group);
  const ids = new Set(members.map((brief) => brief.id));
  const templates = new Set<string>();
  for (const brief of members) if (brief.clonedFrom && brief.clonedFrom !== brief.id && ids.has(brief.clonedFrom)) templates.add(brief.clonedFrom);
  return {
    group,
    startable: members.filter((b) => !templates.has(b.id) && (b.status === 'stopped' || b.status === 'error')).map((b) => b.id),
    stoppable: members.filter((b) => b.status === 'running').map((b) => b.id),
  };
}

/** One workspace a group action did not do. */
export interface GroupActionProblem {
  projectId: string;
  projectName: string;
  /** The service's error code (e.g. CONCURRENT_LIMIT_REACHED, INVALID_WORKSPACE_PASSWORD), INTERNAL_ERROR otherwise. */
  code: ErrorCode;
  message: string;
}

/** Outcome of {@link WorkshopWorkspaces.startAll} / {@link WorkshopWorkspaces.stopAll}. */
export interface GroupActionResult {
  action: 'start' | 'stop';
  group: string;
  /** Workspaces acted on. */
  attempted: number;
  /** Ids that were started / stopped. */
  done: string[];
  /** Refused by a rule the user can act on: the concurrent limit (start) or a workspace password (stop). */
  skipped: GroupActionProblem[];
  /** Failed for another reason (engine down, container would not start, ...). */
  failed: GroupActionProblem[];
}

/** Options of {@link WorkshopWorkspaces}. */
export interface WorkshopWorkspacesOptions {
  projects: GroupProjects;
  /** Starts or stops run at once at most (default 4: a start waits for code-server, most of it idle). */
  parallelism?: number;
}

/** Default number of starts/stops at once. */
export const GROUP_ACTION_PARALLELISM = 4;

function problem(brief: GroupBrief, error: unknown): GroupActionProblem {
  if (error instanceof ServiceError) return { projectId: brief.id, projectName: brief.name, code: error.code, message: error.message };
  return { projectId: brief.id, projectName: brief.name, code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
}

/** Start all / stop all of one group; see the module comment. Never rejects: problems are in the result. */
export class WorkshopWorkspaces {
  constructor(private readonly options: WorkshopWorkspacesOptions) {}

  /** {@link planGroup} over the current workspaces. */
  plan(group: string): GroupPlan {
    return planGroup(this.options.projects.briefs(), group);
  }

  /**
   * Starts the group's stopped seats, a few at a time. Once one start is refused for the concurrent limit, the
   * ones not yet begun are skipped with the same reason instead of being tried one by one.
   */
  async startAll(group: string): Promise<GroupActionResult> {
    const briefs = this.briefsOf(this.plan(group).startable);
    let limitError: ServiceError | null = null;
    return this.run('start', group, briefs, async (brief) => {
      if (limitError) throw limitError;
      try {
        await this.options.projects.start(brief.id);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'CONCURRENT_LIMIT_REACHED') limitError = error;
        throw error;
      }
    });
  }

  /** Stops the group's running workspaces, a few at a time. Password-protected ones are skipped (no password given). */
  async stopAll(group: string): Promise<GroupActionResult> {
    const briefs = this.briefsOf(this.plan(group).stoppable);
    return this.run('stop', group, briefs, (brief) => this.options.projects.stop(brief.id, undefined));
  }

  private briefsOf(ids: string[]): GroupBrief[] {
    const byId = new Map(this.options.projects.briefs().map((brief) => [brief.id, brief]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  private async run(action: 'start' | 'stop', group: string, briefs: GroupBrief[], act: (brief: GroupBrief) => Promise<void>): Promise<GroupActionResult> {
    const limit = createLimiter(Math.max(1, this.options.parallelism ?? GROUP_ACTION_PARALLELISM));
    const result: GroupActionResult = { action, group, attempted: briefs.length, done: [], skipped: [], failed: [] };
    const skippable: ErrorCode = action === 'start' ? 'CONCURRENT_LIMIT_REACHED' : 'INVALID_WORKSPACE_PASSWORD';
    await Promise.all(
      briefs.map((brief) =>
        limit(async () => {
          try {
            await act(brief);
            result.done.push(brief.id);
          } catch (error) {
            const entry = problem(brief, error);
            (entry.code === skippable ? result.skipped : result.failed).push(entry);
          }
        }),
      ),
    );
    return result;
  }
}
