import type { ProjectStatus } from '../contract/index.js';

/** Labels that mark a container (or image, network) as ours; `xares.project-id` ties it to a record. */
export const LABEL_MANAGED = 'xares.managed';
export const LABEL_PROJECT_ID = 'xares.project-id';
export const LABEL_INSTANCE = 'xares.instance';
/** Marks an image as a clone snapshot (`docker commit` of a source workspace), removable once a batch is done. */
export const LABEL_SNAPSHOT = 'xares.snapshot';
/** Label naming the network a workspace belongs on when it is not the runtime's default (`WorkspaceSpec.network`). */
export const LABEL_WORKSPACE_NETWORK = 'xares.network';

/**
 * TCP port code-server listens on inside a workspace container (the image's CMD, resources/images/workspace/
 * Dockerfile). Deliberately not 8080: that and the other usual ports stay free for participants' own apps
 * (the java-spring template serves on 8080). Issue #3.
 */
export const CODE_SERVER_PORT = 13337;

/** Container name of a project's workspace (behaviour.md "Workspaces"). */
export function workspaceContainerName(projectId: string): string {
  return `workspace-${projectId}`;
}

/** What the runtime needs to create a workspace container. */
export interface WorkspaceSpec {
  projectId: string;
  image: string;
  /** Environment variables (never secrets: `docker inspect` shows them). */
  env: Record<string, string>;
  /** Hard memory limit in bytes (Docker `HostConfig.Memory`), or null for none. */
  memoryBytes: number | null;
  /** Hard CPU limit in NanoCpus (1e9 = one core, Docker `HostConfig.NanoCpus`), or null for none. */
  nanoCpus: number | null;
  /** Max processes (Docker `HostConfig.PidsLimit`), or null for none. */
  pidsLimit: number | null;
  /** Extra labels beside ours. */
  labels?: Record<string, string>;
  /**
   * Name of an existing Docker network to put the workspace on instead of the runtime's own workspace network
   * (the proxy modes' confined networks, issue #5); recorded in the label `LABEL_WORKSPACE_NETWORK`.
   */
  network?: string;
  /**
   * Container command replacing the image's CMD (the image's ENTRYPOINT, tini, stays in front), or absent for
   * the image's own. Never a secret: `docker inspect` shows it.
   */
  command?: string[];
}

/** A workspace container as the engine reports it. */
export interface WorkspaceContainer {
  id: string;
  projectId: string;
  name: string;
  /** Docker state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  running: boolean;
  /** Port on 127.0.0.1 that code-server (container port `CODE_SERVER_PORT`) is published on, or null when not running. */
  hostPort: number | null;
  startedAt: string | null;
  health: string | null;
  exitCode: number | null;
  error: string | null;
}

/** A life-cycle event of one of our workspace containers, from the engine's event stream. */
export interface RuntimeEvent {
  projectId: string;
  containerId: string;
  /** Docker action: start, die, stop, kill, destroy, pause, unpause, oom, health_status... */
  action: string;
}

/** Live resource use of a running container. */
export interface WorkspaceStats {
  /** Percent of one core summed over cores, as `docker stats` shows it. */
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/** Disk use of a container (Docker inspect with `size=1`; behaviour.md "Disk usage"). */
export interface WorkspaceDiskUsage {
  /** Bytes of the writable layer (`SizeRw`): what the participant added or changed. */
  writableBytes: number;
  /** Bytes of the whole root file system, image layers included (`SizeRootFs`). */
  totalBytes: number;
}

/** Error thrown by a runtime when the engine cannot be reached (maps to 503 SERVICE_UNAVAILABLE). */
export class RuntimeUnavailableError extends Error {
  override name = 'RuntimeUnavailableError';
}

/** Error thrown when a container does not exist. */
export class ContainerNotFoundError extends Error {
  override name = 'ContainerNotFoundError';
}

/**
 * The engine in front of which workspaces run. The Docker implementation is `DockerRuntime`; tests may use
 * fakes of the same interface for failure cases, and the real one for everything else.
 * All methods throw `RuntimeUnavailableError` when the engine is unreachable.
 */
export interface WorkspaceRuntime {
  /** Engine version string, or throws `RuntimeUnavailableError`. */
  ping(): Promise<string>;
  /** Creates (does not start) `workspace-<id>`; replaces a stale container of the same name. Returns its id. */
  create(spec: WorkspaceSpec): Promise<string>;
  start(projectId: string): Promise<WorkspaceContainer>;
  /** Stops gracefully (timeout seconds before SIGKILL). No-op if already stopped. */
  stop(projectId: string, timeoutSeconds?: number): Promise<void>;
  /** Removes the container (forced). No-op if gone. */
  remove(projectId: string): Promise<void>;
  /** Null when the container does not exist. */
  inspect(projectId: string): Promise<WorkspaceContainer | null>;
  /** All containers labelled as ours (of this instance). */
  list(): Promise<WorkspaceContainer[]>;
  stats(projectId: string): Promise<WorkspaceStats | null>;
  /** Disk use of the container (running or not); null when the container does not exist. */
  diskUsage(projectId: string): Promise<WorkspaceDiskUsage | null>;
  /** Follows the engine's event stream for our containers; reconnects on drops. Returns an unsubscribe/close. */
  watch(onEvent: (event: RuntimeEvent) => void, onConnectionChange?: (connected: boolean, error?: string) => void): () => void;
  /**
   * Unpacks an uncompressed tar into folder `destPath` of the container (Docker `PUT /containers/{id}/archive`);
   * works on a created, not yet started container. Entries keep the tar's uid/gid and modes.
   * @throws ContainerNotFoundError when the container does not exist.
   */
  putArchive(projectId: string, destPath: string, archive: Buffer): Promise<void>;
  /**
   * Runs `cmd` (an argument vector, no shell) in the running container as `user` (default `root`) in
   * `workingDir`, with `env` (`NAME=value` entries; never secrets: the engine keeps exec configurations), and
   * collects its output (stdout up to 1 MiB). @throws ContainerNotFoundError, RuntimeUnavailableError, the
   * engine's error (e.g. 409 when the container is not running).
   */
  exec(projectId: string, cmd: string[], options?: { user?: string; env?: string[]; workingDir?: string }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** True when an image with that tag exists locally. */
  hasImage(tag: string): Promise<boolean>;
  /**
   * Sends a signal (e.g. `SIGHUP`) to the container's main process (Docker `POST /containers/{id}/kill`).
   * @throws ContainerNotFoundError when the container does not exist; an engine error when it is not running.
   */
  signal(projectId: string, signal: string): Promise<void>;
  /**
   * Snapshots the workspace's container file system into image `tag` (Docker `POST /commit`, `pause=true`: a
   * running container is frozen for the moment of the commit and keeps running; a stopped one stays stopped).
   * The image carries our instance labels plus {@link LABEL_SNAPSHOT}, so leftovers can be found and removed.
   * @throws ContainerNotFoundError when the container does not exist.
   */
  snapshot(projectId: string, tag: string): Promise<void>;
  /**
   * Removes the snapshot image `tag` (untags it when containers still use it; the engine drops the layers
   * once the last of them is removed). No-op when it is gone.
   */
  removeSnapshot(tag: string): Promise<void>;
  /**
   * Removes this instance's snapshot images (by {@link LABEL_SNAPSHOT}) except those whose tag is in `keep`;
   * one still used by a container is only untagged. Returns how many were removed or untagged. Never throws
   * for a single image; throws `RuntimeUnavailableError` when the engine cannot be listed.
   */
  removeSnapshots(keep: ReadonlySet<string>): Promise<number>;
}
