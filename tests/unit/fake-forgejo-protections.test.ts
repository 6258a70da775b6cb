/**
 * The fake Forgejo's branch protection (REST rules enforced on real `git push` over smart HTTP by its pre-receive
 * hook) and its admin user list/delete, exercised with the real git client like Forgejo would be.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_FORGEJO_ADMIN, fakeForgejoDir, startFakeForgejo, type FakeForgejo } from '../helpers/fake-forgejo.js';

const run = promisify(execFile);
const ADMIN = FAKE_FORGEJO_ADMIN.username;
const WRITER = { username: 'prot-writer', password: 'writer-password-1' };
const OTHER = { username: 'prot-other', password: 'other-password-1' };

let fake: FakeForgejo;
let adminToken: string;
const work = mkdtempSync(path.join(os.tmpdir(), 'fake-forgejo-protections-'));

async function call(method: string, apiPath: string, options: { token?: string; basic?: string; body?: unknown; base?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `token ${options.token}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic).toString('base64')}`;
  const response = await fetch(new URL(`api/v1${apiPath}`, options.base ?? fake.baseUrl), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/** Runs git (no prompts, fixed identity); resolves {ok, output} instead of throwing so refusals can be asserted. */
async function git(cwd: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  try {
    const { stdout, stderr } = await run('git', args, { cwd, env });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Clones `owner/repo` as `user` (password or token in the URL) into a fresh folder and returns it. */
async function cloneAs(user: string, secret: string, repo: string, base = fake.baseUrl): Promise<string> {
  const dir = mkdtempSync(path.join(work, `${user}-`));
  const url = new URL(`${repo}.git`, base);
  url.username = user;
  url.password = secret;
  const cloned = await git(work, ['clone', '-q', url.href, dir]);
  expect(cloned.ok, cloned.output).toBe(true);
  return dir;
}

async function remoteSha(repo: string, branch: string): Promise<string | undefined> {
  const branches = await call('GET', `/repos/${repo}/branches`, { token: adminToken });
  return (branches.json as Array<{ name: string; commit: { id: string } }>).find((b) => b.name === branch)?.commit.id;
}

async function createUser(user: { username: string; password: string }) {
  const created = await call('POST', '/admin/users', { token: adminToken, body: { username: user.username, email: `${user.username}@example.com`, password: user.password, must_change_password: false } });
  expect(created.status).toBe(201);
}

beforeAll(async () => {
  fake = await startFakeForgejo();
  const token = await call('POST', `/users/${ADMIN}/tokens`, { basic: `${ADMIN}:${FAKE_FORGEJO_ADMIN.password}`, body: { name: 'prot', scopes: ['all'] } });
  adminToken = (token.json as { sha1: string }).sha1;
  await createUser(WRITER);
  await createUser(OTHER);
  expect((await call('POST', '/user/repos', { token: adminToken, body: { name: 'guarded', auto_init: true, private: true } })).status).toBe(201);
  for (const user of [WRITER.username, OTHER.username]) {
    expect((await call('PUT', `/repos/${ADMIN}/guarded/collaborators/${user}`, { token: adminToken, body: { permission: 'write' } })).status).toBe(204);
  }
  const rule = await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, {
    token: adminToken,
    body: { rule_name: 'main', enable_push: true, enable_push_whitelist: true, push_whitelist_usernames: [WRITER.username] },
  });
  expect(rule.status).toBe(201);
  expect(rule.json).toMatchObject({ rule_name: 'main', enable_push: true, enable_push_whitelist: true, push_whitelist_usernames: [WRITER.username] });
});
afterAll(async () => {
  await fake?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('fake-forgejo branch protection on git pushes', () => {
  it('a whitelisted user pushes to the protected branch (password and token)', async () => {
    const dir = await cloneAs(WRITER.username, WRITER.password, `${ADMIN}/guarded`);
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'by writer']);
    const pushed = await git(dir, ['push', 'origin', 'main']);
    expect(pushed.ok, pushed.output).toBe(true);
    expect(await remoteSha(`${ADMIN}/guarded`, 'main')).toBe((await git(dir, ['rev-parse', 'HEAD'])).output.trim());

    const token = await call('POST', `/users/${WRITER.username}/tokens`, { basic: `${WRITER.username}:${WRITER.password}`, body: { name: 'push', scopes: ['write:repository'] } });
    const viaToken = await cloneAs(WRITER.username, (token.json as { sha1: string }).sha1, `${ADMIN}/guarded`);
    await git(viaToken, ['commit', '-q', '--allow-empty', '-m', 'by writer token']);
    const tokenPush = await git(viaToken, ['push', 'origin', 'main']);
    expect(tokenPush.ok, tokenPush.output).toBe(true);
  });

  it('a collaborator with write access but not whitelisted is refused on the protected branch, not on others', async () => {
    const dir = await cloneAs(OTHER.username, OTHER.password, `${ADMIN}/guarded`);
    const before = await remoteSha(`${ADMIN}/guarded`, 'main');
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'by other']);
    const refused = await git(dir, ['push', 'origin', 'main']);
    expect(refused.ok).toBe(false);
    expect(refused.output).toContain('Forgejo: Not allowed to push to protected branch main');
    expect(refused.output).toContain('pre-receive hook declined');
    expect(await remoteSha(`${ADMIN}/guarded`, 'main')).toBe(before);

    const other = await git(dir, ['push', 'origin', 'HEAD:refs/heads/other-work']);
    expect(other.ok, other.output).toBe(true);
    expect(await remoteSha(`${ADMIN}/guarded`, 'other-work')).toBe((await git(dir, ['rev-parse', 'HEAD'])).output.trim());
    // The site admin is not whitelisted either (Forgejo has no admin bypass for pushes).
    const admin = await cloneAs(ADMIN, FAKE_FORGEJO_ADMIN.password, `${ADMIN}/guarded`);
    await git(admin, ['commit', '-q', '--allow-empty', '-m', 'by admin']);
    expect((await git(admin, ['push', 'origin', 'main'])).output).toContain('Not allowed to push to protected branch main');
  });

  it('force push and deletion of the protected branch are refused even for a whitelisted user', async () => {
    const dir = await cloneAs(WRITER.username, WRITER.password, `${ADMIN}/guarded`);
    const before = await remoteSha(`${ADMIN}/guarded`, 'main');
    await git(dir, ['reset', '-q', '--hard', 'HEAD~1']);
    await git(dir, ['commit', '-q', '--allow-empty', '-m', 'rewritten']);
    const forced = await git(dir, ['push', '--force', 'origin', 'main']);
    expect(forced.ok).toBe(false);
    expect(forced.output).toContain('Forgejo: branch main is protected from force push');
    const deleted = await git(dir, ['push', 'origin', ':main']);
    expect(deleted.ok).toBe(false);
    expect(deleted.output).toContain('Forgejo: branch main is protected from deletion');
    expect(await remoteSha(`${ADMIN}/guarded`, 'main')).toBe(before);
    // Unprotected branches may still be force-pushed and deleted.
    expect((await git(dir, ['push', 'origin', 'HEAD:refs/heads/scratch'])).ok).toBe(true);
    expect((await git(dir, ['push', 'origin', ':scratch'])).ok).toBe(true);
  });

  it('glob rules: `*` stays within one path segment; enable_push false refuses everyone', async () => {
    const glob = await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { rule_name: 'release/*', enable_push: false } });
    expect(glob.status).toBe(201);
    const dir = await cloneAs(WRITER.username, WRITER.password, `${ADMIN}/guarded`);
    const refused = await git(dir, ['push', 'origin', 'HEAD:refs/heads/release/1.0']);
    expect(refused.ok).toBe(false);
    expect(refused.output).toContain('Not allowed to push to protected branch release/1.0');
    expect((await git(dir, ['push', 'origin', 'HEAD:refs/heads/release/1.0/hotfix'])).ok).toBe(true);
  });

  it('rules API: repo admins only, 403 on an existing rule name, 422 unknown user, 400 no name', async () => {
    const otherToken = await call('POST', `/users/${OTHER.username}/tokens`, { basic: `${OTHER.username}:${OTHER.password}`, body: { name: 'api', scopes: ['write:repository'] } });
    const token = (otherToken.json as { sha1: string }).sha1;
    expect((await call('GET', `/repos/${ADMIN}/guarded/branch_protections`, { token })).status).toBe(403);
    expect((await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token, body: { rule_name: 'dev' } })).status).toBe(403);
    const conflict = await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { rule_name: 'main', enable_push: true } });
    expect(conflict).toMatchObject({ status: 403, json: { message: 'Branch protection already exist' } });
    expect((await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { rule_name: 'x', push_whitelist_usernames: ['no-such-user'] } })).status).toBe(422);
    expect((await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { enable_push: true } })).status).toBe(400);
    expect((await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { rule_name: 'y', enable_push: 'yes' } })).status).toBe(422);
    const readOnly = await call('POST', `/users/${ADMIN}/tokens`, { basic: `${ADMIN}:${FAKE_FORGEJO_ADMIN.password}`, body: { name: 'ro', scopes: ['read:repository'] } });
    expect((await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: (readOnly.json as { sha1: string }).sha1, body: { rule_name: 'z' } })).status).toBe(403);
    // Forgejo silently drops whitelisted users without write access to the repository.
    await createUser({ username: 'prot-stranger', password: 'stranger-password-1' });
    const dropped = await call('POST', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken, body: { rule_name: 'stable', enable_push: true, enable_push_whitelist: true, push_whitelist_usernames: ['prot-stranger', WRITER.username] } });
    expect(dropped).toMatchObject({ status: 201, json: { push_whitelist_usernames: [WRITER.username] } });
    const list = await call('GET', `/repos/${ADMIN}/guarded/branch_protections`, { token: adminToken });
    expect((list.json as Array<{ rule_name: string }>).map((r) => r.rule_name)).toEqual(['main', 'release/*', 'stable']);
  });
});

