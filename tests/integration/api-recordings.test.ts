// Recordings routes (issue #5) through the real HTTP server and store: recorded domains, LLM conversations,
// deletes (identifier format, ownership), documentation, squid logs; 404 for workspaces not using the proxy.
// The proxies are replaced by fake sources (tests/helpers/fake-recordings-source.ts); the workspaces are records
// written into the data directory before the server starts (no containers are needed for these routes).
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiErrorBody,
  DeleteConversationsResponse,
  GenerateDocumentationResponse,
  LlmConversationsResponse,
  ProxyNotUsedErrorBody,
  RecordedDomainsResponse,
  SquidLogsResponse,
  type ProxyMode,
} from '../../server/contract/index.js';
import type { StartServerOptions } from '../../server/app.js';
import { openStore, type ProjectRecord } from '../../server/store/index.js';
import { chatExchange, createFakeRecordingsSource, createFakeSquidLog, fakeRecordId } from '../helpers/fake-recordings-source.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const LOG1 = 'log1aaaaaaaa';
const LOG2 = 'log2bbbbbbbb';
const SEC1 = 'sec1cccccccc';
const SEC10 = 'sec1cccccccc'.slice(0, 11) + 'd'; // another workspace whose id shares a long prefix
const NONE = 'none11111111';
const UNKNOWN = 'zzzzzzzzzzzz';
const NOT_USED = { success: false, error: 'Workspace not found or not using proxy', code: 'PROJECT_NOT_FOUND', message: 'Workspace not found or not using proxy' };

function project(id: string, proxyMode: ProxyMode): ProjectRecord {
  return {
    id,
    name: `Recordings ${id}`,
    type: 'empty',
    status: 'stopped',
    statusReason: null,
    createdAt: '2026-02-14T09:00:00.000Z',
    lastActivity: null,
    passwordHash: null,
    proxyMode,
    memoryLimit: '1g',
    cpuCores: '1',
    group: null,
    createGitRepo: false,
    gitRepoUrl: null,
    containerId: null,
    image: 'xares/workspace:test',
  };
}

const squidLine = (user: string, status: string, url: string, client = '172.30.0.5') =>
  `1733234567.123   4233 ${client} ${status} 5688 ${url.startsWith('http') ? 'GET' : 'CONNECT'} ${url} ${user} HIER_DIRECT/151.101.0.223 -`;

