import { describe, expect, it } from 'vitest';
import type { LlmConversation } from '../../server/contract/index.js';
import { parseRecordFile } from '../../server/services/llm-record.js';
import { documentableConversations, generateDocumentation, groupIntoSessions, promptOf, SESSION_GAP_MS } from '../../server/services/recordings-documentation.js';
import { categorizeDomain, domainMatches, recordedDomainsBody } from '../../server/services/recordings-domains.js';
import { parseSquidLogLine, readWorkspaceSquidLog, workspaceSquidLog } from '../../server/services/squid-log.js';
import { createFakeSquidLog } from '../helpers/fake-recordings-source.js';

describe('domain categories', () => {
  it('matches a pattern exactly or after a dot, never as a substring', () => {
    expect(domainMatches('pypi.org', 'pypi.org')).toBe(true);
    expect(domainMatches('files.pythonhosted.org', 'pythonhosted.org')).toBe(true);
    expect(domainMatches('xpypi.org', 'pypi.org')).toBe(false);
    expect(domainMatches('pypi.org.evil.com', 'pypi.org')).toBe(false);
  });

  it('puts hosts in the first matching category, Other when none', () => {
    expect(categorizeDomain('pypi.org')).toBe('Package Managers');
    expect(categorizeDomain('registry.npmjs.org')).toBe('Package Managers');
    expect(categorizeDomain('deb.debian.org')).toBe('Package Managers');
    expect(categorizeDomain('api.anthropic.com')).toBe('AI APIs');
    expect(categorizeDomain('API.OpenAI.com.')).toBe('AI APIs');
    expect(categorizeDomain('generativelanguage.googleapis.com')).toBe('AI APIs');
    expect(categorizeDomain('z.ai')).toBe('AI APIs');
    expect(categorizeDomain('xz.ai')).toBe('Other');
    expect(categorizeDomain('docs.python.org')).toBe('Documentation');
    // Documentation is tried before Version Control, System after both.
    expect(categorizeDomain('docs.github.com')).toBe('Documentation');
    expect(categorizeDomain('github.com')).toBe('Version Control');
    expect(categorizeDomain('raw.githubusercontent.com')).toBe('Version Control');
    expect(categorizeDomain('update.code.visualstudio.com')).toBe('System');
    expect(categorizeDomain('storage.googleapis.com')).toBe('System');
    expect(categorizeDomain('example.com')).toBe('Other');
  });

  it('builds the response: sorted map, non-empty categories in order, busiest first', () => {
    const row = (domain: string, count: number) => ({ domain, count, first_seen: '2026-02-14T10:00:00.000Z', last_seen: '2026-02-14T11:00:00.000Z' });
    const body = recordedDomainsBody('abcdefabcdef', '10.0.0.2', [row('pypi.org', 3), row('api.anthropic.com', 2), row('files.pythonhosted.org', 9), row('__proto__', 1)]);
    expect(Object.keys(body.domains)).toEqual(['__proto__', 'api.anthropic.com', 'files.pythonhosted.org', 'pypi.org']);
    expect(body.domains['pypi.org']).toEqual({ count: 3, first_seen: '2026-02-14T10:00:00.000Z', last_seen: '2026-02-14T11:00:00.000Z' });
    expect(Object.keys(body.categorized)).toEqual(['Package Managers', 'AI APIs', 'Other']);
    expect(body.categorized['Package Managers']?.map((d) => d.domain)).toEqual(['files.pythonhosted.org', 'pypi.org']);
    expect(body.totalDomains).toBe(4);
    expect(JSON.parse(JSON.stringify(body)).domains.__proto__.count).toBe(1);
  });
});

