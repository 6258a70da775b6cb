import Docker from 'dockerode';
import { execIn } from './container-exec.js';
import {
  CODE_SERVER_PORT,
  ContainerNotFoundError,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_PROJECT_ID,
  LABEL_SNAPSHOT,
  LABEL_WORKSPACE_NETWORK,
  RuntimeUnavailableError,
  workspaceContainerName,
  type RuntimeEvent,
  type WorkspaceContainer,
  type WorkspaceRuntime,
  type WorkspaceSpec,
  type WorkspaceDiskUsage,
  type WorkspaceStats,
} from './workspace-runtime.js';

/** Port code-server listens on inside the workspace container (our image's CMD); see `CODE_SERVER_PORT`. */
export const WORKSPACE_CONTAINER_PORT = CODE_SERVER_PORT;
const PORT_KEY = `${WORKSPACE_CONTAINER_PORT}/tcp`;

/** Socket-level error codes that mean "the engine cannot be reached" (Node `net` errors). */
const CONNECTION_ERROR_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
]);

/**
 * Dockerode connection options for a `DOCKER_HOST`-style URL: `unix:///path`, `npipe:////./pipe/name`,
 * `tcp://host:port` / `http://host:port` (plain HTTP), `https://host:port`. Undefined means dockerode's default
 * (its own reading of `DOCKER_HOST`, else the local socket).
 * @throws Error for an unsupported scheme.
 */
export function dockerOptionsFromHost(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return {};
  const url = new URL(dockerHost);
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: decodeURIComponent(url.pathname) };
    case 'npipe:':
      return { socketPath: dockerHost.slice('npipe://'.length).replace(/\//g, '\\') };
    case 'tcp:':
    case 'http:':
      return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
    case 'https:':
      return { protocol: 'https', host: url.hostname, port: Number(url.port || 2376) };
    default:
      throw new Error(`Unsupported DOCKER_HOST scheme: ${url.protocol}`);
  }
}

/** True when an error from dockerode/docker-modem means the engine is unreachable (not an API error). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  if ((error as { statusCode?: number }).statusCode !== undefined) return false;
  return /socket hang up|connect E|Timeout|timed out/i.test(error.message);
}

/**
 * Maps an engine error: unreachable → `RuntimeUnavailableError`, HTTP 404 → `ContainerNotFoundError`
 * (when `notFound` is given), anything else unchanged.
 */
export function mapEngineError(error: unknown, notFound?: string): Error {
  if (error instanceof RuntimeUnavailableError || error instanceof ContainerNotFoundError) return error;
  if (isConnectionError(error)) {
    const code = (error as NodeJS.ErrnoException).code;
    return new RuntimeUnavailableError(`Docker engine is not reachable${code ? ` (${code})` : ''}`);
  }
  if (notFound && (error as { statusCode?: number }).statusCode === 404) return new ContainerNotFoundError(notFound);
  return error instanceof Error ? error : new Error(String(error));
}

function statusCodeOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/**
 * Name of the engine-wide bridge network every workspace container joins (one per engine, shared by all
 * instances). Created by `DockerRuntime` with inter-container communication off, so workspaces cannot reach
 * each other's code-server by container IP; outbound traffic (NAT) and ports published on 127.0.0.1 still work.
 * Different bridge networks (e.g. the engine's default `bridge`) are isolated from it by the engine.
 */
export const WORKSPACE_NETWORK = 'xares-workspaces';
/** Bridge driver option that, set to `"false"`, makes the engine drop traffic between containers of one network. */
export const ICC_OPTION = 'com.docker.network.bridge.enable_icc';
/** Label on our workspace network (value `workspaces`), next to `xares.managed=true`. */
export const LABEL_NETWORK_ROLE = 'xares.network-role';

