import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
/** electron-builder's own JSON schema of its configuration (the one it validates with before every build). */
const SCHEMA_FILE = path.join(path.dirname(require.resolve('app-builder-lib/package.json', { paths: [path.dirname(require.resolve('electron-builder/package.json'))] })), 'scheme.json');

function load(): Configuration {
  return yaml.load(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Configuration;
}

function validator() {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object;
  // Same ajv settings as electron-builder's validator, except no type coercion: we want the file exactly right.
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema);
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

describe('electron-builder.yml', () => {
  it("matches electron-builder's own schema", () => {
    const validate = validator();
    const valid = validate(load());
    expect(describeErrors(validate.errors)).toBe('');
    expect(valid).toBe(true);
  });

  it('the schema check can fail (an unknown key and a bad target are refused)', () => {
    const validate = validator();
    expect(validate({ ...load(), appIdentifier: 'x' })).toBe(false);
    expect(validate({ ...load(), linux: { target: 42 } })).toBe(false);
  });

  it('has the identity, targets and native-module handling we ship with', () => {
    const config = load();
    expect(config.appId).toBe('org.xares.desktop');
    expect(config.productName).toBe('Xares Desktop');
    expect(config.files).toEqual(expect.arrayContaining(['dist/**/*', 'package.json']));
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node']));
    const extra = (config.extraResources as Array<{ from: string; to: string }>).map(({ from, to }) => `${from} -> ${to}`);
    expect(extra).toEqual(expect.arrayContaining(['resources/images -> images', 'resources/templates -> templates', 'resources/icons -> icons']));
  });

  it('points at files that exist', () => {
    const config = load();
    for (const icon of [config.mac?.icon, config.win?.icon, config.linux?.icon]) {
      expect(icon, 'icon').toBeTruthy();
      expect(existsSync(path.join(ROOT, icon!)), icon!).toBe(true);
    }
    for (const { from } of config.extraResources as Array<{ from: string }>) expect(existsSync(path.join(ROOT, from)), from).toBe(true);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/node/main/index.js'); // inside the `dist/**/*` files pattern
  });
});