describe('record files', () => {
  const llm = {
    kind: 'llm',
    version: 1,
    id: '1771063200000-0a1b2c3d',
    user: 'abcdefabcdef',
    startedAt: '2026-02-14T10:00:00.000Z',
    finishedAt: null,
    request: { host: 'api.openai.com', path: '/v1/chat/completions', body: '{}' },
    response: null,
    error: null,
  };

  it('accepts a valid llm record with missing optional fields defaulted', () => {
    const parsed = parseRecordFile('llm-1771063200000-0a1b2c3d.json', JSON.stringify(llm));
    expect(parsed.kind).toBe('llm');
    if (parsed.kind === 'llm') expect(parsed.record.request).toMatchObject({ method: 'POST', port: 443, headers: [], bodyEncoding: 'utf8', truncated: false });
  });

  it('refuses wrong names, non-JSON, wrong kind/version and bad identities', () => {
    expect(parseRecordFile('../llm-1771063200000-0a1b2c3d.json', JSON.stringify(llm)).kind).toBe('invalid');
    expect(parseRecordFile('llm-1771063200000-0a1b2c3d.json', '{nope').kind).toBe('invalid');
    expect(parseRecordFile('llm-1771063200000-0a1b2c3d.json', JSON.stringify({ ...llm, version: 2 })).kind).toBe('invalid');
    expect(parseRecordFile('llm-1771063200000-0a1b2c3d.json', JSON.stringify({ ...llm, id: '../../etc' })).kind).toBe('invalid');
    expect(parseRecordFile('llm-1771063200000-0a1b2c3d.json', JSON.stringify({ ...llm, user: 'ABC' })).kind).toBe('invalid');
    expect(parseRecordFile('llm-1771063200000-0a1b2c3d.json', JSON.stringify({ ...llm, startedAt: 'yesterday' })).kind).toBe('invalid');
    expect(parseRecordFile('domains-1771063200000-0a1b2c3d.json', JSON.stringify(llm)).kind).toBe('invalid');
  });

  it('keeps the good entries of a domains record, lower-cases hosts, skips bad ones', () => {
    const entry = { user: 'abcdefabcdef', host: 'PyPI.org', count: 2, firstSeen: '2026-02-14T10:00:00Z', lastSeen: '2026-02-14T10:01:00Z' };
    const parsed = parseRecordFile(
      'domains-1771063200000-0a1b2c3d.json',
      JSON.stringify({
        kind: 'domains',
        version: 1,
        entries: [entry, { ...entry, count: -1 }, { ...entry, host: 'a b' }, { ...entry, host: 'a/b' }, { ...entry, host: 'a\nb' }, { ...entry, user: 'x' }, 'junk', { ...entry, host: '2001:DB8::1' }],
      }),
    );
    expect(parsed).toEqual({ kind: 'domains', entries: [{ ...entry, host: 'pypi.org' }, { ...entry, host: '2001:db8::1' }], skipped: 6 });
  });
});

describe('squid access log', () => {
  const line = (user: string, status = 'TCP_TUNNEL/200', client = '172.30.0.5', url = 'pypi.org:443') =>
    `1733234567.123   4233 ${client} ${status} 5688 CONNECT ${url} ${user} HIER_DIRECT/151.101.0.223 -`;

  it('parses the contract fields and the user', () => {
    expect(parseSquidLogLine('1733234888.186      0 172.30.0.5 TCP_DENIED/403 3369 GET http://blocked-site.com/ abcdefabcdef HIER_NONE/- text/html')).toEqual({
      timestamp: '1733234888.186',
      duration: '0',
      clientIP: '172.30.0.5',
      status: 'TCP_DENIED/403',
      bytes: '3369',
      method: 'GET',
      url: 'http://blocked-site.com/',
      user: 'abcdefabcdef',
      rawLine: '1733234888.186      0 172.30.0.5 TCP_DENIED/403 3369 GET http://blocked-site.com/ abcdefabcdef HIER_NONE/- text/html',
    });
    for (const bad of ['', 'garbage line', '1733234567.123 4233 172.30.0.5', 'x 1 2 TCP_MISS/200 5 GET u user', '1733234567.123 1 a TCPMISS 5 GET u user']) {
      expect(parseSquidLogLine(bad), bad).toBeNull();
    }
  });

  it('keeps only the exact user, never a substring; drops 407 lines and anonymous lines; last N', () => {
    const log = [
      line('abcdefabcdef', 'TCP_TUNNEL/200', '172.30.0.5', 'one:443'),
      line('abcdefabcdef0'),
      line('xabcdefabcdef'),
      line('abcdefabcdef', 'TCP_DENIED/407', '172.30.0.5', 'claimed:443'),
      line('-'),
      'not a squid line abcdefabcdef',
      line('abcdefabcdef', 'TCP_DENIED/403', '172.30.0.9', 'two:443'),
      line('abcdefabcdef', 'TCP_MISS/200', '172.30.0.9', 'http://three/'),
      '',
    ].join('\r\n');
    expect(workspaceSquidLog(log, 'abcdefabcdef', 50).map((e) => e.url)).toEqual(['one:443', 'two:443', 'http://three/']);
    expect(workspaceSquidLog(log, 'abcdefabcdef', 2).map((e) => e.url)).toEqual(['two:443', 'http://three/']);
    expect(workspaceSquidLog(log, '-', 50)).toEqual([]);
    expect(workspaceSquidLog(log, '', 50)).toEqual([]);
    expect(workspaceSquidLog(log, 'abcdefabcdef', 50)[0]?.rawLine.endsWith('\r')).toBe(false);
  });

  it('reads the tail of the source and drops a first line that may be cut', async () => {
    const source = createFakeSquidLog();
    for (let i = 0; i < 100; i++) source.lines.push(line('abcdefabcdef', 'TCP_TUNNEL/200', '172.30.0.5', `host${i}:443`));
    const all = await readWorkspaceSquidLog(source, 'abcdefabcdef', 500);
    expect(all).toHaveLength(100);
    const lineBytes = Buffer.byteLength(`${source.lines.at(-1)}\n`);
    const tail = await readWorkspaceSquidLog(source, 'abcdefabcdef', 500, lineBytes * 10 + 5);
    expect(tail.map((e) => e.url)).toEqual(Array.from({ length: 10 }, (_, i) => `host${90 + i}:443`));
  });
});

