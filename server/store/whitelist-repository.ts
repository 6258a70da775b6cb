import type { SqliteDatabase } from './database.js';

/**
 * The stored Security Proxy whitelist (migration v5, table `whitelist_domains`): one row per normalised entry
 * (`.example.com`). No rows: the whitelist was never saved (the service then uses the base domains).
 */
export class WhitelistRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      list: db.prepare<[], { domain: string }>('SELECT domain FROM whitelist_domains ORDER BY domain'),
      clear: db.prepare('DELETE FROM whitelist_domains'),
      insert: db.prepare<[string]>('INSERT OR IGNORE INTO whitelist_domains (domain) VALUES (?)'),
    };
  }

  /** The stored entries, sorted; empty when none were ever saved. */
  list(): string[] {
    return this.statements.list.all().map((row) => row.domain);
  }

  /** Replaces all entries with `domains` in one transaction (a reader sees the old list or the new one, never a mix). */
  replace(domains: readonly string[]): void {
    this.db.transaction(() => {
      this.statements.clear.run();
      for (const domain of domains) this.statements.insert.run(domain);
    })();
  }
}
