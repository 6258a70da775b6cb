import { networkInterfaces } from 'node:os';
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
 * when set, else the first IPv4 address of a non-internal network interface (read anew on every call, so a
 * laptop that changes networks gets the new address), else `localhost`.
 */
export function joinUrl(config: { publicHost?: string | undefined }, port: number): string {
  const host = config.publicHost ?? detectLanIPv4() ?? 'localhost';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/**
 * First IPv4 address of a non-internal interface (`os.networkInterfaces()` order), skipping link-local
 * `169.254.x.x` (no DHCP: nobody else can reach it); undefined when there is none.
 */
export function detectLanIPv4(): string | undefined {
  let interfaces: ReturnType<typeof networkInterfaces>;
  try {
    interfaces = networkInterfaces();
  } catch {
    return undefined;
  }
  for (const list of Object.values(interfaces)) {
    for (const address of list ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('169.254.')) return address.address;
    }
  }
  return undefined;
}
