import { z } from 'zod';

/**
 * Git server integration (api-reference "Git Integration", issue #7). Admin-only routes:
 * `GET`/`POST /api/git/repositories` (contract) and `GET`/`PUT /api/git/settings` (ours, dashboard settings).
 */

/** Longest repository name Forgejo accepts (Forgejo/Gitea `models/repo`: names are limited to 100 characters). */
export const GIT_REPO_NAME_MAX = 100;
/** Longest repository description Forgejo accepts (its API's `CreateRepoOption.description`, max 2048). */
export const GIT_REPO_DESCRIPTION_MAX = 2048;

/**
 * Why `name` is not a repository name Forgejo accepts, or null when it is. Rules as Forgejo/Gitea check them
 * (`AlphaDashDot` binding plus its reserved names): only ASCII letters, digits, `-`, `_`, `.`; 1–100
 * characters; not `.` or `..`; not ending in `.git` (the clone URL suffix); not ending in `.wiki`, `.rss`
 * or `.atom` (Forgejo's reserved patterns).
 */
export function gitRepoNameProblem(name: string): string | null {
  if (name.length === 0) return 'A repository name is required';
  if (name.length > GIT_REPO_NAME_MAX) return `A repository name has at most ${GIT_REPO_NAME_MAX} characters`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return 'A repository name may contain only letters, digits, "-", "_" and "."';
  if (name === '.' || name === '..') return 'A repository name cannot be "." or ".."';
  if (/\.git$/i.test(name)) return 'A repository name cannot end in ".git"';
  if (/\.(wiki|rss|atom)$/i.test(name)) return 'A repository name cannot end in ".wiki", ".rss" or ".atom"';
  return null;
}

/** A repository as the list answers it (api-reference "List Git Repositories"). Times: ISO 8601 UTC. */
export const GitRepository = z.object({
  name: z.string(),
  /** `owner/name`. */
  fullName: z.string(),
  description: z.string(),
  /** The repository's page for browsers. */
  url: z.string(),
  /** The HTTP clone URL (`….git`). */
  cloneUrl: z.string(),
  private: z.boolean(),
  createdAt: z.string(),
});
export type GitRepository = z.infer<typeof GitRepository>;

/** `GET /api/git/repositories`: the repositories of our service user on the Git server. */
export const ListGitRepositoriesResponse = z.object({
  success: z.literal(true),
  repositories: z.array(GitRepository),
});
export type ListGitRepositoriesResponse = z.infer<typeof ListGitRepositoriesResponse>;

/**
 * `POST /api/git/repositories` body (api-reference "Create Git Repository"). `name` by
 * {@link gitRepoNameProblem}; `description` at most {@link GIT_REPO_DESCRIPTION_MAX} characters; `private`
 * default false. Bad input: 400 VALIDATION_ERROR with `details.<field>`.
 */
export const CreateGitRepositoryRequest = z.object({
  name: z.string({ error: 'name must be a string' }).superRefine((name, ctx) => {
    const problem = gitRepoNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  description: z
    .string({ error: 'description must be a string' })
    .max(GIT_REPO_DESCRIPTION_MAX, `A description has at most ${GIT_REPO_DESCRIPTION_MAX} characters`)
    .optional(),
  private: z.boolean({ error: 'private must be true or false' }).optional(),
});
export type CreateGitRepositoryRequest = z.infer<typeof CreateGitRepositoryRequest>;

/**
 * `POST /api/git/repositories` answer (201): the contract's fields (name, fullName, url, cloneUrl) plus the
 * rest of {@link GitRepository}. Errors: 409 GIT_REPO_EXISTS (name taken), 503 SERVICE_UNAVAILABLE (Git server
 * disabled or unreachable, the reason in `error`), 500 GIT_REPO_CREATE_FAILED (the Git server refused otherwise).
 */
export const CreateGitRepositoryResponse = z.object({
  success: z.literal(true),
  repository: GitRepository,
});
export type CreateGitRepositoryResponse = z.infer<typeof CreateGitRepositoryResponse>;

/**
 * The Git server settings as answered (never the admin token: only whether one is stored). `url` is the
 * configured Forgejo/Gitea base URL ('' when none). `managedAvailable` is false: running Forgejo as our own
 * container is not built yet, so an existing server's URL is needed.
 */
export const GitSettings = z.object({
  enabled: z.boolean(),
  /** `managed`: Forgejo in a container run by this app (served under `/git/`); `external`: the server at `url`. */
  mode: z.enum(['external', 'managed']),
  url: z.string(),
  adminTokenSet: z.boolean(),
  managedAvailable: z.boolean(),
});
export type GitSettings = z.infer<typeof GitSettings>;

/**
 * State of the Git server as last checked: `url` the browser URL of the server (for now the configured URL;
 * null when disabled), `version` as the server reports it (null when unknown), `error` the reason it is not
 * usable (null when it is).
 */
export const GitServerStatus = z.object({
  enabled: z.boolean(),
  reachable: z.boolean(),
  url: z.string().nullable(),
  version: z.string().nullable(),
  error: z.string().nullable(),
});
export type GitServerStatus = z.infer<typeof GitServerStatus>;

/** `GET /api/git/settings` and `PUT /api/git/settings` answer. */
export const GitSettingsResponse = z.object({
  success: z.literal(true),
  settings: GitSettings,
  status: GitServerStatus,
});
export type GitSettingsResponse = z.infer<typeof GitSettingsResponse>;

/**
 * `PUT /api/git/settings` body. `url`: http(s) base URL of an existing Forgejo or Gitea ('' = none; the managed
 * server is not available yet). `adminToken`: an admin's access token on that server (write-only; omitted =
 * keep the stored one, '' = forget it). Enabling needs a URL and an admin token; the server is checked first
 * (503 SERVICE_UNAVAILABLE with the reason when it cannot be reached, 400 VALIDATION_ERROR `adminToken` when it
 * refuses the token) and nothing is stored when the check fails.
 */
export const UpdateGitSettingsRequest = z.object({
  enabled: z.boolean({ error: 'enabled must be true or false' }),
  /** Omitted = keep the stored mode. `managed` needs no URL or token (the app makes both). */
  mode: z.enum(['external', 'managed'], { error: 'mode must be "external" or "managed"' }).optional(),
  url: z.string({ error: 'url must be a string' }).max(2048, 'A URL has at most 2048 characters').optional(),
  adminToken: z.string({ error: 'adminToken must be a string' }).max(1024, 'The admin token has at most 1024 characters').optional(),
});
export type UpdateGitSettingsRequest = z.infer<typeof UpdateGitSettingsRequest>;
