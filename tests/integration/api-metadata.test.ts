// Metadata and resources through the HTTP API on the real engine (issue 3): notes, rename, group and the
// group list, disk usage from the container's layers, hard limits per docker inspect, the details'
// container block, and a list that never asks the engine (proved with a counting relay in front of the
// Docker socket). Every error case of the contract for these routes, and persistence across a restart.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiErrorBody,
  DiskUsageResponse,
  GetNotesResponse,
  GetProjectResponse,
  ListGroupsResponse,
  MAX_NOTES_BYTES,
  MessageResponse,
  type ProjectSummary,
} from '../../server/contract/index.js';
import { openStore } from '../../server/store/index.js';
import { startDockerRelay } from '../helpers/docker-relay.js';
import { openServerEvents } from '../helpers/event-stream.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
const DEAD_SOCKET = 'unix:///tmp/xares-no-such-engine.sock';
const READABLE = /^\d+(\.\d)? (B|KB|MB|GB|TB)$/;
const UNKNOWN_IDS = ['aaaaaaaaaaaa', 'ABCDEFGHIJKL', 'short', 'x'.repeat(200)];

let t: TestServer;
/** A running workspace shared by the tests (created with non-default limits). */
let id: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  t = await startTestServer({ memoryPerWorkspaceMB: 4096, cpuPerWorkspace: 4 });
  const created = await t.api('POST', '/api/projects/create', { projectName: 'Meta Seat', projectType: 'empty', memoryLimit: '1g', cpuCores: '1' });
  expect(created.status).toBe(201);
  id = created.body.project.id;
  await t.waitForStatus(id, 'running');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await t?.dispose();
});

function expectError(result: { status: number; body: unknown }, status: number, code: string, field?: string): void {
  expect(result.status).toBe(status);
  const body = ApiErrorBody.parse(result.body);
  expect(body.code).toBe(code);
  if (field) expect(body.details?.[field], JSON.stringify(body)).toBeTruthy();
}

/**
 * A relay to the real engine (tests/helpers/docker-relay.ts) that records the request line of every HTTP
 * request passing through it, as `"<METHOD> <path>"` (keep-alive connections carry several requests).
 */