describe('documentation', () => {
  const conversation = (startedAt: string, prompt: string, answer: string, extra: Partial<LlmConversation> = {}): LlmConversation => ({
    timestamp: `${Date.parse(startedAt)}-0a1b2c3d`,
    provider: 'openai',
    host: 'api.openai.com',
    path: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    startedAt,
    durationMs: 2000,
    status: 200,
    streamed: true,
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
      { role: 'user', content: prompt },
    ],
    answer,
    toolCalls: [],
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    error: null,
    truncated: false,
    ...extra,
  });

  const list = [
    conversation('2026-02-14T10:40:00.000Z', 'third', 'C'),
    conversation('2026-02-14T10:00:00.000Z', 'first', 'A'),
    conversation('2026-02-14T10:05:00.000Z', 'second', 'B', { model: 'claude-x', usage: null }),
    conversation('2026-02-14T12:00:00.000Z', '# heading in a prompt\nline two', 'D', { toolCalls: [{ name: 'run`x', input: {} }] }),
  ];

  it('groups by pauses of more than 30 minutes', () => {
    const sessions = groupIntoSessions(list);
    expect(sessions.map((s) => s.map((c) => promptOf(c)))).toEqual([['first', 'second'], ['third'], ['# heading in a prompt\nline two']]);
    // Exactly 30 minutes after the end of the previous one is still the same session.
    const a = conversation('2026-02-14T10:00:00.000Z', 'a', '', { durationMs: 0 });
    const b = conversation(new Date(Date.parse(a.startedAt) + SESSION_GAP_MS).toISOString(), 'b', '');
    expect(groupIntoSessions([a, b])).toHaveLength(1);
  });

  it('clean: prompts and answers as fenced text, no models or tokens', () => {
    const doc = generateDocumentation(list, { projectId: 'abcdefabcdef', type: 'clean', now: new Date('2026-02-15T00:00:00Z') });
    expect(doc.startsWith('# AI Session Documentation\n')).toBe(true);
    expect(doc).toContain('- Sessions: 3');
    expect(doc).toContain('- Exchanges: 4');
    expect(doc).toContain('## Session 1: 2026-02-14 10:00:00 UTC to 2026-02-14 10:05:02 UTC');
    expect(doc).toContain('```text\nfirst\n```\n');
    expect(doc).toContain('```text\n# heading in a prompt\nline two\n```');
    // Rendered, the prompt's "# heading" stays code (tests/unit/recordings-documentation-markdown.test.ts).
    expect(doc).not.toContain('earlier question');
    expect(doc).toContain('- Tool call: `run x`');
    expect(doc).not.toContain('Tokens');
    expect(doc).not.toContain('gpt-4o-mini');
    expect(doc.indexOf('```text\nfirst')).toBeLessThan(doc.indexOf('```text\nsecond'));
  });

  it('detailed: models, times, durations and token totals per exchange, session and document', () => {
    const doc = generateDocumentation(list, { projectId: 'abcdefabcdef', type: 'detailed' });
    expect(doc).toContain('- Tokens: 30 in, 15 out, 45 total'); // document (one exchange reported none)
    expect(doc).toContain('- Models: `claude-x`, `gpt-4o-mini`');
    expect(doc).toContain('- Tokens: 10 in, 5 out, 15 total'); // session 1 and exchanges
    expect(doc).toContain('- Tokens: not reported');
    expect(doc).toContain('- Duration: 2.0 s');
    expect(doc).toContain('- Started: 2026-02-14 10:40:00 UTC');
  });

  it('documents only model calls: exchanges with an answer, tool calls or an error', () => {
    const telemetry = conversation('2026-02-14T10:01:00.000Z', '', '', { messages: [], provider: 'anthropic', path: '/api/event_logging/batch' });
    const countTokens = conversation('2026-02-14T10:02:00.000Z', 'count me', '', { path: '/v1/messages/count_tokens' });
    const failed = conversation('2026-02-14T10:03:00.000Z', 'fails', '', { error: 'HTTP 529: overloaded' });
    const tools = conversation('2026-02-14T10:04:00.000Z', 'use a tool', '', { toolCalls: [{ name: 'ls', input: {} }] });
    expect(documentableConversations([...list, telemetry, countTokens, failed, tools]).map((c) => promptOf(c))).toEqual([
      'third',
      'first',
      'second',
      '# heading in a prompt\nline two',
      'fails',
      'use a tool',
    ]);
    const doc = generateDocumentation([failed], { projectId: 'abcdefabcdef', type: 'clean' });
    expect(doc).toContain('_(no answer: HTTP 529: overloaded)_');
  });

  it('says so when nothing was recorded', () => {
    expect(generateDocumentation([], { projectId: 'abcdefabcdef', type: 'clean' })).toContain('No LLM conversations were recorded');
  });
});