/** The fields of a network listing `pickWorkspaceNetwork` reads (`GET /networks`). */
export interface NetworkListing {
  Id: string;
  Name: string;
  Created?: string;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/**
 * Of the engine's networks, the workspace network to use: the oldest (then lowest id) named exactly `networkName`
 * (default `WORKSPACE_NETWORK`), so processes that raced to create it all settle on the same one; null when none exists.
 * @throws Error when that network does not have inter-container communication off (someone else's network of
 *   that name): workspaces are never put on a network where they could reach each other.
 */
export function pickWorkspaceNetwork(networks: readonly NetworkListing[], networkName = WORKSPACE_NETWORK): { id: string; duplicates: string[] } | null {
  const named = networks
    .filter((n) => n.Name === networkName)
    .sort((a, b) => createdKey(a.Created).localeCompare(createdKey(b.Created)) || a.Id.localeCompare(b.Id));
  const chosen = named[0];
  if (!chosen) return null;
  if (chosen.Options?.[ICC_OPTION] !== 'false') {
    throw new Error(`Docker network ${networkName} exists but allows traffic between containers (${ICC_OPTION} is not "false"); remove it so Xares can create its own`);
  }
  return { id: chosen.Id, duplicates: named.slice(1).filter((n) => n.Labels?.[LABEL_NETWORK_ROLE] === 'workspaces').map((n) => n.Id) };
}

/** An engine timestamp (RFC 3339, fraction of up to 9 digits with trailing zeros cut) made comparable as text. */
function createdKey(created: string | undefined): string {
  if (!created) return '';
  return /\.\d+/.test(created) ? created.replace(/\.(\d+)/, (_m, digits: string) => `.${digits.padEnd(9, '0')}`) : created.replace(/(T\d\d:\d\d:\d\d)/, '$1.000000000');
}

/**
 * What moves a (stopped) container's attachments onto the workspace network alone: whether to connect it, and
 * the networks (by name, with their ids when known) to disconnect it from. Empty plan = already isolated.
 */
export function isolationPlan(
  attached: Record<string, { NetworkID?: string } | undefined>,
  networkName = WORKSPACE_NETWORK,
): { connect: boolean; disconnect: { name: string; id: string }[] } {
  const names = Object.keys(attached);
  return {
    connect: !names.includes(networkName),
    disconnect: names.filter((n) => n !== networkName).map((name) => ({ name, id: attached[name]?.NetworkID || name })),
  };
}

/** True for the engine's "the network is gone" answers (404 naming a network, not a container or image). */
function isNetworkNotFound(error: unknown): boolean {
  if (statusCodeOf(error) !== 404) return false;
  const text = `${(error as { json?: { message?: string } }).json?.message ?? ''} ${error instanceof Error ? error.message : ''}`;
  return /network\b[^\n]*not found|no such network/i.test(text);
}

/** Options of `DockerRuntime`. */
export interface DockerRuntimeOptions {
  /** `DOCKER_HOST`-style URL (see `dockerOptionsFromHost`); undefined = dockerode default. */
  dockerHost?: string | undefined;
  /** Value of the `xares.instance` label: only containers with it are ours. */
  instanceId: string;
  /** Timeout of single API calls in ms (not of the event stream). Default 60 000. */
  requestTimeoutMs?: number;
  /** Name of the isolated workspace network. Default `WORKSPACE_NETWORK`; tests use their own. */
  networkName?: string;
}

/**
 * `WorkspaceRuntime` on a Docker engine through dockerode. Containers are `workspace-<id>`, labelled
 * `xares.managed=true`, `xares.project-id=<id>`, `xares.instance=<instanceId>`, and publish code-server's port
 * (`CODE_SERVER_PORT`) on 127.0.0.1 only, on a port the engine picks (read back with inspect). They drop NET_RAW, run with
 * no-new-privileges, and get hard Memory (= MemorySwap, so no swap on top) / NanoCpus / PidsLimit when the
 * spec gives them. They sit on `WORKSPACE_NETWORK` alone (inter-container communication off); containers made
 * before it existed are moved onto it at their next start.
 */
export class DockerRuntime implements WorkspaceRuntime {
  /** Client for short API calls (with a request timeout). */
  readonly docker: Docker;
  /** Client for long-lived streams (events, image builds): no timeout. */
  readonly streamingDocker: Docker;
  private readonly instanceId: string;
  /** Name of the isolated network workspaces join (`DockerRuntimeOptions.networkName`). */
  readonly networkName: string;
  /** Id of the workspace network once found or made (memoised; cleared when the engine says it is gone). */
  private network: Promise<string> | null = null;