async function startCountingRelay(): Promise<{ dockerHost: string; paths: string[] }> {
  const paths: string[] = [];
  const relay = await startDockerRelay({
    onClientData: (chunk) => {
      for (const match of chunk.toString('latin1').matchAll(/(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g)) paths.push(`${match[1]} ${match[2]}`);
    },
  });
  cleanups.push(() => relay.close());
  return { dockerHost: relay.dockerHost, paths };
}

describe('notes', () => {
  it('are empty at first, stored exactly as given, and read back', async () => {
    const first = await t.api('GET', `/api/projects/${id}/notes`);
    expect(first.status).toBe(200);
    expect(GetNotesResponse.parse(first.body)).toEqual({ success: true, notes: '' });

    const text = 'Exercises 1–3 ✓\r\n<script>alert("x")</script> & "quotes"\n\ttabbed line\u0000 after NUL\n  ';
    const put = await t.api('PUT', `/api/projects/${id}/notes`, { notes: text });
    expect(put.status).toBe(200);
    expect(MessageResponse.parse(put.body)).toEqual({ success: true, message: 'Notes updated successfully' });
    expect((await t.api('GET', `/api/projects/${id}/notes`)).body).toEqual({ success: true, notes: text });
  });

  it('accept exactly 10 KB of UTF-8 and refuse one byte more with 413, counting bytes not characters', async () => {
    const exact = 'é'.repeat(MAX_NOTES_BYTES / 2); // 2 bytes each: 10 240 bytes, 5 120 characters
    expect((await t.api('PUT', `/api/projects/${id}/notes`, { notes: exact })).status).toBe(200);
    expect((await t.api('GET', `/api/projects/${id}/notes`)).body.notes).toBe(exact);

    for (const tooLong of ['x'.repeat(MAX_NOTES_BYTES + 1), 'é'.repeat(MAX_NOTES_BYTES / 2) + 'x', '😀'.repeat(2561)]) {
      const r = await t.api('PUT', `/api/projects/${id}/notes`, { notes: tooLong });
      expectError(r, 413, 'PAYLOAD_TOO_LARGE', 'notes');
    }
    // Far above the API's body limit: still the contract's shape.
    expectError(await t.api('PUT', `/api/projects/${id}/notes`, { notes: 'y'.repeat(200_000) }), 413, 'PAYLOAD_TOO_LARGE');
    // Nothing of the refused writes was kept.
    expect((await t.api('GET', `/api/projects/${id}/notes`)).body.notes).toBe(exact);
  });

  it('refuse wrong types and shapes with 400 VALIDATION_ERROR', async () => {
    for (const body of [{ notes: 123 }, { notes: null }, { notes: ['a'] }, {}, { note: 'typo' }]) {
      expectError(await t.api('PUT', `/api/projects/${id}/notes`, body), 400, 'VALIDATION_ERROR', 'notes');
    }
    expectError(await t.api('PUT', `/api/projects/${id}/notes`, undefined, { rawBody: '["notes"]' }), 400, 'VALIDATION_ERROR');
    expectError(await t.api('PUT', `/api/projects/${id}/notes`, undefined, { rawBody: '{"notes": "unterminated' }), 400, 'VALIDATION_ERROR');
  });

  it.each(UNKNOWN_IDS)('answer 404 PROJECT_NOT_FOUND for unknown id %s', async (unknown) => {
    expectError(await t.api('GET', `/api/projects/${unknown}/notes`), 404, 'PROJECT_NOT_FOUND');
    expectError(await t.api('PUT', `/api/projects/${unknown}/notes`, { notes: 'x' }), 404, 'PROJECT_NOT_FOUND');
    expectError(await t.api('PUT', `/api/projects/${unknown}/notes`, { notes: 5 }), 404, 'PROJECT_NOT_FOUND');
  });
});

describe('rename', () => {
  it('renames (trimmed), shows the new name in list and details, and allows a change of case only', async () => {
    const r = await t.api('PUT', `/api/projects/${id}/name`, { name: '  Seat <b>One</b> & Co  ' });
    expect(r.status).toBe(200);
    expect(MessageResponse.parse(r.body)).toEqual({ success: true, message: 'Project name updated successfully' });
    expect(GetProjectResponse.parse((await t.api('GET', `/api/projects/${id}`)).body).project.name).toBe('Seat <b>One</b> & Co');
    const list = await t.api('GET', '/api/projects/');
    expect(list.body.projects.find((p: { id: string }) => p.id === id).name).toBe('Seat <b>One</b> & Co');

    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'SEAT <B>ONE</B> & CO' })).status).toBe(200);
    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'x'.repeat(100) })).status).toBe(200);
    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'M' })).status).toBe(200);
    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Meta Seat' })).status).toBe(200);
  });

  it('refuses empty, too long, control characters and wrong types with 400 INVALID_PROJECT_NAME', async () => {
    for (const name of ['', '   ', 'x'.repeat(101), 'two\nlines', 'bell\u0007', 'del\u007f', 42, null, ['a']]) {
      expectError(await t.api('PUT', `/api/projects/${id}/name`, { name }), 400, 'INVALID_PROJECT_NAME', 'name');
    }
    expectError(await t.api('PUT', `/api/projects/${id}/name`, {}), 400, 'INVALID_PROJECT_NAME', 'name');
    expectError(await t.api('PUT', `/api/projects/${id}/name`, undefined, { rawBody: '"just a string"' }), 400, 'VALIDATION_ERROR');
    expect((await t.api('GET', `/api/projects/${id}`)).body.project.name).toBe('Meta Seat');
  });

  it('refuses the name of another project (case-insensitive) with 400 PROJECT_EXISTS', async () => {
    const other = await t.api('POST', '/api/projects/create', { projectName: 'Other Seat', projectType: 'empty' });
    expect(other.status).toBe(201);
    try {
      for (const name of ['Other Seat', 'other seat', '  OTHER SEAT ']) {
        expectError(await t.api('PUT', `/api/projects/${id}/name`, { name }), 400, 'PROJECT_EXISTS');
      }
      expect((await t.api('GET', `/api/projects/${id}`)).body.project.name).toBe('Meta Seat');
      // The freed name of a renamed project can be taken, and create sees renamed names as taken.
      expect((await t.api('PUT', `/api/projects/${other.body.project.id}/name`, { name: 'Other Seat 2' })).status).toBe(200);
      expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Other Seat' })).status).toBe(200);
      expectError(await t.api('POST', '/api/projects/create', { projectName: 'other seat 2', projectType: 'empty' }), 400, 'PROJECT_EXISTS');
      expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Meta Seat' })).status).toBe(200);
    } finally {
      expect((await t.api('DELETE', `/api/projects/${other.body.project.id}`)).status).toBe(200);
    }
  });

  it.each(UNKNOWN_IDS)('answers 404 PROJECT_NOT_FOUND for unknown id %s', async (unknown) => {
    expectError(await t.api('PUT', `/api/projects/${unknown}/name`, { name: 'Fine Name' }), 404, 'PROJECT_NOT_FOUND');
  });
});

