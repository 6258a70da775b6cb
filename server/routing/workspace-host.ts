import { ProjectId } from '../contract/index.js';

/** What a workspace Host header names: a workspace's IDE, or one app port inside it. */
export interface WorkspaceHost {
  /** Project id (validated by the contract's `ProjectId`: 12 lowercase letters or digits). */
  projectId: string;
  /** TCP port 1–65535 of an app inside the workspace (`<id>-<port>.<baseDomain>`); absent for the IDE itself. */
  appPort?: number;
}

/**
 * How a Host header relates to our base domain:
 * - `workspace`: it names a workspace (or one of its app ports);
 * - `foreign-subdomain`: it lies under the base domain but names nothing we serve (e.g. `a.b.<base>`,
 *   `not_an_id.<base>`). The router still claims these so that no subdomain ever reaches the dashboard;
 * - `null` (returned instead of an object): the host is not under the base domain at all.
 */
export type HostClass = { kind: 'workspace'; host: WorkspaceHost } | { kind: 'foreign-subdomain' };

/** Longest Host header we look at; longer ones cannot be ours (a DNS name is at most 253 characters). */
const MAX_HOST_LENGTH = 300;
const PORT_TEXT = /^\d{1,5}$/;
/** App port label part: 1–65535 written without leading zeros, so one app has exactly one origin. */
const APP_PORT_TEXT = /^[1-9]\d{0,4}$/;

/**
 * Lower-cases a base domain and drops one trailing dot (`Example.ORG.` → `example.org`), the form the
 * suffix comparison of {@link classifyHost} expects.
 */
export function normalizeBaseDomain(baseDomain: string): string {
  const lower = baseDomain.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Classifies a Host header against a base domain (already normalised by {@link normalizeBaseDomain}).
 *
 * Accepted form: `<label>.<baseDomain>[.][:<port>]`, case-insensitive, where `<port>` is 1–5 digits with a
 * value 1–65535 (RFC 3986 allows an empty port; browsers never send one, so we refuse it). `<label>` is
 * `<id>` or `<id>-<appPort>`, `<id>` per the contract's `ProjectId`. IPv6 literals (`[::1]:8080`) and hosts
 * with user info are never ours.
 *
 * @returns the class, or null when the host is missing, malformed or not under the base domain.
 */
export function classifyHost(host: string | undefined, normalizedBaseDomain: string): HostClass | null {
  if (typeof host !== 'string' || host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  let hostname = host.toLowerCase();
  if (hostname.charCodeAt(0) === 91 /* [ */) return null;
  const colon = hostname.lastIndexOf(':');
  if (colon !== -1) {
    const portText = hostname.slice(colon + 1);
    if (!PORT_TEXT.test(portText)) return null;
    const port = Number(portText);
    if (port < 1 || port > 65535) return null;
    hostname = hostname.slice(0, colon);
    // A second colon means a bare IPv6 literal or garbage.
    if (hostname.includes(':')) return null;
  }
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  const suffixLength = normalizedBaseDomain.length + 1;
  if (hostname.length <= suffixLength) return null;
  if (!hostname.endsWith(normalizedBaseDomain) || hostname.charCodeAt(hostname.length - suffixLength) !== 46 /* . */) return null;
  const label = hostname.slice(0, hostname.length - suffixLength);

  const dash = label.indexOf('-');
  const idText = dash === -1 ? label : label.slice(0, dash);
  if (!ProjectId.safeParse(idText).success) return { kind: 'foreign-subdomain' };
  if (dash === -1) return { kind: 'workspace', host: { projectId: idText } };
  const appPortText = label.slice(dash + 1);
  if (!APP_PORT_TEXT.test(appPortText)) return { kind: 'foreign-subdomain' };
  const appPort = Number(appPortText);
  if (appPort > 65535) return { kind: 'foreign-subdomain' };
  return { kind: 'workspace', host: { projectId: idText, appPort } };
}

/**
 * Parses a Host header that names a workspace: `<id>.<baseDomain>[:port]` → `{projectId}`,
 * `<id>-<port>.<baseDomain>[:port]` → `{projectId, appPort}`; anything else (other domains, deeper
 * subdomains, invalid ids, ports 0 / above 65535 / more than 5 digits, IPv6 literals) → null.
 * Case-insensitive; one trailing dot on the name is accepted (`<id>.localhost.:8080`).
 */
export function parseWorkspaceHost(host: string | undefined, baseDomain: string): WorkspaceHost | null {
  const result = classifyHost(host, normalizeBaseDomain(baseDomain));
  return result?.kind === 'workspace' ? result.host : null;
}
