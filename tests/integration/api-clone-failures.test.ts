// Clone batches in the states the real engine cannot be put into on demand (issue 4 "Clone"): one clone's
// container cannot be made, the snapshot fails, and the bound on clones made at once. The real server with
// the loopback seat runtime (tests/helpers/fake-seat-runtime.ts), wrapped to fail or hold single calls.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectSummary } from '../../server/contract/index.js';
import type { WorkspaceRuntime, WorkspaceSpec } from '../../server/runtime/workspace-runtime.js';
import { CLONE_PARALLELISM, SNAPSHOT_REPOSITORY } from '../../server/services/cloning.js';
import { openStore } from '../../server/store/index.js';
import { startFakeSeatRuntime, type FakeSeatRuntime } from '../helpers/fake-seat-runtime.js';
import { pollUntil, startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer | undefined;
let fake: FakeSeatRuntime | undefined;

afterEach(async () => {
  await t?.dispose();
  await fake?.close();
  t = undefined;
  fake = undefined;
});

const isSnapshot = (spec: WorkspaceSpec) => spec.image.startsWith(`${SNAPSHOT_REPOSITORY}:`);

/** A server on the seat runtime with `wrap` applied, and one running source workspace. */
async function serverWithSource(wrap: (runtime: WorkspaceRuntime) => Partial<WorkspaceRuntime>): Promise<{ server: TestServer; sourceId: string }> {
  fake = await startFakeSeatRuntime();
  const runtime: WorkspaceRuntime = { ...fake.runtime, ...wrap(fake.runtime) };
  t = await startTestServer({}, { runtime });
  const created = await t.api('POST', '/api/projects/create', { projectName: 'Base', projectType: 'empty', group: 'room 1' });
  expect(created.status).toBe(201);
  await t.waitForStatus(created.body.project.id, 'running', 20_000);
  return { server: t, sourceId: created.body.project.id };
}

async function clonesOf(server: TestServer, ids: string[]): Promise<ProjectSummary[]> {
  const list = await server.api<{ projects: ProjectSummary[] }>('GET', '/api/projects/');
  return list.body.projects.filter((p) => ids.includes(p.id));
}

describe('clone batches that partly fail', () => {
  it('a clone whose container cannot be made ends in error with its reason; the others run; the snapshot is removed', async () => {
    let snapshotCreates = 0;
    const removed: string[] = [];
    const { server, sourceId } = await serverWithSource((inner) => ({
      create: async (spec) => {
        if (isSnapshot(spec) && ++snapshotCreates === 2) throw new Error('injected: no space left on device');
        return inner.create(spec);
      },
      removeSnapshot: async (tag) => {
        removed.push(tag);
      },
    }));
    const reply = await server.api('POST', `/api/projects/${sourceId}/clone`, { count: 3 });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.body.clones.map((c: { projectId: string }) => c.projectId);
    const settled = await pollUntil(
      async () => {
        const clones = await clonesOf(server, ids);
        return clones.every((c) => c.status === 'running' || c.status === 'error') ? clones : undefined;
      },
      { description: 'every clone running or failed' },
    );
    const failed = settled.filter((c) => c.status === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.statusReason).toBe('Could not create the clone container: injected: no space left on device');
    expect(failed[0]).not.toHaveProperty('progress');
    expect(settled.filter((c) => c.status === 'running')).toHaveLength(2);
    for (const clone of settled) expect(clone.group).toBe('room 1');
    await pollUntil(() => removed.length === 1, { description: 'snapshot removed' });
    expect(removed[0]).toMatch(new RegExp(`^${SNAPSHOT_REPOSITORY}:${sourceId}-`));
  });

  it('a failed snapshot fails every clone of the batch with the reason; the source keeps running', async () => {
    const { server, sourceId } = await serverWithSource(() => ({
      snapshot: async () => {
        throw new Error('injected: commit refused');
      },
    }));
    const reply = await server.api('POST', `/api/projects/${sourceId}/clone`, { count: 2 });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.body.clones.map((c: { projectId: string }) => c.projectId);
    const clones = await pollUntil(
      async () => {
        const list = await clonesOf(server, ids);
        return list.every((c) => c.status === 'error') ? list : undefined;
      },
      { description: 'both clones failed' },
    );
    for (const clone of clones) expect(clone.statusReason).toBe('Could not snapshot the source workspace: injected: commit refused');
    const source = (await server.api('GET', `/api/projects/${sourceId}`)).body.project;
    expect(source.status).toBe('running');
  });

  it(`makes at most ${CLONE_PARALLELISM} clones at once, and more than one`, async () => {
    let active = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, sourceId } = await serverWithSource((inner) => ({
      create: async (spec) => {
        if (!isSnapshot(spec)) return inner.create(spec);
        active += 1;
        peak = Math.max(peak, active);
        try {
          await gate;
          return await inner.create(spec);
        } finally {
          active -= 1;
        }
      },
    }));
    const count = CLONE_PARALLELISM + 2;
    const reply = await server.api('POST', `/api/projects/${sourceId}/clone`, { count });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.body.clones.map((c: { projectId: string }) => c.projectId);
    await pollUntil(() => active === CLONE_PARALLELISM, { description: 'a full set of clones being made' });
    // The others wait for a slot, still in their first phase.
    const waiting = (await clonesOf(server, ids)).filter((c) => c.progress === 'snapshot');
    expect(waiting).toHaveLength(2);
    expect(peak).toBe(CLONE_PARALLELISM);
    release();
    await pollUntil(async () => (await clonesOf(server, ids)).every((c) => c.status === 'running'), { description: 'all clones running' });
    expect(peak).toBe(CLONE_PARALLELISM);
  });
});

