/**
 * A workspace's own repository on the Git server (issue #7), set up from inside its container with real git:
 *   - a new workspace: `git init` in the project folder, the template's files as the first commit, `origin`
 *     pointing at its repository, pushed as `main`;
 *   - a clone: its own branch `clone/<sanitized clone name>` from the copied history, pushed to the source's
 *     repository.
 * Each workspace gets its own credential, a token limited to that one repository (never the server's admin
 * credentials), kept in a file only the workspace user reads; `origin` itself carries no credentials.
 */
import type { WorkspaceRuntime } from '../runtime/workspace-runtime.js';
import { WORKSPACE_DIR, packEntries } from './templates.js';

/** Where a workspace's git credential lives (git's credential-store format, mode 600, owned by the workspace user). */
export const WORKSPACE_GIT_CREDENTIALS_FILE = '/etc/xares/git-credentials';
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
}

/**
 * The shell script run as the workspace user in the project folder. It is a constant: every value (remote URL,
 * branch, identity) arrives as a positional argument, so no user text is ever parsed by the shell.
 * Arguments: mode (`init` | `clone`), remote URL, branch, credential file, author name, author e-mail.
 * The workspace's proxy settings are loaded first, as in its terminal (proxy modes reach an external server
 * only through the proxy). Exit 3: a clone without a repository; 4: a clone's branch exists on the server
 * already; 124: the push timed out. A clone's branch is checked out only once it is pushed.
 */
export const WORKSPACE_GIT_SCRIPT = `set -eu
mode=$1; remote=$2; branch=$3; credentials=$4; author=$5; email=$6
if [ -s /etc/xares/proxy.env ]; then . /etc/xares/proxy.env; fi
export GIT_TERMINAL_PROMPT=0
if [ "$mode" = init ] && [ ! -d .git ]; then git init -q -b "$branch"; fi
if [ ! -d .git ]; then echo "the workspace has no git repository in its project folder" >&2; exit 3; fi
git config credential.helper "store --file=$credentials"
if [ -z "$(git config user.name || true)" ]; then git config user.name "$author"; fi
if [ -z "$(git config user.email || true)" ]; then git config user.email "$email"; fi
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

/** git's credential-store line for `remoteUrl` (scheme, host and port only), user and token URL-encoded. */
export function credentialLine(remoteUrl: string, username: string, token: string): string {
  const url = new URL(remoteUrl);
  return `${url.protocol}//${encodeURIComponent(username)}:${encodeURIComponent(token)}@${url.host}\n`;
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
  const access = await git.workspaceAccess(input.projectId, input.repoFullName);
  const credentials = await packEntries(
    [{ name: WORKSPACE_GIT_CREDENTIALS_FILE.slice(1), type: 'file', mode: 0o600, content: Buffer.from(credentialLine(access.remoteUrl, access.username, access.token)) }],
  );
  await runtime.putArchive(input.projectId, '/', credentials);
  const tried: string[] = [];
  for (;;) {
    const branch = input.mode === 'init' ? DEFAULT_GIT_BRANCH : cloneBranchName(input.projectName, [...(await git.branchNames(input.repoFullName)), ...tried]);
    const result = await runtime.exec(
      input.projectId,
      ['sh', '-c', WORKSPACE_GIT_SCRIPT, 'xares-git-setup', input.mode, access.remoteUrl, branch, WORKSPACE_GIT_CREDENTIALS_FILE, input.projectName, `${input.projectId}@xares.invalid`],
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
