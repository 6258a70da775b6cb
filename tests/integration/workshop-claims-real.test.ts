// Workshop claims on the real engine (issue #4 "Tests", concurrency): one prepared workspace cloned 40 times
// into 40 real code-server seats, registration opened, then 100 participants claim at the same moment
// over real HTTP from "other machines" (Host `lan.test`). Exactly 40 distinct seats, 60 × 503, 40 active
// claims in the API and in the SQLite file itself; and a claimed seat opens code-server for the browser that
// claimed it and the login page for anyone else. tests/integration/api-workshop.test.ts covers the same
// race (and the rest of the workshop API) with seats on a fake runtime; this file proves it on real parts.
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody, ClaimResponse, ClaimsResponse, CloneProjectResponse, WorkshopStatusResponse, type ProjectSummary } from '../../server/contract/index.js';
import { LABEL_INSTANCE, LABEL_SNAPSHOT } from '../../server/runtime/workspace-runtime.js';
import { DATABASE_FILE_NAME } from '../../server/store/index.js';
import { pollUntil, removeInstanceContainers, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const GROUP = 'room-real';
const SEATS = 40;
const PARTICIPANTS = 100;
/** Every seat has this password, so a browser without the seat cookie meets the login form. */
const SEAT_PASSWORD = 'room-Real-Pass-42';

let t: TestServer;
let lan: string;
let sourceId: string;
/** Milliseconds of the set-up phases, printed at the end for the benchmark-minded reader. */
const timings: Record<string, number> = {};

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request to our server on its own connection with an explicit Host (fetch cannot set Host). */
function request(host: string, urlPath: string, options: { method?: string; cookie?: string; json?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host };
    if (options.cookie) headers['cookie'] = options.cookie;
    const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const method = options.method ?? (payload === undefined ? 'GET' : 'POST');
    const req = http.request({ host: '127.0.0.1', port: t.port, path: urlPath, method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', (error) => reject(new Error(`${method} ${host}${urlPath}: ${error.message}`)));
    req.end(payload);
  });
}

const cookieOf = (reply: Reply, name: string) => (reply.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));
const isWorkbench = (reply: Reply) => reply.status === 200 && reply.body.includes('workbench') && !reply.body.includes('workspace-login-form');

async function groupProjects(): Promise<ProjectSummary[]> {
  const list = await t.api<{ projects: ProjectSummary[] }>('GET', '/api/projects/');
  expect(list.status).toBe(200);
  return list.body.projects.filter((p) => p.group === GROUP);
}

beforeAll(async () => {
  const started = Date.now();
  // Room for the teacher's prepared workspace and its 40 clones; small limits (clones inherit them), so 41
  // containers fit a small machine. All 100 participants come from 127.0.0.1 here, so the per-address claim
  // rate limit is raised (it would answer 429 long before the seats run out); all else is the server as it ships.
  t = await startTestServer(
    { publicHost: 'lan.test', maxConcurrentWorkspaces: SEATS + 1, maxWorkspaces: SEATS + 1, enableResourceLimits: true },
    { claimRateLimit: 10_000 },
  );
  lan = `lan.test:${t.port}`;
  const created = await t.api('POST', '/api/projects/create', {
    projectName: 'Room',
    projectType: 'empty',
    passwordProtected: true,
    password: SEAT_PASSWORD,
    memoryLimit: '1g',
    cpuCores: '1',
    group: GROUP,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  sourceId = created.body.project.id;
  await t.waitForStatus(sourceId, 'running', 240_000);
  timings['source running'] = Date.now() - started;

  const cloneStarted = Date.now();
  const cloned = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: SEATS, password: SEAT_PASSWORD });
  expect(cloned.status, JSON.stringify(cloned.body)).toBe(202);
  expect(CloneProjectResponse.parse(cloned.body).clones).toHaveLength(SEATS);
  // Source and 40 clones running; a workspace in `error` ends the wait at once with its reason.
  const running = await pollUntil(
    async () => {
      const projects = await groupProjects();
      if (projects.some((p) => p.status === 'error')) return projects;
      return projects.length === SEATS + 1 && projects.every((p) => p.status === 'running') ? projects : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 500, description: `${SEATS + 1} running workspaces of ${GROUP}` },
  );
  expect(running.filter((p) => p.status !== 'running').map((p) => `${p.name}: ${p.status} ${p.statusReason ?? ''}`)).toEqual([]);
  expect(running).toHaveLength(SEATS + 1);
  for (const seat of running) expect(seat).toMatchObject({ memoryLimit: '1g', cpuCores: '1', passwordProtected: true });
  timings['40 clones running'] = Date.now() - cloneStarted;
  // The room is the 40 clones: the prepared source leaves the group, so it is no seat whether or not the
  // workshop counts a group's clone source as a seat (it keeps running; no participant may get it).
  expect((await t.api('PUT', `/api/projects/${sourceId}/group`, { group: `${GROUP}-template` })).status).toBe(200);
  expect((await groupProjects()).map((p) => p.id)).not.toContain(sourceId);

  const opened = await t.api('PUT', '/api/workshop/settings', { group: GROUP, registrationOpen: true });
  expect(opened.body).toEqual({ success: true, settings: { group: GROUP, registrationOpen: true } });
  // "Running" in the list and "free" for the workshop come from the same state, but wait for it explicitly.
  await pollUntil(
    async () => (await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null })).body.available === SEATS,
    { timeoutMs: 30_000, description: `${SEATS} free seats` },
  );
  timings['set-up total'] = Date.now() - started;
}, 900_000);

