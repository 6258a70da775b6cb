// Fake Forgejo for tests (never shipped). Plain Node (node:http, no dependencies) plus Debian's git: the REST
// subset Xares' ForgejoClient uses (server/git/forgejo-client.ts), backed by REAL bare repositories on disk that
// are served over git's smart HTTP protocol by `git http-backend` (CGI), so clones, commits, pushes and
// branches in tests are real git operations.
//
// Run (host or a container of xares/workspace:5, which has node and git):
//
//   node server.mjs --data <dir> [--port 3000] [--host 0.0.0.0] [--root-url http://git.example/] \
//        [--admin-user admin] [--admin-password secret]
//
//   e.g. docker run --rm -p 127.0.0.1:3300:3000 -v "$PWD/tests/fake-forgejo:/fake:ro" \
//          --entrypoint node xares/workspace:5 /fake/server.mjs --data /tmp/forgejo --port 3000
//
// When listening it prints ONE line to stdout: `fake-forgejo listening on <host>:<port>` (use --port 0 for a
// random port and read it from that line). The admin account (site admin, like Forgejo's first user) is
// created from --admin-user/--admin-password (defaults `forgejo-admin` / `forgejo-admin-password`; also
// FAKE_FORGEJO_ADMIN_USER / FAKE_FORGEJO_ADMIN_PASSWORD). State other than the bare repositories is in memory.
// Repository URLs (`html_url`, `clone_url`) use --root-url (Forgejo's ROOT_URL), else `http://<Host header>/`.
// `--admin-user ''` starts without any user (like a fresh Forgejo; see the fake image below).
//
// Options used by the fake Forgejo IMAGE (tests/fake-forgejo/Dockerfile, which stands in for the official
// image: port 3000, data under /data, a `forgejo` CLI for `docker exec -u git`):
//   --state <file>                users, tokens and repositories are kept in this JSON file (0600) and read back
//                                 at start, so the data survives a re-created container (the volume keeps it);
//   --control-secret-file <file>  enables POST /fake-control/users and /fake-control/tokens, answered only to
//                                 loopback peers sending header `x-fake-control: <file content>`; the fake CLI
//                                 (fake-forgejo-cli.mjs, run as user git who alone can read the file) uses them
//                                 where the real CLI writes into Forgejo's database.
// Browser pages (the web UI is not faked): GET / and GET /<owner>/<repo> answer a small HTML page.
//
// Implemented endpoints, request fields and response fields. Shapes follow Forgejo's API documentation
// (swagger definitions in https://codeberg.org/forgejo/forgejo/src/branch/forgejo/templates/swagger/v1_json.tmpl,
// rendered at https://forgejo.org/docs/latest/user/api-usage/ -> https://<instance>/api/swagger; the subset we use
// is copied into ./forgejo-api-subset.json and tests/unit/fake-forgejo-shapes.test.ts checks our answers
// against it):
//   GET  /api/v1/version                         -> ServerVersion {version}                      (no auth)
//   GET  /api/v1/user                            -> User                                          (any scope)
//   POST /api/v1/admin/users                     CreateUserOption {username, email, password, must_change_password,
//                                                full_name?, login_name?, source_id?, send_notify?, visibility?}
//                                                -> 201 User; 422 user exists/bad name/missing field; 403 not admin
//                                                (token needs write:admin)
//   POST /api/v1/users/{username}/tokens         BASIC AUTH only (that user or a site admin; tokens are refused
//                                                with 401 like Forgejo). CreateAccessTokenOption {name, scopes, repositories?}
//                                                -> 201 AccessToken {id, name, sha1, token_last_eight, scopes,
//                                                repositories, created_at}; with `repositories: [{owner, name}]`
//                                                the token only reaches those repositories (API and git; elsewhere
//                                                403, other repositories 404), 422 if one does not exist
//                                                400 duplicate name / unknown scope; 422 missing name
//   DELETE /api/v1/users/{username}/tokens/{token}  BASIC AUTH (that user or a site admin); {token} = id, else name -> 204
//   GET  /api/v1/user/repos?page&limit           -> Repository[] owned by the caller (read:repository);
//                                                header X-Total-Count; limit default 30, max 50 (Forgejo's paging)
//   POST /api/v1/user/repos                      CreateRepoOption {name, description?, private?, auto_init?,
//                                                default_branch?, readme?, gitignores?, license?, template?,
//                                                trust_model?, issue_labels?} -> 201 Repository; 409 same name;
//                                                422 invalid name (write:repository)
//   PUT  /api/v1/repos/{owner}/{repo}/collaborators/{collaborator}  AddCollaboratorOption {permission: read|write|admin}
//                                                -> 204; 404 repo; 422 unknown user; 403 not repo admin
//   GET  /api/v1/repos/{owner}/{repo}/branches   -> Branch[] (read access)
//   POST /api/v1/repos/{owner}/{repo}/branches   CreateBranchRepoOption {new_branch_name, old_branch_name?
//                                                (deprecated), old_ref_name?} -> 201 Branch; 404 old branch/empty
//                                                repo; 409 branch exists; 403 no write access
//   GET  /api/v1/admin/users?page&limit          -> User[] sorted by login (read:admin + site admin); X-Total-Count;
//                                                limit default 30, max 50
//   PATCH /api/v1/admin/users/{username}         EditUserOption (here: password) (write:admin + site admin) -> User
//   DELETE /api/v1/admin/users/{username}[?purge=true]  (write:admin + site admin) -> 204; 404 unknown user;
//                                                422 yourself / last admin / "user still has ownership of
//                                                repositories" (purge=true deletes them first, like Forgejo).
//                                                Removes the user's tokens and collaborations.
//   GET  /api/v1/repos/{owner}/{repo}/branch_protections  -> BranchProtection[] (repo admin: owner, site admin or
//                                                admin collaborator; read:repository), 403 other readers
//   POST /api/v1/repos/{owner}/{repo}/branch_protections  CreateBranchProtectionOption -> 201 BranchProtection
//                                                (repo admin; write:repository); 400 rule_name and branch_name
//                                                both empty (Forgejo's status); 403 "Branch protection already
//                                                exist"; 422 unknown user in a *_whitelist_usernames / wrong JSON
//                                                type. Like Forgejo, whitelisted users without write access to the
//                                                repository are silently dropped (add collaborators first).
//   Errors: APIError {message, url} with 401 (no/invalid credentials), 403, 404, 409, 422, 400.
// Branch protection is ENFORCED on git pushes by a pre-receive hook (PRE_RECEIVE_HOOK below, node) installed in
// every bare repository; it reads the repository's rules from <repo>.git/fake-forgejo-protections.json (written
// by the fake whenever rules or users change) and the pusher from REMOTE_USER. A branch is protected when a rule
// matches it: a plain rule_name equal to the branch (case-insensitive, like Forgejo), or a glob rule_name
// (`*` = any characters but `/`, `**` = any characters, `?` = one character but `/`). On a protected branch
// (checked in Forgejo's order, the whole push is refused): deletion -> "branch <b> is protected from deletion";
// non-fast-forward -> "branch <b> is protected from force push"; enable_push false, or enable_push_whitelist and
// the pusher not in push_whitelist_usernames -> "Not allowed to push to protected branch <b>". Git shows these
// as `remote: Forgejo: <message>` and `! [remote rejected] <b> -> <b> (pre-receive hook declined)`.
// Git smart HTTP under /{owner}/{repo}.git/... (info/refs, git-upload-pack, git-receive-pack): credentials are
// HTTP basic auth, the password being the user's password or an access token (a token may also be the user
// name), like Forgejo. Public repositories can be read anonymously; private ones answer 401 without
// credentials and 404 to users without access; pushes need write (owner, site admin, or a collaborator with
// write/admin; tokens need write:repository), else 401 (anonymous) / 403.
import { spawn, execFile } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** All token scopes Forgejo knows (CreateAccessTokenOption.scopes); `all` grants everything. */
const SCOPES = ['all', 'read:activitypub', 'write:activitypub', 'read:admin', 'write:admin', 'read:issue', 'write:issue',
  'read:misc', 'write:misc', 'read:notification', 'write:notification', 'read:organization', 'write:organization',
  'read:package', 'write:package', 'read:repository', 'write:repository', 'read:user', 'write:user'];

