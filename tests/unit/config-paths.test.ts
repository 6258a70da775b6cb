import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT, DEFAULT_RENDERER_DIR, DEFAULT_RESOURCES_DIR, parseConfig } from '../../server/config.js';

describe('app paths', () => {
  it('finds the app root by its package.json, and the dashboard and resources under it', () => {
    const pkg = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('xares-desktop');
    expect(DEFAULT_RENDERER_DIR).toBe(path.join(APP_ROOT, 'dist', 'renderer'));
    expect(DEFAULT_RESOURCES_DIR).toBe(path.join(APP_ROOT, 'resources'));
  });

  it('keeps the dashboard folder independent of resourcesDir (a packaged app moves resources out of the asar)', () => {
    const config = parseConfig({ resourcesDir: '/opt/Xares Desktop/resources' });
    expect(config.rendererDir).toBe(DEFAULT_RENDERER_DIR);
  });
});
