// Recordings repository (SQLite, migration v6) and service: ingest from a fake proxy source, queries, deletes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingsService } from '../../server/services/recordings-service.js';
import { ServiceError } from '../../server/services/service-error.js';
import { openStore, type Store } from '../../server/store/index.js';
import { chatExchange, createFakeRecordingsSource, fakeRecordId } from '../helpers/fake-recordings-source.js';
import { pollUntil } from '../helpers/server.js';

const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';

const stores: { store: Store; dir: string }[] = [];
function newStore(): Store {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-recordings-'));
  const store = openStore(dir);
  stores.push({ store, dir });
  return store;
}
afterEach(() => {
  for (const { store, dir } of stores.splice(0)) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A logger whose warnings the test can read. */
function recordingLogger() {
  const lines: { msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function setup(options: { known?: string[] } = {}) {
  const store = newStore();
  const source = createFakeRecordingsSource();
  const { logger, lines } = recordingLogger();
  const known = options.known;
  const service = new RecordingsService({ repository: store.recordings, source, logger, ...(known ? { isProject: (id: string) => known.includes(id) } : {}) });
  return { store, source, service, lines };
}

describe('RecordingsRepository', () => {
  it('adds domain counts with min/max times per workspace and host', () => {
    const { recordings } = newStore();
    recordings.addDomainCounts([
      { projectId: A, domain: 'pypi.org', count: 2, firstSeen: '2026-02-14T10:05:00Z', lastSeen: '2026-02-14T10:06:00Z' },
      { projectId: A, domain: 'pypi.org', count: 3, firstSeen: '2026-02-14T10:01:00.000Z', lastSeen: '2026-02-14T10:03:00Z' },
      { projectId: B, domain: 'pypi.org', count: 1, firstSeen: '2026-02-14T11:00:00Z', lastSeen: '2026-02-14T11:00:00Z' },
    ]);
    expect(recordings.domains(A)).toEqual([{ domain: 'pypi.org', count: 5, first_seen: '2026-02-14T10:01:00.000Z', last_seen: '2026-02-14T10:06:00.000Z' }]);
    expect(recordings.domains(B)[0]?.count).toBe(1);
  });

  it('stores conversations once, lists them by start time, deletes one, all, and a whole workspace', () => {
    const { recordings } = newStore();
    const row = (projectId: string, id: string, startedAt: string) => ({ projectId, conversationId: id, startedAt, record: `{"id":"${id}"}` });
    expect(
      recordings.insertConversations([
        row(A, '1771063300000-00000002', '2026-02-14T10:01:40Z'),
        row(A, '1771063200000-00000001', '2026-02-14T10:00:00Z'),
        row(A, '1771063200000-00000001', '2026-02-14T10:00:00Z'),
        row(B, '1771063200000-00000001', '2026-02-14T10:00:00Z'),
      ]),
    ).toBe(3);
    expect(recordings.conversations(A).map((c) => c.conversationId)).toEqual(['1771063200000-00000001', '1771063300000-00000002']);
    expect(recordings.deleteConversation(A, '1771063200000-00000001')).toBe(true);
    expect(recordings.deleteConversation(A, '1771063200000-00000001')).toBe(false);
    expect(recordings.hasConversation(B, '1771063200000-00000001')).toBe(true);
    expect(recordings.deleteConversations(A)).toBe(1);
    recordings.addDomainCounts([{ projectId: B, domain: 'x.org', count: 1, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' }]);
    recordings.deleteProject(B);
    expect(recordings.conversations(B)).toEqual([]);
    expect(recordings.domains(B)).toEqual([]);
  });
});

describe('RecordingsService', () => {
  it('ingests llm and domains files, stores them per workspace, acknowledges them', async () => {
    const { source, service } = setup();
    const id = source.putLlm({ user: A, startedAt: '2026-02-14T10:00:00.000Z', ...chatExchange('What is 2+2?', '4') });
    source.putDomains([
      { user: A, host: 'api.openai.com', count: 1, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' },
      { user: B, host: 'pypi.org', count: 4, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:02:00Z' },
    ]);
    const result = await service.ingest();
    expect(result).toEqual({ files: 2, conversations: 1, domainEntries: 2, invalid: 0 });
    expect(source.files.size).toBe(0);
    const conversations = await service.conversations(A);
    expect(conversations).toHaveLength(1);
    expect(conversations[0]).toMatchObject({ timestamp: id, model: 'gpt-4o-mini', answer: '4', usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 } });
    expect(await service.conversations(B)).toEqual([]);
    const domains = await service.recordedDomains(B, '10.1.2.3');
    expect(domains).toMatchObject({ projectId: B, ipAddress: '10.1.2.3', totalDomains: 1, categorized: { 'Package Managers': [{ domain: 'pypi.org', count: 4 }] } });
  });

  it('acknowledges and logs bad files without storing them; ignores names that are not records', async () => {
    const { source, service, lines } = setup();
    source.put('llm-1771063200000-0a1b2c3d.json', '{ not json');
    source.put('domains-1771063200000-0a1b2c3e.json', JSON.stringify({ kind: 'domains', version: 9, entries: [] }));
    source.put('notes.json', '{}');
    source.putLlm({ user: A });
    const result = await service.ingest();
    expect(result).toMatchObject({ files: 3, conversations: 1, invalid: 2 });
    expect([...source.files.keys()]).toEqual(['notes.json']);
    expect(lines.filter((l) => l.msg === 'dropping an invalid logging proxy record').map((l) => l['file'])).toEqual([
      'llm-1771063200000-0a1b2c3d.json',
      'domains-1771063200000-0a1b2c3e.json',
    ]);
  });

  it('drops records of unknown workspaces', async () => {
    const { source, service } = setup({ known: [A] });
    source.putLlm({ user: B });
    source.putDomains([{ user: B, host: 'pypi.org', count: 1, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' }]);
    await service.ingest();
    expect(source.files.size).toBe(0);
    expect(await service.conversations(B)).toEqual([]);
    expect((await service.recordedDomains(B)).totalDomains).toBe(0);
  });

  it('keeps files when the source fails, and never counts a domains file twice when acknowledging fails', async () => {
    const { source, service } = setup();
    source.putDomains([{ user: A, host: 'pypi.org', count: 3, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' }]);
    source.failCollect = true;
    expect(await service.ingest()).toMatchObject({ files: 0 });
    source.failCollect = false;
    source.failAcknowledge = true;
    await service.ingest();
    expect(source.files.size).toBe(1);
    await service.ingest();
    source.failAcknowledge = false;
    await service.ingest();
    expect(source.files.size).toBe(0);
    expect((await service.recordedDomains(A)).domains['pypi.org']?.count).toBe(3);
  });

  it('never runs two ingests at once; calls meanwhile share one more run', async () => {
    const { source, service } = setup();
    let active = 0;
    let most = 0;
    const collect = source.collect.bind(source);
    source.collect = async () => {
      active += 1;
      most = Math.max(most, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
      return collect();
    };
    await Promise.all([service.ingest(), service.ingest(), service.ingest(), service.ingest()]);
    expect(most).toBe(1);
    expect(source.collects).toBe(2);
  });

  it('deletes a conversation only by a well-formed identifier of that workspace', async () => {
    const { source, service } = setup();
    const id = source.putLlm({ user: A });
    const other = source.putLlm({ user: B });
    for (const bad of ['../x', `${id}/..`, id.toUpperCase().replace(/-.*/, '-ABCDEF12'), '', '1771063200000-0a1b2c3', `${id} `]) {
      const error = await service.deleteConversation(A, bad).catch((e: unknown) => e);
      expect(error, bad).toBeInstanceOf(ServiceError);
      expect((error as ServiceError).code, bad).toBe('VALIDATION_ERROR');
    }
    const unknown = await service.deleteConversation(A, fakeRecordId()).catch((e: unknown) => e);
    expect((unknown as ServiceError).code).toBe('NOT_FOUND');
    expect(((await service.deleteConversation(A, other).catch((e: unknown) => e)) as ServiceError).code).toBe('NOT_FOUND');
    await service.deleteConversation(A, id);
    expect(await service.conversations(A)).toEqual([]);
    expect((await service.conversations(B)).map((c) => c.timestamp)).toEqual([other]);
  });

  it('deletes all of a workspace, builds documentation, forgets a deleted workspace', async () => {
    const { source, service } = setup();
    source.putLlm({ user: A, startedAt: '2026-02-14T10:00:00.000Z', ...chatExchange('First question', 'First answer') });
    source.putLlm({ user: A, startedAt: '2026-02-14T10:10:00.000Z', ...chatExchange('Second question', 'Second answer') });
    source.putLlm({ user: B });
    const doc = await service.documentation(A, 'detailed');
    expect(doc.conversationCount).toBe(2);
    expect(doc.documentation).toContain('```text\nFirst question\n```');
    expect(doc.documentation).toContain('Second answer');
    expect(doc.documentation).toContain('- Tokens: 24 in, 10 out, 34 total');
    expect(await service.deleteAll(A)).toBe(2);
    expect(await service.conversations(A)).toEqual([]);
    expect(await service.conversations(B)).toHaveLength(1);
    service.deleteProject(B);
    expect(await service.conversations(B)).toEqual([]);
  });

  it('redacts secret headers and API-key query parameters before storing, whatever the proxy sent', async () => {
    const { store, source, service } = setup();
    const exchange = chatExchange('q', 'a');
    source.putLlm({
      user: A,
      request: { ...exchange.request, path: '/v1beta/models/m:generateContent?alt=sse&key=AIzaSECRET', headers: [['Authorization', 'Bearer sk-SECRET'], ['X-Goog-Api-Key', 'AIzaSECRET']] },
      response: { ...(exchange.response as object), headers: [['Set-Cookie', 'session=SECRET']] },
    });
    await service.ingest();
    const stored = store.recordings.conversations(A)[0]?.record ?? '';
    expect(stored).not.toContain('SECRET');
    expect(stored).toContain('key=[redacted]');
    expect((await service.conversations(A))[0]?.path).toBe('/v1beta/models/m:generateContent');
  });

  it('ingests periodically', async () => {
    const { source, service } = setup();
    service.startPeriodicIngest(20);
    source.putLlm({ user: A });
    await pollUntil(() => source.files.size === 0, { timeoutMs: 5_000, description: 'the periodic ingest' });
    await service.close();
  });

  it('close waits for a running ingest; nothing is ingested after it', async () => {
    const { source, service } = setup();
    let release: () => void = () => undefined;
    const collect = source.collect.bind(source);
    source.collect = async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return collect();
    };
    source.putLlm({ user: A });
    const running = service.ingest();
    let closed = false;
    const closing = service.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    release();
    await closing;
    expect((await running).conversations).toBe(1);
    source.putLlm({ user: A });
    expect(await service.ingest()).toEqual({ files: 0, conversations: 0, domainEntries: 0, invalid: 0 });
    expect(source.files.size).toBe(1);
  });

  it('serves stored recordings without a source', async () => {
    const store = newStore();
    store.recordings.addDomainCounts([{ projectId: A, domain: 'github.com', count: 1, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' }]);
    const service = new RecordingsService({ repository: store.recordings, logger: pino({ level: 'silent' }) });
    expect(await service.ingest()).toEqual({ files: 0, conversations: 0, domainEntries: 0, invalid: 0 });
    expect((await service.recordedDomains(A)).categorized['Version Control']?.[0]?.domain).toBe('github.com');
  });
});
