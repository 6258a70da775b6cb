import type { SquidLogEntry } from '../contract/index.js';

/**
 * Squid's native access log (`logformat squid`): one request per line, fields separated by spaces:
 * `time.ms duration client result/status bytes method URL user hierarchy/peer type`, e.g.
 * `1733234888.186      0 172.30.0.5 TCP_DENIED/403 3369 GET http://blocked-site.com/ alice HIER_NONE/- text/html`.
 * `user` is the proxy-authenticated user (`-` when none); in our setup it is the workspace's id, which is what
 * lines are attributed by (never the client address, which Docker reuses).
 */

const TIME = /^[0-9]{1,12}\.[0-9]{1,6}$/;
const INTEGER = /^-?[0-9]{1,20}$/;
const STATUS = /^[A-Z_]+\/[0-9]{3}$/;
const METHOD = /^[A-Za-z_-]{1,32}$/;

/** Parses one native-format line; null for anything else (blank, partial, another format). */
export function parseSquidLogLine(line: string): SquidLogEntry | null {
  const rawLine = line.replace(/\r$/, '');
  const fields = rawLine.trim().split(/\s+/);
  if (fields.length < 8) return null;
  const [timestamp, duration, clientIP, status, bytes, method, url, user] = fields as [string, string, string, string, string, string, string, string];
  if (!TIME.test(timestamp) || !INTEGER.test(duration) || !STATUS.test(status) || !INTEGER.test(bytes) || !METHOD.test(method)) return null;
  return { timestamp, duration, clientIP, status, bytes, method, url, rawLine, user };
}

/**
 * The last `lines` entries of `log` (oldest first) whose user is exactly `user`. Lines answered `407` are left
 * out: their user name is only what the client claimed, not verified. `user` `-` (no user) never matches.
 */
export function workspaceSquidLog(log: string, user: string, lines: number): SquidLogEntry[] {
  if (!user || user === '-' || lines <= 0) return [];
  const entries: SquidLogEntry[] = [];
  for (const line of log.split('\n')) {
    const entry = parseSquidLogLine(line);
    if (!entry || entry.user !== user || entry.status.endsWith('/407')) continue;
    entries.push(entry);
  }
  return entries.slice(-lines);
}

/**
 * Where the Security Proxy's access log comes from (implemented by the squid manager; tests use a fake):
 * `readAccessLog(maxBytes)` returns the last `maxBytes` bytes (or fewer) of squid's access log as text, `''`
 * when squid has not run yet. May throw when the log cannot be read.
 */
export interface SquidLogSource {
  readAccessLog(maxBytes: number): Promise<string>;
}

/**
 * How much of the end of the access log is read for one request: 8 MiB, about 50,000 lines; enough for the
 * last 500 lines of a workspace among a room of busy ones.
 */
export const SQUID_LOG_READ_BYTES = 8 * 1024 * 1024;

/**
 * The last `lines` log entries of workspace `user` (see {@link workspaceSquidLog}), read from the end of the
 * log. When the source returned a full `maxBytes`, the first line may be cut, so it is dropped.
 */
export async function readWorkspaceSquidLog(source: SquidLogSource, user: string, lines: number, maxBytes = SQUID_LOG_READ_BYTES): Promise<SquidLogEntry[]> {
  let text = await source.readAccessLog(maxBytes);
  if (Buffer.byteLength(text) >= maxBytes) text = text.slice(text.indexOf('\n') + 1);
  return workspaceSquidLog(text, user, lines);
}
