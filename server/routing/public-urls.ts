import { hostname, networkInterfaces } from 'node:os';
import { parseHostHeader } from '../http/host-guard.js';
import { normalizeBaseDomain } from './workspace-host.js';

/**
 * Who a request is for, by the Host it arrived on (issue #4 "LAN access", "origin separation"):
 * - `admin`: loopback names (`localhost`, any `127.x.x.x`, `::1`, `::ffff:127.x.x.x`) and the base domain itself.
 *   Only here are the dashboard and the admin API served, and workspaces are reached by host
 *   (`<id>.<baseDomain>`), each on its own origin.
 * - `participant`: every other host name (LAN addresses, the machine's name, `publicHost`). Only the join page,
 *   its public API and path seats (`/w/<id>/`) are served there.
 *
 * Call it for a Host the HostGuard has already accepted (or that the workspace router did not claim): it does
 * not decide whether the host is ours at all. A missing or malformed Host counts as `admin` (nothing is
 * served for it anyway: the HostGuard refuses it).
 */
export function classifyRequestHost(hostHeader: string | undefined, options: { baseDomain: string }): 'admin' | 'participant' {
  const parsed = parseHostHeader(hostHeader);
  if (parsed === null) return 'admin';
  return isAdminHostname(parsed.hostname, normalizeBaseDomain(options.baseDomain)) ? 'admin' : 'participant';
}

/** True for loopback names and addresses and for the base domain (hostname lower-case, no port, no brackets). */
function isAdminHostname(hostname: string, baseDomain: string): boolean {
  if (hostname === 'localhost' || hostname === baseDomain || hostname === '::1') return true;
  const v4 = hostname.startsWith('::ffff:') ? hostname.slice(7) : hostname;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** True for a loopback peer address (`127.x.x.x`, `::1`, `::ffff:127.x.x.x`) as `socket.remoteAddress` gives it. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * True when the Host names this machine by a loopback-only name: `localhost`, `*.localhost`, `127.x.x.x`,
 * `::1`. Browsers always resolve these to the machine they run on, so such a request from a non-loopback
 * peer was crafted (a LAN client sending `Host: localhost` or `Host: <id>.localhost` to our LAN address):
 * the server answers it with 403, which keeps the dashboard, the admin API and workspaces by host (with the
 * default base domain `localhost`) on the host computer only.
 */
export function isLoopbackOnlyHost(hostHeader: string | undefined): boolean {
  const parsed = parseHostHeader(hostHeader);
  if (parsed === null) return false;
  const name = parsed.hostname;
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || isLoopbackAddress(name);
}

/** Path prefix of a seat reached by path on a participant host: `/w/<id>` (the routed URL adds `/`). */
export function seatPathPrefix(projectId: string): string {
  return `/w/${projectId}`;
}

/**
 * The URL under which the browser that sent `hostHeader` reaches workspace `projectId`:
 * - from a participant host (e.g. `192.168.1.20:8080`, `lan.test:8080`): `http://<that host[:port]>/w/<id>/`
 *   (path seat on the same host: works from any machine in the room with no DNS set-up);
 * - from an admin host (or no Host): `http://<id>.<baseDomain>:<port>/` (the workspace's own origin).
 */
export function seatUrl(projectId: string, hostHeader: string | undefined, options: { baseDomain: string; port: number }): string {
  if (classifyRequestHost(hostHeader, options) === 'participant') {
    return `http://${(hostHeader as string).trim().toLowerCase()}${seatPathPrefix(projectId)}/`;
  }
  return `http://${projectId}.${normalizeBaseDomain(options.baseDomain)}:${options.port}/`;
}

/**
 * The join page URL to show the room (dashboard, QR code): `http://<host>:<port>/` with `config.publicHost`
 * when set, else the LAN IPv4 address ({@link detectLanIPv4}, read anew on every call, so a laptop that changes
 * networks gets the new address), else this machine's name (offline: still a participant host, so the URL
 * shows the join page and not the dashboard), else `localhost`.
 */
export function joinUrl(config: { publicHost?: string | undefined }, port: number): string {
  const host = config.publicHost ?? detectLanIPv4() ?? machineName() ?? 'localhost';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** This machine's host name when it is a plain DNS name (lower case), else undefined. */
function machineName(): string | undefined {
  try {
    const name = hostname().toLowerCase();
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name) && name !== 'localhost' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Interface names of virtual networks on this machine (Docker's `docker0`, `br-…` and `veth…`, libvirt, VirtualBox,
 * VMware, CNI): their addresses are reachable only from this computer, never from the room.
 */
const VIRTUAL_INTERFACE = /^(docker|br-|veth|virbr|vboxnet|vmnet|cni|flannel|podman|lxc|lxdbr|tailscale|zt)/i;

/**
 * The IPv4 address other machines in the room most likely reach this one at: the first address (in
 * `os.networkInterfaces()` order) of a non-internal, non-virtual interface ({@link VIRTUAL_INTERFACE}), skipping
 * link-local `169.254.x.x` (no DHCP: nobody else can reach it); private ranges (10/8, 172.16/12, 192.168/16) are
 * preferred over other addresses. Undefined when there is none.
 * @param interfaces the interface table (tests); default the machine's.
 */
export function detectLanIPv4(interfaces?: ReturnType<typeof networkInterfaces>): string | undefined {
  let table = interfaces;
  if (table === undefined) {
    try {
      table = networkInterfaces();
    } catch {
      return undefined;
    }
  }
  const candidates: string[] = [];
  for (const [name, list] of Object.entries(table)) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    for (const address of list ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('169.254.')) candidates.push(address.address);
    }
  }
  return candidates.find(isPrivateIPv4) ?? candidates[0];
}

function isPrivateIPv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number) as [number, number];
  return a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}
