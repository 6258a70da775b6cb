import { z } from 'zod';
import { CONVERSATION_ID_PATTERN, ProjectId } from '../contract/index.js';

/**
 * The raw records the LLM Logging Proxy's addon writes (one JSON file each; format in the issue #5 interface
 * notes): `domains-<ms>-<hex>.json` host counters and `llm-<ms>-<hex>.json` one LLM API exchange. Parsed
 * leniently: fields that are missing or of the wrong type get harmless defaults, so one odd field never loses
 * a whole record; only what identifies a record (id, user, times, host) must be right.
 */

/** Name of a record file the app ingests (anything else in the directory is ignored). */
export const RECORD_FILE_PATTERN = /^(llm|domains)-[0-9]{13}-[0-9a-f]{8}\.json$/;

/** ISO 8601 time as the addon writes it (`Date.parse` must understand it). */
const IsoTime = z.string().refine((value) => Number.isFinite(Date.parse(value)), 'not a time');

const Headers = z.array(z.tuple([z.string(), z.string()])).catch([]);
const BodyEncoding = z.enum(['utf8', 'base64']).catch('utf8');

/** Request half of an `llm` record. Headers are already redacted by the proxy. */
export const LlmRecordRequest = z.object({
  method: z.string().catch('POST'),
  scheme: z.string().catch('https'),
  host: z.string().min(1),
  port: z.number().int().catch(443),
  path: z.string().catch('/'),
  headers: Headers,
  body: z.string().catch(''),
  bodyEncoding: BodyEncoding,
  truncated: z.boolean().catch(false),
});
export type LlmRecordRequest = z.infer<typeof LlmRecordRequest>;

/** Response half of an `llm` record (`streamed`: it was `text/event-stream`; `body` holds the complete stream). */
export const LlmRecordResponse = z.object({
  status: z.number().int().nullable().catch(null),
  headers: Headers,
  body: z.string().catch(''),
  bodyEncoding: BodyEncoding,
  truncated: z.boolean().catch(false),
  streamed: z.boolean().catch(false),
});
export type LlmRecordResponse = z.infer<typeof LlmRecordResponse>;

/** One recorded LLM API exchange (`llm-*.json`); `id` doubles as the conversation identifier. */
export const LlmRecord = z.object({
  kind: z.literal('llm'),
  version: z.literal(1),
  id: z.string().regex(CONVERSATION_ID_PATTERN),
  user: ProjectId,
  startedAt: IsoTime,
  finishedAt: IsoTime.nullable().catch(null),
  request: LlmRecordRequest,
  response: LlmRecordResponse.nullable().catch(null),
  error: z.string().nullable().catch(null),
});
export type LlmRecord = z.infer<typeof LlmRecord>;

/** One host counter of a `domains` record: `count` requests (a delta since the previous file) between the two times. */
export const DomainsRecordEntry = z.object({
  user: ProjectId,
  host: z
    .string()
    .min(1)
    .max(253)
    .transform((host) => host.toLowerCase()),
  count: z.number().int().positive(),
  firstSeen: IsoTime,
  lastSeen: IsoTime,
});
export type DomainsRecordEntry = z.infer<typeof DomainsRecordEntry>;

/** A `domains-*.json` record. Entries are checked one by one by {@link parseRecordFile} (a bad entry is skipped). */
export const DomainsRecord = z.object({ kind: z.literal('domains'), version: z.literal(1), entries: z.array(z.unknown()) });

/** What {@link parseRecordFile} makes of one file. */
export type ParsedRecordFile =
  | { kind: 'llm'; record: LlmRecord }
  | { kind: 'domains'; entries: DomainsRecordEntry[]; skipped: number }
  | { kind: 'invalid'; reason: string };

/**
 * Parses one record file's text. Never throws: a file that is not JSON, of an unknown kind or version, or
 * whose identity fields are wrong is `invalid` with a short reason (for the log; no content in it).
 * In a `domains` record, entries that do not check out are skipped and counted.
 */
export function parseRecordFile(name: string, content: string): ParsedRecordFile {
  const match = RECORD_FILE_PATTERN.exec(name);
  if (!match) return { kind: 'invalid', reason: 'unexpected file name' };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (match[1] === 'llm') {
    const parsed = LlmRecord.safeParse(json);
    if (!parsed.success) return { kind: 'invalid', reason: `not an llm record (${describeIssues(parsed.error)})` };
    return { kind: 'llm', record: parsed.data };
  }
  const parsed = DomainsRecord.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', reason: `not a domains record (${describeIssues(parsed.error)})` };
  const entries: DomainsRecordEntry[] = [];
  let skipped = 0;
  for (const raw of parsed.data.entries) {
    const entry = DomainsRecordEntry.safeParse(raw);
    if (entry.success && isHostName(entry.data.host)) entries.push(entry.data);
    else skipped += 1;
  }
  return { kind: 'domains', entries, skipped };
}

/**
 * A host name as the addon reports it: lower-case letters, digits, `-`, `.`, `_` (some CDNs), or an IPv6
 * literal (with or without brackets). Anything else (spaces, slashes, control characters) is not a host.
 */
function isHostName(host: string): boolean {
  return /^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(host) || /^\[?[0-9a-f]*:[0-9a-f:.]*\]?$/.test(host);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => issue.path.join('.') || 'root')
    .join(', ');
}
