import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ForgejoRepo } from '../git/forgejo-client.js';
import type { CreateGitRepositoryRequest, GitRepository, GitServerStatus, GitSettings, UpdateGitSettingsRequest } from '../contract/index.js';
import type { GitSettingsRecord, GitSettingsRepository } from '../store/git-repository.js';
import { ServiceError } from './service-error.js';

/** A repository as the Forgejo client maps it (`ForgejoRepo`), only the fields used here. */
export type GitClientRepo = Pick<ForgejoRepo, 'name' | 'fullName' | 'description' | 'htmlUrl' | 'cloneUrl' | 'private' | 'createdAt'>;

/**
 * What the service needs of a Forgejo/Gitea REST client (a subset of `ForgejoClient`, server/git/
 * forgejo-client.ts). Errors: an error with a numeric `status` is the server's answer (409 name exists,
 * 422 invalid, 401/403 refused token); `ForgejoUnavailableError` (by name) or a network error: unreachable.
 */
export interface GitClient {
  version(): Promise<string>;
  listRepositories(): Promise<GitClientRepo[]>;
  createRepository(input: { name: string; description?: string; private?: boolean; autoInit?: boolean }): Promise<GitClientRepo>;
  /** Admin only. */
  createUser(input: { username: string; password: string; email: string }): Promise<unknown>;
  /**
   * Basic auth as `username`; resolves to the token's secret (a string, or an object with `sha1`/`token`).
   * `repositories` limits the token to those repositories (`owner`/`name`).
   */
  createUserToken(username: string, password: string, input: { name: string; scopes: string[]; repositories?: Array<{ owner: string; name: string }> }): Promise<unknown>;
  /** Basic auth as `username`: deletes its token `token` (id or name). 404 when there is none. */
  deleteUserToken(username: string, password: string, token: string): Promise<void>;
  /** The branches of `owner/repo` (names). */
  listBranches(owner: string, repo: string): Promise<Array<{ name: string }>>;
  /** Admin only: a new password for `username` (404 unknown user). */
  setUserPassword(username: string, password: string): Promise<void>;
  /** Admin only: deletes `username` (404 unknown). */
  deleteUser(username: string): Promise<void>;
  /** Admin only: every user's login. */
  listUsers(): Promise<string[]>;
  /** Repository admin: `username` gets `permission` on `owner/repo`. */
  addCollaborator(owner: string, repo: string, username: string, permission?: 'read' | 'write' | 'admin'): Promise<void>;
  /** Repository admin: the protected-branch rules and who may push to them. */
  listBranchProtections(owner: string, repo: string): Promise<Array<{ ruleName: string; pushWhitelist: string[] }>>;
  /** Repository admin: protects branch `ruleName` (only `pushWhitelist` pushes; no force push, no deletion). 403 when it exists. */
  createBranchProtection(owner: string, repo: string, input: { ruleName: string; pushWhitelist: string[] }): Promise<void>;
}

/** Makes a client for `baseUrl` acting with `token` (the admin token or the service user's). */
export type GitClientFactory = (options: { baseUrl: string; token: string }) => GitClient;

/**
 * What the service needs of the managed Git server (server/git/managed-git-server.ts `ManagedGitServer`).
 * Errors of `ensure`/`bootstrapAdmin` carry a message for users (image missing, container failed, engine down).
 */
export interface ManagedGit {
  /** Runs the server (creating, starting or re-creating it); `hostUrl` is our REST client's base URL. */
  ensure(): Promise<{ hostUrl: string; started: boolean }>;
  /** An admin token: `known` when the server still accepts it, else a new one. */
  bootstrapAdmin(known: string | null): Promise<string>;
  /** The server's browser URL (`<participant base URL>git/`). */
  browserUrl(): string;
  /** Stops it (when disabled). Never throws. */
  stop(): Promise<void>;
  /** Forgets what it knows of the running container, so the next `ensure` looks again (it did not answer). */
  forget?(): void;
  /** How workspace containers reach it (`http://<container name>:3000/`, see managedGitWorkspaceUrl). */
  workspaceUrl(): string;
}

