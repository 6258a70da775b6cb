// Clone batches in the states the real engine cannot be put into on demand (issue 4 "Clone"): one clone's
// container cannot be made, the snapshot fails, and the bound on clones made at once. The real server with
// the loopback seat runtime (tests/helpers/fake-seat-runtime.ts), wrapped to fail or hold single calls.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectSummary } from '../../server/contract/index.js';
import type { WorkspaceRuntime, WorkspaceSpec } from '../../server/runtime/workspace-runtime.js';
import { CLONE_PARALLELISM, SNAPSHOT_REPOSITORY } from '../../server/services/cloning.js';
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
