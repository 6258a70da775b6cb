import type { SqliteDatabase } from './database.js';

/** One host counter per workspace (table `recorded_domains`, migration v6). Times: ISO 8601 UTC with ms. */
export interface RecordedDomainRow {
  domain: string;
  count: number;
  first_seen: string;
  last_seen: string;
}

/** A host count to add (a delta from one proxy record). */
export interface DomainCountDelta {
  projectId: string;
  domain: string;
  count: number;
  /** ISO 8601 times; stored normalised (`toISOString`) so that text order is time order. */
  firstSeen: string;
  lastSeen: string;
}

/** A stored LLM exchange (table `llm_conversations`): the redacted raw record as JSON text. */
export interface StoredConversation {
  conversationId: string;
  startedAt: string;
  record: string;
}

/**
 * What the LLM Logging Proxy recorded per workspace (migration v6): host counters and raw LLM exchange records.
 * Rows of a workspace are removed with {@link RecordingsRepository.deleteProject} when it is deleted.
 */
export class RecordingsRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      addDomain: db.prepare<[string, string, number, string, string]>(
        `INSERT INTO recorded_domains (project_id, domain, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (project_id, domain) DO UPDATE SET
           count = count + excluded.count,
           first_seen = min(first_seen, excluded.first_seen),
           last_seen = max(last_seen, excluded.last_seen)`,
      ),
      listDomains: db.prepare<[string], RecordedDomainRow>('SELECT domain, count, first_seen, last_seen FROM recorded_domains WHERE project_id = ? ORDER BY domain'),
      insertConversation: db.prepare<[string, string, string, string]>(
        'INSERT OR IGNORE INTO llm_conversations (project_id, conversation_id, started_at, record) VALUES (?, ?, ?, ?)',
      ),
      listConversations: db.prepare<[string], { conversationId: string; startedAt: string; record: string }>(
        `SELECT conversation_id AS conversationId, started_at AS startedAt, record FROM llm_conversations
         WHERE project_id = ? ORDER BY started_at, conversation_id`,
      ),
      hasConversation: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM llm_conversations WHERE project_id = ? AND conversation_id = ?'),
      deleteConversation: db.prepare<[string, string]>('DELETE FROM llm_conversations WHERE project_id = ? AND conversation_id = ?'),
      deleteConversations: db.prepare<[string]>('DELETE FROM llm_conversations WHERE project_id = ?'),
      deleteDomains: db.prepare<[string]>('DELETE FROM recorded_domains WHERE project_id = ?'),
    };
  }

  /**
   * Adds host counts in one transaction: per (workspace, host) the count grows by `count`, `first_seen` keeps the
   * earliest and `last_seen` the latest time. @throws RangeError for a time that is not a date.
   */
  addDomainCounts(deltas: readonly DomainCountDelta[]): void {
    const rows = deltas.map((delta) => [delta.projectId, delta.domain, delta.count, isoTime(delta.firstSeen), isoTime(delta.lastSeen)] as const);
    this.db.transaction(() => {
      for (const row of rows) this.statements.addDomain.run(...row);
    })();
  }

  /** The host counters of a workspace, by host name. */
  domains(projectId: string): RecordedDomainRow[] {
    return this.statements.listDomains.all(projectId);
  }

  /**
   * Stores LLM exchange records in one transaction; one already stored (same workspace and id) is left as it was,
   * so ingesting the same file twice is harmless. @returns how many were new.
   */
  insertConversations(rows: readonly { projectId: string; conversationId: string; startedAt: string; record: string }[]): number {
    let inserted = 0;
    this.db.transaction(() => {
      for (const row of rows) inserted += this.statements.insertConversation.run(row.projectId, row.conversationId, isoTime(row.startedAt), row.record).changes;
    })();
    return inserted;
  }

  /** The stored exchanges of a workspace, oldest first. */
  conversations(projectId: string): StoredConversation[] {
    return this.statements.listConversations.all(projectId);
  }

  /** Whether the workspace has an exchange with this id. */
  hasConversation(projectId: string, conversationId: string): boolean {
    return this.statements.hasConversation.get(projectId, conversationId) !== undefined;
  }

  /** Deletes one exchange of the workspace. @returns whether it existed. */
  deleteConversation(projectId: string, conversationId: string): boolean {
    return this.statements.deleteConversation.run(projectId, conversationId).changes > 0;
  }

  /** Deletes all exchanges of the workspace (host counters stay). @returns how many there were. */
  deleteConversations(projectId: string): number {
    return this.statements.deleteConversations.run(projectId).changes;
  }

  /** Deletes everything recorded for a workspace (exchanges and host counters): call when it is deleted. */
  deleteProject(projectId: string): void {
    this.db.transaction(() => {
      this.statements.deleteConversations.run(projectId);
      this.statements.deleteDomains.run(projectId);
    })();
  }
}

function isoTime(value: string): string {
  return new Date(value).toISOString();
}