describe('recordings API', () => {
  const source = createFakeRecordingsSource();
  const squid = createFakeSquidLog();
  let t: TestServer;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'xares-test-data-'));
    const store = openStore(dataDir);
    for (const [id, mode] of [
      [LOG1, 'logging'],
      [LOG2, 'logging'],
      [SEC1, 'security'],
      [SEC10, 'security'],
      [NONE, 'none'],
    ] as const) {
      store.projects.insert(project(id, mode));
    }
    store.close();
    // No proxies, networks or firewall rules: the fakes stand in for what the routes read.
    const startOptions = {
      networkControl: false,
      recordingsSource: source,
      squidLogSource: squid,
      proxyAddressOf: (id: string) => (id === LOG1 ? '10.99.0.2' : id === SEC1 ? '10.98.0.3' : ''),
    } as StartServerOptions;
    t = await startTestServer({ dataDir }, startOptions);
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
  });

  /** A request whose path goes out exactly as written (no URL normalisation of dot segments). */
  function rawRequest(method: string, rawPath: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: t.port, method, path: rawPath, headers: { authorization: `Bearer ${t.token}`, host: `localhost:${t.port}` } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
  }

  it('answers 404 with the contract body for unknown workspaces and wrong proxy modes', async () => {
    for (const [method, url] of [
      ['GET', `/api/projects/${SEC1}/recorded-domains`],
      ['GET', `/api/projects/${NONE}/llm-conversations`],
      ['DELETE', `/api/projects/${NONE}/llm-conversations`],
      ['DELETE', `/api/projects/${SEC1}/llm-conversations/${fakeRecordId()}`],
      ['POST', `/api/projects/${NONE}/generate-documentation`],
      ['GET', `/api/projects/${UNKNOWN}/recorded-domains`],
      ['GET', `/api/projects/${LOG1}/squid-logs`],
      ['GET', `/api/projects/${NONE}/squid-logs`],
      ['GET', `/api/projects/${UNKNOWN}/squid-logs`],
    ] as const) {
      const response = await t.api(method, url);
      expect(response.status, `${method} ${url}`).toBe(404);
      expect(response.body, `${method} ${url}`).toEqual(NOT_USED);
      expect(ProxyNotUsedErrorBody.safeParse(response.body).success).toBe(true);
    }
  });

  it('requires the admin token', async () => {
    const response = await t.api('GET', `/api/projects/${LOG1}/llm-conversations`, undefined, { token: null });
    expect(response.status).toBe(401);
    expect(ApiErrorBody.safeParse(response.body).success).toBe(true);
  });

  it('serves recorded domains per workspace, categorised, with the proxy address', async () => {
    source.putDomains([
      { user: LOG1, host: 'pypi.org', count: 3, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:05:00Z' },
      { user: LOG1, host: 'api.openai.com', count: 1, firstSeen: '2026-02-14T10:01:00Z', lastSeen: '2026-02-14T10:01:00Z' },
      { user: LOG2, host: 'github.com', count: 2, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:00:00Z' },
    ]);
    source.putDomains([{ user: LOG1, host: 'pypi.org', count: 2, firstSeen: '2026-02-14T09:59:00Z', lastSeen: '2026-02-14T10:07:00Z' }]);
    const response = await t.api('GET', `/api/projects/${LOG1}/recorded-domains`);
    expect(response.status).toBe(200);
    const body = RecordedDomainsResponse.parse(response.body);
    expect(body.projectId).toBe(LOG1);
    expect(body.ipAddress).toBe('10.99.0.2');
    expect(body.totalDomains).toBe(2);
    expect(body.domains['pypi.org']).toEqual({ count: 5, first_seen: '2026-02-14T09:59:00.000Z', last_seen: '2026-02-14T10:07:00.000Z' });
    expect(body.categorized['AI APIs']?.map((d) => d.domain)).toEqual(['api.openai.com']);
    expect(body.categorized['Package Managers']?.map((d) => d.domain)).toEqual(['pypi.org']);
    expect(source.files.size).toBe(0); // stored, then removed from the proxy's directory

    const other = RecordedDomainsResponse.parse((await t.api('GET', `/api/projects/${LOG2}/recorded-domains`)).body);
    expect(other.ipAddress).toBe('');
    expect(Object.keys(other.domains)).toEqual(['github.com']);
  });

  let first = '';
  let second = '';
  let others = '';
  it('lists each workspace its own conversations, oldest first, parsed', async () => {
    second = source.putLlm({ user: LOG1, startedAt: '2026-02-14T10:10:00.000Z', ...chatExchange('Second question', 'Second answer') });
    first = source.putLlm({ user: LOG1, startedAt: '2026-02-14T10:00:00.000Z', ...chatExchange('First question', 'First answer', 'gpt-4.1') });
    others = source.putLlm({ user: LOG2, startedAt: '2026-02-14T10:05:00.000Z', ...chatExchange('Not yours', 'No') });
    source.put('llm-1771063200000-ffffffff.json', 'garbage');
    const response = await t.api('GET', `/api/projects/${LOG1}/llm-conversations`);
    expect(response.status).toBe(200);
    const body = LlmConversationsResponse.parse(response.body);
    expect(body).toMatchObject({ success: true, projectId: LOG1, count: 2 });
    expect(body.conversations.map((c) => c.timestamp)).toEqual([first, second]);
    expect(body.conversations[0]).toMatchObject({
      provider: 'openai',
      host: 'api.openai.com',
      path: '/v1/chat/completions',
      model: 'gpt-4.1',
      status: 200,
      streamed: false,
      system: 'Be brief.',
      answer: 'First answer',
      usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
      durationMs: 1200,
      error: null,
    });
    expect(body.conversations[0]?.messages.at(-1)).toEqual({ role: 'user', content: 'First question' });
    expect(JSON.stringify(body)).not.toContain('redacted'); // headers are never part of the answer
    expect(source.files.size).toBe(0); // the garbage file was acknowledged too

    const theirs = LlmConversationsResponse.parse((await t.api('GET', `/api/projects/${LOG2}/llm-conversations`)).body);
    expect(theirs.conversations.map((c) => c.timestamp)).toEqual([others]);
  });

  it('generates markdown documentation, clean by default and detailed on request', async () => {
    const clean = await t.api('POST', `/api/projects/${LOG1}/generate-documentation`, {});
    expect(clean.status).toBe(200);
    const cleanBody = GenerateDocumentationResponse.parse(clean.body);
    expect(cleanBody).toMatchObject({ projectId: LOG1, format: 'markdown', type: 'clean', conversationCount: 2 });
    expect(cleanBody.documentation).toContain('# AI Session Documentation');
    expect(cleanBody.documentation).toContain('```text\nFirst question\n```');
    expect(cleanBody.documentation).not.toContain('Not yours');
    expect(cleanBody.documentation).not.toContain('Tokens');

    const noBody = await t.api('POST', `/api/projects/${LOG1}/generate-documentation`);
    expect(noBody.status).toBe(200);
    expect(noBody.body.type).toBe('clean');

    const detailed = GenerateDocumentationResponse.parse((await t.api('POST', `/api/projects/${LOG1}/generate-documentation`, { format: 'markdown', type: 'detailed' })).body);
    expect(detailed.type).toBe('detailed');
    expect(detailed.documentation).toContain('- Tokens: 24 in, 10 out, 34 total');
    expect(detailed.documentation).toContain('`gpt-4.1`');

    for (const bad of [{ type: 'raw' }, { format: 'html' }, { type: 1 }]) {
      const response = await t.api('POST', `/api/projects/${LOG1}/generate-documentation`, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_ERROR');
    }
  });

  it('deletes one conversation only by a well-formed identifier of that workspace', async () => {
    for (const bad of ['..%2Fx', '..%2F..%2Fetc%2Fpasswd', 'abc', `${first}x`, first.toUpperCase().replace(/-.*/, '-ABCDEF12'), `${first}%0A`]) {
      const response = await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations/${bad}`);
      expect(response.status, bad).toBe(400);
      expect(ApiErrorBody.parse(response.body).code, bad).toBe('VALIDATION_ERROR');
    }
    // `..` itself: fetch would resolve the dot segment (and call DELETE /api/projects/:id), so send the path as is.
    for (const raw of ['..', '%2E%2E', '.%2E', '..%5Cx']) {
      const response = await rawRequest('DELETE', `/api/projects/${LOG1}/llm-conversations/${raw}`);
      expect(response.status, raw).toBe(400);
      expect(ApiErrorBody.parse(JSON.parse(response.body)).code, raw).toBe('VALIDATION_ERROR');
    }
    // Another workspace's conversation is not found from this one, and stays.
    const foreign = await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations/${others}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NOT_FOUND');
    expect((await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations/${fakeRecordId()}`)).status).toBe(404);

    const deleted = await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations/${first}`);
    expect(deleted.status).toBe(200);
    expect(DeleteConversationsResponse.parse(deleted.body)).toEqual({ success: true, message: 'Conversation deleted successfully' });
    const after = LlmConversationsResponse.parse((await t.api('GET', `/api/projects/${LOG1}/llm-conversations`)).body);
    expect(after.conversations.map((c) => c.timestamp)).toEqual([second]);
    expect((await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations/${first}`)).status).toBe(404);
    expect(LlmConversationsResponse.parse((await t.api('GET', `/api/projects/${LOG2}/llm-conversations`)).body).count).toBe(1);
  });

  it('deletes all conversations of one workspace', async () => {
    const response = await t.api('DELETE', `/api/projects/${LOG1}/llm-conversations`);
    expect(response.status).toBe(200);
    expect(DeleteConversationsResponse.parse(response.body)).toEqual({ success: true, message: 'All conversations deleted successfully' });
    expect(LlmConversationsResponse.parse((await t.api('GET', `/api/projects/${LOG1}/llm-conversations`)).body).count).toBe(0);
    expect(LlmConversationsResponse.parse((await t.api('GET', `/api/projects/${LOG2}/llm-conversations`)).body).count).toBe(1);
    // Domains are not conversations: they stay.
    expect(RecordedDomainsResponse.parse((await t.api('GET', `/api/projects/${LOG1}/recorded-domains`)).body).totalDomains).toBe(2);
  });

  it('serves the squid log lines of exactly that workspace, last N, without 407 lines', async () => {
    squid.lines.push(
      squidLine(SEC1, 'TCP_TUNNEL/200', 'pypi.org:443'),
      squidLine(SEC10, 'TCP_TUNNEL/200', 'other.example:443'),
      squidLine(SEC1, 'TCP_DENIED/407', 'claimed.example:443'),
      squidLine('-', 'TCP_DENIED/407', 'anonymous.example:443'),
      squidLine(SEC1, 'TCP_DENIED/403', 'http://blocked.test/'),
      squidLine(SEC1, 'TCP_MISS/200', 'http://allowed.test/', '172.30.0.50'),
    );
    const all = await t.api('GET', `/api/projects/${SEC1}/squid-logs`);
    expect(all.status).toBe(200);
    const body = SquidLogsResponse.parse(all.body);
    expect(body.ipAddress).toBe('10.98.0.3');
    expect(body.logs.map((l) => l.url)).toEqual(['pypi.org:443', 'http://blocked.test/', 'http://allowed.test/']);
    expect(body.logs[1]).toEqual({
      timestamp: '1733234567.123',
      duration: '4233',
      clientIP: '172.30.0.5',
      status: 'TCP_DENIED/403',
      bytes: '5688',
      method: 'GET',
      url: 'http://blocked.test/',
      user: SEC1,
      rawLine: squidLine(SEC1, 'TCP_DENIED/403', 'http://blocked.test/'),
    });
    const two = SquidLogsResponse.parse((await t.api('GET', `/api/projects/${SEC1}/squid-logs?lines=2`)).body);
    expect(two.logs.map((l) => l.url)).toEqual(['http://blocked.test/', 'http://allowed.test/']);
    const neighbour = SquidLogsResponse.parse((await t.api('GET', `/api/projects/${SEC10}/squid-logs?lines=500`)).body);
    expect(neighbour.logs.map((l) => l.url)).toEqual(['other.example:443']);

    for (const bad of ['0', '501', '-1', 'abc', '1.5', '', '10&lines=20']) {
      const response = await t.api('GET', `/api/projects/${SEC1}/squid-logs?lines=${bad}`);
      expect(response.status, bad).toBe(400);
      expect(ApiErrorBody.parse(response.body).code).toBe('VALIDATION_ERROR');
    }
  });

  it('answers 503 when the squid log cannot be read', async () => {
    squid.fail = true;
    try {
      const response = await t.api('GET', `/api/projects/${SEC1}/squid-logs`);
      expect(response.status).toBe(503);
      expect(ApiErrorBody.parse(response.body).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      squid.fail = false;
    }
  });

  it('forgets the recordings of a deleted workspace', async () => {
    expect((await t.server.recordings.conversations(LOG2)).length).toBe(1);
    const deleted = await t.api('DELETE', `/api/projects/${LOG2}`);
    expect(deleted.status).toBe(200);
    expect(await t.server.recordings.conversations(LOG2)).toEqual([]);
    expect((await t.server.recordings.recordedDomains(LOG2)).totalDomains).toBe(0);
    expect((await t.api('GET', `/api/projects/${LOG2}/llm-conversations`)).body).toEqual(NOT_USED);
    // Records the proxy still held for it are dropped at the next ingest.
    source.putLlm({ user: LOG2 });
    await t.server.recordings.ingest();
    expect(source.files.size).toBe(0);
    expect(await t.server.recordings.conversations(LOG2)).toEqual([]);
  });
});
