import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import {
  MAX_NOTES_BYTES,
  MEMORY_LIMIT_MB,
  ProjectId,
  utf8ByteLength,
  type CloneEntry,
  type CloneProgress,
  type CloneProjectRequest,
  type ContainerInfo,
  type DiskUsage,
  type CreateProjectRequest,
  type ProjectDetail,
  type ProjectStatus,
  type ProjectSummary,
} from '../contract/index.js';
import type { EventBus } from '../events/event-bus.js';
import type { RouteTable, RouteTarget } from '../routing/route-table.js';
import {
  ContainerNotFoundError,
  RuntimeUnavailableError,
  type RuntimeEvent,
  type WorkspaceContainer,
  type WorkspaceRuntime,
  type WorkspaceSpec,
} from '../runtime/workspace-runtime.js';
import { DuplicateProjectNameError, type ProjectRecord, type Store } from '../store/index.js';
import { CLONE_PARALLELISM, checkCloneLimits, cloneNames, createLimiter, snapshotTag } from './cloning.js';
import { capabilitiesFromConfig, unavailableOptionDetails, type ServerCapabilities } from './capabilities.js';
import { formatBytes, formatPercent, formatUptime } from './format.js';
import type { ImageService } from './image-service.js';
import { CODE_SERVER_SESSION_COOKIE, workspaceCommand, writeCodeServerConfig } from './code-server-auth.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { newProjectId } from './project-id.js';
import { ServiceError } from './service-error.js';
import { missingCloneReason, statusAfterEngineEvent, statusFromContainer } from './status-machine.js';
import { writeTemplate } from './templates.js';
import { giveWorkspaceCredential, setUpWorkspaceRepository, writeWorkspaceCredentials, type WorkspaceGitAccess } from './workspace-git.js';
import { withDefaultResources } from './resource-defaults.js';
import type { SystemState } from './system-state.js';
import type { NetworkControl, WorkspaceNetworkPlan } from '../proxies/network-control.js';

/** Max processes per workspace when limits are on (fork-bomb guard; code-server plus tools stay far below). */
export const WORKSPACE_PIDS_LIMIT = 1024;
/** How long code-server may take to answer `/healthz` after a start before the workspace is `error` (ms). */
export const READINESS_TIMEOUT_MS = 120_000;
/** Interval between readiness probes (ms). */
const READINESS_POLL_MS = 250;

/**
 * Limit message with the right number: `limitReachedMessage(1, 'running workspace')` →
 * "The maximum of 1 running workspace is reached"; plural (`+s`) for every other count.
 */
export function limitReachedMessage(limit: number, noun: 'workspace' | 'running workspace'): string {
  return `The maximum of ${limit} ${noun}${limit === 1 ? '' : 's'} is reached`;
}

/** A project as kept in memory: the record plus what the engine last told us. */
interface LiveProject {
  record: ProjectRecord;
  /** 127.0.0.1 port of code-server while the container runs. */
  hostPort: number | null;
  startedAt: string | null;
  /** Bumped on every (re)start so a stale readiness probe stops. */
  generation: number;
  /** Set while we stop or delete it ourselves, so the engine's events are not read as outside changes. */
  stopping: boolean;
  deleting: boolean;
  starting: boolean;
  /** Number of readiness probes running (a start event does not begin another one). */
  probing: number;
  /** Phase while this workspace is a clone being made (contract `CloneProgress`); memory only. */
  progress?: CloneProgress | null;
  /** Snapshots of this workspace in progress: the engine's pause/unpause events of `docker commit` are ours. */
  snapshotting?: number;
}

export interface ProjectsServiceOptions {
  config: ServerConfig;
  store: Store;
  runtime: WorkspaceRuntime;
  bus: EventBus;
  state: SystemState;
  images: ImageService;
  logger: Logger;
  /** Port the HTTP server actually listens on (for workspace URLs). */
  publicPort(): number;
  /**
   * Optional services available now (proxies, Git server); read on every create and every `GET /api/config`.
   * Defaults to {@link capabilitiesFromConfig} of `config`.
   */
  capabilities?: () => ServerCapabilities;
  /**
   * The claim key of a workspace's active workshop claim, or undefined (not claimed); read by `resolve` on
   * every routed request, so it must answer from memory (WorkshopService.claimKeyOf).
   */
  claimKeyOf?: (projectId: string) => string | undefined;
  /**
   * Called (synchronously, once the new hash is in force for the gate) when a workspace's password is set,
   * changed or removed: the server ends the workspace's open connections with it (`WorkspaceRouter.disconnect`),
   * since the gate only refuses sessions of the old password on new requests. Must not throw.
   */
  onSessionsInvalidated?: (projectId: string) => void;
  /**
   * Network control of the proxy modes (issue #5): networks, proxies, credentials and firewall rules a
   * `security`/`logging` workspace needs before each start. Absent: only `none` works (capabilities say so).
   */
  network?: NetworkControl;
  /**
   * The Git server (issue #7). `createRepositoryFor` makes the (empty) repository of a workspace created with
   * `createGitRepo`, named after it (collisions get `-2`, `-3`, …), and resolves its browser URL and `owner/name`
   * (@throws ServiceError SERVICE_UNAVAILABLE, GIT_REPO_CREATE_FAILED, ...); the rest sets up and revokes the
   * workspaces' repository-limited credentials (workspace-git.ts).
   */
  git?: WorkspaceGitAccess & {
    createRepositoryFor(projectName: string): Promise<{ url: string; fullName: string }>;
    revokeWorkspaceAccess(projectId: string): Promise<void>;
  };
}

/**
 * The rules of workspaces (api-reference "Project Management", "Container Control"; behaviour.md
 * "Workspaces"). Keeps every project in memory, in sync with SQLite (source of truth for records) and with the
 * engine (through its event stream and a readiness probe), so that listing and routing never call the engine.
 * Errors: `ServiceError` with the contract's codes.
 */
export class ProjectsService implements RouteTable {
  private readonly projects = new Map<string, LiveProject>();
  /** Names (lower-case) of creations in flight, so two concurrent creates cannot take the same name. */
  private readonly pendingNames = new Set<string>();
  private pendingCreates = 0;
  /** Workspaces whose start passed the concurrent-limit check and is still running (counted as active meanwhile). */
  private readonly startReservations = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private stopWatching: (() => void) | null = null;
  /** Tags of snapshot images a clone batch still needs (the leftover clean-up keeps them). */
  private readonly activeSnapshots = new Set<string>();
  /** Git set-ups in flight, by project id (at most one each). */
  private readonly gitSetUps = new Map<string, Promise<void>>();
  private closed = false;
  private reconciling: Promise<void> | null = null;
  /** Labelled containers of this instance that have no record (reported, never destroyed). */
  orphanContainers: string[] = [];

  constructor(private readonly options: ProjectsServiceOptions) {
    for (const record of options.store.projects.list()) {
      this.projects.set(record.id, { record, hostPort: null, startedAt: null, generation: 0, stopping: false, deleting: false, starting: false, probing: 0 });
    }
  }

  /**
   * Optional services this server has now. The one source for both the create validation and the `features`
   * of `GET /api/config`, so the two cannot disagree.
   */
  capabilities(): ServerCapabilities {
    return this.options.capabilities?.() ?? capabilitiesFromConfig(this.options.config);
  }

