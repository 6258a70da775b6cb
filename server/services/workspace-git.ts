/**
 * A workspace's own repository on the Git server (issue #7), set up from inside its container with real git:
 *   - a new workspace: `git init` in the project folder, the template's files as the first commit, `origin`
 *     pointing at its repository, pushed as `main`;
 *   - a clone: its own branch `clone/<sanitized clone name>` from the copied history, pushed to the source's
 *     repository.
 * Each workspace gets its own account and credential, a token limited to that one repository (never the
 * server's admin credentials), and its branch is protected for it (only its account pushes there, no force
 * push, no deletion; `main` also takes pushes from Xares' service user), kept in a file only the workspace user reads and handed to git by our read-only credential
 * helper (git's `store` helper would need a writable folder for its lock, and erases the file after a refused
 * request); `origin` itself carries no credentials.
 */
import type { WorkspaceRuntime } from '../runtime/workspace-runtime.js';
import { ROOT_OWNER, WORKSPACE_DIR, packEntries } from './templates.js';

/**
 * Where a workspace's git credential lives: `protocol=`, `host=`, `username=`, `password=` lines (git's
 * credential format), mode 600, owned by the workspace user; empty when it has none (a clone before its set-up).
 */
export const WORKSPACE_GIT_CREDENTIALS_FILE = '/etc/xares/git-credentials';
/** Our credential helper in workspaces (root-owned, 755): see {@link CREDENTIAL_HELPER_SCRIPT}. */
export const WORKSPACE_GIT_CREDENTIAL_HELPER = '/etc/xares/git-credential-xares';

/**
 * The credential helper: answers git's `get` with the stored user and token when the protocol and host git asks
 * for are the stored ones; ignores `store` and `erase` (the file is the app's). Reads, never sources, the file.
 */
export const CREDENTIAL_HELPER_SCRIPT = `#!/bin/sh
[ "$1" = get ] || exit 0
protocol=; host=
while IFS= read -r line && [ -n "$line" ]; do
  case "$line" in protocol=*) protocol=\${line#protocol=} ;; host=*) host=\${line#host=} ;; esac
done
# XARES_GIT_CREDENTIALS: another file, for tests of this script.
file=\${XARES_GIT_CREDENTIALS:-${WORKSPACE_GIT_CREDENTIALS_FILE}}
[ -r "$file" ] || exit 0
own_protocol=; own_host=; username=; password=
while IFS= read -r line; do
  case "$line" in
    protocol=*) own_protocol=\${line#protocol=} ;;
    host=*) own_host=\${line#host=} ;;
    username=*) username=\${line#username=} ;;
    password=*) password=\${line#password=} ;;
  esac
done < "$file"
if [ -n "$password" ] && [ "$protocol" = "$own_protocol" ] && [ "$host" = "$own_host" ]; then
  printf 'username=%s\npassword=%s\n' "$username" "$password"
fi
`;
/** The branch a new workspace's repository starts on. */
export const DEFAULT_GIT_BRANCH = 'main';
/** Longest branch name we make (room for a `-NN` suffix; Forgejo shows long names badly). */
const BRANCH_NAME_MAX = 100;
/** Seconds a push may take before it is given up (a stalled server must not hold the workspace's lock). */
const PUSH_TIMEOUT_S = 90;

/** What the set-up needs of the Git service. */
export interface WorkspaceGitAccess {
  /** A credential limited to `repoFullName` for `projectId`, and the clone URL as workspaces reach it. */
  workspaceAccess(projectId: string, repoFullName: string): Promise<{ username: string; token: string; remoteUrl: string }>;
  /** Branch names of `repoFullName`. */
  branchNames(repoFullName: string): Promise<string[]>;
  /** Makes `branch` the workspace's own (only its account pushes there); false when another workspace has it. */
  claimBranch(projectId: string, repoFullName: string, branch: string): Promise<boolean>;
}

/**
 * The shell script run as the workspace user in the project folder. It is a constant: every value (remote URL,
 * branch, identity) arrives as a positional argument, so no user text is ever parsed by the shell.
 * Arguments: mode (`init` | `clone`), remote URL, branch, credential helper, author name, author e-mail (a
 * clone's identity replaces its source's; a new workspace keeps one the user set).
 * The workspace's proxy settings are loaded first, as in its terminal (proxy modes reach an external server
 * only through the proxy). Exit 3: a clone without a repository; 4: a clone's branch exists on the server
 * already; 124: the push timed out. A clone's branch is checked out only once it is pushed.
 */
