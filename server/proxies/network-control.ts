/**
 * Network control (issue #5): what a workspace's `proxyMode` means on the wire.
 *   - `none`: the runtime's own workspace network (normal egress; workspaces cannot reach each other).
 *   - `security`: the confined `security` network; only squid (whitelist, per-workspace credential) is reachable.
 *   - `logging`: the confined `logging` network; only mitmproxy (recording, per-workspace credential) is reachable;
 *     the workspace trusts that installation's CA.
 * This class keeps the proxies running (on demand, health-checked, re-created with their state), the networks
 * and firewall rules in place (fail closed), and hands each workspace its proxy settings as files.
 */
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ProxyMode } from '../contract/projects.js';
import {
  MITMPROXY_CA_CERT_FILE,
  MITMPROXY_PORT,
  MITMPROXY_RECORD_FILE_PATTERN,
  MITMPROXY_RECORDS_DIR,
  MITMPROXY_UPSTREAM_CA_FILE,
  PROXY_USERS_FILE,
  SQUID_ACCESS_LOG,
  SQUID_PORT,
  SQUID_RECONFIGURE_COMMAND,
  SQUID_WHITELIST_FILE,
} from '../images/proxy-images.js';
import { workspaceContainerName } from '../runtime/workspace-runtime.js';
import { GIT_HTTP_PORT, managedGitNames } from '../git/managed-git-server.js';
import { bridgeName, NetGuard, type GuardPlan } from './netguard.js';
import { PROXY_ALIAS, ProxyNetworks } from './proxy-networks.js';
import { extractFiles, ProxyContainer, putFiles, readFileFrom, type ContainerFile } from './proxy-container.js';
import { newProxySecret, proxyUrl, renderHtpasswd } from './proxy-users.js';

/** Where a workspace finds its proxy settings; sourced (`set -a`) by the workspace command before code-server. */
export const WORKSPACE_PROXY_ENV_FILE = '/etc/xares/proxy.env';
/** The logging proxy's CA certificate inside a logging workspace (public part only). */
export const WORKSPACE_PROXY_CA_FILE = '/etc/xares/proxy-ca.pem';
/** Debian's system CA bundle, which our CA is appended to in logging workspaces. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const CA_BEGIN = '# BEGIN Xares logging proxy CA';
const CA_END = '# END Xares logging proxy CA';

/** Rules applied longer ago than this (ms) are installed again before a proxy workspace starts. */
const GUARD_FRESH_MS = 5_000;

/** Names that never go through a proxy: the workspace's own services, and the managed Git server (reached directly). */
function noProxy(instanceId: string): string {
  return `localhost,127.0.0.1,::1,${managedGitNames(instanceId).container}`;
}

/**
 * The managed Git server as the firewall needs it (server/git/managed-git-server.ts): its IPv4 address on each
 * network it joined, by network name, or null while it does not run.
 */
export interface GitServerAddresses {
  /** Whether it is in use (managed mode enabled): rules are kept in place for it only then. */
  active(): boolean;
  addresses(): Promise<Record<string, string> | null>;
}

/** A project as network control needs it. */
export interface ProxyClient {
  id: string;
  proxyMode: ProxyMode;
}

/** Where the credentials live (projects.proxy_secret) and which projects use a proxy. */
export interface ProxyCredentialStore {
  /** The stored secret of a project, or null. */
  getProxySecret(projectId: string): string | null;
  setProxySecret(projectId: string, secret: string): void;
  /** All projects with a proxy mode other than `none` and their secrets (null when none yet). */
  listProxyClients(): Array<{ id: string; proxyMode: ProxyMode; proxySecret: string | null }>;
}

