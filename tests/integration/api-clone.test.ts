// Cloning on the real engine (issue 4 "Clone"): POST /api/projects/:id/clone of a running workspace with a
// file written into it and a password of its own; each clone's files, name, settings, own (no) password and
// live progress; no source secret in any container or image configuration; the snapshot image gone; a paused
// source stays paused; and the refusals (unknown source, bad count, limits, source still creating).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { CloneProjectResponse, type ProjectSummary } from '../../server/contract/index.js';
import { LABEL_INSTANCE, LABEL_SNAPSHOT } from '../../server/runtime/workspace-runtime.js';
import { SNAPSHOT_REPOSITORY } from '../../server/services/cloning.js';
import { openStore } from '../../server/store/index.js';
import { openServerEvents, type OpenServerEvents } from '../helpers/event-stream.js';
import { execInWorkspace, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
const SOURCE_PASSWORD = 'source-Secret-71';
const CLONE_PASSWORD = 'clone-Secret-42';
const FILE_TEXT = `prepared by the teacher ${Date.now()}\n`;
let t: TestServer;
let sourceId: string;
let events: OpenServerEvents;

/** GET through our router with an explicit Host (fetch cannot set it). */
function viaRouter(id: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: t.port, path, agent: false, headers: { host: `${id}.localhost:${t.port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** POST the gate's login form for workspace `id`; resolves to the HTTP status (303 = signed in). */
function gateLogin(id: string, password: string): Promise<number> {
  const payload = new URLSearchParams({ password, next: '/' }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        path: '/__xares/login',
        method: 'POST',
        agent: false,
        headers: {
          host: `${id}.localhost:${t.port}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(payload)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `cmd` in the workspace container as the workspace user; resolves to its stdout. */
async function execIn(id: string, cmd: string[]): Promise<string> {
  return (await execInWorkspace(id, cmd)).stdout;
}

/** Writes `/workspace/notes/hello.txt` (owned by the workspace user) with the engine's archive upload. */
async function writeFileInto(id: string): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const owner = { uid: 1000, gid: 1000, mtime: new Date() };
  pack.entry({ name: 'notes/', type: 'directory', mode: 0o755, ...owner });
  pack.entry({ name: 'notes/hello.txt', mode: 0o644, ...owner }, FILE_TEXT);
  pack.finalize();
  await done;
  await docker.getContainer(`workspace-${id}`).putArchive(Buffer.concat(chunks), { path: '/workspace' });
}

async function listProjects(): Promise<ProjectSummary[]> {
  const list = await t.api<{ projects: ProjectSummary[] }>('GET', '/api/projects/');
  return list.body.projects;
}

function storedHash(id: string): string | null {
  const store = openStore(t.dataDir);
  try {
    return store.projects.get(id)?.passwordHash ?? null;
  } finally {
    store.close();
  }
}

/** Every place of a container's or image's configuration a secret could leak into, as one string. */
function configText(config: { Env?: string[] | null; Labels?: Record<string, string> | null; Cmd?: string[] | string | null; Entrypoint?: string[] | string | null }): string {
  return JSON.stringify([config.Env ?? [], config.Labels ?? {}, config.Cmd ?? [], config.Entrypoint ?? []]);
}

/** Snapshot images of this test server's instance (tagged or not). */
async function instanceSnapshots() {
  return docker.listImages({ filters: { label: [`${LABEL_SNAPSHOT}=true`, `${LABEL_INSTANCE}=${t.instanceId}`] } });
}

beforeAll(async () => {
  // Room for the source, three clones, one more clone and nothing else; one running slot less than that for the 409 case.
  t = await startTestServer({ maxWorkspaces: 6, maxConcurrentWorkspaces: 5, enableResourceLimits: true });
  const created = await t.api('POST', '/api/projects/create', {
    projectName: 'Seminar Base',
    projectType: 'empty',
    passwordProtected: true,
    password: SOURCE_PASSWORD,
    memoryLimit: '1g',
    cpuCores: '1',
    group: 'Kurs A',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  sourceId = created.body.project.id;
  await t.waitForStatus(sourceId, 'running');
  await writeFileInto(sourceId);
  // The teacher removed a starter file: clones copy the source as it is, templates are never written again.
  await execIn(sourceId, ['rm', '/workspace/README.md']);
  events = await openServerEvents(t.url, t.token);
});

afterAll(async () => {
  await events?.close();
  await t?.dispose();
});

describe('POST /api/projects/:projectId/clone', () => {
  it('refuses bad requests before anything is made', async () => {
    expect((await t.api('POST', '/api/projects/zzzzzzzzzzzz/clone', { count: 1 })).status).toBe(404);
    expect((await t.api('POST', '/api/projects/not-an-id/clone', { count: 1 })).status).toBe(404);
    for (const count of [0, 51, '3', 1.5]) {
      const reply = await t.api('POST', `/api/projects/${sourceId}/clone`, { count });
      expect(reply.status, `count ${JSON.stringify(count)}`).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      expect(reply.body.details).toHaveProperty('count');
    }
    const noBody = await t.api('POST', `/api/projects/${sourceId}/clone`);
    expect(noBody.status).toBe(400);
    expect(noBody.body.details).toHaveProperty('count');
    const shortPassword = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 1, password: 'short' });
    expect(shortPassword.status).toBe(400);
    expect(shortPassword.body.details).toHaveProperty('password');

    // Six workspaces at most, one exists: six more do not fit; all or nothing.
    const tooMany = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 6 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ success: false, error: 'Cannot create 6 clones: only 5 workspace slots remaining (limit: 6)' });
    // Five fit the workspace limit, but only four more may run.
    const overConcurrent = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 5 });
    expect(overConcurrent.status).toBe(409);
    expect(overConcurrent.body).toMatchObject({ success: false, code: 'CONCURRENT_LIMIT_REACHED' });
    expect((await listProjects()).map((p) => p.id)).toEqual([sourceId]);
  });

  it('clones a running workspace three times: files, names, settings, own (no) password, live progress', async () => {
    const reply = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 3 });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    const body = CloneProjectResponse.parse(reply.body);
    expect(body).toMatchObject({ success: true, message: 'Cloning 3 workspaces from "Seminar Base"', sourceProjectId: sourceId, sourceProjectName: 'Seminar Base', totalCount: 3 });
    expect(body.clones.map((c) => [c.projectName, c.status])).toEqual([
      ['Seminar Base 1', 'creating'],
      ['Seminar Base 2', 'creating'],
      ['Seminar Base 3', 'creating'],
    ]);
    const ids = body.clones.map((c) => c.projectId);
    expect(new Set([sourceId, ...ids]).size).toBe(4);

    // Listed at once, with their phase.
    const early = (await listProjects()).filter((p) => ids.includes(p.id));
    expect(early).toHaveLength(3);
    for (const clone of early) expect(clone.status === 'running' || clone.progress !== undefined).toBe(true);
    // A clone still being made cannot be cloned.
    const stillCreating = early.find((p) => p.status === 'creating');
    if (stillCreating) {
      const refused = await t.api('POST', `/api/projects/${stillCreating.id}/clone`, { count: 1 });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    }

    for (const id of ids) await t.waitForStatus(id, 'running');
    const projects = await listProjects();
    const source = projects.find((p) => p.id === sourceId)!;
    expect(source.status).toBe('running');
    for (const clone of projects.filter((p) => ids.includes(p.id))) {
      expect(clone).toMatchObject({ proxyMode: source.proxyMode, group: 'Kurs A', memoryLimit: '1g', cpuCores: '1', type: 'empty', passwordProtected: false });
      expect(clone).not.toHaveProperty('progress');
    }

    // Each clone went through its phases, seen live in the event stream.
    for (const id of ids) {
      const phases = events.events.flatMap((e) => (e.type === 'project.updated' && e.project.id === id ? [e.project.progress ?? e.project.status] : []));
      const distinct = phases.filter((p, i) => p !== phases[i - 1]);
      expect(distinct[0], phases.join(',')).toBe('snapshot');
      expect(distinct).toContain('creating');
      expect(distinct).toContain('starting');
      expect(distinct.at(-1)).toBe('running');
    }

    // The running source kept running (paused only for the moment of the commit).
    const sourceInfo = await docker.getContainer(`workspace-${sourceId}`).inspect();
    expect(sourceInfo.State).toMatchObject({ Running: true, Paused: false });

    const sourceHash = storedHash(sourceId)!;
    expect(sourceHash).toMatch(/^\$argon2id\$/);
    for (const id of ids) {
      expect(await execIn(id, ['cat', '/workspace/notes/hello.txt'])).toBe(FILE_TEXT);
      expect(await execIn(id, ['sh', '-c', 'ls -A /workspace'])).toBe('.gitignore\n.vscode\nnotes\n');
      expect(await execIn(id, ['cat', '/etc/xares/code-server.yaml'])).toBe('auth: none\n');
      expect(storedHash(id)).toBeNull();
      const info = await docker.getContainer(`workspace-${id}`).inspect();
      expect(info.HostConfig).toMatchObject({ Memory: 1024 * 1024 * 1024, NanoCpus: 1e9 });
      expect(info.Config.Labels).toMatchObject({ 'xares.project-id': id, 'xares.instance': t.instanceId });
      expect(info.Config.Env).toContain(`PROJECT_ID=${id}`);
      const text = configText(info.Config);
      expect(text).not.toContain(SOURCE_PASSWORD);
      expect(text).not.toContain(sourceHash);
      expect(text).not.toContain('argon2');
      expect(text).not.toContain(sourceId);
      // The (untagged) snapshot the clone's layers stand on carries no secret in its configuration either.
      const image = await docker.getImage(info.Image).inspect();
      expect(image.RepoTags ?? []).toEqual([]);
      expect(image.Config.Labels).toMatchObject({ [LABEL_SNAPSHOT]: 'true' });
      const imageText = configText(image.Config);
      expect(imageText).not.toContain(SOURCE_PASSWORD);
      expect(imageText).not.toContain('argon2');
      // No password: the IDE opens through the router straight away.
      const ide = await viaRouter(id, '/?folder=/workspace');
      expect(ide.status).toBe(200);
      expect(ide.body).toContain('workbench');
    }
    // The source still asks for its own password.
    expect((await viaRouter(sourceId, '/?folder=/workspace')).status).toBe(401);

    // No tagged snapshot left.
    const tagged = await docker.listImages({ filters: { reference: [`${SNAPSHOT_REPOSITORY}`] } });
    expect(tagged.flatMap((i) => i.RepoTags ?? []).filter((tag) => tag.startsWith(`${SNAPSHOT_REPOSITORY}:${sourceId}`))).toEqual([]);
  });

  it('clones a paused source with a password of its own, leaves it paused, and cleans the snapshots up once the clones are gone', async () => {
    await docker.getContainer(`workspace-${sourceId}`).pause();
    await pollUntil(async () => (await listProjects()).find((p) => p.id === sourceId)?.status === 'stopped', { description: 'source seen as paused' });
    const reply = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 1, password: CLONE_PASSWORD });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    const [clone] = CloneProjectResponse.parse(reply.body).clones;
    expect(clone!.projectName).toBe('Seminar Base 4');
    const id = clone!.projectId;
    const summary = await t.waitForStatus(id, 'running');
    expect(summary.passwordProtected).toBe(true);
    expect((await docker.getContainer(`workspace-${sourceId}`).inspect()).State).toMatchObject({ Status: 'paused', Paused: true });

    expect(await execIn(id, ['cat', '/workspace/notes/hello.txt'])).toBe(FILE_TEXT);
    const hash = storedHash(id)!;
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toBe(storedHash(sourceId));
    expect(await execIn(id, ['cat', '/etc/xares/code-server.yaml'])).toContain(hash);
    const text = configText((await docker.getContainer(`workspace-${id}`).inspect()).Config);
    for (const secret of [CLONE_PASSWORD, SOURCE_PASSWORD, hash, 'argon2']) expect(text).not.toContain(secret);

    // Its own password opens it; the source's does not; without one, the gate's login page.
    expect((await viaRouter(id, '/?folder=/workspace')).status).toBe(401);
    expect(await gateLogin(id, SOURCE_PASSWORD)).not.toBe(303);
    expect(await gateLogin(id, CLONE_PASSWORD)).toBe(303);

    // Deleting the clones through the API removes the last snapshot images of this instance.
    await docker.getContainer(`workspace-${sourceId}`).unpause();
    const cloneIds = (await listProjects()).filter((p) => p.id !== sourceId);
    expect(cloneIds).toHaveLength(4);
    for (const c of cloneIds) {
      const deleted = await t.api('DELETE', `/api/projects/${c.id}`, c.passwordProtected ? { password: CLONE_PASSWORD } : {});
      expect(deleted.status).toBe(200);
    }
    await pollUntil(async () => (await instanceSnapshots()).length === 0, { timeoutMs: 30_000, description: 'snapshot images removed' });
  });

  it('clones a stopped source, which stays stopped', async () => {
    expect((await t.api('POST', `/api/projects/${sourceId}/stop`, { password: SOURCE_PASSWORD })).status).toBe(200);
    const reply = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 1 });
    expect(reply.status, JSON.stringify(reply.body)).toBe(202);
    const [clone] = CloneProjectResponse.parse(reply.body).clones;
    expect(clone!.projectName).toBe('Seminar Base 1'); // the numbers of deleted clones are free again
    await t.waitForStatus(clone!.projectId, 'running');
    expect(await execIn(clone!.projectId, ['cat', '/workspace/notes/hello.txt'])).toBe(FILE_TEXT);
    expect((await docker.getContainer(`workspace-${sourceId}`).inspect()).State).toMatchObject({ Status: 'exited', Running: false });
    expect((await listProjects()).find((p) => p.id === sourceId)?.status).toBe('stopped');
    expect((await t.api('DELETE', `/api/projects/${clone!.projectId}`, {})).status).toBe(200);
  });

  it('removes snapshot images left behind (e.g. by a crash) when it starts', async () => {
    const tag = `${SNAPSHOT_REPOSITORY}:${sourceId}-leftover`;
    // As a batch leaves it: a commit of the source (with its instance label) marked as a snapshot.
    await docker.getContainer(`workspace-${sourceId}`).commit({ repo: SNAPSHOT_REPOSITORY, tag: `${sourceId}-leftover`, changes: `LABEL ${LABEL_SNAPSHOT}=true` });
    expect((await instanceSnapshots()).flatMap((i) => i.RepoTags ?? [])).toContain(tag);
    t = await t.restart();
    await pollUntil(async () => (await instanceSnapshots()).length === 0, { timeoutMs: 30_000, description: 'leftover snapshot removed' });
    expect((await t.api('GET', `/api/projects/${sourceId}`)).body.project.status).not.toBe('error');
  });
});