export const WORKSPACE_GIT_SCRIPT = `set -eu
mode=$1; remote=$2; branch=$3; helper=$4; author=$5; email=$6
if [ -s /etc/xares/proxy.env ]; then . /etc/xares/proxy.env; fi
export GIT_TERMINAL_PROMPT=0
if [ "$mode" = init ] && [ ! -d .git ]; then git init -q -b "$branch"; fi
if [ ! -d .git ]; then echo "the workspace has no git repository in its project folder" >&2; exit 3; fi
git config credential.helper "$helper"
if [ "$mode" = clone ] || [ -z "$(git config user.name || true)" ]; then git config user.name "$author"; fi
if [ "$mode" = clone ] || [ -z "$(git config user.email || true)" ]; then git config user.email "$email"; fi
if git remote get-url origin >/dev/null 2>&1; then git remote set-url origin "$remote"; else git remote add origin "$remote"; fi
if ! git rev-parse -q --verify HEAD >/dev/null; then
  git add -A
  git commit -q --allow-empty -m "Starter files"
fi
push() { timeout ${PUSH_TIMEOUT_S} git -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=20 push -q "$@"; }
if [ "$mode" = clone ]; then
  # Pushed before it is checked out: when the push fails, the clone stays on the branch it was copied on. The
  # lease with an empty value refuses a branch that exists already (another clone's): exit 4.
  errors=$(mktemp)
  status=0
  push --force-with-lease="refs/heads/$branch:" origin "HEAD:refs/heads/$branch" 2>"$errors" || status=$?
  cat "$errors" >&2
  if [ "$status" -ne 0 ]; then
    if grep -q 'stale info' "$errors"; then status=4; fi
    rm -f "$errors"
    exit "$status"
  fi
  rm -f "$errors"
  git checkout -q -B "$branch"
  git branch -q --set-upstream-to "origin/$branch"
else
  push -u origin "HEAD:refs/heads/$branch"
fi
`;

/**
 * The branch of a clone: `clone/` + its name with characters other than ASCII letters, digits, `.`, `_`, `-`
 * turned into `-` (runs shrunk to one; no leading `.`/`-`, no `..`, no trailing `.`/`.lock`, as
 * git-check-ref-format requires), then `-2`, `-3`, … while the name is in `taken`.
 */
export function cloneBranchName(cloneName: string, taken: Iterable<string> = []): string {
  let slug = cloneName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .slice(0, BRANCH_NAME_MAX)
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/\.lock$/i, '-lock');
  if (!slug) slug = 'workspace';
  const used = new Set([...taken].map((name) => name.toLowerCase()));
  for (let n = 1; ; n++) {
    const branch = `clone/${n === 1 ? slug : `${slug}-${n}`}`;
    if (!used.has(branch.toLowerCase())) return branch;
  }
}

/**
 * The credential file's content for `remoteUrl` (protocol and host with port, as git asks for them).
 * @throws Error when a value holds a line break (it would add lines to the file).
 */
export function credentialFile(remoteUrl: string, username: string, token: string): string {
  const url = new URL(remoteUrl);
  const values = [url.protocol.replace(/:$/, ''), url.host, username, token];
  if (values.some((value) => /[\r\n]/.test(value))) throw new Error('A git credential value contains a line break');
  const [protocol, host] = values;
  return `protocol=${protocol}\nhost=${host}\nusername=${username}\npassword=${token}\n`;
}

/**
 * Puts our credential helper and `content` as the credential file into a workspace container (created or
 * running). `content` '' leaves it without credentials (a clone, before its own are made).
 * @throws the runtime's errors.
 */
export async function writeWorkspaceCredentials(runtime: WorkspaceRuntime, projectId: string, content: string): Promise<void> {
  const helper = await packEntries([{ name: WORKSPACE_GIT_CREDENTIAL_HELPER.slice(1), type: 'file', mode: 0o755, content: Buffer.from(CREDENTIAL_HELPER_SCRIPT) }], undefined, ROOT_OWNER);
  await runtime.putArchive(projectId, '/', helper);
  await runtime.putArchive(projectId, '/', await packEntries([{ name: WORKSPACE_GIT_CREDENTIALS_FILE.slice(1), type: 'file', mode: 0o600, content: Buffer.from(content) }]));
}

