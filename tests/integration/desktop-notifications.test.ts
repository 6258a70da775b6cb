// The desktop app's notifications from a real server on the real engine (issue #6 "Native notifications"):
// main/notifications.ts fed exactly as main/index.ts feeds it (the server's event bus, the workshop's claims
// after `workshop.changed`, the clone sources from the briefs). A workspace cloned twice gives one "Cloning
// finished" notice for the batch, a participant's claim one "Seat claimed", a container removed behind the app's
// back one "Workspace failed"; creating or starting a workspace announces nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloneProjectResponse, WorkshopStatusResponse } from '../../server/contract/index.js';
import { LABEL_INSTANCE, LABEL_PROJECT_ID } from '../../server/runtime/workspace-runtime.js';
import { claimSnapshots, cloneSourceLookup, NotificationPlanner, type DesktopNotice } from '../../main/notifications.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const GROUP = `notify-${Date.now().toString(36)}`;
let t: TestServer;
let planner: NotificationPlanner;
let unsubscribe: () => void = () => {};
let sourceId = '';
let cloneIds: string[] = [];

/** Waits until the planner has queued something, then takes it (what main/index.ts shows after a quiet moment). */
async function nextNotices(description: string, timeoutMs = 240_000): Promise<DesktopNotice[]> {
  await pollUntil(async () => (planner.pending ? true : undefined), { timeoutMs, intervalMs: 100, description });
  return planner.drain();
}

beforeAll(async () => {
  t = await startTestServer({ maxConcurrentWorkspaces: 4, maxWorkspaces: 4 }, { networkControl: false });
  const server = t.server;
  planner = new NotificationPlanner(cloneSourceLookup(() => server.projects.briefs()));
  planner.seed(server.projects.list(), claimSnapshots(server.workshop.claims().active));
  unsubscribe = server.events.subscribe((event) => {
    planner.observe(event);
    if (event.type === 'workshop.changed') planner.observeClaims(claimSnapshots(server.workshop.claims().active));
  });
}, 60_000);

afterAll(async () => {
  unsubscribe();
  await t?.dispose();
});

describe('desktop notifications from the real server', () => {
  it('announces nothing for a new workspace, then one notice for a finished clone batch', async () => {
    const created = await t.api('POST', '/api/projects/create', { projectName: 'Notify class', projectType: 'empty', memoryLimit: '1g', cpuCores: '1', group: GROUP });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sourceId = created.body.project.id;
    await t.waitForStatus(sourceId, 'running', 240_000);
    expect(planner.drain()).toEqual([]);

    const cloned = await t.api('POST', `/api/projects/${sourceId}/clone`, { count: 2 });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(202);
    cloneIds = CloneProjectResponse.parse(cloned.body).clones.map((clone) => clone.projectId);
    const notices = await nextNotices('the clone batch notice', 600_000);
    expect(notices).toEqual([{ kind: 'clone-batch', title: 'Cloning finished', body: 'Notify class: 2 clones ready.', projectId: sourceId }]);
    for (const id of cloneIds) expect(t.server.projects.list().find((project) => project.id === id)?.status).toBe('running');
  }, 900_000);

  it('announces a claimed seat with the participant and the seat', async () => {
    const opened = await t.api('PUT', '/api/workshop/settings', { group: GROUP, registrationOpen: true });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    await pollUntil(
      async () => ((await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null })).body.available >= 1 ? true : undefined),
      { timeoutMs: 30_000, description: 'a free seat' },
    );
    expect(planner.drain()).toEqual([]); // opening registration is no claim
    const claim = await t.api('POST', '/api/workshop/claim', { name: 'Ana Example', email: 'ana@example.org' }, { token: null });
    expect(claim.status, JSON.stringify(claim.body)).toBe(200);
    const notices = await nextNotices('the claim notice', 30_000);
    expect(notices).toEqual([{ kind: 'seat-claimed', title: 'Seat claimed', body: expect.stringMatching(/^Ana Example took Notify class( \d)?\.$/), projectId: expect.any(String) }]);
  }, 60_000);

  it('announces a workspace whose container was removed outside the app, once', async () => {
    const docker = testDocker();
    const [container] = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_INSTANCE}=${t.instanceId}`, `${LABEL_PROJECT_ID}=${sourceId}`] },
    });
    expect(container).toBeDefined();
    await docker.getContainer(container!.Id).remove({ force: true });
    const notices = await nextNotices('the error notice', 60_000);
    expect(notices).toEqual([
      { kind: 'workspace-error', title: 'Workspace failed', body: 'Notify class: The container was removed outside the app', projectId: sourceId },
    ]);
    await t.api('GET', '/api/projects/'); // more reads of the same state announce nothing more
    expect(planner.drain()).toEqual([]);
  }, 90_000);
});