describe('live updates', () => {
  it('sends rename and group changes to open dashboards over the event stream, never the notes', async () => {
    const stream = await openServerEvents(t.url, t.token);
    const { response, events } = stream;
    try {
      expect(response.status).toBe(200);
      await pollUntil(() => events.some((e) => e.type === 'hello'), { timeoutMs: 5_000, description: 'hello event' });
      const updated = (check: (p: ProjectSummary) => boolean) => () => events.some((e) => e.type === 'project.updated' && e.project.id === id && check(e.project));
      expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Live Name' })).status).toBe(200);
      await pollUntil(updated((p) => p.name === 'Live Name'), { timeoutMs: 5_000, description: 'rename event' });
      expect((await t.api('PUT', `/api/projects/${id}/group`, { group: 'live-group' })).status).toBe(200);
      await pollUntil(updated((p) => p.group === 'live-group'), { timeoutMs: 5_000, description: 'group event' });
      expect((await t.api('PUT', `/api/projects/${id}/notes`, { notes: 'secret-ish note 4711' })).status).toBe(200);
      expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Meta Seat' })).status).toBe(200);
      expect((await t.api('PUT', `/api/projects/${id}/group`, { group: null })).status).toBe(200);
      await pollUntil(updated((p) => p.name === 'Meta Seat' && p.group === null), { timeoutMs: 5_000, description: 'reset event' });
      expect(JSON.stringify(events)).not.toContain('4711');
    } finally {
      await stream.close();
    }
  });
});