/** Options of {@link NetworkControl}. */
export interface NetworkControlOptions {
  docker: Docker;
  instanceId: string;
  images: { squid: string; mitmproxy: string; netguard: string };
  /** Builds the proxy images when missing (called once before the first proxy is needed; retried after a failure). */
  ensureImages?: () => Promise<void>;
  credentials: ProxyCredentialStore;
  /** The squid configuration section of the current whitelist (`WhitelistService.squidSection()`). */
  whitelistSection: () => string;
  logger: Logger;
  /** PEM of extra CAs mitmproxy trusts for upstream servers instead of the system store (tests' fake LLM API). */
  upstreamCaPem?: string;
  /** Health-check period in ms (default 15 s); 0 turns the loop off. */
  healthIntervalMs?: number;
  /** Name of the runtime's own workspace network (`none` mode), whose workspaces may reach the managed Git server. */
  workspaceNetwork?: string;
}

/** What a workspace needs from network control before it is created or started. */
export interface WorkspaceNetworkPlan {
  /** Network to create the container on; undefined = the runtime's own workspace network (`none`). */
  network: string | undefined;
  /** Files to write into the container before each start (proxy settings; CA for logging). */
  files: (containerHasCaBundle: () => Promise<Buffer | null>) => Promise<ContainerFile[]>;
}

/** Thrown when a proxy mode cannot be provided (proxy or firewall not in place). */
export class NetworkControlError extends Error {
  override readonly name = 'NetworkControlError';
}

/** See the file comment. */
export class NetworkControl {
  readonly networks: ProxyNetworks;
  readonly squid: ProxyContainer;
  readonly mitmproxy: ProxyContainer;
  private readonly guard: NetGuard;
  private imagesReady: Promise<void> | null = null;
  private caPem: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private checking = false;
  private gitServer: GitServerAddresses | null = null;

