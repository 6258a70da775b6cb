import type { Logger } from 'pino';
import {
  CONVERSATION_ID_PATTERN,
  type DocumentationType,
  type LlmConversation,
  type RecordedDomainsResponse,
} from '../contract/index.js';
import type { DomainCountDelta, RecordingsRepository } from '../store/recordings-repository.js';
import { conversationFromRecord } from './llm-conversation.js';
import { LlmRecord, parseRecordFile, RECORD_FILE_PATTERN } from './llm-record.js';
import { documentableConversations, generateDocumentation } from './recordings-documentation.js';
import { recordedDomainsBody } from './recordings-domains.js';
import { ServiceError } from './service-error.js';

/** One file of the logging proxy's records directory: its base name and its text. */
export interface RawRecordFile {
  name: string;
  content: string;
}

/**
 * Where the LLM Logging Proxy's record files come from (implemented by the proxy manager; tests use a fake).
 * `collect` returns the complete (renamed, not `.tmp`) `*.json` files present now, an empty list when the proxy
 * has none or does not run; `acknowledge` deletes the named files (names as returned by `collect`, matching
 * `^(llm|domains)-[0-9]{13}-[0-9a-f]{8}\.json$`) once they are stored. Both may throw when the proxy cannot be
 * reached; nothing is lost then (files stay until acknowledged).
 */
export interface RecordingsSource {
  collect(): Promise<RawRecordFile[]>;
  acknowledge(names: string[]): Promise<void>;
}

/** What one {@link RecordingsService.ingest} did (counts of files and rows). */
export interface IngestResult {
  files: number;
  conversations: number;
  domainEntries: number;
  invalid: number;
}

/** Options of {@link RecordingsService}. */
export interface RecordingsServiceOptions {
  repository: RecordingsRepository;
  /** The proxy's records; without one the service only serves what is stored. */
  source?: RecordingsSource;
  logger: Logger;
  /**
   * Whether a workspace exists: records of other users (a workspace deleted meanwhile, a forged name) are
   * dropped instead of stored. Default: every user is kept.
   */
  isProject?: (projectId: string) => boolean;
}

/** Parsed conversations kept in memory (records never change, so a parse is reused until deleted). */
const CONVERSATION_CACHE_SIZE = 5_000;

