/**
 * Git server API on the real server (issue #7): `GET/PUT /api/git/settings`, `GET/POST /api/git/repositories`,
 * `GET /api/config`'s git fields. Real HTTP, auth and SQLite; the Forgejo side is the in-memory fake client
 * (tests/helpers/fake-forgejo-client.ts). No workspace is started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiErrorBody,
  ConfigResponse,
  CreateGitRepositoryResponse,
  GitSettingsResponse,
  ListGitRepositoriesResponse,
} from '../../server/contract/index.js';
import { FakeForgejo } from '../helpers/fake-forgejo-client.js';
import { pollUntil, startTestServer, type ApiResult, type TestServer } from '../helpers/server.js';

const FORGEJO_URL = 'http://forgejo.test.invalid:3000/';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef0123456789abcdef';

describe('Git server API', () => {
  const forgejo = new FakeForgejo(FORGEJO_URL, ADMIN_TOKEN);
  let t: TestServer;
  /** Every answer's raw text, to check no secret ever left the server. */
  const answers: string[] = [];
  const call = async <T = any>(method: string, path: string, body?: unknown, options?: Parameters<TestServer['api']>[3]): Promise<ApiResult<T>> => {
    const result = await t.api<T>(method, path, body, options);
    answers.push(JSON.stringify(result.body));
    return result;
  };
  const config = async () => ConfigResponse.parse((await call('GET', '/api/config')).body).config;

  beforeAll(async () => {
    t = await startTestServer({}, { networkControl: false, gitClientFactory: forgejo.factory });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('needs the admin token', async () => {
    expect((await call('GET', '/api/git/settings', undefined, { token: null })).status).toBe(401);
    expect((await call('GET', '/api/git/repositories', undefined, { token: null })).status).toBe(401);
    expect((await call('POST', '/api/git/repositories', { name: 'x' }, { token: null })).status).toBe(401);
    expect((await call('PUT', '/api/git/settings', { enabled: false }, { token: null })).status).toBe(401);
  });

  it('starts disabled: settings say so, config reports no git server, repositories answer 503 with the reason', async () => {
    const settings = GitSettingsResponse.parse((await call('GET', '/api/git/settings')).body);
    expect(settings.settings).toEqual({ enabled: false, mode: 'external', url: '', adminTokenSet: false, managedAvailable: false });
    expect(settings.status).toMatchObject({ enabled: false, reachable: false });
    const cfg = await config();
    expect(cfg.features.gitServer).toBe(false);
    expect(cfg.gitServer).toEqual({ enabled: false, url: null, version: null });
    for (const res of [await call('GET', '/api/git/repositories'), await call('POST', '/api/git/repositories', { name: 'demo' })]) {
      expect(res.status).toBe(503);
      const error = ApiErrorBody.parse(res.body);
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.error).toMatch(/disabled/i);
    }
  });

  it('refuses bad settings with 400 naming the field, and an unreachable server with 503 in words; nothing is stored', async () => {
    const cases: Array<[unknown, string]> = [
      [{ enabled: true, url: 'ftp://forgejo.example/', adminToken: ADMIN_TOKEN }, 'url'],
      [{ enabled: true, url: 'not a url', adminToken: ADMIN_TOKEN }, 'url'],
      [{ enabled: true, url: 'http://user:pw@forgejo.example/', adminToken: ADMIN_TOKEN }, 'url'],
      [{ enabled: true, url: '', adminToken: ADMIN_TOKEN }, 'url'],
      [{ enabled: true, url: FORGEJO_URL }, 'adminToken'],
      [{ enabled: 'yes', url: FORGEJO_URL }, 'enabled'],
    ];
    for (const [body, field] of cases) {
      const res = await call('PUT', '/api/git/settings', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ApiErrorBody.parse(res.body);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(error.details ?? {})).toContain(field);
    }
    const managed = ApiErrorBody.parse((await call('PUT', '/api/git/settings', { enabled: true, url: '', adminToken: ADMIN_TOKEN })).body);
    expect(managed.error).toMatch(/managed.*not available/i);

    const unreachable = await call('PUT', '/api/git/settings', { enabled: true, url: 'http://other-forgejo.test.invalid/', adminToken: ADMIN_TOKEN });
    expect(unreachable.status).toBe(503);
    const error = ApiErrorBody.parse(unreachable.body);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.error).toContain('http://other-forgejo.test.invalid/');
    expect(error.error).toMatch(/cannot be reached/);

    const refused = await call('PUT', '/api/git/settings', { enabled: true, url: FORGEJO_URL, adminToken: 'not-an-admin-token' });
    expect(refused.status).toBe(400);
    expect(Object.keys(ApiErrorBody.parse(refused.body).details ?? {})).toEqual(['adminToken']);

    const settings = GitSettingsResponse.parse((await call('GET', '/api/git/settings')).body);
    expect(settings.settings).toMatchObject({ enabled: false, url: '', adminTokenSet: false });
  });

  it('enables with URL and admin token: config reports the server, a non-admin service user is created', async () => {
    const res = await call('PUT', '/api/git/settings', { enabled: true, url: FORGEJO_URL, adminToken: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    const body = GitSettingsResponse.parse(res.body);
    expect(body.settings).toEqual({ enabled: true, mode: 'external', url: FORGEJO_URL, adminTokenSet: true, managedAvailable: false });
    expect(body.status).toEqual({ enabled: true, reachable: true, url: FORGEJO_URL, version: forgejo.version, error: null });
    const cfg = await config();
    expect(cfg.features.gitServer).toBe(true);
    expect(cfg.gitServer).toEqual({ enabled: true, url: FORGEJO_URL, version: forgejo.version });
    const serviceUsers = [...forgejo.users.entries()].filter(([name]) => name !== 'forgejo-admin');
    expect(serviceUsers).toHaveLength(1);
    expect(serviceUsers[0]?.[1].admin).toBe(false);
  });

  it('creates a repository (201, contract shape) as the service user, lists it, and answers 409 for the same name', async () => {
    const used = forgejo.tokensUsed.length;
    const res = await call('POST', '/api/git/repositories', { name: 'new-project', description: 'My new project repository', private: false });
    expect(res.status).toBe(201);
    const { repository } = CreateGitRepositoryResponse.parse(res.body);
    const owner = [...forgejo.users.keys()].find((name) => name !== 'forgejo-admin');
    expect(repository).toMatchObject({
      name: 'new-project',
      fullName: `${owner}/new-project`,
      description: 'My new project repository',
      url: `${FORGEJO_URL}${owner}/new-project`,
      cloneUrl: `${FORGEJO_URL}${owner}/new-project.git`,
      private: false,
    });
    expect(Number.isNaN(Date.parse(repository.createdAt))).toBe(false);
    // Repository calls never use the admin token.
    expect(forgejo.tokensUsed.slice(used)).not.toContain(ADMIN_TOKEN);

    const secret = await call('POST', '/api/git/repositories', { name: 'private.repo_2', private: true });
    expect(secret.status).toBe(201);
    expect(CreateGitRepositoryResponse.parse(secret.body).repository.private).toBe(true);

    const duplicate = await call('POST', '/api/git/repositories', { name: 'new-project' });
    expect(duplicate.status).toBe(409);
    expect(ApiErrorBody.parse(duplicate.body).code).toBe('GIT_REPO_EXISTS');

    const list = ListGitRepositoriesResponse.parse((await call('GET', '/api/git/repositories')).body);
    expect(list.repositories.map((repo) => repo.name)).toEqual(['new-project', 'private.repo_2']);
    expect(list.repositories[0]).toEqual(repository);
  });

  it('refuses bad repository names and fields with 400 VALIDATION_ERROR naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 'has space' }, 'name'],
      [{ name: 'ümlaut' }, 'name'],
      [{ name: 'a/b' }, 'name'],
      [{ name: '.' }, 'name'],
      [{ name: '..' }, 'name'],
      [{ name: 'project.git' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 42 }, 'name'],
      [{}, 'name'],
      [{ name: 'ok', description: 'd'.repeat(2049) }, 'description'],
      [{ name: 'ok', private: 'no' }, 'private'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/api/git/repositories', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ApiErrorBody.parse(res.body);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(Object.keys(error.details ?? {})).toEqual([field]);
    }
    expect((await call('POST', '/api/git/repositories', { name: 'x'.repeat(100) })).status).toBe(201);
  });

  it('answers 503 with the reason when the server goes away, and config stops offering it', async () => {
    forgejo.reachable = false;
    try {
      const res = await call('GET', '/api/git/repositories');
      expect(res.status).toBe(503);
      expect(ApiErrorBody.parse(res.body).error).toMatch(/cannot be reached/);
      const created = await call('POST', '/api/git/repositories', { name: 'while-down' });
      expect(created.status).toBe(503);
      const cfg = await config();
      expect(cfg.features.gitServer).toBe(false);
      expect(cfg.gitServer.enabled).toBe(false);
      expect(cfg.gitServer.url).toBe(FORGEJO_URL);
    } finally {
      forgejo.reachable = true;
    }
  });

  it('keeps the settings and the service user across a restart', async () => {
    const usersBefore = forgejo.users.size;
    t = await t.restart();
    const cfg = await pollUntil(async () => {
      const c = await config();
      return c.features.gitServer ? c : undefined;
    }, { description: 'the git server to be reported after restart', timeoutMs: 10_000 });
    expect(cfg.gitServer).toEqual({ enabled: true, url: FORGEJO_URL, version: forgejo.version });
    const settings = GitSettingsResponse.parse((await call('GET', '/api/git/settings')).body);
    expect(settings.settings).toEqual({ enabled: true, mode: 'external', url: FORGEJO_URL, adminTokenSet: true, managedAvailable: false });
    const list = ListGitRepositoriesResponse.parse((await call('GET', '/api/git/repositories')).body);
    expect(list.repositories.map((repo) => repo.name)).toContain('new-project');
    expect(forgejo.users.size).toBe(usersBefore);
  });

  it('disables: repositories answer 503 again, the admin token stays stored but is never answered', async () => {
    const res = await call('PUT', '/api/git/settings', { enabled: false });
    expect(res.status).toBe(200);
    expect(GitSettingsResponse.parse(res.body).settings).toEqual({ enabled: false, mode: 'external', url: FORGEJO_URL, adminTokenSet: true, managedAvailable: false });
    expect((await call('GET', '/api/git/repositories')).status).toBe(503);
    expect((await config()).gitServer).toEqual({ enabled: false, url: null, version: null });
  });

  it('never answered the admin token or a service token', () => {
    const serviceTokens = [...forgejo.tokens.keys()].filter((token) => token !== ADMIN_TOKEN);
    expect(serviceTokens.length).toBeGreaterThan(0);
    const all = answers.join('\n');
    expect(all).not.toContain(ADMIN_TOKEN);
    for (const token of serviceTokens) expect(all).not.toContain(token);
  });
});
