/**
 * Workshop API on the real server (issue #4 "Workshop"), with seats that "run" on a fake runtime
 * (tests/helpers/fake-seat-runtime.ts: no Docker, a loopback health server), so 40 running seats cost nothing.
 * Everything between HTTP and SQLite is real: routers, auth, the claim transaction, the gate's cookies.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiErrorBody,
  ClaimConflictResponse,
  ClaimResponse,
  ClaimsResponse,
  MySeatResponse,
  ReleaseResponse,
  WorkshopBoardResponse,
  WorkshopSettingsResponse,
  WorkshopStatusResponse,
} from '../../server/contract/index.js';
import { detectLanIPv4 } from '../../server/routing/public-urls.js';
import { CLAIM_RATE_LIMIT } from '../../server/http/workshop-router.js';
import { WORKSHOP_MESSAGES } from '../../server/services/workshop-messages.js';
import { openStore } from '../../server/store/index.js';
import { openServerEvents } from '../helpers/event-stream.js';
import { startFakeSeatRuntime, type FakeSeatRuntime } from '../helpers/fake-seat-runtime.js';
import { pollUntil, startTestServer, type TestServer } from '../helpers/server.js';

const GROUP = 'workshop-room';
const SEATS = 40;

interface RawResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** One HTTP request to 127.0.0.1:port with any Host header (fetch cannot set Host). */
function raw(port: number, method: string, path: string, options: { host?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          host: options.host ?? `localhost:${port}`,
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The `name=value` part of the Set-Cookie named `name`, plus its attributes. */
function setCookieOf(headers: http.IncomingHttpHeaders | Headers, name: string): string | undefined {
  const list = headers instanceof Headers ? headers.getSetCookie() : (headers['set-cookie'] ?? []);
  return list.find((cookie) => cookie.startsWith(`${name}=`));
}

function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0] as string;
}

async function createSeats(t: TestServer, count: number, prefix: string, group: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, (_, i) =>
        t.api('POST', '/api/projects/create', { projectName: `${prefix} ${start + i + 1}`, projectType: 'empty', group }),
      ),
    );
    for (const reply of batch) {
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      ids.push(reply.body.project.id as string);
    }
  }
  return ids;
}

async function waitForAvailable(t: TestServer, available: number): Promise<void> {
  await pollUntil(
    async () => {
      const status = await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null });
      return status.body.available === available;
    },
    { timeoutMs: 30_000, description: `${available} free seats` },
  );
}

function claim(t: TestServer, name: string, email: string, headers: Record<string, string> = {}) {
  return t.api('POST', '/api/workshop/claim', { name, email }, { token: null, headers });
}

