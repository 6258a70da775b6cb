import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { WhitelistErrorDetails } from '../contract/index.js';
import type { WhitelistRepository } from '../store/whitelist-repository.js';
import { ServiceError } from './service-error.js';

/**
 * Security Proxy whitelist (issue #5, behaviour.md "Security Proxy (squid) whitelist"): validation and
 * normalisation of entries, the squid configuration section made from them, and the service behind
 * `GET`/`PUT /api/whitelist`.
 *
 * Squid reads `.example.com` as "example.com and every subdomain", and refuses to start when one ACL lists a
 * domain twice or a subdomain of a listed parent; so the stored list is kept in exactly that form. Entries
 * become config text, so nothing reaches the config that is not a plain DNS host name (a newline would
 * otherwise inject squid directives).
 */

/** Domains always on the whitelist: Debian/Ubuntu/NodeSource package mirrors and the VS Code extension registry. */
export const BASE_WHITELIST_DOMAINS: readonly string[] = ['.debian.org', '.ubuntu.com', '.nodesource.com', '.open-vsx.org', '.openvsx.org', '.eclipsecontent.org'];

/** Longest host name (RFC 1035: 253 characters in text form, without the trailing dot). */
export const HOST_NAME_MAX = 253;
/** Longest label of a host name (RFC 1035). */
export const LABEL_MAX = 63;

/** One DNS label: letters, digits, hyphens; not starting or ending with a hyphen (RFC 1123). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** A validated, normalised entry as stored: `.` + labels of {@link LABEL}, at most {@link HOST_NAME_MAX} characters after the dot. */
export function isNormalizedWhitelistDomain(value: string): boolean {
  if (!value.startsWith('.')) return false;
  const host = value.slice(1);
  if (host.length === 0 || host.length > HOST_NAME_MAX) return false;
  const labels = host.split('.');
  return labels.every((label) => label.length <= LABEL_MAX && LABEL.test(label)) && /^[a-z]/.test(labels[labels.length - 1] as string);
}

/** Why an entry is not a host name, or null when it is one (then `host` is its ASCII form without dots at the ends). */
type EntryCheck = { host: string; reason: null } | { host: null; reason: string };

/**
 * Checks one entry as sent: trimmed and lower-cased first; one leading dot (squid's form) and one trailing dot
 * (the DNS root) are allowed; internationalised names become punycode (`node:url` `domainToASCII`, UTS #46).
 */
function checkEntry(entry: string): EntryCheck {
  const trimmed = entry.trim().toLowerCase();
  if (trimmed === '') return { host: null, reason: 'empty entry' };
  // Characters that are not in a host name get their own message: they are the usual mistakes.
  if (/[\s\p{Cc}]/u.test(trimmed)) return { host: null, reason: 'contains a space, line break or control character' };
  if (trimmed.includes('#')) return { host: null, reason: "contains '#'" };
  if (trimmed.includes('/')) return { host: null, reason: "contains '/': give a host name such as example.com, not a URL" };
  if (trimmed.includes('*')) return { host: null, reason: "contains '*': no wildcard is needed, example.com covers all its subdomains" };
  if (trimmed.startsWith('[') || isIP(trimmed) !== 0) return { host: null, reason: 'is an IP address, not a host name' };
  if (trimmed.includes(':')) return { host: null, reason: "contains ':': give a host name without port or scheme" };
  let name = trimmed.startsWith('.') ? trimmed.slice(1) : trimmed;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { host: null, reason: 'is not a host name' };
  const ascii = domainToASCII(name);
  if (ascii === '') return { host: null, reason: 'is not a valid host name' };
  // WHATWG host parsing turns numeric forms like 0x7f.1 into 127.0.0.1: an address, not a name.
  if (isIP(ascii) !== 0) return { host: null, reason: 'is an IP address, not a host name' };
  if (ascii.length > HOST_NAME_MAX) return { host: null, reason: `is longer than ${HOST_NAME_MAX} characters` };
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label === '') return { host: null, reason: 'has an empty label (two dots in a row)' };
    if (label.length > LABEL_MAX) return { host: null, reason: `has a label longer than ${LABEL_MAX} characters` };
    if (!LABEL.test(label)) return { host: null, reason: 'may contain only letters, digits, dots and hyphens, and no label may start or end with a hyphen' };
  }
  // Top-level domains start with a letter; an all-numeric last label would be read as an address by squid.
  if (!/^[a-z]/.test(labels[labels.length - 1] as string)) return { host: null, reason: 'must end in a name that starts with a letter (an IP address is not a host name)' };
  return { host: ascii, reason: null };
}

/** The entry as shown in an error: JSON-quoted (control characters visible), at most 80 characters of it. */
function showEntry(entry: string): string {
  return JSON.stringify(entry.length > 80 ? `${entry.slice(0, 80)}…` : entry);
}

/**
 * Normalises a requested whitelist into what squid is given: every entry trimmed, lower-cased, internationalised
 * names in punycode, a trailing dot removed, a leading dot added; the {@link BASE_WHITELIST_DOMAINS} merged in;
 * duplicates removed and every entry dropped that a listed parent already covers (`.a.example.com` under
 * `.example.com`; `.xexample.com` is not under it). Sorted by string order.
 * @param entries the domains as sent (`example.com`, `.example.com`, `Example.COM.`, `münchen.de` …).
 * @returns the normalised list (never empty: the base domains or their parents are always in it).
 * @throws ServiceError VALIDATION_ERROR (400) naming the first entry that is not a DNS host name (labels of 1–63
 *   `a-z 0-9 -`, not starting or ending with `-`, at most 253 characters, ending in a name that starts with a
 *   letter): spaces, line breaks, `#`, `/`, `:` (ports, schemes), `*`, IP addresses. `details` is
 *   {@link WhitelistErrorDetails}.
 */