/** File in each bare repository holding its branch protection rules for the pre-receive hook. */
const PROTECTIONS_FILE = 'fake-forgejo-protections.json';

/**
 * The pre-receive hook of every bare repository (node; works as CommonJS or ESM, hence dynamic imports). Reads
 * `<old> <new> <ref>` lines, the rules from PROTECTIONS_FILE ([{rule_name, pattern (regex source, null for a plain
 * name), enable_push, enable_push_whitelist, push_whitelist_usernames}]) and the pusher from REMOTE_USER (set by
 * the fake for `git http-backend`, which passes it on). Refusal: reason on stderr, exit 1 (Forgejo's messages).
 */
const PRE_RECEIVE_HOOK = `#!/usr/bin/env node
// Installed by the fake Forgejo (tests only): branch protection like Forgejo's pre-receive hook.
(async () => {
  const { readFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const path = await import('node:path');
  let rules = [];
  try {
    rules = JSON.parse(readFileSync(path.join(path.dirname(path.dirname(path.resolve(process.argv[1]))), '${PROTECTIONS_FILE}'), 'utf8'));
  } catch {
    rules = [];
  }
  const pusher = (process.env.REMOTE_USER || '').toLowerCase();
  const zero = /^0+$/;
  const deny = (message) => {
    process.stdout.write('\\n');
    process.stderr.write('Forgejo: ' + message + '\\n');
    process.exit(1);
  };
  for (const line of readFileSync(0, 'utf8').split('\\n')) {
    const [oldId, newId, ref] = line.trim().split(' ');
    if (!ref || !ref.startsWith('refs/heads/')) continue;
    const branch = ref.slice('refs/heads/'.length);
    const rule = rules.find((r) => (r.pattern ? new RegExp(r.pattern).test(branch) : r.rule_name.toLowerCase() === branch.toLowerCase()));
    if (!rule) continue;
    if (zero.test(newId)) deny('branch ' + branch + ' is protected from deletion');
    if (!zero.test(oldId)) {
      try {
        execFileSync('git', ['merge-base', '--is-ancestor', oldId, newId], { stdio: 'ignore' });
      } catch {
        deny('branch ' + branch + ' is protected from force push');
      }
    }
    const listed = rule.push_whitelist_usernames.some((u) => u.toLowerCase() === pusher);
    if (!rule.enable_push || (rule.enable_push_whitelist && !listed)) deny('Not allowed to push to protected branch ' + branch);
  }
})();
`;

/**
 * Forgejo's rule names: a name with glob characters is a glob (gobwas/glob with separator `/`), else a plain
 * branch name. Returns the regex source for a glob (`*` not across `/`, `**` across, `?` one non-`/`), else null.
 */