/**
 * Makes the workspace's credential for `repoFullName` (its account's token, replacing an older one) and writes it
 * into the container. @returns the access (for the remote URL and the redaction of git's output).
 * @throws the errors of {@link WorkspaceGitAccess.workspaceAccess} and the runtime's.
 */
export async function giveWorkspaceCredential(
  runtime: WorkspaceRuntime,
  git: Pick<WorkspaceGitAccess, 'workspaceAccess'>,
  projectId: string,
  repoFullName: string,
): Promise<{ username: string; token: string; remoteUrl: string }> {
  const access = await git.workspaceAccess(projectId, repoFullName);
  await writeWorkspaceCredentials(runtime, projectId, credentialFile(access.remoteUrl, access.username, access.token));
  return access;
}

/** `text` with every occurrence of `secret` replaced (git may echo a URL with credentials in its errors). */
function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}

/**
 * Sets up a workspace's repository from inside its running container (see the file comment) and returns the
 * branch it works on. `mode` `init` for a new workspace, `clone` for a clone (`cloneName` names the branch).
 * @throws Error with a short, secret-free reason (git's own message) when the token cannot be made, the
 *   container cannot run git, or the push is refused or times out; the workspace itself keeps working.
 */
export async function setUpWorkspaceRepository(
  runtime: WorkspaceRuntime,
  git: WorkspaceGitAccess,
  input: { projectId: string; projectName: string; repoFullName: string; mode: 'init' | 'clone' },
): Promise<{ branch: string }> {
  if (input.mode === 'clone') {
    // Its own name on commits from the start, also when the server cannot be reached now (argv, no shell;
    // a copy without a repository simply fails here and is reported below).
    for (const [key, value] of [['user.name', input.projectName], ['user.email', `${input.projectId}@xares.invalid`]] as const) {
      await runtime.exec(input.projectId, ['git', 'config', key, value], { user: 'coder', workingDir: WORKSPACE_DIR });
    }
  }
  const access = await giveWorkspaceCredential(runtime, git, input.projectId, input.repoFullName);
  const tried: string[] = [];
  for (;;) {
    const branch = input.mode === 'init' ? DEFAULT_GIT_BRANCH : cloneBranchName(input.projectName, [...(await git.branchNames(input.repoFullName)), ...tried]);
    // Protected for this workspace before its first push: nobody else pushes there, nobody force-pushes or deletes it.
    if (!(await git.claimBranch(input.projectId, input.repoFullName, branch))) {
      if (input.mode === 'init' || tried.length >= 5) throw new Error(`Branch ${branch} of ${input.repoFullName} belongs to another workspace`);
      tried.push(branch);
      continue;
    }
    const result = await runtime.exec(
      input.projectId,
      ['sh', '-c', WORKSPACE_GIT_SCRIPT, 'xares-git-setup', input.mode, access.remoteUrl, branch, WORKSPACE_GIT_CREDENTIAL_HELPER, input.projectName, `${input.projectId}@xares.invalid`],
      { user: 'coder', workingDir: WORKSPACE_DIR },
    );
    // Another clone of the batch took that branch name meanwhile: the next free one.
    if (result.exitCode === 4 && tried.length < 5) {
      tried.push(branch);
      continue;
    }
    if (result.exitCode === 0) return { branch };
    throw pushFailure(result, branch, input.repoFullName, access.token);
  }
}

/** The error of a failed set-up: git's last lines (the token redacted), or the timeout. */
function pushFailure(result: { exitCode: number; stdout: string; stderr: string }, branch: string, repoFullName: string, token: string): Error {
  const output = redact(`${result.stderr}\n${result.stdout}`, token).trim().split('\n').filter(Boolean).slice(-6).join(' ');
  const reason = result.exitCode === 124 ? `the push did not finish within ${PUSH_TIMEOUT_S} s` : output || `git exited with code ${result.exitCode}`;
  return new Error(`Could not push branch ${branch} to ${repoFullName}: ${reason.slice(0, 600)}`);
}
