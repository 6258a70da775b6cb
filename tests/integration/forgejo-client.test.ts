/**
 * ForgejoClient (server/git/forgejo-client.ts) against the fake Forgejo (tests/fake-forgejo/server.mjs): REST
 * calls with Forgejo's shapes, and real git clones/pushes over smart HTTP (`git http-backend`), from the host
 * and from inside a workspace container.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgejoClient, ForgejoError, ForgejoUnavailableError } from '../../server/git/forgejo-client.js';
import { LABEL_INSTANCE } from '../../server/runtime/workspace-runtime.js';
import { FAKE_FORGEJO_ADMIN, startFakeForgejo, startFakeForgejoContainer, type FakeForgejo } from '../helpers/fake-forgejo.js';
import { execInContainer, newInstanceId, testDocker, testWorkspaceImage, removeInstanceContainers } from '../helpers/server.js';

const run = promisify(execFile);

let fake: FakeForgejo;
let admin: ForgejoClient;
let service: ForgejoClient;
let studentToken: string;
let strangerToken: string;
const work = mkdtempSync(path.join(os.tmpdir(), 'forgejo-client-test-'));

/** Runs git on the host with no prompts, no user config, and an Authorization header (never credentials in URLs). */
async function git(args: string[], options: { cwd?: string; token?: string } = {}) {
  const auth = options.token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x:${options.token}`).toString('base64')}`] : [];
  try {
    const { stdout, stderr } = await run('git', [...auth, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: options.cwd ?? work,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', HOME: work, GIT_ASKPASS: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  fake = await startFakeForgejo();
  // Bootstrapping as the app does: the admin's token (made with basic auth), then a service user and its token.
  const bootstrap = new ForgejoClient({ baseUrl: fake.baseUrl });
  const adminToken = await bootstrap.createUserToken(FAKE_FORGEJO_ADMIN.username, FAKE_FORGEJO_ADMIN.password, { name: 'xares-admin', scopes: ['write:admin'] });
  admin = new ForgejoClient({ baseUrl: fake.baseUrl, token: adminToken.sha1 });
}, 30_000);

afterAll(async () => {
  await fake?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('ForgejoClient against fake-forgejo (host)', () => {
  it('reads the server version without credentials', async () => {
    expect(await new ForgejoClient({ baseUrl: fake.baseUrl }).version()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('creates a service user and a token for it; the token acts as that user', async () => {
    const user = await admin.createUser({ username: 'xares-service', password: 'service-password-1', email: 'xares-service@example.com' });
    expect(user).toMatchObject({ login: 'xares-service', isAdmin: false });
    const token = await admin.createUserToken('xares-service', 'service-password-1', { name: 'xares', scopes: ['write:repository', 'read:user'] });
    expect(token.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(token.scopes).toEqual(['write:repository', 'read:user']);
    service = new ForgejoClient({ baseUrl: fake.baseUrl, token: token.sha1 });
    expect((await service.currentUser()).login).toBe('xares-service');

    // Duplicate user: 422 like Forgejo; a non-admin token cannot create users: 403; wrong password: 401.
    await expect(admin.createUser({ username: 'xares-service', password: 'service-password-1', email: 'other@example.com' })).rejects.toMatchObject({ name: 'ForgejoError', status: 422 });
    await expect(service.createUser({ username: 'someone', password: 'password-123', email: 's@example.com' })).rejects.toMatchObject({ status: 403 });
    await expect(admin.createUserToken('xares-service', 'wrong-password', { name: 'x', scopes: [] })).rejects.toMatchObject({ status: 401 });

    for (const name of ['student-1', 'stranger']) {
      await admin.createUser({ username: name, password: `${name}-password`, email: `${name}@example.com` });
    }
    studentToken = (await admin.createUserToken('student-1', 'student-1-password', { name: 'ws', scopes: ['write:repository'] })).sha1;
    strangerToken = (await admin.createUserToken('stranger', 'stranger-password', { name: 'ws', scopes: ['write:repository'] })).sha1;
  });

  it('creates a repository with auto_init (README commit on the default branch) and maps Forgejo fields', async () => {
    const repo = await service.createRepository({ name: 'my-flask-app', description: 'Python Flask web application', autoInit: true });
    expect(repo).toMatchObject({
      name: 'my-flask-app',
      fullName: 'xares-service/my-flask-app',
      description: 'Python Flask web application',
      htmlUrl: `${fake.baseUrl}xares-service/my-flask-app`,
      cloneUrl: `${fake.baseUrl}xares-service/my-flask-app.git`,
      private: false,
      defaultBranch: 'main',
      owner: 'xares-service',
      empty: false,
    });
    expect(Number.isNaN(Date.parse(repo.createdAt))).toBe(false);
    // The initial commit is real: anyone can clone the public repository and see the README.
    const clone = await git(['clone', '-q', repo.cloneUrl, 'readme-check']);
    expect(clone.code, clone.stderr).toBe(0);
    expect((await git(['log', '--format=%s'], { cwd: path.join(work, 'readme-check') })).stdout.trim()).toBe('Initial commit');
    expect((await git(['show', 'HEAD:README.md'], { cwd: path.join(work, 'readme-check') })).stdout).toContain('Python Flask web application');
  });

  it('answers 409 for a duplicate name (case-insensitive) and 422 for an invalid one', async () => {
    const dup = await service.createRepository({ name: 'My-Flask-App' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ForgejoError);
    expect(dup).toMatchObject({ status: 409 });
    for (const bad of ['has space', 'x.git', '..', '']) {
      await expect(service.createRepository({ name: bad })).rejects.toMatchObject({ status: 422 });
    }
  });

  it('lists the service user\'s repositories across pages', async () => {
    for (let i = 0; i < 51; i++) await service.createRepository({ name: `bulk-${i}`, private: i % 2 === 0 });
    const list = await service.listRepositories();
    expect(list).toHaveLength(52);
    expect(list[0]).toMatchObject({ name: 'my-flask-app', owner: 'xares-service' });
    expect(list.find((r) => r.name === 'bulk-50')).toMatchObject({ private: true, empty: true });
    // Other users do not see them as theirs.
    expect(await new ForgejoClient({ baseUrl: fake.baseUrl, token: strangerToken }).listRepositories()).toEqual([]);
  });

  it('adds a collaborator and creates a branch from main (a real ref in the bare repository)', async () => {
    await service.addCollaborator('xares-service', 'my-flask-app', 'student-1', 'write');
    await expect(service.addCollaborator('xares-service', 'my-flask-app', 'nobody-here', 'write')).rejects.toMatchObject({ status: 422 });
    await expect(service.addCollaborator('xares-service', 'no-such-repo', 'student-1', 'write')).rejects.toMatchObject({ status: 404 });

    const branch = await service.createBranch('xares-service', 'my-flask-app', { newBranch: 'clone/student-1', from: 'main' });
    expect(branch.name).toBe('clone/student-1');
    const remote = await git(['ls-remote', `${fake.baseUrl}xares-service/my-flask-app.git`]);
    expect(remote.stdout).toContain(`${branch.commitId}\trefs/heads/clone/student-1`);
    expect(remote.stdout).toContain(`${branch.commitId}\trefs/heads/main`);
    await expect(service.createBranch('xares-service', 'my-flask-app', { newBranch: 'clone/student-1', from: 'main' })).rejects.toMatchObject({ status: 409 });
    await expect(service.createBranch('xares-service', 'my-flask-app', { newBranch: 'clone/x', from: 'no-such-branch' })).rejects.toMatchObject({ status: 404 });
    await expect(service.createBranch('xares-service', 'bulk-1', { newBranch: 'clone/x', from: 'main' })).rejects.toMatchObject({ status: 404 });
    expect((await service.listBranches('xares-service', 'my-flask-app')).map((b) => b.name).sort()).toEqual(['clone/student-1', 'main']);
  });

  it('a collaborator clones, commits and pushes over HTTP with its token; a non-collaborator gets 403', async () => {
    const url = `${fake.baseUrl}xares-service/my-flask-app.git`;
    const dir = path.join(work, 'student');
    expect((await git(['clone', '-q', '--branch', 'clone/student-1', url, dir], { token: studentToken })).code).toBe(0);
    writeFileSync(path.join(dir, 'app.py'), 'print("hello")\n');
    await git(['add', 'app.py'], { cwd: dir });
    await git(['commit', '-q', '-m', 'student work'], { cwd: dir });
    const pushed = await git(['push', 'origin', 'clone/student-1'], { cwd: dir, token: studentToken });
    expect(pushed.code, pushed.stderr).toBe(0);
    const head = (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
    const branches = await service.listBranches('xares-service', 'my-flask-app');
    expect(branches.find((b) => b.name === 'clone/student-1')?.commitId).toBe(head);

    const denied = await git(['push', 'origin', 'HEAD:refs/heads/stranger'], { cwd: dir, token: strangerToken });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/403/);
    const anonymous = await git(['push', url, 'HEAD:refs/heads/anon'], { cwd: dir });
    expect(anonymous.code).not.toBe(0);
    expect((await git(['ls-remote', url])).stdout).not.toMatch(/stranger|anon/);
    // Private repositories are invisible without access.
    expect((await git(['ls-remote', `${fake.baseUrl}xares-service/bulk-0.git`], { token: strangerToken })).code).not.toBe(0);
  });

  it('a repository-limited token pushes to its repository only', async () => {
    await service.createRepository({ name: 'other-course', autoInit: true });
    await service.addCollaborator('xares-service', 'other-course', 'student-1', 'write');
    const limited = await admin.createUserToken('student-1', 'student-1-password', {
      name: 'ws-limited', scopes: ['write:repository'], repositories: [{ owner: 'xares-service', name: 'my-flask-app' }],
    });
    expect(limited.repositories).toEqual(['xares-service/my-flask-app']);
    await expect(admin.createUserToken('student-1', 'student-1-password', { name: 'bad', scopes: ['write:repository'], repositories: [{ owner: 'xares-service', name: 'nope' }] }))
      .rejects.toMatchObject({ status: 422 });
    const dir = path.join(work, 'limited');
    expect((await git(['clone', '-q', '--branch', 'clone/student-1', `${fake.baseUrl}xares-service/my-flask-app.git`, dir], { token: limited.sha1 })).code).toBe(0);
    writeFileSync(path.join(dir, 'more.py'), 'x = 1\n');
    await git(['add', 'more.py'], { cwd: dir });
    await git(['commit', '-q', '-m', 'limited token'], { cwd: dir });
    const ok = await git(['push', 'origin', 'clone/student-1'], { cwd: dir, token: limited.sha1 });
    expect(ok.code, ok.stderr).toBe(0);
    // The same user's unlimited token could push to other-course; the limited one cannot.
    const other = await git(['push', `${fake.baseUrl}xares-service/other-course.git`, 'HEAD:refs/heads/limited'], { cwd: dir, token: limited.sha1 });
    expect(other.code).not.toBe(0);
    expect((await git(['ls-remote', `${fake.baseUrl}xares-service/other-course.git`])).stdout).not.toContain('limited');
    await expect(new ForgejoClient({ baseUrl: fake.baseUrl, token: limited.sha1 }).listRepositories()).rejects.toMatchObject({ status: 403 });
  });

  it('reports refused credentials as ForgejoError 401 and a dead server as ForgejoUnavailableError', async () => {
    await expect(new ForgejoClient({ baseUrl: fake.baseUrl, token: '0'.repeat(40) }).listRepositories()).rejects.toMatchObject({ name: 'ForgejoError', status: 401 });
    const dead = new ForgejoClient({ baseUrl: 'http://127.0.0.1:9/', token: 'secret-token-value', timeoutMs: 2000 });
    const error = await dead.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgejoUnavailableError);
    expect(String((error as Error).message)).not.toContain('secret-token-value');
  });
});

describe('fake-forgejo in a container: push from a workspace container', () => {
  const docker = testDocker();
  const instanceId = newInstanceId();
  const labels = { [LABEL_INSTANCE]: instanceId };
  const network = `${instanceId}-git`;
  const fakeName = `${instanceId}-forgejo`;
  const wsName = `${instanceId}-ws`;

  beforeAll(async () => {
    await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  });
  afterAll(async () => {
    await removeInstanceContainers(instanceId, docker);
    await docker.getNetwork(network).remove().catch(() => undefined);
  });

  it('serves the API on a published 127.0.0.1 port and real pushes from a workspace container', async () => {
    const { hostBaseUrl } = await startFakeForgejoContainer({ name: fakeName, network, aliases: ['git'], labels, publish: true, docker });
    expect(hostBaseUrl).toBeDefined();
    const bootstrap = new ForgejoClient({ baseUrl: hostBaseUrl! });
    const adminToken = await bootstrap.createUserToken(FAKE_FORGEJO_ADMIN.username, FAKE_FORGEJO_ADMIN.password, { name: 'a', scopes: ['all'] });
    const adminClient = new ForgejoClient({ baseUrl: hostBaseUrl!, token: adminToken.sha1 });
    const repo = await adminClient.createRepository({ name: 'course', autoInit: true });
    expect(repo.cloneUrl).toBe('http://git:3000/forgejo-admin/course.git');
    await adminClient.createUser({ username: 'student', password: 'student-password', email: 'student@example.com' });
    await adminClient.addCollaborator('forgejo-admin', 'course', 'student', 'write');
    const token = await adminClient.createUserToken('student', 'student-password', { name: 'ws', scopes: ['write:repository'] });
    await adminClient.createBranch('forgejo-admin', 'course', { newBranch: 'clone/student', from: 'main' });

    const ws = await docker.createContainer({
      name: wsName, Image: testWorkspaceImage(), Entrypoint: ['sleep', 'infinity'], Cmd: [], Labels: labels,
      HostConfig: { NetworkMode: network, CapDrop: ['NET_RAW'] },
    });
    await ws.start();
    const header = `Authorization: Basic ${Buffer.from(`student:${token.sha1}`).toString('base64')}`;
    const script = [
      'set -e', 'cd /tmp', `git -c "http.extraHeader=${header}" clone -q --branch clone/student ${repo.cloneUrl} w`, 'cd w',
      'echo work > work.txt', 'git add work.txt', 'git -c user.name=S -c user.email=s@example.com commit -q -m "from the workspace"',
      `git -c "http.extraHeader=${header}" push -q origin clone/student`, 'git rev-parse HEAD',
    ].join('\n');
    const result = await execInContainer(wsName, ['sh', '-c', script], {}, docker);
    expect(result.code, result.stderr).toBe(0);
    const branches = await adminClient.listBranches('forgejo-admin', 'course');
    expect(branches.find((b) => b.name === 'clone/student')?.commitId).toBe(result.stdout.trim().split('\n').pop());
  });
});
