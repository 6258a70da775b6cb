import { z } from 'zod';

/**
 * Typed REST client for the Forgejo (or Gitea) API v1, limited to what Xares uses (issue #7).
 * Request and response shapes follow Forgejo's API description (swagger `templates/swagger/v1_json.tmpl` of
 * codeberg.org/forgejo/forgejo; subset kept in tests/fake-forgejo/forgejo-api-subset.json). Responses are parsed
 * with zod (unknown extra fields are ignored, so newer servers still fit).
 *
 * Errors:
 * - {@link ForgejoError} `{status, message}`: the server answered with a non-2xx status (message = its APIError
 *   `message`), or a 2xx answer whose body does not match the documented shape (status = the HTTP status,
 *   message says so).
 * - {@link ForgejoUnavailableError}: no HTTP answer (connection refused, DNS, timeout).
 * The token and passwords are sent only in the `Authorization` header and never appear in error messages.
 */

/** Default per-request timeout in milliseconds. */
export const FORGEJO_DEFAULT_TIMEOUT_MS = 10_000;

/** Forgejo answered with a non-success status (or an answer that does not match its documented shape). */
export class ForgejoError extends Error {
  override name = 'ForgejoError';
  /** HTTP status of the answer (409 name exists, 422 invalid input, 401/403 refused credentials, 404, ...). */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The Forgejo server could not be reached (network error or timeout): no HTTP answer. */
export class ForgejoUnavailableError extends Error {
  override name = 'ForgejoUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A repository, mapped from Forgejo's `Repository` (`full_name`, `html_url`, `clone_url`, `created_at`, `default_branch`, `owner.login`). */
export interface ForgejoRepo {
  id: number;
  name: string;
  /** `owner/name`. */
  fullName: string;
  description: string;
  /** Browser URL of the repository (under the server's ROOT_URL). */
  htmlUrl: string;
  /** HTTP(S) clone URL (`…/owner/name.git`). */
  cloneUrl: string;
  private: boolean;
  /** ISO 8601 timestamp. */
  createdAt: string;
  defaultBranch: string;
  /** Owner's login name. */
  owner: string;
  /** True while the repository has no commits. */
  empty: boolean;
}

/** A branch, mapped from Forgejo's `Branch` (`commit.id`). */
export interface ForgejoBranch {
  name: string;
  /** Commit id (SHA) the branch points at. */
  commitId: string;
}

/** A user, mapped from Forgejo's `User`. */
export interface ForgejoUser {
  id: number;
  login: string;
  email: string;
  isAdmin: boolean;
}

/** An access token just created: Forgejo's `AccessToken`; `sha1` is the secret, shown only once. */
export interface ForgejoAccessToken {
  id: number;
  name: string;
  sha1: string;
  scopes: string[];
  /** `owner/name` of the repositories the token is limited to; null = not limited. */
  repositories: string[] | null;
}

/** Options of {@link ForgejoClient}. */
export interface ForgejoClientOptions {
  /** Server root (Forgejo's ROOT_URL), e.g. `http://127.0.0.1:3000/` or `http://host/git/`; the API is `<baseUrl>api/v1/`. */
  baseUrl: string;
  /** Access token (`Authorization: token …`): the service user's, or an admin's for {@link ForgejoClient.createUser}. */
  token?: string;
  /** Per-request timeout in ms (default {@link FORGEJO_DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** fetch implementation (tests); default the global fetch. */
  fetch?: typeof fetch;
}

const userSchema = z.object({ id: z.number(), login: z.string(), email: z.string(), is_admin: z.boolean() });
const repoSchema = z.object({
  id: z.number(),
  name: z.string(),
  full_name: z.string(),
  description: z.string(),
  html_url: z.string(),
  clone_url: z.string(),
  private: z.boolean(),
  created_at: z.string(),
  default_branch: z.string(),
  empty: z.boolean(),
  owner: z.object({ login: z.string() }),
});
const branchSchema = z.object({ name: z.string(), commit: z.object({ id: z.string() }) });
const tokenSchema = z.object({
  id: z.number(),
  name: z.string(),
  sha1: z.string().min(1),
  scopes: z.array(z.string()).nullish(),
  repositories: z.array(z.object({ full_name: z.string() })).nullish(),
});
const protectionSchema = z.object({ rule_name: z.string(), push_whitelist_usernames: z.array(z.string()).nullish() });
const versionSchema = z.object({ version: z.string() });
const errorSchema = z.object({ message: z.string() });

function mapRepo(r: z.infer<typeof repoSchema>): ForgejoRepo {
  return {
    id: r.id,
    name: r.name,
    fullName: r.full_name,
    description: r.description,
    htmlUrl: r.html_url,
    cloneUrl: r.clone_url,
    private: r.private,
    createdAt: r.created_at,
    defaultBranch: r.default_branch,
    owner: r.owner.login,
    empty: r.empty,
  };
}

/** Largest page Forgejo serves by default (`[api] MAX_RESPONSE_ITEMS` = 50). */
const PAGE_LIMIT = 50;

/**
 * Forgejo REST client. One class for all calls; the credentials decide what is allowed:
 * - service-user token (scopes `write:repository`, `read:user`): {@link version}, {@link currentUser},
 *   {@link listRepositories}, {@link createRepository}, {@link addCollaborator}, {@link createBranch}, {@link listBranches};
 * - admin token (scope `write:admin`, site admin): {@link createUser};
 * - {@link createUserToken} uses basic auth with the given user's password (Forgejo refuses tokens there).
 */
export class ForgejoClient {
  private readonly apiBase: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  /** @throws TypeError when `baseUrl` is not an absolute http(s) URL. */
  constructor(options: ForgejoClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('Forgejo baseUrl must be http(s)');
    const root = base.href.endsWith('/') ? base.href : `${base.href}/`;
    this.apiBase = new URL('api/v1/', root).href;
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? FORGEJO_DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** `GET /version` (no auth needed): the server's version string, e.g. `11.0.1+gitea-1.22.0`. */
  async version(): Promise<string> {
    return (await this.request('GET', 'version', versionSchema, { auth: 'none' })).version;
  }

  /** `GET /user`: the user the token belongs to. */
  async currentUser(): Promise<ForgejoUser> {
    const u = await this.request('GET', 'user', userSchema);
    return { id: u.id, login: u.login, email: u.email, isAdmin: u.is_admin };
  }

  /** `GET /user/repos` (all pages): repositories owned by the token's user. */
  async listRepositories(): Promise<ForgejoRepo[]> {
    const all: ForgejoRepo[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.request('GET', `user/repos?page=${page}&limit=${PAGE_LIMIT}`, z.array(repoSchema));
      all.push(...batch.map(mapRepo));
      // A short page is the last; the cap guards against a server that ignores `page`.
      if (batch.length < PAGE_LIMIT || page >= 200) return all;
    }
  }

  /**
   * `POST /user/repos` (CreateRepoOption): creates a repository owned by the token's user.
   * `autoInit` makes an initial commit (README) on `defaultBranch` (Forgejo default `main`).
   * @throws ForgejoError 409 when the name exists, 422 when it is invalid.
   */
  async createRepository(input: { name: string; description?: string; private?: boolean; autoInit?: boolean; defaultBranch?: string }): Promise<ForgejoRepo> {
    const body = {
      name: input.name,
      description: input.description ?? '',
      private: input.private ?? false,
      auto_init: input.autoInit ?? false,
      ...(input.defaultBranch ? { default_branch: input.defaultBranch } : {}),
    };
    return mapRepo(await this.request('POST', 'user/repos', repoSchema, { body }));
  }

  /**
   * `PUT /repos/{owner}/{repo}/collaborators/{username}` (AddCollaboratorOption): gives `username` access.
   * @throws ForgejoError 404 unknown repository, 422 unknown user, 403 caller is not the repository's admin.
   */
  async addCollaborator(owner: string, repo: string, username: string, permission: 'read' | 'write' | 'admin' = 'write'): Promise<void> {
    await this.request('PUT', `repos/${seg(owner)}/${seg(repo)}/collaborators/${seg(username)}`, null, { body: { permission } });
  }

  /**
   * `POST /repos/{owner}/{repo}/branches` (CreateBranchRepoOption): creates `newBranch` at the tip of `from`
   * (sent as `old_branch_name`, which Forgejo and Gitea both accept).
   * @throws ForgejoError 409 branch exists, 404 repository/`from` not found or repository empty, 403 no write access.
   */
  async createBranch(owner: string, repo: string, input: { newBranch: string; from: string }): Promise<ForgejoBranch> {
    const b = await this.request('POST', `repos/${seg(owner)}/${seg(repo)}/branches`, branchSchema, {
      body: { new_branch_name: input.newBranch, old_branch_name: input.from },
    });
    return { name: b.name, commitId: b.commit.id };
  }

  /** `GET /repos/{owner}/{repo}/branches` (all pages): the repository's branches. */
  async listBranches(owner: string, repo: string): Promise<ForgejoBranch[]> {
    const all: ForgejoBranch[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.request('GET', `repos/${seg(owner)}/${seg(repo)}/branches?page=${page}&limit=${PAGE_LIMIT}`, z.array(branchSchema));
      all.push(...batch.map((b) => ({ name: b.name, commitId: b.commit.id })));
      if (batch.length < PAGE_LIMIT || page >= 200) return all;
    }
  }

  /**
   * `POST /admin/users` (CreateUserOption, `must_change_password: false`): needs an admin token.
   * @throws ForgejoError 422 user or e-mail exists / invalid, 403 not an admin.
   */
  async createUser(input: { username: string; password: string; email: string }): Promise<ForgejoUser> {
    const u = await this.request('POST', 'admin/users', userSchema, {
      body: { username: input.username, email: input.email, password: input.password, must_change_password: false },
    });
    return { id: u.id, login: u.login, email: u.email, isAdmin: u.is_admin };
  }

  /**
   * `POST /users/{username}/tokens` (CreateAccessTokenOption) with basic auth as `username`/`password`
   * (the client's own token is not used). Resolves to the new token; its `sha1` is the secret.
   * `repositories` limits the token to those repositories (Forgejo's repository-specific tokens; servers without
   * that feature ignore the field, so check {@link ForgejoAccessToken.repositories} in the answer).
   * @throws ForgejoError 401 wrong password, 400 duplicate token name or unknown scope, 422 unknown repository.
   */
  async createUserToken(
    username: string,
    password: string,
    input: { name: string; scopes: string[]; repositories?: Array<{ owner: string; name: string }> },
  ): Promise<ForgejoAccessToken> {
    const t = await this.request('POST', `users/${seg(username)}/tokens`, tokenSchema, {
      body: { name: input.name, scopes: input.scopes, ...(input.repositories?.length ? { repositories: input.repositories } : {}) },
      auth: { basic: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    return { id: t.id, name: t.name, sha1: t.sha1, scopes: t.scopes ?? [], repositories: t.repositories?.map((r) => r.full_name) ?? null };
  }

  /**
   * `PATCH /admin/users/{username}` (EditUserOption; `login_name` = the user name, local `source_id` 0): sets a
   * new password. Needs an admin token. @throws ForgejoError 404 unknown user, 403 not an admin.
   */
  async setUserPassword(username: string, password: string): Promise<void> {
    await this.request('PATCH', `admin/users/${seg(username)}`, null, {
      body: { login_name: username, source_id: 0, password, must_change_password: false },
    });
  }

  /**
   * `DELETE /admin/users/{username}`: deletes a user (with its tokens and collaborations). Needs an admin token.
   * @throws ForgejoError 404 unknown user, 422 the user still owns repositories, 403 not an admin.
   */
  async deleteUser(username: string): Promise<void> {
    await this.request('DELETE', `admin/users/${seg(username)}`, null);
  }

  /** `GET /admin/users` (all pages): every user's login. Needs an admin token. */
  async listUsers(): Promise<string[]> {
    const all: string[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.request('GET', `admin/users?page=${page}&limit=${PAGE_LIMIT}`, z.array(userSchema));
      all.push(...batch.map((u) => u.login));
      if (batch.length < PAGE_LIMIT || page >= 200) return all;
    }
  }

  /** `GET /repos/{owner}/{repo}/branch_protections`: the rules' names and push whitelists. Needs repository admin. */
  async listBranchProtections(owner: string, repo: string): Promise<Array<{ ruleName: string; pushWhitelist: string[] }>> {
    const rules = await this.request('GET', `repos/${seg(owner)}/${seg(repo)}/branch_protections`, z.array(protectionSchema));
    return rules.map((r) => ({ ruleName: r.rule_name, pushWhitelist: r.push_whitelist_usernames ?? [] }));
  }

  /**
   * `POST /repos/{owner}/{repo}/branch_protections` (CreateBranchProtectionOption): protects branch `ruleName`
   * so that only `pushWhitelist` may push to it or merge pull requests into it (without the merge whitelist,
   * anyone with write access could merge into it) — no force push, no deletion: Forgejo's protected branches.
   * @throws ForgejoError 403 a rule of that name exists (or not repository admin), 422 unknown user.
   */
  async createBranchProtection(owner: string, repo: string, input: { ruleName: string; pushWhitelist: string[] }): Promise<void> {
    await this.request('POST', `repos/${seg(owner)}/${seg(repo)}/branch_protections`, protectionSchema, {
      body: {
        rule_name: input.ruleName,
        enable_push: true,
        enable_push_whitelist: true,
        push_whitelist_usernames: input.pushWhitelist,
        enable_merge_whitelist: true,
        merge_whitelist_usernames: input.pushWhitelist,
      },
    });
  }

  /**
   * `DELETE /users/{username}/tokens/{token}` with basic auth as `username`/`password`: deletes the user's
   * token `token` (its id, else its name).
   * @throws ForgejoError 404 when there is no such token, 401 wrong password.
   */
  async deleteUserToken(username: string, password: string, token: string): Promise<void> {
    await this.request('DELETE', `users/${seg(username)}/tokens/${seg(token)}`, null, {
      auth: { basic: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
  }

  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options?: { body?: unknown; auth?: 'none' | { basic: string } },
  ): Promise<z.infer<S>>;
  private async request(method: string, path: string, schema: null, options?: { body?: unknown; auth?: 'none' | { basic: string } }): Promise<undefined>;
  private async request(
    method: string,
    path: string,
    schema: z.ZodType | null,
    options: { body?: unknown; auth?: 'none' | { basic: string } } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.auth && options.auth !== 'none') headers.authorization = options.auth.basic;
    else if (options.auth !== 'none' && this.token) headers.authorization = `token ${this.token}`;
    const url = new URL(path, this.apiBase);
    const what = `${method} ${url.pathname}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as { name?: string } | null)?.name === 'TimeoutError';
      throw new ForgejoUnavailableError(
        timedOut ? `Forgejo did not answer ${what} within ${this.timeoutMs} ms` : `Forgejo is unreachable (${what}): ${causeText(error)}`,
        { cause: error },
      );
    }
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`.trim();
      try {
        const parsed = errorSchema.safeParse(JSON.parse(text));
        if (parsed.success && parsed.data.message) message = parsed.data.message;
      } catch {
        // not JSON (e.g. a proxy's HTML page): keep the status text
      }
      throw new ForgejoError(response.status, `${what}: ${message}`);
    }
    if (schema === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ForgejoError(response.status, `${what}: the answer is not JSON (is the URL a Forgejo server?)`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ForgejoError(response.status, `${what}: unexpected answer shape (${parsed.error.issues.map((i) => i.path.join('.') || '(root)').slice(0, 5).join(', ')})`);
    return parsed.data;
  }
}

/** One URL path segment. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Short cause of a fetch failure (undici hides the code in `cause`); never contains credentials (they are headers). */
function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
