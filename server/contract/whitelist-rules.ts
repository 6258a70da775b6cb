/**
 * The rules of Security Proxy whitelist entries (issue #5, behaviour.md "Security Proxy (squid) whitelist"),
 * shared by the server (`server/services/whitelist.ts`, which decides) and the dashboard (which checks as the
 * teacher types, with the same words). Pure and free of Node modules: the two host-name primitives that differ
 * between Node and the browser ({@link HostNameTools}) are passed in. The server passes Node's own
 * (`node:net` `isIP`, `node:url` `domainToASCII`); the dashboard passes {@link browserHostNameTools}, which
 * follow the same standards (WHATWG URL host parsing with UTS #46, Node's IP address grammar).
 *
 * Squid reads `.example.com` as "example.com and every subdomain", and refuses to start when one ACL lists a
 * domain twice or a subdomain of a listed parent; so a normalised list is kept in exactly that form.
 */

/** Domains always on the whitelist: Debian/Ubuntu/NodeSource package mirrors and the VS Code extension registry. */
export const BASE_WHITELIST_DOMAINS: readonly string[] = ['.debian.org', '.ubuntu.com', '.nodesource.com', '.open-vsx.org', '.openvsx.org', '.eclipsecontent.org'];

/** Longest host name (RFC 1035: 253 characters in text form, without the trailing dot). */
export const HOST_NAME_MAX = 253;
/** Longest label of a host name (RFC 1035). */
export const LABEL_MAX = 63;

/** One DNS label: letters, digits, hyphens; not starting or ending with a hyphen (RFC 1123). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * The two platform primitives entry checking needs.
 * - `isIP(value)`: 4 for an IPv4 address in dotted decimal, 6 for an IPv6 address (zone index allowed), else 0
 *   (Node's `net.isIP`).
 * - `domainToASCII(name)`: the name as a WHATWG URL host would store it (UTS #46 mapping, punycode,
 *   percent-decoding, numeric IPv4 forms turned into dotted decimal), or `''` when it is not a valid host
 *   (Node's `url.domainToASCII`).
 */
export interface HostNameTools {
  isIP(value: string): number;
  domainToASCII(name: string): string;
}

/** A validated, normalised entry as stored: `.` + labels of {@link LABEL}, at most {@link HOST_NAME_MAX} characters after the dot. */
export function isNormalizedWhitelistDomain(value: string): boolean {
  if (!value.startsWith('.')) return false;
  const host = value.slice(1);
  if (host.length === 0 || host.length > HOST_NAME_MAX) return false;
  const labels = host.split('.');
  return labels.every((label) => label.length <= LABEL_MAX && LABEL.test(label)) && /^[a-z]/.test(labels[labels.length - 1] as string);
}

/** Why a single-label entry (`com`, `localhost`, `xares-squid`) is refused (see {@link checkWhitelistEntry}). */
export const SINGLE_LABEL_REASON = 'is a single name (a top-level domain or a local name); give a domain such as example.com';

/** Why an entry is not a host name, or null when it is one (then `host` is its ASCII form without dots at the ends). */
export type WhitelistEntryCheck = { host: string; reason: null } | { host: null; reason: string };

/**
 * Checks one entry as sent: trimmed and lower-cased first; one leading dot (squid's form) and one trailing dot
 * (the DNS root) are allowed; internationalised names become punycode (`tools.domainToASCII`, UTS #46). An entry
 * needs at least two labels: a single name is a top-level domain or a local name ({@link SINGLE_LABEL_REASON}).
 * @returns the host (ASCII, no dots at the ends) or the reason in words, to follow the quoted entry
 *   ("contains '#'", "is an IP address, not a host name", …).
 */
export function checkWhitelistEntry(entry: string, tools: HostNameTools): WhitelistEntryCheck {
  const trimmed = entry.trim().toLowerCase();
  if (trimmed === '') return { host: null, reason: 'empty entry' };
  // Characters that are not in a host name get their own message: they are the usual mistakes.
  if (/[\s\p{Cc}]/u.test(trimmed)) return { host: null, reason: 'contains a space, line break or control character' };
  if (trimmed.includes('#')) return { host: null, reason: "contains '#'" };
  if (trimmed.includes('/')) return { host: null, reason: "contains '/': give a host name such as example.com, not a URL" };
  if (trimmed.includes('*')) return { host: null, reason: "contains '*': no wildcard is needed, example.com covers all its subdomains" };
  if (trimmed.startsWith('[') || tools.isIP(trimmed) !== 0) return { host: null, reason: 'is an IP address, not a host name' };
  if (trimmed.includes(':')) return { host: null, reason: "contains ':': give a host name without port or scheme" };
  // URL parsing would cut the name at these (`a?b.com` → `a`) or read them as credentials or escapes.
  const urlCharacter = /[?\\@%&=+,;!$'"()<>^`{|}~[\]]/u.exec(trimmed);
  if (urlCharacter) return { host: null, reason: `contains '${urlCharacter[0]}', which is not allowed in a host name` };
  let name = trimmed.startsWith('.') ? trimmed.slice(1) : trimmed;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { host: null, reason: 'is not a host name' };
  const ascii = tools.domainToASCII(name);
  if (ascii === '') return { host: null, reason: 'is not a valid host name' };
  // WHATWG host parsing turns numeric forms like 0x7f.1 into 127.0.0.1: an address, not a name.
  if (tools.isIP(ascii) !== 0) return { host: null, reason: 'is an IP address, not a host name' };
  if (ascii.length > HOST_NAME_MAX) return { host: null, reason: `is longer than ${HOST_NAME_MAX} characters` };
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') return { host: null, reason: 'has an empty label (two dots in a row)' };
    if (label.length > LABEL_MAX) return { host: null, reason: `has a label longer than ${LABEL_MAX} characters` };
    if (!LABEL.test(label)) return { host: null, reason: 'may contain only letters, digits, dots and hyphens, and no label may start or end with a hyphen' };
  }
  // Top-level domains start with a letter; an all-numeric last label would be read as an address by squid.
  if (!/^[a-z]/.test(labels[labels.length - 1] as string)) return { host: null, reason: 'must end in a name that starts with a letter (an IP address is not a host name)' };
  // One label is a whole top-level domain (`com` opens every .com site) or a local name (`localhost`, the
  // proxies' own container names on the workspace network), never a site to allow.
  if (labels.length < 2) return { host: null, reason: SINGLE_LABEL_REASON };
  return { host: ascii, reason: null };
}

