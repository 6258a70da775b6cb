// Managed Git server (issue #7): the pure parts (names, Forgejo environment, published port, CLI token output,
// /git/ path rules and page) and GitService's managed mode on a real SQLite store with the in-memory Forgejo
// client and a scripted stand-in for ManagedGitServer (the container side is tested in
// tests/integration/git-managed.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { forgejoEnvironment, hostUrlOf, lastTokenLine, managedGitNames } from '../../server/git/managed-git-server.js';
import { isGitPath, participantRedirect, stripGitPrefix, unavailablePage } from '../../server/http/git-proxy.js';
import { GitService, type ManagedGit } from '../../server/services/git-service.js';
import { ServiceError } from '../../server/services/service-error.js';
import { openStore, type Store } from '../../server/store/index.js';
import { FakeForgejo } from '../helpers/fake-forgejo-client.js';

describe('managed Git server: pure parts', () => {
  it('names container and volume per instance', () => {
    expect(managedGitNames('default')).toEqual({ container: 'xares-git', volume: 'xares-git-data' });
    expect(managedGitNames('test-1')).toEqual({ container: 'xares-test-1-git', volume: 'xares-test-1-git-data' });
  });

  it('configures Forgejo unattended for its browser URL', () => {
    const env = forgejoEnvironment('http://192.168.1.20:8080/git/');
    expect(env).toEqual(
      expect.arrayContaining([
        'FORGEJO__security__INSTALL_LOCK=true',
        'FORGEJO__database__DB_TYPE=sqlite3',
        'FORGEJO__server__ROOT_URL=http://192.168.1.20:8080/git/',
        'FORGEJO__server__DOMAIN=192.168.1.20',
        'FORGEJO__server__HTTP_PORT=3000',
        'FORGEJO__server__DISABLE_SSH=true',
        'FORGEJO__service__DISABLE_REGISTRATION=true',
        // Nothing that reaches out for a workspace's token (the whitelist would be bypassed).
        'FORGEJO__webhook__ALLOWED_HOST_LIST=loopback',
        'FORGEJO__repository__DISABLE_MIGRATIONS=true',
        'FORGEJO__mirror__ENABLED=false',
        'USER_UID=1000',
        'USER_GID=1000',
      ]),
    );
  });

  it('reads the published port of 3000 on 127.0.0.1', () => {
    expect(hostUrlOf({ NetworkSettings: { Ports: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '49170' }] } } } as never)).toBe('http://127.0.0.1:49170/');
    expect(hostUrlOf({ NetworkSettings: { Ports: {} } } as never)).toBeNull();
    expect(hostUrlOf({ NetworkSettings: { Ports: { '3000/tcp': null } } } as never)).toBeNull();
  });

  it('takes the token from generate-access-token --raw output, log lines before it ignored', () => {
    expect(lastTokenLine('0123456789abcdef0123456789abcdef01234567\n')).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(lastTokenLine('2026/12/02 ...:/ [I] Log path: /data/log\nabcdef0123456789abcdef0123456789abcdef01\n')).toBe('abcdef0123456789abcdef0123456789abcdef01');
    expect(lastTokenLine('Access token was successfully created: x\n')).toBeNull();
    expect(lastTokenLine('')).toBeNull();
  });

  it('/git/ paths: recognised, prefix stripped without decoding, redirect onto the participant origin', () => {
    for (const url of ['/git', '/git/', '/git/a/b', '/git?x=1', '/git/a%2Fb?c=/d']) expect(isGitPath(url), url).toBe(true);
    for (const url of ['/', '/gitx', '/github', '/admin/git/', '/api/git/settings', undefined]) expect(isGitPath(url), String(url)).toBe(false);
    expect(stripGitPrefix('/git/a%2Fb?c=1')).toBe('/a%2Fb?c=1');
    expect(stripGitPrefix('/git/')).toBe('/');
    expect(stripGitPrefix('/git')).toBe('/');
    expect(stripGitPrefix('/git?x')).toBe('/?x');
    expect(participantRedirect('http://192.168.1.20:8080/', '/git/u/r?tab=1')).toBe('http://192.168.1.20:8080/git/u/r?tab=1');
    // A path that looks like another origin stays a path on ours.
    expect(participantRedirect('http://lan.test:8080/', '//evil.example/git/')).toBe('http://lan.test:8080//evil.example/git/');
  });

  it('escapes the reason on the 503 page', () => {
    const page = unavailablePage('<script>alert("x")</script> & more');
    expect(page).not.toContain('<script>');
    expect(page).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; more');
  });
});