describe('groups', () => {
  it('sets, lists distinct sorted groups, and clears with "" or null', async () => {
    const first = await t.api('GET', '/api/projects/groups');
    expect(first.status).toBe(200);
    expect(ListGroupsResponse.parse(first.body)).toEqual({ success: true, groups: [] });

    const other = await t.api('POST', '/api/projects/create', { projectName: 'Grouped Seat', projectType: 'empty', group: 'beta' });
    expect(other.status).toBe(201);
    try {
      const set = await t.api('PUT', `/api/projects/${id}/group`, { group: '  alpha  ' });
      expect(set.status).toBe(200);
      expect(MessageResponse.parse(set.body)).toEqual({ success: true, message: 'Project group updated successfully' });
      expect((await t.api('GET', `/api/projects/${id}`)).body.project.group).toBe('alpha');
      expect((await t.api('GET', '/api/projects/groups')).body.groups).toEqual(['alpha', 'beta']);

      expect((await t.api('PUT', `/api/projects/${other.body.project.id}/group`, { group: 'alpha' })).status).toBe(200);
      expect((await t.api('GET', '/api/projects/groups')).body.groups).toEqual(['alpha']);

      expect((await t.api('PUT', `/api/projects/${id}/group`, { group: '' })).status).toBe(200);
      expect((await t.api('GET', `/api/projects/${id}`)).body.project.group).toBeNull();
      expect((await t.api('PUT', `/api/projects/${other.body.project.id}/group`, { group: null })).status).toBe(200);
      expect((await t.api('GET', '/api/projects/groups')).body.groups).toEqual([]);
    } finally {
      expect((await t.api('DELETE', `/api/projects/${other.body.project.id}`)).status).toBe(200);
    }
  });

  it('refuses bad groups with 400 VALIDATION_ERROR naming the field', async () => {
    for (const group of ['g'.repeat(51), 'a\u0007b', 'line\nbreak', 12, ['x'], { name: 'x' }]) {
      expectError(await t.api('PUT', `/api/projects/${id}/group`, { group }), 400, 'VALIDATION_ERROR', 'group');
    }
    expectError(await t.api('PUT', `/api/projects/${id}/group`, {}), 400, 'VALIDATION_ERROR', 'group');
  });

  it.each(UNKNOWN_IDS)('answers 404 PROJECT_NOT_FOUND for unknown id %s', async (unknown) => {
    expectError(await t.api('PUT', `/api/projects/${unknown}/group`, { group: 'alpha' }), 404, 'PROJECT_NOT_FOUND');
  });
});

