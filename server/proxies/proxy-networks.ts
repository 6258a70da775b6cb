/**
 * The Docker networks of the proxy modes (issue #5), per instance, each a labelled bridge with an explicit
 * /24 subnet (Docker's default address pools run out after about 31 networks):
 *   - `security`: security-mode workspaces + squid (alias `xares-proxy`); inter-container traffic off;
 *   - `logging`: logging-mode workspaces + mitmproxy (alias `xares-proxy`); inter-container traffic off;
 *   - `egress-squid` / `egress-mitm`: each proxy's own way out to the internet. A container on several
 *     networks takes its default route from the first network by name (Docker 20.10 has no gateway
 *     priority), so these names sort before `security`/`logging`: the proxies leave through their egress
 *     bridge (a wrong route would fail closed: the confined bridges drop everything leaving them).
 *   - `egress-git`: the managed Git server's own network (issue #7, server/git/managed-git-server.ts): its
 *     default route and its port published on 127.0.0.1; sorts before `logging`, `security` and the
 *     workspace network for the same reason.
 * What may cross them is decided by the netguard rules (netguard.ts); these networks only give the shape.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import { LABEL_INSTANCE, LABEL_MANAGED, RuntimeUnavailableError } from '../runtime/workspace-runtime.js';
import { isConnectionError, ICC_OPTION } from '../runtime/docker-runtime.js';

/** The roles of our proxy networks. */
export type ProxyNetworkRole = 'security' | 'logging' | 'egress-squid' | 'egress-mitm' | 'egress-git';
/** Label holding a network's role. */
export const LABEL_PROXY_NETWORK = 'xares.proxy-network';
/** Network alias of the proxy on a workspace network: workspaces use `http://xares-proxy:<port>`. */
export const PROXY_ALIAS = 'xares-proxy';

/** Name of a role's network for an instance: `xares-<role>` for `default`, else `xares-<instance>-<role>`. */
export function proxyNetworkName(instanceId: string, role: ProxyNetworkRole): string {
  // The managed Git server also joins the engine-wide workspace network (`xares-workspaces`): its egress
  // network's name must sort before that one whatever the instance id is (`-` sorts before letters and digits).
  if (role === 'egress-git') return instanceId === 'default' ? 'xares--egress-git' : `xares--${instanceId}-egress-git`;
  return instanceId === 'default' ? `xares-${role}` : `xares-${instanceId}-${role}`;
}

/** First /24 candidates are taken from here (ours; rarely used by home or office LANs). */
export const SUBNET_POOL = { first: [10, 213], size: 256 } as const;

/** Parses `a.b.c.d/len` into [network as uint32, prefix length], or null. */
function parseCidr(cidr: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) return null;
  const parts = match.slice(1, 5).map(Number);
  const len = Number(match[5]);
  if (parts.some((p) => p > 255) || len > 32) return null;
  const value = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [(value & mask) >>> 0, len];
}

/** True when the two CIDR ranges share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return false;
  const len = Math.min(pa[1], pb[1]);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((pa[0] & mask) >>> 0) === ((pb[0] & mask) >>> 0);
}

/**
 * The first /24 of `SUBNET_POOL` that overlaps none of `taken` (CIDRs of existing Docker networks and of this
 * host's interfaces), skipping `tried`; null when the pool is exhausted.
 */
export function pickFreeSubnet(taken: readonly string[], tried: ReadonlySet<string> = new Set()): string | null {
  for (let third = 0; third < SUBNET_POOL.size; third += 1) {
    const candidate = `${SUBNET_POOL.first[0]}.${SUBNET_POOL.first[1]}.${third}.0/24`;
    if (tried.has(candidate)) continue;
    if (taken.some((cidr) => cidrsOverlap(cidr, candidate))) continue;
    return candidate;
  }
  return null;
}

/** IPv4 CIDRs of this host's interfaces (loopback excluded). */
function hostCidrs(): string[] {
  const result: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal && info.cidr) result.push(info.cidr);
  }
  return result;
}

interface NetworkListing {
  Id: string;
  Name: string;
  Created?: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string }> | null } | null;
}

/** Finds or creates the instance's proxy networks; ids are memoised until `forget()`. */
export class ProxyNetworks {
  private readonly ids = new Map<ProxyNetworkRole, Promise<string>>();

  constructor(
    private readonly docker: Docker,
    private readonly instanceId: string,
  ) {}

  /** Network name of `role` for this instance. */
  name(role: ProxyNetworkRole): string {
    return proxyNetworkName(this.instanceId, role);
  }

  /**
   * Id of the `role` network, created when missing (bridge, labelled ours, explicit free /24; workspace
   * networks with inter-container traffic off).
   * @throws RuntimeUnavailableError when the engine is unreachable; Error when no subnet is free or a foreign
   *   network of that name exists.
   */
  ensure(role: ProxyNetworkRole): Promise<string> {
    let id = this.ids.get(role);
    if (!id) {
      id = this.findOrCreate(role).catch((error: unknown) => {
        this.ids.delete(role);
        throw isConnectionError(error) ? new RuntimeUnavailableError('Docker engine is not reachable') : error;
      });
      this.ids.set(role, id);
    }
    return id;
  }

  /** Drops memoised ids (after the engine said a network is gone). */
  forget(): void {
    this.ids.clear();
  }

  /** Removes this instance's proxy networks (tests; the containers on them must be gone). Never throws. */
  async removeAll(): Promise<void> {
    this.ids.clear();
    const listed = (await this.docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${this.instanceId}`, LABEL_PROXY_NETWORK] } }).catch(() => [])) as NetworkListing[];
    for (const network of listed) await this.docker.getNetwork(network.Id).remove().catch(() => undefined);
  }

  private async findOrCreate(role: ProxyNetworkRole): Promise<string> {
    const name = this.name(role);
    const confined = role === 'security' || role === 'logging';
    const tried = new Set<string>();
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const all = (await this.docker.listNetworks()) as NetworkListing[];
      const existing = all.filter((n) => n.Name === name).sort((a, b) => (a.Created ?? '').localeCompare(b.Created ?? '') || a.Id.localeCompare(b.Id));
      if (existing.length > 0) {
        const chosen = existing[0]!;
        if (chosen.Labels?.[LABEL_PROXY_NETWORK] !== role || chosen.Labels?.[LABEL_INSTANCE] !== this.instanceId) {
          throw new Error(`Docker network ${name} exists but was not made by Xares; remove it so Xares can create its own`);
        }
        return chosen.Id;
      }
      const taken = [...all.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')), ...hostCidrs()].filter(Boolean);
      const subnet = pickFreeSubnet(taken, tried);
      if (!subnet) throw new Error(`No free /24 subnet left in ${SUBNET_POOL.first.join('.')}.0.0/16 for Docker network ${name}`);
      tried.add(subnet);
      try {
        const created = await this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
          Options: confined ? { [ICC_OPTION]: 'false' } : {},
          Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: this.instanceId, [LABEL_PROXY_NETWORK]: role },
        });
        return created.id;
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        const text = String((error as Error).message);
        // Another process made it meanwhile (409), or the subnet was taken meanwhile: look again.
        if (status === 409 || /overlap|already exists/i.test(text)) continue;
        throw error;
      }
    }
    throw new Error(`Docker network ${name} could not be created`);
  }
}