/** Options of {@link GitService}. */
export interface GitServiceOptions {
  repository: GitSettingsRepository;
  clientFactory: GitClientFactory;
  logger: Logger;
  /** The managed Git server; absent when this app cannot run one (no network control), then `managedAvailable` is false. */
  managed?: ManagedGit;
}

/** Why a URL is not a usable Forgejo/Gitea base URL, or null. Our rule: absolute http(s), no credentials, query or fragment. */
export function gitServerUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'The Git server URL is not a valid URL (for example http://git.example.com/)';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'The Git server URL must start with http:// or https://';
  if (parsed.username || parsed.password) return 'The Git server URL must not contain a user name or password; give the admin token separately';
  if (parsed.search || parsed.hash) return 'The Git server URL must not contain a query (?) or fragment (#)';
  return null;
}

/** `url` with one trailing slash (Forgejo's ROOT_URL form). */
function normalizeUrl(url: string): string {
  const parsed = new URL(url);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/** Error from the client that is the server's HTTP answer: its status. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** True when the error means the server could not be reached (no HTTP answer). */
function isUnreachable(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'ForgejoUnavailableError') return true;
  return statusOf(error) === undefined;
}

/** A short, secret-free description of a client error for users. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** The token string of a `createUserToken` answer (string, or Forgejo's `{sha1}` / `{token}`). */
function tokenOf(answer: unknown): string {
  if (typeof answer === 'string' && answer) return answer;
  const object = answer as { sha1?: unknown; token?: unknown } | null;
  if (typeof object?.sha1 === 'string' && object.sha1) return object.sha1;
  if (typeof object?.token === 'string' && object.token) return object.token;
  throw new Error('The Git server did not return a token');
}

/**
 * The Git server integration (issue #7): settings (stored by {@link GitSettingsRepository}), reachability,
 * our own non-admin service user (created with the admin token on first use; it owns the repositories), the
 * repository list/create of the API, and the workspaces' own accounts (made with the admin token). Secrets never
 * appear in answers, errors or logs.
 */
export class GitService {
  /** Result of the last reachability check: null = not checked since start or since the settings changed. */
  private lastCheck: { reachable: boolean; version: string | null; error: string | null } | null = null;
  /** Serialises the creation of the service user. */
  private serviceUserCreation: Promise<{ user: string; token: string }> | null = null;
  /** Managed mode: whether the stored admin token was checked against the running server since this start. */
  private managedVerified = false;

  constructor(private readonly options: GitServiceOptions) {}

  /** The settings as the API answers them (no secrets). */
  settings(): GitSettings {
    const record = this.options.repository.get();
    return {
      enabled: record.enabled,
      mode: record.mode,
      url: record.mode === 'managed' ? (this.options.managed?.browserUrl() ?? '') : record.url,
      adminTokenSet: record.adminToken !== null,
      managedAvailable: this.options.managed !== undefined,
    };
  }

  /** The state of the Git server as last checked (see {@link check}). */
  status(): GitServerStatus {
    const record = this.options.repository.get();
    if (!record.enabled) return { enabled: false, reachable: false, url: null, version: null, error: 'The Git server is disabled in the settings' };
    const check = this.lastCheck;
    return {
      enabled: true,
      reachable: check?.reachable ?? false,
      // Browsers reach the managed server under `/git/` of our participant address.
      url: record.mode === 'managed' ? (this.options.managed?.browserUrl() ?? null) : record.url,
      version: check?.version ?? null,
      error: check ? check.error : 'The Git server has not been checked yet',
    };
  }

  /** Whether the Git server can be used now: enabled and reachable at the last check (capability `gitServer`). */
  available(): boolean {
    return this.options.repository.get().enabled && this.lastCheck?.reachable === true;
  }

  /** Checks the configured server's reachability (its version endpoint) and records the result. */
  async check(): Promise<GitServerStatus> {
    if (this.options.repository.get().enabled && this.options.repository.get().mode === 'managed') {
      try {
        await this.refreshManaged();
      } catch (error) {
        this.lastCheck = { reachable: false, version: null, error: describe(error) };
        return this.status();
      }
    }
    const record = this.options.repository.get();
    if (!record.enabled || !record.url) {
      this.lastCheck = null;
      return this.status();
    }
    this.lastCheck = await this.probe(record.url, record.serviceToken ?? record.adminToken ?? '');
    return this.status();
  }

