import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { ApiClient, type FetchFunction } from '../../renderer/src/api/client.js';

const TOKEN = 'admin-token-0123456789';

function client(answer: (url: string, init: RequestInit | undefined) => Response) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    return answer(url, init);
  };
  const unauthorized: ApiError[] = [];
  return { api: new ApiClient({ getToken: () => TOKEN, fetch, onUnauthorized: (error) => unauthorized.push(error) }), calls, unauthorized };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function header(init: RequestInit | undefined, name: string): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.[name];
}

const board = {
  success: true,
  settings: { group: 'ws', registrationOpen: true },
  joinUrl: 'http://192.168.1.20:8080/',
  groups: ['ws'],
  counts: { available: 1, total: 1, claimed: 0 },
  seats: [{ projectId: 'aaaaaaaaaaaa', projectName: 'Seat 1', status: 'running', claim: null }],
};

describe('ApiClient: workshop', () => {
  it('reads the board with the bearer header and checks it against the contract', async () => {
    const ok = client(() => json(200, board));
    expect(await ok.api.getWorkshopBoard()).toEqual(board);
    expect(ok.calls[0]?.url).toBe('/api/workshop/board');
    expect(header(ok.calls[0]?.init, 'Authorization')).toBe(`Bearer ${TOKEN}`);

    const bad = client(() => json(200, { ...board, seats: [{ projectId: 'x' }] }));
    await expect(bad.api.getWorkshopBoard()).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('sends settings changes and releases as JSON', async () => {
    const { api, calls } = client((url) =>
      url.endsWith('/settings')
        ? json(200, { success: true, settings: { group: null, registrationOpen: false } })
        : json(200, {
            success: true,
            released: {
              projectId: 'aaaaaaaaaaaa',
              group: 'ws',
              name: 'Ada',
              email: 'ada@example.org',
              projectName: 'Seat 1',
              workspaceUrl: 'http://x/',
              claimedAt: '2026-12-01T10:00:00.000Z',
              releasedAt: '2026-12-01T11:00:00.000Z',
            },
          }),
    );
    expect(await api.updateWorkshopSettings({ group: null })).toEqual({ group: null, registrationOpen: false });
    expect(calls[0]).toMatchObject({ url: '/api/workshop/settings', init: { method: 'PUT', body: '{"group":null}' } });
    expect((await api.releaseWorkshopClaim('aaaaaaaaaaaa')).releasedAt).toBe('2026-12-01T11:00:00.000Z');
    expect(calls[1]).toMatchObject({ url: '/api/workshop/claims/aaaaaaaaaaaa/release', init: { method: 'POST' } });
  });

  it('downloads the CSV with the token in a header, never in the URL', async () => {
    const { api, calls } = client(
      () => new Response('name,email\r\nAda,ada@example.org\r\n', { status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="workshop-claims-2026-12-01.csv"' } }),
    );
    const { blob, fileName } = await api.downloadWorkshopClaimsCsv();
    expect(fileName).toBe('workshop-claims-2026-12-01.csv');
    expect(await blob.text()).toBe('name,email\r\nAda,ada@example.org\r\n');
    expect(calls[0]?.url).toBe('/api/workshop/claims.csv');
    expect(calls[0]?.url).not.toContain(TOKEN);
    expect(header(calls[0]?.init, 'Authorization')).toBe(`Bearer ${TOKEN}`);
  });

  it('a refused CSV download is an ApiError; 401 signs out', async () => {
    const { api, unauthorized } = client(() => json(401, { success: false, error: 'Sign in again', code: 'UNAUTHORIZED' }));
    await expect(api.downloadWorkshopClaimsCsv()).rejects.toMatchObject({ status: 401, message: 'Sign in again' });
    expect(unauthorized).toHaveLength(1);
    const odd = client(() => new Response('x', { status: 200, headers: { 'Content-Disposition': 'attachment; filename="../../etc/passwd"' } }));
    expect((await odd.api.downloadWorkshopClaimsCsv()).fileName).toBe('workshop-claims.csv');
  });
});