/** The entry as shown in an error: JSON-quoted (control characters visible), at most 80 characters of it. */
export function showWhitelistEntry(entry: string): string {
  return JSON.stringify(entry.length > 80 ? `${entry.slice(0, 80)}…` : entry);
}

/** A rejected entry of a list: its position (0-based), the entry as sent, the message and the 400's `details.domains` text. */
export interface WhitelistEntryRejection {
  index: number;
  entry: string;
  /** `Whitelist entry "<entry>" <reason>` (the server's error message). */
  message: string;
  /** `"<entry>": <reason>` (the server's `details.domains`). */
  detail: string;
}

/**
 * Normalises a requested whitelist into what squid is given: every entry trimmed, lower-cased, internationalised
 * names in punycode, a trailing dot removed, a leading dot added; the {@link BASE_WHITELIST_DOMAINS} merged in;
 * duplicates removed and every entry dropped that a listed parent already covers (`.a.example.com` under
 * `.example.com`; `.xexample.com` is not under it). Sorted by string order.
 * @returns `{ domains }` (never empty: the base domains are always in it), or `{ rejection }` for the first
 *   entry that is not a DNS host name (see {@link checkWhitelistEntry}).
 */
export function normalizeWhitelistEntries(
  entries: readonly string[],
  tools: HostNameTools,
): { domains: string[]; rejection: null } | { domains: null; rejection: WhitelistEntryRejection } {
  const hosts = new Set<string>();
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index] as string;
    const check = checkWhitelistEntry(entry, tools);
    if (check.reason !== null) {
      const shown = showWhitelistEntry(entry);
      return { domains: null, rejection: { index, entry, message: `Whitelist entry ${shown} ${check.reason}`, detail: `${shown}: ${check.reason}` } };
    }
    hosts.add(check.host);
  }
  for (const base of BASE_WHITELIST_DOMAINS) hosts.add(base.slice(1));
  // Parents first (fewer labels), so a subdomain meets its parent already kept.
  const byDepth = [...hosts].sort((a, b) => a.split('.').length - b.split('.').length);
  const kept = new Set<string>();
  for (const host of byDepth) {
    if (coveringParent(host, kept) === null) kept.add(host);
  }
  return { domains: [...kept].map((host) => `.${host}`).sort(), rejection: null };
}

/**
 * The entry of `hosts` (bare host names, no leading dot) that covers `host` as a parent domain
 * (`example.com` for `a.example.com`; never `host` itself), or null.
 */
export function coveringParent(host: string, hosts: ReadonlySet<string>): string | null {
  const labels = host.split('.');
  for (let i = 1; i < labels.length; i += 1) {
    const parent = labels.slice(i).join('.');
    if (hosts.has(parent)) return parent;
  }
  return null;
}

// Node's IPv4/IPv6 grammar (lib/internal/net.js), so the dashboard classifies addresses as the server does.
const V4_SEG = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const V4_STR = `(?:${V4_SEG}\\.){3}${V4_SEG}`;
const IPV4 = new RegExp(`^${V4_STR}$`);
const V6_SEG = '(?:[0-9a-fA-F]{1,4})';
const IPV6 = new RegExp(
  '^(?:' +
    `(?:${V6_SEG}:){7}(?:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){6}(?:${V4_STR}|:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){5}(?::${V4_STR}|(?::${V6_SEG}){1,2}|:)|` +
    `(?:${V6_SEG}:){4}(?:(?::${V6_SEG}){0,1}:${V4_STR}|(?::${V6_SEG}){1,3}|:)|` +
    `(?:${V6_SEG}:){3}(?:(?::${V6_SEG}){0,2}:${V4_STR}|(?::${V6_SEG}){1,4}|:)|` +
    `(?:${V6_SEG}:){2}(?:(?::${V6_SEG}){0,3}:${V4_STR}|(?::${V6_SEG}){1,5}|:)|` +
    `(?:${V6_SEG}:){1}(?:(?::${V6_SEG}){0,4}:${V4_STR}|(?::${V6_SEG}){1,6}|:)|` +
    `(?::(?:(?::${V6_SEG}){0,5}:${V4_STR}|(?::${V6_SEG}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/** {@link HostNameTools} from standard web APIs only (the dashboard's; Node has the same `URL`, so tests run it there too). */
export const browserHostNameTools: HostNameTools = {
  isIP(value: string): number {
    if (IPV4.test(value)) return 4;
    if (IPV6.test(value)) return 6;
    return 0;
  },
  domainToASCII(name: string): string {
    // As Node does it: set the host name of a URL with a special scheme; a refused name leaves the old one.
    // Two different starting hosts tell "refused" apart from a name that happens to equal the starting host.
    const attempt = (start: string): string => {
      const url = new URL(`ws://${start}/`);
      url.hostname = name;
      return url.hostname;
    };
    const first = attempt('a.invalid');
    if (first !== 'a.invalid') return first;
    return attempt('b.invalid') === 'b.invalid' ? '' : first;
  },
};