const FAKE_URL = 'http://forgejo.fake.invalid/';
const ADMIN = 'managed-admin-token-0123456789abcdef01234567';
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Scripted ManagedGit: the host port and the admin token it hands out can be changed by the test. */
class ScriptedManaged implements ManagedGit {
  hostUrl = 'http://127.0.0.1:40001/';
  adminToken = ADMIN;
  started = true;
  failure: Error | null = null;
  ensures = 0;
  stops = 0;
  forgets = 0;
  onEnsure: (() => void) | null = null;
  bootstraps: Array<string | null> = [];
  async ensure(): Promise<{ hostUrl: string; started: boolean }> {
    this.ensures += 1;
    if (this.failure) throw this.failure;
    this.onEnsure?.();
    const started = this.started;
    this.started = false;
    return { hostUrl: this.hostUrl, started };
  }
  async bootstrapAdmin(known: string | null): Promise<string> {
    this.bootstraps.push(known);
    return known === this.adminToken ? known : this.adminToken;
  }
  browserUrl(): string {
    return 'http://lan.test:8080/git/';
  }
  workspaceUrl(): string {
    return 'http://xares-t1-git:3000/';
  }
  async stop(): Promise<void> {
    this.stops += 1;
  }
  forget(): void {
    this.forgets += 1;
  }
}

function setup(withManaged = true): { service: GitService; store: Store; forgejo: FakeForgejo; managed: ScriptedManaged; urlsUsed: string[]; logLines: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-git-managed-'));
  const store = openStore(dir);
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const forgejo = new FakeForgejo(FAKE_URL, ADMIN);
  const managed = new ScriptedManaged();
  const urlsUsed: string[] = [];
  const logLines: string[] = [];
  const service = new GitService({
    repository: store.git,
    // Every REST URL the service uses reaches the one in-memory server; the URLs are recorded.
    clientFactory: ({ baseUrl, token }) => {
      urlsUsed.push(baseUrl);
      return forgejo.factory({ baseUrl: FAKE_URL, token });
    },
    logger: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
    ...(withManaged ? { managed } : {}),
  });
  return { service, store, forgejo, managed, urlsUsed, logLines };
}

