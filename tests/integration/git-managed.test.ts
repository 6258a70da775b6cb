// The managed Git server (issue #7) on the real engine, with the fake Forgejo IMAGE (tests/fake-forgejo/Dockerfile:
// no Forgejo image can be pulled here). Settings → container on its networks with alias xares-git, admin bootstrap
// through the image's CLI, repositories through the API, `/git/` on a participant host (and a redirect there from
// the admin host), a container removed behind the app's back is re-created with its data, and an app restart
// brings it back. Docker objects are this test server's instance's (labelled), removed in afterAll.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFakeForgejoImage } from '../helpers/fake-forgejo.js';
import { getWithHost } from '../helpers/http-host.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';
import { LABEL_ROLE, managedGitNames } from '../../server/git/managed-git-server.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../../server/runtime/workspace-runtime.js';

const PUBLIC_HOST = 'lan.test';
const docker = testDocker();
let t: TestServer;
let image: string;

/** One request to our server with an explicit Host header. */
const request = (host: string, path: string, headers: Record<string, string> = {}) => getWithHost(t.port, host, path, headers);

const participant = () => `${PUBLIC_HOST}:${t.port}`;
const browserBase = () => `http://${PUBLIC_HOST}:${t.port}/git/`;
const containerName = () => managedGitNames(t.instanceId).container;

beforeAll(async () => {
  image = await ensureFakeForgejoImage();
  t = await startTestServer({ publicHost: PUBLIC_HOST }, { gitServer: { image, readyTimeoutMs: 60_000, checkIntervalMs: 1_000 } });
}, 300_000);

afterAll(async () => {
  await t?.server.managedGit?.remove();
  await t?.dispose();
}, 120_000);

