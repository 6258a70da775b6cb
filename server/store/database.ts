import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

/** An open SQLite database handle (better-sqlite3, synchronous). */
export type SqliteDatabase = Database.Database;

/** File name of the database inside the data directory. */
export const DATABASE_FILE_NAME = 'xares.sqlite';

/**
 * Opens (creating if needed) `<dataDir>/xares.sqlite` in WAL mode with foreign keys on, and applies every
 * pending migration. The data directory is created with mode 0700 when missing.
 * @throws Error when the file cannot be opened or a migration fails (the failing migration is rolled back).
 */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, DATABASE_FILE_NAME);
  const db = new Database(file);
  try {
    chmodSync(file, 0o600);
  } catch {
    // Not fatal (e.g. a file system without POSIX modes).
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, migrations);
  return db;
}

/**
 * Applies, in order, every migration whose version is above `PRAGMA user_version`; each one runs in its own
 * transaction together with the version bump, so a failure leaves the database at the previous version.
 * @returns the schema version after migrating.
 * @throws Error when versions are not strictly increasing or a migration fails.
 */
export function applyMigrations(db: SqliteDatabase, migrations: readonly Migration[]): number {
  let previous = 0;
  for (const migration of migrations) {
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(`Migration versions must be increasing integers (got ${migration.version} after ${previous})`);
    }
    previous = migration.version;
  }
  let current = schemaVersion(db);
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
    current = migration.version;
  }
  return current;
}

/** Current schema version (`PRAGMA user_version`). */
export function schemaVersion(db: SqliteDatabase): number {
  return Number(db.pragma('user_version', { simple: true }));
}