  constructor(private readonly options: NetworkControlOptions) {
    const { docker, instanceId } = options;
    this.networks = new ProxyNetworks(docker, instanceId);
    const prefix = instanceId === 'default' ? 'xares' : `xares-${instanceId}`;
    this.guard = new NetGuard(docker, { image: options.images.netguard, instanceId });
    this.squid = new ProxyContainer(docker, this.networks, instanceId, {
      kind: 'squid',
      name: `${prefix}-squid`,
      image: options.images.squid,
      port: SQUID_PORT,
      confined: 'security',
      egress: 'egress-squid',
      // The access log survives re-creation of the container (the squid-logs endpoint reads it).
      volumes: { [`${prefix}-squid-logs`]: '/var/log/squid' },
      files: () => [
        { path: PROXY_USERS_FILE, content: this.htpasswd() },
        { path: SQUID_WHITELIST_FILE, content: this.options.whitelistSection() },
      ],
      readyCommand: ['squid', '-k', 'check', '-f', '/etc/squid/squid.conf'],
    });
    this.mitmproxy = new ProxyContainer(docker, this.networks, instanceId, {
      kind: 'mitmproxy',
      name: `${prefix}-mitmproxy`,
      image: options.images.mitmproxy,
      port: MITMPROXY_PORT,
      confined: 'logging',
      egress: 'egress-mitm',
      // The CA (and its private key) and unread records survive re-creation of the container.
      volumes: { [`${prefix}-mitmproxy-data`]: '/var/lib/xares' },
      files: () => [
        { path: PROXY_USERS_FILE, content: this.htpasswd() },
        ...(this.options.upstreamCaPem ? [{ path: MITMPROXY_UPSTREAM_CA_FILE, content: this.options.upstreamCaPem }] : []),
      ],
      readyCommand: ['sh', '-c', `test -s ${MITMPROXY_CA_CERT_FILE} && python3 -c "import socket; socket.create_connection(('127.0.0.1', ${MITMPROXY_PORT}), 3).close()"`],
    });
    const interval = options.healthIntervalMs ?? 15_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.healthCheck(), interval);
      this.timer.unref();
    }
  }

  /**
   * Lets workspaces of every mode reach the managed Git server (port {@link GIT_HTTP_PORT} on each network it
   * joined) from the next rule application on. Call {@link refreshRules} after it (re)started.
   */
  setGitServer(server: GitServerAddresses | null): void {
    this.gitServer = server;
  }

  /**
   * Installs the rules now with the current addresses (the managed Git server started or moved).
   * @throws NetGuardError when they cannot be installed; RuntimeUnavailableError when the engine is unreachable.
   */
  async refreshRules(): Promise<void> {
    await this.applyGuard(0);
  }

  /** True while rules are needed: proxy workspaces exist, or the managed Git server is set. */
  private needsRules(): boolean {
    return this.gitServer?.active() === true || this.options.credentials.listProxyClients().length > 0;
  }

  /** The proxy container of a mode. */
  private proxyOf(mode: Exclude<ProxyMode, 'none'>): ProxyContainer {
    return mode === 'security' ? this.squid : this.mitmproxy;
  }

  /**
   * Everything a workspace of `client.proxyMode` needs before its container is created or started: for the proxy
   * modes its credential (made on first use), its network, the proxy running with the current users, and the
   * firewall rules in place.
   * @throws NetworkControlError (with the reason, fail closed) when the proxy or the rules cannot be provided;
   *   RuntimeUnavailableError when the engine is unreachable.
   */
  async prepare(client: ProxyClient): Promise<WorkspaceNetworkPlan> {
    if (client.proxyMode === 'none') {
      if (this.gitServer?.active()) {
        // Its way to the managed Git server; without it the workspace still works (its repository set-up says why).
        await this.applyGuard(GUARD_FRESH_MS).catch((error: unknown) => {
          if ((error as Error).name === 'RuntimeUnavailableError') throw error;
          this.options.logger.warn({ err: (error as Error).message }, 'network rules for the Git server could not be applied');
        });
      }
      // Empty settings: a clone of a proxy workspace carries its source's file in the snapshot.
      return { network: undefined, files: async () => [{ path: WORKSPACE_PROXY_ENV_FILE, content: '' }] };
    }
    const mode = client.proxyMode;
    let secret = this.options.credentials.getProxySecret(client.id);
    if (!secret) {
      secret = newProxySecret();
      this.options.credentials.setProxySecret(client.id, secret);
    }
    const proxy = this.proxyOf(mode);
    try {
      await this.ensureImages();
      // Rules first (the proxy's port stays closed until it has an address): nothing runs unconfined. They are
      // re-installed when older than a few seconds, so a workspace never starts on rules that vanished.
      await this.applyGuard(GUARD_FRESH_MS);
      await proxy.ensure();
      // The new user must be known before the workspace's first request.
      await proxy.write([{ path: PROXY_USERS_FILE, content: this.htpasswd() }]);
      await this.applyGuard(GUARD_FRESH_MS);
    } catch (error) {
      if ((error as Error).name === 'RuntimeUnavailableError') throw error;
      throw new NetworkControlError(`The ${mode === 'security' ? 'security proxy (squid)' : 'LLM logging proxy (mitmproxy)'} is not available: ${(error as Error).message}`);
    }
    const url = proxyUrl(client.id, secret, PROXY_ALIAS, proxy.spec.port);
    const env: Record<string, string> = {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      NO_PROXY: noProxy(this.options.instanceId),
      no_proxy: noProxy(this.options.instanceId),
    };
    const caPem = mode === 'logging' ? await this.loggingCa() : null;
    if (caPem) {
      Object.assign(env, {
        NODE_EXTRA_CA_CERTS: WORKSPACE_PROXY_CA_FILE,
        REQUESTS_CA_BUNDLE: SYSTEM_CA_BUNDLE,
        SSL_CERT_FILE: SYSTEM_CA_BUNDLE,
        CURL_CA_BUNDLE: SYSTEM_CA_BUNDLE,
        GIT_SSL_CAINFO: SYSTEM_CA_BUNDLE,
      });
    }
    // `export` lines: sourcing the file with a plain `.` also hands the settings to child processes.
    const envText = Object.entries(env)
      .map(([key, value]) => `export ${key}=${value}`)
      .join('\n');
    return {
      network: this.networks.name(mode),
      files: async (readBundle) => {
        const files: ContainerFile[] = [{ path: WORKSPACE_PROXY_ENV_FILE, content: `${envText}\n` }];
        if (caPem) {
          files.push({ path: WORKSPACE_PROXY_CA_FILE, content: caPem });
          const bundle = (await readBundle())?.toString('utf8') ?? '';
          files.push({ path: SYSTEM_CA_BUNDLE, content: withOurCa(bundle, caPem) });
        }
        return files;
      },
    };
  }

  /**
   * Writes the plan's files into a workspace container (created or stopped), reading its CA bundle first.
   * @throws the engine's error.
   */
  async writeWorkspaceFiles(projectId: string, plan: WorkspaceNetworkPlan): Promise<void> {
    const container = workspaceContainerName(projectId);
    const files = await plan.files(() => readFileFrom(this.options.docker, container, SYSTEM_CA_BUNDLE));
    await putFiles(this.options.docker, container, files);
  }

  /** Rewrites the users file in running proxies (after a workspace was deleted). Never throws; logs. */
  async syncUsers(): Promise<void> {
    const content = this.htpasswd();
    for (const proxy of [this.squid, this.mitmproxy]) {
      try {
        await proxy.write([{ path: PROXY_USERS_FILE, content }]);
      } catch (error) {
        this.options.logger.warn({ proxy: proxy.spec.kind, err: (error as Error).message }, 'could not update the proxy users');
      }
    }
  }

  /**
   * Applies the current whitelist to squid when it exists (writes the ACL file, `squid -k reconfigure`); squid
   * not created yet is fine (it gets the list when it starts).
   * @throws Error when squid refuses the reconfiguration (the stored list stays; the next start applies it).
   */
  async applyWhitelist(): Promise<void> {
    const written = await this.squid.write([{ path: SQUID_WHITELIST_FILE, content: this.options.whitelistSection() }]);
    if (!written) return;
    if (!(await this.squid.running())) return;
    const result = await this.squid.exec([...SQUID_RECONFIGURE_COMMAND]);
    if (result.exitCode !== 0) throw new Error(`squid -k reconfigure failed: ${result.stderr.trim().slice(0, 300)}`);
  }

  /** The last `maxBytes` of squid's access log ('' when squid does not exist yet). @throws the engine's errors. */
  async readSquidAccessLog(maxBytes: number): Promise<string> {
    if (!(await this.squid.running())) {
      const stopped = await readFileFrom(this.options.docker, this.squid.spec.name, SQUID_ACCESS_LOG).catch(() => null);
      return stopped ? stopped.subarray(Math.max(0, stopped.length - maxBytes)).toString('utf8') : '';
    }
    const result = await this.squid.exec(['tail', '-c', String(Math.max(1, Math.floor(maxBytes))), SQUID_ACCESS_LOG], maxBytes + 1024);
    return result.exitCode === 0 ? result.stdout.toString('utf8') : '';
  }

  /** Record files the logging proxy wrote and the app has not stored yet (none when it does not exist). */
  async collectRecords(): Promise<Array<{ name: string; content: string }>> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.options.docker.getContainer(this.mitmproxy.spec.name).getArchive({ path: `${MITMPROXY_RECORDS_DIR}/.` });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw error;
    }
    const files = await extractFiles(stream, (name) => MITMPROXY_RECORD_FILE_PATTERN.test(name));
    return files.map((file) => ({ name: file.name, content: file.content.toString('utf8') })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes stored record files in the logging proxy (names checked against the record pattern). */
  async acknowledgeRecords(names: readonly string[]): Promise<void> {
    const safe = names.filter((name) => MITMPROXY_RECORD_FILE_PATTERN.test(name));
    for (let i = 0; i < safe.length; i += 200) {
      const batch = safe.slice(i, i + 200).map((name) => `${MITMPROXY_RECORDS_DIR}/${name}`);
      await this.mitmproxy.exec(['rm', '-f', '--', ...batch]).catch(() => undefined);
    }
  }

  /** The address of a workspace on its proxy network ('' when it has none or does not run). Never throws. */
  async addressOf(projectId: string): Promise<string> {
    try {
      const info = await this.options.docker.getContainer(workspaceContainerName(projectId)).inspect();
      const networks = info.NetworkSettings.Networks ?? {};
      return networks[this.networks.name('security')]?.IPAddress || networks[this.networks.name('logging')]?.IPAddress || '';
    } catch {
      return '';
    }
  }

  private ensureImages(): Promise<void> {
    const ensure = this.options.ensureImages;
    if (!ensure) return Promise.resolve();
    this.imagesReady ??= ensure().catch((error: unknown) => {
      this.imagesReady = null;
      throw error;
    });
    return this.imagesReady;
  }

  /**
   * Re-applies the firewall rules (forced), e.g. at start-up or after the engine reconnected, when this instance
   * has proxy networks. Never throws; logs. Proxy-mode workspaces fail to start while the rules are missing.
   */
  async reapply(): Promise<void> {
    this.guard.invalidate();
    this.networks.forget();
    if (!this.needsRules()) return;
    await this.applyGuardOrFailClosed();
  }

  /**
   * Installs the rules now; when that fails, once more (a firewall reload or flush running at the same moment
   * removes chains under the helper's feet), and only then fails closed. Never throws.
   */
  private async applyGuardOrFailClosed(): Promise<void> {
    try {
      await this.applyGuard(0);
    } catch (first) {
      this.options.logger.warn({ err: (first as Error).message }, 'network rules could not be applied; trying once more');
      try {
        await this.applyGuard(0);
      } catch (error) {
        // Closed meanwhile (the store with it): nothing to stop from here.
        if (this.closed) return;
        await this.failClosed((error as Error).message);
      }
    }
  }

  /**
   * The rules cannot be installed: stops the running proxy-mode workspaces (their engine events mark them
   * stopped), since without the rules they would reach the internet directly. Never throws; logs.
   */
  private async failClosed(reason: string): Promise<void> {
    const stopped: string[] = [];
    let clients: Array<{ id: string }>;
    try {
      clients = this.options.credentials.listProxyClients();
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'could not list the proxy workspaces to stop');
      return;
    }
    for (const client of clients) {
      const container = this.options.docker.getContainer(workspaceContainerName(client.id));
      try {
        const info = await container.inspect();
        if (!info.State.Running) continue;
        await container.stop({ t: 5 });
        stopped.push(client.id);
      } catch {
        // Gone or already stopping.
      }
    }
    this.options.logger.error({ err: reason, stopped }, 'network rules for proxy workspaces could not be applied; their running workspaces were stopped');
  }

  /** Stops the health loop. Containers, networks and rules stay (workspaces may still run). */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Removes this instance's proxies, their data volume, networks and firewall rules (tests). Never throws. */
  async removeAll(): Promise<void> {
    this.close();
    await Promise.all([this.squid.remove(), this.mitmproxy.remove()]);
    for (const volume of [...Object.keys(this.squid.spec.volumes ?? {}), ...Object.keys(this.mitmproxy.spec.volumes ?? {})]) await this.options.docker.getVolume(volume).remove({ force: true }).catch(() => undefined);
    await this.networks.removeAll();
    await this.guard.remove().catch(() => undefined);
  }

  private htpasswd(): string {
    const users = this.options.credentials
      .listProxyClients()
      .filter((c): c is { id: string; proxyMode: ProxyMode; proxySecret: string } => c.proxySecret !== null)
      .map((c) => ({ user: c.id, secret: c.proxySecret }));
    return renderHtpasswd(users);
  }

  /** The logging proxy's CA certificate (PEM), read once from its data volume. @throws when it is missing. */
  private async loggingCa(): Promise<string> {
    if (this.caPem) return this.caPem;
    const pem = await readFileFrom(this.options.docker, this.mitmproxy.spec.name, MITMPROXY_CA_CERT_FILE);
    const text = pem?.toString('utf8') ?? '';
    if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(text.trim())) {
      throw new NetworkControlError('The LLM logging proxy has no CA certificate yet');
    }
    this.caPem = text.trim() + '\n';
    return this.caPem;
  }

  /**
   * Builds the rule plan from the networks and the running proxies' addresses, and applies it (serialised),
   * unless the same rules were applied less than `maxAgeMs` ago.
   */
  private async applyGuard(maxAgeMs = Number.POSITIVE_INFINITY): Promise<void> {
    const [security, logging, squidEgress, mitmEgress] = await Promise.all([
      this.networks.ensure('security'),
      this.networks.ensure('logging'),
      this.networks.ensure('egress-squid'),
      this.networks.ensure('egress-mitm'),
    ]);
    const [squid, mitm] = await Promise.all([this.squid.running(), this.mitmproxy.running()]);
    const plan: GuardPlan = {
      confined: [
        { bridge: bridgeName(security), proxyAddress: squid?.address ?? null, proxyPort: SQUID_PORT },
        { bridge: bridgeName(logging), proxyAddress: mitm?.address ?? null, proxyPort: MITMPROXY_PORT },
      ],
      egress: [bridgeName(squidEgress), bridgeName(mitmEgress)],
    };
    if (this.gitServer?.active()) await this.addGitServer(plan, { security: this.networks.name('security'), logging: this.networks.name('logging') });
    await this.guard.apply(plan, maxAgeMs);
  }

  /**
   * Adds the managed Git server to `plan`: reachable on port {@link GIT_HTTP_PORT} from the confined networks
   * and the open workspace network it joined; its egress bridge confined like the proxies' (no host, no LAN).
   */
  private async addGitServer(plan: GuardPlan, names: { security: string; logging: string }): Promise<void> {
    plan.egress.push(bridgeName(await this.networks.ensure('egress-git')));
    const addresses = (await this.gitServer?.addresses()) ?? null;
    if (!addresses) return;
    const [security, logging] = plan.confined;
    const at = (name: string) => (addresses[name] ? [{ address: addresses[name]!, port: GIT_HTTP_PORT }] : []);
    security!.services = at(names.security);
    logging!.services = at(names.logging);
    const workspaceNetwork = this.options.workspaceNetwork;
    if (workspaceNetwork && addresses[workspaceNetwork]) {
      const listed = (await this.options.docker.listNetworks({ filters: { name: [workspaceNetwork] } })) as Array<{ Id: string; Name: string }>;
      const network = listed.find((n) => n.Name === workspaceNetwork);
      if (network) plan.open = [{ bridge: bridgeName(network.Id), services: at(workspaceNetwork) }];
    }
  }

  /** Re-creates a proxy that is gone while workspaces use it, and re-applies the rules. Never throws (nor rejects). */
  private async healthCheck(): Promise<void> {
    if (this.closed || this.checking) return;
    this.checking = true;
    try {
      const modes = new Set(this.options.credentials.listProxyClients().map((c) => c.proxyMode));
      if (modes.size === 0 && !this.gitServer?.active()) return;
      for (const mode of ['security', 'logging'] as const) {
        if (!modes.has(mode)) continue;
        const proxy = this.proxyOf(mode);
        if (await proxy.running()) continue;
        this.options.logger.warn({ proxy: proxy.spec.kind }, 'proxy container is gone or stopped; re-creating it');
        try {
          await proxy.ensure();
          if (mode === 'logging') this.caPem = null;
          await this.applyGuard();
          if (mode === 'security') await this.applyWhitelist();
        } catch (error) {
          this.options.logger.error({ proxy: proxy.spec.kind, err: (error as Error).message }, 'proxy could not be re-created');
        }
      }
      // Rules can vanish behind our back (a firewall reload, an iptables flush): install them again each round.
      await this.applyGuardOrFailClosed();
    } catch (error) {
      // A round never rejects (it runs from a timer); e.g. the store closed while the app stops.
      if (!this.closed) this.options.logger.error({ err: (error as Error).message }, 'network health round failed');
    } finally {
      this.checking = false;
    }
  }
}

/** `bundle` with our CA block (between markers) replaced by `caPem`, or appended when absent. */
export function withOurCa(bundle: string, caPem: string): string {
  const start = bundle.indexOf(CA_BEGIN);
  const end = bundle.indexOf(CA_END);
  const without = start >= 0 && end > start ? bundle.slice(0, start) + bundle.slice(end + CA_END.length).replace(/^\n/, '') : bundle;
  const base = without.endsWith('\n') || without === '' ? without : `${without}\n`;
  return `${base}${CA_BEGIN}\n${caPem.trim()}\n${CA_END}\n`;
}
