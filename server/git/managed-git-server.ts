/**
 * The MANAGED Git server (issue #7): Forgejo run by this app as one container per instance, so a teacher
 * needs no Git server of their own. Topology (see /tmp INTERFACES "Issue 7"):
 *   - container `<prefix>-git` (prefix `xares` for instance `default`, else `xares-<instance>`), labelled ours
 *     (`xares.managed`, `xares.instance`, `xares.role=git`), data on volume `<prefix>-git-data` at `/data`;
 *   - networks: its own `egress-git` network first (default route, and where its port 3000 is published on
 *     127.0.0.1 with a random host port for our REST client), then the workspace network and the proxy networks
 *     `security` and `logging`, reached by its container name on each (workspaces use `http://<prefix>-git:3000/`);
 *   - configured with `FORGEJO__section__KEY` variables (the official image turns them into app.ini at every
 *     start: Forgejo docs "Installation with Docker", contrib/environment-to-ini): ROOT_URL is the browser URL
 *     (participant base URL + `/git/`, served by server/http/git-proxy.ts), sqlite, install lock, no SSH;
 *   - bootstrapped on first use with the image's CLI run as user `git` (`forgejo admin user create --admin`,
 *     `forgejo admin user generate-access-token --raw`; Forgejo "Command-line interface" docs).
 * The admin token is returned to the caller (GitService keeps it in the git settings); it is never logged.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABEL_INSTANCE, LABEL_MANAGED, RuntimeUnavailableError } from '../runtime/workspace-runtime.js';
import { isConnectionError } from '../runtime/docker-runtime.js';
import { execIn } from '../runtime/container-exec.js';
import type { ProxyNetworks, ProxyNetworkRole } from '../proxies/proxy-networks.js';

/** Port Forgejo listens on inside its container. */
export const GIT_HTTP_PORT = 3000;
/** Label with the role of our helper containers; the managed Git server has `git`. */
export const LABEL_ROLE = 'xares.role';
/**
 * The official Forgejo image (Forgejo docs "Installation with Docker": `codeberg.org/forgejo/forgejo:<major>`,
 * the rootful variant whose entrypoint prepares /data and drops to user `git`). Major 16 is the latest stable
 * release listed by the Forgejo documentation when this was written; configurable per start.
 */
export const DEFAULT_FORGEJO_IMAGE = 'codeberg.org/forgejo/forgejo:16';
/** The administrator the app makes on its own server (Forgejo reserves `admin`). */
export const MANAGED_ADMIN_USER = 'xares-admin';

/**
 * Container and volume names of an instance's managed Git server. The container name is also its host name on
 * its networks: unique per instance, since the workspace network is shared by every instance on an engine.
 */
export function managedGitNames(instanceId: string): { container: string; volume: string } {
  const prefix = instanceId === 'default' ? 'xares' : `xares-${instanceId}`;
  return { container: `${prefix}-git`, volume: `${prefix}-git-data` };
}

/** How workspace containers reach an instance's managed Git server: `http://<container name>:3000/`. */
export function managedGitWorkspaceUrl(instanceId: string): string {
  return `http://${managedGitNames(instanceId).container}:${GIT_HTTP_PORT}/`;
}

/**
 * The environment of the Forgejo container for browser URL `rootUrl` (ends with `/`). Keys as the official image
 * reads them (`USER_UID`/`USER_GID` for its `git` user, `FORGEJO__<section>__<KEY>` into app.ini).
 */
