// Docker unavailable: the server still starts and answers; engine-dependent routes give 503
// SERVICE_UNAVAILABLE; nothing is left behind; the engine coming back is noticed (a socket relay we can cut).
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/index.js';
import { startDockerRelay } from '../helpers/docker-relay.js';
import { newInstanceId, pollUntil, removeInstanceContainers, startTestServer, type TestServer } from '../helpers/server.js';

const DEAD_SOCKET = 'unix:///tmp/nonexistent.sock';
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('Docker unavailable', () => {
  it('starts anyway, reports it, and answers engine routes with 503 leaving nothing behind', async () => {
    const t = await startTestServer({ dockerHost: DEAD_SOCKET });
    cleanups.push(() => t.dispose());
    expect((await t.api('GET', '/api/health', undefined, { token: null })).status).toBe(200);
    const status = await pollUntil(
      async () => {
        const r = await t.api('GET', '/api/system/status');
        return r.body.docker.error ? r : undefined;
      },
      { timeoutMs: 5_000, description: 'docker state' },
    );
    expect(status.body.docker.available).toBe(false);

    const created = await t.api('POST', '/api/projects/create', { projectName: 'no-docker', projectType: 'empty', passwordProtected: true, password: 'long enough pw' });
    expect(created.status).toBe(503);
    expect(created.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    expect(created.body.error).toMatch(/docker/i);
    expect((await t.api('GET', '/api/projects/')).body).toEqual({ success: true, projects: [], count: 0 });
    const store = openStore(t.dataDir);
    try {
      expect(store.projects.list()).toEqual([]);
    } finally {
      store.close();
    }
    // Validation still comes first, and the rest of the API works.
    expect((await t.api('POST', '/api/projects/create', { projectName: 'x' })).status).toBe(400);
    for (const route of ['/api/config', '/api/limits', '/api/workspace/stats']) expect((await t.api('GET', route)).status).toBe(200);
    expect((await t.api('POST', '/api/projects/aaaaaaaaaaaa/start')).status).toBe(404);
  });

  it('keeps records while the engine is away: listed, 503 on start/stop/delete, record kept', async () => {
    const instanceId = newInstanceId();
    const first = await startTestServer({ instanceId });
    cleanups.push(() => removeInstanceContainers(instanceId).then(() => undefined));
    const created = await first.api('POST', '/api/projects/create', { projectName: 'kept-record', projectType: 'empty' });
    expect(created.status).toBe(201);
    const id: string = created.body.project.id;
    await first.waitForStatus(id, 'running');
    await first.close();

    const down = await startTestServer({ dataDir: first.dataDir, instanceId, dockerHost: DEAD_SOCKET });
    cleanups.push(() => down.dispose());
    const list = await down.api('GET', '/api/projects/');
    expect(list.body.count).toBe(1);
    expect(list.body.projects[0].id).toBe(id);
    const detail = await down.api('GET', `/api/projects/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.project.container).toBeNull();
    for (const [method, route] of [
      ['POST', `/api/projects/${id}/stop`],
      ['POST', `/api/projects/${id}/start`],
      ['DELETE', `/api/projects/${id}`],
    ] as const) {
      const r = await down.api(method, route, {});
      expect(r.status, `${method} ${route}`).toBe(503);
      expect(r.body.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect((await down.api('GET', '/api/projects/')).body.count).toBe(1);
  });

  it('notices the engine going away and coming back, and reconciles', async () => {
    const relay = await startDockerRelay();
    cleanups.push(() => relay.close());
    const t = await startTestServer({ dockerHost: relay.dockerHost });
    cleanups.push(() => t.dispose());
    await pollUntil(async () => (await t.api('GET', '/api/system/status')).body.docker.available === true, { timeoutMs: 10_000, description: 'docker available' });
    const created = await t.api('POST', '/api/projects/create', { projectName: 'relay-ws', projectType: 'empty' });
    expect(created.status).toBe(201);
    const id: string = created.body.project.id;
    await t.waitForStatus(id, 'running');

    await relay.cut();
    await pollUntil(async () => (await t.api('GET', '/api/system/status')).body.docker.available === false, { timeoutMs: 10_000, description: 'docker unavailable' });
    expect((await t.api('POST', '/api/projects/create', { projectName: 'relay-ws-2', projectType: 'empty' })).status).toBe(503);
    expect((await t.api('GET', '/api/projects/')).body.count).toBe(1);

    await relay.restore();
    await pollUntil(async () => (await t.api('GET', '/api/system/status')).body.docker.available === true, { timeoutMs: 20_000, description: 'docker back' });
    expect((await t.api('GET', '/api/projects/')).body.projects[0].status).toBe('running');
    expect((await t.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
    expect(existsSync(relay.socketPath)).toBe(true);
  });
});
