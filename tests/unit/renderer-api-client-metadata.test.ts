// The dashboard's API client for the metadata routes (issue 3): paths, methods and bodies as the contract
// names them, answers parsed with the contract's schemas, errors (413, PROJECT_EXISTS) as ApiError.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { ApiClient, type FetchFunction } from '../../renderer/src/api/client.js';

function stub(answers: Array<[number, unknown]>) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, method: init?.method ?? 'GET', body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
    const [status, body] = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { client: new ApiClient({ getToken: () => 't', fetch }), calls };
}

const ok = (message: string) => [200, { success: true, message }] as [number, unknown];

describe('ApiClient metadata calls', () => {
  it('reads and writes notes, name and group with the contract paths and bodies', async () => {
    const { client, calls } = stub([
      [200, { success: true, notes: 'hello' }],
      ok('Notes updated successfully'),
      ok('Project name updated successfully'),
      ok('Project group updated successfully'),
      [200, { success: true, groups: ['a', 'b'] }],
      [200, { success: true, diskUsage: { bytes: 1536, totalBytes: 1073741824, readable: '1.5 KB', totalReadable: '1.0 GB' } }],
    ]);
    expect(await client.getNotes('abc123def456')).toBe('hello');
    await client.updateNotes('abc123def456', 'new <b>notes</b>');
    await client.renameProject('abc123def456', 'New Name');
    await client.updateGroup('abc123def456', null);
    expect(await client.listGroups()).toEqual(['a', 'b']);
    expect(await client.getDiskUsage('abc123def456')).toEqual({ bytes: 1536, totalBytes: 1073741824, readable: '1.5 KB', totalReadable: '1.0 GB' });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET /api/projects/abc123def456/notes',
      'PUT /api/projects/abc123def456/notes',
      'PUT /api/projects/abc123def456/name',
      'PUT /api/projects/abc123def456/group',
      'GET /api/projects/groups',
      'GET /api/projects/abc123def456/disk-usage',
    ]);
    expect(calls.map((c) => c.body)).toEqual([undefined, { notes: 'new <b>notes</b>' }, { name: 'New Name' }, { group: null }, undefined, undefined]);
  });

  it('turns 413 and PROJECT_EXISTS into ApiError with the server words', async () => {
    const { client } = stub([
      [413, { success: false, error: 'Notes must be at most 10240 bytes (10 KB); these are 10241 bytes', code: 'PAYLOAD_TOO_LARGE', details: { notes: 'At most 10240 bytes' } }],
      [400, { success: false, error: 'A project named "x" already exists', code: 'PROJECT_EXISTS', details: { name: 'Project name already exists' } }],
    ]);
    const tooLarge = await client.updateNotes('abc123def456', 'x').catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(ApiError);
    expect(tooLarge).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/10 KB/) });
    const exists = await client.renameProject('abc123def456', 'x').catch((e: unknown) => e);
    expect(exists).toMatchObject({ status: 400, code: 'PROJECT_EXISTS', details: { name: 'Project name already exists' } });
  });

  it('refuses an answer that does not match the contract', async () => {
    const { client } = stub([[200, { success: true, diskUsage: { bytes: -1, totalBytes: 0, readable: '', totalReadable: '' } }]]);
    await expect(client.getDiskUsage('abc123def456')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});