async function serviceErrorOf(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

describe('GitService managed mode', () => {
  it('is not offered without a managed server: managedAvailable false, mode managed → 400 mode', async () => {
    const { service } = setup(false);
    expect(service.settings().managedAvailable).toBe(false);
    const error = await serviceErrorOf(service.update({ enabled: true, mode: 'managed' }));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toHaveProperty('mode');
  });

  it('enabling starts it, stores its REST URL and bootstrapped admin token, makes the service user; browser URL in answers', async () => {
    const { service, store, forgejo, logLines } = setup();
    expect(service.settings().managedAvailable).toBe(true);
    const settings = await service.update({ enabled: true, mode: 'managed' });
    expect(settings).toEqual({ enabled: true, mode: 'managed', url: 'http://lan.test:8080/git/', adminTokenSet: true, managedAvailable: true });
    const stored = store.git.get();
    expect(stored).toMatchObject({ enabled: true, mode: 'managed', url: 'http://127.0.0.1:40001/', adminToken: ADMIN });
    expect(forgejo.users.get(stored.serviceUser ?? '')?.admin).toBe(false);
    expect(service.status()).toMatchObject({ enabled: true, reachable: true, url: 'http://lan.test:8080/git/', error: null });
    expect(service.workspaceBaseUrl()).toBe('http://xares-t1-git:3000/');
    expect(logLines.join('\n')).not.toContain(ADMIN);
  });

  it('a server that does not come up → 503 with the reason, nothing stored', async () => {
    const { service, store, managed } = setup();
    managed.failure = new Error('The Git server image codeberg.org/forgejo/forgejo:16 is not on this computer and could not be downloaded');
    const error = await serviceErrorOf(service.update({ enabled: true, mode: 'managed' }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toContain('codeberg.org/forgejo/forgejo:16');
    expect(store.git.get().enabled).toBe(false);
  });

  it('follows a new published port, and makes a new service user when the server lost its data', async () => {
    const { service, store, managed, urlsUsed, forgejo } = setup();
    await service.update({ enabled: true, mode: 'managed' });
    const firstUser = store.git.get().serviceUser;
    // Re-created container (same data): new port, same admin token → same service user, URL updated.
    managed.hostUrl = 'http://127.0.0.1:40002/';
    managed.started = true;
    await service.listRepositories();
    expect(store.git.get()).toMatchObject({ url: 'http://127.0.0.1:40002/', serviceUser: firstUser });
    expect(urlsUsed.at(-1)).toBe('http://127.0.0.1:40002/');
    // Volume lost: the stored admin token is refused, a new one is made, the service user is made anew.
    managed.adminToken = 'another-admin-token-after-data-loss-000000';
    managed.started = true;
    // The in-memory server accepts the new admin token as an admin's.
    forgejo.tokens.set(managed.adminToken, 'forgejo-admin');
    await service.listRepositories();
    expect(store.git.get().adminToken).toBe(managed.adminToken);
    expect(store.git.get().serviceUser).not.toBe(firstUser);
  });

  it('a call the server does not answer because its container was gone is made again once it was re-created', async () => {
    const { service, managed, forgejo } = setup();
    await service.update({ enabled: true, mode: 'managed' });
    await service.createRepository({ name: 'kept' });
    // Container removed behind our back: the next call finds no server; ensure re-creates it (same data).
    forgejo.reachable = false;
    managed.onEnsure = () => {
      if (managed.forgets > 0 && !forgejo.reachable) {
        forgejo.reachable = true;
        managed.started = true;
        managed.hostUrl = 'http://127.0.0.1:40003/';
      }
    };
    const repos = await service.listRepositories();
    expect(repos.map((r) => r.name)).toEqual(['kept']);
    expect(managed.forgets).toBe(1);
    // Still gone after a fresh look (not re-started): 503 with the reason, no endless retry.
    forgejo.reachable = false;
    managed.onEnsure = null;
    const error = await serviceErrorOf(service.listRepositories());
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(managed.forgets).toBe(2);
  });

  it('at start (check) ensures it again; errors show in the status', async () => {
    const { service, managed } = setup();
    await service.update({ enabled: true, mode: 'managed' });
    const before = managed.ensures;
    expect((await service.check()).reachable).toBe(true);
    expect(managed.ensures).toBe(before + 1);
    managed.failure = new Error('The Git server container stopped right after its start');
    const status = await service.check();
    expect(status).toMatchObject({ reachable: false, url: 'http://lan.test:8080/git/' });
    expect(status.error).toContain('stopped right after its start');
    expect(await service.managedTarget()).toEqual({ unavailable: expect.stringContaining('stopped right after its start') });
  });

  it('disabling stops it; switching to external forgets the managed URL and admin token', async () => {
    const { service, store, managed } = setup();
    await service.update({ enabled: true, mode: 'managed' });
    await service.update({ enabled: false, mode: 'managed' });
    expect(managed.stops).toBe(1);
    expect(await service.managedTarget()).toEqual({ unavailable: expect.stringContaining('switched off') });
    await service.update({ enabled: false, mode: 'external' });
    expect(store.git.get()).toMatchObject({ mode: 'external', url: '', adminToken: null, serviceUser: null });
    const error = await serviceErrorOf(service.update({ enabled: true, mode: 'external' }));
    expect(error.details).toHaveProperty('url');
  });
});
