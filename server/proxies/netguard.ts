/**
 * The firewall rules that make proxy modes real (issue #5): a `security` workspace reaches only squid's port,
 * a `logging` workspace only mitmproxy's, neither reaches the host, the LAN, another workspace or the internet
 * directly; the proxies reach the internet but not the host or private address ranges (except DNS).
 *
 * Docker bridges with `enable_icc=false` already drop traffic between containers of one network; the rules
 * here sit in our own chains, jumped to first from Docker's `DOCKER-USER` (FORWARD) and from `INPUT`, and are
 * installed by a short-lived helper container (`resources/images/netguard/`, host network, NET_ADMIN) so they
 * also work where the engine runs in a VM. Docker does not persist them: the app re-applies them at start,
 * whenever a network or proxy address changes, and after the engine reconnects; proxy-mode workspaces do not
 * start while they are not in place (fail closed).
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../runtime/workspace-runtime.js';

/** Private and special-purpose IPv4 ranges the proxies must not reach (RFC 1918, RFC 6598, link-local, loopback). */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'] as const;

/**
 * Stands for the host's DNS resolvers in the rules; the netguard helper (host network, so it sees the host's
 * resolv.conf, which Docker's resolver forwards to) writes one rule per IPv4 nameserver in its place, or none.
 */
export const DNS_PLACEHOLDER = '__XARES_DNS__';

/** A confined proxy network: its Linux bridge, the proxy's address on it and the proxy's port. */
export interface ConfinedNetwork {
  /** Linux bridge of the Docker network (`br-` + the first 12 hex digits of its id). */
  bridge: string;
  /** The proxy container's IPv4 address on this network, or null while no proxy runs (then nothing is allowed). */
  proxyAddress: string | null;
  /** TCP port the proxy listens on. */
  proxyPort: number;
}

/** A TCP service on a workspace network that its workspaces may open connections to (the managed Git server). */
export interface AllowedService {
  /** Its IPv4 address on that network. */
  address: string;
  port: number;
}

/**
 * What the rules are built from: the confined workspace networks, the proxies' egress bridges, and the services
 * workspaces may reach on their networks besides their proxy (issue #7: the managed Git server).
 */
export interface GuardPlan {
  /** Networks whose workspaces may talk only to their proxy (security → squid, logging → mitmproxy) and `services`. */
  confined: Array<ConfinedNetwork & { services?: AllowedService[] }>;
  /** Bridges of the proxies' (and the managed Git server's) egress networks: internet yes; host and private ranges no (DNS excepted). */
  egress: string[];
  /**
   * Open workspace networks (`none` mode: normal egress; Docker's icc=false keeps workspaces apart) and the
   * services their workspaces may reach across that bridge; nothing else changes there.
   */
  open?: Array<{ bridge: string; services: AllowedService[] }>;
}

/** The ACCEPT lines for workspace → `service` bridged inside `br`. @throws Error for a malformed address or port. */
function serviceLines(chain: string, br: string, service: AllowedService): string[] {
  if (!IPV4.test(service.address)) throw new Error(`Not an IPv4 address: ${service.address}`);
  if (!Number.isInteger(service.port) || service.port < 1 || service.port > 65535) throw new Error(`Not a port: ${service.port}`);
  return [`-A ${chain} -i ${br} -o ${br} -m physdev --physdev-is-bridged -d ${service.address}/32 -p tcp --dport ${service.port} -j ACCEPT`];
}

/** Our two chain names for one instance (`XARES-F-<hash>` in FORWARD via DOCKER-USER, `XARES-I-<hash>` in INPUT). */
export function guardChains(instanceId: string): { forward: string; input: string } {
  const hash = createHash('sha256').update(instanceId).digest('hex').slice(0, 10).toUpperCase();
  return { forward: `XARES-F-${hash}`, input: `XARES-I-${hash}` };
}

/** Linux bridge name Docker gives a bridge network with id `networkId` (no `com.docker.network.bridge.name` set). */
export function bridgeName(networkId: string): string {
  if (!/^[0-9a-f]{12,}$/.test(networkId)) throw new Error(`Not a Docker network id: ${networkId}`);
  return `br-${networkId.slice(0, 12)}`;
}

const BRIDGE = /^br-[0-9a-f]{12}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The iptables-restore text (filter table, applied with `--noflush`) for `plan`: both chains declared (which
 * flushes them) and refilled in one commit.
 * @throws Error for a bridge name, address or port that is not well-formed (they come from the engine; this
 *   keeps anything else out of the firewall).
 */