  private async probe(url: string, token: string): Promise<{ reachable: boolean; version: string | null; error: string | null }> {
    try {
      const version = await this.options.clientFactory({ baseUrl: url, token }).version();
      return { reachable: true, version, error: null };
    } catch (error) {
      const reason = isUnreachable(error) ? 'cannot be reached' : 'did not answer like a Forgejo or Gitea server';
      return { reachable: false, version: null, error: `The Git server at ${url} ${reason}: ${describe(error)}` };
    }
  }

  /**
   * Applies `PUT /api/git/settings`. Validation errors → 400 VALIDATION_ERROR naming the field. When the
   * result is enabled, the server is checked first: unreachable → 503 SERVICE_UNAVAILABLE with the reason;
   * the admin token refused → 400 `adminToken`; in both cases nothing is stored. A changed URL or admin token
   * forgets the service user (a new one is made on the new server).
   */
  async update(request: UpdateGitSettingsRequest): Promise<GitSettings> {
    const current = this.options.repository.get();
    const mode = request.mode ?? current.mode;
    if (mode === 'managed') return this.updateManaged(request.enabled, current);
    // Leaving managed mode: its URL and admin token belong to the managed server, not to the external one.
    const fromManaged = current.mode === 'managed';
    // Stopped only once the new settings are stored: a refused switch leaves the managed server running.
    const stopManaged = () => {
      if (fromManaged && current.enabled) void this.options.managed?.stop();
    };
    const rawUrl = (request.url ?? (fromManaged ? '' : current.url)).trim();
    if (rawUrl) {
      const problem = gitServerUrlProblem(rawUrl);
      if (problem) throw new ServiceError('VALIDATION_ERROR', problem, { url: problem });
    }
    const url = rawUrl ? normalizeUrl(rawUrl) : '';
    const adminToken = request.adminToken === undefined ? (fromManaged ? null : current.adminToken) : request.adminToken.trim() || null;
    const sameServer = !fromManaged && url === current.url && adminToken === current.adminToken;
    const next = withServiceUserOf({ enabled: request.enabled, mode: 'external', url, adminToken }, current, sameServer);
    if (next.enabled) {
      if (!url) {
        const message = this.options.managed
          ? 'Give the URL of an existing Forgejo or Gitea server, or choose the Git server run by Xares (mode "managed")'
          : 'Give the URL of an existing Forgejo or Gitea server: running a managed Git server is not available here';
        throw new ServiceError('VALIDATION_ERROR', message, { url: message });
      }
      if (!adminToken) {
        const message = "An admin access token of the Git server is needed to enable it (it creates Xares' own service user)";
        throw new ServiceError('VALIDATION_ERROR', message, { adminToken: message });
      }
      const probe = await this.probe(url, adminToken);
      if (!probe.reachable) throw new ServiceError('SERVICE_UNAVAILABLE', probe.error ?? 'The Git server cannot be reached');
      if (!next.serviceUser || !next.serviceToken) Object.assign(next, await this.createServiceUser(url, adminToken));
      this.options.repository.put(next);
      this.lastCheck = probe;
    } else {
      this.options.repository.put(next);
      this.lastCheck = null;
    }
    stopManaged();
    this.options.logger.info({ enabled: next.enabled, url: next.url }, 'git server settings changed');
    return this.settings();
  }