function ruleNamePattern(ruleName) {
  if (!/[*?[\]{}\\]/.test(ruleName)) return null;
  let out = '';
  for (let i = 0; i < ruleName.length; i++) {
    const c = ruleName[i];
    if (c === '*' && ruleName[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return `^${out}$`;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (m) out[m[1]] = argv[++i];
  }
  return out;
}

/**
 * Creates the fake. `options.data` is the folder for bare repositories (`<data>/repos/<owner>/<repo>.git`).
 * Returns the node:http server (not yet listening).
 */
export function createFakeForgejo(options) {
  const reposRoot = path.resolve(options.data, 'repos');
  mkdirSync(reposRoot, { recursive: true });
  const rootUrl = options.rootUrl ? options.rootUrl.replace(/\/*$/, '/') : undefined;
  let nextId = 1;
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  /** login(lower) -> {id, login, email, password, isAdmin, created} */
  const users = new Map();
  /** sha1 -> {id, name, user, scopes} */
  const tokens = new Map();
  /** "owner/name"(lower) -> {id, owner, name, description, private, defaultBranch, created, updated, collaborators: Map(login -> permission)} */
  const repos = new Map();

  function addUser(login, email, password, isAdmin) {
    const user = { id: nextId++, login, email, password, isAdmin, created: now() };
    users.set(login.toLowerCase(), user);
    return user;
  }
  const stateFile = options.stateFile ? path.resolve(options.stateFile) : undefined;
  if (stateFile && existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    nextId = state.nextId;
    for (const u of state.users) users.set(u.login.toLowerCase(), u);
    for (const t of state.tokens) tokens.set(t.sha1, { id: t.id, name: t.name, user: t.user, scopes: t.scopes, repos: t.repos ? new Set(t.repos) : undefined });
    for (const r of state.repos) {
      repos.set(`${r.owner}/${r.name}`.toLowerCase(), { ...r, owner: users.get(r.owner.toLowerCase()), collaborators: new Map(r.collaborators), protections: r.protections ?? [] });
    }
  }
  /** Writes users, tokens and repositories to --state (no-op without it). */
  function saveState() {
    if (!stateFile) return;
    const state = {
      nextId,
      users: [...users.values()],
      tokens: [...tokens.entries()].map(([sha1, t]) => ({ sha1, id: t.id, name: t.name, user: t.user, scopes: t.scopes, repos: t.repos ? [...t.repos] : null })),
      repos: [...repos.values()].map((r) => ({ ...r, owner: r.owner.login, collaborators: [...r.collaborators.entries()] })),
    };
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(state), { mode: 0o600 });
    renameSync(`${stateFile}.tmp`, stateFile);
    chmodSync(stateFile, 0o600);
  }
  if (options.adminUser && !users.has(options.adminUser.toLowerCase())) {
    addUser(options.adminUser, `${options.adminUser}@fake-forgejo.invalid`, options.adminPassword, true);
  }
  // Repositories of a state file made before branch protection (or by an older fake) get the current hook.
  for (const repo of repos.values()) if (existsSync(repoDir(repo))) installHook(repo);

  function baseUrl(req) {
    return rootUrl ?? `http://${req.headers.host ?? 'localhost'}/`;
  }

  /** Forgejo's User shape (the fields of swagger definition User). */
  function userJson(u, req) {
    return {
      id: u.id, login: u.login, login_name: '', source_id: 0, full_name: '', email: u.email,
      avatar_url: `${baseUrl(req)}avatars/${u.id}`, html_url: `${baseUrl(req)}${u.login}`, language: '',
      is_admin: u.isAdmin, last_login: u.created, created: u.created, restricted: false, active: true,
      prohibit_login: false, location: '', pronouns: '', website: '', description: '', visibility: 'public',
      followers_count: 0, following_count: 0, starred_repos_count: 0,
    };
  }

  async function gitIn(repo, args, env = {}) {
    const { stdout } = await run('git', ['--git-dir', repoDir(repo), ...args], { env: { ...process.env, ...env } });
    return stdout.trim();
  }
  function repoDir(repo) {
    return path.join(reposRoot, repo.owner.login.toLowerCase(), `${repo.name.toLowerCase()}.git`);
  }
  async function isEmpty(repo) {
    const refs = await gitIn(repo, ['for-each-ref', '--count=1', 'refs/heads']);
    return refs === '';
  }

  function userById(id) {
    for (const u of users.values()) if (u.id === id) return u;
    return undefined;
  }
  /** Logins of the existing users among `ids` (Forgejo keeps user ids in rules; deleted users drop out). */
  function loginsOf(ids) {
    return ids.map(userById).filter(Boolean).map((u) => u.login);
  }

  /** The first rule of `repo` protecting `branch` (rules in creation order), or undefined. */
  function protectionOf(repo, branch) {
    return repo.protections.find((r) => {
      const pattern = ruleNamePattern(r.rule_name);
      return pattern ? new RegExp(pattern).test(branch) : r.rule_name.toLowerCase() === branch.toLowerCase();
    });
  }

  /** Whether `user` may push to a branch protected by `rule` (Forgejo's ProtectedBranch.CanUserPush). */
  function canUserPush(repo, rule, user) {
    if (!user || !rule.enable_push) return false;
    if (!rule.enable_push_whitelist) return ['admin', 'write'].includes(permissionOf(repo, user));
    return rule.push_whitelist_user_ids.includes(user.id);
  }

  /** Writes the rules the pre-receive hook of `repo` reads (PROTECTIONS_FILE). */
  function writeProtections(repo) {
    const rules = repo.protections.map((r) => ({
      rule_name: r.rule_name, pattern: ruleNamePattern(r.rule_name), enable_push: r.enable_push,
      enable_push_whitelist: r.enable_push_whitelist, push_whitelist_usernames: loginsOf(r.push_whitelist_user_ids),
    }));
    const file = path.join(repoDir(repo), PROTECTIONS_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(rules));
    renameSync(`${file}.tmp`, file);
  }

  /** Installs the pre-receive hook (PRE_RECEIVE_HOOK) and the rules file into the bare repository of `repo`. */
  function installHook(repo) {
    const hooks = path.join(repoDir(repo), 'hooks');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(path.join(hooks, 'pre-receive'), PRE_RECEIVE_HOOK, { mode: 0o755 });
    chmodSync(path.join(hooks, 'pre-receive'), 0o755);
    writeProtections(repo);
  }

  /** Forgejo's BranchProtection shape (swagger definition BranchProtection; teams are empty for user-owned repositories). */
  function protectionJson(r) {
    return {
      branch_name: ruleNamePattern(r.rule_name) ? '' : r.rule_name, rule_name: r.rule_name,
      enable_push: r.enable_push, enable_push_whitelist: r.enable_push_whitelist,
      push_whitelist_usernames: loginsOf(r.push_whitelist_user_ids), push_whitelist_teams: [],
      push_whitelist_deploy_keys: r.push_whitelist_deploy_keys, enable_merge_whitelist: r.enable_merge_whitelist,
      merge_whitelist_usernames: loginsOf(r.merge_whitelist_user_ids), merge_whitelist_teams: [],
      enable_status_check: r.enable_status_check, status_check_contexts: [...r.status_check_contexts],
      required_approvals: r.required_approvals, enable_approvals_whitelist: r.enable_approvals_whitelist,
      approvals_whitelist_username: loginsOf(r.approvals_whitelist_user_ids), approvals_whitelist_teams: [],
      block_on_rejected_reviews: r.block_on_rejected_reviews, block_on_official_review_requests: r.block_on_official_review_requests,
      block_on_outdated_branch: r.block_on_outdated_branch, dismiss_stale_approvals: r.dismiss_stale_approvals,
      ignore_stale_approvals: r.ignore_stale_approvals, require_signed_commits: r.require_signed_commits,
      protected_file_patterns: r.protected_file_patterns, unprotected_file_patterns: r.unprotected_file_patterns,
      apply_to_admins: r.apply_to_admins, created_at: r.created, updated_at: r.updated,
    };
  }

  /** Access of a caller (`auth` from authenticate, or null) to `repo`; a repository-limited token sees only its repositories. */
  function accessOf(repo, auth) {
    if (auth?.repos && !auth.repos.has(`${repo.owner.login}/${repo.name}`.toLowerCase())) return 'none';
    return permissionOf(repo, auth?.user);
  }

  function permissionOf(repo, user) {
    if (!user) return repo.private ? 'none' : 'read';
    if (user.isAdmin || user.id === repo.owner.id) return 'admin';
    return repo.collaborators.get(user.login.toLowerCase()) ?? (repo.private ? 'none' : 'read');
  }

  /** Forgejo's Repository shape (the fields of swagger definition Repository). */
  async function repoJson(repo, req, user) {
    const base = baseUrl(req);
    const perm = permissionOf(repo, user);
    const empty = await isEmpty(repo);
    return {
      id: repo.id, owner: userJson(repo.owner, req), name: repo.name, full_name: `${repo.owner.login}/${repo.name}`,
      description: repo.description, empty, private: repo.private, fork: false, template: false,
      mirror: false, size: 0, language: '', languages_url: `${base}api/v1/repos/${repo.owner.login}/${repo.name}/languages`,
      html_url: `${base}${repo.owner.login}/${repo.name}`, url: `${base}api/v1/repos/${repo.owner.login}/${repo.name}`,
      link: '', ssh_url: `ssh://git@fake-forgejo.invalid/${repo.owner.login}/${repo.name}.git`,
      clone_url: `${base}${repo.owner.login}/${repo.name}.git`, original_url: '', website: '', stars_count: 0,
      forks_count: 0, watchers_count: 1, open_issues_count: 0, open_pr_counter: 0, release_counter: 0,
      default_branch: repo.defaultBranch, archived: false, created_at: repo.created, updated_at: repo.updated,
      archived_at: '1970-01-01T00:00:00Z',
      permissions: { admin: perm === 'admin', push: perm === 'admin' || perm === 'write', pull: perm !== 'none' },
      has_issues: true, internal_tracker: { enable_time_tracker: true, allow_only_contributors_to_track_time: true, enable_issue_dependencies: true },
      has_wiki: true, has_wiki_contents: false, wiki_branch: 'main',
      wiki_clone_url: `${base}${repo.owner.login}/${repo.name}.wiki.git`,
      wiki_ssh_url: `ssh://git@fake-forgejo.invalid/${repo.owner.login}/${repo.name}.wiki.git`, globally_editable_wiki: false, has_pull_requests: true, has_projects: true,
      has_releases: true, has_packages: true, has_actions: true, ignore_whitespace_conflicts: false,
      allow_merge_commits: true, allow_rebase: true, allow_rebase_explicit: true, allow_squash_merge: true,
      allow_fast_forward_only_merge: true, allow_rebase_update: true, default_delete_branch_after_merge: false,
      default_merge_style: 'merge', default_allow_maintainer_edit: false, default_update_style: 'merge',
      avatar_url: '', internal: false, mirror_interval: '', object_format_name: 'sha1', mirror_updated: '0001-01-01T00:00:00Z',
      topics: [],
      // parent, external_tracker, external_wiki, repo_transfer: omitted when empty (omitempty pointers in Forgejo).
    };
  }

  /** Forgejo's Branch shape (swagger definition Branch, commit = PayloadCommit). */
  async function branchJson(repo, name, req, user) {
    const base = baseUrl(req);
    const [sha, authorName, authorEmail, committerName, committerEmail, date, ...msg] = (
      await gitIn(repo, ['log', '-1', '--format=%H%n%an%n%ae%n%cn%n%ce%n%cI%n%B', `refs/heads/${name}`])
    ).split('\n');
    const perm = permissionOf(repo, user);
    const canWrite = perm === 'admin' || perm === 'write';
    // Forgejo's convert.ToBranch: a matching rule decides the protection fields and user_can_push/merge.
    const rule = protectionOf(repo, name);
    const canPush = rule ? canUserPush(repo, rule, user) : canWrite;
    const canMerge = rule && rule.enable_merge_whitelist ? Boolean(user && rule.merge_whitelist_user_ids.includes(user.id)) : canWrite;
    return {
      name,
      commit: {
        id: sha, message: `${msg.join('\n').trim()}\n`,
        url: `${base}${repo.owner.login}/${repo.name}/commit/${sha}`,
        author: { name: authorName, email: authorEmail, username: '' },
        committer: { name: committerName, email: committerEmail, username: '' },
        verification: null, timestamp: date, added: null, removed: null, modified: null,
      },
      protected: Boolean(rule), required_approvals: rule?.required_approvals ?? 0, enable_status_check: rule?.enable_status_check ?? false,
      status_check_contexts: rule ? [...rule.status_check_contexts] : [],
      user_can_push: canPush, user_can_merge: canMerge, effective_branch_protection_name: rule?.rule_name ?? '',
    };
  }

  function send(res, status, body, headers = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json;charset=utf-8' }), ...headers });
    res.end(text);
  }
  function apiError(res, req, status, message) {
    send(res, status, { message, url: `${baseUrl(req)}api/swagger` });
  }

  function safeEqual(a, b) {
    const x = Buffer.from(String(a));
    const y = Buffer.from(String(b));
    return x.length === y.length && timingSafeEqual(x, y);
  }

  /**
   * Who is calling: {user, scopes, basic} or null (anonymous); `{invalid: true}` for wrong credentials.
   * `Authorization: token <t>` / `Bearer <t>`, or basic auth with a password or a token (as password or name).
   */
  function authenticate(req) {
    const header = req.headers.authorization;
    if (!header) return null;
    const [kind, value = ''] = header.split(' ', 2);
    if (/^(token|bearer)$/i.test(kind)) {
      const t = tokens.get(value.trim());
      return t ? { user: users.get(t.user), scopes: t.scopes, basic: false, repos: t.repos } : { invalid: true };
    }
    if (/^basic$/i.test(kind)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = colon < 0 ? decoded : decoded.slice(0, colon);
      const secret = colon < 0 ? '' : decoded.slice(colon + 1);
      const byToken = tokens.get(secret) ?? tokens.get(name);
      if (byToken && (tokens.get(secret) ? true : secret === '' || secret === 'x-oauth-basic')) {
        return { user: users.get(byToken.user), scopes: byToken.scopes, basic: false, repos: byToken.repos };
      }
      const user = users.get(name.toLowerCase());
      if (user && safeEqual(user.password, secret)) return { user, scopes: ['all'], basic: true };
      return { invalid: true };
    }
    return { invalid: true };
  }

  function hasScope(auth, category, write) {
    if (auth.scopes.includes('all')) return true;
    return auth.scopes.includes(`write:${category}`) || (!write && auth.scopes.includes(`read:${category}`));
  }

  async function readJson(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    try {
      const value = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  // Forgejo's repository name rule (AlphaDashDot, max 100, no reserved names/patterns).
  const RESERVED_REPO = new Set(['.', '..', '-', 'assets', 'api', 'git', 'user', 'explore', 'swagger.v1.json']);
  function repoNameProblem(name) {
    if (typeof name !== 'string' || name === '') return '[Name]: Required';
    if (name.length > 100) return '[Name]: MaxSize';
    if (!/^[\w.-]+$/.test(name)) return '[Name]: AlphaDashDot';
    if (RESERVED_REPO.has(name.toLowerCase()) || /\.(git|wiki|rss|atom)$/i.test(name)) return `name is reserved [name: ${name}]`;
    return undefined;
  }

  /** Forgejo's list paging: page from 1, limit default 30 (DEFAULT_PAGING_NUM), at most 50 (MAX_RESPONSE_ITEMS). */
  function paging(url) {
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
    const limitRaw = Number.parseInt(url.searchParams.get('limit') ?? '0', 10) || 30;
    return { page, limit: Math.min(50, Math.max(1, limitRaw)) };
  }

  /** CreateBranchProtectionOption fields by JSON type (Forgejo's swagger); others are ignored like Go's decoder does. */
  const PROTECTION_BOOLS = ['enable_push', 'enable_push_whitelist', 'push_whitelist_deploy_keys', 'enable_merge_whitelist',
    'enable_status_check', 'enable_approvals_whitelist', 'block_on_rejected_reviews', 'block_on_official_review_requests',
    'block_on_outdated_branch', 'dismiss_stale_approvals', 'ignore_stale_approvals', 'require_signed_commits', 'apply_to_admins'];
  const PROTECTION_LISTS = ['push_whitelist_usernames', 'push_whitelist_teams', 'merge_whitelist_usernames', 'merge_whitelist_teams',
    'status_check_contexts', 'approvals_whitelist_username', 'approvals_whitelist_teams'];
  const PROTECTION_STRINGS = ['rule_name', 'branch_name', 'protected_file_patterns', 'unprotected_file_patterns'];

  /** Branch protection routes (repoListBranchProtection, repoCreateBranchProtection); `auth` is not anonymous. */
  async function handleProtections(req, res, auth, owner, name) {
    const write = req.method !== 'GET';
    if (!hasScope(auth, 'repository', write)) return apiError(res, req, 403, `token does not have at least one of required scope(s): [${write ? 'write' : 'read'}:repository]`);
    const repo = repos.get(`${owner}/${name}`.toLowerCase());
    const perm = repo ? accessOf(repo, auth) : 'none';
    if (!repo || perm === 'none') return apiError(res, req, 404, 'The target couldn\'t be found.');
    // Forgejo: the branch_protections group needs reqAdmin (owner, site admin or admin collaborator).
    if (perm !== 'admin') return apiError(res, req, 403, 'user should be an owner or a collaborator with admin write of a repository');
    if (req.method === 'GET') return send(res, 200, repo.protections.map(protectionJson));
    if (req.method !== 'POST') return apiError(res, req, 405, 'method not allowed');
    const body = await readJson(req);
    if (!body) return apiError(res, req, 422, 'invalid JSON body');
    for (const key of PROTECTION_BOOLS) if (body[key] !== undefined && body[key] !== null && typeof body[key] !== 'boolean') return apiError(res, req, 422, `[${key}]: must be a boolean`);
    for (const key of PROTECTION_STRINGS) if (body[key] !== undefined && body[key] !== null && typeof body[key] !== 'string') return apiError(res, req, 422, `[${key}]: must be a string`);
    for (const key of PROTECTION_LISTS) {
      if (body[key] !== undefined && body[key] !== null && (!Array.isArray(body[key]) || body[key].some((x) => typeof x !== 'string'))) return apiError(res, req, 422, `[${key}]: must be an array of strings`);
    }
    if (body.required_approvals !== undefined && body.required_approvals !== null && !Number.isInteger(body.required_approvals)) return apiError(res, req, 422, '[required_approvals]: must be an integer');
    const ruleName = body.rule_name || body.branch_name || '';
    if (ruleName === '') return apiError(res, req, 400, 'both rule_name and branch_name are empty');
    if (repo.protections.some((r) => r.rule_name === ruleName)) return apiError(res, req, 403, 'Branch protection already exist');
    const idsOf = (names = []) => {
      const ids = [];
      for (const login of names ?? []) {
        const user = users.get(login.toLowerCase());
        if (!user) return { missing: login };
        ids.push(user.id);
      }
      return { ids };
    };
    const lists = {};
    for (const key of ['push_whitelist_usernames', 'merge_whitelist_usernames', 'approvals_whitelist_username']) {
      const found = idsOf(body[key]);
      if (found.missing !== undefined) return apiError(res, req, 422, `user does not exist [uid: 0, name: ${found.missing}]`);
      lists[key] = found.ids;
    }
    // Forgejo's updateUserWhitelist/updateApprovalWhitelist drop users without write (push, merge) / read access.
    const writers = (ids) => ids.filter((id) => ['admin', 'write'].includes(permissionOf(repo, userById(id))));
    const readers = (ids) => ids.filter((id) => permissionOf(repo, userById(id)) !== 'none');
    const flag = (key) => body[key] === true;
    const enablePush = flag('enable_push');
    const rule = {
      id: nextId++, rule_name: ruleName, created: now(), updated: now(),
      enable_push: enablePush, enable_push_whitelist: enablePush && flag('enable_push_whitelist'),
      push_whitelist_user_ids: writers(lists.push_whitelist_usernames),
      push_whitelist_deploy_keys: enablePush && flag('enable_push_whitelist') && flag('push_whitelist_deploy_keys'),
      enable_merge_whitelist: flag('enable_merge_whitelist'), merge_whitelist_user_ids: writers(lists.merge_whitelist_usernames),
      enable_status_check: flag('enable_status_check'), status_check_contexts: body.status_check_contexts ?? [],
      required_approvals: Math.max(0, body.required_approvals ?? 0), enable_approvals_whitelist: flag('enable_approvals_whitelist'),
      approvals_whitelist_user_ids: readers(lists.approvals_whitelist_username),
      block_on_rejected_reviews: flag('block_on_rejected_reviews'), block_on_official_review_requests: flag('block_on_official_review_requests'),
      block_on_outdated_branch: flag('block_on_outdated_branch'), dismiss_stale_approvals: flag('dismiss_stale_approvals'),
      ignore_stale_approvals: flag('ignore_stale_approvals'), require_signed_commits: flag('require_signed_commits'),
      protected_file_patterns: body.protected_file_patterns ?? '', unprotected_file_patterns: body.unprotected_file_patterns ?? '',
      apply_to_admins: flag('apply_to_admins'),
    };
    repo.protections.push(rule);
    writeProtections(repo);
    return send(res, 201, protectionJson(rule));
  }

  async function handleApi(req, res, url) {
    const p = url.pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (p === '/api/v1/version' && method === 'GET') return send(res, 200, { version: '11.0.0+fake-forgejo' });

    const auth = authenticate(req);
    if (auth?.invalid) return apiError(res, req, 401, 'user does not exist or token is invalid');

    let m;
    if ((m = /^\/api\/v1\/users\/([^/]+)\/tokens$/.exec(p)) && method === 'POST') {
      // Forgejo: token creation needs basic auth (reqBasicOrRevProxyAuth) as that user or a site admin.
      if (!auth || !auth.basic) return apiError(res, req, 401, 'auth required');
      const target = users.get(decodeURIComponent(m[1]).toLowerCase());
      if (!auth.user.isAdmin && (!target || target.id !== auth.user.id)) return apiError(res, req, 403, 'you must be the user or a site administrator');
      if (!target) return apiError(res, req, 404, 'user does not exist');
      const body = await readJson(req);
      if (!body) return apiError(res, req, 422, 'invalid JSON body');
      if (typeof body.name !== 'string' || body.name === '') return apiError(res, req, 422, '[Name]: Required');
      const scopes = body.scopes ?? [];
      if (!Array.isArray(scopes) || scopes.some((s) => !SCOPES.includes(s))) return apiError(res, req, 400, 'invalid access token scope');
      if ([...tokens.values()].some((t) => t.user === target.login.toLowerCase() && t.name === body.name)) {
        return apiError(res, req, 400, 'access token name has been used already');
      }
      // CreateAccessTokenOption.repositories: a token limited to these repositories (RepoTargetOption {owner, name}).
      let limited;
      if (body.repositories !== undefined && body.repositories !== null) {
        if (!Array.isArray(body.repositories)) return apiError(res, req, 422, '[Repositories]: must be an array');
        limited = [];
        for (const target of body.repositories) {
          const repo = target && typeof target.owner === 'string' && typeof target.name === 'string' ? repos.get(`${target.owner}/${target.name}`.toLowerCase()) : undefined;
          if (!repo) return apiError(res, req, 422, 'repository does not exist');
          limited.push(repo);
        }
        if (limited.length === 0) limited = undefined;
      }
      const sha1 = randomBytes(20).toString('hex');
      const token = {
        id: nextId++, name: body.name, user: target.login.toLowerCase(), scopes: [...scopes],
        repos: limited ? new Set(limited.map((r) => `${r.owner.login}/${r.name}`.toLowerCase())) : undefined,
      };
      tokens.set(sha1, token);
      const repositories = limited ? limited.map((r) => ({ id: r.id, name: r.name, owner: r.owner.login, full_name: `${r.owner.login}/${r.name}` })) : null;
      return send(res, 201, { id: token.id, name: token.name, sha1, token_last_eight: sha1.slice(-8), scopes: token.scopes, repositories, created_at: now() });
    }

    // DELETE /users/{username}/tokens/{token}: by id, else by name; basic auth as that user or a site admin.
    if ((m = /^\/api\/v1\/users\/([^/]+)\/tokens\/([^/]+)$/.exec(p)) && method === 'DELETE') {
      if (!auth || !auth.basic) return apiError(res, req, 401, 'auth required');
      const target = users.get(decodeURIComponent(m[1]).toLowerCase());
      if (!auth.user.isAdmin && (!target || target.id !== auth.user.id)) return apiError(res, req, 403, 'you must be the user or a site administrator');
      if (!target) return apiError(res, req, 404, 'user does not exist');
      const ident = decodeURIComponent(m[2]);
      const own = [...tokens.entries()].filter(([, t]) => t.user === target.login.toLowerCase());
      const found = own.find(([, t]) => String(t.id) === ident) ?? own.find(([, t]) => t.name === ident);
      if (!found) return apiError(res, req, 404, 'access token does not exist');
      tokens.delete(found[0]);
      res.writeHead(204);
      return res.end();
    }

    if (!auth) return apiError(res, req, 401, 'token is required');
    const me = auth.user;
    // A repository-limited token may use only the endpoints of its repositories (and read its user).
    if (auth.repos && !p.startsWith('/api/v1/repos/') && p !== '/api/v1/user') {
      return apiError(res, req, 403, 'access token is limited to specific repositories');
    }

    if (p === '/api/v1/user' && method === 'GET') return send(res, 200, userJson(me, req));

    if (p === '/api/v1/admin/users' && method === 'POST') {
      if (!hasScope(auth, 'admin', true)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [write:admin]');
      if (!me.isAdmin) return apiError(res, req, 403, 'reqSiteAdmin');
      const body = await readJson(req);
      if (!body) return apiError(res, req, 422, 'invalid JSON body');
      for (const field of ['username', 'email']) {
        if (typeof body[field] !== 'string' || body[field] === '') return apiError(res, req, 422, `[${field === 'username' ? 'Username' : 'Email'}]: Required`);
      }
      if (!/^[\w.-]+$/.test(body.username) || body.username.length > 40) return apiError(res, req, 422, '[Username]: invalid username');
      if (!/^[^@\s]+@[^@\s]+$/.test(body.email)) return apiError(res, req, 422, `e-mail invalid [email: ${body.email}]`);
      if (typeof body.password !== 'string' || body.password.length < 8) return apiError(res, req, 400, 'password is too short');
      if (users.has(body.username.toLowerCase())) return apiError(res, req, 422, `user already exists [name: ${body.username}]`);
      if ([...users.values()].some((u) => u.email.toLowerCase() === body.email.toLowerCase())) return apiError(res, req, 422, `e-mail already in use [email: ${body.email}]`);
      const user = addUser(body.username, body.email, body.password, false);
      return send(res, 201, userJson(user, req));
    }

    // GET /admin/users (adminSearchUsers): all users, alphabetical, paged like Forgejo's lists.
    if (p === '/api/v1/admin/users' && method === 'GET') {
      if (!hasScope(auth, 'admin', false)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [read:admin]');
      if (!me.isAdmin) return apiError(res, req, 403, 'reqSiteAdmin');
      const { page, limit } = paging(url);
      const all = [...users.values()].sort((a, b) => a.login.toLowerCase().localeCompare(b.login.toLowerCase()));
      return send(res, 200, all.slice((page - 1) * limit, page * limit).map((u) => userJson(u, req)), { 'x-total-count': String(all.length) });
    }

    // PATCH /admin/users/{username} (adminEditUser, EditUserOption): here only a new password and
    // must_change_password; 404 unknown user.
    if ((m = /^\/api\/v1\/admin\/users\/([^/]+)$/.exec(p)) && method === 'PATCH') {
      if (!hasScope(auth, 'admin', true)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [write:admin]');
      if (!me.isAdmin) return apiError(res, req, 403, 'reqSiteAdmin');
      const target = users.get(decodeURIComponent(m[1]).toLowerCase());
      if (!target) return apiError(res, req, 404, 'The target couldn\'t be found.');
      const body = await readJson(req);
      if (!body) return apiError(res, req, 422, 'invalid JSON body');
      if (body.password !== undefined) {
        if (typeof body.password !== 'string' || body.password.length < 8) return apiError(res, req, 422, 'password is too short');
        target.password = body.password;
      }
      return send(res, 200, userJson(target, req));
    }

    // DELETE /admin/users/{username} (adminDeleteUser), Forgejo's checks: not yourself, not the last admin, no
    // repositories left unless ?purge=true (which deletes them).
    if ((m = /^\/api\/v1\/admin\/users\/([^/]+)$/.exec(p)) && method === 'DELETE') {
      if (!hasScope(auth, 'admin', true)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [write:admin]');
      if (!me.isAdmin) return apiError(res, req, 403, 'reqSiteAdmin');
      const target = users.get(decodeURIComponent(m[1]).toLowerCase());
      if (!target) return apiError(res, req, 404, 'The target couldn\'t be found.');
      if (target.id === me.id) return apiError(res, req, 422, 'you cannot delete yourself');
      const owned = [...repos.entries()].filter(([, r]) => r.owner.id === target.id);
      if (owned.length > 0 && url.searchParams.get('purge') !== 'true') return apiError(res, req, 422, `user still has ownership of repositories [uid: ${target.id}]`);
      if (target.isAdmin && [...users.values()].filter((u) => u.isAdmin).length === 1) return apiError(res, req, 422, `can not delete the last admin user [uid: ${target.id}]`);
      for (const [key, repo] of owned) {
        repos.delete(key);
        rmSync(repoDir(repo), { recursive: true, force: true });
      }
      for (const [sha1, t] of tokens) if (t.user === target.login.toLowerCase()) tokens.delete(sha1);
      users.delete(target.login.toLowerCase());
      for (const repo of repos.values()) {
        repo.collaborators.delete(target.login.toLowerCase());
        // Rules keep user ids (like Forgejo), so a deleted user drops out of the hook's whitelists.
        if (repo.protections.length > 0) writeProtections(repo);
      }
      return send(res, 204, undefined);
    }

    if (p === '/api/v1/user/repos' && method === 'GET') {
      if (!hasScope(auth, 'repository', false)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [read:repository]');
      const { page, limit } = paging(url);
      const mine = [...repos.values()].filter((r) => r.owner.id === me.id).sort((a, b) => a.id - b.id);
      const slice = mine.slice((page - 1) * limit, page * limit);
      const body = await Promise.all(slice.map((r) => repoJson(r, req, me)));
      return send(res, 200, body, { 'x-total-count': String(mine.length) });
    }

    if (p === '/api/v1/user/repos' && method === 'POST') {
      if (!hasScope(auth, 'repository', true)) return apiError(res, req, 403, 'token does not have at least one of required scope(s): [write:repository]');
      const body = await readJson(req);
      if (!body) return apiError(res, req, 422, 'invalid JSON body');
      const problem = repoNameProblem(body.name);
      if (problem) return apiError(res, req, 422, problem);
      if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > 2048)) return apiError(res, req, 422, '[Description]: MaxSize');
      const defaultBranch = typeof body.default_branch === 'string' && body.default_branch !== '' ? body.default_branch : 'main';
      if (!/^[\w./-]+$/.test(defaultBranch) || defaultBranch.includes('..')) return apiError(res, req, 422, 'invalid default branch');
      const key = `${me.login}/${body.name}`.toLowerCase();
      if (repos.has(key)) return apiError(res, req, 409, 'The repository with the same name already exists.');
      const repo = {
        id: nextId++, owner: me, name: body.name, description: body.description ?? '', private: body.private === true,
        defaultBranch, created: now(), updated: now(), collaborators: new Map(), protections: [],
      };
      repos.set(key, repo);
      try {
        mkdirSync(path.dirname(repoDir(repo)), { recursive: true });
        await run('git', ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, repoDir(repo)]);
        installHook(repo);
        if (body.auto_init === true) {
          const ident = { GIT_AUTHOR_NAME: me.login, GIT_AUTHOR_EMAIL: me.email, GIT_COMMITTER_NAME: me.login, GIT_COMMITTER_EMAIL: me.email };
          const readme = `# ${repo.name}\n\n${repo.description}\n`;
          const blob = await new Promise((resolve, reject) => {
            const child = execFile('git', ['--git-dir', repoDir(repo), 'hash-object', '-w', '--stdin'], (err, out) => (err ? reject(err) : resolve(out.trim())));
            child.stdin.end(readme);
          });
          const tree = await new Promise((resolve, reject) => {
            const child = execFile('git', ['--git-dir', repoDir(repo), 'mktree'], (err, out) => (err ? reject(err) : resolve(out.trim())));
            child.stdin.end(`100644 blob ${blob}\tREADME.md\n`);
          });
          const commit = await gitIn(repo, ['commit-tree', tree, '-m', 'Initial commit'], ident);
          await gitIn(repo, ['update-ref', `refs/heads/${defaultBranch}`, commit]);
        }
      } catch (error) {
        repos.delete(key);
        return apiError(res, req, 500, `creating the repository failed: ${error.message}`);
      }
      return send(res, 201, await repoJson(repo, req, me));
    }

    if ((m = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/branch_protections$/.exec(p))) {
      return handleProtections(req, res, auth, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    }

    if ((m = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/(collaborators\/([^/]+)|branches)$/.exec(p))) {
      const write = method !== 'GET';
      if (!hasScope(auth, 'repository', write)) return apiError(res, req, 403, `token does not have at least one of required scope(s): [${write ? 'write' : 'read'}:repository]`);
      const repo = repos.get(`${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`.toLowerCase());
      const perm = repo ? accessOf(repo, auth) : 'none';
      if (!repo || perm === 'none') return apiError(res, req, 404, 'The target couldn\'t be found.');

      if (m[4] !== undefined && method === 'PUT') {
        if (perm !== 'admin') return apiError(res, req, 403, 'reqAdmin');
        const body = await readJson(req);
        if (!body) return apiError(res, req, 422, 'invalid JSON body');
        const permission = body.permission ?? 'write';
        if (!['read', 'write', 'admin'].includes(permission)) return apiError(res, req, 422, '[Permission]: In');
        const collaborator = users.get(decodeURIComponent(m[4]).toLowerCase());
        if (!collaborator) return apiError(res, req, 422, 'user does not exist');
        if (collaborator.id === repo.owner.id) return apiError(res, req, 422, 'user is the owner of the repository');
        repo.collaborators.set(collaborator.login.toLowerCase(), permission);
        return send(res, 204, undefined);
      }

      if (m[3] === 'branches' && method === 'GET') {
        const names = (await gitIn(repo, ['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads'])).split('\n').filter(Boolean);
        return send(res, 200, await Promise.all(names.map((n) => branchJson(repo, n, req, me))), { 'x-total-count': String(names.length) });
      }

      if (m[3] === 'branches' && method === 'POST') {
        if (perm !== 'admin' && perm !== 'write') return apiError(res, req, 403, 'reqRepoWriter');
        const body = await readJson(req);
        if (!body) return apiError(res, req, 422, 'invalid JSON body');
        const name = body.new_branch_name;
        if (typeof name !== 'string' || name === '' || name.length > 100) return apiError(res, req, 422, '[NewBranchName]: Required');
        // git's own ref-name rules decide what a valid branch name is.
        try {
          await run('git', ['check-ref-format', '--branch', name]);
        } catch {
          return apiError(res, req, 422, `invalid branch name [name: ${name}]`);
        }
        if (await isEmpty(repo)) return apiError(res, req, 404, 'Git Repository is empty.');
        const from = (typeof body.old_ref_name === 'string' && body.old_ref_name) || (typeof body.old_branch_name === 'string' && body.old_branch_name) || repo.defaultBranch;
        let sha;
        try {
          sha = await gitIn(repo, ['rev-parse', '--verify', '--quiet', `${from.startsWith('refs/') ? from : `refs/heads/${from}`}^{commit}`]);
        } catch {
          return apiError(res, req, 404, 'The old branch does not exist');
        }
        try {
          await gitIn(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}`]);
          return apiError(res, req, 409, 'The branch already exists.');
        } catch {
          // does not exist yet: create it
        }
        await gitIn(repo, ['update-ref', `refs/heads/${name}`, sha, '']);
        repo.updated = now();
        return send(res, 201, await branchJson(repo, name, req, me));
      }
    }
    return apiError(res, req, 404, 'not found');
  }

  /** Smart HTTP: permission check, then `git http-backend` as CGI. */
  function handleGit(req, res, url, owner, name) {
    const repo = repos.get(`${owner}/${name}`.toLowerCase());
    const auth = authenticate(req);
    const challenge = { 'www-authenticate': 'Basic realm="Gitea"' };
    if (auth?.invalid) return send(res, 401, { message: 'invalid credentials' }, challenge);
    const isPush = url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
    const perm = repo ? accessOf(repo, auth) : 'none';
    if (!repo || perm === 'none') {
      if (!auth) return send(res, 401, { message: 'authentication required' }, challenge);
      return send(res, 404, { message: 'repository not found' });
    }
    if (isPush) {
      if (!auth) return send(res, 401, { message: 'authentication required' }, challenge);
      if ((perm !== 'write' && perm !== 'admin') || !hasScope(auth, 'repository', true)) {
        return send(res, 403, { message: 'User permission denied for writing.' });
      }
    } else if (auth && !hasScope(auth, 'repository', false)) {
      return send(res, 403, { message: 'token does not have at least one of required scope(s): [read:repository]' });
    }
    const pathInfo = `/${repo.owner.login.toLowerCase()}/${repo.name.toLowerCase()}.git${url.pathname.slice(url.pathname.indexOf('.git/') + 4)}`;
    const env = {
      // The pre-receive hook runs `#!/usr/bin/env node`: this node first on PATH.
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/tmp',
      GIT_PROJECT_ROOT: reposRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      // http-backend enables receive-pack only for an authenticated REMOTE_USER.
      ...(auth ? { REMOTE_USER: auth.user.login } : {}),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
    };
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(child.stdin);
    child.stdin.on('error', () => {});
    child.stderr.on('data', (d) => process.stderr.write(`git http-backend: ${d}`));
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sepLen = 2;
      }
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const key = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + sepLen));
    });
    child.on('close', (code) => {
      if (!headersDone) send(res, 500, { message: `git http-backend failed (${code})` });
      else res.end();
      repo.updated = now();
    });
  }

  /** Loopback-only control endpoints of the fake CLI (see --control-secret-file). */
  async function handleControl(req, res, url) {
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (!options.controlSecretFile || (peer !== '127.0.0.1' && peer !== '::1') || req.method !== 'POST') return send(res, 404, { message: 'not found' });
    let secret = '';
    try {
      secret = readFileSync(options.controlSecretFile, 'utf8').trim();
    } catch {
      // no secret file: refuse
    }
    if (!secret || !safeEqual(req.headers['x-fake-control'] ?? '', secret)) return send(res, 403, { message: 'forbidden' });
    const body = (await readJson(req)) ?? {};
    if (url.pathname === '/fake-control/users') {
      const { username, password, email } = body;
      if (typeof username !== 'string' || !/^[\w.-]+$/.test(username)) return send(res, 422, { message: `invalid username [name: ${username}]` });
      if (typeof password !== 'string' || password.length < 8) return send(res, 422, { message: 'password is too short' });
      if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) return send(res, 422, { message: `e-mail invalid [email: ${email}]` });
      if (users.has(username.toLowerCase())) return send(res, 422, { message: `user already exists [name: ${username}]` });
      addUser(username, email, password, body.admin === true);
      return send(res, 201, { login: username });
    }
    if (url.pathname === '/fake-control/tokens') {
      const user = typeof body.username === 'string' ? users.get(body.username.toLowerCase()) : undefined;
      if (!user) return send(res, 404, { message: `user does not exist [name: ${body.username}]` });
      const name = typeof body.name === 'string' && body.name ? body.name : 'gitea-admin';
      if ([...tokens.values()].some((t) => t.user === user.login.toLowerCase() && t.name === name)) return send(res, 400, { message: 'access token name has been used already' });
      const scopes = typeof body.scopes === 'string' && body.scopes ? body.scopes.split(',').map((x) => x.trim()) : [];
      if (scopes.length === 0 || scopes.some((x) => !SCOPES.includes(x))) return send(res, 400, { message: 'invalid access token scope' });
      const sha1 = randomBytes(20).toString('hex');
      tokens.set(sha1, { id: nextId++, name, user: user.login.toLowerCase(), scopes, repos: undefined });
      return send(res, 201, { sha1 });
    }
    return send(res, 404, { message: 'not found' });
  }

  /** The stand-in for Forgejo's web UI: a landing page and a page per repository (names HTML-escaped). */
  function handlePage(req, res, url) {
    const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const page = (status, title, body) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>${escape(title)}</title></head><body>${body}</body></html>`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 404, { message: 'not found' });
    if (url.pathname === '/') return page(200, 'fake-forgejo', `<h1>fake-forgejo</h1><p>root ${escape(baseUrl(req))}</p>`);
    const m = /^\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    const repo = m ? repos.get(`${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`.toLowerCase()) : undefined;
    if (!repo || accessOf(repo, authenticate(req)) === 'none') return page(404, 'Not found', '<h1>Page not found</h1>');
    const full = `${repo.owner.login}/${repo.name}`;
    return page(200, full, `<h1 class="fake-forgejo-repo">${escape(full)}</h1><p>clone ${escape(`${baseUrl(req)}${full}.git`)}</p>`);
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-forgejo.invalid');
    const git = /^\/([^/]+)\/([^/]+?)\.git\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/.exec(url.pathname);
    const work = (git
      ? Promise.resolve(handleGit(req, res, url, decodeURIComponent(git[1]), decodeURIComponent(git[2])))
      : url.pathname.startsWith('/api/v1/')
        ? handleApi(req, res, url)
        : url.pathname.startsWith('/fake-control/')
          ? handleControl(req, res, url)
          : Promise.resolve(handlePage(req, res, url))
    ).then(() => {
      if (req.method !== 'GET' && req.method !== 'HEAD') saveState();
    });
    work.catch((error) => {
      process.stderr.write(`fake-forgejo: ${error.stack ?? error}\n`);
      if (!res.headersSent) send(res, 500, { message: 'internal error' });
      else res.end();
    });
  });
}

// Command-line start (not when imported).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = parseArgs(process.argv.slice(2));
  const data = args.data ?? '/tmp/fake-forgejo';
  if (!existsSync(data)) mkdirSync(data, { recursive: true });
  const server = createFakeForgejo({
    data,
    rootUrl: args['root-url'],
    adminUser: args['admin-user'] ?? process.env.FAKE_FORGEJO_ADMIN_USER ?? 'forgejo-admin',
    adminPassword: args['admin-password'] ?? process.env.FAKE_FORGEJO_ADMIN_PASSWORD ?? 'forgejo-admin-password',
    stateFile: args.state,
    controlSecretFile: args['control-secret-file'],
  });
  const host = args.host ?? '0.0.0.0';
  server.listen(Number.parseInt(args.port ?? '3000', 10), host, () => {
    const address = server.address();
    process.stdout.write(`fake-forgejo listening on ${host}:${typeof address === 'object' && address ? address.port : args.port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
