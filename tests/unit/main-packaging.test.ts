/**
 * What a package ships and whether the app finds it there (issue #6 "Packaging"), checked without building a
 * package (that needs the internet for Electron and the installer tools):
 * - `extraResources` of electron-builder.yml copied with electron-builder's own file copier into a folder laid
 *   out like `process.resourcesPath`, and the server's own path functions pointed at it (the desktop app
 *   passes `resourcesDir = process.resourcesPath` when packaged: main/desktop-config.ts);
 * - the SQLite database is a plain SQLite file: the same file opens with another SQLite build (the sqlite3
 *   command-line tool) and again with better-sqlite3, so the native module rebuilt for Electron (npmRebuild,
 *   from the same bundled SQLite source) opens what the tests and the headless server wrote, and back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectType } from '../../server/contract/index.js';
import { computeContextHash, workspaceContextDir } from '../../server/images/image-context.js';
import { readWorkspaceImageSpec } from '../../server/images/image-builder.js';
import { PROXY_IMAGE_NAMES, proxyImageContextDir, readProxyImageSpec } from '../../server/images/proxy-images.js';
import { resolveWorkspaceImageTag } from '../../server/services/image-service.js';
import { templateDir } from '../../server/services/templates.js';
import { DATABASE_FILE_NAME, openDatabase, schemaVersion } from '../../server/store/database.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { desktopServerConfig, iconsDir, trayIconFile } from '../../main/desktop-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESOURCES = path.join(ROOT, 'resources');
const require = createRequire(import.meta.url);

interface ExtraResource {
  from: string;
  to: string;
  filter?: string[];
}

/** electron-builder's internal copier (app-builder-lib/out/fileMatcher.js), the one `extraResources` goes through. */
interface FileMatcherModule {
  FileMatcher: new (from: string, to: string, macroExpander: (text: string) => string, patterns?: string[]) => unknown;
  copyFiles(matchers: unknown[], transformer: null, isUseHardLink: boolean): Promise<unknown>;
}

function fileMatcherModule(): FileMatcherModule {
  const builderDir = path.dirname(require.resolve('electron-builder/package.json'));
  const libDir = path.dirname(require.resolve('app-builder-lib/package.json', { paths: [builderDir] }));
  return require(path.join(libDir, 'out', 'fileMatcher.js')) as FileMatcherModule;
}