afterAll(async () => {
  if (!t) return;
  const instanceId = t.instanceId;
  await t.dispose();
  // dispose() already removed them; this makes sure nothing of this instance is left on the shared engine.
  await removeInstanceContainers(instanceId);
  const docker = testDocker();
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  expect(left).toHaveLength(0);
  // The batch's snapshot image lost its tag when the batch ended, but the 39 clones still used it; the server
  // removes such untagged leftovers when it deletes clones or starts, and the harness only removed
  // containers, so remove it here rather than leave it on the shared engine.
  const snapshots = await docker.listImages({ all: true, filters: { label: [`${LABEL_SNAPSHOT}=true`, `${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(snapshots.map((image) => docker.getImage(image.Id).remove({ force: true })));
  expect(await docker.listImages({ all: true, filters: { label: [`${LABEL_SNAPSHOT}=true`, `${LABEL_INSTANCE}=${instanceId}`] } })).toHaveLength(0);
  console.log(`workshop-claims-real timings (ms): ${JSON.stringify(timings)}`);
}, 300_000);

describe('workshop claims on 40 real seats', () => {
  let winners: { email: string; cookie: string; seat: string; workspaceUrl: string }[] = [];

  it('100 simultaneous claims: exactly 40 distinct seats, 60 × 503 NO_SEATS_AVAILABLE, 40 active claims in the API and the database', async () => {
    const burstStarted = Date.now();
    const replies = await Promise.all(
      Array.from({ length: PARTICIPANTS }, (_, i) => {
        const email = `participant${i}@example.org`;
        return request(lan, '/api/workshop/claim', { json: { name: `Participant ${i}`, email } }).then((reply) => ({ email, reply }));
      }),
    );
    timings['100 claims'] = Date.now() - burstStarted;

    const statuses = replies.map((r) => r.reply.status);
    expect(statuses.filter((s) => s !== 200 && s !== 503), 'only 200 and 503').toEqual([]);
    const ok = replies.filter((r) => r.reply.status === 200);
    const full = replies.filter((r) => r.reply.status === 503);
    expect(ok).toHaveLength(SEATS);
    expect(full).toHaveLength(PARTICIPANTS - SEATS);
    for (const { reply } of full) {
      expect(ApiErrorBody.parse(JSON.parse(reply.body))).toMatchObject({ success: false, code: 'NO_SEATS_AVAILABLE' });
      expect(cookieOf(reply, 'xares_participant')).toBeUndefined();
    }

    const seatIds = new Set((await groupProjects()).map((p) => p.id));
    expect(seatIds.size).toBe(SEATS);
    winners = ok.map(({ email, reply }) => {
      const body = ClaimResponse.parse(JSON.parse(reply.body));
      // Claimed from another machine: a path seat on the participant host.
      const seat = /^http:\/\/lan\.test:\d+\/w\/([a-z0-9]+)\/$/.exec(body.workspaceUrl)?.[1];
      expect(seat, body.workspaceUrl).toBeDefined();
      expect(body.workspaceUrl).toBe(`http://${lan}/w/${seat}/`);
      const cookie = cookieOf(reply, 'xares_participant');
      expect(cookie, email).toBeDefined();
      return { email, cookie: cookie!.split(';')[0]!, seat: seat!, workspaceUrl: body.workspaceUrl };
    });
    expect(new Set(winners.map((w) => w.workspaceUrl)).size).toBe(SEATS);
    expect(new Set(ok.map(({ reply }) => JSON.parse(reply.body).projectName)).size).toBe(SEATS);
    expect(new Set(winners.map((w) => w.seat))).toEqual(seatIds);

    // The admin view: 40 active claims, each on its own seat of the group, each by the participant who got it.
    const claims = await t.api('GET', '/api/workshop/claims');
    expect(claims.status).toBe(200);
    const list = ClaimsResponse.parse(claims.body);
    expect(list.claims).toHaveLength(SEATS);
    expect(list.history).toHaveLength(0);
    expect(new Set(list.claims.map((c) => c.projectId))).toEqual(seatIds);
    const winnerBySeat = new Map(winners.map((w) => [w.seat, w.email]));
    for (const c of list.claims) expect(c.email).toBe(winnerBySeat.get(c.projectId));

    // The database file itself, read by its own connection: 40 rows without released_at, 40 seats, 40 e-mails.
    const db = new Database(path.join(t.dataDir, DATABASE_FILE_NAME), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT project_id, email_norm FROM workshop_claims WHERE released_at IS NULL').all() as { project_id: string; email_norm: string }[];
      expect(rows).toHaveLength(SEATS);
      expect(new Set(rows.map((r) => r.project_id))).toEqual(seatIds);
      expect(new Set(rows.map((r) => r.email_norm))).toEqual(new Set(winners.map((w) => w.email)));
      expect((db.prepare('SELECT COUNT(*) AS n FROM workshop_claims').get() as { n: number }).n).toBe(SEATS);
    } finally {
      db.close();
    }

    const status = await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null });
    expect(status.body).toEqual({ available: 0, total: SEATS, claimed: SEATS, registrationOpen: true, group: GROUP });
  });

  it('every claimed seat opens code-server through /join/enter for the browser that claimed it, and the login page for anyone else', async () => {
    expect(winners).toHaveLength(SEATS);
    const enterStarted = Date.now();
    const seatCookies = await Promise.all(
      winners.map(async (winner) => {
        const prefix = `/w/${winner.seat}`;
        const anonymous = await request(lan, `${prefix}/?folder=/workspace`);
        expect(anonymous.status, winner.seat).toBe(401);
        expect(anonymous.body).toContain('workspace-login-form');
        expect(anonymous.body).toContain(`action="${prefix}/__xares/login"`);

        const entered = await request(lan, '/join/enter', { cookie: winner.cookie });
        expect(entered.status, winner.seat).toBe(303);
        expect(entered.headers.location).toBe(`${prefix}/`);
        const seatCookie = cookieOf(entered, `xares_gate_${winner.seat}`);
        expect(seatCookie).toContain(`Path=${prefix}/`);
        const cookie = seatCookie!.split(';')[0]!;
        const inside = await request(lan, `${prefix}/?folder=/workspace`, { cookie });
        expect(isWorkbench(inside), `${winner.seat}: ${inside.status} ${inside.body.slice(0, 200)}`).toBe(true);
        return cookie;
      }),
    );
    timings['40 seats entered'] = Date.now() - enterStarted;

    // One winner's seat cookie opens no other seat: the next seat still answers with its login page.
    for (let i = 0; i < SEATS; i += 1) {
      const other = winners[(i + 1) % SEATS]!;
      const reply = await request(lan, `/w/${other.seat}/`, { cookie: seatCookies[i]! });
      expect(reply.status, `${winners[i]!.seat} cookie on ${other.seat}`).toBe(401);
      expect(reply.body).toContain('workspace-login-form');
    }
  });
});
