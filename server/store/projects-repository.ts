import type { CpuCores, MemoryLimit, ProjectStatus, ProjectType, ProxyMode } from '../contract/index.js';
import type { SqliteDatabase } from './database.js';

/** A project as stored. Times are ISO-8601 strings (UTC). `passwordHash` is an argon2id PHC string or null. */
export interface ProjectRecord {
  id: string;
  name: string;
  type: ProjectType;
  status: ProjectStatus;
  statusReason: string | null;
  createdAt: string;
  lastActivity: string | null;
  passwordHash: string | null;
  proxyMode: ProxyMode;
  memoryLimit: MemoryLimit;
  cpuCores: CpuCores;
  group: string | null;
  createGitRepo: boolean;
  gitRepoUrl: string | null;
  containerId: string | null;
  /** Image tag the container was created from. */
  image: string;
  /**
   * Id of the workspace this one was cloned from (migration v4); null or absent: not a clone (or cloned before
   * v4). The source may since have been deleted.
   */
  clonedFrom?: string | null;
  /** Its repository on the Git server as `owner/name` (v8); null/absent: none. */
  gitRepo?: string | null;
  /** The branch it works on (`main`, or `clone/<name>` for clones); null/absent: none set up. */
  gitBranch?: string | null;
  /** Why its git set-up (first push, clone branch) failed; null/absent: fine or not tried. */
  gitError?: string | null;
}

interface ProjectRow {
  id: string;
  name: string;
  type: string;
  status: string;
  status_reason: string | null;
  created_at: string;
  last_activity: string | null;
  password_hash: string | null;
  proxy_mode: string;
  memory_limit: string;
  cpu_cores: string;
  group_name: string | null;
  create_git_repo: number;
  git_repo_url: string | null;
  container_id: string | null;
  image: string;
  cloned_from: string | null;
  git_repo: string | null;
  git_branch: string | null;
  git_error: string | null;
}

/** Thrown by `insert` when another project already has the same name (case-insensitive). */
export class DuplicateProjectNameError extends Error {
  override name = 'DuplicateProjectNameError';
}

function fromRow(row: ProjectRow): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ProjectType,
    status: row.status as ProjectStatus,
    statusReason: row.status_reason,
    createdAt: row.created_at,
    lastActivity: row.last_activity,
    passwordHash: row.password_hash,
    proxyMode: row.proxy_mode as ProxyMode,
    memoryLimit: row.memory_limit as MemoryLimit,
    cpuCores: row.cpu_cores as CpuCores,
    group: row.group_name,
    createGitRepo: row.create_git_repo === 1,
    gitRepoUrl: row.git_repo_url,
    containerId: row.container_id,
    image: row.image,
    clonedFrom: row.cloned_from,
    gitRepo: row.git_repo,
    gitBranch: row.git_branch,
    gitError: row.git_error,
  };
}

