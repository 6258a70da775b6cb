// Template packing (server/services/templates.ts) on real folders: the tar Docker's putArchive receives has
// every entry owned by coder (1000:1000), normalised modes, relative paths, directories before their
// contents, and nothing from outside the template (symlinks are refused, never followed).
// Also checks the shipped templates under resources/templates against the files issue #3 asks for.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESOURCES_DIR } from '../../server/config.js';
import { ProjectType } from '../../server/contract/index.js';
import { packTemplate, readTemplate, TemplateError, templateDir } from '../../server/services/templates.js';

interface ExtractedEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string | undefined;
  gname: string | undefined;
  content: string;
}

/** Reads a tar back with tar-stream's extractor (the same format Docker reads). */
async function extract(archive: Buffer): Promise<ExtractedEntry[]> {
  const entries: ExtractedEntry[] = [];
  const extractor = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extractor.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({
          name: header.name,
          type: header.type ?? 'file',
          mode: header.mode ?? -1,
          uid: header.uid ?? -1,
          gid: header.gid ?? -1,
          uname: header.uname,
          gname: header.gname,
          content: Buffer.concat(chunks).toString('utf8'),
        });
        next();
      });
      stream.resume();
    });
    extractor.on('finish', resolve);
    extractor.on('error', reject);
  });
  Readable.from([archive]).pipe(extractor);
  await done;
  return entries;
}

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-template-test-'));
  temporary.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('packTemplate', () => {
  it('packs every file with owner 1000:1000, normalised modes and relative paths, directories first', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.vscode'));
    mkdirSync(path.join(dir, 'src', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, 'README.md'), '# hello\n');
    writeFileSync(path.join(dir, '.vscode', 'settings.json'), '{}\n');
    writeFileSync(path.join(dir, 'src', 'deep', 'main.py'), 'print(1)\n');
    writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(path.join(dir, 'run.sh'), 0o700);
    // A private source file still ends up readable (0644) in the workspace.
    chmodSync(path.join(dir, 'README.md'), 0o600);

    const entries = await extract(await packTemplate(dir));
    expect(entries.map((e) => e.name)).toEqual(['.vscode/', '.vscode/settings.json', 'README.md', 'run.sh', 'src/', 'src/deep/', 'src/deep/main.py']);
    for (const entry of entries) {
      expect(entry.uid, entry.name).toBe(1000);
      expect(entry.gid, entry.name).toBe(1000);
      expect(entry.uname).toBe('coder');
      expect(entry.gname).toBe('coder');
      expect(entry.name.startsWith('/')).toBe(false);
      expect(entry.name.split('/')).not.toContain('..');
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('src/')!.type).toBe('directory');
    expect(byName.get('src/')!.mode).toBe(0o755);
    expect(byName.get('README.md')!.mode).toBe(0o644);
    expect(byName.get('run.sh')!.mode).toBe(0o755);
    expect(byName.get('src/deep/main.py')!).toMatchObject({ type: 'file', mode: 0o644, content: 'print(1)\n' });
    expect(byName.get('README.md')!.content).toBe('# hello\n');
  });

  it('refuses symlinks instead of following them out of the template', async () => {
    const outside = tempDir();
    writeFileSync(path.join(outside, 'secret.txt'), 'host secret\n');
    for (const target of [path.join(outside, 'secret.txt'), '../../../../../../etc/passwd', outside]) {
      const dir = tempDir();
      writeFileSync(path.join(dir, 'README.md'), 'ok\n');
      mkdirSync(path.join(dir, 'sub'));
      symlinkSync(target, path.join(dir, 'sub', 'link'));
      await expect(packTemplate(dir)).rejects.toThrow(TemplateError);
      await expect(packTemplate(dir)).rejects.toThrow(/sub\/link.*symlinks are not allowed/);
    }
  });

  it('fails clearly for a missing folder or a file instead of a folder', async () => {
    const dir = tempDir();
    await expect(packTemplate(path.join(dir, 'nope'))).rejects.toThrow(/ENOENT/);
    writeFileSync(path.join(dir, 'file'), 'x');
    await expect(packTemplate(path.join(dir, 'file'))).rejects.toThrow(TemplateError);
  });
});

describe('shipped templates (resources/templates)', () => {
  const files = async (type: ProjectType) => (await readTemplate(templateDir(DEFAULT_RESOURCES_DIR, type))).filter((e) => e.type === 'file').map((e) => e.name);
  const read = (type: ProjectType, name: string) => readFileSync(path.join(templateDir(DEFAULT_RESOURCES_DIR, type), name), 'utf8');

  it('exist for every project type of the contract, each with a README, .gitignore and editor settings', async () => {
    for (const type of ProjectType.options) {
      const names = await files(type);
      expect(names, type).toEqual(expect.arrayContaining(['README.md', '.gitignore', '.vscode/settings.json', '.vscode/extensions.json']));
      // Every JSON file of a template is valid JSON (no comments, no trailing commas).
      for (const name of names.filter((n) => n.endsWith('.json'))) expect(() => JSON.parse(read(type, name)), `${type}/${name}`).not.toThrow();
    }
  });

  it('python-flask: app with / and /api/status on 0.0.0.0:5000, requirements, .env, venv-aware settings, launch config', async () => {
    expect(await files('python-flask')).toEqual(expect.arrayContaining(['app.py', 'requirements.txt', '.env', '.vscode/launch.json']));
    const app = read('python-flask', 'app.py');
    expect(app).toMatch(/@app\.get\("\/"\)/);
    expect(app).toMatch(/@app\.get\("\/api\/status"\)/);
    expect(app).toMatch(/"0\.0\.0\.0"/);
    expect(read('python-flask', 'requirements.txt')).toMatch(/^flask/im);
    expect(JSON.parse(read('python-flask', '.vscode/settings.json'))['python.defaultInterpreterPath']).toMatch(/\.venv\/bin\/python$/);
  });

  it('nodejs-react: Vite + React, dev server on 0.0.0.0:3000 accepting any host', async () => {
    expect(await files('nodejs-react')).toEqual(expect.arrayContaining(['package.json', 'index.html', 'src/main.jsx', 'src/App.jsx', 'vite.config.js']));
    const pkg = JSON.parse(read('nodejs-react', 'package.json'));
    expect(pkg.scripts.dev).toMatch(/vite .*--host 0\.0\.0\.0/);
    expect(pkg.scripts.dev).toMatch(/--port 3000/);
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })).toEqual(expect.arrayContaining(['react', 'react-dom', 'vite', '@vitejs/plugin-react']));
    expect(read('nodejs-react', 'vite.config.js')).toMatch(/allowedHosts: true/);
    expect(read('nodejs-react', 'index.html')).toContain('/src/main.jsx');
  });

  it('java-spring: Maven Spring Boot app on 8080 with a controller and a test', async () => {
    const names = await files('java-spring');
    expect(names).toEqual(expect.arrayContaining(['pom.xml', 'src/main/resources/application.properties']));
    expect(names.some((n) => /^src\/main\/java\/.+Application\.java$/.test(n))).toBe(true);
    expect(names.some((n) => /^src\/main\/java\/.+Controller\.java$/.test(n))).toBe(true);
    expect(names.some((n) => /^src\/test\/java\/.+Test\.java$/.test(n))).toBe(true);
    expect(read('java-spring', 'pom.xml')).toContain('spring-boot-starter-web');
    expect(read('java-spring', 'src/main/resources/application.properties')).toMatch(/^server\.port=8080$/m);
  });
});
