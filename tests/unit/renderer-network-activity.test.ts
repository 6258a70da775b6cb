// Details panel network sections (issue #5): following the squid log without duplicates, refused lines,
// choosing recorded domains by category, the documentation file name, conversation order and token words.
import { describe, expect, it } from 'vitest';
import type { LlmConversation, RecordedDomainsResponse, SquidLogEntry } from '../../server/contract/index.js';
import {
  EMPTY_FOLLOWED_LOG,
  categoriesInOrder,
  describeUsage,
  documentationFileName,
  followLog,
  isDeniedLogEntry,
  logOverlap,
  newestFirst,
  toggleAll,
  toggleSelection,
  toolInputText,
} from '../../renderer/src/stores/network-activity.js';

function entry(n: number, status = 'TCP_TUNNEL/200', raw?: string): SquidLogEntry {
  const url = `host${n}.example.com:443`;
  return { timestamp: `1733234567.${String(n).padStart(3, '0')}`, duration: '5', clientIP: '10.0.0.2', status, bytes: '10', method: 'CONNECT', url, rawLine: raw ?? `line ${n} ${status} ${url}`, user: 'abc' };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
const raws = (log: { lines: { entry: SquidLogEntry }[] }) => log.lines.map((line) => line.entry.rawLine);

describe('following the squid log', () => {
  it('shows the first answer whole, then appends only new lines, newest at the bottom', () => {
    let log = followLog(EMPTY_FOLLOWED_LOG, range(1, 5));
    expect(raws(log)).toEqual(range(1, 5).map((e) => e.rawLine));
    expect(log.gap).toBe(false);
    // The next poll's window moved on: 3..8.
    log = followLog(log, range(3, 8));
    expect(raws(log)).toEqual(range(1, 8).map((e) => e.rawLine));
    // Nothing new: the same object comes back (no re-render).
    expect(followLog(log, range(4, 8))).toBe(log);
    expect(log.lines.map((line) => line.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('never duplicates repeated identical lines in the overlap', () => {
    const same = entry(1, 'TCP_DENIED/403', 'same line');
    let log = followLog(EMPTY_FOLLOWED_LOG, [entry(0), same, same]);
    log = followLog(log, [entry(0), same, same, same]);
    expect(raws(log)).toEqual([entry(0).rawLine, 'same line', 'same line', 'same line']);
    expect(logOverlap([same, same], [same, same, same])).toBe(2);
  });

  it('appends everything and marks a gap when more lines arrived than one poll reads', () => {
    let log = followLog(EMPTY_FOLLOWED_LOG, range(1, 3));
    log = followLog(log, range(10, 12));
    expect(raws(log)).toEqual([...range(1, 3), ...range(10, 12)].map((e) => e.rawLine));
    expect(log.gap).toBe(true);
    log = followLog(log, range(11, 13));
    expect(log.gap).toBe(false);
    expect(raws(log).slice(-2)).toEqual([entry(12).rawLine, entry(13).rawLine]);
  });

  it('keeps at most the newest maxShown lines', () => {
    let log = followLog(EMPTY_FOLLOWED_LOG, range(1, 6), 4);
    expect(raws(log)).toEqual(range(3, 6).map((e) => e.rawLine));
    log = followLog(log, range(5, 8), 4);
    expect(raws(log)).toEqual(range(5, 8).map((e) => e.rawLine));
  });

  it('highlights refused requests', () => {
    expect(isDeniedLogEntry(entry(1, 'TCP_DENIED/403'))).toBe(true);
    expect(isDeniedLogEntry(entry(1, 'TCP_MISS/403'))).toBe(true);
    expect(isDeniedLogEntry(entry(1, 'TCP_DENIED/407'))).toBe(true);
    expect(isDeniedLogEntry(entry(1, 'TCP_TUNNEL/200'))).toBe(false);
    expect(isDeniedLogEntry(entry(1, 'TCP_MISS/404'))).toBe(false);
  });
});

describe('recorded domains', () => {
  const response: RecordedDomainsResponse = {
    success: true,
    projectId: 'p',
    ipAddress: '',
    domains: {},
    categorized: {
      Other: [{ domain: 'example.org', count: 1, first_seen: 'a', last_seen: 'b' }],
      'AI APIs': [{ domain: 'api.openai.com', count: 3, first_seen: 'a', last_seen: 'b' }],
      'Package Managers': [],
    },
    totalDomains: 2,
  };

  it('lists categories in the contract order, empty ones left out', () => {
    expect(categoriesInOrder(response).map((c) => c.category)).toEqual(['AI APIs', 'Other']);
  });

  it('toggles single hosts and whole categories', () => {
    let selected = toggleSelection(new Set(), 'a.com', true);
    selected = toggleSelection(selected, 'b.com', true);
    selected = toggleSelection(selected, 'a.com', false);
    expect([...selected]).toEqual(['b.com']);
    selected = toggleAll(selected, ['b.com', 'c.com']);
    expect([...selected].sort()).toEqual(['b.com', 'c.com']);
    selected = toggleAll(selected, ['b.com', 'c.com']);
    expect([...selected]).toEqual([]);
  });
});

describe('conversations and documentation', () => {
  const conversation = (timestamp: string, startedAt: string, usage: LlmConversation['usage']): LlmConversation => ({
    timestamp,
    provider: 'openai',
    host: 'api.openai.com',
    path: '/v1/chat/completions',
    model: 'gpt',
    startedAt,
    durationMs: 10,
    status: 200,
    streamed: false,
    messages: [],
    answer: '',
    toolCalls: [],
    usage,
    error: null,
    truncated: false,
  });

  it('orders conversations newest first and words token counts', () => {
    const a = conversation('1000000000001-aaaaaaaa', '2026-01-01T10:00:00.000Z', null);
    const b = conversation('1000000000002-bbbbbbbb', '2026-01-01T11:00:00.000Z', { inputTokens: 1234, outputTokens: 5, totalTokens: 1239 });
    expect(newestFirst([a, b]).map((c) => c.timestamp)).toEqual([b.timestamp, a.timestamp]);
    expect(describeUsage(b)).toBe('1,234 in · 5 out · 1,239 total');
    expect(describeUsage(a)).toBe('no token counts');
    expect(toolInputText({ path: 'a.txt' })).toBe('{\n  "path": "a.txt"\n}');
    expect(toolInputText('raw')).toBe('raw');
  });

  it('names the .md file after the workspace, safely', () => {
    const day = new Date(2026, 1, 14);
    expect(documentationFileName('Seat 7', 'clean', day)).toBe('Seat-7-llm-clean-2026-02-14.md');
    expect(documentationFileName('../../etc/passwd', 'detailed', day)).toBe('etc-passwd-llm-detailed-2026-02-14.md');
    expect(documentationFileName('Müller <b>', 'clean', day)).toBe('Muller-b-llm-clean-2026-02-14.md');
    expect(documentationFileName('★★', 'clean', day)).toBe('workspace-llm-clean-2026-02-14.md');
  });
});