describe('disk usage', () => {
  it('reports the writable layer and the root file system as the engine measures them', async () => {
    const r = await t.api('GET', `/api/projects/${id}/disk-usage`);
    expect(r.status).toBe(200);
    const before = DiskUsageResponse.parse(r.body).diskUsage;
    expect(before.totalBytes).toBeGreaterThan(before.bytes);
    expect(before.readable).toMatch(READABLE);
    expect(before.totalReadable).toMatch(READABLE);

    // 8 MiB of random data in the workspace grow the writable layer by at least that much.
    const container = docker.getContainer(`workspace-${id}`);
    const exec = await container.exec({ Cmd: ['sh', '-c', 'head -c 8388608 /dev/urandom > /tmp/xares-disk-test.bin && sync'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise((resolve) => stream.on('end', resolve).resume());
    const after = (await t.api('GET', `/api/projects/${id}/disk-usage`)).body.diskUsage;
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after.readable).toMatch(/ (MB|GB)$/);

    // Stopped: nothing changes any more, and our numbers are exactly the engine's.
    expect((await t.api('POST', `/api/projects/${id}/stop`, {})).status).toBe(200);
    try {
      const stopped = (await t.api('GET', `/api/projects/${id}/disk-usage`)).body.diskUsage;
      const info = (await container.inspect({ size: true } as never)) as unknown as { SizeRw: number; SizeRootFs: number };
      expect(stopped.bytes).toBe(info.SizeRw);
      expect(stopped.totalBytes).toBe(info.SizeRootFs);
    } finally {
      expect((await t.api('POST', `/api/projects/${id}/start`)).status).toBe(200);
    }
  });

  it.each(UNKNOWN_IDS)('answers 404 PROJECT_NOT_FOUND for unknown id %s', async (unknown) => {
    expectError(await t.api('GET', `/api/projects/${unknown}/disk-usage`), 404, 'PROJECT_NOT_FOUND');
  });

  it('answers 409 INVALID_STATE when the container was removed outside the app', async () => {
    const created = await t.api('POST', '/api/projects/create', { projectName: 'Vanishing Seat', projectType: 'empty' });
    expect(created.status).toBe(201);
    const gone: string = created.body.project.id;
    await t.waitForStatus(gone, 'running');
    await docker.getContainer(`workspace-${gone}`).remove({ force: true });
    await t.waitForStatus(gone, 'error', 30_000);
    const r = await t.api('GET', `/api/projects/${gone}/disk-usage`);
    expectError(r, 409, 'INVALID_STATE');
    expect(r.body.error).toMatch(/no container/i);
    expect((await t.api('DELETE', `/api/projects/${gone}`)).status).toBe(200);
  });
});

describe('hard limits and the container block', () => {
  it('runs the workspace with the chosen memory, CPU and pids limits per docker inspect', async () => {
    const info = await docker.getContainer(`workspace-${id}`).inspect();
    expect(info.HostConfig.Memory).toBe(1024 ** 3);
    expect(info.HostConfig.MemorySwap).toBe(1024 ** 3);
    expect(info.HostConfig.NanoCpus).toBe(1e9);
    expect(info.HostConfig.PidsLimit).toBe(1024);
  });

  it('gives GET /api/projects/:id the live container block', async () => {
    await t.waitForStatus(id, 'running');
    const detail = GetProjectResponse.parse((await t.api('GET', `/api/projects/${id}`)).body).project;
    expect(detail.container).not.toBeNull();
    expect(detail.container!.status).toBe('running');
    expect(detail.container!.health).toBe('healthy');
    expect(detail.container!.uptime).toMatch(/^(\d+d )?(\d+h )?\d+m$/);
    expect(detail.container!.resources.cpu).toMatch(/^\d+\.\d%$/);
    expect(detail.container!.resources.memory).toMatch(/^\d+(\.\d)?(KB|MB|GB)$/);
  });
});

describe('configured limits, config and statistics', () => {
  it('reports the configured values and real counts and host resources', async () => {
    // This server: memoryPerWorkspaceMB 4096, cpuPerWorkspace 4; defaults otherwise (see config.ts).
    const limits = await t.api('GET', '/api/limits');
    expect(limits.status).toBe(200);
    expect(limits.body).toEqual({ maxConcurrentWorkspaces: 40, cpuPerWorkspace: 4, memoryPerWorkspaceMB: 4096, enableResourceLimits: true });
    const config = await t.api('GET', '/api/config');
    expect(config.body.config.limits).toMatchObject({ maxWorkspacesPerUser: 200, maxConcurrentWorkspaces: 40, maxCPUPerWorkspace: 4, enableResourceLimits: true });
    expect(config.body.config.limits.maxMemoryPerWorkspace).toMatch(/^4(\.0)? ?GB$/);

    const list = (await t.api('GET', '/api/projects/')).body.projects as ProjectSummary[];
    const stats = (await t.api('GET', '/api/workspace/stats')).body.stats;
    const count = (status: string) => list.filter((p) => p.status === status).length;
    expect(stats).toMatchObject({
      totalWorkspaces: list.length,
      runningWorkspaces: count('running'),
      stoppedWorkspaces: count('stopped'),
      errorWorkspaces: count('error'),
    });
    expect(stats.runningWorkspaces).toBeGreaterThanOrEqual(1);
    expect(stats.systemResources.totalCPU).toBe(`${os.cpus().length} cores`);
    expect(stats.systemResources.totalMemory).toMatch(/^\d+(\.\d)?GB$/);
    const gib = Number.parseFloat(stats.systemResources.totalMemory);
    expect(Math.abs(gib - os.totalmem() / 1024 ** 3)).toBeLessThan(0.06);
    expect(stats.systemResources.diskUsage).toMatch(/^\d+(\.\d)?(MB|GB|TB) \/ \d+(\.\d)?(GB|TB)$/);
  });
});

describe('across a restart', () => {
  it('keeps name, group and notes; the list never asks the engine, details and disk usage do', async () => {
    const notes = 'Persist me ✓\nline 2';
    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Renamed Seat' })).status).toBe(200);
    expect((await t.api('PUT', `/api/projects/${id}/group`, { group: 'persisted' })).status).toBe(200);
    expect((await t.api('PUT', `/api/projects/${id}/notes`, { notes })).status).toBe(200);

    const relay = await startCountingRelay();
    t = await t.restart({ dockerHost: relay.dockerHost });
    await t.waitForStatus(id, 'running');
    const project = (await t.api('GET', `/api/projects/${id}`)).body.project;
    expect(project).toMatchObject({ name: 'Renamed Seat', group: 'persisted' });
    expect((await t.api('GET', `/api/projects/${id}/notes`)).body.notes).toBe(notes);
    expect((await t.api('GET', '/api/projects/groups')).body.groups).toEqual(['persisted']);
    const store = openStore(t.dataDir);
    try {
      expect(store.projects.get(id)).toMatchObject({ name: 'Renamed Seat', group: 'persisted' });
      expect(store.projects.getNotes(id)).toBe(notes);
    } finally {
      store.close();
    }

    // The list: many calls, not one request to the engine about containers.
    await pollUntil(() => relay.paths.some((p) => p.includes('/events')), { description: 'the event stream through the relay' });
    const before = relay.paths.length;
    for (let i = 0; i < 25; i++) expect((await t.api('GET', '/api/projects/')).status).toBe(200);
    expect(relay.paths.slice(before)).toEqual([]);
    // Details and disk usage do reach the engine (so the relay does see those calls).
    expect((await t.api('GET', `/api/projects/${id}`)).body.project.container.status).toBe('running');
    expect((await t.api('GET', `/api/projects/${id}/disk-usage`)).status).toBe(200);
    const engineCalls = relay.paths.slice(before);
    expect(engineCalls.some((p) => p.startsWith(`GET /containers/workspace-${id}/json`))).toBe(true);
    expect(engineCalls.some((p) => p.includes('/stats'))).toBe(true);
    expect(engineCalls.some((p) => /\/json\?.*size=true/.test(p))).toBe(true);
  });

  it('with the engine unreachable: list, notes and metadata still answer; disk usage is 503', async () => {
    t = await t.restart({ dockerHost: DEAD_SOCKET });
    const list = await t.api('GET', '/api/projects/');
    expect(list.status).toBe(200);
    expect(list.body.projects.map((p: { name: string }) => p.name)).toEqual(['Renamed Seat']);
    expect((await t.api('GET', `/api/projects/${id}/notes`)).body.notes).toMatch(/^Persist me/);
    expect((await t.api('PUT', `/api/projects/${id}/name`, { name: 'Offline Rename' })).status).toBe(200);
    expectError(await t.api('GET', `/api/projects/${id}/disk-usage`), 503, 'SERVICE_UNAVAILABLE');
    const detail = await t.api('GET', `/api/projects/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.project.container).toBeNull();
    t = await t.restart({ dockerHost: undefined });
    expect((await t.api('GET', `/api/projects/${id}`)).body.project.name).toBe('Offline Rename');
  });
});

describe('concurrent limit under parallel starts', () => {
  it('lets only one of two simultaneous starts through when one slot is free', async () => {
    const limited = await startTestServer({ maxConcurrentWorkspaces: 1 });
    try {
      const ids: string[] = [];
      for (const name of ['race-a', 'race-b']) {
        const created = await limited.api('POST', '/api/projects/create', { projectName: name, projectType: 'empty' });
        expect(created.status).toBe(201);
        ids.push(created.body.project.id);
        await limited.waitForStatus(created.body.project.id, 'running');
        expect((await limited.api('POST', `/api/projects/${created.body.project.id}/stop`, {})).status).toBe(200);
      }
      const results = await Promise.all(ids.map((projectId) => limited.api('POST', `/api/projects/${projectId}/start`)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body).toMatchObject({ success: false, code: 'CONCURRENT_LIMIT_REACHED' });
      const running = await Promise.all(ids.map(async (projectId) => (await docker.getContainer(`workspace-${projectId}`).inspect()).State.Running));
      expect(running.filter(Boolean).length).toBe(1);
      // A create while the slot is taken is refused too.
      expect((await limited.api('POST', '/api/projects/create', { projectName: 'race-c', projectType: 'empty' })).status).toBe(409);
    } finally {
      await limited.dispose();
    }
  });
});
