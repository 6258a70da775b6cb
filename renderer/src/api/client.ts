import type { z } from 'zod';
import {
  ApiErrorBody,
  AuthExchangeResponse,
  CloneProjectResponse,
  ConfigResponse,
  CreateProjectResponse,
  DeleteProjectResponse,
  DiskUsageResponse,
  GetNotesResponse,
  GetProjectResponse,
  ListGroupsResponse,
  MessageResponse,
  OpenLinkResponse,
  LimitsResponse,
  ListProjectsResponse,
  SetPasswordResponse,
  StartProjectResponse,
  StatsResponse,
  StopProjectResponse,
  SystemStatusResponse,
  ClaimsResponse,
  ReleaseResponse,
  WorkshopBoardResponse,
  WorkshopSettingsResponse,
  WhitelistResponse,
  UpdateWhitelistResponse,
  SquidLogsResponse,
  RecordedDomainsResponse,
  LlmConversationsResponse,
  DeleteConversationsResponse,
  GenerateDocumentationResponse,
  GitSettingsResponse,
  ListGitRepositoriesResponse,
  CreateGitRepositoryResponse,
  type CreateGitRepositoryRequest,
  type UpdateGitSettingsRequest,
  type DocumentationType,
  type CloneProjectRequest,
  type CreateProjectInput,
  type UpdateWorkshopSettingsRequest,
  type ProjectSummary,
} from '../../../server/contract/index.js';
import { ApiError } from './api-error.js';

/** Fetch as the browser provides it; injectable for tests. */
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

/** How the client is wired to its environment. */
export interface ApiClientOptions {
  /** Origin of the server, e.g. `http://localhost:8080`; `''` means the page's own origin (the usual case). */
  baseUrl?: string;
  /** The admin bearer token to send, or `null` when signed out. Read on every request. */
  getToken: () => string | null;
  /** Called once per request answered with 401 for the admin credential (token missing, wrong or revoked). */
  onUnauthorized?: (error: ApiError) => void;
  fetch?: FetchFunction;
}

/** Options of one request. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Send the bearer token (every `/api` route but health and the sign-in exchange needs it). */
  authenticated?: boolean;
  signal?: AbortSignal;
  /** `Accept` header; JSON unless said otherwise. */
  accept?: string;
  /** Extra headers (e.g. a bearer token being checked before it is kept). */
  headers?: Record<string, string>;
}

/** Plain-language fallback for an error status whose body is not the contract's error shape. */
function messageForStatus(status: number): string {
  if (status === 401) return 'You are not signed in, or your sign-in has expired. Please sign in again.';
  if (status === 403) return 'The server refused this request.';
  if (status === 404) return 'The server does not know this address. Is the dashboard newer than the server?';
  if (status === 413) return 'The request is too large.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status === 502 || status === 503 || status === 504) return 'The server is temporarily unavailable. Try again in a moment.';
  if (status >= 500) return `The server failed to handle the request (HTTP ${status}).`;
  return `The request failed (HTTP ${status}).`;
}

/**
 * Builds the {@link ApiError} for a non-2xx answer. The contract's body (`{success:false, error, code, details?}`,
 * api-reference "Error Response Format") gives message, code and per-field details; anything else (an HTML
 * page from a proxy, the older `{error, message}` shape, an empty body) gets a message from the status.
 */
export function errorFromResponse(status: number, body: unknown): ApiError {
  const parsed = ApiErrorBody.safeParse(body);
  if (parsed.success) {
    return new ApiError({ status, code: parsed.data.code, message: parsed.data.error, ...(parsed.data.details ? { details: parsed.data.details } : {}) });
  }
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const text = [record['message'], record['error']].find((value): value is string => typeof value === 'string' && value.trim() !== '');
    if (text !== undefined) return new ApiError({ status, code: 'HTTP_ERROR', message: text });
  }
  return new ApiError({ status, code: 'HTTP_ERROR', message: messageForStatus(status) });
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : error instanceof Error && error.name === 'AbortError';
}

/**
 * The one typed client of the admin API. Every response is checked against the contract's zod schema, so the
 * rest of the dashboard only sees well-formed data; every failure is an {@link ApiError}.
 */
