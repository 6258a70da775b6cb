// Full workspace life cycle through the HTTP API on the real Docker engine with the real workspace image:
// create → creating → running → code-server through the router → stop → start → delete; container settings;
// password-protected stop/delete; changes made outside the app (docker stop/start/rm); the SSE stream.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectSummary, ServerEvent } from '../../server/contract/index.js';
import { openStore } from '../../server/store/index.js';
import { CODE_SERVER_PORT } from '../../server/runtime/workspace-runtime.js';
import { openServerEvents } from '../helpers/event-stream.js';
import { exchangeWithCodeServer, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.dispose();
});

/** GET through the single HTTP server with an explicit Host header (fetch cannot set Host). */
function getWithHost(port: number, host: string, path: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function containerOf(projectId: string) {
  try {
    return await docker.getContainer(`workspace-${projectId}`).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

describe('workspace life cycle on the real engine', () => {
  it('creates, serves through the router, stops, starts and deletes a workspace', async () => {
    const created = await t.api('POST', '/api/projects/create', { projectName: 'Life Cycle 1', projectType: 'python-flask' });
    expect(created.status).toBe(201);
    expect(created.body.success).toBe(true);
    const project: ProjectSummary = created.body.project;
    expect(project.status).toBe('creating');
    expect(project.id).toMatch(/^[a-z0-9]{12}$/);
    expect(project.workspaceUrl).toBe(`http://${project.id}.localhost:${t.port}/`);
    expect(created.body.password).toBeUndefined();

    const running = await t.waitForStatus(project.id, 'running');
    expect(running.name).toBe('Life Cycle 1');

    // The container: our name, labels, loopback-only port, limits, no secrets in env.
    const info = await containerOf(project.id);
    expect(info).not.toBeNull();
    expect(info!.State.Running).toBe(true);
    expect(info!.Config.Labels).toMatchObject({ 'xares.managed': 'true', 'xares.project-id': project.id, 'xares.instance': t.instanceId });
    const bindings = info!.HostConfig.PortBindings?.[`${CODE_SERVER_PORT}/tcp`] ?? [];
    expect(bindings.length).toBe(1);
    expect(bindings[0]!.HostIp).toBe('127.0.0.1');
    expect(info!.NetworkSettings.Ports[`${CODE_SERVER_PORT}/tcp`]?.every((b) => b.HostIp === '127.0.0.1')).toBe(true);
    expect(info!.HostConfig.Memory).toBe(2 * 1024 ** 3);
    expect(info!.HostConfig.NanoCpus).toBe(2e9);
    expect(info!.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info!.HostConfig.CapDrop).toContain('NET_RAW');
    expect(info!.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    const env = info!.Config.Env;
    expect(env).toContain(`PROJECT_ID=${project.id}`);
    expect(env).toContain('PROJECT_TYPE=python-flask');
    expect(env).toContain(`VSCODE_PROXY_URI=http://${project.id}-{{port}}.localhost:${t.port}/`);
    expect(env).toContain('PROXY_DOMAIN=localhost');
    expect(env.some((e) => /^(HASHED_)?PASSWORD=/.test(e))).toBe(false);

    // Details with the container block.
    const detail = await t.api('GET', `/api/projects/${project.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.project.container.status).toBe('running');
    expect(detail.body.project.container.uptime).toMatch(/^(\d+d )?(\d+h )?\d+m$/);
    expect(detail.body.project.container.resources.cpu).toMatch(/^\d+\.\d%$/);
    expect(detail.body.project.container.resources.memory).toMatch(/^\d+(\.\d)?(B|KB|MB|GB)$/);

    // code-server's page through the router on the same port.
    const page = await pollUntil(
      async () => {
        const r = await getWithHost(t.port, `${project.id}.localhost:${t.port}`, '/healthz');
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, description: 'code-server /healthz through the router' },
    );
    expect(page.body).toMatch(/alive|expired/);
    const root = await getWithHost(t.port, `${project.id}.localhost:${t.port}`, '/');
    expect([200, 302]).toContain(root.status);
    // A WebSocket through the same server reaches code-server and exchanges data.
    expect(await exchangeWithCodeServer(t.port, project.id)).toMatch(/"type":"(sign|error)"/);

    // Stop: the container is stopped per docker inspect, the record says stopped.
    const stopped = await t.api('POST', `/api/projects/${project.id}/stop`, {});
    expect(stopped.status).toBe(200);
    expect(stopped.body).toEqual({ success: true, message: 'Workspace stopped successfully', projectId: project.id });
    expect((await containerOf(project.id))!.State.Running).toBe(false);
    const list = await t.api('GET', '/api/projects/');
    expect(list.body.projects.find((p: ProjectSummary) => p.id === project.id).status).toBe('stopped');
    expect((await getWithHost(t.port, `${project.id}.localhost:${t.port}`, '/')).status).toBe(503);

    // Start: running again, served again.
    const started = await t.api('POST', `/api/projects/${project.id}/start`);
    expect(started.status).toBe(200);
    expect(started.body.project).toEqual({ id: project.id, status: 'running', workspaceUrl: project.workspaceUrl });
    expect((await containerOf(project.id))!.State.Running).toBe(true);
    expect((await getWithHost(t.port, `${project.id}.localhost:${t.port}`, '/healthz')).status).toBe(200);

    // Delete: container gone, record gone (API and database).
    const deleted = await t.api('DELETE', `/api/projects/${project.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, message: 'Project deleted successfully', projectId: project.id });
    expect(await containerOf(project.id)).toBeNull();
    expect((await t.api('GET', `/api/projects/${project.id}`)).status).toBe(404);
    expect((await t.api('GET', '/api/projects/')).body.projects.some((p: ProjectSummary) => p.id === project.id)).toBe(false);
    const store = openStore(t.dataDir);
    try {
      expect(store.projects.get(project.id)).toBeNull();
    } finally {
      store.close();
    }
    expect((await getWithHost(t.port, `${project.id}.localhost:${t.port}`, '/')).status).toBe(404);
  });

  it('protects stop and delete of a password-protected workspace and stores only a hash', async () => {
    const password = 'correct horse 42';
    const created = await t.api('POST', '/api/projects/create', { projectName: 'Protected 1', projectType: 'empty', passwordProtected: true, password });
    expect(created.status).toBe(201);
    expect(created.body.password).toBe(password);
    expect(created.body.project.passwordProtected).toBe(true);
    const id: string = created.body.project.id;
    await t.waitForStatus(id, 'running');

    // Never again in a response, never in the container's env, only an argon2id hash in the database.
    const detail = await t.api('GET', `/api/projects/${id}`);
    expect(JSON.stringify(detail.body)).not.toContain(password);
    expect(JSON.stringify((await t.api('GET', '/api/projects/')).body)).not.toContain(password);
    expect(JSON.stringify(await containerOf(id))).not.toContain(password);
    const store = openStore(t.dataDir);
    try {
      expect(store.projects.get(id)!.passwordHash).toMatch(/^\$argon2id\$/);
    } finally {
      store.close();
    }

    for (const body of [{}, { password: 'wrong password' }, { password: 42 }]) {
      const r = await t.api('POST', `/api/projects/${id}/stop`, body);
      if (typeof body.password === 'number') {
        expect(r.status).toBe(400);
      } else {
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ success: false, code: 'INVALID_WORKSPACE_PASSWORD' });
      }
    }
    expect((await containerOf(id))!.State.Running).toBe(true);
    expect((await t.api('POST', `/api/projects/${id}/stop`, { password })).status).toBe(200);

    const refused = await t.api('DELETE', `/api/projects/${id}`, { password: 'nope nope nope' });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('INVALID_WORKSPACE_PASSWORD');
    expect(await containerOf(id)).not.toBeNull();
    expect((await t.api('DELETE', `/api/projects/${id}`, { password })).status).toBe(200);
    expect(await containerOf(id)).toBeNull();
  });

  it('follows changes made outside the app through the engine event stream', async () => {
    const created = await t.api('POST', '/api/projects/create', { projectName: 'Outside Changes', projectType: 'empty' });
    const id: string = created.body.project.id;
    await t.waitForStatus(id, 'running');
    const container = docker.getContainer(`workspace-${id}`);

    await container.stop({ t: 1 });
    await t.waitForStatus(id, 'stopped', 5_000);

    await container.start();
    await t.waitForStatus(id, 'running', 30_000);
    expect((await getWithHost(t.port, `${id}.localhost:${t.port}`, '/healthz')).status).toBe(200);

    await container.remove({ force: true });
    const errored = await t.waitForStatus(id, 'error', 5_000);
    expect(errored.statusReason).toMatch(/removed/i);

    // Start re-creates the vanished container from the record.
    const restarted = await t.api('POST', `/api/projects/${id}/start`);
    expect(restarted.status).toBe(200);
    expect(restarted.body.project.status).toBe('running');
    expect((await containerOf(id))!.State.Running).toBe(true);
    expect((await t.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
  });

  it('streams a hello with the full state, then updates, over GET /api/events', async () => {
    const stream = await openServerEvents(t.url, t.token);
    const { response, events } = stream;
    try {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await pollUntil(() => events.length > 0, { timeoutMs: 5_000, description: 'hello event' });
      expect(events[0]!.type).toBe('hello');
      const hello = events[0] as Extract<ServerEvent, { type: 'hello' }>;
      expect(hello.docker.available).toBe(true);
      expect(hello.image.state).toBe('present');

      const created = await t.api('POST', '/api/projects/create', { projectName: 'Event Stream', projectType: 'empty' });
      const id: string = created.body.project.id;
      await pollUntil(
        () => events.some((e) => e.type === 'project.updated' && e.project.id === id && e.project.status === 'running'),
        { timeoutMs: 60_000, description: 'project.updated running' },
      );
      const statuses = events.filter((e) => e.type === 'project.updated' && e.project.id === id).map((e) => (e as { project: ProjectSummary }).project.status);
      expect(statuses[0]).toBe('creating');
      expect((await t.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
      await pollUntil(() => events.some((e) => e.type === 'project.removed' && e.projectId === id), { timeoutMs: 5_000, description: 'project.removed' });
    } finally {
      await stream.close();
    }
  });
});

describe('a workspace whose code-server cannot start', () => {
  it('ends in error with the reason kept, and start reports the failure', async () => {
    // An image derived from the real one whose entrypoint exits at once (/bin/false, exit code 1). The
    // entrypoint, not the CMD: the server gives every workspace its own command (the code-server supervisor).
    const base = await docker.createContainer({ Image: t.config.workspaceImage as string, Labels: { 'xares.instance': t.instanceId } });
    const tag = `xares-test-exiting:${t.instanceId}`;
    await base.commit({ repo: 'xares-test-exiting', tag: t.instanceId, changes: 'ENTRYPOINT ["/bin/false"]' });
    await base.remove({ force: true });
    const s = await startTestServer({ workspaceImage: tag });
    try {
      const created = await s.api('POST', '/api/projects/create', { projectName: 'Never Starts', projectType: 'empty' });
      expect(created.status).toBe(201);
      const id: string = created.body.project.id;
      const failed = await s.waitForStatus(id, 'error', 30_000);
      expect(failed.statusReason).toMatch(/exit code 1/);
      const start = await s.api('POST', `/api/projects/${id}/start`);
      expect(start.status).toBe(500);
      expect(start.body).toMatchObject({ success: false, code: 'CONTAINER_CREATE_FAILED' });
      expect(start.body.error).toMatch(/did not start/);
      expect((await s.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
    } finally {
      await s.dispose();
      await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    }
  });
});

describe('close()', () => {
  it('ends open event streams and proxied WebSockets, frees the port, and is idempotent', async () => {
    const s = await startTestServer();
    try {
      const created = await s.api('POST', '/api/projects/create', { projectName: 'Close Me', projectType: 'empty' });
      const id: string = created.body.project.id;
      await s.waitForStatus(id, 'running');
      const events = await fetch(`${s.url}/api/events`, { headers: { authorization: `Bearer ${s.token}` } });
      const reader = events.body!.getReader();
      await reader.read(); // hello
      const streamEnded = (async () => {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return true;
      })();
      const { WebSocket } = await import('ws');
      const host = `${id}.localhost:${s.port}`;
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/?reconnectionToken=abc&reconnection=false&skipWebSocketFrames=false`, { headers: { host }, origin: `http://${host}` });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const wsClosed = new Promise((resolve) => ws.once('close', resolve));

      const started = Date.now();
      await Promise.all([s.close(), s.close()]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await streamEnded).toBe(true);
      await wsClosed;
      await expect(fetch(`${s.url}/api/health`)).rejects.toThrow();
      // The workspace keeps running: closing the app does not stop participants' containers.
      expect((await docker.getContainer(`workspace-${id}`).inspect()).State.Running).toBe(true);
    } finally {
      await s.dispose();
    }
  });
});
