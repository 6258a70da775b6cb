// Restart on the same data directory: records survive with the right status; a container removed while the
// server was down makes its record `error` (never deleted); an unknown labelled container is left alone.
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectSummary } from '../../server/contract/index.js';
import { exchangeWithCodeServer, startTestServer, testDocker, testWorkspaceImage, type TestServer } from '../helpers/server.js';

const docker = testDocker();
const servers: TestServer[] = [];

afterAll(async () => {
  for (const s of servers.reverse()) await s.dispose();
});

describe('server restart', () => {
  it('keeps workspaces with the right status across a restart and reconciles with the engine', async () => {
    const first = await startTestServer();
    servers.push(first);
    const make = async (name: string) => {
      const r = await first.api('POST', '/api/projects/create', { projectName: name, projectType: 'empty', group: 'restart-group' });
      expect(r.status).toBe(201);
      return r.body.project.id as string;
    };
    const keepRunning = await make('restart-running');
    const keepStopped = await make('restart-stopped');
    const vanish = await make('restart-vanished');
    for (const id of [keepRunning, keepStopped, vanish]) await first.waitForStatus(id, 'running');
    expect((await first.api('POST', `/api/projects/${keepStopped}/stop`, {})).status).toBe(200);

    await first.close();
    // While the server is down: one container disappears, and a stranger with our labels appears.
    await docker.getContainer(`workspace-${vanish}`).remove({ force: true });
    const stranger = await docker.createContainer({
      name: `workspace-zzzzzzzzzzzz-${first.instanceId}`,
      Image: testWorkspaceImage(),
      Labels: { 'xares.managed': 'true', 'xares.project-id': 'zzzzzzzzzzzz', 'xares.instance': first.instanceId },
    });

    const second = await first.restart();
    servers.push(second);
    // The first WebSocket after the restart connects at once (no waiting for a probe).
    expect(await exchangeWithCodeServer(second.port, keepRunning, 5_000)).toMatch(/"type":"(sign|error)"/);
    const byId = async () => new Map(((await second.api('GET', '/api/projects/')).body.projects as ProjectSummary[]).map((p) => [p.id, p]));
    const listed = await byId();
    expect([...listed.keys()].sort()).toEqual([keepRunning, keepStopped, vanish].sort());
    expect(listed.get(keepRunning)!.name).toBe('restart-running');
    expect(listed.get(keepRunning)!.group).toBe('restart-group');
    // Reconciled before the server accepted requests: already running, routable at once.
    expect(listed.get(keepRunning)!.status).toBe('running');
    expect(listed.get(vanish)!.status).toBe('error');

    await second.waitForStatus(keepRunning, 'running', 30_000);
    const errored = await second.waitForStatus(vanish, 'error', 10_000);
    expect(errored.statusReason).toMatch(/missing/i);
    expect((await byId()).get(keepStopped)!.status).toBe('stopped');

    // The stranger is reported, not destroyed.
    expect((await stranger.inspect()).Id).toBeTruthy();
    expect(second.server.projects.orphanContainers).toContain(`workspace-zzzzzzzzzzzz-${first.instanceId}`);

    // Third start: still the same, and the running one is served immediately.
    const third = await second.restart();
    servers.push(third);
    expect((await third.waitForStatus(keepRunning, 'running', 30_000)).id).toBe(keepRunning);
    expect(((await third.api('GET', '/api/projects/')).body.projects as ProjectSummary[]).find((p) => p.id === vanish)!.status).toBe('error');
  });
});