/** All SQL about projects. Every write is a single statement (atomic in SQLite). */
export class ProjectsRepository {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      all: db.prepare<[], ProjectRow>('SELECT * FROM projects ORDER BY created_at, id'),
      byId: db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE id = ?'),
      insert: db.prepare(
        `INSERT INTO projects (id, name, type, status, status_reason, created_at, last_activity, password_hash, proxy_mode,
           memory_limit, cpu_cores, group_name, create_git_repo, git_repo_url, container_id, image, cloned_from, git_repo, git_branch, git_error)
         VALUES (@id, @name, @type, @status, @statusReason, @createdAt, @lastActivity, @passwordHash, @proxyMode,
           @memoryLimit, @cpuCores, @group, @createGitRepo, @gitRepoUrl, @containerId, @image, @clonedFrom, @gitRepo, @gitBranch, @gitError)`,
      ),
      setStatus: db.prepare('UPDATE projects SET status = ?, status_reason = ? WHERE id = ?'),
      setContainer: db.prepare('UPDATE projects SET container_id = ? WHERE id = ?'),
      setActivity: db.prepare('UPDATE projects SET last_activity = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM projects WHERE id = ?'),
      setName: db.prepare('UPDATE projects SET name = ? WHERE id = ?'),
      setGitState: db.prepare('UPDATE projects SET git_branch = ?, git_error = ? WHERE id = ?'),
      setGroup: db.prepare('UPDATE projects SET group_name = ? WHERE id = ?'),
      notes: db.prepare<[string], { notes: string }>('SELECT notes FROM projects WHERE id = ?'),
      setNotes: db.prepare('UPDATE projects SET notes = ? WHERE id = ?'),
      setPasswordHash: db.prepare('UPDATE projects SET password_hash = ? WHERE id = ?'),
      proxySecret: db.prepare<[string], { proxy_secret: string | null }>('SELECT proxy_secret FROM projects WHERE id = ?'),
      setProxySecret: db.prepare('UPDATE projects SET proxy_secret = ? WHERE id = ?'),
      proxyClients: db.prepare<[], { id: string; proxy_mode: string; proxy_secret: string | null }>(
        "SELECT id, proxy_mode, proxy_secret FROM projects WHERE proxy_mode <> 'none' ORDER BY id",
      ),
    };
  }

  /** Every project, oldest first. */
  list(): ProjectRecord[] {
    return this.statements.all.all().map(fromRow);
  }

  get(id: string): ProjectRecord | null {
    const row = this.statements.byId.get(id);
    return row ? fromRow(row) : null;
  }

  /** @throws DuplicateProjectNameError when the name (case-insensitive) is taken. */
  insert(record: ProjectRecord): void {
    try {
      this.statements.insert.run({
        ...record,
        createGitRepo: record.createGitRepo ? 1 : 0,
        clonedFrom: record.clonedFrom ?? null,
        gitRepo: record.gitRepo ?? null,
        gitBranch: record.gitBranch ?? null,
        gitError: record.gitError ?? null,
      });
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && /name/.test(error.message)) {
        throw new DuplicateProjectNameError(`A project named "${record.name}" already exists`);
      }
      throw error;
    }
  }

  /** @returns false when no such project. */
  setStatus(id: string, status: ProjectStatus, reason: string | null): boolean {
    return this.statements.setStatus.run(status, reason, id).changes > 0;
  }

  setContainerId(id: string, containerId: string | null): boolean {
    return this.statements.setContainer.run(containerId, id).changes > 0;
  }

  /** Records a workspace's git branch and set-up error (null = fine). @returns false when no such project. */
  setGitState(id: string, branch: string | null, error: string | null): boolean {
    return this.statements.setGitState.run(branch, error, id).changes > 0;
  }

  setLastActivity(id: string, isoTime: string): boolean {
    return this.statements.setActivity.run(isoTime, id).changes > 0;
  }

  /**
   * Renames a project. @returns false when no such project.
   * @throws DuplicateProjectNameError when another project has that name (case-insensitive unique index).
   */
  setName(id: string, name: string): boolean {
    try {
      return this.statements.setName.run(name, id).changes > 0;
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && /name/.test(error.message)) {
        throw new DuplicateProjectNameError(`A project named "${name}" already exists`);
      }
      throw error;
    }
  }

  /** Sets or (with null) clears the group. @returns false when no such project. */
  setGroup(id: string, group: string | null): boolean {
    return this.statements.setGroup.run(group, id).changes > 0;
  }

  /** The notes text (`''` when none), or null when no such project. */
  getNotes(id: string): string | null {
    return this.statements.notes.get(id)?.notes ?? null;
  }

  /** Replaces the notes text, stored exactly as given. @returns false when no such project. */
  setNotes(id: string, notes: string): boolean {
    return this.statements.setNotes.run(notes, id).changes > 0;
  }

  /** Sets (argon2id PHC string) or removes (null) the password hash of a project. @returns false when no such id. */
  setPasswordHash(id: string, passwordHash: string | null): boolean {
    return this.statements.setPasswordHash.run(passwordHash, id).changes > 0;
  }

  /** The proxy credential secret of a project (migration v6), or null (none yet, or no such project). */
  getProxySecret(id: string): string | null {
    return this.statements.proxySecret.get(id)?.proxy_secret ?? null;
  }

  /** Stores a project's proxy credential secret. @returns false when no such project. */
  setProxySecret(id: string, secret: string): boolean {
    return this.statements.setProxySecret.run(secret, id).changes > 0;
  }

  /** Projects whose proxy mode is not `none`, with their proxy secrets (null when none was made yet), by id. */
  listProxyClients(): Array<{ id: string; proxyMode: ProxyMode; proxySecret: string | null }> {
    return this.statements.proxyClients.all().map((row) => ({ id: row.id, proxyMode: row.proxy_mode as ProxyMode, proxySecret: row.proxy_secret }));
  }

  /** @returns false when no such project. */
  remove(id: string): boolean {
    return this.statements.remove.run(id).changes > 0;
  }
}
