/**
 * Stand-ins for the logging proxy's records directory and squid's access log (issue #5), for tests of the
 * recordings service and routes without the proxy containers. Behaves like the real sources: `collect` returns
 * the files present, `acknowledge` deletes the named ones; failures can be switched on.
 */
import { randomBytes } from 'node:crypto';
import type { RawRecordFile, RecordingsSource } from '../../server/services/recordings-service.js';
import type { SquidLogSource } from '../../server/services/squid-log.js';

export interface FakeRecordingsSource extends RecordingsSource {
  /** Files currently "in the directory", by name. */
  readonly files: Map<string, string>;
  /** Names passed to `acknowledge`, in call order. */
  readonly acknowledged: string[][];
  /** Number of `collect` calls. */
  collects: number;
  /** Set to make the next calls fail. */
  failCollect: boolean;
  failAcknowledge: boolean;
  /** Adds a file with this exact name and text. */
  put(name: string, content: string): void;
  /** Adds an `llm` record (fields over the defaults) and returns its id. */
  putLlm(record: Partial<FakeLlmRecord> & { user: string }): string;
  /** Adds a `domains` record with these entries and returns the file name. */
  putDomains(entries: { user: string; host: string; count: number; firstSeen: string; lastSeen: string }[]): string;
}

/** Shape of the records written by the proxy's addon (see server/services/llm-record.ts). */
export interface FakeLlmRecord {
  kind: 'llm';
  version: 1;
  id: string;
  user: string;
  startedAt: string;
  finishedAt: string | null;
  request: Record<string, unknown>;
  response: Record<string, unknown> | null;
  error: string | null;
}

/** A record id like the addon's: `<epoch ms>-<8 hex>`. */
export function fakeRecordId(at = Date.now()): string {
  return `${String(at).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

/** An OpenAI chat completion exchange (non-streamed) asking `prompt` and answering `answer`. */
export function chatExchange(prompt: string, answer: string, model = 'gpt-4o-mini'): Pick<FakeLlmRecord, 'request' | 'response'> {
  return {
    request: {
      method: 'POST',
      scheme: 'https',
      host: 'api.openai.com',
      port: 443,
      path: '/v1/chat/completions',
      headers: [
        ['content-type', 'application/json'],
        ['authorization', '[redacted]'],
      ],
      body: JSON.stringify({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] }),
      bodyEncoding: 'utf8',
      truncated: false,
    },
    response: {
      status: 200,
      headers: [['content-type', 'application/json']],
      body: JSON.stringify({
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      }),
      bodyEncoding: 'utf8',
      truncated: false,
      streamed: false,
    },
  };
}

export function createFakeRecordingsSource(): FakeRecordingsSource {
  const files = new Map<string, string>();
  const source: FakeRecordingsSource = {
    files,
    acknowledged: [],
    collects: 0,
    failCollect: false,
    failAcknowledge: false,
    async collect(): Promise<RawRecordFile[]> {
      source.collects += 1;
      if (source.failCollect) throw new Error('fake: proxy unreachable');
      return [...files.entries()].map(([name, content]) => ({ name, content }));
    },
    async acknowledge(names: string[]): Promise<void> {
      if (source.failAcknowledge) throw new Error('fake: cannot delete');
      source.acknowledged.push([...names]);
      for (const name of names) files.delete(name);
    },
    put(name, content) {
      files.set(name, content);
    },
    putLlm(partial) {
      const startedAt = partial.startedAt ?? new Date().toISOString();
      const id = partial.id ?? fakeRecordId(Date.parse(startedAt));
      const exchange = chatExchange('Hello?', 'Hi!');
      const record: FakeLlmRecord = {
        kind: 'llm',
        version: 1,
        id,
        startedAt,
        finishedAt: new Date(Date.parse(startedAt) + 1200).toISOString(),
        request: exchange.request,
        response: exchange.response,
        error: null,
        ...partial,
      };
      files.set(`llm-${id}.json`, JSON.stringify(record));
      return id;
    },
    putDomains(entries) {
      const name = `domains-${fakeRecordId()}.json`;
      files.set(name, JSON.stringify({ kind: 'domains', version: 1, entries }));
      return name;
    },
  };
  return source;
}

/** A squid access log held in memory: `lines` are appended by the test; `readAccessLog` returns the tail. */
export interface FakeSquidLog extends SquidLogSource {
  lines: string[];
  fail: boolean;
}

export function createFakeSquidLog(): FakeSquidLog {
  const log: FakeSquidLog = {
    lines: [],
    fail: false,
    async readAccessLog(maxBytes: number): Promise<string> {
      if (log.fail) throw new Error('fake: squid log unreadable');
      const text = log.lines.map((line) => `${line}\n`).join('');
      const bytes = Buffer.from(text);
      return bytes.length > maxBytes ? bytes.subarray(bytes.length - maxBytes).toString('utf8') : text;
    },
  };
  return log;
}
