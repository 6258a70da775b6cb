import { z } from 'zod';
import { ErrorCode } from './errors.js';

/**
 * What the proxies recorded for a workspace (issue #5): the LLM Logging Proxy's destination hosts and LLM API
 * exchanges (api-reference "Network Proxy & Monitoring", "Generate Documentation", "Delete ... LLM
 * Conversations") and the Security Proxy's access log (api-reference "Get Squid Proxy Logs"). Admin-only.
 * Times are ISO 8601 UTC strings unless said otherwise.
 */

// ---------------------------------------------------------------- recorded domains

/** Domain categories in the order they are tried (behaviour.md "Domain categories, first match wins"). */
export const DOMAIN_CATEGORIES = ['Package Managers', 'AI APIs', 'Documentation', 'Version Control', 'System', 'Other'] as const;
export const DomainCategory = z.enum(DOMAIN_CATEGORIES);
export type DomainCategory = z.infer<typeof DomainCategory>;

/** Counters of one destination host: requests seen, first and last time (ISO 8601 UTC). */
export const DomainStats = z.object({
  count: z.number().int().nonnegative(),
  first_seen: z.string(),
  last_seen: z.string(),
});
export type DomainStats = z.infer<typeof DomainStats>;

/** One host inside a category list of `categorized`. */
export const CategorizedDomain = DomainStats.extend({ domain: z.string() });
export type CategorizedDomain = z.infer<typeof CategorizedDomain>;

/**
 * `GET /api/projects/:projectId/recorded-domains` (api-reference "Get Recorded Domains"). `domains` is keyed by
 * host (lower-case, no port; keys sorted); `categorized` holds only the categories that have hosts (each list
 * most requests first, then by name); `ipAddress` is the workspace's address on its proxy network, or `""` when
 * it has none (stopped). Only for workspaces in `logging` mode (else 404 {@link ProxyNotUsedErrorBody}).
 */
export const RecordedDomainsResponse = z.object({
  success: z.literal(true),
  projectId: z.string(),
  ipAddress: z.string(),
  domains: z.record(z.string(), DomainStats),
  categorized: z.partialRecord(DomainCategory, z.array(CategorizedDomain)),
  totalDomains: z.number().int().nonnegative(),
});
export type RecordedDomainsResponse = z.infer<typeof RecordedDomainsResponse>;

// ---------------------------------------------------------------- LLM conversations

/**
 * Identifier of a recorded conversation (the `:timestamp` of the DELETE route): the proxy's record id,
 * `<epoch ms, 13 digits>-<8 lower-case hex>`. Nothing else is accepted (no path tricks such as `../x`).
 */
export const CONVERSATION_ID_PATTERN = /^[0-9]{13}-[0-9a-f]{8}$/;
export const ConversationId = z.string().regex(CONVERSATION_ID_PATTERN, 'A conversation identifier looks like 1733234567123-0a1b2c3d');
export type ConversationId = z.infer<typeof ConversationId>;

/** LLM API family a conversation was recognised as (`other`: host known, format not understood; best effort). */
export const LlmProvider = z.enum(['openai', 'anthropic', 'google', 'other']);
export type LlmProvider = z.infer<typeof LlmProvider>;

/**
 * One message of the request as plain text: `role` as the API named it (`system`, `developer`, `user`,
 * `assistant`, `tool`, …); structured content (images, tool results, tool calls) is flattened into text.
 */
export const ConversationMessage = z.object({ role: z.string(), content: z.string() });
export type ConversationMessage = z.infer<typeof ConversationMessage>;

/** A tool call the model made in its answer: tool name and its input (parsed JSON when it parses, else the text). */
export const ToolCall = z.object({ name: z.string(), input: z.unknown() });
export type ToolCall = z.infer<typeof ToolCall>;

/** Token counts the API reported (`totalTokens` = input + output when the API gives no total). */
export const TokenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/**
 * One recorded LLM API exchange, reassembled from the proxy's raw record (streamed answers joined). Fields the
 * record does not show are empty/null rather than missing: `model` `""` when unknown, `status` null when no
 * response arrived, `durationMs` null while unfinished, `usage` null when the API reported none, `error` a
 * short text (transport error, API error event or HTTP error body) or null. `truncated`: a body was cut at the
 * proxy's size limit, so text may be incomplete. Secrets never appear (headers are redacted by the proxy and
 * not returned here).
 */
export const LlmConversation = z.object({
  /** The conversation's identifier ({@link ConversationId}); use it with `DELETE .../llm-conversations/:timestamp`. */
  timestamp: z.string(),
  provider: LlmProvider,
  host: z.string(),
  path: z.string(),
  model: z.string(),
  startedAt: z.string(),
  durationMs: z.number().int().nonnegative().nullable(),
  status: z.number().int().nullable(),
  streamed: z.boolean(),
  /** The request's conversation (system prompt included as a `system` message when the API had one). */
  messages: z.array(ConversationMessage),
  /** The system prompt as text, when the request had one. */
  system: z.string().optional(),
  /** The model's answer as text (all text parts joined). */
  answer: z.string(),
  toolCalls: z.array(ToolCall),
  usage: TokenUsage.nullable(),
  error: z.string().nullable(),
  truncated: z.boolean(),
});
export type LlmConversation = z.infer<typeof LlmConversation>;

/**
 * `GET /api/projects/:projectId/llm-conversations` (ours; api-reference defers the details): the workspace's
 * recorded exchanges, oldest first. Only for workspaces in `logging` mode.
 */
