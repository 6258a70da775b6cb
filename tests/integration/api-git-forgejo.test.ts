/**
 * Git server API on the real server with the real Forgejo client (server/git/forgejo-client.ts) against the
 * fake Forgejo (tests/fake-forgejo, started on 127.0.0.1 by tests/helpers/fake-forgejo.ts) — issue #7. Checks
 * the whole path over HTTP: settings, the service user made with the admin token, create/list/duplicate,
 * names the server refuses, restart, and the server going away.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody, ConfigResponse, CreateGitRepositoryResponse, GitSettingsResponse, ListGitRepositoriesResponse } from '../../server/contract/index.js';
import { ForgejoClient } from '../../server/git/forgejo-client.js';
import { FAKE_FORGEJO_ADMIN, startFakeForgejo, type FakeForgejo } from '../helpers/fake-forgejo.js';
import { pollUntil, startTestServer, type ApiResult, type TestServer } from '../helpers/server.js';

const execFileAsync = promisify(execFile);

describe('Git server API with the Forgejo client against fake-forgejo', () => {
  let fake: FakeForgejo;
  let adminToken: string;
  let t: TestServer;
  const answers: string[] = [];
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const result = await t.api<T>(method, path, body);
    answers.push(JSON.stringify(result.body));
    return result;
  };
  const config = async () => ConfigResponse.parse((await call('GET', '/api/config')).body).config;

  beforeAll(async () => {
    fake = await startFakeForgejo();
    const bootstrap = new ForgejoClient({ baseUrl: fake.baseUrl });
    adminToken = (await bootstrap.createUserToken(FAKE_FORGEJO_ADMIN.username, FAKE_FORGEJO_ADMIN.password, { name: 'teacher', scopes: ['write:admin'] })).sha1;
    t = await startTestServer({}, { networkControl: false });
  }, 30_000);
  afterAll(async () => {
    await t?.dispose();
    await fake?.stop();
  });

  it('enables with the URL and admin token; config reports the server and its version', async () => {
    const res = await call('PUT', '/api/git/settings', { enabled: true, url: fake.baseUrl, adminToken });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = GitSettingsResponse.parse(res.body);
    expect(body.settings).toEqual({ enabled: true, mode: 'external', url: fake.baseUrl, adminTokenSet: true, managedAvailable: false });
    expect(body.status).toMatchObject({ enabled: true, reachable: true, url: fake.baseUrl, error: null });
    const version = await new ForgejoClient({ baseUrl: fake.baseUrl }).version();
    const cfg = await config();
    expect(cfg.features.gitServer).toBe(true);
    expect(cfg.gitServer).toEqual({ enabled: true, url: fake.baseUrl, version });
  });

  it('creates repositories as a non-admin service user (201), lists them, 409 for a duplicate, 400 for bad names', async () => {
    const res = await call('POST', '/api/git/repositories', { name: 'new-project', description: 'My new project repository' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { repository } = CreateGitRepositoryResponse.parse(res.body);
    const owner = repository.fullName.split('/')[0] ?? '';
    expect(owner).toMatch(/^xares-[0-9a-f]{8}$/);
    expect(repository).toMatchObject({
      name: 'new-project',
      fullName: `${owner}/new-project`,
      description: 'My new project repository',
      url: `${fake.baseUrl}${owner}/new-project`,
      cloneUrl: `${fake.baseUrl}${owner}/new-project.git`,
      private: false,
    });
    // Created by our service user, not by the admin (whose login is forgejo-admin).
    expect(owner).not.toBe(FAKE_FORGEJO_ADMIN.username);

    const duplicate = await call('POST', '/api/git/repositories', { name: 'new-project' });
    expect(duplicate.status).toBe(409);
    expect(ApiErrorBody.parse(duplicate.body).code).toBe('GIT_REPO_EXISTS');
    for (const name of ['bad name', 'x.git', '..']) {
      const bad = await call('POST', '/api/git/repositories', { name });
      expect(bad.status).toBe(400);
      expect(ApiErrorBody.parse(bad.body).details).toHaveProperty('name');
    }
    const list = ListGitRepositoriesResponse.parse((await call('GET', '/api/git/repositories')).body);
    expect(list.repositories).toEqual([repository]);
  });

  it('gives a workspace created with createGitRepo a repository named after it (collisions get a suffix)', async () => {
    // A repository of that name exists already: the workspace's gets `-2`.
    expect((await call('POST', '/api/git/repositories', { name: 'git-project' })).status).toBe(201);
    const res = await call('POST', '/api/projects/create', { projectName: 'Git Project', projectType: 'empty', createGitRepo: true });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.project.hasGitRepo).toBe(true);
    const url = res.body.project.gitRepoUrl as string;
    // Named after the workspace (case kept); Forgejo compares names without case, so it got `-2`.
    expect(url).toMatch(new RegExp(`^${fake.baseUrl.replace(/[.]/g, '\\.')}xares-[0-9a-f]{8}/Git-Project-2$`));
    // A real git client finds it, empty: the workspace itself pushes its template's files as the first commit
    // (tests/integration/git-workspaces.test.ts; this server's 127.0.0.1 address is not reachable from containers).
    const { stdout } = await execFileAsync('git', ['ls-remote', '--heads', `${url}.git`], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    expect(stdout).toBe('');
    // The project keeps its URL (detail view), and the credential-free browser URL is all it shows.
    const detail = await call('GET', `/api/projects/${res.body.project.id}`);
    expect(detail.body.project?.gitRepoUrl ?? detail.body.gitRepoUrl).toBe(url);
    expect(JSON.stringify(detail.body)).not.toMatch(/@|token/i);
    expect((await call('DELETE', `/api/projects/${res.body.project.id}`)).status).toBe(200);
  });

  it('keeps settings and service user across a restart', async () => {
    t = await t.restart();
    await pollUntil(async () => (await config()).features.gitServer, { description: 'git server reported after restart', timeoutMs: 15_000 });
    const list = ListGitRepositoriesResponse.parse((await call('GET', '/api/git/repositories')).body);
    expect(list.repositories.map((repo) => repo.name.toLowerCase()).sort()).toEqual(['git-project', 'git-project-2', 'new-project']);
  });

  it('answers 503 with the reason once the server is gone', async () => {
    await fake.stop();
    const res = await call('GET', '/api/git/repositories');
    expect(res.status).toBe(503);
    const error = ApiErrorBody.parse(res.body);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.error).toContain(fake.baseUrl);
    expect((await config()).features.gitServer).toBe(false);
  });

  it('never answered the admin token', () => {
    expect(answers.join('\n')).not.toContain(adminToken);
  });
});