  /**
   * `PUT /api/git/settings` in managed mode: enabling starts the managed server (created on first use, its admin
   * token bootstrapped with its CLI and stored as `adminToken`), checks it and makes our service user as for an
   * external server; `url` becomes its REST URL on 127.0.0.1. Disabling stops it (data kept). Errors: not
   * available here → 400 `mode`; the server does not come up → 503 SERVICE_UNAVAILABLE with the reason.
   */
  private async updateManaged(enabled: boolean, current: GitSettingsRecord): Promise<GitSettings> {
    const managed = this.options.managed;
    if (!managed) {
      const message = 'This Xares cannot run a Git server itself (it needs the Docker engine with network control); give the URL of an existing Forgejo or Gitea server';
      throw new ServiceError('VALIDATION_ERROR', message, { mode: message });
    }
    const wasManaged = current.mode === 'managed';
    if (!enabled) {
      this.options.repository.put({
        ...current,
        enabled: false,
        mode: 'managed',
        ...(wasManaged ? {} : { url: '', adminToken: null, serviceUser: null, serviceToken: null, servicePassword: null }),
      });
      this.lastCheck = null;
      if (wasManaged && current.enabled) void managed.stop();
      this.options.logger.info({ enabled: false, mode: 'managed' }, 'git server settings changed');
      return this.settings();
    }
    let url: string;
    let adminToken: string;
    try {
      url = normalizeUrl((await managed.ensure()).hostUrl);
      adminToken = await managed.bootstrapAdmin(wasManaged ? current.adminToken : null);
    } catch (error) {
      throw new ServiceError('SERVICE_UNAVAILABLE', `The Git server run by Xares could not be started: ${describe(error)}`);
    }
    // A new admin token means the server lost its data (or is new): the old service user is gone with it.
    const sameServer = wasManaged && current.adminToken === adminToken;
    const next = withServiceUserOf({ enabled: true, mode: 'managed', url, adminToken }, current, sameServer);
    const probe = await this.probe(url, adminToken);
    if (!probe.reachable) throw new ServiceError('SERVICE_UNAVAILABLE', probe.error ?? 'The Git server run by Xares cannot be reached');
    if (!next.serviceUser || !next.serviceToken) Object.assign(next, await this.createServiceUser(url, adminToken));
    this.options.repository.put(next);
    this.lastCheck = probe;
    this.managedVerified = true;
    this.options.logger.info({ enabled: true, mode: 'managed', url }, 'git server settings changed');
    return this.settings();
  }

  /**
   * Managed mode: makes sure the server runs (re-created when it was removed behind our back: the volume keeps
   * the data) and the stored REST URL and admin token match it (the published port changes with each new
   * container; a server that lost its data gets a new admin token and, lazily, a new service user).
   * @returns whether the container was (re)started.
   * @throws the errors of `ManagedGit.ensure`/`bootstrapAdmin` (messages for users).
   */
  private async refreshManaged(): Promise<boolean> {
    const managed = this.options.managed;
    if (!managed) throw new Error('This Xares cannot run a Git server itself; choose an existing Forgejo or Gitea server in the settings');
    const { hostUrl, started } = await managed.ensure();
    const url = normalizeUrl(hostUrl);
    let record = this.options.repository.get();
    if (record.url !== url) {
      record = { ...record, url };
      this.options.repository.put(record);
    }
    if (started || !this.managedVerified) {
      const adminToken = await managed.bootstrapAdmin(record.adminToken);
      if (adminToken !== record.adminToken) {
        this.options.repository.put({ ...this.options.repository.get(), adminToken, serviceUser: null, serviceToken: null, servicePassword: null });
      }
      this.managedVerified = true;
    }
    return started;
  }

  /**
   * Where `/git/` is proxied to: the managed server's REST base URL (started or re-created when needed), or the
   * reason it cannot be (not in managed mode, disabled, does not come up). Never throws.
   */
  async managedTarget(): Promise<{ hostUrl: string } | { unavailable: string }> {
    const record = this.options.repository.get();
    if (!this.options.managed || record.mode !== 'managed') return { unavailable: 'The Git server of this workshop is not run by Xares, so it is not served here.' };
    if (!record.enabled) return { unavailable: 'The Git server is switched off in the settings.' };
    try {
      await this.refreshManaged();
      return { hostUrl: this.options.repository.get().url };
    } catch (error) {
      return { unavailable: `The Git server could not be started: ${describe(error)}` };
    }
  }

