import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { WhitelistErrorDetails } from '../contract/index.js';
import type { WhitelistRepository } from '../store/whitelist-repository.js';
import { ServiceError } from './service-error.js';
import { checkWhitelistEntry, normalizeWhitelistEntries, isNormalizedWhitelistDomain, type HostNameTools } from '../contract/whitelist-rules.js';

export { BASE_WHITELIST_DOMAINS, HOST_NAME_MAX, LABEL_MAX, isNormalizedWhitelistDomain } from '../contract/whitelist-rules.js';

/**
 * Security Proxy whitelist (issue #5, behaviour.md "Security Proxy (squid) whitelist"): validation and
 * normalisation of entries, the squid configuration section made from them, and the service behind
 * `GET`/`PUT /api/whitelist`. The entry rules themselves are in `server/contract/whitelist-rules.ts`, shared
 * with the dashboard so it checks entries as the teacher types with the server's own rules and words.
 *
 * Squid reads `.example.com` as "example.com and every subdomain", and refuses to start when one ACL lists a
 * domain twice or a subdomain of a listed parent; so the stored list is kept in exactly that form. Entries
 * become config text, so nothing reaches the config that is not a plain DNS host name (a newline would
 * otherwise inject squid directives).
 */

/** The whitelist rules with Node's own host-name primitives (the dashboard uses the same rules with web APIs). */
const NODE_HOST_NAME_TOOLS: HostNameTools = { isIP, domainToASCII };

/**
 * Normalises a requested whitelist into what squid is given: every entry trimmed, lower-cased, internationalised
 * names in punycode, a trailing dot removed, a leading dot added; the {@link BASE_WHITELIST_DOMAINS} merged in;
 * duplicates removed and every entry dropped that a listed parent already covers (`.a.example.com` under
 * `.example.com`; `.xexample.com` is not under it). Sorted by string order. The rules live in
 * `server/contract/whitelist-rules.ts` (shared with the dashboard).
 * @param entries the domains as sent (`example.com`, `.example.com`, `Example.COM.`, `münchen.de` …).
 * @returns the normalised list (never empty: the base domains or their parents are always in it).
 * @throws ServiceError VALIDATION_ERROR (400) naming the first entry that is not a DNS host name (labels of 1–63
 *   `a-z 0-9 -`, not starting or ending with `-`, at most 253 characters, ending in a name that starts with a
 *   letter): spaces, line breaks, `#`, `/`, `:` (ports, schemes), `*`, IP addresses. `details` is
 *   {@link WhitelistErrorDetails}.
 */
export function normalizeWhitelist(entries: readonly string[]): string[] {
  const result = normalizeWhitelistEntries(entries, NODE_HOST_NAME_TOOLS);
  if (result.rejection !== null) {
    const details: WhitelistErrorDetails = { domains: result.rejection.detail, index: String(result.rejection.index) };
    throw new ServiceError('VALIDATION_ERROR', result.rejection.message, details);
  }
  return result.domains;
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
   * the base domains when none was ever saved. Stored entries the rules refuse now (a single name such as
   * `.com`, accepted by earlier versions) are left out, so squid never gets them and reading does not fail.
   */
  domains(): string[] {
    const stored = this.options.repository.list();
    return normalizeWhitelist(stored.filter((entry) => checkWhitelistEntry(entry, NODE_HOST_NAME_TOOLS).reason === null));
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
