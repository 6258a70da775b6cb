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
  {
    version: 3,
    description: 'workshop claims and settings',
    up(db) {
      // Claims are never deleted: a release sets released_at, so the history survives (issue #4). No foreign
      // key to projects: a deleted workspace's claims stay in the history, with the name it had
      // (project_name). The partial unique indexes make "one active claim per seat" and "one active claim per
      // e-mail" hold in the database itself, whatever the code above it does. email_norm is
      // lower(trim(email)), computed by the application (SQLite's lower() only folds ASCII).
      db.exec(`
        CREATE TABLE workshop_claims (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          project_id TEXT NOT NULL,
          project_name TEXT NOT NULL,
          name TEXT NOT NULL,
          email TEXT NOT NULL,
          email_norm TEXT NOT NULL,
          claim_key TEXT NOT NULL,
          claimed_at TEXT NOT NULL,
          released_at TEXT
        );
        CREATE UNIQUE INDEX workshop_claims_active_project ON workshop_claims (project_id) WHERE released_at IS NULL;
        CREATE UNIQUE INDEX workshop_claims_active_email ON workshop_claims (email_norm) WHERE released_at IS NULL;
        CREATE INDEX workshop_claims_released ON workshop_claims (released_at);
        CREATE TABLE workshop_settings (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          group_name TEXT,
          registration_open INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 4,
    description: 'clone source of a workspace; workshop claims belong to a group',
    up(db) {
      // cloned_from: the workspace a clone was copied from (null: not a clone, or made before v4). A workspace
      // that is the clone source of another one in its group is that group's template, never a seat.
      // group_name of a claim: the group open when it was made; "one active claim per e-mail" holds within a
      // group (a participant of Monday's group may join Tuesday's). Claims from before v4 get the group saved
      // in the settings then ('' when none was saved: the group is unknown).
      db.exec(`
        ALTER TABLE projects ADD COLUMN cloned_from TEXT;
        ALTER TABLE workshop_claims ADD COLUMN group_name TEXT NOT NULL DEFAULT '';
        UPDATE workshop_claims SET group_name = COALESCE((SELECT group_name FROM workshop_settings WHERE id = 1), '');
        DROP INDEX workshop_claims_active_email;
        CREATE UNIQUE INDEX workshop_claims_active_group_email ON workshop_claims (group_name, email_norm) WHERE released_at IS NULL;
      `);
    },
  },
  {
    version: 5,
    description: 'security proxy whitelist',
    up(db) {
      // The normalised whitelist (issue #5), one `.domain` per row. No rows: never saved, the base domains apply.
      db.exec(`CREATE TABLE whitelist_domains (domain TEXT PRIMARY KEY) WITHOUT ROWID`);
    },
  },
  {
    version: 6,
    description: 'proxy credentials and LLM logging proxy recordings',
    up(db) {
      // Per-workspace proxy credential (issue #5): the proxies know the user (= project id) by this secret, so
      // traffic is attributed to the workspace that sent it, never by its (reusable) address. NULL = none yet.
      db.exec(`ALTER TABLE projects ADD COLUMN proxy_secret TEXT`);
      // Destination hosts seen by the logging proxy per workspace (times: ISO 8601 UTC).
      db.exec(`CREATE TABLE recorded_domains (
        project_id TEXT NOT NULL,
        domain TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (project_id, domain)
      ) WITHOUT ROWID`);
      // One LLM API exchange per row; \`record\` is the redacted raw record as the proxy wrote it (JSON).
      db.exec(`CREATE TABLE llm_conversations (
        project_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (project_id, conversation_id)
      ) WITHOUT ROWID`);
      db.exec(`CREATE INDEX llm_conversations_by_time ON llm_conversations (project_id, started_at)`);
    },
  },
  {
    version: 7,
    description: 'git server settings',
    up(db) {
      // The Git server (issue #7), one row (id = 1): url '' = none configured. admin_token is the teacher's admin
      // token on that server; service_user/service_token the non-admin user we create there on first use
      // (NULL = not yet). Secrets: never answered by the API, never logged.
      db.exec(`CREATE TABLE git_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        enabled INTEGER NOT NULL,
        url TEXT NOT NULL,
        admin_token TEXT,
        service_user TEXT,
        service_token TEXT
      )`);
    },
  },
  {
    version: 8,
    description: 'managed git server, service password, workspace git state',
    up(db) {
      // mode: 'external' (the teacher's Forgejo/Gitea at url) or 'managed' (Forgejo in a container run by the
      // app). service_password: the service user's password (Forgejo makes access tokens only with basic auth;
      // NULL for users made before v8: a new one is set with the admin token when needed).
      db.exec(`ALTER TABLE git_settings ADD COLUMN mode TEXT NOT NULL DEFAULT 'external'`);
      db.exec(`ALTER TABLE git_settings ADD COLUMN service_password TEXT`);
      // A workspace's repository (owner/name on the Git server), the branch it works on and why its git set-up
      // (first push, clone branch) failed (NULL = fine or not tried).
      db.exec(`ALTER TABLE projects ADD COLUMN git_repo TEXT`);
      db.exec(`ALTER TABLE projects ADD COLUMN git_branch TEXT`);
      db.exec(`ALTER TABLE projects ADD COLUMN git_error TEXT`);
    },
  },
];
