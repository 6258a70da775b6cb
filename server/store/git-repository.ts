import type { SqliteDatabase } from './database.js';

/**
 * The stored Git server settings (migration v7, table `git_settings`, one row). Holds secrets (admin token,
 * service user's token): callers must never put them in answers or logs.
 */
export interface GitSettingsRecord {
  enabled: boolean;
  /** `external`: the teacher's server at `url`; `managed`: Forgejo in a container run by the app (v8). */
  mode: 'external' | 'managed';
  /** Base URL of the Forgejo/Gitea server ('' = none). */
  url: string;
  /** Admin access token on that server (null = none stored). */
  adminToken: string | null;
  /** Our non-admin service user there and its token (null = not created yet). */
  serviceUser: string | null;
  serviceToken: string | null;
  /** The service user's password (v8; null for users made before, or not created yet). */
  servicePassword: string | null;
}

interface Row {
  mode: string;
  service_password: string | null;
  enabled: number;
  url: string;
  admin_token: string | null;
  service_user: string | null;
  service_token: string | null;
}

/** Defaults before anything was saved: disabled, no URL, no secrets. */
export const DEFAULT_GIT_SETTINGS: GitSettingsRecord = {
  enabled: false,
  mode: 'external',
  url: '',
  adminToken: null,
  serviceUser: null,
  serviceToken: null,
  servicePassword: null,
};

/** Reads and writes the single `git_settings` row. */
export class GitSettingsRepository {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      get: db.prepare<[], Row>('SELECT enabled, mode, url, admin_token, service_user, service_token, service_password FROM git_settings WHERE id = 1'),
      put: db.prepare<[number, string, string, string | null, string | null, string | null, string | null]>(
        `INSERT INTO git_settings (id, enabled, mode, url, admin_token, service_user, service_token, service_password) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode, url = excluded.url, admin_token = excluded.admin_token,
           service_user = excluded.service_user, service_token = excluded.service_token, service_password = excluded.service_password`,
      ),
    };
  }

  /** The stored settings, or {@link DEFAULT_GIT_SETTINGS} when never saved. */
  get(): GitSettingsRecord {
    const row = this.statements.get.get();
    if (!row) return { ...DEFAULT_GIT_SETTINGS };
    return {
      enabled: row.enabled === 1,
      mode: row.mode === 'managed' ? 'managed' : 'external',
      url: row.url,
      adminToken: row.admin_token,
      serviceUser: row.service_user,
      serviceToken: row.service_token,
      servicePassword: row.service_password,
    };
  }

  /** Replaces the stored settings. */
  put(record: GitSettingsRecord): void {
    this.statements.put.run(record.enabled ? 1 : 0, record.mode, record.url, record.adminToken, record.serviceUser, record.serviceToken, record.servicePassword);
  }
}
