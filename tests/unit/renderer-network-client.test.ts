// The dashboard API client's network calls (issue #5): paths, methods and bodies as the contract says, the token
// only in the Authorization header (never in a URL), answers parsed with the contract schemas, errors in words.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { ApiClient, type FetchFunction } from '../../renderer/src/api/client.js';

function stubFetch(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch, calls };
}

const TOKEN = 'admin-token-123';

function client(status: number, body: unknown) {
  const stub = stubFetch(status, body);
  return { api: new ApiClient({ getToken: () => TOKEN, fetch: stub.fetch }), calls: stub.calls };
}

function header(init: RequestInit | undefined, name: string): string | undefined {
  return (init?.headers as Record<string, string>)[name];
}

describe('ApiClient network calls', () => {
  it('reads and replaces the whitelist', async () => {
    const read = client(200, { success: true, domains: ['.debian.org'], raw: 'acl x' });
    expect((await read.api.getWhitelist()).domains).toEqual(['.debian.org']);
    expect(read.calls[0]!.url).toBe('/api/whitelist');
    const write = client(200, { success: true, domainCount: 2, domains: ['.debian.org', '.pypi.org'] });
    expect((await write.api.updateWhitelist(['pypi.org'])).domains).toEqual(['.debian.org', '.pypi.org']);
    expect(write.calls[0]!.init!.method).toBe('PUT');
    expect(JSON.parse(String(write.calls[0]!.init!.body))).toEqual({ domains: ['pypi.org'] });
  });

  it('passes the 400 of a refused entry on with its details', async () => {
    const body = { success: false, error: 'Whitelist entry "a b" contains a space', code: 'VALIDATION_ERROR', details: { domains: '"a b": contains a space', index: '0' } };
    const { api } = client(400, body);
    const error = await api.updateWhitelist(['a b']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('Whitelist entry "a b" contains a space');
    expect((error as ApiError).details).toEqual({ domains: '"a b": contains a space', index: '0' });
  });

  it('asks for the squid log with lines=N', async () => {
    const { api, calls } = client(200, { success: true, ipAddress: '', logs: [] });
    await api.getSquidLogs('abc123def456', 200);
    expect(calls[0]!.url).toBe('/api/projects/abc123def456/squid-logs?lines=200');
  });

  it('deletes one conversation by its encoded identifier, and all', async () => {
    const one = client(200, { success: true, message: 'Conversation deleted successfully' });
    await one.api.deleteLlmConversation('abc123def456', '1733234567123-0a1b2c3d');
    expect(one.calls[0]!.url).toBe('/api/projects/abc123def456/llm-conversations/1733234567123-0a1b2c3d');
    expect(one.calls[0]!.init!.method).toBe('DELETE');
    // Whatever the identifier, it stays one path segment.
    await one.api.deleteLlmConversation('abc123def456', '../x');
    expect(one.calls[1]!.url).toBe('/api/projects/abc123def456/llm-conversations/..%2Fx');
    const all = client(200, { success: true, message: 'All conversations deleted successfully' });
    await all.api.deleteAllLlmConversations('abc123def456');
    expect(all.calls[0]!.url).toBe('/api/projects/abc123def456/llm-conversations');
    expect(all.calls[0]!.init!.method).toBe('DELETE');
  });

  it('generates documentation with a POST, the token only in the Authorization header', async () => {
    const answer = { success: true, projectId: 'abc123def456', format: 'markdown', type: 'detailed', documentation: '# Notes', conversationCount: 3 };
    const { api, calls } = client(200, answer);
    const result = await api.generateDocumentation('abc123def456', 'detailed');
    expect(result.documentation).toBe('# Notes');
    expect(calls[0]!.url).toBe('/api/projects/abc123def456/generate-documentation');
    expect(calls[0]!.url).not.toContain(TOKEN);
    expect(calls[0]!.init!.method).toBe('POST');
    expect(header(calls[0]!.init, 'Authorization')).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ format: 'markdown', type: 'detailed' });
  });

  it('refuses an answer that does not match the contract', async () => {
    const { api } = client(200, { success: true, projectId: 'x', count: 1, conversations: [{ timestamp: 1 }] });
    const error = await api.listLlmConversations('abc123def456').catch((caught: unknown) => caught);
    expect((error as ApiError).code).toBe('BAD_RESPONSE');
  });
});
