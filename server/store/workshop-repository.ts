import type { SqliteDatabase } from './database.js';

/**
 * One claim of a workshop seat as stored (migrations v3, v4). Times are ISO-8601 strings (UTC). `claimKey` is a
 * secret (the seat's gate sessions and the participant cookie are signed over it): never sent to clients.
 */
export interface ClaimRecord {
  id: number;
  projectId: string;
  /** Group open for registration when the claim was made (migration v4; '' for older claims: unknown). */
  group: string;
  /** Name of the workspace when it was claimed (kept for the history of a deleted workspace). */
  projectName: string;
  /** Participant name, stored as given (trimmed). */
  name: string;
  /** E-mail address, stored as given (trimmed). */
  email: string;
  /** `email` trimmed and lower-cased: what "the same e-mail" means. */
  emailNorm: string;
  claimKey: string;
  claimedAt: string;
  /** null while the claim is active. */
  releasedAt: string | null;
}

/** The workshop settings row as stored; absent until the teacher saves settings once. */
export interface WorkshopSettingsRecord {
  group: string | null;
  registrationOpen: boolean;
}

interface ClaimRow {
  id: number;
  project_id: string;
  group_name: string;
  project_name: string;
  name: string;
  email: string;
  email_norm: string;
  claim_key: string;
  claimed_at: string;
  released_at: string | null;
}

function fromRow(row: ClaimRow): ClaimRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    group: row.group_name,
    projectName: row.project_name,
    name: row.name,
    email: row.email,
    emailNorm: row.email_norm,
    claimKey: row.claim_key,
    claimedAt: row.claimed_at,
    releasedAt: row.released_at,
  };
}

/** `email` as compared: trimmed and lower-cased (Unicode-aware, unlike SQLite's `lower()`). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Thrown by `insert` when the seat, or the e-mail within the claim's group, already has an active claim
 * (partial unique indexes).
 */
export class ActiveClaimExistsError extends Error {
  override name = 'ActiveClaimExistsError';
  constructor(readonly conflict: 'project' | 'email') {
    super(conflict === 'project' ? 'The seat already has an active claim' : 'The e-mail address already has an active claim');
  }
}

/** All SQL about workshop claims and settings. Every write is one statement; callers group them in `transaction`. */
export class WorkshopRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      active: db.prepare<[], ClaimRow>('SELECT * FROM workshop_claims WHERE released_at IS NULL ORDER BY claimed_at, id'),
      history: db.prepare<[], ClaimRow>('SELECT * FROM workshop_claims WHERE released_at IS NOT NULL ORDER BY released_at DESC, id DESC'),
      byId: db.prepare<[number], ClaimRow>('SELECT * FROM workshop_claims WHERE id = ?'),
      activeByEmail: db.prepare<[string, string], ClaimRow>('SELECT * FROM workshop_claims WHERE group_name = ? AND email_norm = ? AND released_at IS NULL'),
      activeByProject: db.prepare<[string], ClaimRow>('SELECT * FROM workshop_claims WHERE project_id = ? AND released_at IS NULL'),
      insert: db.prepare(
        `INSERT INTO workshop_claims (project_id, group_name, project_name, name, email, email_norm, claim_key, claimed_at, released_at)
         VALUES (@projectId, @group, @projectName, @name, @email, @emailNorm, @claimKey, @claimedAt, NULL)`,
      ),
      release: db.prepare('UPDATE workshop_claims SET released_at = ? WHERE id = ? AND released_at IS NULL'),
      settings: db.prepare<[], { group_name: string | null; registration_open: number }>('SELECT group_name, registration_open FROM workshop_settings WHERE id = 1'),
      saveSettings: db.prepare(
        `INSERT INTO workshop_settings (id, group_name, registration_open) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET group_name = excluded.group_name, registration_open = excluded.registration_open`,
      ),
    };
  }

  /** Runs `fn` in one SQLite transaction (synchronous: nothing else runs in between). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Active claims, oldest first. */
  active(): ClaimRecord[] {
    return this.statements.active.all().map(fromRow);
  }

  /** Released claims, most recently released first. */
  history(): ClaimRecord[] {
    return this.statements.history.all().map(fromRow);
  }

  get(id: number): ClaimRecord | null {
    const row = this.statements.byId.get(id);
    return row ? fromRow(row) : null;
  }

  /** The active claim of a normalized e-mail (see {@link normalizeEmail}) in `group`, or null. */
  activeByEmail(group: string, emailNorm: string): ClaimRecord | null {
    const row = this.statements.activeByEmail.get(group, emailNorm);
    return row ? fromRow(row) : null;
  }

  /** The active claim of a seat, or null. */
  activeByProject(projectId: string): ClaimRecord | null {
    const row = this.statements.activeByProject.get(projectId);
    return row ? fromRow(row) : null;
  }

  /**
   * Inserts an active claim. @returns the stored record (with its id).
   * @throws ActiveClaimExistsError when the seat, or the e-mail in the claim's group, already has an active claim.
   */
  insert(claim: Omit<ClaimRecord, 'id' | 'releasedAt'>): ClaimRecord {
    try {
      const result = this.statements.insert.run(claim);
      return { ...claim, id: Number(result.lastInsertRowid), releasedAt: null };
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ActiveClaimExistsError(/email/.test(error.message) ? 'email' : 'project');
      }
      throw error;
    }
  }

  /** Ends the claim `id` at `releasedAt`. @returns false when it is unknown or already released. */
  release(id: number, releasedAt: string): boolean {
    return this.statements.release.run(releasedAt, id).changes > 0;
  }

  /** The saved settings, or null when the teacher never saved any (the configured default applies). */
  settings(): WorkshopSettingsRecord | null {
    const row = this.statements.settings.get();
    return row ? { group: row.group_name, registrationOpen: row.registration_open === 1 } : null;
  }

  /** Saves the settings (the single row). */
  saveSettings(settings: WorkshopSettingsRecord): void {
    this.statements.saveSettings.run(settings.group, settings.registrationOpen ? 1 : 0);
  }
}