describe('fake-forgejo admin users', () => {
  it('lists users alphabetically with paging and X-Total-Count', async () => {
    const all = await call('GET', '/admin/users?limit=50', { token: adminToken });
    const logins = (all.json as Array<{ login: string }>).map((u) => u.login);
    expect(logins).toEqual([...logins].sort());
    expect(logins).toEqual(expect.arrayContaining([ADMIN, WRITER.username, OTHER.username]));
    const page = await fetch(new URL('api/v1/admin/users?page=2&limit=1', fake.baseUrl), { headers: { authorization: `token ${adminToken}` } });
    expect(page.headers.get('x-total-count')).toBe(String(logins.length));
    expect(((await page.json()) as Array<{ login: string }>).map((u) => u.login)).toEqual([logins[1]]);
    const writerToken = await call('POST', `/users/${WRITER.username}/tokens`, { basic: `${WRITER.username}:${WRITER.password}`, body: { name: 'admin-try', scopes: ['all'] } });
    expect((await call('GET', '/admin/users', { token: (writerToken.json as { sha1: string }).sha1 })).status).toBe(403);
  });

  it('deletes a user with its tokens and collaborations; refuses owners of repositories unless purge', async () => {
    const token = await call('POST', `/users/${OTHER.username}/tokens`, { basic: `${OTHER.username}:${OTHER.password}`, body: { name: 'doomed', scopes: ['all'] } });
    const sha1 = (token.json as { sha1: string }).sha1;
    expect((await call('POST', '/user/repos', { token: sha1, body: { name: 'owned' } })).status).toBe(201);
    const refused = await call('DELETE', `/admin/users/${OTHER.username}`, { token: adminToken });
    expect(refused.status).toBe(422);
    expect((refused.json as { message: string }).message).toContain('user still has ownership of repositories');
    expect((await call('DELETE', `/admin/users/${OTHER.username}?purge=true`, { token: adminToken })).status).toBe(204);
    expect((await call('GET', '/user', { token: sha1 })).status).toBe(401);
    expect((await call('DELETE', `/admin/users/${OTHER.username}`, { token: adminToken })).status).toBe(404);
    const users = await call('GET', '/admin/users?limit=50', { token: adminToken });
    expect((users.json as Array<{ login: string }>).map((u) => u.login)).not.toContain(OTHER.username);
    // Its collaboration is gone: the private repository is no longer readable by a user of that name.
    await createUser(OTHER);
    const again = await git(work, ['ls-remote', new URL(`${ADMIN}/guarded.git`, fake.baseUrl.replace('://', `://${OTHER.username}:${OTHER.password}@`)).href]);
    expect(again.ok).toBe(false);
    expect((await call('DELETE', `/admin/users/${ADMIN}`, { token: adminToken })).status).toBe(422);
  });
});