describe('clones without a container after a restart', () => {
  it('an interrupted batch (app stopped during the snapshot) leaves clones in error that never start empty (409, no container from the base image)', async () => {
    let snapshotCalls = 0;
    let abortSnapshot: ((error: Error) => void) | undefined;
    const { server, sourceId } = await serverWithSource((inner) => ({
      // The snapshot runs until the app stops (as with a kill during `docker commit`): it ends only when the
      // server stops watching the engine, the first thing its close does (after which nothing is written).
      snapshot: (): Promise<void> => {
        snapshotCalls += 1;
        return new Promise<void>((_resolve, reject) => {
          abortSnapshot = reject;
        });
      },
      watch: (onEvent, onConnectionChange) => {
        const stop = inner.watch(onEvent, onConnectionChange);
        return () => {
          stop();
          abortSnapshot?.(new Error('the app stopped'));
        };
      },
    }));
    const reply = await server.api('POST', `/api/projects/${sourceId}/clone`, { count: 2 });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.body.clones.map((c: { projectId: string }) => c.projectId);
    await pollUntil(() => snapshotCalls === 1, { description: 'snapshot running' });
    await server.close();
    // What a kill leaves behind: the clones' records, still `creating`, without a container.
    const store = openStore(server.dataDir);
    try {
      for (const id of ids) expect(store.projects.get(id)).toMatchObject({ status: 'creating', containerId: null, clonedFrom: sourceId });
    } finally {
      store.close();
    }
    t = await server.restart();
    const clones = await clonesOf(t, ids);
    expect(clones).toHaveLength(2);
    for (const clone of clones) {
      expect(clone.status).toBe('error');
      expect(clone.statusReason).toBe('Clone interrupted before its container was made: delete it and clone again');
    }
    const started = await t.api('POST', `/api/projects/${ids[0]}/start`);
    expect(started.status).toBe(409);
    expect(started.body).toMatchObject({ success: false, code: 'INVALID_STATE', error: 'Clone interrupted before its container was made: delete it and clone again' });
    // Nothing was made from the base image, and the record still says why.
    expect(fake!.containers()).not.toContain(ids[0]);
    expect((await clonesOf(t, [ids[0]!]))[0]).toMatchObject({ status: 'error', statusReason: 'Clone interrupted before its container was made: delete it and clone again' });
    // Deleting it works as usual.
    expect((await t.api('DELETE', `/api/projects/${ids[1]}`)).status).toBe(200);
  });

  it('a clone whose container was removed while the app was down is not re-created either; a plain workspace is', async () => {
    const { server, sourceId } = await serverWithSource(() => ({}));
    const reply = await server.api('POST', `/api/projects/${sourceId}/clone`, { count: 1 });
    expect(reply.status).toBe(202);
    const cloneId: string = reply.body.clones[0].projectId;
    await server.waitForStatus(cloneId, 'running', 20_000);
    await server.close();
    await fake!.runtime.remove(cloneId);
    await fake!.runtime.remove(sourceId);
    t = await server.restart();
    const [clone] = await clonesOf(t, [cloneId]);
    expect(clone).toMatchObject({ status: 'error', statusReason: "The clone's container was removed: delete it and clone again" });
    const started = await t.api('POST', `/api/projects/${cloneId}/start`);
    expect(started.status).toBe(409);
    expect(started.body).toMatchObject({ code: 'INVALID_STATE', error: "The clone's container was removed: delete it and clone again" });
    expect(fake!.containers()).not.toContain(cloneId);
    // The source is a normal workspace: missing container reads as before, and start makes it again.
    const [source] = await clonesOf(t, [sourceId]);
    expect(source).toMatchObject({ status: 'error', statusReason: 'The container is missing (it was removed while the app was not watching)' });
    const restarted = await t.api('POST', `/api/projects/${sourceId}/start`);
    expect(restarted.status).toBe(200);
    expect(restarted.body.project.status).toBe('running');
    expect(fake!.containers()).toContain(sourceId);
  });
});