describe('packaged resources (extraResources copied as electron-builder does)', () => {
  let resourcesPath: string;

  beforeAll(async () => {
    resourcesPath = mkdtempSync(path.join(tmpdir(), 'xares-packaged-resources-'));
    const config = yaml.load(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as { extraResources: ExtraResource[] };
    const { FileMatcher, copyFiles } = fileMatcherModule();
    const matchers = config.extraResources.map(
      (entry) => new FileMatcher(path.join(ROOT, entry.from), path.join(resourcesPath, entry.to), (text) => text, entry.filter),
    );
    await copyFiles(matchers, null, false);
  });
  afterAll(() => rmSync(resourcesPath, { recursive: true, force: true }));

  it('the desktop app points the server at process.resourcesPath when packaged', () => {
    const config = desktopServerConfig({ env: {}, userDataDir: '/tmp/unused', isPackaged: true, resourcesPath, mainDir: '/unused' });
    expect(config.resourcesDir).toBe(resourcesPath);
  });

  it('every image build context is shipped complete: same files (hash) as the checkout, image.json readable, workspace tag resolved', () => {
    expect(computeContextHash(workspaceContextDir(resourcesPath))).toBe(computeContextHash(workspaceContextDir(RESOURCES)));
    expect(readWorkspaceImageSpec(resourcesPath)).toEqual(readWorkspaceImageSpec(RESOURCES));
    expect(resolveWorkspaceImageTag(undefined, resourcesPath)).toBe(readWorkspaceImageSpec(RESOURCES).tag);
    expect([...PROXY_IMAGE_NAMES].sort()).toEqual(['mitmproxy', 'netguard', 'squid']);
    for (const name of PROXY_IMAGE_NAMES) {
      const packaged = proxyImageContextDir(resourcesPath, name);
      expect(existsSync(path.join(packaged, 'Dockerfile')), `${name}/Dockerfile`).toBe(true);
      expect(computeContextHash(packaged), name).toBe(computeContextHash(proxyImageContextDir(RESOURCES, name)));
      expect(readProxyImageSpec(resourcesPath, name)).toEqual(readProxyImageSpec(RESOURCES, name));
    }
  });

  it('the starter templates of every project type are shipped', () => {
    for (const type of ProjectType.options) {
      expect(existsSync(path.join(templateDir(resourcesPath, type), 'README.md')), type).toBe(true);
      expect(existsSync(path.join(templateDir(resourcesPath, type), '.gitignore')), `${type}/.gitignore`).toBe(true);
    }
  });

  it('the window icon and the tray icons are where the packaged app looks for them', () => {
    const dir = iconsDir({ isPackaged: true, resourcesPath, mainDir: '/unused' });
    expect(dir).toBe(path.join(resourcesPath, 'icons'));
    for (const file of ['icon.png', trayIconFile('linux'), trayIconFile('win32'), trayIconFile('darwin'), 'trayTemplate@2x.png']) {
      expect(existsSync(path.join(dir, file)), file).toBe(true);
    }
    expect(existsSync(path.join(dir, 'generate-icons.mjs'))).toBe(false); // only the PNGs (filter)
  });
});

describe('npm run dist', () => {
  it('is scripts/dist.mjs: build, electron-builder with our config and the given options, then better-sqlite3 back to Node', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['dist']).toBe('node scripts/dist.mjs');
    const dry = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'dist.mjs'), '--dry-run', '--linux', 'deb'], { cwd: ROOT, encoding: 'utf8' });
    expect(dry.status).toBe(0);
    const commands = dry.stdout.split('\n').filter((line) => line.startsWith('[xares] ') && !line.includes('...'));
    expect(commands.slice(0, 3).map((line) => line.replace(/^\[xares\] /, '').replace(/\.cmd\b/g, ''))).toEqual([
      'npm run --silent build',
      'npx electron-builder --config electron-builder.yml --linux deb',
      'npm rebuild better-sqlite3',
    ]);
    expect(commands[3]).toContain("require('better-sqlite3')");
  });

  it("electron-builder's command line runs here (offline)", () => {
    const bin = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-builder.cmd' : 'electron-builder');
    const help = spawnSync(bin, ['--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, shell: process.platform === 'win32' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('electron-builder build');
  });
});

describe('the database file is engine-agnostic (Node in the tests, Electron in the app)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'xares-db-engines-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('better-sqlite3 runs the SQLite it bundles (the source npmRebuild compiles for Electron too)', () => {
    const header = readFileSync(path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3', 'sqlite3.h'), 'utf8');
    const bundled = /#define SQLITE_VERSION\s+"([\d.]+)"/.exec(header)?.[1];
    const db = new Database(':memory:');
    try {
      expect((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v).toBe(bundled);
    } finally {
      db.close();
    }
  });

  const cli = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  it.skipIf(cli.status !== 0)('a migrated database opens with another SQLite build (sqlite3 CLI), and back with better-sqlite3', () => {
    const db = openDatabase(dataDir);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    db.close(); // checkpoints the WAL into the file
    const file = path.join(dataDir, DATABASE_FILE_NAME);
    const other = spawnSync(
      'sqlite3',
      [file, 'PRAGMA integrity_check;', 'PRAGMA user_version;', "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name);", "INSERT INTO whitelist_domains (domain) VALUES ('written-by-cli.example');"],
      { encoding: 'utf8' },
    );
    expect(other.stderr).toBe('');
    const [integrity, version, names] = other.stdout.trim().split('\n');
    expect(integrity).toBe('ok');
    expect(Number(version)).toBe(MIGRATIONS.at(-1)?.version);
    expect(names?.split(',')).toEqual(tables);
    // Back in better-sqlite3: opens, no migration re-runs, the other engine's write is there.
    const again = openDatabase(dataDir);
    try {
      expect(schemaVersion(again)).toBe(MIGRATIONS.at(-1)?.version);
      expect((again.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
      expect(again.prepare('SELECT domain FROM whitelist_domains WHERE domain = ?').get('written-by-cli.example')).toEqual({ domain: 'written-by-cli.example' });
    } finally {
      again.close();
    }
  });
});
