/**
 * Workspace accounts on the Git server (issue #7) with the real Forgejo client against the fake Forgejo on
 * 127.0.0.1: each workspace gets its own account with a token limited to its repository, made again (a retried
 * set-up) it keeps the account and replaces the token, a branch is claimed (protected) for one workspace only,
 * and accounts of workspaces that no longer exist (deletion failed while the server was unreachable) are deleted
 * by the reconcile round while the others keep working.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgejoClient } from '../../server/git/forgejo-client.js';
import { GitService } from '../../server/services/git-service.js';
import { openStore, type Store } from '../../server/store/index.js';
import { FAKE_FORGEJO_ADMIN, startFakeForgejo, type FakeForgejo } from '../helpers/fake-forgejo.js';

let fake: FakeForgejo;
let store: Store;
let dir: string;
let service: GitService;

async function tokenWorks(token: string): Promise<boolean> {
  const response = await fetch(new URL('api/v1/user', fake.baseUrl), { headers: { authorization: `token ${token}` } });
  return response.status === 200;
}

beforeAll(async () => {
  fake = await startFakeForgejo();
  dir = mkdtempSync(path.join(tmpdir(), 'xares-git-accounts-'));
  store = openStore(dir);
  service = new GitService({ repository: store.git, clientFactory: (options) => new ForgejoClient(options), logger: pino({ level: 'silent' }) });
  const admin = await new ForgejoClient({ baseUrl: fake.baseUrl }).createUserToken(FAKE_FORGEJO_ADMIN.username, FAKE_FORGEJO_ADMIN.password, { name: 'teacher', scopes: ['all'] });
  await service.update({ enabled: true, mode: 'external', url: fake.baseUrl, adminToken: admin.sha1 });
}, 30_000);

afterAll(async () => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  await fake?.stop();
});

describe('workspace accounts', () => {
  it('are limited to the repository, keep the account when made again, and are reconciled after missed deletions', async () => {
    const repo = await service.createRepositoryFor('Accounts Demo');
    const kept = await service.workspaceAccess('keptkeptkept', repo.fullName);
    const first = await service.workspaceAccess('gonegonegone', repo.fullName);
    expect(kept.username).toBe('xares-ws-keptkeptkept');
    expect(kept.remoteUrl).toBe(`${fake.baseUrl}${repo.fullName}.git`);
    expect(await tokenWorks(first.token)).toBe(true);
    // Made again (a retried set-up): the same account, a new token; the old one stops working.
    const gone = await service.workspaceAccess('gonegonegone', repo.fullName);
    expect(gone.username).toBe(first.username);
    expect(await tokenWorks(first.token)).toBe(false);
    expect(await tokenWorks(gone.token)).toBe(true);
    // Limited: another repository's API refuses it.
    const other = await service.createRepositoryFor('Accounts Other');
    const foreign = await fetch(new URL(`api/v1/repos/${other.fullName}/branches`, fake.baseUrl), { headers: { authorization: `token ${kept.token}` } });
    expect(foreign.status).toBeGreaterThanOrEqual(403);
    // A branch belongs to the workspace that claimed it first; claiming again is fine for it, refused for others.
    expect(await service.claimBranch('keptkeptkept', repo.fullName, 'clone/Kept')).toBe(true);
    expect(await service.claimBranch('keptkeptkept', repo.fullName, 'clone/Kept')).toBe(true);
    expect(await service.claimBranch('gonegonegone', repo.fullName, 'clone/Kept')).toBe(false);
    // `gonegonegone` was deleted while the server could not be reached: the reconcile round deletes its account only.
    expect(await service.reconcileWorkspaceAccounts((id) => id === 'keptkeptkept')).toBe(1);
    expect(await tokenWorks(gone.token)).toBe(false);
    expect(await tokenWorks(kept.token)).toBe(true);
    expect(await service.reconcileWorkspaceAccounts((id) => id === 'keptkeptkept')).toBe(0);
    // Deleting a workspace deletes its account.
    await service.revokeWorkspaceAccess('keptkeptkept');
    expect(await tokenWorks(kept.token)).toBe(false);
    await expect(service.revokeWorkspaceAccess('keptkeptkept')).resolves.toBeUndefined();
  });
});