export function forgejoEnvironment(rootUrl: string): string[] {
  const domain = new URL(rootUrl).hostname;
  return [
    'USER_UID=1000',
    'USER_GID=1000',
    // Unattended: no web installer, the database is a file on the volume.
    'FORGEJO__security__INSTALL_LOCK=true',
    'FORGEJO__database__DB_TYPE=sqlite3',
    `FORGEJO__server__ROOT_URL=${rootUrl}`,
    `FORGEJO__server__DOMAIN=${domain}`,
    `FORGEJO__server__HTTP_PORT=${GIT_HTTP_PORT}`,
    // HTTP only (through /git/ and <prefix>-git:3000); no SSH server, no outside resources (avatars, CDNs).
    'FORGEJO__server__DISABLE_SSH=true',
    'FORGEJO__server__START_SSH_SERVER=false',
    'FORGEJO__server__OFFLINE_MODE=true',
    // Accounts are made by the app, not by visitors.
    'FORGEJO__service__DISABLE_REGISTRATION=true',
    // It sits on the confined workspace networks and has a way out: nothing a workspace's token can do may use
    // that way out (the whitelist would be bypassed): webhooks only to loopback, no migrations, no mirrors.
    'FORGEJO__webhook__ALLOWED_HOST_LIST=loopback',
    'FORGEJO__repository__DISABLE_MIGRATIONS=true',
    'FORGEJO__mirror__ENABLED=false',
    'FORGEJO__repository__DEFAULT_BRANCH=main',
  ];
}

/** The managed server could not be made to run; `message` says why (image missing, container failed, …). */
export class ManagedGitServerError extends Error {
  override name = 'ManagedGitServerError';
}

/** Options of {@link ManagedGitServer}. */
export interface ManagedGitServerOptions {
  docker: Docker;
  instanceId: string;
  /** The instance's proxy networks (roles `egress-git`, `security`, `logging`). */
  networks: ProxyNetworks;
  /** The runtime's workspace network (DockerRuntime `networkName` and `ensureNetwork`). */
  workspaceNetwork: { name: string; ensure(): Promise<string> };
  /** Image to run; default {@link DEFAULT_FORGEJO_IMAGE}. */
  image?: string;
  /** The browser URL of the server (participant base URL + `git/`), read at every ensure: a change re-creates it. */
  rootUrl: () => string;
  logger: Logger;
  /** How long a start may take until `/api/v1/version` answers (ms, default 180 000: first start migrates the database). */
  readyTimeoutMs?: number;
  /**
   * Awaited after {@link ManagedGitServer.ensure} (re)started the container, before it resolves (its addresses may
   * be new: firewall rules). Its errors are logged, not thrown (the server itself runs).
   */
  onStarted?: () => Promise<void>;
}

/** A running managed server: the URL our REST client uses (`http://127.0.0.1:<published port>/`). */
export interface ManagedGitEndpoint {
  hostUrl: string;
  /** True when this call created or started the container (its data may have been re-initialised). */
  started: boolean;
}

/** How long a running endpoint is trusted without looking again (ms). */
const RECENT_MS = 2000;

const PROXY_ROLES = ['security', 'logging'] as const satisfies readonly ProxyNetworkRole[];

function statusCodeOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/** Keeps an instance's managed Forgejo container running; see the module comment. */
export class ManagedGitServer {
  readonly containerName: string;
  readonly volumeName: string;
  readonly image: string;
  private pending: Promise<ManagedGitEndpoint> | null = null;
  /** The last endpoint found running, and when (`/git/` pages load many assets: one inspect per burst is enough). */
  private recent: { hostUrl: string; rootUrl: string; at: number } | null = null;
  private bootstrap: Promise<string> | null = null;

  constructor(private readonly options: ManagedGitServerOptions) {
    const names = managedGitNames(options.instanceId);
    this.containerName = names.container;
    this.volumeName = names.volume;
    this.image = options.image ?? DEFAULT_FORGEJO_IMAGE;
  }

  /** How workspace containers reach it: `http://<container name>:3000/`. */
  workspaceUrl(): string {
    return managedGitWorkspaceUrl(this.options.instanceId);
  }

  /** The browser URL of the server (Forgejo's ROOT_URL): participant base URL + `git/`. */
  browserUrl(): string {
    return this.options.rootUrl();
  }