describe('workshop API', () => {
  let fake: FakeSeatRuntime;
  let t: TestServer;
  let seatIds: string[];

  beforeAll(async () => {
    fake = await startFakeSeatRuntime();
    t = await startTestServer(
      { workshopGroup: GROUP, maxConcurrentWorkspaces: 200, maxWorkspaces: 200 },
      { runtime: fake.runtime, claimRateLimit: 10_000 },
    );
    seatIds = await createSeats(t, SEATS, 'Seat', GROUP);
    await waitForAvailable(t, SEATS);
  }, 120_000);

  afterAll(async () => {
    await t?.dispose();
    await fake?.close();
  });

  it('100 simultaneous claims against 40 free seats: exactly 40 distinct seats, 60 × 503, 40 active claims in the database', async () => {
    const events = await openServerEvents(t.url, t.token);
    try {
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => claim(t, `Participant ${i}`, `p${i}@example.org`)));
      const ok = replies.filter((r) => r.status === 200);
      const full = replies.filter((r) => r.status === 503);
      expect(ok).toHaveLength(40);
      expect(full).toHaveLength(60);
      for (const reply of ok) ClaimResponse.parse(reply.body);
      for (const reply of full) {
        expect(ApiErrorBody.parse(reply.body)).toMatchObject({ success: false, code: 'NO_SEATS_AVAILABLE', error: WORKSHOP_MESSAGES.en.noSeatsAvailable });
        expect(setCookieOf(reply.headers, 'xares_participant')).toBeUndefined();
      }
      const seats = new Set(ok.map((r) => r.body.workspaceUrl as string));
      expect(seats.size).toBe(40);
      expect([...seats].map((url) => new URL(url).hostname.split('.')[0]).sort()).toEqual([...seatIds].sort());
      expect(new Set(ok.map((r) => r.body.projectName)).size).toBe(40);

      const store = openStore(t.dataDir);
      try {
        const active = store.workshop.active();
        expect(active).toHaveLength(40);
        expect(new Set(active.map((c) => c.projectId)).size).toBe(40);
        expect(new Set(active.map((c) => c.emailNorm)).size).toBe(40);
      } finally {
        store.close();
      }
      const status = await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null });
      expect(status.body).toEqual({ available: 0, total: 40, claimed: 40, registrationOpen: true, group: GROUP });
      await pollUntil(() => events.events.some((e) => e.type === 'workshop.changed'), { timeoutMs: 5_000, description: 'workshop.changed' });
    } finally {
      await events.close();
    }

    // Free every seat again for the following tests (admin release, bearer token).
    for (const id of seatIds) expect((await t.api('POST', `/api/workshop/claims/${id}/release`)).status).toBe(200);
    await waitForAvailable(t, SEATS);
  }, 120_000);

  it('GET /api/workshop/status is public and has the contract shape', async () => {
    const reply = await t.api('GET', '/api/workshop/status', undefined, { token: null });
    expect(reply.status).toBe(200);
    expect(WorkshopStatusResponse.strict().parse(reply.body)).toEqual({ available: 40, total: 40, claimed: 0, registrationOpen: true, group: GROUP });
  });

  it('a claim sets the HttpOnly participant cookie; the same e-mail (any case, spaces) gets 409 with its seat and no cookie', async () => {
    const first = await claim(t, '  Max Mustermann ', 'Max@Example.org');
    expect(first.status).toBe(200);
    const body = ClaimResponse.strict().parse(first.body);
    expect(body.projectName).toBe('Seat 1');
    expect(body.enterUrl).toBe('/join/enter');
    expect(body.workspaceUrl).toBe(`http://${seatIds[0]}.localhost:${t.port}/`);
    const cookie = setCookieOf(first.headers, 'xares_participant') as string;
    expect(cookie).toMatch(/^xares_participant=p1\.\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    // No secret in the answer.
    expect(JSON.stringify(first.body)).not.toMatch(/claimKey|p1\./);

    const again = await claim(t, 'Someone', ' max@EXAMPLE.org ');
    expect(again.status).toBe(409);
    expect(ClaimConflictResponse.strict().parse(again.body)).toEqual({
      success: false,
      error: 'This e-mail address is already registered.',
      code: 'ALREADY_CLAIMED',
      workspaceUrl: body.workspaceUrl,
      projectName: 'Seat 1',
    });
    expect(again.headers.getSetCookie()).toEqual([]);

    const german = await claim(t, 'Someone', 'max@example.org', { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' });
    expect(german.status).toBe(409);
    expect(german.body.error).toBe('Diese E-Mail-Adresse ist bereits registriert.');

    const me = await t.api('GET', '/api/workshop/me', undefined, { token: null, headers: { cookie: cookiePair(cookie) } });
    expect(me.status).toBe(200);
    expect(MySeatResponse.strict().parse(me.body)).toMatchObject({ name: 'Max Mustermann', projectName: 'Seat 1', workspaceUrl: body.workspaceUrl, enterUrl: '/join/enter' });

    const claims = await t.api('GET', '/api/workshop/claims');
    expect(claims.status).toBe(200);
    const list = ClaimsResponse.parse(claims.body);
    expect(list.claims).toHaveLength(1);
    expect(list.claims[0]).toMatchObject({ projectId: seatIds[0], group: GROUP, name: 'Max Mustermann', email: 'Max@Example.org', projectName: 'Seat 1', workspaceUrl: body.workspaceUrl });
    expect(JSON.stringify(claims.body)).not.toMatch(/claimKey|claim_key|emailNorm/);

    // Release: 200 with the released claim, then the cookie is worthless and the seat is free again.
    const released = await t.api('POST', `/api/workshop/claims/${seatIds[0]}/release`);
    expect(released.status).toBe(200);
    expect(ReleaseResponse.parse(released.body).released).toMatchObject({ projectId: seatIds[0], name: 'Max Mustermann', releasedAt: expect.any(String) });
    const gone = await t.api('GET', '/api/workshop/me', undefined, { token: null, headers: { cookie: cookiePair(cookie), 'accept-language': 'de' } });
    expect(gone.status).toBe(404);
    expect(ApiErrorBody.parse(gone.body)).toMatchObject({ code: 'NOT_FOUND', error: WORKSHOP_MESSAGES.de.noActiveSeat });
    const history = ClaimsResponse.parse((await t.api('GET', '/api/workshop/claims')).body).history;
    expect(history.find((c) => c.projectId === seatIds[0] && c.name === 'Max Mustermann')?.releasedAt).toBe(released.body.released.releasedAt);
    expect((await t.api('POST', `/api/workshop/claims/${seatIds[0]}/release`)).body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect((await t.api('POST', '/api/workshop/claims/nonexistent/release')).status).toBe(404);
    await waitForAvailable(t, SEATS);
  });

  it('refuses bad claims with the contract error shape in the participant language (never 500)', async () => {
    const cases: [unknown, string, string][] = [
      [{ email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.invalidName],
      [{ name: '   ', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.invalidName],
      [{ name: 'x'.repeat(101), email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.invalidName],
      [{ name: 'Bad\u0000Name', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.nameCharacters],
      [{ name: 'Ada\u202Eecila', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.nameCharacters],
      [{ name: 'A\u200Bda', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.nameCharacters],
      [{ name: '\u3164', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.nameCharacters],
      [{ name: 'Ann\u2028Lee', email: 'a@example.org' }, 'name', WORKSHOP_MESSAGES.en.nameCharacters],
      [{ name: 'Ann', email: 'a\u200B@example.org' }, 'email', WORKSHOP_MESSAGES.en.invalidEmail],
      [{ name: 'Ann', email: 'not-an-email' }, 'email', WORKSHOP_MESSAGES.en.invalidEmail],
      [{ name: 'Ann', email: 'a@b' }, 'email', WORKSHOP_MESSAGES.en.invalidEmail],
      [{ name: 'Ann', email: `${'a'.repeat(250)}@example.org` }, 'email', WORKSHOP_MESSAGES.en.invalidEmail],
      [{ name: 'Ann', email: 42 }, 'email', WORKSHOP_MESSAGES.en.invalidEmail],
      [[1, 2], 'body', WORKSHOP_MESSAGES.en.invalidRequest],
    ];
    for (const [body, field, message] of cases) {
      const reply = await t.api('POST', '/api/workshop/claim', body, { token: null });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(ApiErrorBody.parse(reply.body)).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: message, details: { [field]: message } });
    }
    const blankDe = await t.api('POST', '/api/workshop/claim', { name: '\u2800\u2800', email: 'a@example.org' }, { token: null, headers: { 'accept-language': 'de' } });
    expect(blankDe.body).toMatchObject({ code: 'VALIDATION_ERROR', error: WORKSHOP_MESSAGES.de.nameCharacters });
    expect(WORKSHOP_MESSAGES.en.nameCharacters).toMatch(/characters that cannot be used/);
    const german = await t.api('POST', '/api/workshop/claim', { name: 'Ann', email: 'nope' }, { token: null, headers: { 'accept-language': 'de' } });
    expect(german.body).toMatchObject({ code: 'VALIDATION_ERROR', error: WORKSHOP_MESSAGES.de.invalidEmail });
    const malformed = await t.api('POST', '/api/workshop/claim', undefined, { token: null, rawBody: '{"name":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    const notJson = await t.api('POST', '/api/workshop/claim', undefined, { token: null, rawBody: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(notJson.status).toBe(415);
    expect(notJson.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE', error: WORKSHOP_MESSAGES.en.unsupportedMediaType });
    // The body errors of the claim route speak the participant's language too.
    const form = await t.api('POST', '/api/workshop/claim', undefined, {
      token: null,
      rawBody: 'name=a&email=a%40example.org',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de' },
    });
    expect(form.status).toBe(415);
    expect(ApiErrorBody.parse(form.body)).toEqual({
      success: false,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      error: WORKSHOP_MESSAGES.de.unsupportedMediaType,
      details: { body: WORKSHOP_MESSAGES.de.unsupportedMediaType },
    });
    const huge = await t.api('POST', '/api/workshop/claim', { name: 'A', email: 'a@example.org', pad: 'x'.repeat(40_000) }, { token: null });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE', error: WORKSHOP_MESSAGES.en.payloadTooLarge });
    const hugeDe = await t.api('POST', '/api/workshop/claim', { name: 'A', email: 'a@example.org', pad: 'x'.repeat(40_000) }, { token: null, headers: { 'accept-language': 'de' } });
    expect(hugeDe.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', error: WORKSHOP_MESSAGES.de.payloadTooLarge });
    const malformedDe = await t.api('POST', '/api/workshop/claim', undefined, { token: null, rawBody: '{"name":', headers: { 'accept-language': 'de' } });
    expect(malformedDe.body).toMatchObject({ code: 'VALIDATION_ERROR', error: WORKSHOP_MESSAGES.de.invalidRequest });
    const encodings: Record<string, string>[] = [{ 'content-type': 'application/json; charset=latin1' }, { 'content-encoding': 'gzip' }];
    for (const headers of encodings) {
      const reply = await t.api('POST', '/api/workshop/claim', { name: 'A', email: 'a@example.org' }, { token: null, headers });
      expect(reply.status, JSON.stringify(headers)).toBe(415);
      expect(reply.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE', error: WORKSHOP_MESSAGES.en.unsupportedMediaType });
    }
    for (const rawBody of ['42', 'null', '"text"']) {
      const reply = await t.api('POST', '/api/workshop/claim', undefined, { token: null, rawBody });
      expect(reply.status, rawBody).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: WORKSHOP_MESSAGES.en.invalidRequest });
    }
    const utf8 = await t.api('POST', '/api/workshop/claim', undefined, { token: null, rawBody: JSON.stringify({ name: 'Jürgen Ößwald 😀', email: 'bad' }), headers: { 'content-type': 'application/json; charset=UTF-8' } });
    expect(utf8.body).toMatchObject({ code: 'VALIDATION_ERROR', details: { email: WORKSHOP_MESSAGES.en.invalidEmail } });
    const me = await t.api('GET', '/api/workshop/me', undefined, { token: null, headers: { cookie: 'xares_participant=p1.1.forged' } });
    expect(me.status).toBe(404);
    expect((await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null })).body.claimed).toBe(0);
  });

  it('admin endpoints: 401 without or with a wrong credential, 200 with the bearer token or ?password=', async () => {
    const adminPaths: [string, string][] = [
      ['GET', '/api/workshop/claims'],
      ['GET', '/api/workshop/settings'],
      ['GET', '/api/workshop/board'],
      ['GET', '/api/workshop/claims.csv'],
      ['POST', `/api/workshop/claims/${seatIds[1]}/release`],
      ['PUT', '/api/workshop/settings'],
    ];
    for (const [method, path] of adminPaths) {
      const body = method === 'PUT' ? { registrationOpen: true } : undefined;
      const none = await t.api(method, path, body, { token: null });
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(ApiErrorBody.parse(none.body).code).toBe('UNAUTHORIZED');
      expect((await t.api(method, path, body, { token: 'wrong-token-wrong-token' })).status).toBe(401);
      expect((await t.api(method, `${path}?password=wrong-token`, body, { token: null })).status).toBe(401);
      expect((await t.api(method, `${path}?password=`, body, { token: null })).status).toBe(401);
    }
    expect((await t.api('GET', '/api/workshop/claims')).status).toBe(200);
    const byQuery = await t.api('GET', `/api/workshop/claims?password=${encodeURIComponent(t.token)}`, undefined, { token: null });
    expect(byQuery.status).toBe(200);
    expect(ClaimsResponse.parse(byQuery.body)).toBeTruthy();
    // Compatibility path of the contract: release with ?password=.
    const ok = await claim(t, 'Query User', 'query@example.org');
    expect(ok.status).toBe(200);
    const projectId = new URL(ok.body.workspaceUrl).hostname.split('.')[0] as string;
    const release = await t.api('POST', `/api/workshop/claims/${projectId}/release?password=${encodeURIComponent(t.token)}`, undefined, { token: null });
    expect(release.status).toBe(200);
    expect(release.body.released).toMatchObject({ name: 'Query User' });
    // Other admin API stays bearer-only.
    expect((await t.api('GET', `/api/projects/?password=${encodeURIComponent(t.token)}`, undefined, { token: null })).status).toBe(401);
    expect((await t.api('GET', '/api/workshop/unknown')).status).toBe(404);
  });

  it('settings: GET/PUT with validation; closed registration is 403 REGISTRATION_CLOSED in the participant language', async () => {
    const current = await t.api('GET', '/api/workshop/settings');
    expect(WorkshopSettingsResponse.parse(current.body).settings).toEqual({ group: GROUP, registrationOpen: true });
    for (const bad of [{ registrationOpen: 'yes' }, { group: 'x'.repeat(51) }, { other: 1 }, { group: 'a\nb' }]) {
      const reply = await t.api('PUT', '/api/workshop/settings', bad);
      expect(reply.status, JSON.stringify(bad)).toBe(400);
      expect(ApiErrorBody.parse(reply.body).code).toBe('VALIDATION_ERROR');
    }
    const closed = await t.api('PUT', '/api/workshop/settings', { registrationOpen: false });
    expect(closed.body).toEqual({ success: true, settings: { group: GROUP, registrationOpen: false } });
    const refused = await claim(t, 'Late', 'late@example.org', { 'accept-language': 'de' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ success: false, code: 'REGISTRATION_CLOSED', error: WORKSHOP_MESSAGES.de.registrationClosed });
    expect((await t.api('GET', '/api/workshop/status', undefined, { token: null })).body).toMatchObject({ registrationOpen: false, available: 40 });
    const noGroup = await t.api('PUT', '/api/workshop/settings', { group: null });
    expect(noGroup.body.settings).toEqual({ group: null, registrationOpen: false });
    expect((await t.api('PUT', '/api/workshop/settings', { registrationOpen: true })).status).toBe(400);
    expect((await claim(t, 'Late', 'late@example.org')).status).toBe(403);
    const reopened = await t.api('PUT', '/api/workshop/settings', { group: GROUP, registrationOpen: true });
    expect(reopened.body.settings).toEqual({ group: GROUP, registrationOpen: true });
  });

  it('board and CSV export', async () => {
    const ok = await claim(t, '=HYPERLINK("http://evil.example")', 'csv@example.org');
    expect(ok.status).toBe(200);
    const board = await t.api('GET', '/api/workshop/board');
    expect(board.status).toBe(200);
    const parsed = WorkshopBoardResponse.parse(board.body);
    expect(parsed.settings).toEqual({ group: GROUP, registrationOpen: true });
    expect(parsed.groups).toContain(GROUP);
    expect(parsed.counts).toEqual({ available: 39, total: 40, claimed: 1 });
    expect(parsed.seats).toHaveLength(40);
    expect(parsed.seats.slice(0, 3).map((s) => s.projectName)).toEqual(['Seat 1', 'Seat 2', 'Seat 3']);
    expect(parsed.seats[9]?.projectName).toBe('Seat 10');
    expect(parsed.seats.filter((s) => s.claim !== null).map((s) => s.claim?.email)).toEqual(['csv@example.org']);
    expect(parsed.joinUrl).toMatch(new RegExp(`^http://[^/]+:${t.port}/$`));

    const csv = await fetch(`${t.url}/api/workshop/claims.csv`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="workshop-claims-\d{4}-\d\d-\d\d\.csv"$/);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"")","csv@example.org"`);
    expect(text).toContain('"released"');
    expect(text.split('\r\n')[0]).toBe('"Status","Group","Workspace ID","Workspace","Name","E-mail","Claimed at","Released at"');
    expect(text).toContain(`"active","${GROUP}","`);

    const projectId = new URL(ok.body.workspaceUrl).hostname.split('.')[0] as string;
    expect((await t.api('POST', `/api/workshop/claims/${projectId}/release`)).status).toBe(200);
  });

  it('GET /join/enter: 303 to / without a valid cookie; on localhost a single-use enter ticket for the seat host', async () => {
    const none = await raw(t.port, 'GET', '/join/enter');
    expect(none.status).toBe(303);
    expect(none.headers.location).toBe('/');
    expect(none.headers['set-cookie']).toBeUndefined();
    const forged = await raw(t.port, 'GET', '/join/enter', { headers: { cookie: 'xares_participant=p1.1.AAAA' } });
    expect(forged.headers.location).toBe('/');

    const ok = await claim(t, 'Enter Me', 'enter@example.org');
    const projectId = new URL(ok.body.workspaceUrl).hostname.split('.')[0] as string;
    const participant = cookiePair(setCookieOf(ok.headers, 'xares_participant') as string);
    const enter = await raw(t.port, 'GET', '/join/enter', { headers: { cookie: participant } });
    expect(enter.status).toBe(303);
    const location = new URL(enter.headers.location as string);
    expect(`${location.protocol}//${location.host}`).toBe(`http://${projectId}.localhost:${t.port}`);
    expect(location.pathname).toBe('/__xares/enter');
    const ticket = location.searchParams.get('ticket') as string;
    expect(ticket).toMatch(/^e1\./);
    expect(enter.headers['cache-control']).toBe('no-store');

    // Without a session the claimed seat shows the gate's page; the ticket sets a seat session once.
    const seatHost = `${projectId}.localhost:${t.port}`;
    expect((await raw(t.port, 'GET', '/', { host: seatHost })).status).toBe(401);
    const redeemed = await raw(t.port, 'GET', `/__xares/enter?ticket=${encodeURIComponent(ticket)}`, { host: seatHost });
    expect(redeemed.status).toBe(303);
    const session = setCookieOf(redeemed.headers, `xares_gate_${projectId}`) as string;
    expect(session).toMatch(/=s1\./);
    const inside = await raw(t.port, 'GET', '/healthz', { host: seatHost, headers: { cookie: cookiePair(session) } });
    expect(inside.status).toBe(200);
    expect((await raw(t.port, 'GET', `/__xares/enter?ticket=${encodeURIComponent(ticket)}`, { host: seatHost })).status).toBe(401);

    // Releasing the seat ends that session at once (its claim key is gone from the route).
    expect((await t.api('POST', `/api/workshop/claims/${projectId}/release`)).status).toBe(200);
    const after = await raw(t.port, 'GET', '/healthz', { host: seatHost, headers: { cookie: cookiePair(session) } });
    expect(after.status).toBe(200); // unclaimed and unprotected: open again, as any unprotected workspace
    const reclaimed = await claim(t, 'Next', 'next@example.org');
    expect(new URL(reclaimed.body.workspaceUrl).hostname.split('.')[0]).toBe(projectId);
    const stale = await raw(t.port, 'GET', '/healthz', { host: seatHost, headers: { cookie: cookiePair(session) } });
    expect(stale.status).toBe(401);
    expect((await t.api('POST', `/api/workshop/claims/${projectId}/release`)).status).toBe(200);
  });

  it.skipIf(detectLanIPv4() === undefined)('on a LAN host: workspaceUrl is a path seat, /join/enter sets the seat cookie for /w/<id>/', async () => {
    const lanHost = `${detectLanIPv4()}:${t.port}`;
    const reply = await raw(t.port, 'POST', '/api/workshop/claim', { host: lanHost, body: { name: 'Lan', email: 'lan@example.org' } });
    expect(reply.status).toBe(200);
    const projectId = seatIds[0] as string;
    expect(reply.json).toMatchObject({ workspaceUrl: `http://${lanHost}/w/${projectId}/`, projectName: 'Seat 1', enterUrl: '/join/enter' });
    const participant = cookiePair(setCookieOf(reply.headers, 'xares_participant') as string);
    const me = await raw(t.port, 'GET', '/api/workshop/me', { host: lanHost, headers: { cookie: participant } });
    expect(me.json).toMatchObject({ workspaceUrl: `http://${lanHost}/w/${projectId}/` });

    const enter = await raw(t.port, 'GET', '/join/enter', { host: lanHost, headers: { cookie: participant } });
    expect(enter.status).toBe(303);
    expect(enter.headers.location).toBe(`/w/${projectId}/`);
    const seatCookie = setCookieOf(enter.headers, `xares_gate_${projectId}`) as string;
    expect(seatCookie).toMatch(new RegExp(`^xares_gate_${projectId}=s1\\.[^;]+; Path=/w/${projectId}/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));

    // The seat: refused without the cookie, open with it.
    expect((await raw(t.port, 'GET', `/w/${projectId}/healthz`, { host: lanHost })).status).toBe(401);
    expect((await raw(t.port, 'GET', `/w/${projectId}/healthz`, { host: lanHost, headers: { cookie: cookiePair(seatCookie) } })).status).toBe(200);
    // Admin endpoints are never served on a participant host, whatever credential comes along.
    for (const path of ['/api/workshop/claims', `/api/workshop/claims?password=${encodeURIComponent(t.token)}`, '/api/workshop/board', '/api/workshop/claims.csv']) {
      const reply = await raw(t.port, 'GET', path, { host: lanHost, headers: { authorization: `Bearer ${t.token}` } });
      expect(reply.status, path).toBe(403);
      expect(reply.text).not.toContain('lan@example.org');
    }
    expect((await t.api('POST', `/api/workshop/claims/${projectId}/release`)).status).toBe(200);
  });

  it('deleting a claimed workspace releases its claim and keeps it in the history', async () => {
    const [extra] = await createSeats(t, 1, 'Zz Extra', GROUP);
    await waitForAvailable(t, SEATS + 1);
    // Fill the 40 seats first (natural order puts "Zz Extra 1" last), then the extra one.
    const replies = await Promise.all(Array.from({ length: 41 }, (_, i) => claim(t, `Del ${i}`, `del${i}@example.org`)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const holder = replies.find((r) => r.body.projectName === 'Zz Extra 1');
    expect(holder).toBeTruthy();
    expect((await t.api('DELETE', `/api/projects/${extra}`, {})).status).toBe(200);
    const list = ClaimsResponse.parse((await t.api('GET', '/api/workshop/claims')).body);
    expect(list.claims.some((c) => c.projectId === extra)).toBe(false);
    expect(list.history.find((c) => c.projectId === extra)).toMatchObject({ projectName: 'Zz Extra 1', releasedAt: expect.any(String) });
    expect(list.claims).toHaveLength(40);
  });

  it('claims and history survive a restart', async () => {
    const before = ClaimsResponse.parse((await t.api('GET', '/api/workshop/claims')).body);
    t = await t.restart();
    const after = ClaimsResponse.parse((await t.api('GET', '/api/workshop/claims')).body);
    const strip = (list: typeof before) => ({
      claims: list.claims.map(({ workspaceUrl: _, ...rest }) => rest),
      history: list.history.map(({ workspaceUrl: _, ...rest }) => rest),
    });
    expect(strip(after)).toEqual(strip(before));
    expect(after.claims).toHaveLength(40);
    // The claim keys came back too: a claimed seat is still gated.
    await pollUntil(async () => (await raw(t.port, 'GET', '/healthz', { host: `${after.claims[0]?.projectId}.localhost:${t.port}` })).status === 401, {
      timeoutMs: 15_000,
      description: 'claimed seat gated after restart',
    });
  });
});

describe('workshop templates and groups', () => {
  let fake: FakeSeatRuntime;
  let t: TestServer;

  beforeAll(async () => {
    fake = await startFakeSeatRuntime();
    t = await startTestServer({ workshopGroup: 'monday' }, { runtime: fake.runtime, claimRateLimit: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
    await fake?.close();
  });

  it('the teacher\'s clone source is the group template: never claimed, not counted, shown as template, also after a restart', async () => {
    const [source] = await createSeats(t, 1, 'Python Lab', 'monday');
    await waitForAvailable(t, 1);
    const cloned = await t.api('POST', `/api/projects/${source}/clone`, { count: 2 });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(202);
    const cloneIds = (cloned.body.clones as { projectId: string }[]).map((c) => c.projectId);
    // The clones copy the source's group (the contract), yet only they are seats.
    await waitForAvailable(t, 2);
    const status = await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null });
    expect(status.body).toMatchObject({ available: 2, total: 2, claimed: 0 });
    const store = openStore(t.dataDir);
    try {
      expect(cloneIds.map((id) => store.projects.get(id)?.clonedFrom)).toEqual([source, source]);
      expect(store.projects.get(source as string)?.clonedFrom).toBeNull();
    } finally {
      store.close();
    }

    const replies = await Promise.all(['a', 'b', 'c'].map((who) => claim(t, who, `${who}@example.org`)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    const claimed = replies.filter((r) => r.status === 200).map((r) => new URL(r.body.workspaceUrl).hostname.split('.')[0]);
    expect(claimed.sort()).toEqual([...cloneIds].sort());

    const board = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body);
    expect(board.counts).toEqual({ available: 0, total: 2, claimed: 2 });
    expect(board.seats[0]).toMatchObject({ projectId: source, role: 'template', claim: null });
    expect(board.seats.slice(1).map((seat) => seat.role)).toEqual(['seat', 'seat']);

    t = await t.restart();
    await pollUntil(async () => (await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null })).body.total === 2, {
      timeoutMs: 15_000,
      description: 'status after restart',
    });
    const again = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body);
    expect(again.seats.find((seat) => seat.projectId === source)?.role).toBe('template');
    for (const id of cloneIds) expect((await t.api('POST', `/api/workshop/claims/${id}/release`)).status).toBe(200);
    await waitForAvailable(t, 2);
    // Freed seats go out again; the template still never does.
    const more = await Promise.all(['d', 'e', 'f'].map((who) => claim(t, who, `${who}@example.org`)));
    expect(more.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    expect(more.some((r) => r.status === 200 && new URL(r.body.workspaceUrl).hostname.startsWith(`${source}.`))).toBe(false);
  }, 60_000);

  it('claims of the previous group: the same e-mail joins the new group; the board lists them apart with their group and releases them', async () => {
    const [tuesdaySeat] = await createSeats(t, 1, 'Tuesday Seat', 'tuesday');
    expect((await t.api('PUT', '/api/workshop/settings', { group: 'tuesday' })).status).toBe(200);
    await waitForAvailable(t, 1);
    // "d@example.org" holds a Monday seat; on Tuesday it is a new participant.
    const joined = await claim(t, 'D', 'D@example.org');
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body.workspaceUrl).toContain(`${tuesdaySeat}.`);
    expect((await claim(t, 'D', 'd@example.org')).status).toBe(409);

    const board = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body);
    expect(board.seats.map((seat) => seat.claim?.email)).toEqual(['D@example.org']);
    expect(board.otherClaims?.map((c) => [c.group, c.email]).sort()).toEqual([
      ['monday', 'd@example.org'],
      ['monday', 'e@example.org'],
    ]);
    const list = ClaimsResponse.parse((await t.api('GET', '/api/workshop/claims')).body);
    expect(list.claims.map((c) => c.group).sort()).toEqual(['monday', 'monday', 'tuesday']);

    const mondayClaim = board.otherClaims?.find((c) => c.email === 'd@example.org');
    expect((await t.api('POST', `/api/workshop/claims/${mondayClaim?.projectId}/release`)).status).toBe(200);
    const after = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body);
    expect(after.otherClaims?.map((c) => c.email)).toEqual(['e@example.org']);
    const csv = await (await fetch(`${t.url}/api/workshop/claims.csv`, { headers: { authorization: `Bearer ${t.token}` } })).text();
    expect(csv).toContain(`"active","tuesday","${tuesdaySeat}","Tuesday Seat 1","D","D@example.org"`);
    expect(csv).toContain(`"released","monday","${mondayClaim?.projectId}"`);
  }, 60_000);

  it('a claimed seat cannot be cloned (it would become the template and its work go to others): 409 until released', async () => {
    // "D" holds the one Tuesday seat (previous test).
    const seat = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body).seats.find((s) => s.claim?.email === 'D@example.org');
    expect(seat).toBeTruthy();
    const refused = await t.api('POST', `/api/projects/${seat?.projectId}/clone`, { count: 2 });
    expect(refused.status).toBe(409);
    expect(ApiErrorBody.parse(refused.body)).toMatchObject({
      success: false,
      code: 'INVALID_STATE',
      error: 'This workspace is claimed by a participant; release the seat before cloning it',
    });
    // Nothing was made, and the seat is still a seat with its claim.
    const board = WorkshopBoardResponse.parse((await t.api('GET', '/api/workshop/board')).body);
    expect(board.seats).toHaveLength(1);
    expect(board.seats[0]).toMatchObject({ projectId: seat?.projectId, role: 'seat', claim: { email: 'D@example.org' } });
    expect(board.otherClaims?.some((c) => c.projectId === seat?.projectId)).toBe(false);
    // Released, it may be cloned (and becomes the template).
    expect((await t.api('POST', `/api/workshop/claims/${seat?.projectId}/release`)).status).toBe(200);
    const cloned = await t.api('POST', `/api/projects/${seat?.projectId}/clone`, { count: 1 });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(202);
  }, 60_000);
});

describe('one seat per browser', () => {
  it('a claim with the participant cookie of an active seat in the open group gets 409 with that seat, whatever the e-mail; a released seat\'s cookie or another group\'s does not count', async () => {
    const fake = await startFakeSeatRuntime();
    const t = await startTestServer({ workshopGroup: 'one' }, { runtime: fake.runtime, claimRateLimit: 10_000 });
    try {
      const ids = await createSeats(t, 4, 'Desk', 'one');
      await waitForAvailable(t, 4);
      const first = await claim(t, 'Ann', 'ann@example.org');
      expect(first.status).toBe(200);
      const jar = cookiePair(setCookieOf(first.headers, 'xares_participant') as string);

      const again = await claim(t, 'Ann', 'ann.other@example.org', { cookie: jar });
      expect(again.status).toBe(409);
      expect(ClaimConflictResponse.strict().parse(again.body)).toEqual({
        success: false,
        error: WORKSHOP_MESSAGES.en.browserHasSeat,
        code: 'ALREADY_CLAIMED',
        workspaceUrl: first.body.workspaceUrl,
        projectName: 'Desk 1',
      });
      expect(again.headers.getSetCookie()).toEqual([]);
      const german = await claim(t, 'Ann', 'third@example.org', { cookie: `other=1; ${jar}`, 'accept-language': 'de' });
      expect(german.status).toBe(409);
      expect(german.body.error).toBe(WORKSHOP_MESSAGES.de.browserHasSeat);
      expect(WORKSHOP_MESSAGES.de.browserHasSeat).toMatch(/^Dieser Browser hat bereits einen Workspace/);
      expect(WORKSHOP_MESSAGES.en.browserHasSeat).toMatch(/^This browser already has a seat: /);
      expect((await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null })).body.claimed).toBe(1);
      // A forged cookie is no seat: that claim goes through.
      expect((await claim(t, 'Bob', 'bob@example.org', { cookie: 'xares_participant=p1.1.forged' })).status).toBe(200);

      // Released: the old cookie is worthless, the browser may claim again.
      expect((await t.api('POST', `/api/workshop/claims/${ids[0]}/release`)).status).toBe(200);
      const after = await claim(t, 'Ann', 'ann.other@example.org', { cookie: jar });
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      const jar2 = cookiePair(setCookieOf(after.headers, 'xares_participant') as string);

      // Another group opened: a seat of the previous workshop does not stop joining the new one.
      await createSeats(t, 1, 'Other', 'two');
      expect((await t.api('PUT', '/api/workshop/settings', { group: 'two' })).status).toBe(200);
      await waitForAvailable(t, 1);
      expect((await claim(t, 'Ann', 'ann@example.org', { cookie: jar2 })).status).toBe(200);
    } finally {
      await t.dispose();
      await fake.close();
    }
  }, 60_000);
});

describe('workshop claim rate limit', () => {
  it(`allows ${CLAIM_RATE_LIMIT} claim attempts a minute per address by default (a room behind one NAT), then 429`, async () => {
    expect(CLAIM_RATE_LIMIT).toBe(60);
    const fake = await startFakeSeatRuntime();
    const t = await startTestServer({ workshopGroup: 'nat' }, { runtime: fake.runtime });
    try {
      const replies = [];
      for (let i = 0; i <= CLAIM_RATE_LIMIT; i += 1) replies.push(await claim(t, 'N', `n${i}@example.org`));
      expect(replies.slice(0, CLAIM_RATE_LIMIT).every((r) => r.status === 503)).toBe(true);
      expect(replies[CLAIM_RATE_LIMIT]?.status).toBe(429);
    } finally {
      await t.dispose();
      await fake.close();
    }
  });

  it('answers 429 RATE_LIMITED with Retry-After beyond the per-address limit', async () => {
    const fake = await startFakeSeatRuntime();
    const t = await startTestServer({ workshopGroup: 'rate' }, { runtime: fake.runtime, claimRateLimit: 3 });
    try {
      const replies = [];
      for (let i = 0; i < 4; i += 1) replies.push(await claim(t, 'R', `r${i}@example.org`, { 'accept-language': 'de' }));
      expect(replies.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 503]);
      expect(replies[3]?.status).toBe(429);
      expect(replies[3]?.body).toMatchObject({ success: false, code: 'RATE_LIMITED', error: WORKSHOP_MESSAGES.de.rateLimited });
      expect(replies[3]?.headers.get('retry-after')).toBe('60');
      // Status stays readable.
      expect((await t.api('GET', '/api/workshop/status', undefined, { token: null })).status).toBe(200);
    } finally {
      await t.dispose();
      await fake.close();
    }
  });
});
