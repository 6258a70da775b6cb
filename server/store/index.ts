import { openDatabase, type SqliteDatabase } from './database.js';
import { ProjectsRepository } from './projects-repository.js';
import { WorkshopRepository } from './workshop-repository.js';
import { WhitelistRepository } from './whitelist-repository.js';
import { RecordingsRepository } from './recordings-repository.js';
import { GitSettingsRepository } from './git-repository.js';

export { openDatabase, applyMigrations, schemaVersion, DATABASE_FILE_NAME, type SqliteDatabase } from './database.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { ProjectsRepository, DuplicateProjectNameError, type ProjectRecord } from './projects-repository.js';
export { WorkshopRepository, ActiveClaimExistsError, normalizeEmail, type ClaimRecord, type WorkshopSettingsRecord } from './workshop-repository.js';
export { WhitelistRepository } from './whitelist-repository.js';
export { GitSettingsRepository, DEFAULT_GIT_SETTINGS, type GitSettingsRecord } from './git-repository.js';
export { RecordingsRepository, type RecordedDomainRow, type DomainCountDelta, type StoredConversation } from './recordings-repository.js';

/** The store: the open database and one repository per table group. `close()` is idempotent. */
export interface Store {
  readonly db: SqliteDatabase;
  readonly projects: ProjectsRepository;
  readonly workshop: WorkshopRepository;
  readonly whitelist: WhitelistRepository;
  /** What the LLM Logging Proxy recorded (issue #5). */
  readonly recordings: RecordingsRepository;
  /** Git server settings and our service user there (issue #7). */
  readonly git: GitSettingsRepository;
  close(): void;
}

/** Opens the store in `dataDir` (see `openDatabase`). */
export function openStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  let closed = false;
  return {
    db,
    projects: new ProjectsRepository(db),
    workshop: new WorkshopRepository(db),
    whitelist: new WhitelistRepository(db),
    recordings: new RecordingsRepository(db),
    git: new GitSettingsRepository(db),
    close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