export function buildGuardRules(plan: GuardPlan, chains: { forward: string; input: string }): string {
  const { forward: F, input: I } = chains;
  const lines = ['*filter', `:${F} - [0:0]`, `:${I} - [0:0]`];
  for (const net of plan.confined) {
    if (!BRIDGE.test(net.bridge)) throw new Error(`Not a bridge name: ${net.bridge}`);
    if (net.proxyAddress !== null && !IPV4.test(net.proxyAddress)) throw new Error(`Not an IPv4 address: ${net.proxyAddress}`);
    if (!Number.isInteger(net.proxyPort) || net.proxyPort < 1 || net.proxyPort > 65535) throw new Error(`Not a port: ${net.proxyPort}`);
    const br = net.bridge;
    if (net.proxyAddress) {
      // Workspace → its proxy's port, bridged inside this network (icc=false drops everything else there).
      lines.push(`-A ${F} -i ${br} -o ${br} -m physdev --physdev-is-bridged -d ${net.proxyAddress}/32 -p tcp --dport ${net.proxyPort} -j ACCEPT`);
    }
    for (const service of net.services ?? []) lines.push(...serviceLines(F, br, service));
    // Replies of connections allowed above (and of the proxy's answers to them).
    lines.push(`-A ${F} -i ${br} -o ${br} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`);
    // Name lookups for outside names (Docker's resolver forwards them from the workspace's namespace) fail at
    // once instead of after the resolver's timeouts.
    lines.push(`-A ${F} -i ${br} -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`);
    lines.push(`-A ${F} -i ${br} -p tcp --dport 53 -j REJECT --reject-with tcp-reset`);
    // Nothing else in or out: no internet, no other networks, no LAN.
    lines.push(`-A ${F} -i ${br} -j DROP`, `-A ${F} -o ${br} -j DROP`);
    // The host only answers (the router's connections to published ports); workspaces never open one to it.
    lines.push(`-A ${I} -i ${br} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`, `-A ${I} -i ${br} -j DROP`);
  }
  for (const br of plan.egress) {
    if (!BRIDGE.test(br)) throw new Error(`Not a bridge name: ${br}`);
    // DNS to the engine's upstream resolvers (often a LAN address, or this host) stays possible: Docker's
    // resolver forwards from the container's namespace. Only to those resolvers: the helper replaces
    // `DNS_PLACEHOLDER` with each nameserver of the host's resolv.conf (one line each).
    for (const proto of ['udp', 'tcp']) {
      lines.push(`-A ${F} -i ${br} ! -o ${br} -d ${DNS_PLACEHOLDER} -p ${proto} --dport 53 -j RETURN`);
      lines.push(`-A ${I} -i ${br} -d ${DNS_PLACEHOLDER} -p ${proto} --dport 53 -j RETURN`);
    }
    for (const range of PRIVATE_RANGES) lines.push(`-A ${F} -i ${br} ! -o ${br} -d ${range} -j DROP`);
    lines.push(`-A ${I} -i ${br} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`, `-A ${I} -i ${br} -j DROP`);
  }
  for (const net of plan.open ?? []) {
    if (!BRIDGE.test(net.bridge)) throw new Error(`Not a bridge name: ${net.bridge}`);
    if (net.services.length === 0) continue;
    for (const service of net.services) lines.push(...serviceLines(F, net.bridge, service));
    // Replies of those connections (icc=false would drop them); no other traffic between containers is accepted.
    lines.push(`-A ${F} -i ${net.bridge} -o ${net.bridge} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Error thrown when the rules could not be installed; proxy-mode workspaces do not start then. */
export class NetGuardError extends Error {
  override readonly name = 'NetGuardError';
}

/**
 * Installs and removes an instance's rules with the netguard image (`docker run --rm --network host
 * --cap-add NET_ADMIN`). Calls are serialised; `apply` of the same rules as last time is skipped while that
 * application is younger than `maxAgeMs` (rules can vanish behind our back: a firewall reload, a flush).
 */
export class NetGuard {
  private readonly chains: { forward: string; input: string };
  private last: string | null = null;
  private lastAt = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly docker: Docker,
    private readonly options: { image: string; instanceId: string },
  ) {
    this.chains = guardChains(options.instanceId);
  }

  /**
   * Installs `plan` (atomically replacing the previous rules of this instance), unless the same rules were
   * installed less than `maxAgeMs` ago (default: any age; 0 = always).
   * @throws NetGuardError with the helper's output when it fails (no DOCKER-USER chain, no permission, ...).
   */
  apply(plan: GuardPlan, maxAgeMs = Number.POSITIVE_INFINITY): Promise<void> {
    const rules = buildGuardRules(plan, this.chains);
    return this.serial(async () => {
      if (rules === this.last && Date.now() - this.lastAt < maxAgeMs) return;
      this.last = null;
      await this.run(['apply'], rules);
      this.last = rules;
      this.lastAt = Date.now();
    });
  }

  /** Forgets what was applied, so the next `apply` runs even for the same rules (e.g. after the engine restarted). */
  invalidate(): void {
    this.last = null;
  }

  /** Removes this instance's chains and jumps. @throws NetGuardError when the helper fails. */
  remove(): Promise<void> {
    return this.serial(async () => {
      await this.run(['remove'], '');
      this.last = null;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(command: string[], rules: string): Promise<void> {
    let container: Docker.Container | null = null;
    try {
      container = await this.docker.createContainer({
        Image: this.options.image,
        Cmd: command,
        Env: [`XARES_FORWARD_CHAIN=${this.chains.forward}`, `XARES_INPUT_CHAIN=${this.chains.input}`, `XARES_RULES=${rules}`],
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.options.instanceId, 'xares.role': 'netguard' },
        // NET_RAW: the legacy backend talks to the kernel through a raw socket.
        HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'NET_RAW'], CapDrop: ['ALL'], AutoRemove: false },
      });
      await container.start();
      const result = (await container.wait()) as { StatusCode: number };
      if (result.StatusCode !== 0) {
        const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
        throw new NetGuardError(`Network rules could not be applied (exit ${result.StatusCode}): ${demux(logs).trim().slice(-500)}`);
      }
    } catch (error) {
      if (error instanceof NetGuardError) throw error;
      throw new NetGuardError(`Network rules could not be applied: ${(error as Error).message}`);
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }
}

/** Text of a non-TTY container log buffer (8-byte frame headers stripped). */
function demux(buffer: Buffer): string {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return parts.length ? parts.join('') : buffer.toString('utf8');
}
