import {
  GIT_REPO_DESCRIPTION_MAX,
  gitRepoNameProblem,
  type CreateGitRepositoryRequest,
  type GitRepository,
  type GitServerStatus,
  type GitSettings,
  type ProjectSummary,
  type UpdateGitSettingsRequest,
} from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';

/** Which Git server: `managed` = Forgejo run by Xares in a container; `external` = an existing server at a URL. */
export type GitServerMode = GitSettings['mode'];

/**
 * The Git settings form as the teacher edits it. `adminToken` is what was typed ('' = keep the stored one);
 * `url` and `adminToken` only matter in `external` mode (the managed server needs neither).
 */
export interface GitSettingsForm {
  enabled: boolean;
  mode: GitServerMode;
  url: string;
  adminToken: string;
}

/** Fields of the settings form a message can belong to; `form` is for messages about no single field. */
export type GitSettingsField = 'enabled' | 'mode' | 'url' | 'adminToken' | 'form';

/** Fields of the create-repository form; `form` as above. */
export type GitRepoField = 'name' | 'description' | 'private' | 'form';

/**
 * The mode the form starts in: the stored one, except that a stored but switched-off `managed` choice falls
 * back to `external` while this app cannot run the managed server (`managedAvailable` false), so the form
 * never starts on an option that cannot be chosen; with nothing configured yet it starts on `managed` where that is
 * available.
 */
export function initialMode(settings: GitSettings): GitServerMode {
  if (settings.mode === 'managed' && !settings.managedAvailable && !settings.enabled) return 'external';
  // Nothing configured yet: the server run by Xares is the easy choice where it is available.
  if (settings.mode === 'external' && !settings.enabled && settings.url === '' && !settings.adminTokenSet && settings.managedAvailable) return 'managed';
  return settings.mode;
}

/** The form filled from the stored settings; the admin token field always starts empty (it is write-only). */
export function formFromSettings(settings: GitSettings): GitSettingsForm {
  return { enabled: settings.enabled, mode: initialMode(settings), url: settings.url, adminToken: '' };
}

/**
 * The `PUT /api/git/settings` body for the form. `managed`: only `enabled` and the mode (the server makes its
 * own URL and token; the stored external URL and token are left as they are). `external`: the URL trimmed and
 * the admin token only when one was typed (an empty field keeps the stored token, never sends '' which would
 * forget it).
 */
export function settingsRequest(form: GitSettingsForm): UpdateGitSettingsRequest {
  if (form.mode === 'managed') return { enabled: form.enabled, mode: 'managed' };
  const body: UpdateGitSettingsRequest = { enabled: form.enabled, mode: 'external', url: form.url.trim() };
  const token = form.adminToken.trim();
  if (token !== '') body.adminToken = token;
  return body;
}

/** True when the form differs from the stored settings (a typed token is a change; URL and token count only in `external` mode). */
export function settingsChanged(settings: GitSettings | null, form: GitSettingsForm): boolean {
  if (settings === null) return false;
  if (form.enabled !== settings.enabled || form.mode !== settings.mode) return true;
  if (form.mode === 'managed') return false;
  return form.url.trim() !== settings.url || form.adminToken.trim() !== '';
}

/**
 * What the Save button says while a save runs: switching the managed server on may first start its container
 * (pulling and starting Forgejo can take a minute); an external server is only checked.
 */
export function savingLabel(form: GitSettingsForm): string {
  return form.enabled && form.mode === 'managed' ? 'Starting the Git server…' : 'Checking the server…';
}

/** Why the managed option cannot be chosen, or null when it can. */
export function managedUnavailableNote(settings: GitSettings | null): string | null {
  if (settings === null || settings.managedAvailable) return null;
  return 'Not available on this computer: Xares cannot run the Forgejo container here. Use an existing server instead.';
}

/**
 * Where a refused request's message is shown. A 400 with `details` puts each detail by its field (unknown
 * fields go to `form`); a 400 without details and every other error go to `fallbackField` (the field the
 * refusal is about, e.g. the URL for a 503 "cannot reach" or the name for a 409 duplicate) with the server's words.
 */
export function fieldErrors<F extends string>(error: unknown, fields: readonly F[], fallbackField: F | 'form'): Partial<Record<F | 'form', string>> {
  const result: Partial<Record<F | 'form', string>> = {};
  if (error instanceof ApiError && error.status === 400) {
    for (const [key, message] of Object.entries(error.details)) {
      const field = (fields as readonly string[]).includes(key) ? (key as F) : 'form';
      result[field] ??= message;
    }
    if (Object.keys(result).length > 0) return result;
  }
  result[fallbackField] = describeError(error);
  return result;
}