export class ApiClient {
  private baseUrl: string;
  private readonly fetchImpl: FetchFunction;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Points the client at another server origin (the desktop app when the page is not served by the server). */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Sends a request and returns the raw response (2xx or not); network failures become `NETWORK_ERROR`. */
  async send(path: string, request: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: request.accept ?? 'application/json' };
    if (request.authenticated !== false) {
      const token = this.options.getToken();
      if (token) headers['Authorization'] = `Bearer ${token}`;
    }
    Object.assign(headers, request.headers);
    const init: RequestInit = { method: request.method ?? 'GET', headers, credentials: 'same-origin', cache: 'no-store' };
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(request.body);
    }
    if (request.signal) init.signal = request.signal;
    try {
      return await this.fetchImpl(this.baseUrl + path, init);
    } catch (error) {
      if (isAbort(error)) throw error;
      const where = this.baseUrl || 'this address';
      throw new ApiError({
        status: 0,
        code: 'NETWORK_ERROR',
        message: `Cannot reach the Xares server at ${where}. Check that it is still running and try again.`,
      });
    }
  }

  /** Sends a request and parses a 2xx body with `schema`; throws {@link ApiError} otherwise. */
  async request<S extends z.ZodType>(path: string, schema: S, request: RequestOptions = {}): Promise<z.output<S>> {
    const response = await this.send(path, request);
    let body: unknown = undefined;
    const text = await response.text().catch(() => '');
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!response.ok) {
      const error = errorFromResponse(response.status, body);
      if (error.isUnauthorized && request.authenticated !== false) this.options.onUnauthorized?.(error);
      throw error;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new ApiError({
        status: response.status,
        code: 'BAD_RESPONSE',
        message: `The server sent an answer the dashboard does not understand (at ${where}). Are server and dashboard the same version?`,
      });
    }
    return parsed.data;
  }

  /** `GET /api/projects/` → the workspaces, as listed. */
  async listProjects(): Promise<ProjectSummary[]> {
    return (await this.request('/api/projects/', ListProjectsResponse)).projects;
  }

  /** `GET /api/projects/:id` → one workspace with its container block. */
  async getProject(projectId: string) {
    return (await this.request(`/api/projects/${encodeURIComponent(projectId)}`, GetProjectResponse)).project;
  }

  /** `POST /api/projects/create` (201) → the new workspace (status `creating` or later). */
  async createProject(input: CreateProjectInput) {
    return this.request('/api/projects/create', CreateProjectResponse, { method: 'POST', body: input });
  }

  /** `POST /api/projects/:id/start`. */
  async startProject(projectId: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/start`, StartProjectResponse, { method: 'POST', body: {} });
  }

  /** `POST /api/projects/:id/stop`; `password` is required for protected workspaces (401 `INVALID_WORKSPACE_PASSWORD`). */
  async stopProject(projectId: string, password?: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/stop`, StopProjectResponse, {
      method: 'POST',
      body: password === undefined ? {} : { password },
    });
  }

  /** `DELETE /api/projects/:id`; `password` as for stop. */
  async deleteProject(projectId: string, password?: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}`, DeleteProjectResponse, {
      method: 'DELETE',
      body: password === undefined ? {} : { password },
    });
  }

  /**
   * `PUT /api/projects/:id/password`: `newPassword` or `removePassword: true`, with `currentPassword` when the
   * workspace is protected (401 `INVALID_WORKSPACE_PASSWORD` when wrong; 400 `INVALID_PASSWORD` for a bad new one).
   */
  async setPassword(projectId: string, body: { currentPassword?: string; newPassword?: string; removePassword?: true }) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/password`, SetPasswordResponse, { method: 'PUT', body });
  }

  /**
   * `POST /api/projects/:id/open-link` → a one-time URL (2 minutes) that opens the running workspace on its own
   * origin without its password or seat cookie (409 `INVALID_STATE` when it is not running).
   */
  async createOpenLink(projectId: string): Promise<string> {
    return (await this.request(`/api/projects/${encodeURIComponent(projectId)}/open-link`, OpenLinkResponse, { method: 'POST' })).url;
  }

  /**
   * `POST /api/projects/:id/clone` (202) → the new clones (id, name, all `creating`); their progress then
   * arrives through the live stream (`progress` of each clone). 400 for a bad count or too few workspace slots
   * (the message says how many are left), 409 `CONCURRENT_LIMIT_REACHED`, 404 for an unknown source.
   */
  async cloneProject(projectId: string, request: CloneProjectRequest) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/clone`, CloneProjectResponse, { method: 'POST', body: request });
  }

  /** `GET /api/projects/:id/notes` → the notes text (`''` when none). */
  async getNotes(projectId: string): Promise<string> {
    return (await this.request(`/api/projects/${encodeURIComponent(projectId)}/notes`, GetNotesResponse)).notes;
  }

  /** `PUT /api/projects/:id/notes`; above 10 KB of UTF-8 the server answers 413 `PAYLOAD_TOO_LARGE`. */
  async updateNotes(projectId: string, notes: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/notes`, MessageResponse, { method: 'PUT', body: { notes } });
  }

  /** `PUT /api/projects/:id/name` (1–100 characters; 400 `INVALID_PROJECT_NAME` or `PROJECT_EXISTS`). */
  async renameProject(projectId: string, name: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/name`, MessageResponse, { method: 'PUT', body: { name } });
  }

  /** `PUT /api/projects/:id/group`; `null` or `''` removes the group. */
  async updateGroup(projectId: string, group: string | null) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/group`, MessageResponse, { method: 'PUT', body: { group } });
  }

  /** `GET /api/projects/groups` → distinct groups, sorted. */
  async listGroups(): Promise<string[]> {
    return (await this.request('/api/projects/groups', ListGroupsResponse)).groups;
  }

  /** `GET /api/projects/:id/disk-usage` → writable layer and total, with readable sizes. */
  async getDiskUsage(projectId: string) {
    return (await this.request(`/api/projects/${encodeURIComponent(projectId)}/disk-usage`, DiskUsageResponse)).diskUsage;
  }

  /** `GET /api/limits` → configured per-workspace maxima. */
  async getLimits() {
    return this.request('/api/limits', LimitsResponse);
  }

  /** `GET /api/config`. */
  async getConfig() {
    return (await this.request('/api/config', ConfigResponse)).config;
  }

  /** `GET /api/workspace/stats`. */
  async getStats() {
    return (await this.request('/api/workspace/stats', StatsResponse)).stats;
  }

  /** `GET /api/system/status` → Docker engine and workspace image state. */
  async getSystemStatus() {
    return this.request('/api/system/status', SystemStatusResponse);
  }

  /** `GET /api/workshop/board` (admin) → settings, join URL, groups to choose from, counts and seats. */
  async getWorkshopBoard() {
    return this.request('/api/workshop/board', WorkshopBoardResponse);
  }

  /**
   * `PUT /api/workshop/settings` (admin): the group open for registration (`null` closes the workshop) and/or
   * whether registration is open → the settings now in force.
   */
  async updateWorkshopSettings(change: UpdateWorkshopSettingsRequest) {
    return (await this.request('/api/workshop/settings', WorkshopSettingsResponse, { method: 'PUT', body: change })).settings;
  }

  /** `POST /api/workshop/claims/:projectId/release` (admin) → the released claim (404 `NOT_FOUND` when none is active). */
  async releaseWorkshopClaim(projectId: string) {
    return (await this.request(`/api/workshop/claims/${encodeURIComponent(projectId)}/release`, ReleaseResponse, { method: 'POST', body: {} })).released;
  }

  /** `GET /api/workshop/claims` (admin) → active claims and the release history. */
  async listWorkshopClaims() {
    return this.request('/api/workshop/claims', ClaimsResponse);
  }

  /**
   * `GET /api/workshop/claims.csv` (admin) with the bearer header (never a token in the URL) → the CSV file as
   * a Blob and the file name the server suggests (`Content-Disposition`), else `workshop-claims.csv`.
   */
  async downloadWorkshopClaimsCsv(): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.send('/api/workshop/claims.csv', { accept: 'text/csv' });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const error = errorFromResponse(response.status, body);
      if (error.isUnauthorized) this.options.onUnauthorized?.(error);
      throw error;
    }
    const disposition = response.headers.get('Content-Disposition') ?? '';
    // Only a plain `name.csv` is taken over; anything else (paths, odd characters) gets our default name.
    const match = /filename="?([A-Za-z0-9][A-Za-z0-9._-]*\.csv)"?(?:;|$)/.exec(disposition);
    return { blob: await response.blob(), fileName: match?.[1] ?? 'workshop-claims.csv' };
  }

  /** `GET /api/whitelist` (admin) → the stored Security Proxy whitelist (squid form, base domains included) and its squid section. */
  async getWhitelist() {
    return this.request('/api/whitelist', WhitelistResponse);
  }

  /**
   * `PUT /api/whitelist` (admin): replaces the whitelist with `domains` (the server normalises them and adds the
   * base domains) → the list as now stored. 400 `VALIDATION_ERROR` names the first bad entry (`details.domains`,
   * `details.index`); nothing is stored then.
   */
  async updateWhitelist(domains: readonly string[]) {
    return this.request('/api/whitelist', UpdateWhitelistResponse, { method: 'PUT', body: { domains } });
  }

  /**
   * `GET /api/projects/:id/squid-logs?lines=N` (admin) → the workspace's last `lines` (1–500) Security Proxy
   * log lines, oldest first. 404 `PROJECT_NOT_FOUND` when the workspace does not use the Security Proxy.
   */
  async getSquidLogs(projectId: string, lines: number, signal?: AbortSignal) {
    const path = `/api/projects/${encodeURIComponent(projectId)}/squid-logs?lines=${encodeURIComponent(String(lines))}`;
    return this.request(path, SquidLogsResponse, signal ? { signal } : {});
  }

  /** `GET /api/projects/:id/recorded-domains` (admin) → hosts the LLM Logging Proxy saw, with counts, by category. */
  async getRecordedDomains(projectId: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/recorded-domains`, RecordedDomainsResponse);
  }

  /** `GET /api/projects/:id/llm-conversations` (admin) → recorded LLM API exchanges, oldest first. */
  async listLlmConversations(projectId: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/llm-conversations`, LlmConversationsResponse);
  }

  /**
   * `DELETE /api/projects/:id/llm-conversations/:timestamp` (admin): deletes one recorded exchange (400 for a
   * malformed identifier, 404 when it is not this workspace's).
   */
  async deleteLlmConversation(projectId: string, conversationId: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/llm-conversations/${encodeURIComponent(conversationId)}`, DeleteConversationsResponse, { method: 'DELETE' });
  }

  /** `DELETE /api/projects/:id/llm-conversations` (admin): deletes all recorded exchanges of the workspace. */
  async deleteAllLlmConversations(projectId: string) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/llm-conversations`, DeleteConversationsResponse, { method: 'DELETE' });
  }

  /** `POST /api/projects/:id/generate-documentation` (admin) with `format` markdown → the markdown text and how many exchanges it covers. */
  async generateDocumentation(projectId: string, type: DocumentationType) {
    return this.request(`/api/projects/${encodeURIComponent(projectId)}/generate-documentation`, GenerateDocumentationResponse, {
      method: 'POST',
      body: { format: 'markdown', type },
    });
  }

  /** `GET /api/git/settings` (admin) → the Git server settings (never the admin token) and its last checked status. */
  async getGitSettings() {
    return this.request('/api/git/settings', GitSettingsResponse);
  }

  /**
   * `PUT /api/git/settings` (admin) → settings and status as now in force. `adminToken` omitted keeps the stored
   * one. 400 `VALIDATION_ERROR` names the field (`details.url`, `details.adminToken`), 503 `SERVICE_UNAVAILABLE`
   * says why the server cannot be reached; nothing is stored then.
   */
  async updateGitSettings(change: UpdateGitSettingsRequest) {
    return this.request('/api/git/settings', GitSettingsResponse, { method: 'PUT', body: change });
  }

  /** `GET /api/git/repositories` (admin) → the repositories on the Git server (503 when it is disabled or unreachable). */
  async listGitRepositories() {
    return (await this.request('/api/git/repositories', ListGitRepositoriesResponse)).repositories;
  }

  /**
   * `POST /api/git/repositories` (admin, 201) → the new repository. 400 `VALIDATION_ERROR` with `details.name`/
   * `details.description`, 409 `GIT_REPO_EXISTS`, 503 `SERVICE_UNAVAILABLE`.
   */
  async createGitRepository(request: CreateGitRepositoryRequest) {
    return (await this.request('/api/git/repositories', CreateGitRepositoryResponse, { method: 'POST', body: request })).repository;
  }

  /**
   * `POST /api/auth/exchange` (public): trades the one-time code of a sign-in link for the admin token.
   * A used or expired code is a 401 that does not trigger `onUnauthorized`.
   */
  async exchangeSignInCode(code: string): Promise<string> {
    return (await this.request('/api/auth/exchange', AuthExchangeResponse, { method: 'POST', body: { code }, authenticated: false })).token;
  }

  /**
   * Opens `GET /api/events` (Server-Sent Events) and returns the streaming response once headers arrived.
   * @throws ApiError for an error status (401 also calls `onUnauthorized`) or no connection; AbortError on abort.
   */
  async openEventStream(signal: AbortSignal): Promise<Response> {
    const response = await this.send('/api/events', { signal, accept: 'text/event-stream' });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const error = errorFromResponse(response.status, body);
      if (error.isUnauthorized) this.options.onUnauthorized?.(error);
      throw error;
    }
    if (!response.body) throw new ApiError({ status: response.status, code: 'BAD_RESPONSE', message: 'The event stream has no body.' });
    return response;
  }
}
