/**
 * Workspaces and their repositories on the managed Git server (issue #7), end to end on the real engine: the
 * app runs the fake Forgejo image as its managed server (no Forgejo image can be fetched here), workspaces in
 * `none` and `security` mode push their template's files as the first commit from inside their containers
 * with real git, every workspace's token reaches only its own repository, clones push their own
 * `clone/<name>` branch, a clone whose branch cannot be pushed says why and still runs, and a deleted
 * workspace's token stops working.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedGitNames } from '../../server/git/managed-git-server.js';
import { ensureFakeForgejoImage } from '../helpers/fake-forgejo.js';
import { requestWithHost } from '../helpers/http-host.js';
import { execInContainer, execInWorkspace, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
/** The name participants reach this server by (the join page and `/git/` live there). */
const PARTICIPANT_HOST = 'lan.test';
const nonce = Math.random().toString(36).slice(2, 8);
let t: TestServer;
let hostUrl: string;

interface Project {
  id: string;
  name: string;
  status: string;
  hasGitRepo: boolean;
  gitRepoUrl?: string;
  gitBranch?: string;
  gitError?: string;
}

async function project(id: string): Promise<Project> {
  const response = await t.api('GET', `/api/projects/${id}`);
  expect(response.status).toBe(200);
  return response.body.project as Project;
}

/** Waits until the workspace's git set-up finished (branch or error) and returns the project. */
function gitSettled(id: string): Promise<Project> {
  return pollUntil(
    async () => {
      const p = await project(id);
      return p.gitBranch || p.gitError ? p : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, description: `git set-up of ${id}` },
  );
}

/** Whether the Git server accepts `token` (its API's current user). */
async function tokenWorks(token: string): Promise<boolean> {
  const response = await fetch(new URL('api/v1/user', hostUrl), { headers: { authorization: `token ${token}` } });
  return response.status === 200;
}

/**
 * `git ls-remote` from the host against the managed server's published port, with `token` (or none). The
 * repositories are public: git reads them without sending the token.
 */