export function normalizeWhitelist(entries: readonly string[]): string[] {
  const hosts = new Set<string>();
  entries.forEach((entry, index) => {
    const check = checkEntry(entry);
    if (check.reason !== null) {
      const shown = showEntry(entry);
      const details: WhitelistErrorDetails = { domains: `${shown}: ${check.reason}`, index: String(index) };
      throw new ServiceError('VALIDATION_ERROR', `Whitelist entry ${shown} ${check.reason}`, details);
    }
    hosts.add(check.host);
  });
  for (const base of BASE_WHITELIST_DOMAINS) hosts.add(base.slice(1));
  // Parents first (fewer labels), so a subdomain meets its parent already kept.
  const byDepth = [...hosts].sort((a, b) => a.split('.').length - b.split('.').length);
  const kept = new Set<string>();
  for (const host of byDepth) {
    const labels = host.split('.');
    let covered = false;
    for (let i = 1; i < labels.length && !covered; i += 1) covered = kept.has(labels.slice(i).join('.'));
    if (!covered) kept.add(host);
  }
  return [...kept].map((host) => `.${host}`).sort();
}

/** Name of the squid ACL of whitelisted destination domains (referenced by the squid image's own rules). */
export const SQUID_WHITELIST_ACL = 'xares_whitelist';
/** Name of the squid ACL matching destinations given as an IP address (IPv4 digits and dots, IPv6 in brackets or with colons). */
export const SQUID_IP_LITERAL_ACL = 'xares_to_ip_literal';
/** Domains per `acl` line: squid reads config lines into a buffer of about 8 KiB; 16 × 254 characters stay far below. */
const DOMAINS_PER_LINE = 16;

/**
 * The squid.conf section of the whitelist: the file the squid image includes (resources/images/squid,
 * `/etc/squid/conf.d/xares-whitelist.conf`) before its own `http_access` rules, defining the ACL
 * {@link SQUID_WHITELIST_ACL} those rules allow. It only ever denies: requests to an IP address, and requests to any destination
 * not on the whitelist. `-n` keeps squid from reverse-resolving an IP destination to a whitelisted name.
 * Pure; every domain is checked again here, so no text reaches the config that is not a validated host name.
 * @param domains normalised entries (see {@link normalizeWhitelist}); an empty list denies every destination.
 * @returns the section text, lines ending in `\n`.
 * @throws Error when a domain is not in normalised form (a programming error: nothing unvalidated is written).
 */
export function renderSquidWhitelistAcl(domains: readonly string[]): string {
  for (const domain of domains) {
    if (!isNormalizedWhitelistDomain(domain)) throw new Error(`Refusing to write a whitelist entry that is not a normalised host name: ${JSON.stringify(domain)}`);
  }
  const lines = [
    '# Xares Security Proxy whitelist: generated from the stored list, do not edit.',
    `acl ${SQUID_IP_LITERAL_ACL} dstdom_regex -n ^[0-9.]+$ ^\\[ :`,
  ];
  // The ACL is always defined (the image's own rules name it); with no domains it matches nothing.
  if (domains.length === 0) lines.push(`acl ${SQUID_WHITELIST_ACL} dstdomain -n`);
  for (let i = 0; i < domains.length; i += DOMAINS_PER_LINE) {
    lines.push(`acl ${SQUID_WHITELIST_ACL} dstdomain -n ${domains.slice(i, i + DOMAINS_PER_LINE).join(' ')}`);
  }
  lines.push(`http_access deny ${SQUID_IP_LITERAL_ACL}`, `http_access deny !${SQUID_WHITELIST_ACL}`);
  return `${lines.join('\n')}\n`;
}

/** Options of {@link WhitelistService}. */
export interface WhitelistServiceOptions {
  repository: WhitelistRepository;
  /**
   * Called after a new list is stored, with that list (normalised): the place where the running squid gets the
   * new config and `squid -k reconfigure` (next step of issue #5; not wired yet). A rejection propagates to the
   * caller; the new list stays stored, so a re-created proxy gets it.
   */
  onWhitelistChanged?: (domains: readonly string[]) => void | Promise<void>;
}

/** The stored whitelist: read it (with its squid section) and replace it. */
export class WhitelistService {
  /** The last `onWhitelistChanged` call: hooks run one at a time, in the order the lists were stored. */
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly options: WhitelistServiceOptions) {}

  /**
   * The current list: the stored one, normalised again (so base domains added by a newer version appear), or
   * the base domains when none was ever saved.
   */
  domains(): string[] {
    return normalizeWhitelist(this.options.repository.list());
  }

  /** The squid.conf section of the current list (see {@link renderSquidWhitelistAcl}). */
  squidSection(): string {
    return renderSquidWhitelistAcl(this.domains());
  }

  /**
   * Replaces the whitelist with `entries` (normalised, base domains merged), then calls `onWhitelistChanged`
   * once the calls of earlier replacements have settled (so the proxy ends with the list stored last).
   * @returns the stored list.
   * @throws ServiceError VALIDATION_ERROR for a bad entry (see {@link normalizeWhitelist}); nothing is stored then.
   */
  async replace(entries: readonly string[]): Promise<string[]> {
    const domains = normalizeWhitelist(entries);
    this.options.repository.replace(domains);
    const hook = this.options.onWhitelistChanged;
    if (hook) {
      const run = this.applying.then(() => hook(domains));
      // The chain goes on after a failed call; the failure belongs to the caller of that call only.
      this.applying = run.catch(() => undefined);
      await run;
    }
    return domains;
  }
}
