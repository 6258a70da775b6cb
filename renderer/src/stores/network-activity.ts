import type { CategorizedDomain, DomainCategory, DocumentationType, LlmConversation, RecordedDomainsResponse, SquidLogEntry } from '../../../server/contract/index.js';
import { DOMAIN_CATEGORIES } from '../../../server/contract/index.js';

/**
 * Pure logic of the details panel's network sections (issue #5): following the Security Proxy log without
 * duplicates, choosing recorded domains, and naming the documentation file.
 */

/** Lines asked for on each poll of the squid log (the server gives at most 500). */
export const LOG_POLL_LINES = 200;
/** Most lines the log view keeps (older ones are dropped from the top). */
export const LOG_MAX_SHOWN = 1_000;

/** A log line as shown: the entry and a sequence number (stable React key; identical lines stay distinct). */
export interface ShownLogLine {
  seq: number;
  entry: SquidLogEntry;
}

/** The followed log: lines oldest first, the next sequence number, and whether lines may be missing before the newest batch. */
export interface FollowedLog {
  lines: ShownLogLine[];
  nextSeq: number;
  /** True when the last poll found no overlap with what was shown (more lines arrived than one poll reads, or the log was rotated). */
  gap: boolean;
}

export const EMPTY_FOLLOWED_LOG: FollowedLog = { lines: [], nextSeq: 1, gap: false };

/** Two entries are the same log line when their raw text is the same (the text carries time, client, sizes). */
function sameLine(a: SquidLogEntry, b: SquidLogEntry): boolean {
  return a.rawLine === b.rawLine;
}

/**
 * Length of the longest overlap between the end of `shown` and the start of `fetched` (both windows of the same
 * log, oldest first): the largest k with `fetched[0..k)` equal to the last k shown lines. The largest is taken,
 * so repeated identical lines are never shown twice.
 */
export function logOverlap(shown: readonly SquidLogEntry[], fetched: readonly SquidLogEntry[]): number {
  const max = Math.min(shown.length, fetched.length);
  const last = shown[shown.length - 1];
  if (last === undefined) return 0;
  for (let k = max; k > 0; k -= 1) {
    // Cheap test first: fetched[k-1] must be the last shown line.
    if (!sameLine(fetched[k - 1] as SquidLogEntry, last)) continue;
    let match = true;
    for (let i = 0; i < k - 1 && match; i += 1) match = sameLine(fetched[i] as SquidLogEntry, shown[shown.length - k + i] as SquidLogEntry);
    if (match) return k;
  }
  return 0;
}

/**
 * The log after a poll answered `fetched` (the last N lines, oldest first): only lines after the overlap with
 * what is shown are appended (newest at the bottom), at most `maxShown` kept. With no overlap the whole
 * answer is appended and `gap` is set (unless nothing was shown yet).
 */
export function followLog(log: FollowedLog, fetched: readonly SquidLogEntry[], maxShown = LOG_MAX_SHOWN): FollowedLog {
  if (fetched.length === 0) return log.gap ? { ...log, gap: false } : log;
  const shownEntries = log.lines.map((line) => line.entry);
  const overlap = logOverlap(shownEntries, fetched);
  const fresh = fetched.slice(overlap);
  if (fresh.length === 0) return log.gap ? { ...log, gap: false } : log;
  let seq = log.nextSeq;
  const appended = fresh.map((entry) => ({ seq: seq++, entry }));
  const lines = [...log.lines, ...appended];
  return { lines: lines.length > maxShown ? lines.slice(lines.length - maxShown) : lines, nextSeq: seq, gap: log.lines.length > 0 && overlap === 0 };
}

/** True for a line of a refused request: squid's `TCP_DENIED` results, or HTTP 403/407 answers. */
export function isDeniedLogEntry(entry: SquidLogEntry): boolean {
  return /DENIED/i.test(entry.status) || /\/(403|407)$/.test(entry.status);
}

/** The log line's time as `HH:MM:SS` in the viewer's zone (from squid's epoch seconds), or the raw text when unreadable. */
export function formatLogTime(timestamp: string): string {
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || seconds <= 0) return timestamp;
  const date = new Date(seconds * 1000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/** The categories with their hosts in display order (contract order; empty categories left out). */
export function categoriesInOrder(response: RecordedDomainsResponse): { category: DomainCategory; domains: CategorizedDomain[] }[] {
  const result: { category: DomainCategory; domains: CategorizedDomain[] }[] = [];
  for (const category of DOMAIN_CATEGORIES) {
    const domains = response.categorized[category];
    if (domains && domains.length > 0) result.push({ category, domains });
  }
  return result;
}

/** `selected` with `domain` switched on or off. */
export function toggleSelection(selected: ReadonlySet<string>, domain: string, on: boolean): Set<string> {
  const next = new Set(selected);
  if (on) next.add(domain);
  else next.delete(domain);
  return next;
}

/** `selected` with all `domains` switched on (when not all were on) or off (when all were). */
export function toggleAll(selected: ReadonlySet<string>, domains: readonly string[]): Set<string> {
  const next = new Set(selected);
  const allOn = domains.length > 0 && domains.every((domain) => selected.has(domain));
  for (const domain of domains) {
    if (allOn) next.delete(domain);
    else next.add(domain);
  }
  return next;
}

/**
 * File name of the downloaded documentation: `<workspace name>-llm-<type>-<YYYY-MM-DD>.md`, the name reduced to
 * letters, digits, `-` and `_` (no path separators or odd characters), `workspace` when nothing is left.
 */
export function documentationFileName(projectName: string, type: DocumentationType, now: Date = new Date()): string {
  const base =
    projectName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'workspace';
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return `${base}-llm-${type}-${day}.md`;
}

/** Conversations newest first (the API lists oldest first). */
export function newestFirst(conversations: readonly LlmConversation[]): LlmConversation[] {
  return [...conversations].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : b.timestamp.localeCompare(a.timestamp)));
}

/** Token counts in words (`1,234 in · 56 out`), or `no token counts` when the API reported none. */
export function describeUsage(conversation: LlmConversation): string {
  if (!conversation.usage) return 'no token counts';
  const { inputTokens, outputTokens, totalTokens } = conversation.usage;
  return `${inputTokens.toLocaleString('en-US')} in · ${outputTokens.toLocaleString('en-US')} out · ${totalTokens.toLocaleString('en-US')} total`;
}

/** A tool call's input as text: JSON indented, strings as they are. */
export function toolInputText(input: unknown): string {
  if (typeof input === 'string') return input;
  try {
    return JSON.stringify(input, null, 2) ?? String(input);
  } catch {
    return String(input);
  }
}