  /**
   * Makes sure the server runs with the current ROOT_URL on all its networks and answers `/api/v1/version`:
   * creates it (pulling the image when missing), starts it, or re-creates it (the volume keeps the data) when
   * it is gone, stopped, configured for another browser URL or on vanished networks. Serialised.
   * @throws RuntimeUnavailableError when the engine is unreachable; ManagedGitServerError with the reason
   *   (image missing and not downloadable, container exited, no answer in time).
   */
  ensure(): Promise<ManagedGitEndpoint> {
    const recent = this.recent;
    if (recent && Date.now() - recent.at < RECENT_MS && recent.rootUrl === this.options.rootUrl()) {
      return Promise.resolve({ hostUrl: recent.hostUrl, started: false });
    }
    this.pending ??= this.ensureNow()
      .then((endpoint) => {
        this.recent = { hostUrl: endpoint.hostUrl, rootUrl: this.options.rootUrl(), at: Date.now() };
        return endpoint;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  /**
   * The IPv4 address of the running server on each of its networks (network name → address), for firewall
   * rules; null when it does not run. Never throws.
   */
  async addresses(): Promise<Record<string, string> | null> {
    const info = await this.inspect().catch(() => null);
    if (!info?.State.Running) return null;
    const result: Record<string, string> = {};
    for (const [name, network] of Object.entries(info.NetworkSettings.Networks ?? {})) {
      if (network?.IPAddress) result[name] = network.IPAddress;
    }
    return result;
  }

  /**
   * An admin access token (scope `all`) of {@link MANAGED_ADMIN_USER} on the running server: `known` when the
   * server still accepts it as a site admin's, else a new one made with the CLI in the container (the user is
   * created first, with a random password nobody keeps, when it does not exist). Serialised. Never logged.
   * @throws ManagedGitServerError when the CLI fails; the errors of {@link ensure}.
   */
  bootstrapAdmin(known: string | null): Promise<string> {
    this.bootstrap ??= this.bootstrapNow(known).finally(() => {
      this.bootstrap = null;
    });
    return this.bootstrap;
  }

  /** Forgets the last running endpoint: the next {@link ensure} inspects the container again. */
  forget(): void {
    this.recent = null;
  }

  /** Stops the container (data and container stay). Never throws. */
  async stop(): Promise<void> {
    this.recent = null;
    await this.options.docker.getContainer(this.containerName).stop({ t: 10 }).catch(() => undefined);
  }

  /** Removes the container and its data volume (tests, uninstall). Never throws. */
  async remove(): Promise<void> {
    this.recent = null;
    await this.options.docker.getContainer(this.containerName).remove({ force: true }).catch(() => undefined);
    await this.options.docker.getVolume(this.volumeName).remove().catch(() => undefined);
  }

  private async inspect(): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.options.docker.getContainer(this.containerName).inspect();
    } catch (error) {
      if (statusCodeOf(error) === 404) return null;
      throw error;
    }
  }

  private async ensureNow(): Promise<ManagedGitEndpoint> {
    try {
      const rootUrl = this.options.rootUrl();
      const networkNames = [this.options.networks.name('egress-git'), ...PROXY_ROLES.map((role) => this.options.networks.name(role)), this.options.workspaceNetwork.name];
      let info = await this.inspect();
      const configured = (candidate: Docker.ContainerInspectInfo) =>
        (candidate.Config.Env ?? []).includes(`FORGEJO__server__ROOT_URL=${rootUrl}`) &&
        candidate.Config.Image === this.image &&
        networkNames.every((name) => candidate.NetworkSettings.Networks?.[name]);
      if (info?.State.Running && configured(info)) {
        const hostUrl = hostUrlOf(info);
        if (hostUrl) return { hostUrl, started: false };
      }
      const [egressId, securityId, loggingId, workspaceId] = await Promise.all([
        this.options.networks.ensure('egress-git'),
        this.options.networks.ensure('security'),
        this.options.networks.ensure('logging'),
        this.options.workspaceNetwork.ensure(),
      ]);
      const ids = [egressId, securityId, loggingId, workspaceId];
      const attached = info?.NetworkSettings.Networks ?? {};
      // Another browser URL, another image or vanished networks: re-create (the volume keeps the data).
      if (info && (!configured(info) || networkNames.some((name, index) => attached[name]?.NetworkID !== ids[index]))) {
        this.options.logger.info({ container: this.containerName }, 'managed git server re-created with its current settings');
        await this.options.docker.getContainer(this.containerName).remove({ force: true });
        info = null;
      }
      if (!info) await this.create(rootUrl, networkNames);
      try {
        await this.options.docker.getContainer(this.containerName).start();
      } catch (error) {
        if (statusCodeOf(error) !== 304) throw error;
      }
      const hostUrl = await this.waitReady();
      this.options.logger.info({ container: this.containerName, hostUrl }, 'managed git server running');
      await this.options.onStarted?.().catch((error: unknown) => {
        this.options.logger.warn({ err: (error as Error).message }, 'managed git server: follow-up after start failed');
      });
      return { hostUrl, started: true };
    } catch (error) {
      if (isConnectionError(error)) throw new RuntimeUnavailableError('Docker engine is not reachable');
      throw error;
    }
  }

  /** Pulls the image when it is missing; progress goes to the log. @throws ManagedGitServerError naming the image. */
  private async ensureImage(): Promise<void> {
    const docker = this.options.docker;
    const present = await docker
      .getImage(this.image)
      .inspect()
      .then(() => true)
      .catch((error: unknown) => {
        if (statusCodeOf(error) === 404) return false;
        throw error;
      });
    if (present) return;
    this.options.logger.info({ image: this.image }, 'git server image missing: pulling it');
    try {
      const stream = await docker.pull(this.image);
      let lastLog = 0;
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (error: Error | null, results: Array<{ error?: string }>) => {
            const failed = error?.message ?? results?.find((entry) => entry.error)?.error;
            if (failed) reject(new Error(failed));
            else resolve();
          },
          (event: { status?: string; progress?: string; id?: string }) => {
            if (Date.now() - lastLog < 2000) return;
            lastLog = Date.now();
            this.options.logger.info({ image: this.image, status: event.status, layer: event.id, progress: event.progress }, 'pulling git server image');
          },
        );
      });
      this.options.logger.info({ image: this.image }, 'git server image pulled');
    } catch (error) {
      if (isConnectionError(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger.warn({ image: this.image, reason: reason.slice(0, 300) }, 'git server image could not be downloaded');
      throw new ManagedGitServerError(
        `The Git server image ${this.image} is not on this computer and could not be downloaded: check the internet connection, or set XARES_GIT_SERVER_IMAGE to an image this computer has or can reach (${reason.slice(0, 200)})`,
      );
    }
  }

  private async create(rootUrl: string, networkNames: string[]): Promise<void> {
    await this.ensureImage();
    const labels = { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.options.instanceId, [LABEL_ROLE]: 'git' };
    await this.options.docker.createVolume({ Name: this.volumeName, Labels: labels }).catch(() => undefined);
    const [egress, ...others] = networkNames as [string, ...string[]];
    await this.options.docker.createContainer({
      name: this.containerName,
      Image: this.image,
      Labels: labels,
      Env: forgejoEnvironment(rootUrl),
      ExposedPorts: { [`${GIT_HTTP_PORT}/tcp`]: {} },
      HostConfig: {
        // Egress first: the default route goes out through it, and the published port lives there.
        NetworkMode: egress,
        Binds: [`${this.volumeName}:/data`],
        PortBindings: { [`${GIT_HTTP_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
        CapDrop: ['NET_RAW'],
        SecurityOpt: ['no-new-privileges:true'],
        RestartPolicy: { Name: 'no' },
        Memory: 1024 * 1024 * 1024,
        PidsLimit: 1024,
      },
      NetworkingConfig: { EndpointsConfig: { [egress]: { Aliases: [this.containerName] } } },
    });
    for (const name of others) {
      await this.options.docker.getNetwork(name).connect({ Container: this.containerName, EndpointConfig: { Aliases: [this.containerName] } });
    }
  }

  /** Waits until `/api/v1/version` answers through the published port; the port is read from inspect. */
  private async waitReady(): Promise<string> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 180_000);
    let last = '';
    while (Date.now() < deadline) {
      const info = await this.inspect();
      if (!info || !info.State.Running) {
        const logs = await this.logs();
        throw new ManagedGitServerError(`The Git server container stopped right after its start (exit code ${info?.State.ExitCode ?? '?'})${logs ? `: ${logs}` : ''}`);
      }
      const hostUrl = hostUrlOf(info);
      if (hostUrl) {
        try {
          const response = await fetch(`${hostUrl}api/v1/version`, { signal: AbortSignal.timeout(3000) });
          if (response.ok) return hostUrl;
          last = `HTTP ${response.status}`;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const logs = await this.logs();
    throw new ManagedGitServerError(`The Git server did not answer within ${Math.round((this.options.readyTimeoutMs ?? 180_000) / 1000)} s (${last})${logs ? `: ${logs}` : ''}`);
  }

  private async logs(): Promise<string> {
    return this.options.docker
      .getContainer(this.containerName)
      .logs({ stdout: true, stderr: true, tail: 15 })
      .then((buffer) => (buffer as unknown as Buffer).toString('utf8').replace(/[\x00-\x08]/g, '').trim().slice(-400))
      .catch(() => '');
  }

  private async bootstrapNow(known: string | null): Promise<string> {
    const { hostUrl } = await this.ensure();
    if (known && (await this.isAdminToken(hostUrl, known))) return known;
    const create = await this.cli([
      'admin', 'user', 'create', '--admin', '--username', MANAGED_ADMIN_USER, '--password', randomBytes(24).toString('base64url'),
      '--email', `${MANAGED_ADMIN_USER}@xares.invalid`, '--must-change-password=false',
    ]);
    if (create.exitCode !== 0 && !/already exists/i.test(create.output)) {
      throw new ManagedGitServerError(`The Git server did not create its administrator: ${create.output.slice(0, 300)}`);
    }
    const generated = await this.cli([
      'admin', 'user', 'generate-access-token', '--username', MANAGED_ADMIN_USER, '--token-name', `xares-${randomBytes(6).toString('hex')}`, '--scopes', 'all', '--raw',
    ]);
    const token = generated.exitCode === 0 ? lastTokenLine(generated.stdout) : null;
    if (!token) throw new ManagedGitServerError(`The Git server did not create an admin access token: ${generated.output.slice(0, 300)}`);
    this.options.logger.info({ user: MANAGED_ADMIN_USER }, 'managed git server: admin access token created');
    return token;
  }

  /** Whether `token` is accepted as a site admin's (GET /api/v1/user → is_admin). Network errors throw. */
  private async isAdminToken(hostUrl: string, token: string): Promise<boolean> {
    const response = await fetch(`${hostUrl}api/v1/user`, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return false;
    const user = (await response.json().catch(() => null)) as { is_admin?: unknown } | null;
    return user?.is_admin === true;
  }

  /** Runs the image's `forgejo` CLI as user `git` (as the official image needs); output without secrets of ours. */
  private async cli(args: string[]): Promise<{ exitCode: number; stdout: string; output: string }> {
    const result = await execIn(this.options.docker, this.containerName, ['forgejo', ...args], { user: 'git', maxBytes: 64 * 1024 });
    const stdout = result.stdout.toString('utf8');
    return { exitCode: result.exitCode, stdout, output: `${result.stderr.trim()} ${stdout.trim()}`.trim() };
  }
}

/** `http://127.0.0.1:<published port of 3000>/` from an inspect answer, or null when not published. */
export function hostUrlOf(info: Pick<Docker.ContainerInspectInfo, 'NetworkSettings'>): string | null {
  const bindings = info.NetworkSettings.Ports?.[`${GIT_HTTP_PORT}/tcp`] ?? [];
  const port = bindings.find((binding) => binding.HostIp === '127.0.0.1' || binding.HostIp === '0.0.0.0' || binding.HostIp === '')?.HostPort;
  return port ? `http://127.0.0.1:${port}/` : null;
}

/** The token printed by `generate-access-token --raw`: the last line that looks like one (log lines may come first). */
export function lastTokenLine(stdout: string): string | null {
  const lines = stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => /^[A-Za-z0-9_-]{16,}$/.test(line));
  return lines.at(-1) ?? null;
}
