import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import {
  GenerateDocumentationRequest,
  PROXY_NOT_USED_MESSAGE,
  SquidLogsQuery,
  type DeleteConversationsResponse,
  type GenerateDocumentationResponse,
  type LlmConversationsResponse,
  type ProxyMode,
  type ProxyNotUsedErrorBody,
  type ProjectSummary,
  type SquidLogsResponse,
} from '../contract/index.js';
import type { RecordingsService } from '../services/recordings-service.js';
import { ServiceError } from '../services/service-error.js';
import { readWorkspaceSquidLog, type SquidLogSource } from '../services/squid-log.js';
import { parseOrThrow } from './errors.js';

/** Options of {@link recordingsRouter}. */
export interface RecordingsRouterOptions {
  recordings: RecordingsService;
  /** The workspaces (only `list` is used: existence and proxy mode, from memory). */
  projects: { list(): Pick<ProjectSummary, 'id' | 'proxyMode'>[] };
  /** Squid's access log; without it the squid-logs route answers 503 SERVICE_UNAVAILABLE. */
  squidLog?: SquidLogSource;
  /**
   * The workspace's address on its proxy network, or `''` (stopped, not attached): shown as `ipAddress`.
   * Default: always `''`. A failure counts as `''`.
   */
  addressOf?: (projectId: string) => Promise<string> | string;
  logger: Logger;
}

/**
 * Recordings of the proxies per workspace (issue #5; api-reference "Network Proxy & Monitoring", "Get Squid
 * Proxy Logs", "Generate Documentation", "Delete ... LLM Conversations"), mounted on `/api/projects` behind the
 * admin check and the JSON body parser:
 * - `GET  /:projectId/recorded-domains`, `GET|DELETE /:projectId/llm-conversations`,
 *   `DELETE /:projectId/llm-conversations/:timestamp`, `POST /:projectId/generate-documentation`: only for
 *   workspaces in `logging` mode;
 * - `GET  /:projectId/squid-logs?lines=N`: only for workspaces in `security` mode.
 * Any other workspace (or an unknown id) gets 404 with {@link ProxyNotUsedErrorBody}.
 */
export function recordingsRouter(options: RecordingsRouterOptions): Router {
  const { recordings } = options;
  const router = Router();

  /** True when the workspace exists and uses `mode`; else answers the 404 and returns false. */
  const usesProxy = (projectId: string, mode: Exclude<ProxyMode, 'none'>, res: Response): boolean => {
    const project = options.projects.list().find((p) => p.id === projectId);
    if (project?.proxyMode === mode) return true;
    const body: ProxyNotUsedErrorBody = { success: false, error: PROXY_NOT_USED_MESSAGE, code: 'PROJECT_NOT_FOUND', message: PROXY_NOT_USED_MESSAGE };
    res.status(404).json(body);
    return false;
  };

  const addressOf = async (projectId: string): Promise<string> => {
    if (!options.addressOf) return '';
    try {
      const address = await options.addressOf(projectId);
      return typeof address === 'string' ? address : '';
    } catch (error) {
      options.logger.debug({ err: error, projectId }, 'no proxy network address for the workspace');
      return '';
    }
  };

  router.get('/:projectId/recorded-domains', async (req, res) => {
    const { projectId } = req.params;
    if (!usesProxy(projectId, 'logging', res)) return;
    const ipAddress = await addressOf(projectId);
    res.json(await recordings.recordedDomains(projectId, ipAddress));
  });

  router.get('/:projectId/llm-conversations', async (req, res) => {
    const { projectId } = req.params;
    if (!usesProxy(projectId, 'logging', res)) return;
    const conversations = await recordings.conversations(projectId);
    const body: LlmConversationsResponse = { success: true, projectId, count: conversations.length, conversations };
    res.json(body);
  });

  router.delete('/:projectId/llm-conversations', async (req, res) => {
    const { projectId } = req.params;
    if (!usesProxy(projectId, 'logging', res)) return;
    await recordings.deleteAll(projectId);
    const body: DeleteConversationsResponse = { success: true, message: 'All conversations deleted successfully' };
    res.json(body);
  });

  router.delete('/:projectId/llm-conversations/:timestamp', async (req, res) => {
    const { projectId, timestamp } = req.params;
    if (!usesProxy(projectId, 'logging', res)) return;
    await recordings.deleteConversation(projectId, timestamp);
    const body: DeleteConversationsResponse = { success: true, message: 'Conversation deleted successfully' };
    res.json(body);
  });

  router.post('/:projectId/generate-documentation', async (req, res) => {
    const { projectId } = req.params;
    if (!usesProxy(projectId, 'logging', res)) return;
    const request = parseOrThrow(GenerateDocumentationRequest, req.body ?? {});
    const { documentation, conversationCount } = await recordings.documentation(projectId, request.type);
    const body: GenerateDocumentationResponse = { success: true, projectId, format: request.format, type: request.type, documentation, conversationCount };
    res.json(body);
  });

  router.get('/:projectId/squid-logs', async (req, res) => {
    const { projectId } = req.params;
    if (!usesProxy(projectId, 'security', res)) return;
    const { lines } = parseOrThrow(SquidLogsQuery, { ...(req.query['lines'] !== undefined ? { lines: req.query['lines'] } : {}) });
    if (!options.squidLog) throw new ServiceError('SERVICE_UNAVAILABLE', 'The security proxy log is not available');
    const ipAddress = await addressOf(projectId);
    let logs;
    try {
      logs = await readWorkspaceSquidLog(options.squidLog, projectId, lines);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      options.logger.warn({ err: error }, 'cannot read the squid access log');
      throw new ServiceError('SERVICE_UNAVAILABLE', 'The security proxy log cannot be read right now');
    }
    const body: SquidLogsResponse = { success: true, ipAddress, logs };
    res.json(body);
  });

  return router;
}