  /**
   * Creates our non-admin service user and its token with the admin token (the user name is random, so an
   * existing account is never taken over). Errors: 401/403 → 400 `adminToken`; unreachable → 503; else 500.
   */
  private async createServiceUser(url: string, adminToken: string): Promise<{ serviceUser: string; serviceToken: string; servicePassword: string }> {
    const username = `xares-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    try {
      const admin = this.options.clientFactory({ baseUrl: url, token: adminToken });
      await admin.createUser({ username, password, email: `${username}@xares.invalid` });
      const token = tokenOf(await admin.createUserToken(username, password, { name: 'xares', scopes: ['write:repository', 'read:user'] }));
      this.options.logger.info({ user: username }, 'git service user created');
      return { serviceUser: username, serviceToken: token, servicePassword: password };
    } catch (error) {
      const status = statusOf(error);
      if (status === 401 || status === 403) {
        const message = 'The Git server refused the admin token (it needs to be an access token of an administrator)';
        throw new ServiceError('VALIDATION_ERROR', message, { adminToken: message });
      }
      if (isUnreachable(error)) throw new ServiceError('SERVICE_UNAVAILABLE', `The Git server at ${url} cannot be reached: ${describe(error)}`);
      this.options.logger.warn({ status, reason: describe(error) }, 'git service user could not be created');
      throw new ServiceError('INTERNAL_ERROR', `The Git server did not let Xares create its service user: ${describe(error)}`);
    }
  }

  /** A client as the service user, creating the user first when needed; disabled → 503 with the reason. */
  private async serviceClient(): Promise<GitClient> {
    if (this.options.repository.get().enabled && this.options.repository.get().mode === 'managed') {
      try {
        await this.refreshManaged();
      } catch (error) {
        const reason = `The Git server run by Xares could not be started: ${describe(error)}`;
        this.lastCheck = { reachable: false, version: null, error: reason };
        throw new ServiceError('SERVICE_UNAVAILABLE', reason);
      }
    }
    const record = this.options.repository.get();
    if (!record.enabled || !record.url) throw new ServiceError('SERVICE_UNAVAILABLE', 'The Git server is disabled; enable it in the settings first');
    if (record.serviceUser && record.serviceToken) return this.options.clientFactory({ baseUrl: record.url, token: record.serviceToken });
    if (!record.adminToken) throw new ServiceError('SERVICE_UNAVAILABLE', 'The Git server has no admin token in the settings, so Xares cannot create its service user');
    this.serviceUserCreation ??= this.createServiceUser(record.url, record.adminToken)
      .then(({ serviceUser, serviceToken, servicePassword }) => {
        this.options.repository.put({ ...this.options.repository.get(), serviceUser, serviceToken, servicePassword });
        return { user: serviceUser, token: serviceToken };
      })
      .finally(() => {
        this.serviceUserCreation = null;
      });
    const { token } = await this.serviceUserCreation;
    return this.options.clientFactory({ baseUrl: record.url, token });
  }

  /**
   * Runs a client call; an unreachable server → 503 with the reason (and the status remembers it). Managed mode:
   * when the server did not answer because its container is gone or stopped, it is started again (the volume
   * keeps the data) and the call is made once more.
   */
  private async call<T>(operation: (client: GitClient) => Promise<T>, otherError: (error: unknown) => ServiceError, retried = false): Promise<T> {
    const client = await this.serviceClient();
    const url = this.options.repository.get().url;
    try {
      const result = await operation(client);
      if (!this.lastCheck?.reachable) void this.check().catch(() => undefined);
      return result;
    } catch (error) {
      // Our own refusals from inside an operation pass unchanged.
      if (error instanceof ServiceError) throw error;
      if (isUnreachable(error) && !retried && this.options.managed && this.options.repository.get().mode === 'managed') {
        this.options.managed.forget?.();
        const restarted = await this.refreshManaged().catch(() => false);
        if (restarted) return this.call(operation, otherError, true);
      }
      if (isUnreachable(error)) {
        const reason = `The Git server at ${url} cannot be reached: ${describe(error)}`;
        this.lastCheck = { reachable: false, version: null, error: reason };
        throw new ServiceError('SERVICE_UNAVAILABLE', reason);
      }
      throw otherError(error);
    }
  }

  /** `GET /api/git/repositories`: the service user's repositories, oldest first. */
  async listRepositories(): Promise<GitRepository[]> {
    const repos = await this.call(
      (client) => client.listRepositories(),
      (error) => new ServiceError('SERVICE_UNAVAILABLE', `The Git server could not list the repositories: ${describe(error)}`),
    );
    return repos.map(toGitRepository);
  }

  /**
   * A repository for a workspace (`createGitRepo`, not wired yet): named {@link repositoryNameFor}(projectName),
   * then `-2`, `-3`, … while the name is taken (at most 50 tries). `autoInit` asks Forgejo for an initial commit.
   * Errors as {@link createRepository} (409 only after all tries).
   */
  async createRepositoryFor(projectName: string, options: { description?: string; private?: boolean; autoInit?: boolean } = {}): Promise<GitRepository> {
    const base = repositoryNameFor(projectName);
    for (let attempt = 1; ; attempt++) {
      const name = attempt === 1 ? base : `${base}-${attempt}`;
      try {
        const repo = await this.call(
          (client) =>
            client.createRepository({
              name,
              ...(options.description !== undefined ? { description: options.description } : {}),
              private: options.private ?? false,
              ...(options.autoInit !== undefined ? { autoInit: options.autoInit } : {}),
            }),
          (error) => {
            const status = statusOf(error);
            if (status === 409) return new ServiceError('GIT_REPO_EXISTS', `A repository named "${name}" already exists`);
            return new ServiceError('GIT_REPO_CREATE_FAILED', `The Git server could not create the repository: ${describe(error)}`);
          },
        );
        return toGitRepository(repo);
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'GIT_REPO_EXISTS' && attempt < 50) continue;
        throw error;
      }
    }
  }

  /** `POST /api/git/repositories`: 409 GIT_REPO_EXISTS for a taken name, 400 for a name the server refuses, 503/500 as {@link call}. */
  async createRepository(request: CreateGitRepositoryRequest): Promise<GitRepository> {
    const repo = await this.call(
      (client) =>
        client.createRepository({
          name: request.name,
          ...(request.description !== undefined ? { description: request.description } : {}),
          private: request.private ?? false,
        }),
      (error) => {
        const status = statusOf(error);
        if (status === 409) return new ServiceError('GIT_REPO_EXISTS', `A repository named "${request.name}" already exists`, { name: 'A repository of this name already exists' });
        if (status === 422) return new ServiceError('VALIDATION_ERROR', `The Git server refused the name: ${describe(error)}`, { name: describe(error) });
        this.options.logger.warn({ status, reason: describe(error) }, 'git repository create failed');
        return new ServiceError('GIT_REPO_CREATE_FAILED', `The Git server could not create the repository: ${describe(error)}`);
      },
    );
    return toGitRepository(repo);
  }

  /**
   * Base URL of the Git server as workspace containers reach it (ends with `/`), or null when disabled. External
   * servers: the configured URL (the workspaces must be able to reach it); managed: `http://<prefix>-git:3000/`.
   */
  workspaceBaseUrl(): string | null {
    const record = this.options.repository.get();
    if (!record.enabled || !record.url) return null;
    if (record.mode !== 'managed') return record.url;
    return this.options.managed ? this.options.managed.workspaceUrl() : null;
  }

  // ---- workspace access (lead's region: one account per workspace, repository-limited tokens, protected branches) ----

  /**
   * The admin client and the service user's name for the workspace-account calls.
   * @throws ServiceError SERVICE_UNAVAILABLE (disabled, no admin token or service user).
   */
  private accountsClient(): { admin: GitClient; serviceUser: string } {
    const record = this.options.repository.get();
    if (!record.enabled || !record.url) throw new ServiceError('SERVICE_UNAVAILABLE', 'The Git server is disabled; enable it in the settings first');
    if (!record.adminToken || !record.serviceUser) {
      throw new ServiceError('SERVICE_UNAVAILABLE', 'Xares has no admin token or service user on the Git server; enable the Git server again in the settings');
    }
    return { admin: this.options.clientFactory({ baseUrl: record.url, token: record.adminToken }), serviceUser: record.serviceUser };
  }

  /**
   * A credential for the workspace `projectId` that reaches only the repository `repoFullName` (`owner/name`):
   * the workspace's own account {@link workspaceUserName} (made with the admin token, or given a new password
   * when it exists), a collaborator with write access, and its token limited to that repository (Forgejo's
   * repository-specific tokens), scope `write:repository`, replacing an older one. Which branches it may push
   * to is decided by {@link claimBranch}. `remoteUrl` is the clone URL as workspaces reach it, without
   * credentials.
   * @throws ServiceError SERVICE_UNAVAILABLE (disabled, unreachable, no admin token), GIT_REPO_CREATE_FAILED
   *   (the server refused; or it ignored the repository limit: the token is deleted again, never handed out).
   */
  async workspaceAccess(projectId: string, repoFullName: string): Promise<{ username: string; token: string; remoteUrl: string }> {
    const base = this.workspaceBaseUrl();
    if (!base) throw new ServiceError('SERVICE_UNAVAILABLE', 'The Git server is disabled; enable it in the settings first');
    const [owner, name] = splitFullName(repoFullName);
    const username = workspaceUserName(projectId);
    const password = randomBytes(24).toString('base64url');
    const answer = await this.call(
      async (service) => {
        // Read here, after `call` made sure the server runs (a re-made managed server has a new URL).
        const { admin } = this.accountsClient();
        try {
          await admin.createUser({ username, password, email: `${username}@xares.invalid` });
        } catch (error) {
          // Made by an earlier attempt: same account (its branch rules name it), new password.
          if (statusOf(error) !== 422) throw error;
          await admin.setUserPassword(username, password);
        }
        await service.addCollaborator(owner, name, username, 'write');
        await admin.deleteUserToken(username, password, WORKSPACE_TOKEN_NAME).catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
        return admin.createUserToken(username, password, { name: WORKSPACE_TOKEN_NAME, scopes: ['write:repository'], repositories: [{ owner, name }] });
      },
      (error) => new ServiceError('GIT_REPO_CREATE_FAILED', `The Git server did not give the workspace an account for its repository: ${describe(error)}`),
    );
    const limited = (answer as { repositories?: unknown } | null)?.repositories;
    if (!Array.isArray(limited) || limited.length === 0) {
      await this.accountsClient().admin.deleteUserToken(username, password, WORKSPACE_TOKEN_NAME).catch(() => undefined);
      throw new ServiceError('GIT_REPO_CREATE_FAILED', 'The Git server cannot limit access tokens to one repository (a Forgejo release with repository-specific access tokens can; Gitea cannot); no token was given to the workspace');
    }
    return { username, token: tokenOf(answer), remoteUrl: `${base}${owner}/${name}.git` };
  }

  /**
   * Makes `branch` of `repoFullName` the workspace's own: a protected-branch rule that lets only its account
   * (and, for `main`, Xares' service user) push, with no force push and no deletion. False when another
   * workspace's rule has that name (take another), true when the rule is made or is already this workspace's.
   * @throws ServiceError SERVICE_UNAVAILABLE as {@link call}, GIT_REPO_CREATE_FAILED when the server refuses.
   */
  async claimBranch(projectId: string, repoFullName: string, branch: string): Promise<boolean> {
    const [owner, name] = splitFullName(repoFullName);
    const username = workspaceUserName(projectId);
    return this.call(
      async (service) => {
        const { serviceUser } = this.accountsClient();
        const existing = (await service.listBranchProtections(owner, name)).find((rule) => rule.ruleName.toLowerCase() === branch.toLowerCase());
        if (existing) return existing.pushWhitelist.some((user) => user.toLowerCase() === username.toLowerCase());
        const whitelist = branch === 'main' ? [username, serviceUser] : [username];
        try {
          await service.createBranchProtection(owner, name, { ruleName: branch, pushWhitelist: whitelist });
          return true;
        } catch (error) {
          // Made by another clone a moment ago.
          if (statusOf(error) === 403 || statusOf(error) === 409) return false;
          throw error;
        }
      },
      (error) => new ServiceError('GIT_REPO_CREATE_FAILED', `The Git server did not protect branch ${branch}: ${describe(error)}`),
    );
  }

  /**
   * Deletes the workspace's account (and with it its token) after the workspace was deleted; none is fine. Its
   * branches and their rules stay: the work is kept, and nobody else may push there. Never throws; logs.
   */
  async revokeWorkspaceAccess(projectId: string): Promise<void> {
    let admin: GitClient;
    try {
      admin = this.accountsClient().admin;
    } catch {
      return;
    }
    try {
      await admin.deleteUser(workspaceUserName(projectId));
    } catch (error) {
      if (statusOf(error) === 404) return;
      this.options.logger.warn({ projectId, reason: describe(error) }, 'could not delete the workspace account on the git server');
    }
  }

  /**
   * Deletes the workspace accounts ({@link workspaceUserName}) whose workspace is gone (`exists(id)` false):
   * those whose deletion failed at delete time (server unreachable, app stopped). Never throws; logs.
   * @returns how many were deleted.
   */
  async reconcileWorkspaceAccounts(exists: (projectId: string) => boolean): Promise<number> {
    let admin: GitClient;
    try {
      admin = this.accountsClient().admin;
    } catch {
      return 0;
    }
    try {
      const stale = (await admin.listUsers()).filter((login) => {
        const match = WORKSPACE_USER_PATTERN.exec(login);
        return match !== null && !exists(match[1]!);
      });
      for (const login of stale) await admin.deleteUser(login);
      if (stale.length > 0) this.options.logger.info({ deleted: stale }, 'deleted git accounts of deleted workspaces');
      return stale.length;
    } catch (error) {
      this.options.logger.debug({ reason: describe(error) }, 'git accounts of deleted workspaces not checked');
      return 0;
    }
  }

  /** Branch names of `owner/name`. @throws ServiceError SERVICE_UNAVAILABLE as {@link call}, or the server's refusal. */
  async branchNames(repoFullName: string): Promise<string[]> {
    const [owner, name] = splitFullName(repoFullName);
    const branches = await this.call(
      (client) => client.listBranches(owner, name),
      (error) => new ServiceError('SERVICE_UNAVAILABLE', `The Git server could not list the branches of ${repoFullName}: ${describe(error)}`),
    );
    return branches.map((branch) => branch.name);
  }
}

/** A workspace's account on the Git server: `xares-ws-<project id>` (one per workspace). */
export function workspaceUserName(projectId: string): string {
  return `xares-ws-${projectId}`;
}
const WORKSPACE_USER_PATTERN = /^xares-ws-([a-z0-9]+)$/;
/** Name of a workspace account's (only) token. */
const WORKSPACE_TOKEN_NAME = 'xares-workspace';

/** A settings record for `server`, keeping the service user (and its secrets) of `current` only when `sameServer`. */
function withServiceUserOf(server: Pick<GitSettingsRecord, 'enabled' | 'mode' | 'url' | 'adminToken'>, current: GitSettingsRecord, sameServer: boolean): GitSettingsRecord {
  return {
    ...server,
    serviceUser: sameServer ? current.serviceUser : null,
    serviceToken: sameServer ? current.serviceToken : null,
    servicePassword: sameServer ? current.servicePassword : null,
  };
}

/** `owner/name` → [owner, name]. @throws Error for anything else. */
function splitFullName(fullName: string): [string, string] {
  const match = /^([^/]+)\/([^/]+)$/.exec(fullName);
  if (!match) throw new Error(`Not a repository name: ${fullName}`);
  return [match[1]!, match[2]!];
}

/**
 * A repository name Forgejo accepts made from a workspace name (for `createGitRepo`): characters other than
 * letters, digits, `-`, `_`, `.` become `-`, runs of `-` shrink to one, leading/trailing `-`/`.` go, at most 90
 * characters (room for a `-NN` suffix), a trailing `.git`/`.wiki`/`.rss`/`.atom` loses its dot; '' → `project`.
 */
export function repositoryNameFor(projectName: string): string {
  let name = projectName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 90)
    .replace(/^[-.]+|[-.]+$/g, '');
  name = name.replace(/\.(git|wiki|rss|atom)$/i, '-$1');
  return name || 'project';
}

function toGitRepository(repo: GitClientRepo): GitRepository {
  return {
    name: repo.name,
    fullName: repo.fullName,
    description: repo.description ?? '',
    url: repo.htmlUrl,
    cloneUrl: repo.cloneUrl,
    private: repo.private,
    createdAt: repo.createdAt,
  };
}

