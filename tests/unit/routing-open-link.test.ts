// The dashboard's side of the teacher open link: the API client asks `POST /api/projects/:id/open-link` with
// the bearer token and returns the URL, parsed with the contract; errors keep their code.
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

describe('ApiClient.createOpenLink', () => {
  it('posts with the bearer token and returns the one-time URL', async () => {
    const url = 'http://abc123def456.localhost:8080/__xares/enter?ticket=e1.abc123def456.1.n.m';
    const { fetch, calls } = stubFetch(200, { success: true, url });
    const client = new ApiClient({ getToken: () => 'secret-token', fetch, baseUrl: 'http://localhost:8080' });
    expect(await client.createOpenLink('abc123def456')).toBe(url);
    expect(calls[0]!.url).toBe('http://localhost:8080/api/projects/abc123def456/open-link');
    expect(calls[0]!.init!.method).toBe('POST');
    expect((calls[0]!.init!.headers as Record<string, string>)['Authorization']).toBe('Bearer secret-token');
  });

  it('passes a refusal on as an ApiError with its code, and refuses an answer without a URL', async () => {
    const refused = new ApiClient({ getToken: () => 't', fetch: stubFetch(409, { success: false, error: 'The workspace is not running; start it first', code: 'INVALID_STATE' }).fetch });
    await expect(refused.createOpenLink('abc123def456')).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE' });
    const broken = new ApiClient({ getToken: () => 't', fetch: stubFetch(200, { success: true }).fetch });
    const error = await broken.createOpenLink('abc123def456').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('BAD_RESPONSE');
  });
});
