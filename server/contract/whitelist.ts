import { z } from 'zod';

/**
 * Security Proxy whitelist (api-reference "Whitelist Management", behaviour.md "Security Proxy (squid)
 * whitelist", issue #5). Admin-only. Domains travel in squid's form: lower-case ASCII (punycode for
 * internationalised names) with a leading dot, meaning the domain and all its subdomains.
 */

/** Most entries one `PUT /api/whitelist` accepts (ours; a class list of 2,000 domains fits easily). */
export const WHITELIST_MAX_ENTRIES = 10_000;
/** Longest single entry as sent, before normalisation (ours; a host name has at most 253 characters). */
export const WHITELIST_ENTRY_MAX_CHARS = 1_000;

/**
 * `PUT /api/whitelist` body: the domains wanted (replacing the current list; the base domains are always added).
 * Entries are checked one by one by the server (a 400 names the first bad entry); here only the shape.
 */
export const UpdateWhitelistRequest = z.object({
  domains: z
    .array(z.string({ error: 'Each entry must be a string' }).max(WHITELIST_ENTRY_MAX_CHARS, `An entry must be at most ${WHITELIST_ENTRY_MAX_CHARS} characters`), {
      error: 'domains must be a list of host names',
    })
    .max(WHITELIST_MAX_ENTRIES, `At most ${WHITELIST_MAX_ENTRIES} entries`),
});
export type UpdateWhitelistRequest = z.infer<typeof UpdateWhitelistRequest>;

/** One stored whitelist entry: `.` + a validated lower-case ASCII host name. */
export const WhitelistDomain = z.string().regex(/^\.[a-z0-9.-]+$/);

/**
 * `GET /api/whitelist`: the stored list (sorted, base domains included) and `raw`, the squid configuration
 * section generated from it (the text the proxy is configured with).
 */
export const WhitelistResponse = z.object({
  success: z.literal(true),
  domains: z.array(WhitelistDomain),
  raw: z.string(),
});
export type WhitelistResponse = z.infer<typeof WhitelistResponse>;

/** `PUT /api/whitelist` answer: the list as now stored (normalised, base domains merged) and its length. */
export const UpdateWhitelistResponse = z.object({
  success: z.literal(true),
  domainCount: z.number().int().nonnegative(),
  domains: z.array(WhitelistDomain),
});
export type UpdateWhitelistResponse = z.infer<typeof UpdateWhitelistResponse>;

/**
 * `details` of the 400 (VALIDATION_ERROR) for a rejected entry: `domains` is `<entry>: <reason>` (the entry
 * JSON-quoted, so a newline shows as `\n`; long entries shortened), `index` its position in the request (0-based).
 */
export const WhitelistErrorDetails = z.object({ domains: z.string(), index: z.string() });
export type WhitelistErrorDetails = z.infer<typeof WhitelistErrorDetails>;