  constructor(options: DockerRuntimeOptions) {
    const connection = dockerOptionsFromHost(options.dockerHost);
    this.docker = new Docker({ ...connection, timeout: options.requestTimeoutMs ?? 60_000 });
    this.streamingDocker = new Docker(connection);
    this.instanceId = options.instanceId;
    this.networkName = options.networkName ?? WORKSPACE_NETWORK;
  }

  /** Our workspace containers: managed by this instance and tied to a project (not the proxies or helpers). */
  private labelFilters(): string[] {
    return [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${this.instanceId}`, LABEL_PROJECT_ID];
  }

  async ping(): Promise<string> {
    try {
      const version = await this.docker.version();
      return version.Version;
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  /**
   * Id of the workspace network (`networkName`, default `WORKSPACE_NETWORK`), created (bridge, `ICC_OPTION` = "false", labelled ours) when missing. Safe to
   * race: a concurrent create of the same name answers 409 and is read back; engines that let two of the same
   * name through are settled on the oldest (`pickWorkspaceNetwork`) and the younger unused ones removed.
   * @throws RuntimeUnavailableError when the engine is unreachable; Error for a foreign network of that name.
   */
  ensureNetwork(): Promise<string> {
    this.network ??= this.findOrCreateNetwork().catch((error: unknown) => {
      this.network = null;
      throw error;
    });
    return this.network;
  }

  private async findOrCreateNetwork(): Promise<string> {
    const find = async () => {
      // The name filter matches substrings; pickWorkspaceNetwork keeps exact names only.
      const listed = (await this.docker.listNetworks({ filters: { name: [this.networkName] } })) as NetworkListing[];
      return pickWorkspaceNetwork(listed, this.networkName);
    };
    try {
      let found = await find();
      if (!found) {
        try {
          await this.docker.createNetwork({
            Name: this.networkName,
            CheckDuplicate: true,
            Driver: 'bridge',
            Options: { [ICC_OPTION]: 'false' },
            Labels: { [LABEL_MANAGED]: 'true', [LABEL_NETWORK_ROLE]: 'workspaces' },
          });
        } catch (error) {
          // 409: another process (or instance) created it first; read it back below.
          if (statusCodeOf(error) !== 409) throw error;
        }
        found = await find();
        if (!found) throw new Error(`Docker network ${this.networkName} could not be created`);
      }
      for (const id of found.duplicates) await this.docker.getNetwork(id).remove().catch(() => undefined);
      return found.id;
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  /** Runs `action` with the workspace network's id; when the engine no longer knows that network, once more with a new one. */
  private async withNetwork<T>(action: (networkId: string) => Promise<T>): Promise<T> {
    const networkId = await this.ensureNetwork();
    try {
      return await action(networkId);
    } catch (error) {
      if (!isNetworkNotFound(error)) throw error;
      // Removed behind our back (e.g. `docker network prune`, a reset engine): make it again.
      if (this.network) this.network = null;
      return action(await this.ensureNetwork());
    }
  }

  /**
   * Puts a stopped container on the workspace network alone (connect, then disconnect from every other network,
   * e.g. the default `bridge` of containers made by older versions). A running container is left as it is:
   * moving it would drop its connections and change its published port under the router.
   */
  private async isolate(name: string): Promise<void> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (error) {
      throw mapEngineError(error, `Container ${name} does not exist`);
    }
    if (info.State.Running) return;
    const own = info.Config.Labels?.[LABEL_WORKSPACE_NETWORK];
    if (own) return this.isolateOn(name, own, info.NetworkSettings?.Networks ?? {});
    const plan = isolationPlan(info.NetworkSettings?.Networks ?? {}, this.networkName);
    if (!plan.connect && plan.disconnect.length === 0) return;
    try {
      if (plan.connect) {
        await this.withNetwork(async (networkId) => {
          try {
            await this.docker.getNetwork(networkId).connect({ Container: name });
          } catch (error) {
            // 403/409: already connected (a concurrent start did it).
            const status = statusCodeOf(error);
            if (status !== 403 && status !== 409) throw error;
          }
        });
      }
      for (const { id } of plan.disconnect) {
        try {
          await this.docker.getNetwork(id).disconnect({ Container: name, Force: true });
        } catch (error) {
          // 404: that network is gone already; the start below says so if the container still needs it.
          if (statusCodeOf(error) !== 404) throw error;
        }
      }
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  /**
   * Id of the existing network named exactly `networkName` (one made by someone else, e.g. a proxy network).
   * @throws Error when there is none; RuntimeUnavailableError when the engine is unreachable.
   */
  private async findNetworkId(networkName: string): Promise<string> {
    try {
      const listed = (await this.docker.listNetworks({ filters: { name: [networkName] } })) as NetworkListing[];
      const found = listed.filter((n) => n.Name === networkName).sort((a, b) => a.Id.localeCompare(b.Id))[0];
      if (!found) throw new Error(`Docker network ${networkName} does not exist`);
      return found.Id;
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  /** `isolate` for a container labelled with its own network: on that network (its current id) alone. */
  private async isolateOn(name: string, networkName: string, attached: Record<string, { NetworkID?: string } | undefined>): Promise<void> {
    const networkId = await this.findNetworkId(networkName);
    try {
      for (const [attachedName, endpoint] of Object.entries(attached)) {
        if (attachedName === networkName && endpoint?.NetworkID === networkId) continue;
        await this.docker
          .getNetwork(endpoint?.NetworkID || attachedName)
          .disconnect({ Container: name, Force: true })
          .catch((error: unknown) => {
            if (statusCodeOf(error) !== 404) throw error;
          });
      }
      if (attached[networkName]?.NetworkID !== networkId) {
        await this.docker
          .getNetwork(networkId)
          .connect({ Container: name })
          .catch((error: unknown) => {
            const status = statusCodeOf(error);
            if (status !== 403 && status !== 409) throw error;
          });
      }
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  async create(spec: WorkspaceSpec): Promise<string> {
    const name = workspaceContainerName(spec.projectId);
    try {
      await this.docker.getContainer(name).remove({ force: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw mapEngineError(error);
    }
    const hostConfig: Docker.HostConfig = {
      // Loopback only: neither the LAN nor other workspaces (through their gateway address) reach this port.
      PortBindings: { [PORT_KEY]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      CapDrop: ['NET_RAW'],
      // The workspace user has no business gaining privileges (setuid binaries); the image needs no sudo.
      SecurityOpt: ['no-new-privileges:true'],
      RestartPolicy: { Name: 'no' },
      Init: false,
    };
    if (spec.memoryBytes !== null) {
      hostConfig.Memory = spec.memoryBytes;
      hostConfig.MemorySwap = spec.memoryBytes;
    }
    if (spec.nanoCpus !== null) hostConfig.NanoCpus = spec.nanoCpus;
    if (spec.pidsLimit !== null) hostConfig.PidsLimit = spec.pidsLimit;
    try {
      const onNetwork = <T>(action: (networkId: string) => Promise<T>): Promise<T> =>
        spec.network ? this.findNetworkId(spec.network).then(action) : this.withNetwork(action);
      const container = await onNetwork((networkId) =>
        this.docker.createContainer({
          name,
          Image: spec.image,
        Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
        Labels: {
          ...spec.labels,
          [LABEL_MANAGED]: 'true',
          [LABEL_PROJECT_ID]: spec.projectId,
          [LABEL_INSTANCE]: this.instanceId,
          // Always set: a clone's image carries its source's labels, and an empty value means "the default network".
          [LABEL_WORKSPACE_NETWORK]: spec.network ?? '',
        },
          ExposedPorts: { [PORT_KEY]: {} },
          // By id: a name could be ambiguous for a moment if two processes raced to create the network.
          HostConfig: { ...hostConfig, NetworkMode: networkId },
          ...(spec.command ? { Cmd: spec.command } : {}),
        }),
      );
      return container.id;
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  async start(projectId: string): Promise<WorkspaceContainer> {
    const name = workspaceContainerName(projectId);
    await this.isolate(name);
    const start = async () => {
      try {
        await this.docker.getContainer(name).start();
      } catch (error) {
        if (statusCodeOf(error) !== 304) throw error;
      }
    };
    try {
      try {
        await start();
      } catch (error) {
        if (!isNetworkNotFound(error)) throw error;
        // Its network was removed while it was stopped: the engine finds a new one of the same name.
        this.network = null;
        await this.ensureNetwork();
        await start();
      }
    } catch (error) {
      // A 404 about a network must not read as "container gone" (the caller would make a new, empty one).
      throw mapEngineError(error, isNetworkNotFound(error) ? undefined : `Container ${name} does not exist`);
    }
    const info = await this.inspect(projectId);
    if (!info) throw new ContainerNotFoundError(`Container ${name} vanished after start`);
    return info;
  }

  async stop(projectId: string, timeoutSeconds = 10): Promise<void> {
    const name = workspaceContainerName(projectId);
    try {
      await this.docker.getContainer(name).stop({ t: timeoutSeconds });
    } catch (error) {
      if (statusCodeOf(error) !== 304) throw mapEngineError(error, `Container ${name} does not exist`);
    }
  }

  async remove(projectId: string): Promise<void> {
    try {
      await this.docker.getContainer(workspaceContainerName(projectId)).remove({ force: true, v: true });
    } catch (error) {
      const status = statusCodeOf(error);
      // 404: already gone; 409: removal already in progress.
      if (status !== 404 && status !== 409) throw mapEngineError(error);
    }
  }

  async inspect(projectId: string): Promise<WorkspaceContainer | null> {
    try {
      const info = await this.docker.getContainer(workspaceContainerName(projectId)).inspect();
      return fromInspect(info, projectId);
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw mapEngineError(error);
    }
  }

  async list(): Promise<WorkspaceContainer[]> {
    try {
      const containers = await this.docker.listContainers({ all: true, filters: { label: this.labelFilters() } });
      return containers.map((c) => {
        const binding = c.Ports.find((p) => p.PrivatePort === WORKSPACE_CONTAINER_PORT && p.IP === '127.0.0.1' && p.PublicPort);
        return {
          id: c.Id,
          projectId: c.Labels[LABEL_PROJECT_ID] ?? '',
          name: (c.Names[0] ?? '').replace(/^\//, ''),
          state: c.State,
          running: c.State === 'running',
          hostPort: c.State === 'running' && binding ? binding.PublicPort : null,
          startedAt: null,
          health: null,
          exitCode: null,
          error: null,
        };
      });
    } catch (error) {
      throw mapEngineError(error);
    }
  }

  /** Inspect with sizes (the engine computes them on demand, which can take a moment on big layers). */
  async diskUsage(projectId: string): Promise<WorkspaceDiskUsage | null> {
    try {
      // `size` is a query parameter of the engine API that @types/dockerode does not list.
      const options = { size: true } as Docker.ContainerInspectOptions;
      const info = (await this.docker.getContainer(workspaceContainerName(projectId)).inspect(options)) as Docker.ContainerInspectInfo & {
        SizeRw?: number;
        SizeRootFs?: number;
      };
      return { writableBytes: Math.max(0, info.SizeRw ?? 0), totalBytes: Math.max(0, info.SizeRootFs ?? 0) };
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw mapEngineError(error);
    }
  }

  async stats(projectId: string): Promise<WorkspaceStats | null> {
    try {
      const stats = (await this.docker.getContainer(workspaceContainerName(projectId)).stats({ stream: false })) as Docker.ContainerStats;
      return statsFromDocker(stats);
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw mapEngineError(error);
    }
  }

  async putArchive(projectId: string, destPath: string, archive: Buffer): Promise<void> {
    const name = workspaceContainerName(projectId);
    try {
      await this.docker.getContainer(name).putArchive(archive, { path: destPath });
    } catch (error) {
      throw mapEngineError(error, `Container ${name} does not exist`);
    }
  }

  async exec(projectId: string, cmd: string[], options: { user?: string; env?: string[]; workingDir?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const name = workspaceContainerName(projectId);
    try {
      const result = await execIn(this.docker, name, cmd, { ...options, maxBytes: 1024 * 1024 });
      return { exitCode: result.exitCode, stdout: result.stdout.toString('utf8'), stderr: result.stderr };
    } catch (error) {
      throw mapEngineError(error, `Container ${name} does not exist`);
    }
  }

  async signal(projectId: string, signal: string): Promise<void> {
    const name = workspaceContainerName(projectId);
    try {
      await this.docker.getContainer(name).kill({ signal });
    } catch (error) {
      throw mapEngineError(error, `Container ${name} does not exist`);
    }
  }

  async snapshot(projectId: string, tag: string): Promise<void> {
    const name = workspaceContainerName(projectId);
    const colon = tag.lastIndexOf(':');
    const [repo, version] = colon > tag.lastIndexOf('/') ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, 'latest'];
    // The image inherits the container's config (our labels, env without secrets, command); the change adds
    // the snapshot label. Dockerode would send its options as both query and body, so the call is made here.
    const query = {
      container: name,
      repo,
      tag: version,
      pause: true,
      changes: `LABEL ${LABEL_SNAPSHOT}=true ${LABEL_INSTANCE}=${JSON.stringify(this.instanceId)}`,
    };
    try {
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.dial(
          {
            path: '/commit?',
            method: 'POST',
            options: { _query: query, _body: {} },
            statusCodes: { 200: true, 201: true, 404: 'no such container', 500: 'server error' },
          },
          (error: unknown) => (error ? reject(error) : resolve()),
        );
      });
    } catch (error) {
      throw mapEngineError(error, `Container ${name} does not exist`);
    }
  }

  async removeSnapshot(tag: string): Promise<void> {
    try {
      await this.docker.getImage(tag).remove({ force: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw mapEngineError(error);
    }
  }

  async removeSnapshots(keep: ReadonlySet<string>): Promise<number> {
    let images: Docker.ImageInfo[];
    try {
      images = await this.docker.listImages({ filters: { label: [`${LABEL_SNAPSHOT}=true`, `${LABEL_INSTANCE}=${this.instanceId}`] } });
    } catch (error) {
      throw mapEngineError(error);
    }
    let removed = 0;
    for (const image of images) {
      const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      if (tags.some((t) => keep.has(t))) continue;
      try {
        await this.docker.getImage(image.Id).remove();
        removed += 1;
      } catch (error) {
        // 409: clones still use it; untag so only the engine's reference from those containers keeps it.
        if (statusCodeOf(error) !== 409 || tags.length === 0) continue;
        for (const t of tags) await this.removeSnapshot(t).catch(() => undefined);
        removed += 1;
      }
    }
    return removed;
  }

  async hasImage(tag: string): Promise<boolean> {
    try {
      await this.docker.getImage(tag).inspect();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw mapEngineError(error);
    }
  }

  watch(onEvent: (event: RuntimeEvent) => void, onConnectionChange?: (connected: boolean, error?: string) => void): () => void {
    let closed = false;
    let current: NodeJS.ReadableStream | null = null;
    let retryTimer: NodeJS.Timeout | null = null;
    let delayMs = 500;
    const MAX_DELAY_MS = 15_000;

    const scheduleReconnect = (reason: string) => {
      if (closed) return;
      onConnectionChange?.(false, reason);
      retryTimer = setTimeout(connect, delayMs);
      delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
    };

    const connect = async () => {
      retryTimer = null;
      if (closed) return;
      let stream: NodeJS.ReadableStream;
      try {
        stream = (await this.streamingDocker.getEvents({
          filters: { type: ['container'], label: this.labelFilters() },
        })) as NodeJS.ReadableStream;
      } catch (error) {
        scheduleReconnect(mapEngineError(error).message);
        return;
      }
      if (closed) {
        (stream as unknown as { destroy(): void }).destroy();
        return;
      }
      current = stream;
      delayMs = 500;
      onConnectionChange?.(true);
      let buffer = '';
      let ended = false;
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        current = null;
        scheduleReconnect(reason);
      };
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = parseEngineEvent(line);
          if (event) {
            try {
              onEvent(event);
            } catch {
              // A listener's failure must not kill the stream.
            }
          }
        }
      });
      stream.on('error', (error: Error) => end(mapEngineError(error).message));
      stream.on('end', () => end('Docker event stream ended'));
      stream.on('close', () => end('Docker event stream closed'));
    };

    void connect();
    return () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const stream = current as unknown as { destroy?: () => void } | null;
      current = null;
      stream?.destroy?.();
    };
  }
}

/** Parses one line of `GET /events` into our event, or null when it is not a container event of ours. */
export function parseEngineEvent(line: string): RuntimeEvent | null {
  let raw: { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (raw.Type && raw.Type !== 'container') return null;
  const projectId = raw.Actor?.Attributes?.[LABEL_PROJECT_ID];
  const action = (raw.Action ?? raw.status ?? '').split(':')[0]?.trim() ?? '';
  if (!projectId || !action) return null;
  return { projectId, containerId: raw.Actor?.ID ?? raw.id ?? '', action };
}

function fromInspect(info: Docker.ContainerInspectInfo, projectId: string): WorkspaceContainer {
  const bindings = info.NetworkSettings?.Ports?.[PORT_KEY] ?? [];
  const binding = bindings.find((b) => b.HostIp === '127.0.0.1') ?? bindings[0];
  const running = info.State.Running === true;
  return {
    id: info.Id,
    projectId: info.Config.Labels?.[LABEL_PROJECT_ID] ?? projectId,
    name: info.Name.replace(/^\//, ''),
    state: info.State.Status,
    running,
    hostPort: running && binding?.HostPort ? Number(binding.HostPort) : null,
    startedAt: running ? info.State.StartedAt : null,
    health: info.State.Health?.Status ?? null,
    exitCode: running ? null : info.State.ExitCode,
    error: info.State.Error || (info.State.OOMKilled ? 'killed: out of memory' : null),
  };
}

/**
 * CPU and memory as `docker stats` computes them: CPU% = Δcontainer / Δsystem × online CPUs × 100; memory =
 * usage minus page cache (`inactive_file` on cgroup v2, `cache` on v1).
 */
export function statsFromDocker(stats: Docker.ContainerStats): WorkspaceStats {
  // Without a previous sample (first read) there is no interval to measure: report 0.
  const previousSystem = stats.precpu_stats?.system_cpu_usage ?? 0;
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - (stats.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = previousSystem > 0 ? (stats.cpu_stats.system_cpu_usage ?? 0) - previousSystem : 0;
  const online = stats.cpu_stats.online_cpus || stats.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const memStats = (stats.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
  const cache = memStats['inactive_file'] ?? memStats['total_inactive_file'] ?? memStats['cache'] ?? 0;
  const usage = Math.max(0, (stats.memory_stats?.usage ?? 0) - cache);
  return { cpuPercent, memoryBytes: usage, memoryLimitBytes: stats.memory_stats?.limit ?? 0 };
}