  // ---------------------------------------------------------------- engine connection

  /**
   * Starts following the engine: on every (re)connection the engine version is read, the database reconciled
   * with the containers, and the image checked; on loss, the docker state says so. Never throws.
   */
  attachEngine(): void {
    if (this.stopWatching || this.closed) return;
    const { runtime, state, logger } = this.options;
    this.stopWatching = runtime.watch(
      (event) => this.onEngineEvent(event),
      (connected, error) => {
        if (this.closed) return;
        if (!connected) {
          if (state.docker.available) logger.warn({ error }, 'Docker engine connection lost');
          state.setDocker({ available: false, version: null, error: error ?? 'Docker is not reachable' });
          return;
        }
        void this.onEngineConnected();
      },
    );
  }

  /**
   * First contact with the engine before the server accepts requests: ping, reconcile, image check, bounded by
   * `timeoutMs` (default 5 s) so an unreachable engine never delays start-up for long. Never throws.
   */
  async initialSync(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.onEngineConnected(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async onEngineConnected(): Promise<void> {
    const { runtime, state, logger, images } = this.options;
    try {
      const version = await runtime.ping();
      if (this.closed) return;
      if (!state.docker.available) logger.info({ version }, 'Docker engine available');
      state.setDocker({ available: true, version, error: null });
      // Docker does not keep our firewall rules across its restarts: put them back before workspaces start.
      if (this.options.network) await this.options.network.reapply();
      await this.reconcile();
      await this.removeLeftoverSnapshots();
      await images.check();
    } catch (error) {
      state.setDocker({ available: false, version: null, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * Brings records in line with the engine (behaviour.md "Workspaces"): a record whose container vanished
   * becomes `error` (never deleted); a stopped container makes it `stopped`; a running one is probed until
   * code-server answers. Containers without a record are logged and listed in `orphanContainers`.
   * @throws RuntimeUnavailableError when the engine cannot be listed.
   */
  async reconcile(): Promise<void> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = (async () => {
      const containers = await this.options.runtime.list();
      const byProject = new Map<string, WorkspaceContainer>();
      for (const container of containers) byProject.set(container.projectId, container);
      await Promise.all(
        [...this.projects.values()].map(async (live) => {
          if (this.locks.has(live.record.id) || live.deleting) return;
          const container = byProject.get(live.record.id) ?? null;
          if (container?.running && live.record.status === 'running' && live.hostPort === container.hostPort) return;
          const clone = live.record.clonedFrom ? { containerId: live.record.containerId ?? null } : undefined;
          const next = statusFromContainer(live.record.status, container, clone);
          if (!container?.running) {
            live.hostPort = null;
            live.startedAt = null;
            // An error keeps its reason, except a clone without container: that one must say it cannot be started.
            if (next.status === 'error' && live.record.status === 'error' && (!clone || live.record.statusReason === next.reason)) return;
            this.setStatus(live, next.status, next.reason);
            return;
          }
          const details = await this.options.runtime.inspect(live.record.id).catch(() => null);
          live.startedAt = details?.startedAt ?? null;
          live.hostPort = details?.hostPort ?? container.hostPort;
          // Already serving (e.g. after our own restart): straight to running, so routes work at once.
          if (live.hostPort && (await answersHealthz(live.hostPort))) {
            this.setStatus(live, 'running', null);
            return;
          }
          this.setStatus(live, next.status, next.reason);
          void this.probeUntilReady(live, ++live.generation);
        }),
      );
      const orphans = containers.filter((c) => !this.projects.has(c.projectId)).map((c) => c.name).sort();
      const changed = orphans.join('\n') !== this.orphanContainers.join('\n');
      this.orphanContainers = orphans;
      if (changed && orphans.length > 0) {
        this.options.logger.warn({ containers: this.orphanContainers }, 'workspace containers without a record (left untouched)');
      }
    })().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private onEngineEvent(event: RuntimeEvent): void {
    const live = this.projects.get(event.projectId);
    if (!live || this.closed || live.deleting) return;
    if (live.stopping && ['die', 'stop', 'kill'].includes(event.action)) return;
    if ((live.snapshotting ?? 0) > 0 && ['pause', 'unpause'].includes(event.action)) return;
    if (event.action === 'die' && live.record.status === 'creating' && !live.stopping) {
      // Died while starting: that is a failed start, with the exit code as reason.
      void this.options.runtime
        .inspect(live.record.id)
        .then((info) => {
          if (live.deleting || live.stopping) return;
          live.hostPort = null;
          this.setStatus(live, 'error', `code-server stopped during start-up (exit code ${info?.exitCode ?? 'unknown'}${info?.error ? `: ${info.error}` : ''})`);
        })
        .catch(() => undefined);
      return;
    }
    if (['start', 'restart', 'unpause'].includes(event.action)) {
      // Started (by us or outside the app): learn the port the engine picked, probe unless a probe runs.
      void this.options.runtime
        .inspect(live.record.id)
        .then((info) => {
          if (this.closed || live.deleting || live.stopping || !info?.running) return;
          live.hostPort = info.hostPort;
          live.startedAt = info.startedAt;
          if ((live.probing > 0 || live.starting) && live.record.status === 'creating') return;
          if (live.record.status === 'running') return;
          this.setStatus(live, 'creating', 'Waiting for code-server to answer');
          void this.probeUntilReady(live, ++live.generation);
        })
        .catch(() => undefined);
      return;
    }
    const next = statusAfterEngineEvent(live.record.status, event.action);
    if (!next) return;
    if (next.status !== 'running' && next.status !== 'creating') live.hostPort = null;
    this.setStatus(live, next.status, next.reason);
  }

  // ---------------------------------------------------------------- queries (memory only)

  /** Every project, oldest first, from memory (no engine call). */
  list(): ProjectSummary[] {
    return [...this.projects.values()].map((live) => this.toSummary(live.record));
  }

  /**
   * Id, name, group and status of every project, oldest first, from memory: what workshop claims read on
   * every claim, without building full summaries (the claim path must stay well under a millisecond).
   * `clonedFrom`: the workspace it was cloned from, or null.
   */
  briefs(): { id: string; name: string; group: string | null; status: ProjectStatus; clonedFrom: string | null }[] {
    return [...this.projects.values()].map(({ record }) => ({
      id: record.id,
      name: record.name,
      group: record.group,
      status: record.status,
      clonedFrom: record.clonedFrom ?? null,
    }));
  }

  /** Counts by status, from memory. */
  counts(): Record<ProjectStatus, number> & { total: number } {
    const counts = { creating: 0, running: 0, stopped: 0, error: 0, total: 0 };
    for (const live of this.projects.values()) {
      counts[live.record.status] += 1;
      counts.total += 1;
    }
    return counts;
  }

  /** RouteTable: where a request for `<projectId>.<baseDomain>` goes, from memory. */
  resolve(projectId: string): RouteTarget {
    const live = this.projects.get(projectId);
    if (!live) return { kind: 'unknown', projectId };
    const { record } = live;
    if (record.status === 'running' && live.hostPort) {
      const claimKey = this.options.claimKeyOf?.(projectId);
      return {
        kind: 'running',
        projectId,
        name: record.name,
        port: live.hostPort,
        ...(record.passwordHash ? { passwordHash: record.passwordHash } : {}),
        ...(claimKey ? { claimKey } : {}),
      };
    }
    const status = record.status === 'running' ? 'creating' : record.status;
    return { kind: 'not-running', projectId, name: record.name, status, ...(record.statusReason ? { reason: record.statusReason } : {}) };
  }

  /**
   * One project with its container block from the engine (`null` when there is no container or the engine
   * cannot be reached). @throws ServiceError PROJECT_NOT_FOUND.
   */
  async get(projectId: string): Promise<ProjectDetail> {
    const live = this.require(projectId);
    let container: ContainerInfo | null = null;
    try {
      const info = await this.options.runtime.inspect(projectId);
      if (info) {
        // docker stats takes two samples (about a second); never let a slow engine hold the answer longer than 3 s.
        const stats = info.running ? await withTimeout(this.options.runtime.stats(projectId), 3_000).catch(() => null) : null;
        container = {
          status: info.state,
          health: info.health ?? (info.running ? (live.record.status === 'running' ? 'healthy' : 'starting') : 'none'),
          uptime: info.running && info.startedAt ? formatUptime(Date.now() - Date.parse(info.startedAt)) : '0m',
          resources: { cpu: formatPercent(stats?.cpuPercent ?? 0), memory: formatBytes(stats?.memoryBytes ?? 0) },
        };
      }
    } catch (error) {
      if (!(error instanceof RuntimeUnavailableError)) throw error;
    }
    return { ...this.toSummary(live.record), container };
  }

  // ---------------------------------------------------------------- commands

  /**
   * Creates a workspace: checks limits, name, engine and image; creates the container; only then writes the
   * record (`creating`) and starts it in the background (→ `running` once code-server answers).
   * @returns the summary and, when one was set, the password (echoed once, api-reference "Create Project").
   * @throws ServiceError PROJECT_EXISTS, WORKSPACE_LIMIT_EXCEEDED, CONCURRENT_LIMIT_REACHED,
   *   VALIDATION_ERROR (limits above the configured maxima, features not available), SERVICE_UNAVAILABLE
   *   (engine down, image missing/building), CONTAINER_CREATE_FAILED. Nothing is left behind on failure.
   * @param rawBody the body as received: memory and cores it leaves out get {@link defaultResources}, which
   *   stay within the configured maxima (without it, the request's values are taken as sent).
   */
  async create(parsed: CreateProjectRequest, rawBody: unknown = parsed): Promise<{ project: ProjectSummary; password?: string }> {
    const { config, runtime, store, images, logger } = this.options;
    const request = withDefaultResources(parsed, rawBody, config);
    this.checkRequestAgainstConfig(request);
    const nameKey = request.projectName.toLowerCase();
    if (this.pendingNames.has(nameKey) || [...this.projects.values()].some((p) => p.record.name.toLowerCase() === nameKey)) {
      throw new ServiceError('PROJECT_EXISTS', `A project named "${request.projectName}" already exists`, { projectName: 'Project name already exists' });
    }
    if (this.projects.size + this.pendingCreates >= config.maxWorkspaces) {
      throw new ServiceError('WORKSPACE_LIMIT_EXCEEDED', limitReachedMessage(config.maxWorkspaces, 'workspace'));
    }
    if (this.activeCount() + this.pendingCreates >= config.maxConcurrentWorkspaces) {
      throw new ServiceError('CONCURRENT_LIMIT_REACHED', limitReachedMessage(config.maxConcurrentWorkspaces, 'running workspace'));
    }
    this.pendingNames.add(nameKey);
    this.pendingCreates += 1;
    try {
      await this.requireEngine();
      await images.requireReady();
      let id = newProjectId();
      while (this.projects.has(id)) id = newProjectId();
      const passwordHash = request.passwordProtected && request.password ? await hashPassword(request.password) : null;
      // The repository first: a workspace promised one never exists without it (contract: 500 GIT_REPO_CREATE_FAILED).
      let gitRepoUrl: string | null = null;
      let gitRepo: string | null = null;
      if (request.createGitRepo) {
        if (!this.options.git) throw new ServiceError('VALIDATION_ERROR', 'Validation failed', { createGitRepo: 'No Git server is set up on this server yet' });
        try {
          const repository = await this.options.git.createRepositoryFor(request.projectName);
          gitRepoUrl = repository.url;
          gitRepo = repository.fullName;
        } catch (error) {
          if (error instanceof ServiceError) throw error;
          throw new ServiceError('GIT_REPO_CREATE_FAILED', `Failed to create Git repository: ${errorMessage(error)}`);
        }
      }
      const record: ProjectRecord = {
        id,
        name: request.projectName,
        type: request.projectType,
        status: 'creating',
        statusReason: 'Starting the container',
        createdAt: new Date().toISOString(),
        lastActivity: null,
        passwordHash,
        proxyMode: request.proxyMode,
        memoryLimit: request.memoryLimit,
        cpuCores: request.cpuCores,
        group: request.group ? request.group : null,
        createGitRepo: request.createGitRepo,
        gitRepoUrl,
        gitRepo,
        gitBranch: null,
        gitError: null,
        containerId: null,
        image: images.tag,
      };
      let containerId: string;
      try {
        const plan = await this.networkPlan(record);
        containerId = await runtime.create(this.specFor(record, plan?.network));
      } catch (error) {
        throw this.engineFailure(error, 'CONTAINER_CREATE_FAILED', 'Could not create the workspace container');
      }
      try {
        await writeCodeServerConfig(runtime, id, passwordHash);
      } catch (error) {
        await runtime.remove(id).catch(() => undefined);
        throw this.engineFailure(error, 'CONTAINER_CREATE_FAILED', 'Could not configure the workspace editor');
      }
      // Starter files go in here, before the first start and only on this path: a restart, a re-created
      // container or a clone never gets them again, so participants' edits are never overwritten (issue #3).
      try {
        await writeTemplate(runtime, id, config.resourcesDir, record.type);
      } catch (error) {
        await runtime.remove(id).catch(() => undefined);
        throw this.engineFailure(error, 'CONTAINER_CREATE_FAILED', 'Could not write the project template');
      }
      record.containerId = containerId;
      try {
        store.projects.insert(record);
      } catch (error) {
        await runtime.remove(id).catch(() => undefined);
        if (error instanceof DuplicateProjectNameError) {
          throw new ServiceError('PROJECT_EXISTS', error.message, { projectName: 'Project name already exists' });
        }
        throw error;
      }
      const live: LiveProject = { record, hostPort: null, startedAt: null, generation: 0, stopping: false, deleting: false, starting: false, probing: 0 };
      this.projects.set(id, live);
      this.publish(live);
      logger.info({ projectId: id, name: record.name, type: record.type }, 'workspace created');
      void this.withLock(id, () => this.startContainer(live, false)).catch((error) => {
        logger.warn({ projectId: id, err: errorMessage(error) }, 'workspace failed to start');
      });
      return { project: this.toSummary(record), ...(request.passwordProtected && request.password ? { password: request.password } : {}) };
    } finally {
      this.pendingNames.delete(nameKey);
      this.pendingCreates -= 1;
    }
  }

  /**
   * Starts a workspace and waits until code-server answers (or the readiness timeout); re-creates the
   * container from the record when it vanished, except for a clone (its files existed only in its container).
   * @throws ServiceError PROJECT_NOT_FOUND, CONCURRENT_LIMIT_REACHED, SERVICE_UNAVAILABLE, INVALID_STATE (a clone
   *   whose container does not exist; the record is `error` with {@link missingCloneReason}), CONTAINER_CREATE_FAILED
   *   (the container could not be started or code-server never answered; the record is `error` with the reason).
   */
  async start(projectId: string): Promise<ProjectSummary> {
    const live = this.require(projectId);
    return this.withLock(projectId, async () => {
      if (live.record.status === 'running' && live.hostPort) return this.toSummary(live.record);
      const othersActive = this.activeCount() - (this.isActive(live) ? 1 : 0);
      if (othersActive + this.pendingCreates >= this.options.config.maxConcurrentWorkspaces) {
        throw new ServiceError('CONCURRENT_LIMIT_REACHED', limitReachedMessage(this.options.config.maxConcurrentWorkspaces, 'running workspace'));
      }
      // Reserve the slot before the first await, so parallel starts of other workspaces see it taken.
      this.startReservations.add(projectId);
      try {
        await this.requireEngine();
        await this.startContainer(live, true);
      } finally {
        this.startReservations.delete(projectId);
      }
      if (live.record.status === 'error') {
        throw new ServiceError('CONTAINER_CREATE_FAILED', `The workspace did not start: ${live.record.statusReason ?? 'unknown reason'}`);
      }
      return this.toSummary(live.record);
    });
  }

  /**
   * Stops a workspace gracefully. @throws ServiceError PROJECT_NOT_FOUND, INVALID_WORKSPACE_PASSWORD (protected
   * workspace, wrong or missing password), SERVICE_UNAVAILABLE.
   */
  async stop(projectId: string, password: unknown): Promise<void> {
    const live = this.require(projectId);
    await this.checkPassword(live, password);
    await this.withLock(projectId, async () => {
      await this.requireEngine();
      live.stopping = true;
      live.generation += 1;
      try {
        await this.options.runtime.stop(projectId);
        live.hostPort = null;
        live.startedAt = null;
        this.setStatus(live, 'stopped', null);
      } catch (error) {
        if (error instanceof ContainerNotFoundError) {
          live.hostPort = null;
          this.setStatus(live, 'error', 'The container is missing');
          return;
        }
        throw this.engineFailure(error, 'INTERNAL_ERROR', 'Could not stop the workspace');
      } finally {
        live.stopping = false;
      }
    });
  }

  /**
   * Deletes a workspace: its container (forced) and then its record.
   * @throws ServiceError PROJECT_NOT_FOUND, INVALID_WORKSPACE_PASSWORD, SERVICE_UNAVAILABLE (record kept).
   */
  async delete(projectId: string, password: unknown): Promise<void> {
    const live = this.require(projectId);
    await this.checkPassword(live, password);
    await this.withLock(projectId, async () => {
      if (!this.projects.has(projectId)) throw notFound();
      live.deleting = true;
      live.generation += 1;
      try {
        await this.options.runtime.remove(projectId);
      } catch (error) {
        live.deleting = false;
        throw this.engineFailure(error, 'INTERNAL_ERROR', 'Could not remove the workspace container');
      }
      this.options.store.projects.remove(projectId);
      this.projects.delete(projectId);
      this.options.bus.publish({ type: 'project.removed', projectId });
      this.options.logger.info({ projectId }, 'workspace deleted');
    });
    // Its proxy credential stops working (the proxies re-read their users file).
    if (live.record.proxyMode !== 'none') void this.options.network?.syncUsers();
    // So does its git token (one per workspace, limited to its repository).
    if (live.record.gitRepo) void this.options.git?.revokeWorkspaceAccess(projectId);
    // The last clone of a batch gone: its (untagged) snapshot image can go too.
    void this.removeLeftoverSnapshots();
  }

  // ---------------------------------------------------------------- cloning (issue 4, api-reference "Clone Workspace")

  /**
   * Clones a workspace `request.count` times (behaviour.md "Cloning"). Checks, all before anything is made:
   * the source exists, is not `creating` and has a container (else 400 VALIDATION_ERROR), the engine is up, and
   * the whole batch fits both limits ({@link checkCloneLimits}). Then writes every clone's record at once
   * (`creating`, progress `snapshot`, names `<source> <n>`) and returns; the rest runs in the background:
   * one `docker commit` of the source (paused for that moment if it runs), then each clone's container from
   * that image with the source's settings, its own id, labels and code-server configuration (the request's
   * password, or none: the source's configuration in the snapshot is overwritten before the first start, and
   * templates are not written), started and booted {@link CLONE_PARALLELISM} at a time. A failing clone ends in `error`
   * with its reason and does not stop the others. The snapshot image is removed once every container exists.
   * No source password is asked: cloning is an admin action.
   * @returns the source's id and name and the clones (id, name), all `creating`.
   * @throws ServiceError PROJECT_NOT_FOUND, VALIDATION_ERROR, INVALID_STATE (the source is a claimed workshop
   *   seat), CONCURRENT_LIMIT_REACHED, SERVICE_UNAVAILABLE.
   */
  async clone(sourceId: string, request: CloneProjectRequest): Promise<{ sourceProjectId: string; sourceProjectName: string; clones: CloneEntry[] }> {
    const { config, runtime, store, logger } = this.options;
    const source = this.require(sourceId);
    this.checkCloneSource(source);
    const proxyMode = request.proxyMode ?? source.record.proxyMode;
    const unavailable = unavailableOptionDetails({ proxyMode, createGitRepo: false }, this.capabilities());
    if (Object.keys(unavailable).length > 0) throw new ServiceError('VALIDATION_ERROR', 'Validation failed', unavailable);
    await this.requireEngine();
    const container = await runtime.inspect(sourceId).catch((error: unknown) => {
      throw this.engineFailure(error, 'INTERNAL_ERROR', 'Could not inspect the source workspace');
    });
    if (!container) {
      throw new ServiceError('VALIDATION_ERROR', 'The source workspace has no container to copy; start it once to create it again', {
        projectId: 'Source has no container',
      });
    }
    // One hash for the whole batch: every clone has the same password, so separate salts would protect nothing more.
    const passwordHash = request.password ? await hashPassword(request.password) : null;
    // From here on no await until the records exist, so parallel creates, starts and clones see the slots taken.
    if (this.projects.get(sourceId) !== source || source.deleting) throw notFound();
    this.checkCloneSource(source);
    checkCloneLimits(request.count, {
      existing: this.projects.size + this.pendingCreates,
      active: this.activeCount() + this.pendingCreates,
      maxWorkspaces: config.maxWorkspaces,
      maxConcurrentWorkspaces: config.maxConcurrentWorkspaces,
    });
    const taken = [...this.pendingNames, ...[...this.projects.values()].map((p) => p.record.name)];
    const names = cloneNames(source.record.name, request.count, taken);
    const createdAt = new Date().toISOString();
    const clones: LiveProject[] = [];
    try {
      for (const name of names) {
        let id = newProjectId();
        while (this.projects.has(id) || clones.some((c) => c.record.id === id)) id = newProjectId();
        const record: ProjectRecord = {
          ...source.record,
          id,
          name,
          status: 'creating',
          statusReason: 'Waiting for the snapshot of the source',
          createdAt,
          lastActivity: null,
          passwordHash,
          proxyMode,
          containerId: null,
          // The source of a clone batch is the group's template, never a workshop seat (WorkshopService).
          clonedFrom: sourceId,
          // Same repository as the source; its own branch is made once it runs (setUpGit).
          gitBranch: null,
          gitError: null,
        };
        store.projects.insert(record);
        clones.push({ record, hostPort: null, startedAt: null, generation: 0, stopping: false, deleting: false, starting: false, probing: 0, progress: 'snapshot' });
      }
    } catch (error) {
      for (const clone of clones) store.projects.remove(clone.record.id);
      if (error instanceof DuplicateProjectNameError) throw new ServiceError('PROJECT_EXISTS', error.message);
      throw error;
    }
    for (const clone of clones) {
      this.projects.set(clone.record.id, clone);
      this.publish(clone);
    }
    const tag = snapshotTag(sourceId);
    this.activeSnapshots.add(tag);
    logger.info({ sourceId, count: clones.length, clones: clones.map((c) => c.record.id) }, 'cloning workspace');
    const snapshot = this.withLock(sourceId, async () => {
      source.snapshotting = (source.snapshotting ?? 0) + 1;
      try {
        await runtime.snapshot(sourceId, tag);
      } finally {
        source.snapshotting = (source.snapshotting ?? 1) - 1;
      }
    });
    // Mapped (and logged) once for the whole batch; every clone shows the same reason.
    const snapshotDone = snapshot.catch((error: unknown) => {
      throw this.engineFailure(error, 'INTERNAL_ERROR', 'Could not snapshot the source workspace');
    });
    snapshotDone.catch(() => undefined);
    const limit = createLimiter(CLONE_PARALLELISM);
    // Each clone's lock is taken now (synchronously), so reconcile and other commands leave it alone meanwhile.
    const builds = clones.map((clone) => this.withLock(clone.record.id, () => this.buildClone(clone, tag, snapshotDone, limit)));
    void Promise.allSettled(builds).then(async () => {
      await runtime.removeSnapshot(tag).catch((error: unknown) => logger.warn({ tag, err: errorMessage(error) }, 'could not remove the clone snapshot image'));
      this.activeSnapshots.delete(tag);
      logger.info({ sourceId, tag }, 'clone batch done, snapshot removed');
    });
    return {
      sourceProjectId: sourceId,
      sourceProjectName: source.record.name,
      clones: clones.map((c) => ({ projectId: c.record.id, projectName: c.record.name, status: 'creating' as const })),
    };
  }

  /**
   * A source must not be `creating` (its file system is not settled yet), nor a seat a participant has claimed:
   * the source of a batch becomes its group's template, so cloning a claimed seat would take it from the
   * participant and hand copies of their work to others.
   * @throws ServiceError VALIDATION_ERROR (creating), INVALID_STATE (claimed seat).
   */
  private checkCloneSource(source: LiveProject): void {
    if (this.options.claimKeyOf?.(source.record.id) !== undefined) {
      throw new ServiceError('INVALID_STATE', 'This workspace is claimed by a participant; release the seat before cloning it');
    }
    if (source.record.status === 'creating') {
      throw new ServiceError('VALIDATION_ERROR', 'The source workspace is still being created; wait until it is running or stopped', {
        projectId: 'Source is still creating',
      });
    }
  }

  /** Background part of one clone: wait for the snapshot, then (bounded by `limit`) create, configure and start. Never throws. */
  private async buildClone(live: LiveProject, tag: string, snapshot: Promise<void>, limit: <T>(fn: () => Promise<T>) => Promise<T>): Promise<void> {
    const { runtime, store, logger } = this.options;
    const id = live.record.id;
    const gone = () => live.deleting || this.closed || this.projects.get(id) !== live;
    try {
      await snapshot;
    } catch (error) {
      if (!gone()) this.setStatus(live, 'error', this.engineFailure(error, 'INTERNAL_ERROR', 'Could not snapshot the source workspace').message);
      return;
    }
    await limit(async () => {
      if (gone()) return;
      this.setProgress(live, 'creating', 'Creating the container from the snapshot');
      try {
        const plan = await this.networkPlan(live.record);
        live.record.containerId = await runtime.create({ ...this.specFor(live.record, plan?.network), image: tag });
        store.projects.setContainerId(id, live.record.containerId);
        // The snapshot holds the source's git credential: the clone gets its own once its branch is made.
        if (live.record.gitRepo) await writeWorkspaceCredentials(runtime, id, '');
      } catch (error) {
        if (!gone()) this.setStatus(live, 'error', this.engineFailure(error, 'CONTAINER_CREATE_FAILED', 'Could not create the clone container').message);
        return;
      }
      if (gone()) return;
      // startContainer writes this clone's own code-server configuration (its password or none) over the
      // source's copy in the snapshot before the first start; templates are never written into a clone.
      // The slot is held until code-server answers: booting is the CPU-heavy part, and 40 clones booting at
      // once on 2 cores missed the readiness deadline together (tests/integration/workshop-claims-real.test.ts).
      await this.startContainer(live, true).catch((error: unknown) => {
        logger.warn({ projectId: id, err: errorMessage(error) }, 'clone failed to start');
      });
    });
  }

  /** Sets a clone's progress phase and reason (still `creating`) and tells the dashboards. */
  private setProgress(live: LiveProject, progress: CloneProgress, reason: string): void {
    if (this.closed || this.projects.get(live.record.id) !== live) return;
    live.progress = progress;
    this.options.store.projects.setStatus(live.record.id, 'creating', reason);
    live.record = { ...live.record, status: 'creating', statusReason: reason };
    this.publish(live);
  }

  /**
   * Removes this instance's snapshot images that no batch in flight needs (left by a crash, or untagged ones
   * whose last clone was deleted). Never throws; logs what it removed.
   */
  private async removeLeftoverSnapshots(): Promise<void> {
    try {
      const removed = await this.options.runtime.removeSnapshots(this.activeSnapshots);
      if (removed > 0) this.options.logger.info({ removed }, 'removed leftover clone snapshot images');
    } catch (error) {
      this.options.logger.debug({ err: errorMessage(error) }, 'could not look for leftover clone snapshot images');
    }
  }

  // ---------------------------------------------------------------- passwords (issue #3 "Passwords")

  /**
   * Sets, changes or removes the password of a workspace (api-reference "Set or Change Password").
   * A protected workspace needs its current password first. The new argon2id hash is in force for the router's
   * gate at once (every session of the old password ends, see routing/workspace-gate.ts). code-server's own
   * configuration in the container is rewritten too; a running workspace's code-server is restarted inside the
   * same container (SIGHUP to the supervising loop; files and the container stay), a stopped one reads it at
   * its next start (the configuration is also rewritten before every start).
   * @returns whether the workspace is protected afterwards.
   * @throws ServiceError PROJECT_NOT_FOUND, INVALID_WORKSPACE_PASSWORD (wrong or missing current password).
   */
  async setPassword(projectId: string, currentPassword: unknown, newPassword: string | null): Promise<{ passwordProtected: boolean }> {
    const live = this.require(projectId);
    await this.checkPassword(live, currentPassword);
    const passwordHash = newPassword === null ? null : await hashPassword(newPassword);
    return this.withLock(projectId, async () => {
      if (!this.projects.has(projectId) || live.deleting) throw notFound();
      this.options.store.projects.setPasswordHash(projectId, passwordHash);
      live.record = { ...live.record, passwordHash };
      // Open editor windows of the old password (WebSockets, kept-alive connections) end now, not at their next request.
      this.options.onSessionsInvalidated?.(projectId);
      this.publish(live);
      this.options.logger.info({ projectId, passwordProtected: passwordHash !== null }, 'workspace password changed');
      await this.applyCodeServerPassword(live);
      return { passwordProtected: passwordHash !== null };
    });
  }

  /**
   * The gate's password check (routing/workspace-gate.ts): resolves to the current hash when `password` matches
   * it, else null. argon2id, so slow by design; the gate rate-limits failures before calling it.
   */
  async verifyGatePassword(projectId: string, password: string): Promise<string | null> {
    const live = ProjectId.safeParse(projectId).success ? this.projects.get(projectId) : undefined;
    const hash = live?.record.passwordHash;
    if (!live || live.deleting || !hash) return null;
    if (!(await verifyPassword(hash, password))) return null;
    // Changed while we were verifying: the session would be for a password that is no longer in force.
    return live.record.passwordHash === hash ? hash : null;
  }

  /** Rewrites code-server's configuration in the container and restarts code-server when it runs. Never throws. */
  private async applyCodeServerPassword(live: LiveProject): Promise<void> {
    const { runtime, logger } = this.options;
    const id = live.record.id;
    try {
      await writeCodeServerConfig(runtime, id, live.record.passwordHash);
      const info = await runtime.inspect(id);
      if (info?.running) {
        await runtime.signal(id, 'SIGHUP');
        if (info.hostPort && !(await editorAcceptsPassword(info.hostPort, live.record.passwordHash, EDITOR_RESTART_TIMEOUT_MS))) {
          logger.warn({ projectId: id }, 'code-server did not come back with the new password in time');
        }
      }
    } catch (error) {
      if (error instanceof ContainerNotFoundError) return;
      // The router's gate already uses the new password; code-server keeps the old one (it then shows its own
      // login, never the IDE) until the next start rewrites its configuration.
      logger.warn({ projectId: id, err: errorMessage(error) }, 'could not update the editor password in the container');
    }
  }

  // ---------------------------------------------------------------- metadata (api-reference "Project Notes", "Project Metadata")

  /** Distinct non-empty groups of all projects, sorted (api-reference "List Groups"); from memory. */
  groups(): string[] {
    const groups = new Set<string>();
    for (const live of this.projects.values()) if (live.record.group) groups.add(live.record.group);
    return [...groups].sort((a, b) => a.localeCompare(b));
  }

  /** @throws ServiceError PROJECT_NOT_FOUND when there is no such project (or it is being deleted). */
  assertExists(projectId: string): void {
    this.require(projectId);
  }

  /** The notes of a project (`''` when none). @throws ServiceError PROJECT_NOT_FOUND. */
  getNotes(projectId: string): string {
    this.require(projectId);
    return this.options.store.projects.getNotes(projectId) ?? '';
  }

  /**
   * Replaces the notes of a project, stored exactly as given (shown escaped by every client).
   * @throws ServiceError PROJECT_NOT_FOUND; PAYLOAD_TOO_LARGE above {@link MAX_NOTES_BYTES} bytes of UTF-8
   *   (api-reference "Update Project Notes": at most 10 KB).
   */
  setNotes(projectId: string, notes: string): void {
    this.require(projectId);
    const bytes = utf8ByteLength(notes);
    if (bytes > MAX_NOTES_BYTES) {
      throw new ServiceError('PAYLOAD_TOO_LARGE', `Notes must be at most ${MAX_NOTES_BYTES} bytes (10 KB); these are ${bytes} bytes`, {
        notes: `At most ${MAX_NOTES_BYTES} bytes`,
      });
    }
    this.options.store.projects.setNotes(projectId, notes);
  }

  /**
   * Renames a project (`name` already validated: 1–100 characters, trimmed). Renaming to the same name in
   * another case is allowed; another project's name (case-insensitive) is not. Dashboards hear of it live.
   * @throws ServiceError PROJECT_NOT_FOUND, PROJECT_EXISTS.
   */
  rename(projectId: string, name: string): void {
    const live = this.require(projectId);
    const key = name.toLowerCase();
    const taken = this.pendingNames.has(key) || [...this.projects.values()].some((p) => p !== live && p.record.name.toLowerCase() === key);
    if (taken) throw new ServiceError('PROJECT_EXISTS', `A project named "${name}" already exists`, { name: 'Project name already exists' });
    try {
      this.options.store.projects.setName(projectId, name);
    } catch (error) {
      if (error instanceof DuplicateProjectNameError) throw new ServiceError('PROJECT_EXISTS', error.message, { name: 'Project name already exists' });
      throw error;
    }
    live.record = { ...live.record, name };
    this.publish(live);
  }

  /** Sets the group of a project; `null` or `''` removes it. @throws ServiceError PROJECT_NOT_FOUND. */
  setGroup(projectId: string, group: string | null): void {
    const live = this.require(projectId);
    const value = group === null || group === '' ? null : group;
    this.options.store.projects.setGroup(projectId, value);
    live.record = { ...live.record, group: value };
    this.publish(live);
  }

  /**
   * Disk use of the workspace's container from the engine (behaviour.md "Disk usage"): writable layer and
   * whole root file system, with 1024-step readable sizes.
   * @throws ServiceError PROJECT_NOT_FOUND; INVALID_STATE when the workspace has no container (e.g. removed
   *   outside the app); SERVICE_UNAVAILABLE when the engine cannot be reached.
   */
  async diskUsage(projectId: string): Promise<DiskUsage> {
    this.require(projectId);
    let usage;
    try {
      usage = await this.options.runtime.diskUsage(projectId);
    } catch (error) {
      throw this.engineFailure(error, 'INTERNAL_ERROR', 'Could not read the disk usage');
    }
    if (!usage) throw new ServiceError('INVALID_STATE', 'The workspace has no container, so it uses no disk space. Start it to create the container again.');
    return {
      bytes: usage.writableBytes,
      totalBytes: usage.totalBytes,
      readable: formatBytes(usage.writableBytes, true),
      totalReadable: formatBytes(usage.totalBytes, true),
    };
  }

  /**
   * Stops following the engine, cancels probes and waits (at most `waitMs`, default 15 s) for operations in
   * flight, so nothing writes to the store after it. Idempotent. Containers keep running.
   */
  async close(waitMs = 15_000): Promise<void> {
    this.closed = true;
    this.stopWatching?.();
    this.stopWatching = null;
    for (const live of this.projects.values()) live.generation += 1;
    const pending = [...this.locks.values()];
    if (this.reconciling) pending.push(this.reconciling.catch(() => undefined));
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------- internals

  private async startContainer(live: LiveProject, waitUntilReady: boolean): Promise<void> {
    const { runtime } = this.options;
    const id = live.record.id;
    const generation = ++live.generation;
    live.starting = true;
    try {
      this.setStatus(live, 'creating', 'Starting the container');
      let info: WorkspaceContainer;
      let plan: WorkspaceNetworkPlan | null = null;
      try {
        // code-server's configuration is written before every start, so a password changed while the
        // workspace was stopped (or whose earlier write failed) is in force from this start on.
        await writeCodeServerConfig(runtime, id, live.record.passwordHash);
        plan = await this.networkPlan(live.record);
        if (plan) await this.options.network!.writeWorkspaceFiles(id, plan);
        info = await runtime.start(id);
      } catch (error) {
        if (!(error instanceof ContainerNotFoundError)) throw error;
        // A clone's files lived only in its container: never make an empty one from the base image instead.
        if (live.record.clonedFrom) throw new ServiceError('INVALID_STATE', missingCloneReason(live.record.containerId ?? null));
        // The container vanished (e.g. removed outside the app): create it again from the record.
        await this.options.images.requireReady();
        plan ??= await this.networkPlan(live.record);
        live.record.containerId = await runtime.create(this.specFor(live.record, plan?.network));
        this.options.store.projects.setContainerId(id, live.record.containerId);
        await writeCodeServerConfig(runtime, id, live.record.passwordHash);
        if (plan) await this.options.network!.writeWorkspaceFiles(id, plan);
        info = await runtime.start(id);
      }
      live.hostPort = info.hostPort;
      live.startedAt = info.startedAt;
      if (live.progress) live.progress = 'starting'; // a clone: its container runs now
      this.setStatus(live, 'creating', 'Waiting for code-server to answer');
    } catch (error) {
      live.hostPort = null;
      const failure = this.engineFailure(error, 'CONTAINER_CREATE_FAILED', 'Could not start the workspace container');
      if (failure.code === 'INVALID_STATE') this.setStatus(live, 'error', failure.message);
      else if (failure.code !== 'SERVICE_UNAVAILABLE') this.setStatus(live, 'error', failure.message);
      else this.setStatus(live, 'stopped', null);
      throw failure;
    } finally {
      live.starting = false;
    }
    if (!live.hostPort) {
      // Exited before the engine even reported it running (its 'die' event may come before or after this):
      // a failed start, not something to probe for two minutes.
      const info = await runtime.inspect(id).catch(() => null);
      if (!info?.running) {
        this.setStatus(live, 'error', `code-server stopped during start-up (exit code ${info?.exitCode ?? 'unknown'}${info?.error ? `: ${info.error}` : ''})`);
        return;
      }
      live.hostPort = info.hostPort;
    }
    this.setUpGit(live);
    const probe = this.probeUntilReady(live, generation);
    if (waitUntilReady) await probe;
  }

  /**
   * Once a workspace with a repository runs and its git is not set up yet (first start, a clone's first start,
   * or an earlier attempt failed), sets it up in the background: `main` for a new workspace, its own branch for a
   * clone (workspace-git.ts). The outcome lands in `gitBranch`/`gitError`; the workspace works either way.
   */
  private setUpGit(live: LiveProject): void {
    const { git, runtime, logger } = this.options;
    const record = live.record;
    if (!git || !record.gitRepo || record.gitBranch || this.gitSetUps.has(record.id)) return;
    const id = record.id;
    const input = { projectId: id, projectName: record.name, repoFullName: record.gitRepo, mode: record.clonedFrom ? ('clone' as const) : ('init' as const) };
    const run = setUpWorkspaceRepository(runtime, git, input)
      .then(({ branch }) => {
        this.setGitState(live, branch, null);
        logger.info({ projectId: id, repository: input.repoFullName, branch }, 'workspace repository set up');
      })
      .catch((error: unknown) => {
        this.setGitState(live, null, errorMessage(error));
        logger.warn({ projectId: id, repository: input.repoFullName, err: errorMessage(error) }, 'workspace repository could not be set up');
      })
      .finally(() => this.gitSetUps.delete(id));
    this.gitSetUps.set(id, run);
  }

  /**
   * Gives a workspace's Git account a new token and writes it into the container; the old token stops working.
   * For a released workshop seat: the next participant must not share a credential with the one before (who
   * could read it in their terminal). Nothing for a workspace without a repository. Never throws: a failure is
   * logged and shown as `gitError`.
   */
  async renewGitCredential(projectId: string): Promise<void> {
    const { git, runtime, logger } = this.options;
    const live = this.projects.get(projectId);
    if (!git || !live?.record.gitRepo) return;
    const repo = live.record.gitRepo;
    try {
      await this.withLock(projectId, () => giveWorkspaceCredential(runtime, git, projectId, repo));
      logger.info({ projectId }, 'workspace git credential renewed');
    } catch (error) {
      logger.warn({ projectId, err: errorMessage(error) }, 'workspace git credential could not be renewed');
      this.setGitState(live, live.record.gitBranch ?? null, `The Git credential could not be renewed after the seat was released: ${errorMessage(error)}`);
    }
  }

  /** Stores and publishes a workspace's git branch and set-up error (unless it was deleted meanwhile). */
  private setGitState(live: LiveProject, branch: string | null, error: string | null): void {
    if (this.closed || live.deleting || this.projects.get(live.record.id) !== live) return;
    this.options.store.projects.setGitState(live.record.id, branch, error);
    live.record = { ...live.record, gitBranch: branch, gitError: error };
    this.publish(live);
  }

  /** Polls `http://127.0.0.1:<port>/healthz` until 200 → `running`, or the deadline → `error`. */
  private async probeUntilReady(live: LiveProject, generation: number): Promise<void> {
    const deadline = Date.now() + READINESS_TIMEOUT_MS;
    live.probing += 1;
    try {
      while (!this.closed && generation === live.generation && live.record.status === 'creating') {
        if (live.hostPort && (await answersHealthz(live.hostPort))) {
          if (generation !== live.generation || live.record.status !== 'creating') return;
          this.setStatus(live, 'running', null);
          return;
        }
        if (Date.now() > deadline) {
          this.setStatus(live, 'error', `code-server did not answer within ${READINESS_TIMEOUT_MS / 1000} s`);
          return;
        }
        await delay(READINESS_POLL_MS);
      }
    } finally {
      live.probing -= 1;
    }
  }

  private setStatus(live: LiveProject, status: ProjectStatus, reason: string | null): void {
    if (this.closed) return;
    if (live.record.status === status && live.record.statusReason === reason) return;
    if (this.projects.get(live.record.id) !== live) return;
    if (status !== 'creating') live.progress = null;
    this.options.store.projects.setStatus(live.record.id, status, reason);
    live.record = { ...live.record, status, statusReason: reason };
    this.publish(live);
  }

  private publish(live: LiveProject): void {
    this.options.bus.publish({ type: 'project.updated', project: this.toSummary(live.record) });
  }

  /** Workspaces that count against `maxConcurrentWorkspaces`: running, starting, or with a start reserved. */
  private activeCount(): number {
    let active = 0;
    for (const live of this.projects.values()) if (this.isActive(live)) active += 1;
    return active;
  }

  private isActive(live: LiveProject): boolean {
    return live.record.status === 'running' || live.record.status === 'creating' || this.startReservations.has(live.record.id);
  }

  private require(projectId: string): LiveProject {
    const live = ProjectId.safeParse(projectId).success ? this.projects.get(projectId) : undefined;
    if (!live || live.deleting) throw notFound();
    return live;
  }

  private async checkPassword(live: LiveProject, password: unknown): Promise<void> {
    if (!live.record.passwordHash) return;
    if (!(await verifyPassword(live.record.passwordHash, password))) {
      throw new ServiceError('INVALID_WORKSPACE_PASSWORD', 'Invalid password for password-protected workspace');
    }
  }

  private async requireEngine(): Promise<void> {
    try {
      const version = await this.options.runtime.ping();
      if (!this.options.state.docker.available) this.options.state.setDocker({ available: true, version, error: null });
    } catch (error) {
      if (error instanceof RuntimeUnavailableError) {
        this.options.state.setDocker({ available: false, version: null, error: error.message });
        throw new ServiceError('SERVICE_UNAVAILABLE', 'Docker is not available. Start Docker and try again.');
      }
      throw error;
    }
  }

  /** Limits above the configured maxima and options needing a service this server lacks ({@link capabilities}) are input errors. */
  private checkRequestAgainstConfig(request: CreateProjectRequest): void {
    const { config } = this.options;
    const details: Record<string, string> = {};
    if (config.enableResourceLimits) {
      if (MEMORY_LIMIT_MB[request.memoryLimit] > config.memoryPerWorkspaceMB) {
        details['memoryLimit'] = `Memory limit must be at most ${config.memoryPerWorkspaceMB} MB`;
      }
      if (Number(request.cpuCores) > config.cpuPerWorkspace) {
        details['cpuCores'] = `CPU cores must be at most ${config.cpuPerWorkspace}`;
      }
    }
    Object.assign(details, unavailableOptionDetails(request, this.capabilities()));
    if (Object.keys(details).length > 0) throw new ServiceError('VALIDATION_ERROR', 'Validation failed', details);
  }

  /**
   * The network plan of a workspace (its proxy network and settings files), or null when this server has no
   * network control (then only `none` exists). Proxy modes: makes sure proxy, credential and rules are in place.
   * @throws NetworkControlError (fail closed) / RuntimeUnavailableError.
   */
  private async networkPlan(record: ProjectRecord): Promise<WorkspaceNetworkPlan | null> {
    const { network } = this.options;
    if (!network) return null;
    return network.prepare({ id: record.id, proxyMode: record.proxyMode });
  }

  private specFor(record: ProjectRecord, network?: string): WorkspaceSpec {
    const { config } = this.options;
    const limits = config.enableResourceLimits;
    return {
      projectId: record.id,
      image: record.image,
      ...(network ? { network } : {}),
      env: {
        PROJECT_ID: record.id,
        PROJECT_TYPE: record.type,
        VSCODE_PROXY_URI: `http://${record.id}-{{port}}.${config.baseDomain}${this.portSuffix()}/`,
        PROXY_DOMAIN: config.baseDomain,
      },
      // Supervising loop around code-server (restartable on a password change); no secret in it.
      command: workspaceCommand(),
      memoryBytes: limits ? MEMORY_LIMIT_MB[record.memoryLimit] * 1024 * 1024 : null,
      nanoCpus: limits ? Math.round(Number(record.cpuCores) * 1e9) : null,
      pidsLimit: limits ? WORKSPACE_PIDS_LIMIT : null,
    };
  }

  private portSuffix(): string {
    const port = this.options.publicPort();
    return port === 80 ? '' : `:${port}`;
  }

  /** Public view of a record (never the password hash). */
  toSummary(record: ProjectRecord): ProjectSummary {
    return {
      id: record.id,
      name: record.name,
      type: record.type,
      status: record.status,
      ...(record.statusReason ? { statusReason: record.statusReason } : {}),
      createdAt: record.createdAt,
      ...(record.lastActivity ? { lastActivity: record.lastActivity } : {}),
      workspaceUrl: `http://${record.id}.${this.options.config.baseDomain}${this.portSuffix()}/`,
      passwordProtected: record.passwordHash !== null,
      hasGitRepo: record.gitRepoUrl !== null,
      ...(record.gitRepoUrl ? { gitRepoUrl: record.gitRepoUrl } : {}),
      ...(record.gitBranch ? { gitBranch: record.gitBranch } : {}),
      ...(record.gitError ? { gitError: record.gitError } : {}),
      proxyMode: record.proxyMode,
      memoryLimit: record.memoryLimit,
      cpuCores: record.cpuCores,
      group: record.group,
      ...(progressOf(this.projects.get(record.id), record) ?? {}),
    };
  }

  private engineFailure(error: unknown, code: 'CONTAINER_CREATE_FAILED' | 'INTERNAL_ERROR', message: string): ServiceError {
    if (error instanceof ServiceError) return error;
    if (error instanceof RuntimeUnavailableError) {
      this.options.state.setDocker({ available: false, version: null, error: error.message });
      return new ServiceError('SERVICE_UNAVAILABLE', 'Docker is not available. Start Docker and try again.');
    }
    this.options.logger.error({ err: errorMessage(error) }, message);
    return new ServiceError(code, `${message}: ${errorMessage(error)}`);
  }

  private async withLock<T>(projectId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(projectId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(projectId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(projectId) === tail) this.locks.delete(projectId);
    }
  }
}

/** `{progress}` of a clone being made (only while it is `creating`), else undefined. */
function progressOf(live: LiveProject | undefined, record: ProjectRecord): { progress: CloneProgress } | undefined {
  return live?.progress && record.status === 'creating' ? { progress: live.progress } : undefined;
}

function notFound(): ServiceError {
  return new ServiceError('PROJECT_NOT_FOUND', 'Project not found');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves like `promise`, or null after `ms` (the promise keeps running; its result is dropped). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    }),
  ]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long a password change waits for the restarted code-server to accept the new password (ms). */
const EDITOR_RESTART_TIMEOUT_MS = 30_000;

/**
 * Polls code-server at 127.0.0.1:port until it runs with the configuration for `passwordHash`: the workbench
 * (`/?folder=/workspace`) answers 200 to a request with code-server's session for that hash, and (when
 * protected) 302 to one without. The process before the restart fails one of the two in every case (old
 * hash: refuses the new session; was open: lets the cookie-less request in; was protected: refuses it).
 * @returns false when `timeoutMs` passed first.
 */
async function editorAcceptsPassword(port: number, passwordHash: string | null, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const workbenchStatus = async (cookie: string | null): Promise<number> => {
    const response = await fetch(`http://127.0.0.1:${port}/?folder=/workspace`, {
      headers: cookie === null ? {} : { cookie },
      redirect: 'manual',
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status;
  };
  while (Date.now() < deadline) {
    try {
      if (passwordHash === null) {
        if ((await workbenchStatus(null)) === 200) return true;
      } else if ((await workbenchStatus(`${CODE_SERVER_SESSION_COOKIE}=${passwordHash}`)) === 200 && (await workbenchStatus(null)) === 302) {
        return true;
      }
    } catch {
      // Restarting: connection refused or reset for a moment.
    }
    await delay(READINESS_POLL_MS);
  }
  return false;
}

/** True when code-server answers 200 on `/healthz` at 127.0.0.1:port within 2 s. */
async function answersHealthz(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
