import {
  BASE_WHITELIST_DOMAINS,
  browserHostNameTools,
  checkWhitelistEntry,
  coveringParent,
  normalizeWhitelistEntries,
  showWhitelistEntry,
} from '../../../server/contract/whitelist-rules.js';
import { ApiError } from '../api/api-error.js';

/**
 * Pure logic of the whitelist editor (issue #5): the draft list is always kept in the form the server stores
 * (normalised with the server's own rules, `server/contract/whitelist-rules.ts`), so what the teacher sees
 * before Apply is what the server will keep.
 */

/** True for a domain the server always adds (shown as "always included", not removable). */
export function isBaseWhitelistDomain(domain: string): boolean {
  return BASE_WHITELIST_DOMAINS.includes(domain);
}

/** What adding the typed text would do, as the teacher types. */
export type EntryPreview =
  /** Nothing typed. */
  | { kind: 'empty' }
  /** Not a host name: `message` is the server's wording (`Whitelist entry "<entry>" <reason>`). */
  | { kind: 'invalid'; message: string }
  /** Already on the list as `domain`, or covered by the listed parent `domain`. */
  | { kind: 'present'; domain: string; covered: boolean }
  /** Would add `domain` (squid form), dropping the listed subdomains `replaces` it covers. */
  | { kind: 'new'; domain: string; replaces: string[] };

/**
 * Checks `input` against the rules and the current `draft` (normalised, squid form).
 * @returns an {@link EntryPreview}; `invalid` carries the same message the server's 400 would.
 */
export function previewEntry(draft: readonly string[], input: string): EntryPreview {
  if (input.trim() === '') return { kind: 'empty' };
  const check = checkWhitelistEntry(input, browserHostNameTools);
  if (check.reason !== null) return { kind: 'invalid', message: `Whitelist entry ${showWhitelistEntry(input)} ${check.reason}` };
  const hosts = new Set(draft.map((domain) => domain.slice(1)));
  if (hosts.has(check.host)) return { kind: 'present', domain: `.${check.host}`, covered: false };
  const parent = coveringParent(check.host, hosts);
  if (parent !== null) return { kind: 'present', domain: `.${parent}`, covered: true };
  const replaces = draft.filter((domain) => domain.endsWith(`.${check.host}`));
  return { kind: 'new', domain: `.${check.host}`, replaces };
}

/**
 * The draft with `inputs` added, normalised as the server does (base domains kept, covered subdomains dropped).
 * @returns the new list, or the first rejected input with the server's message (the draft is then unchanged).
 */
export function addEntries(draft: readonly string[], inputs: readonly string[]): { domains: string[]; error: null } | { domains: null; error: string } {
  const result = normalizeWhitelistEntries([...inputs, ...draft], browserHostNameTools);
  if (result.rejection !== null) return { domains: null, error: result.rejection.message };
  return { domains: result.domains, error: null };
}

/**
 * Adds a pasted list, one host name per line (blank lines ignored), all or nothing.
 * @returns the new draft and how many entries it gained, or the first bad line (`Line N: <server message>`).
 */
export function addEntryList(draft: readonly string[], text: string): { domains: string[]; gained: number; error: null } | { domains: null; gained: 0; error: string } {
  const lines = text.split(/\r\n|\n|\r/);
  const entries: { line: number; entry: string }[] = [];
  lines.forEach((entry, index) => {
    if (entry.trim() !== '') entries.push({ line: index + 1, entry });
  });
  const result = normalizeWhitelistEntries([...entries.map((item) => item.entry), ...draft], browserHostNameTools);
  if (result.rejection !== null) {
    const line = entries[result.rejection.index]?.line;
    return { domains: null, gained: 0, error: line === undefined ? result.rejection.message : `Line ${line}: ${result.rejection.message}` };
  }
  const before = new Set(draft);
  return { domains: result.domains, gained: result.domains.filter((domain) => !before.has(domain)).length, error: null };
}

/** The draft without `domain`; base domains stay (they cannot be removed). */
export function removeEntry(draft: readonly string[], domain: string): string[] {
  if (isBaseWhitelistDomain(domain)) return [...draft];
  return draft.filter((entry) => entry !== domain);
}