/**
 * Errors of a refused settings save: field details by field; a 503 (server unreachable) by the URL for an
 * external server, above the form for the managed one (it has no URL field: e.g. its container did not start);
 * others above the form.
 */
export function settingsErrors(error: unknown, mode: GitServerMode = 'external'): Partial<Record<GitSettingsField, string>> {
  const unavailable = error instanceof ApiError && error.status === 503 && mode === 'external';
  return fieldErrors<GitSettingsField>(error, ['enabled', 'mode', 'url', 'adminToken'], unavailable ? 'url' : 'form');
}

/** Errors of a refused repository creation: details by field, 409 (name taken) by the name, others above the form. */
export function createRepoErrors(error: unknown): Partial<Record<GitRepoField, string>> {
  const duplicate = error instanceof ApiError && error.status === 409;
  return fieldErrors<GitRepoField>(error, ['name', 'description', 'private'], duplicate ? 'name' : 'form');
}

/** The create-repository form. */
export interface GitRepoForm {
  name: string;
  description: string;
  private: boolean;
}

/**
 * Checks the form with the contract's own rules (the server's words) before sending.
 * @returns the request body, or the per-field problems.
 */
export function checkRepoForm(form: GitRepoForm): { request: CreateGitRepositoryRequest; errors: null } | { request: null; errors: Partial<Record<GitRepoField, string>> } {
  const name = form.name.trim();
  const errors: Partial<Record<GitRepoField, string>> = {};
  const nameProblem = gitRepoNameProblem(name);
  if (nameProblem) errors.name = nameProblem;
  const description = form.description.trim();
  if (description.length > GIT_REPO_DESCRIPTION_MAX) errors.description = `A description has at most ${GIT_REPO_DESCRIPTION_MAX} characters`;
  if (Object.keys(errors).length > 0) return { request: null, errors };
  return { request: { name, ...(description !== '' ? { description } : {}), private: form.private }, errors: null };
}

/** One line about the Git server's state, for the status panel. */
export function statusSummary(status: GitServerStatus | null): { tone: 'off' | 'ok' | 'error'; text: string } {
  if (status === null) return { tone: 'off', text: 'Not loaded yet.' };
  if (!status.enabled) return { tone: 'off', text: 'The Git server is off.' };
  if (status.reachable) return { tone: 'ok', text: status.version ? `Reachable, version ${status.version}.` : 'Reachable.' };
  return { tone: 'error', text: status.error ? `Not reachable: ${status.error}` : 'Not reachable.' };
}

/** The status line's link: the Git server's browser URL (`status.url`) when it is a safe http(s) link, else null. */
export function statusLink(status: GitServerStatus | null): string | null {
  return status?.enabled ? safeLink(status.url) : null;
}

/** Repositories newest first, then by name (stable for equal times). */
export function sortRepositories(repositories: readonly GitRepository[]): GitRepository[] {
  return [...repositories].sort((a, b) => {
    const at = Date.parse(a.createdAt);
    const bt = Date.parse(b.createdAt);
    if (!Number.isNaN(at) && !Number.isNaN(bt) && at !== bt) return bt - at;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** `url` when it is an absolute http(s) URL (safe as a link target), else null (e.g. `javascript:`). */
export function safeLink(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A workspace's Git facts as the list and details show them. */
export interface WorkspaceGitInfo {
  /** Browser URL of its repository (safe http(s) link), or null when it has none. */
  link: string | null;
  /** The branch it works on (`main`, `clone/<name>`), or null when none was set up. */
  branch: string | null;
  /** Why its git set-up failed (the workspace itself works), or null. Plain text: rendered escaped. */
  error: string | null;
}

/** The Git facts of a workspace (`gitRepoUrl`, `gitBranch`, `gitError`), or null when it has none of them. */
export function workspaceGit(project: Pick<ProjectSummary, 'gitRepoUrl' | 'gitBranch' | 'gitError'>): WorkspaceGitInfo | null {
  const info: WorkspaceGitInfo = { link: safeLink(project.gitRepoUrl), branch: project.gitBranch || null, error: project.gitError || null };
  return info.link === null && info.branch === null && info.error === null ? null : info;
}