describe('managed Git server', () => {
  let owner = '';

  it('is offered, and /git/ answers 503 with a page while it is not in use', async () => {
    const settings = await t.api('GET', '/api/git/settings');
    expect(settings.body.settings).toMatchObject({ enabled: false, managedAvailable: true });
    const page = await request(participant(), '/git/');
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('not run by Xares');
  });

  it('PUT settings managed starts the container on its networks and bootstraps it', async () => {
    const put = await t.api('PUT', '/api/git/settings', { enabled: true, mode: 'managed' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.settings).toMatchObject({ enabled: true, mode: 'managed', url: browserBase(), adminTokenSet: true, managedAvailable: true });
    expect(put.body.status).toMatchObject({ enabled: true, reachable: true, url: browserBase(), version: '11.0.0+fake-forgejo', error: null });

    const info = await docker.getContainer(containerName()).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: t.instanceId, [LABEL_ROLE]: 'git' });
    expect(info.Config.Env).toEqual(expect.arrayContaining([`FORGEJO__server__ROOT_URL=${browserBase()}`, 'FORGEJO__security__INSTALL_LOCK=true', 'FORGEJO__database__DB_TYPE=sqlite3']));
    expect(info.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(managedGitNames(t.instanceId).volume);
    const bindings = info.NetworkSettings.Ports['3000/tcp'] ?? [];
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) expect(binding.HostIp).toBe('127.0.0.1');
    const networks = info.NetworkSettings.Networks;
    const expected = [`xares--${t.instanceId}-egress-git`, `xares-${t.instanceId}-security`, `xares-${t.instanceId}-logging`, 'xares-workspaces'];
    for (const name of expected) {
      expect(networks[name], name).toBeDefined();
      expect(networks[name]?.Aliases ?? [], name).toContain(managedGitNames(t.instanceId).container);
    }
    // Its egress network sorts first (default route).
    expect([...expected].sort()[0]).toBe(`xares--${t.instanceId}-egress-git`);
    const addresses = await t.server.managedGit!.addresses();
    expect(Object.keys(addresses ?? {}).sort()).toEqual([...expected].sort());
    for (const address of Object.values(addresses ?? {})) expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // The answer carries no secret.
    expect(JSON.stringify(put.body)).not.toMatch(/[0-9a-f]{40}/);
  });

  it('creates and lists repositories with browser URLs from ROOT_URL', async () => {
    const created = await t.api('POST', '/api/git/repositories', { name: 'managed-demo', description: 'demo' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    owner = created.body.repository.fullName.split('/')[0];
    expect(owner).toMatch(/^xares-[0-9a-f]{8}$/);
    expect(created.body.repository).toMatchObject({ name: 'managed-demo', url: `${browserBase()}${owner}/managed-demo`, cloneUrl: `${browserBase()}${owner}/managed-demo.git` });
    expect((await t.api('POST', '/api/git/repositories', { name: 'managed-demo' })).status).toBe(409);
    const list = await t.api('GET', '/api/git/repositories');
    expect(list.status).toBe(200);
    expect(list.body.repositories.map((r: { name: string }) => r.name)).toEqual(['managed-demo']);
  });

  it('serves /git/ on participant hosts (prefix stripped) and redirects there from the admin host', async () => {
    const page = await request(participant(), `/git/${owner}/managed-demo`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<h1 class="fake-forgejo-repo">${owner}/managed-demo</h1>`);
    const version = await request(participant(), '/git/api/v1/version');
    expect(JSON.parse(version.body)).toEqual({ version: '11.0.0+fake-forgejo' });
    // Git's smart HTTP goes through too (public repository: anonymous read).
    const refs = await request(participant(), `/git/${owner}/managed-demo.git/info/refs?service=git-upload-pack`);
    expect(refs.status).toBe(200);
    expect(refs.headers['content-type']).toBe('application/x-git-upload-pack-advertisement');
    // `/git` → `/git/`.
    const bare = await request(participant(), '/git?x=1');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/git/?x=1');
    // Admin host: never a Forgejo page, a redirect to the participant address instead.
    for (const host of [`localhost:${t.port}`, `127.0.0.1:${t.port}`]) {
      const redirected = await request(host, `/git/${owner}/managed-demo?tab=1`);
      expect(redirected.status, host).toBe(302);
      expect(redirected.headers.location).toBe(`${browserBase()}${owner}/managed-demo?tab=1`);
      expect(redirected.body).not.toContain('fake-forgejo-repo');
    }
  });

  it('re-creates a container removed behind its back; the volume keeps the repositories', async () => {
    const before = await docker.getContainer(containerName()).inspect();
    await docker.getContainer(containerName()).remove({ force: true });
    const list = await t.api('GET', '/api/git/repositories');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.repositories.map((r: { name: string }) => r.name)).toEqual(['managed-demo']);
    const after = await docker.getContainer(containerName()).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.State.Running).toBe(true);
    const page = await request(participant(), `/git/${owner}/managed-demo`);
    expect(page.status).toBe(200);
    // Removed again, and the next visitor comes through /git/: the proxy finds it gone and it is made again.
    await docker.getContainer(containerName()).remove({ force: true });
    const again = await pollUntil(
      async () => {
        const answer = await request(participant(), `/git/${owner}/managed-demo`);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'repository page through /git/ after the second removal' },
    );
    expect(again.body).toContain('fake-forgejo-repo');
  });

  it('comes back after an app restart (stopped container started again, status reachable)', async () => {
    await docker.getContainer(containerName()).stop({ t: 5 });
    t = await t.restart();
    const status = await pollUntil(
      async () => {
        const body = (await t.api('GET', '/api/git/settings')).body;
        return body.status.reachable ? body.status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'managed git server reachable after the restart' },
    );
    expect(status.url).toBe(browserBase());
    expect((await docker.getContainer(containerName()).inspect()).State.Running).toBe(true);
    const list = await t.api('GET', '/api/git/repositories');
    expect(list.body.repositories.map((r: { name: string }) => r.name)).toEqual(['managed-demo']);
  });

  it('is made again by the periodic check when its container disappears, with nobody calling it', async () => {
    const before = await docker.getContainer(containerName()).inspect();
    await docker.getContainer(containerName()).remove({ force: true });
    const after = await pollUntil(
      async () => {
        const info = await docker.getContainer(containerName()).inspect().catch(() => null);
        return info && info.Id !== before.Id && info.State.Running ? info : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'managed git container made again by the check' },
    );
    expect(after.Config.Labels[LABEL_ROLE]).toBe('git');
    const status = await pollUntil(
      async () => {
        const body = (await t.api('GET', '/api/git/settings')).body;
        return body.status.reachable ? body.status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, description: 'status reachable again' },
    );
    expect(status.version).toContain('fake-forgejo');
  });

  it('keeps running when a switch to an external server is refused', async () => {
    const since = Math.floor(Date.now() / 1000);
    const refused = await t.api('PUT', '/api/git/settings', { enabled: true, mode: 'external', url: 'http://127.0.0.1:1/', adminToken: 'not-a-token' });
    expect(refused.status).toBe(503);
    expect((await t.api('GET', '/api/git/settings')).body.settings).toMatchObject({ enabled: true, mode: 'managed' });
    // Every event of the container in the 3 s after the refusal: none stops it.
    const stream = (await docker.getEvents({ since, until: since + 3, filters: { container: [containerName()] } })) as NodeJS.ReadableStream;
    let events = '';
    for await (const chunk of stream) events += String(chunk);
    expect(events).not.toMatch(/"status":"(kill|stop|die)"/);
    expect((await docker.getContainer(containerName()).inspect()).State.Running).toBe(true);
    expect((await t.api('GET', '/api/git/repositories')).status).toBe(200);
  });

  it('disabling stops it; /git/ then answers 503', async () => {
    const put = await t.api('PUT', '/api/git/settings', { enabled: false, mode: 'managed' });
    expect(put.status).toBe(200);
    expect(put.body.settings).toMatchObject({ enabled: false, mode: 'managed' });
    await pollUntil(async () => !(await docker.getContainer(containerName()).inspect()).State.Running, { timeoutMs: 30_000, intervalMs: 200, description: 'container stopped' });
    const page = await request(participant(), '/git/');
    expect(page.status).toBe(503);
    expect(page.body).toContain('switched off');
    expect((await t.api('GET', '/api/git/repositories')).status).toBe(503);
  });
});

describe('managed Git server image missing', () => {
  let missing: TestServer;
  afterAll(async () => {
    await missing?.server.managedGit?.remove();
    await missing?.dispose();
  }, 120_000);

  it('answers 503 naming the image when it cannot be pulled', async () => {
    const name = 'xares/fake-forgejo-missing:none';
    missing = await startTestServer({ publicHost: PUBLIC_HOST }, { gitServer: { image: name } });
    const put = await missing.api('PUT', '/api/git/settings', { enabled: true, mode: 'managed' });
    expect(put.status).toBe(503);
    expect(put.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    expect(put.body.error).toContain(name);
    expect((await missing.api('GET', '/api/git/settings')).body.settings.enabled).toBe(false);
  }, 180_000);
});
