// The dashboard API client's Git calls (issue #7): paths, methods and bodies as the contract says, answers parsed
// with the contract schemas (a malformed one is BAD_RESPONSE), 409/503 passed on in the server's words.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { ApiClient, type FetchFunction } from '../../renderer/src/api/client.js';

function client(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { api: new ApiClient({ getToken: () => 'admin-token', fetch }), calls };
}

const settingsBody = {
  success: true,
  settings: { enabled: true, mode: 'external', url: 'http://g/', adminTokenSet: true, managedAvailable: false },
  status: { enabled: true, reachable: true, url: 'http://g/', version: '11.0.1', error: null },
};
const repository = { name: 'r', fullName: 'o/r', description: '', url: 'http://g/o/r', cloneUrl: 'http://g/o/r.git', private: false, createdAt: '2026-01-01T00:00:00Z' };

describe('ApiClient Git calls', () => {
  it('reads and saves the settings', async () => {
    const read = client(200, settingsBody);
    expect((await read.api.getGitSettings()).status.version).toBe('11.0.1');
    expect(read.calls[0]!.url).toBe('/api/git/settings');
    const write = client(200, settingsBody);
    await write.api.updateGitSettings({ enabled: true, url: 'http://g/', adminToken: 'secret' });
    expect(write.calls[0]!.init!.method).toBe('PUT');
    expect(JSON.parse(String(write.calls[0]!.init!.body))).toEqual({ enabled: true, url: 'http://g/', adminToken: 'secret' });
    expect(write.calls[0]!.url).not.toContain('secret');
  });

  it('lists and creates repositories', async () => {
    const list = client(200, { success: true, repositories: [repository] });
    expect(await list.api.listGitRepositories()).toEqual([repository]);
    expect(list.calls[0]!.url).toBe('/api/git/repositories');
    const created = client(201, { success: true, repository });
    expect(await created.api.createGitRepository({ name: 'r', private: false })).toEqual(repository);
    expect(created.calls[0]!.init!.method).toBe('POST');
    expect(JSON.parse(String(created.calls[0]!.init!.body))).toEqual({ name: 'r', private: false });
  });

  it('passes 409 and 503 on in the server words and refuses a malformed answer', async () => {
    const duplicate = client(409, { success: false, error: 'A repository named "r" already exists', code: 'GIT_REPO_EXISTS' });
    const error = await duplicate.api.createGitRepository({ name: 'r' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'GIT_REPO_EXISTS', message: 'A repository named "r" already exists' });
    const off = client(503, { success: false, error: 'The Git server is disabled', code: 'SERVICE_UNAVAILABLE' });
    await expect(off.api.listGitRepositories()).rejects.toMatchObject({ status: 503, message: 'The Git server is disabled' });
    const odd = client(200, { success: true, settings: { enabled: true } });
    await expect(odd.api.getGitSettings()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});
