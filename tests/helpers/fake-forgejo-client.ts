/**
 * In-memory fake of the Forgejo REST client (the `GitClient` subset of server/services/git-service.ts), for
 * API tests of the Git integration without a Forgejo. Shares one state across clients; checks tokens like
 * Forgejo (admin calls need the admin token, the service user's calls its token); `reachable = false` makes
 * every call fail like an unreachable server. Errors: `{name: 'ForgejoError', status}` and
 * `ForgejoUnavailableError`, as server/git/forgejo-client.ts does.
 */
import { randomBytes } from 'node:crypto';
import type { GitClient, GitClientFactory, GitClientRepo } from '../../server/services/git-service.js';

class FakeForgejoError extends Error {
  override name = 'ForgejoError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

class FakeForgejoUnavailableError extends Error {
  override name = 'ForgejoUnavailableError';
}

export class FakeForgejo {
  reachable = true;
  readonly version = '9.0.3+gitea-1.22.0';
  readonly users = new Map<string, { password: string; admin: boolean }>();
  /** token → user name. */
  readonly tokens = new Map<string, string>();
  readonly repos: Array<GitClientRepo & { owner: string }> = [];
  /** Every token any client was made with (to check which credential was used). */
  readonly tokensUsed: string[] = [];

  constructor(
    readonly baseUrl: string,
    readonly adminToken: string,
  ) {
    this.users.set('forgejo-admin', { password: 'x', admin: true });
    this.tokens.set(adminToken, 'forgejo-admin');
  }

  readonly factory: GitClientFactory = ({ baseUrl, token }) => {
    this.tokensUsed.push(token);
    return this.client(baseUrl, token);
  };

  private client(baseUrl: string, token: string): GitClient {
    const guard = async (): Promise<void> => {
      if (!this.reachable || baseUrl !== this.baseUrl) throw new FakeForgejoUnavailableError(`connect ECONNREFUSED ${new URL(baseUrl).host}`);
    };
    const userOf = (): string => {
      const user = this.tokens.get(token);
      if (!user) throw new FakeForgejoError(401, 'token is required');
      return user;
    };
    return {
      version: async () => {
        await guard();
        return this.version;
      },
      listRepositories: async () => {
        await guard();
        const user = userOf();
        return this.repos.filter((repo) => repo.owner === user);
      },
      createRepository: async ({ name, description, private: isPrivate }) => {
        await guard();
        const user = userOf();
        if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new FakeForgejoError(422, 'invalid name');
        if (this.repos.some((repo) => repo.owner === user && repo.name.toLowerCase() === name.toLowerCase())) throw new FakeForgejoError(409, 'The repository with the same name already exists.');
        const repo = {
          owner: user,
          name,
          fullName: `${user}/${name}`,
          description: description ?? '',
          htmlUrl: `${this.baseUrl}${user}/${name}`,
          cloneUrl: `${this.baseUrl}${user}/${name}.git`,
          private: isPrivate ?? false,
          createdAt: new Date().toISOString(),
        };
        this.repos.push(repo);
        return repo;
      },
      createUser: async ({ username, password }) => {
        await guard();
        const user = userOf();
        if (!this.users.get(user)?.admin) throw new FakeForgejoError(403, 'must be admin');
        if (this.users.has(username)) throw new FakeForgejoError(422, 'user already exists');
        this.users.set(username, { password, admin: false });
        return { login: username };
      },
      createUserToken: async (username, password, { name }) => {
        await guard();
        if (this.users.get(username)?.password !== password) throw new FakeForgejoError(401, 'user does not exist or password wrong');
        const sha1 = randomBytes(20).toString('hex');
        this.tokens.set(sha1, username);
        return { id: this.tokens.size, name, sha1, token_last_eight: sha1.slice(-8), scopes: [] };
      },
      deleteUserToken: async (username, password) => {
        await guard();
        if (this.users.get(username)?.password !== password) throw new FakeForgejoError(401, 'user does not exist or password wrong');
        throw new FakeForgejoError(404, 'access token does not exist');
      },
      listBranches: async () => {
        await guard();
        return [];
      },
      setUserPassword: async (username, password) => {
        await guard();
        if (!this.users.get(userOf())?.admin) throw new FakeForgejoError(403, 'must be admin');
        const user = this.users.get(username);
        if (!user) throw new FakeForgejoError(404, 'user does not exist');
        user.password = password;
      },
      deleteUser: async (username) => {
        await guard();
        if (!this.users.get(userOf())?.admin) throw new FakeForgejoError(403, 'must be admin');
        if (!this.users.delete(username)) throw new FakeForgejoError(404, 'user does not exist');
      },
      listUsers: async () => {
        await guard();
        if (!this.users.get(userOf())?.admin) throw new FakeForgejoError(403, 'must be admin');
        return [...this.users.keys()];
      },
      addCollaborator: async () => {
        await guard();
        userOf();
      },
      listBranchProtections: async () => {
        await guard();
        userOf();
        return [];
      },
      createBranchProtection: async () => {
        await guard();
        userOf();
      },
    };
  }
}
