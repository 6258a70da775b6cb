/**
 * The workspace repository set-up (issue #7): branch names of clones, the credential line, and the set-up
 * script itself, run with Debian's git against a local bare repository (the integration test runs it inside
 * real workspace containers against the fake Forgejo).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneBranchName, CREDENTIAL_HELPER_SCRIPT, credentialFile, setUpWorkspaceRepository, WORKSPACE_GIT_SCRIPT } from '../../server/services/workspace-git.js';

describe('clone branch names', () => {
  it('is clone/<name> with characters git refuses turned into -', () => {
    expect(cloneBranchName('Python Basics 3')).toBe('clone/Python-Basics-3');
    expect(cloneBranchName('..a b~c^d:e?f*g[h\\i')).toBe('clone/a-b-c-d-e-f-g-h-i');
    expect(cloneBranchName('Übung Ärger')).toBe('clone/Ubung-Arger');
    expect(cloneBranchName('x.lock')).toBe('clone/x-lock');
    expect(cloneBranchName('a..b')).toBe('clone/a.b');
    expect(cloneBranchName('///')).toBe('clone/workspace');
    expect(cloneBranchName('é'.repeat(3))).toBe('clone/eee');
  });

  it('every result passes git check-ref-format', () => {
    for (const name of ['Python Basics 3', '-lead', 'tail.', 'a@{b}', 'ä ö ü', 'x'.repeat(200), 'a/b', 'HEAD', 'name.lock']) {
      const branch = cloneBranchName(name);
      expect(branch.length).toBeLessThanOrEqual(106);
      const check = spawnSync('git', ['check-ref-format', '--branch', branch]);
      expect(check.status, `${name} → ${branch}`).toBe(0);
    }
  });

  it('avoids branches that exist (case-insensitively), with -2, -3', () => {
    expect(cloneBranchName('Alice', ['main', 'clone/alice'])).toBe('clone/Alice-2');
    expect(cloneBranchName('Alice!', ['clone/Alice', 'clone/Alice-2'])).toBe('clone/Alice-3');
  });
});

describe('credentials', () => {
  it("are git's credential lines for the remote's protocol and host (with port)", () => {
    expect(credentialFile('http://xares-git:3000/xares-1/repo.git', 'xares-1', 'abc123')).toBe('protocol=http\nhost=xares-git:3000\nusername=xares-1\npassword=abc123\n');
    expect(credentialFile('https://git.example.org/sub/o/r.git', 'u', 't')).toBe('protocol=https\nhost=git.example.org\nusername=u\npassword=t\n');
    expect(() => credentialFile('http://h/r.git', 'u\nx', 't')).toThrow(/line break/);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'xares-cred-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'credentials');
  writeFileSync(file, credentialFile('http://xares-git:3000/o/r.git', 'svc', 'tok123'));
  const helper = (action: string, input: string) =>
    spawnSync('sh', ['-c', CREDENTIAL_HELPER_SCRIPT, 'helper', action], { input, encoding: 'utf8', env: { ...process.env, XARES_GIT_CREDENTIALS: file } });

  it('the helper answers get for the stored protocol and host only', () => {
    expect(helper('get', 'protocol=http\nhost=xares-git:3000\npath=o/r.git\n\n').stdout).toBe('username=svc\npassword=tok123\n');
    expect(helper('get', 'protocol=http\nhost=evil.example\n\n').stdout).toBe('');
    expect(helper('get', 'protocol=https\nhost=xares-git:3000\n\n').stdout).toBe('');
  });

  it('the helper never stores or erases (a refused request does not lose the credential)', () => {
    expect(helper('erase', 'protocol=http\nhost=xares-git:3000\n\n').status).toBe(0);
    expect(helper('store', 'protocol=http\nhost=xares-git:3000\nusername=x\npassword=y\n\n').status).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('password=tok123');
  });
});

describe('the set-up script (real git)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xares-ws-git-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  // Like a fresh workspace user: no global or system git configuration.
  const home = path.join(root, 'home');
  mkdirSync(home);
  const env = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: home };
  const run = (cwd: string, mode: string, remote: string, branch: string, author = 'Ws "one"; rm -rf /') =>
    spawnSync('sh', ['-c', WORKSPACE_GIT_SCRIPT, 'xares-git-setup', mode, remote, branch, '/etc/xares/git-credential-xares', author, 'id@xares.invalid'], { cwd, encoding: 'utf8', env });
  const bare = path.join(root, 'remote.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);

  it('init: commits the starter files and pushes main; origin has no credentials', () => {
    const ws = path.join(root, 'ws');
    mkdirSync(path.join(ws, '.vscode'), { recursive: true });
    writeFileSync(path.join(ws, 'README.md'), '# Hello\n');
    writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{}\n');
    const result = run(ws, 'init', bare, 'main');
    expect(result.status, result.stderr).toBe(0);
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'main').split('\n').sort()).toEqual(['.vscode/settings.json', 'README.md']);
    expect(git(ws, 'remote', 'get-url', 'origin')).toBe(bare);
    expect(git(ws, 'rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{u}')).toBe('origin/main');
    expect(git(ws, 'config', 'credential.helper')).toBe('/etc/xares/git-credential-xares');
    // The workspace's name is only an argument: quotes and ; are kept as text.
    expect(git(ws, 'config', 'user.name')).toBe('Ws "one"; rm -rf /');
    expect(existsSync('/nonexistent-xares')).toBe(false);
  });

  it('init again (a retry after a failed push) makes no second commit and keeps local changes uncommitted', () => {
    const ws = path.join(root, 'ws');
    writeFileSync(path.join(ws, 'work.py'), 'print(1)\n');
    const before = git(ws, 'rev-parse', 'HEAD');
    expect(run(ws, 'init', bare, 'main').status).toBe(0);
    expect(git(ws, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(ws, 'status', '--porcelain')).toContain('work.py');
  });

  it('clone: checks out and pushes its own branch from the copied history', () => {
    const clone = path.join(root, 'clone');
    execFileSync('cp', ['-a', path.join(root, 'ws'), clone]);
    const result = run(clone, 'clone', bare, 'clone/Alice', 'Alice');
    expect(result.status, result.stderr).toBe(0);
    expect(git(clone, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('clone/Alice');
    // Its own identity, not the source's.
    expect(git(clone, 'config', 'user.name')).toBe('Alice');
    expect(git(bare, 'branch', '--list').split('\n').map((b) => b.replace('*', '').trim()).sort()).toEqual(['clone/Alice', 'main']);
    expect(git(bare, 'rev-parse', 'clone/Alice')).toBe(git(bare, 'rev-parse', 'main'));
  });

  it('clone whose branch exists on the server already (another clone took it): exit 4, nothing overwritten', () => {
    const clone = path.join(root, 'clone-taken');
    execFileSync('cp', ['-a', path.join(root, 'ws'), clone]);
    writeFileSync(path.join(clone, 'mine.txt'), 'mine\n');
    git(clone, 'add', 'mine.txt');
    git(clone, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'mine');
    const before = git(bare, 'rev-parse', 'clone/Alice');
    const result = run(clone, 'clone', bare, 'clone/Alice');
    expect(result.status).toBe(4);
    expect(git(bare, 'rev-parse', 'clone/Alice')).toBe(before);
    expect(git(clone, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });

  it('clone whose branch the server refuses: exit non-zero, and it stays on the branch it was copied on', () => {
    const clone = path.join(root, 'clone-refused');
    execFileSync('cp', ['-a', path.join(root, 'ws'), clone]);
    const hook = path.join(bare, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "branch pushes are closed" >&2\nexit 1\n', { mode: 0o755 });
    try {
      const result = run(clone, 'clone', bare, 'clone/Carol');
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('branch pushes are closed');
      expect(git(clone, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
      expect(git(clone, 'branch', '--list', 'clone/Carol')).toBe('');
    } finally {
      rmSync(hook);
    }
  });

  it('clone of a folder without a repository: exit 3 with a reason', () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    const result = run(empty, 'clone', bare, 'clone/Bob');
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('no git repository');
  });

  it('a refused push exits non-zero with git saying why', () => {
    const ws2 = path.join(root, 'ws2');
    mkdirSync(ws2);
    writeFileSync(path.join(ws2, 'a.txt'), 'a\n');
    // Unrelated history on an existing branch: non-fast-forward.
    const result = run(ws2, 'init', bare, 'main');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/rejected|failed to push/);
  });
});

describe('setUpWorkspaceRepository', () => {
  const access = { username: 'svc', token: 'f'.repeat(40), remoteUrl: 'http://xares-git:3000/svc/repo.git' };
  function fakes(exitCodes: number[], stderr = '', othersBranches: string[] = []) {
    const branchesTried: string[] = [];
    const archives: Buffer[] = [];
    const runtime = {
      putArchive: async (_id: string, _dest: string, archive: Buffer) => void archives.push(archive),
      exec: async (_id: string, cmd: string[]) => {
        // The clone's identity (`git config`) runs first and always works here.
        if (cmd[0] !== 'sh') return { exitCode: 0, stdout: '', stderr: '' };
        branchesTried.push(cmd[6]!);
        return { exitCode: exitCodes.shift() ?? 0, stdout: '', stderr };
      },
    } as unknown as Parameters<typeof setUpWorkspaceRepository>[0];
    const claimed: string[] = [];
    const git = {
      workspaceAccess: async () => access,
      branchNames: async () => ['main', 'clone/Ann'],
      claimBranch: async (_id: string, _repo: string, branch: string) => {
        claimed.push(branch);
        return !othersBranches.includes(branch);
      },
    };
    return { runtime, git, branchesTried, archives, claimed };
  }

  it('takes the next free clone branch when another clone took the name meanwhile (exit 4)', async () => {
    const { runtime, git, branchesTried, archives } = fakes([4, 0]);
    await expect(setUpWorkspaceRepository(runtime, git, { projectId: 'p1', projectName: 'Ann', repoFullName: 'svc/repo', mode: 'clone' })).resolves.toEqual({ branch: 'clone/Ann-3' });
    expect(branchesTried).toEqual(['clone/Ann-2', 'clone/Ann-3']);
    // The helper (root's) and the credential file (the workspace user's), written once.
    expect(archives).toHaveLength(2);
  });

  it("claims (protects) the branch before pushing, and takes the next name when another clone's rule has it", async () => {
    const { runtime, git, branchesTried, claimed } = fakes([0], '', ['clone/Ann-2']);
    await expect(setUpWorkspaceRepository(runtime, git, { projectId: 'p1', projectName: 'Ann', repoFullName: 'svc/repo', mode: 'clone' })).resolves.toEqual({ branch: 'clone/Ann-3' });
    expect(claimed).toEqual(['clone/Ann-2', 'clone/Ann-3']);
    expect(branchesTried).toEqual(['clone/Ann-3']);
  });

  it("a new workspace whose main is another workspace's fails with the reason", async () => {
    const { runtime, git, branchesTried } = fakes([0], '', ['main']);
    await expect(setUpWorkspaceRepository(runtime, git, { projectId: 'p1', projectName: 'Ann', repoFullName: 'svc/repo', mode: 'init' })).rejects.toThrow(/belongs to another workspace/);
    expect(branchesTried).toEqual([]);
  });

  it('reports git failures without the token', async () => {
    const { runtime, git } = fakes([1], `fatal: unable to access 'http://svc:${access.token}@xares-git:3000/svc/repo.git/': Could not resolve host`);
    const failure = setUpWorkspaceRepository(runtime, git, { projectId: 'p1', projectName: 'Ann', repoFullName: 'svc/repo', mode: 'init' });
    await expect(failure).rejects.toThrow(/Could not push branch main to svc\/repo: .*Could not resolve host/);
    await expect(failure).rejects.not.toThrow(access.token);
  });
});
