import type Database from 'better-sqlite3';

/** One schema step. `up` runs inside a transaction opened by `applyMigrations`. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/**
 * The schema history, oldest first. Never edit a released step; append a new one.
 * Statuses and enums are checked by the application (contract schemas), the database only keeps them.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'projects table',
    up(db) {
      db.exec(`
        CREATE TABLE projects (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          status TEXT NOT NULL,
          status_reason TEXT,
          created_at TEXT NOT NULL,
          last_activity TEXT,
          password_hash TEXT,
          proxy_mode TEXT NOT NULL DEFAULT 'none',
          memory_limit TEXT NOT NULL DEFAULT '2g',
          cpu_cores TEXT NOT NULL DEFAULT '2',
          group_name TEXT,
          create_git_repo INTEGER NOT NULL DEFAULT 0,
          git_repo_url TEXT,
          container_id TEXT,
          image TEXT NOT NULL
        );
        CREATE UNIQUE INDEX projects_name_unique ON projects (lower(name));
      `);
    },
  },
  {
    version: 2,
    description: 'project notes',
    up(db) {
      // Notes live beside the record but outside ProjectRecord: they can be 10 KB and are read on demand only.
      db.exec(`ALTER TABLE projects ADD COLUMN notes TEXT NOT NULL DEFAULT ''`);
    },
  },
];