describe('fake-forgejo rules survive a restart with --state', () => {
  it('re-installs the hook and enforces the stored rules', async () => {
    const data = mkdtempSync(path.join(work, 'state-'));
    const start = async () => {
      const child = spawn(process.execPath, [path.join(fakeForgejoDir, 'server.mjs'), '--data', data, '--state', path.join(data, 'state.json'),
        '--host', '127.0.0.1', '--port', '0', '--admin-user', ADMIN, '--admin-password', FAKE_FORGEJO_ADMIN.password], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on [^:]+:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`fake exited ${code}`)));
      });
      return { child, base: `http://127.0.0.1:${port}/` };
    };
    const stop = async (child: ReturnType<typeof spawn>) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    };
    const first = await start();
    const basic = `${ADMIN}:${FAKE_FORGEJO_ADMIN.password}`;
    expect((await call('POST', '/user/repos', { basic, base: first.base, body: { name: 'kept', auto_init: true } })).status).toBe(201);
    expect((await call('POST', `/repos/${ADMIN}/kept/branch_protections`, { basic, base: first.base, body: { rule_name: 'main', enable_push: false } })).status).toBe(201);
    await stop(first.child);
    // A repository whose hook is missing (state from an older fake) gets it back at start.
    rmSync(path.join(data, 'repos', ADMIN, 'kept.git', 'hooks', 'pre-receive'));
    const second = await start();
    try {
      const rules = await call('GET', `/repos/${ADMIN}/kept/branch_protections`, { basic, base: second.base });
      expect((rules.json as Array<{ rule_name: string }>).map((r) => r.rule_name)).toEqual(['main']);
      const dir = await cloneAs(ADMIN, FAKE_FORGEJO_ADMIN.password, `${ADMIN}/kept`, second.base);
      await git(dir, ['commit', '-q', '--allow-empty', '-m', 'after restart']);
      expect((await git(dir, ['push', 'origin', 'main'])).output).toContain('Not allowed to push to protected branch main');
    } finally {
      await stop(second.child);
    }
  });
});
