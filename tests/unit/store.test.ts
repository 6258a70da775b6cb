// SQLite store: versioned migrations, WAL, atomic steps, project repository rules, persistence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, applyMigrations, openDatabase, openStore, schemaVersion, DuplicateProjectNameError } from '../../server/store/index.js';
import { projectRecord } from '../helpers/project-record.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const record = projectRecord;

describe('migrations', () => {
  it('brings a new database to the latest version in WAL mode', () => {
    const db = openDatabase(tempDir());
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('is idempotent: reopening applies nothing twice', () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const db = openDatabase(dir);
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    } finally {
      db.close();
    }
  });

  it('rolls a failing migration back completely and keeps the previous version', () => {
    const db = openDatabase(tempDir());
    try {
      const before = schemaVersion(db);
      const failing = [
        ...MIGRATIONS,
        {
          version: before + 1,
          description: 'half-done step',
          up(d: typeof db) {
            d.exec('CREATE TABLE half_done (x INTEGER)');
            throw new Error('boom');
          },
        },
      ];
      expect(() => applyMigrations(db, failing)).toThrow('boom');
      expect(schemaVersion(db)).toBe(before);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('refuses migration lists whose versions do not increase', () => {
    const db = openDatabase(tempDir());
    try {
      const bad = [MIGRATIONS[0]!, { ...MIGRATIONS[0]!, description: 'same version again' }];
      expect(() => applyMigrations(db, bad)).toThrow(/increasing/);
    } finally {
      db.close();
    }
  });
});

describe('projects repository', () => {
  it('round-trips every field and survives reopening', () => {
    const dir = tempDir();
    const store = openStore(dir);
    const full = record({ passwordHash: '$argon2id$v=19$m=1,t=1,p=1$abc$def', group: 'g1', statusReason: 'why', createGitRepo: true, gitRepoUrl: 'http://x', clonedFrom: 'zyxwvutsrqpo', gitRepo: 'xares-1/x', gitBranch: 'clone/a', gitError: 'push refused' });
    store.projects.insert(full);
    store.close();
    store.close(); // idempotent
    const again = openStore(dir);
    try {
      expect(again.projects.get(full.id)).toEqual(full);
      expect(again.projects.list()).toEqual([full]);
    } finally {
      again.close();
    }
  });

  it('refuses a second project with the same name in any letter case, leaving the first untouched', () => {
    const store = openStore(tempDir());
    try {
      store.projects.insert(record());
      expect(() => store.projects.insert(record({ id: 'zzzzzzzzzzzz', name: 'FIRST project' }))).toThrow(DuplicateProjectNameError);
      expect(store.projects.list().map((p) => p.id)).toEqual(['abcdefghijkl']);
    } finally {
      store.close();
    }
  });

  it('updates status, container and activity, and removes', () => {
    const store = openStore(tempDir());
    try {
      store.projects.insert(record());
      expect(store.projects.setStatus('abcdefghijkl', 'error', 'container missing')).toBe(true);
      expect(store.projects.setContainerId('abcdefghijkl', 'c2')).toBe(true);
      expect(store.projects.setLastActivity('abcdefghijkl', '2026-01-02T00:00:00.000Z')).toBe(true);
      expect(store.projects.get('abcdefghijkl')).toMatchObject({ status: 'error', statusReason: 'container missing', containerId: 'c2', lastActivity: '2026-01-02T00:00:00.000Z' });
      expect(store.projects.setStatus('nonexistent00', 'running', null)).toBe(false);
      expect(store.projects.remove('abcdefghijkl')).toBe(true);
      expect(store.projects.remove('abcdefghijkl')).toBe(false);
      expect(store.projects.get('abcdefghijkl')).toBeNull();
    } finally {
      store.close();
    }
  });

  it('writes atomically: a transaction that fails half-way leaves no row behind', () => {
    const store = openStore(tempDir());
    try {
      const both = store.db.transaction(() => {
        store.projects.insert(record({ id: 'aaaaaaaaaaaa', name: 'one' }));
        store.projects.insert(record({ id: 'bbbbbbbbbbbb', name: 'ONE' }));
      });
      expect(() => both()).toThrow(DuplicateProjectNameError);
      expect(store.projects.list()).toEqual([]);
    } finally {
      store.close();
    }
  });
});