function lsRemote(fullName: string, token?: string): { ok: boolean; out: string } {
  const url = new URL(`${fullName}.git`, hostUrl);
  if (token) {
    url.username = 'x';
    url.password = token;
  }
  try {
    const out = execFileSync('git', ['ls-remote', url.href], { encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out };
  } catch (error) {
    return { ok: false, out: String((error as { stderr?: unknown }).stderr ?? error) };
  }
}

async function createWorkspace(body: Record<string, unknown>): Promise<string> {
  const response = await t.api('POST', '/api/projects/create', { projectType: 'empty', createGitRepo: true, ...body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.project.id as string;
}

async function readCredential(id: string): Promise<string> {
  const result = await execInWorkspace(id, ['cat', '/etc/xares/git-credentials'], { user: 'coder' });
  const match = new RegExp(`^protocol=http\nhost=${gitHost()}\nusername=[^\n]+\npassword=([0-9a-f]+)$`).exec(result.stdout.trim());
  expect(match, result.stdout).toBeTruthy();
  return match![1]!;
}

/** The managed server's host name and port as workspaces reach it (its container name is per instance). */
const gitHost = () => `${managedGitNames(t.instanceId).container}:3000`;

let plain: string;
let secured: string;

beforeAll(async () => {
  const image = await ensureFakeForgejoImage(docker);
  t = await startTestServer({ publicHost: PARTICIPANT_HOST }, { networkControl: { healthIntervalMs: 2_000 }, gitServer: { image } });
  const enabled = await t.api('PUT', '/api/git/settings', { enabled: true, mode: 'managed' });
  expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
  hostUrl = (await t.server.managedGit!.ensure()).hostUrl;
  plain = await createWorkspace({ projectName: `Git Plain ${nonce}`, proxyMode: 'none' });
  secured = await createWorkspace({ projectName: `Git Secured ${nonce}`, proxyMode: 'security' });
  await Promise.all([plain, secured].map((id) => t.waitForStatus(id, 'running', 240_000)));
}, 900_000);

afterAll(async () => {
  await t?.dispose();
}, 180_000);

describe('a new workspace with createGitRepo', () => {
  it('pushes its template files as the first commit on main, in every proxy mode', async () => {
    for (const id of [plain, secured]) {
      const p = await gitSettled(id);
      expect(p.gitError, p.gitError).toBeUndefined();
      expect(p.gitBranch).toBe('main');
      expect(p.hasGitRepo).toBe(true);
      const files = await execInWorkspace(id, ['git', 'ls-tree', '-r', '--name-only', 'origin/main'], { user: 'coder', workingDir: '/workspace' });
      expect(files.stdout.split('\n').filter(Boolean).sort()).toEqual(['.gitignore', '.vscode/extensions.json', '.vscode/settings.json', 'README.md']);
    }
  });

  it('answers the browser URL of the repository (no credentials), and origin carries none either', async () => {
    const p = await project(plain);
    expect(p.gitRepoUrl).toMatch(/^http:\/\/[^@]+\/git\/[^/]+\/Git-Plain-/);
    const origin = await execInWorkspace(plain, ['git', 'remote', 'get-url', 'origin'], { user: 'coder', workingDir: '/workspace' });
    expect(origin.stdout.trim()).toMatch(new RegExp(`^http://${gitHost()}/[^/]+/Git-Plain-[^/]+\\.git$`));
    const listed = JSON.stringify((await t.api('GET', '/api/projects')).body);
    expect(listed).not.toMatch(/[0-9a-f]{40}/);
  });

  it('keeps the credential in a file only the workspace user reads, out of the environment and config', async () => {
    const stat = await execInWorkspace(plain, ['stat', '-c', '%U %a', '/etc/xares/git-credentials']);
    expect(stat.stdout.trim()).toBe('coder 600');
    const token = await readCredential(plain);
    const info = await docker.getContainer(`workspace-${plain}`).inspect();
    expect(JSON.stringify(info.Config)).not.toContain(token);
    const config = await execInWorkspace(plain, ['cat', '/workspace/.git/config'], { user: 'coder' });
    expect(config.stdout).not.toContain(token);
  });

  it("gives each workspace a token for its own repository only: the other's is refused, and the participant pushes", async () => {
    const [a, b] = await Promise.all([project(plain), project(secured)]);
    const tokenA = await readCredential(plain);
    const repoOf = (url: string) => new URL(url).pathname.replace(/^\/git\//, '');
    expect(await tokenWorks(tokenA)).toBe(true);
    // From inside workspace A, with its stored credential: pushing into B's repository is refused.
    const intrude = await execInWorkspace(
      plain,
      ['git', 'push', `http://${gitHost()}/${repoOf(b.gitRepoUrl!)}.git`, 'HEAD:refs/heads/intruder'],
      { user: 'coder', workingDir: '/workspace' },
    );
    expect(intrude.code).not.toBe(0);
    expect(lsRemote(repoOf(b.gitRepoUrl!), await readCredential(secured)).out).not.toContain('intruder');
    // The participant's own work goes to the server with `git push` from the terminal, in security mode too.
    const push = await execInWorkspace(
      secured,
      ['sh', '-c', '. /etc/xares/proxy.env; echo hi > work.txt && git add work.txt && git commit -qm work && git push -q 2>&1'],
      { user: 'coder', workingDir: '/workspace' },
    );
    expect(push.code, push.stdout + push.stderr).toBe(0);
    // Quietly: the credential helper needs no lock file in a folder the workspace user cannot write.
    expect(push.stdout + push.stderr).not.toMatch(/fatal|lock/);
    const tokenB = await readCredential(secured);
    const remote = lsRemote(repoOf(b.gitRepoUrl!), tokenB);
    const head = await execInWorkspace(secured, ['git', 'rev-parse', 'HEAD'], { user: 'coder', workingDir: '/workspace' });
    expect(remote.out).toContain(`${head.stdout.trim()}\trefs/heads/main`);
  });
});

describe('clones', () => {
  it('each get and check out their own clone/<name> branch, pushed to the source repository', async () => {
    const response = await t.api('POST', `/api/projects/${plain}/clone`, { count: 2 });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const clones = response.body.clones as Array<{ projectId: string; projectName: string }>;
    await Promise.all(clones.map((c) => t.waitForStatus(c.projectId, 'running', 240_000)));
    const source = await project(plain);
    const tokenA = await readCredential(plain);
    const refs = () => lsRemote(new URL(source.gitRepoUrl!).pathname.replace(/^\/git\//, ''), tokenA).out;
    const branches = new Set<string>();
    for (const clone of clones) {
      const p = await gitSettled(clone.projectId);
      expect(p.gitError, p.gitError).toBeUndefined();
      expect(p.gitBranch).toMatch(/^clone\/Git-Plain-/);
      expect(p.gitRepoUrl).toBe(source.gitRepoUrl);
      branches.add(p.gitBranch!);
      const head = await execInWorkspace(clone.projectId, ['git', 'rev-parse', '--abbrev-ref', 'HEAD'], { user: 'coder', workingDir: '/workspace' });
      expect(head.stdout.trim()).toBe(p.gitBranch);
      expect(refs()).toContain(`refs/heads/${p.gitBranch}`);
      // Its own token, not the source's.
      expect(await readCredential(clone.projectId)).not.toBe(tokenA);
    }
    expect(branches.size).toBe(2);
    const [first, second] = [...branches] as [string, string];
    const a = clones[0]!;
    const inClone = (id: string, script: string) => execInWorkspace(id, ['sh', '-c', `${script} 2>&1`], { user: 'coder', workingDir: '/workspace' });
    const ownBranch = (await project(a.projectId)).gitBranch!;
    const otherBranch = ownBranch === first ? second : first;
    // Its own branch takes its work.
    const own = await inClone(a.projectId, 'echo mine > mine.txt && git add mine.txt && git commit -qm mine && git push -q');
    expect(own.code, own.stdout).toBe(0);
    // Not main, not another clone's branch (no push, no force push, no deletion).
    const toMain = await inClone(a.projectId, 'git push origin HEAD:main');
    expect(toMain.code, toMain.stdout).not.toBe(0);
    const force = await inClone(a.projectId, `git push -f origin HEAD:${otherBranch}`);
    expect(force.code, force.stdout).not.toBe(0);
    const remove = await inClone(a.projectId, `git push origin :${otherBranch}`);
    expect(remove.code, remove.stdout).not.toBe(0);
    const after = refs();
    expect(after).toContain(`refs/heads/${otherBranch}`);
    expect(after).toContain(`refs/heads/${ownBranch}`);
    // The source still pushes to main.
    const sourcePush = await inClone(plain, 'echo more >> README.md && git commit -qam more && git push -q');
    expect(sourcePush.code, sourcePush.stdout).toBe(0);
    // Pull requests cannot get around it: the clone may neither push nor merge into main or the other branch.
    const repoPath = new URL(source.gitRepoUrl!).pathname.replace(/^\/git\//, '');
    const listed = (await (
      await fetch(new URL(`api/v1/repos/${repoPath}/branches`, hostUrl), { headers: { authorization: `token ${await readCredential(a.projectId)}` } })
    ).json()) as Array<{ name: string; protected: boolean; user_can_push: boolean; user_can_merge: boolean }>;
    const byName = new Map(listed.map((branch) => [branch.name, branch]));
    expect(byName.get('main')).toMatchObject({ protected: true, user_can_push: false, user_can_merge: false });
    expect(byName.get(otherBranch)).toMatchObject({ protected: true, user_can_push: false, user_can_merge: false });
    expect(byName.get(ownBranch)).toMatchObject({ protected: true, user_can_push: true, user_can_merge: true });
  });

  it("report a branch the server refuses on the clone, which still runs on the source's branch", async () => {
    // The server refuses every clone/ branch of the source's repository (an update hook in its bare repository;
    // the fake's own pre-receive hook enforces the protected branches).
    const source = await project(plain);
    const repoName = new URL(source.gitRepoUrl!).pathname.split('/').pop()!.toLowerCase();
    const gitContainer = managedGitNames(t.instanceId).container;
    const hook = await execInContainer(gitContainer, [
      'sh', '-c', 'for d in $(find /data -type d -name "$1.git"); do printf "#!/bin/sh\\necho clone branches are closed >&2\\nexit 1\\n" > "$d/hooks/update"; chmod 755 "$d/hooks/update"; echo "$d"; done', 'sh', repoName,
    ]);
    expect(hook.stdout.trim(), hook.stderr).not.toBe('');
    try {
      const response = await t.api('POST', `/api/projects/${plain}/clone`, { count: 1 });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      const id = response.body.clones[0].projectId as string;
      await t.waitForStatus(id, 'running', 240_000);
      const p = await gitSettled(id);
      expect(p.gitBranch).toBeUndefined();
      expect(p.gitError).toMatch(/clone branches are closed/);
      expect(p.status).toBe('running');
      const head = await execInWorkspace(id, ['git', 'rev-parse', '--abbrev-ref', 'HEAD'], { user: 'coder', workingDir: '/workspace' });
      expect(head.stdout.trim()).toBe('main');
      // Its own name on commits, although its branch could not be pushed.
      const author = await execInWorkspace(id, ['git', 'config', 'user.name'], { user: 'coder', workingDir: '/workspace' });
      expect(author.stdout.trim()).toBe(response.body.clones[0].projectName);
      // Its own credential (made before the push was refused), never the source's from the snapshot.
      expect(await readCredential(id)).not.toBe(await readCredential(plain));
      // The reason names no secret.
      expect(p.gitError).not.toMatch(/[0-9a-f]{40}/);
    } finally {
      await execInContainer(gitContainer, ['sh', '-c', 'rm -f $(find /data -path "*/hooks/update")']);
    }
  });
});

describe('workshop seats', () => {
  it("give the next participant a new credential when a seat is released; the previous one's stops working", async () => {
    const response = await t.api('POST', `/api/projects/${plain}/clone`, { count: 1 });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const seat = response.body.clones[0].projectId as string;
    await t.waitForStatus(seat, 'running', 240_000);
    expect((await gitSettled(seat)).gitBranch).toMatch(/^clone\//);
    expect((await t.api('PUT', `/api/projects/${seat}/group`, { group: 'git-room' })).status).toBe(200);
    expect((await t.api('PUT', '/api/workshop/settings', { group: 'git-room', registrationOpen: true })).status).toBe(200);
    const claim = await requestWithHost(t.port, `${PARTICIPANT_HOST}:${t.port}`, 'POST', '/api/workshop/claim', { json: { name: 'Ada', email: 'ada@example.org' } });
    expect(claim.status, claim.body).toBe(200);
    const before = await readCredential(seat);
    expect(await tokenWorks(before)).toBe(true);
    expect((await t.api('POST', `/api/workshop/claims/${seat}/release`)).status).toBe(200);
    const after = await pollUntil(
      async () => {
        const token = await readCredential(seat);
        return token !== before ? token : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, description: 'a new credential in the released seat' },
    );
    expect(await tokenWorks(before)).toBe(false);
    expect(await tokenWorks(after)).toBe(true);
    // The seat's branch stays its own: the next participant pushes there with the new credential.
    const push = await execInWorkspace(seat, ['sh', '-c', 'echo next > next.txt && git add next.txt && git commit -qm next && git push -q 2>&1'], { user: 'coder', workingDir: '/workspace' });
    expect(push.code, push.stdout).toBe(0);
  });
});

describe('deleting a workspace', () => {
  it('revokes its token', async () => {
    const id = await createWorkspace({ projectName: `Git Gone ${nonce}`, proxyMode: 'none' });
    await t.waitForStatus(id, 'running', 240_000);
    const p = await gitSettled(id);
    expect(p.gitBranch).toBe('main');
    const token = await readCredential(id);
    expect(await tokenWorks(token)).toBe(true);
    expect((await t.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
    await pollUntil(async () => ((await tokenWorks(token)) ? undefined : true), { timeoutMs: 15_000, intervalMs: 300, description: 'token revoked' });
  });
});