/** Headers the proxy redacts; redacted here once more before storing (defence in depth). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie', 'set-cookie', 'x-goog-api-key']);
/** Query parameters that carry API keys (e.g. Google's `?key=`); their values are redacted in stored paths. */
const SECRET_QUERY_PARAMS = /([?&](?:key|api[_-]?key|access_token|token)=)[^&#]*/gi;

/**
 * The LLM Logging Proxy's recordings per workspace (issue #5): takes the proxy's record files in
 * ({@link ingest}), stores them, and answers the recorded-domains, conversations and documentation routes.
 * Every query first ingests what the proxy has written since (when a source is set), so answers are current.
 */
export class RecordingsService {
  private ingestRunning: Promise<IngestResult> | null = null;
  private ingestQueued: Promise<IngestResult> | null = null;
  /** Files stored whose acknowledgement failed: never stored twice (domain counts are deltas), only acknowledged. */
  private readonly storedNotAcknowledged = new Set<string>();
  private readonly cache = new Map<string, LlmConversation>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: RecordingsServiceOptions) {}

  /**
   * Also ingests every `intervalMs` (so records do not pile up in the proxy while nobody looks). No-op without a
   * source or after {@link close}; calling it again replaces the interval.
   */
  startPeriodicIngest(intervalMs: number): void {
    if (!this.options.source || this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.ingest(), intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic ingest and waits for a running one, so the store can be closed after it. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await (this.ingestQueued ?? this.ingestRunning ?? Promise.resolve());
  }

  /**
   * Collects the source's files, stores them and acknowledges them. Never two at once: a call while one runs
   * waits for it and then runs once more (calls arriving meanwhile share that second run). A file that is not a
   * valid record is logged and acknowledged (it would never become valid); the source failing is logged and
   * nothing is acknowledged. Never rejects. After {@link close}: does nothing.
   */
  ingest(): Promise<IngestResult> {
    if (this.closed) return Promise.resolve({ files: 0, conversations: 0, domainEntries: 0, invalid: 0 });
    if (!this.ingestRunning) {
      this.ingestRunning = this.runIngest()
        .catch((error: unknown) => {
          this.options.logger.error({ err: error }, 'unexpected error while ingesting the logging proxy records');
          return { files: 0, conversations: 0, domainEntries: 0, invalid: 0 };
        })
        .finally(() => {
        this.ingestRunning = null;
      });
      return this.ingestRunning;
    }
    this.ingestQueued ??= this.ingestRunning.then(() => {
      this.ingestQueued = null;
      return this.ingest();
    });
    return this.ingestQueued;
  }

  private async runIngest(): Promise<IngestResult> {
    const result: IngestResult = { files: 0, conversations: 0, domainEntries: 0, invalid: 0 };
    const { source, logger } = this.options;
    if (!source) return result;
    let files: RawRecordFile[];
    try {
      files = await source.collect();
    } catch (error) {
      logger.warn({ err: error }, 'cannot collect the logging proxy records');
      return result;
    }
    const isProject = this.options.isProject ?? (() => true);
    const conversations: { projectId: string; conversationId: string; startedAt: string; record: string }[] = [];
    const deltas: DomainCountDelta[] = [];
    const done: string[] = [];
    for (const file of files) {
      if (typeof file?.name !== 'string' || !RECORD_FILE_PATTERN.test(file.name)) continue; // not ours to delete
      done.push(file.name);
      if (this.storedNotAcknowledged.has(file.name)) continue;
      result.files += 1;
      const parsed = parseRecordFile(file.name, typeof file.content === 'string' ? file.content : '');
      if (parsed.kind === 'invalid') {
        result.invalid += 1;
        logger.warn({ file: file.name, reason: parsed.reason }, 'dropping an invalid logging proxy record');
      } else if (parsed.kind === 'llm') {
        if (!isProject(parsed.record.user)) {
          logger.info({ file: file.name }, 'dropping a logging proxy record of an unknown workspace');
          continue;
        }
        const record = redactRecord(parsed.record);
        conversations.push({ projectId: record.user, conversationId: record.id, startedAt: record.startedAt, record: JSON.stringify(record) });
      } else {
        if (parsed.skipped > 0) logger.warn({ file: file.name, skipped: parsed.skipped }, 'skipping invalid entries of a logging proxy record');
        for (const entry of parsed.entries) {
          if (!isProject(entry.user)) continue;
          deltas.push({ projectId: entry.user, domain: entry.host, count: entry.count, firstSeen: entry.firstSeen, lastSeen: entry.lastSeen });
        }
      }
    }
    if (done.length === 0) return result;
    try {
      result.conversations = this.options.repository.insertConversations(conversations);
      this.options.repository.addDomainCounts(deltas);
      result.domainEntries = deltas.length;
    } catch (error) {
      // Nothing acknowledged: the files are read again next time.
      logger.error({ err: error }, 'cannot store the logging proxy records');
      return { ...result, conversations: 0, domainEntries: 0 };
    }
    for (const name of done) this.storedNotAcknowledged.add(name);
    try {
      await source.acknowledge(done);
      for (const name of done) this.storedNotAcknowledged.delete(name);
    } catch (error) {
      logger.warn({ err: error, files: done.length }, 'cannot remove stored logging proxy records; they will be removed later');
    }
    return result;
  }

  /** Ingests unless there is no source (queries call this first). */
  private async refresh(): Promise<void> {
    if (this.options.source) await this.ingest();
  }

  /**
   * Body of `GET .../recorded-domains` for a workspace (the caller has checked it exists and uses the logging
   * proxy). `ipAddress`: its address on the proxy network, or `''`.
   */
  async recordedDomains(projectId: string, ipAddress = ''): Promise<RecordedDomainsResponse> {
    await this.refresh();
    return recordedDomainsBody(projectId, ipAddress, this.options.repository.domains(projectId));
  }

  /** The workspace's recorded conversations, oldest first. A stored record that no longer parses is skipped (and logged). */
  async conversations(projectId: string): Promise<LlmConversation[]> {
    await this.refresh();
    const list: LlmConversation[] = [];
    for (const stored of this.options.repository.conversations(projectId)) {
      const key = `${projectId}/${stored.conversationId}`;
      let conversation = this.cache.get(key);
      if (!conversation) {
        const parsed = parseStoredRecord(stored.record);
        if (!parsed) {
          this.options.logger.warn({ projectId, conversation: stored.conversationId }, 'skipping an unreadable stored LLM record');
          continue;
        }
        conversation = conversationFromRecord(parsed);
        this.remember(key, conversation);
      }
      list.push(conversation);
    }
    return list;
  }

  /**
   * Deletes one conversation of the workspace.
   * @throws ServiceError VALIDATION_ERROR when `identifier` is not exactly `<13 digits>-<8 hex>`; NOT_FOUND when
   *   the workspace has no such conversation (also when another workspace has it).
   */
  async deleteConversation(projectId: string, identifier: string): Promise<void> {
    if (!CONVERSATION_ID_PATTERN.test(identifier)) {
      throw new ServiceError('VALIDATION_ERROR', 'Invalid conversation identifier', {
        timestamp: 'A conversation identifier looks like 1733234567123-0a1b2c3d',
      });
    }
    await this.refresh();
    if (!this.options.repository.deleteConversation(projectId, identifier)) {
      throw new ServiceError('NOT_FOUND', 'Conversation not found');
    }
    this.cache.delete(`${projectId}/${identifier}`);
  }

  /** Deletes all conversations of the workspace (recorded domains stay). @returns how many were deleted. */
  async deleteAll(projectId: string): Promise<number> {
    await this.refresh();
    const count = this.options.repository.deleteConversations(projectId);
    this.forget(projectId);
    return count;
  }

  /**
   * Markdown documentation of the workspace's conversations (see recordings-documentation.ts); `conversationCount`
   * counts the exchanges it covers (model calls with an answer or an error).
   */
  async documentation(projectId: string, type: DocumentationType): Promise<{ documentation: string; conversationCount: number }> {
    const conversations = documentableConversations(await this.conversations(projectId));
    return { documentation: generateDocumentation(conversations, { projectId, type }), conversationCount: conversations.length };
  }

  /** Removes everything recorded for a deleted workspace. Never throws (logged). */
  deleteProject(projectId: string): void {
    try {
      this.options.repository.deleteProject(projectId);
    } catch (error) {
      this.options.logger.error({ err: error, projectId }, 'cannot delete the recordings of a deleted workspace');
    }
    this.forget(projectId);
  }

  private remember(key: string, conversation: LlmConversation): void {
    if (this.cache.size >= CONVERSATION_CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, conversation);
  }

  private forget(projectId: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${projectId}/`)) this.cache.delete(key);
  }
}

function parseStoredRecord(text: string): LlmRecord | null {
  try {
    const parsed = LlmRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The record with secret headers and API-key query parameters replaced by `[redacted]` (whatever the proxy did). */
export function redactRecord(record: LlmRecord): LlmRecord {
  const headers = (list: [string, string][]): [string, string][] => list.map(([name, value]) => [name, SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value]);
  return {
    ...record,
    request: { ...record.request, path: record.request.path.replace(SECRET_QUERY_PARAMS, '$1[redacted]'), headers: headers(record.request.headers) },
    response: record.response ? { ...record.response, headers: headers(record.response.headers) } : null,
  };
}