export const LlmConversationsResponse = z.object({
  success: z.literal(true),
  projectId: z.string(),
  count: z.number().int().nonnegative(),
  conversations: z.array(LlmConversation),
});
export type LlmConversationsResponse = z.infer<typeof LlmConversationsResponse>;

/**
 * Answer of `DELETE /api/projects/:projectId/llm-conversations` ("All conversations deleted successfully") and
 * `DELETE .../llm-conversations/:timestamp` ("Conversation deleted successfully"); a malformed identifier is a
 * 400 VALIDATION_ERROR, an unknown one (or another workspace's) a 404 NOT_FOUND.
 */
export const DeleteConversationsResponse = z.object({ success: z.literal(true), message: z.string() });
export type DeleteConversationsResponse = z.infer<typeof DeleteConversationsResponse>;

// ---------------------------------------------------------------- documentation

export const DocumentationFormat = z.enum(['markdown']);
export type DocumentationFormat = z.infer<typeof DocumentationFormat>;
/** `clean`: prompts and answers by session; `detailed`: also models, times, durations and token counts. */
export const DocumentationType = z.enum(['clean', 'detailed']);
export type DocumentationType = z.infer<typeof DocumentationType>;

/** `POST /api/projects/:projectId/generate-documentation` body (api-reference "Generate Documentation"); `{}` = markdown, clean. */
export const GenerateDocumentationRequest = z
  .object({
    format: DocumentationFormat.optional().default('markdown'),
    type: DocumentationType.optional().default('clean'),
  })
  .default({ format: 'markdown', type: 'clean' });
export type GenerateDocumentationRequest = z.output<typeof GenerateDocumentationRequest>;
export type GenerateDocumentationInput = z.input<typeof GenerateDocumentationRequest>;

/**
 * Answer of generate-documentation: `documentation` is markdown text (for download as a `.md` file, not HTML);
 * `conversationCount` the exchanges it covers (model calls with an answer, tool calls or an error; requests to an
 * LLM host that were not model calls, such as telemetry or token counting, are left out).
 */
export const GenerateDocumentationResponse = z.object({
  success: z.literal(true),
  projectId: z.string(),
  format: DocumentationFormat,
  type: DocumentationType,
  documentation: z.string(),
  conversationCount: z.number().int().nonnegative(),
});
export type GenerateDocumentationResponse = z.infer<typeof GenerateDocumentationResponse>;

// ---------------------------------------------------------------- squid logs

/** `lines` of the squid-logs query: default and most (api-reference "Get Squid Proxy Logs"). */
export const SQUID_LOG_DEFAULT_LINES = 50;
export const SQUID_LOG_MAX_LINES = 500;

/**
 * `?lines=N` of the squid-logs route: a whole number 1..500 written in digits, default 50; anything else is a
 * 400 VALIDATION_ERROR.
 */
export const SquidLogsQuery = z.object({
  lines: z
    .string()
    .regex(/^[0-9]{1,4}$/, `lines must be a whole number from 1 to ${SQUID_LOG_MAX_LINES}`)
    .transform(Number)
    .pipe(z.number().int().min(1, 'lines must be at least 1').max(SQUID_LOG_MAX_LINES, `lines must be at most ${SQUID_LOG_MAX_LINES}`))
    .optional()
    .default(SQUID_LOG_DEFAULT_LINES),
});
export type SquidLogsQuery = z.output<typeof SquidLogsQuery>;

/**
 * One squid access-log line, fields as squid wrote them (strings; api-reference "Log Entry Fields"):
 * `timestamp` epoch seconds with milliseconds, `duration` ms, `clientIP` the sender's address, `status`
 * `<result>/<http status>` (e.g. `TCP_DENIED/403`), `bytes`, `method`, `url`, `rawLine` the whole line;
 * ours: `user`, the authenticated proxy user (the workspace's id) the line was attributed by.
 */
export const SquidLogEntry = z.object({
  timestamp: z.string(),
  duration: z.string(),
  clientIP: z.string(),
  status: z.string(),
  bytes: z.string(),
  method: z.string(),
  url: z.string(),
  rawLine: z.string(),
  user: z.string(),
});
export type SquidLogEntry = z.infer<typeof SquidLogEntry>;

/**
 * `GET /api/projects/:projectId/squid-logs?lines=N`: the workspace's last N lines, oldest first. Only for
 * workspaces in `security` mode (else 404 {@link ProxyNotUsedErrorBody}). `ipAddress`: the workspace's address
 * on the proxy network, or `""`.
 */
export const SquidLogsResponse = z.object({
  success: z.literal(true),
  ipAddress: z.string(),
  logs: z.array(SquidLogEntry),
});
export type SquidLogsResponse = z.infer<typeof SquidLogsResponse>;

// ---------------------------------------------------------------- errors

/** Message of the 404 for an unknown workspace or one that does not use the route's proxy (api-reference). */
export const PROXY_NOT_USED_MESSAGE = 'Workspace not found or not using proxy';

/**
 * 404 of the recordings and squid-log routes for a workspace that does not exist or does not use that proxy
 * (`logging` for recordings, `security` for squid logs): our error shape plus the contract's `message`.
 */
export const ProxyNotUsedErrorBody = z.object({
  success: z.literal(false),
  error: z.literal(PROXY_NOT_USED_MESSAGE),
  code: ErrorCode.extract(['PROJECT_NOT_FOUND']),
  message: z.literal(PROXY_NOT_USED_MESSAGE),
});
export type ProxyNotUsedErrorBody = z.infer<typeof ProxyNotUsedErrorBody>;
