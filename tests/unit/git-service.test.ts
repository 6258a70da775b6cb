// GitService (issue #7) on a real SQLite store with the in-memory fake Forgejo client: name rules, URL rules,
// repository names for workspaces with collisions, secrets kept out of the logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { gitRepoNameProblem } from '../../server/contract/index.js';
import { GitService, gitServerUrlProblem, repositoryNameFor } from '../../server/services/git-service.js';
import { openStore, type Store } from '../../server/store/index.js';
import { FakeForgejo } from '../helpers/fake-forgejo-client.js';

const URL_ = 'http://forgejo.test.invalid/';
const ADMIN = 'admin-token-for-the-unit-test-0123456789';
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(): { service: GitService; store: Store; forgejo: FakeForgejo; logLines: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-git-'));
  const store = openStore(dir);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  const forgejo = new FakeForgejo(URL_, ADMIN);
  return { service: new GitService({ repository: store.git, clientFactory: forgejo.factory, logger }), store, forgejo, logLines };
}

describe('repository name rules (Forgejo AlphaDashDot + reserved endings)', () => {
  it('accepts letters, digits, - _ . up to 100 characters', () => {
    for (const name of ['a', 'my-flask-app', 'A_b.c-9', 'x'.repeat(100), '.hidden', 'git']) expect(gitRepoNameProblem(name), name).toBeNull();
  });
  it('refuses empty, too long, other characters, . and .., and .git/.wiki/.rss/.atom endings', () => {
    for (const name of ['', 'x'.repeat(101), 'a b', 'a/b', 'ä', 'a\nb', '.', '..', 'x.git', 'x.GIT', 'x.wiki', 'x.rss', 'x.atom']) {
      expect(gitRepoNameProblem(name), JSON.stringify(name)).not.toBeNull();
    }
  });
});

describe('Git server URL rules', () => {
  it('accepts http(s) URLs, refuses others, credentials, query and fragment', () => {
    for (const url of ['http://git.example', 'https://git.example:3000/sub/', 'http://127.0.0.1:3000/']) expect(gitServerUrlProblem(url), url).toBeNull();
    for (const url of ['git.example', 'ftp://git.example/', 'file:///etc/passwd', 'http://a:b@git.example/', 'http://git.example/?x=1', 'http://git.example/#x', 'javascript:alert(1)']) {
      expect(gitServerUrlProblem(url), url).not.toBeNull();
    }
  });
});

describe('repositoryNameFor', () => {
  it('makes a valid name from any workspace name', () => {
    expect(repositoryNameFor('My Flask App')).toBe('My-Flask-App');
    expect(repositoryNameFor('Übung 1: Größe')).toBe('Ubung-1-Gro-e');
    expect(repositoryNameFor('project.git')).toBe('project-git');
    expect(repositoryNameFor('  ..  ')).toBe('project');
    expect(repositoryNameFor('---')).toBe('project');
    for (const name of ['a'.repeat(300), '日本語', 'x/../y', '.env', 'a.wiki']) expect(gitRepoNameProblem(repositoryNameFor(name)), name).toBeNull();
  });
});

describe('GitService', () => {
  it('stores the settings and one non-admin service user; secrets never logged', async () => {
    const { service, store, forgejo, logLines } = setup();
    await service.update({ enabled: true, url: 'http://forgejo.test.invalid', adminToken: ADMIN });
    const stored = store.git.get();
    expect(stored).toMatchObject({ enabled: true, url: URL_, adminToken: ADMIN });
    expect(stored.serviceUser).toMatch(/^xares-[0-9a-f]{8}$/);
    expect(forgejo.users.get(stored.serviceUser ?? '')?.admin).toBe(false);
    expect(service.available()).toBe(true);
    // Same settings again: the same service user.
    await service.update({ enabled: true });
    expect(store.git.get().serviceUser).toBe(stored.serviceUser);
    const logs = logLines.join('\n');
    expect(logs).not.toContain(ADMIN);
    expect(logs).not.toContain(stored.serviceToken ?? 'none');
  });

  it('creates a repository per workspace, with -2, -3 on collisions', async () => {
    const { service } = setup();
    await service.update({ enabled: true, url: URL_, adminToken: ADMIN });
    expect((await service.createRepositoryFor('My App')).name).toBe('My-App');
    expect((await service.createRepositoryFor('My App')).name).toBe('My-App-2');
    expect((await service.createRepositoryFor('My  App')).name).toBe('My-App-3');
  });

  it('creates the service user on first use when the stored row has none', async () => {
    const { service, store, forgejo } = setup();
    await service.update({ enabled: true, url: URL_, adminToken: ADMIN });
    store.git.put({ ...store.git.get(), serviceUser: null, serviceToken: null });
    const before = forgejo.users.size;
    const [a, b] = await Promise.all([service.createRepository({ name: 'one' }), service.createRepository({ name: 'two' })]);
    expect(a.fullName.split('/')[0]).toBe(b.fullName.split('/')[0]);
    expect(forgejo.users.size).toBe(before + 1);
    expect(store.git.get().serviceUser).toBe(a.fullName.split('/')[0]);
  });
});

describe('workspace access', () => {
  it('refuses to hand a workspace a token the server did not limit to its repository (e.g. Gitea)', async () => {
    const { service, logLines } = setup();
    await service.update({ enabled: true, url: URL_, adminToken: ADMIN });
    const repo = await service.createRepositoryFor('Limited');
    // The in-memory fake answers without `repositories`, like a server without repository-specific tokens.
    await expect(service.workspaceAccess('abcdefghijkl', repo.fullName)).rejects.toMatchObject({
      code: 'GIT_REPO_CREATE_FAILED',
      message: expect.stringContaining('cannot limit access tokens to one repository'),
    });
    expect(logLines.join('\n')).not.toMatch(/[0-9a-f]{40}/);
  });

  it('answers 503 when the Git server is disabled, and revoking then does nothing', async () => {
    const { service } = setup();
    await expect(service.workspaceAccess('abcdefghijkl', 'o/r')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(service.revokeWorkspaceAccess('abcdefghijkl')).resolves.toBeUndefined();
  });
});