/** True when the draft differs from the stored list (order does not matter; both are normalised). */
export function hasUnsavedChanges(stored: readonly string[] | null, draft: readonly string[]): boolean {
  if (stored === null) return false;
  if (stored.length !== draft.length) return true;
  const a = [...stored].sort();
  const b = [...draft].sort();
  return a.some((domain, index) => domain !== b[index]);
}

/** How the draft differs from the stored list: entries to be added and removed by Apply (sorted). */
export function whitelistChanges(stored: readonly string[], draft: readonly string[]): { added: string[]; removed: string[] } {
  const before = new Set(stored);
  const after = new Set(draft);
  return { added: draft.filter((d) => !before.has(d)).sort(), removed: stored.filter((d) => !after.has(d)).sort() };
}

/** The `PUT /api/whitelist` body for the draft: its entries without the base domains (the server adds those). */
export function domainsToSend(draft: readonly string[]): string[] {
  return draft.filter((domain) => !isBaseWhitelistDomain(domain));
}

/** A refused Apply in words: the entry the server named (when it named one) and its message. */
export interface ApplyFailure {
  /** The entry as sent, when the server's 400 gave its position; else null. */
  entry: string | null;
  message: string;
}

/**
 * Reads a failed `PUT /api/whitelist`: a 400 `VALIDATION_ERROR` names the entry (`details.index` into `sent`,
 * `details.domains` `"<entry>": <reason>`); anything else is its message.
 */
export function describeApplyFailure(error: unknown, sent: readonly string[]): ApplyFailure {
  if (error instanceof ApiError && error.code === 'VALIDATION_ERROR') {
    const index = Number(error.details['index']);
    const entry = Number.isInteger(index) && index >= 0 && index < sent.length ? (sent[index] as string) : null;
    return { entry, message: error.message };
  }
  return { entry: null, message: error instanceof Error && error.message.trim() !== '' ? error.message : 'The whitelist could not be applied.' };
}

/** Entries of `domains` containing `filter` (case-insensitive, ignoring a leading dot); all when it is blank. */
export function filterDomains(domains: readonly string[], filter: string): string[] {
  const needle = filter.trim().toLowerCase().replace(/^\./, '');
  if (needle === '') return [...domains];
  return domains.filter((domain) => domain.includes(needle));
}

/**
 * Merges recorded host names chosen by the teacher (recorded-domains view, "Add to whitelist") into the
 * current whitelist, normalised as the server stores it.
 * @returns the list to PUT (without base domains), the hosts that are new (not yet covered), and those
 *   refused by the rules (e.g. an IP address the proxy recorded), each with the message.
 */
export function mergeChosenDomains(
  current: readonly string[],
  chosen: readonly string[],
): { domains: string[]; added: string[]; alreadyCovered: string[]; rejected: { host: string; message: string }[] } {
  // One set of listed hosts for all the chosen ones and one normalisation at the end (normalising the whole list
  // per chosen host made 2,000 hosts take seconds). Coverage is transitive, so a subdomain dropped later by its
  // parent is still "covered" for the hosts that follow, as with the list normalised after every addition.
  const listed = new Set(current.map((domain) => domain.slice(1)));
  const added: string[] = [];
  const alreadyCovered: string[] = [];
  const rejected: { host: string; message: string }[] = [];
  for (const host of chosen) {
    const check = checkWhitelistEntry(host, browserHostNameTools);
    if (check.reason !== null) rejected.push({ host, message: `Whitelist entry ${showWhitelistEntry(host)} ${check.reason}` });
    else if (listed.has(check.host) || coveringParent(check.host, listed) !== null) alreadyCovered.push(host);
    else {
      listed.add(check.host);
      added.push(`.${check.host}`);
    }
  }
  const merged = addEntries([...current], [...listed].map((name) => `.${name}`));
  // Every entry passed the same check above, so the normalisation cannot refuse one.
  return { domains: domainsToSend(merged.domains ?? current), added, alreadyCovered, rejected };
}
