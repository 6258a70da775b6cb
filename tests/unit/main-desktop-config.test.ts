import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultDataDir } from '../../server/config.js';
import { desktopConfigOverrides, desktopServerConfig, iconsDir, preloadPath, trayIconFile } from '../../main/desktop-config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN_DIR = path.join(ROOT, 'dist', 'node', 'main');
const base = { userDataDir: '/home/ada/.config/Xares Desktop', isPackaged: false, resourcesPath: '/opt/xares/resources', mainDir: MAIN_DIR };

describe('desktopConfigOverrides', () => {
  it('shares the data folder with headless mode (the default or XARES_DATA_DIR), not Electron\'s user-data folder', () => {
    expect(desktopConfigOverrides({ ...base, env: {} })).toEqual({});
    expect(desktopConfigOverrides({ ...base, env: { XARES_DATA_DIR: '/srv/xares' } })).toEqual({});
    expect(desktopServerConfig({ ...base, env: { XARES_DATA_DIR: '/srv/xares' } }).dataDir).toBe('/srv/xares');
    expect(desktopServerConfig({ ...base, env: { XARES_DATA_DIR: '' } }).dataDir).toBe(defaultDataDir());
  });

  it("points the server at the package's resources when packaged", () => {
    expect(desktopConfigOverrides({ ...base, isPackaged: true, env: {} })).toEqual({
      resourcesDir: '/opt/xares/resources',
    });
  });

  it('keeps the other settings from the environment, validated', () => {
    const config = desktopServerConfig({ ...base, env: { XARES_PORT: '9090', BASE_DOMAIN: 'ws.example.org' } });
    expect(config.port).toBe(9090);
    expect(config.baseDomain).toBe('ws.example.org');
    expect(() => desktopServerConfig({ ...base, env: { XARES_PORT: 'eighty' } })).toThrow(ConfigError);
  });
});

describe('app files', () => {
  it('finds the preload bundle next to the compiled main process', () => {
    expect(preloadPath(MAIN_DIR)).toBe(path.join(ROOT, 'dist', 'node', 'preload', 'index.cjs'));
  });

  it("finds the icons in the checkout's resources/icons, or in the package's resources", () => {
    expect(iconsDir({ ...base })).toBe(path.join(ROOT, 'resources', 'icons'));
    expect(iconsDir({ ...base, isPackaged: true })).toBe(path.join('/opt/xares/resources', 'icons'));
  });

  /** Width and height from a PNG's IHDR chunk. */
  function pngSize(file: string): [number, number] {
    const data = readFileSync(file);
    expect(data.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    return [data.readUInt32BE(16), data.readUInt32BE(20)];
  }

  it('has real PNG icons of the sizes the tray, window and packages need', () => {
    const dir = iconsDir({ ...base });
    expect(pngSize(path.join(dir, trayIconFile('linux')))).toEqual([32, 32]);
    expect(pngSize(path.join(dir, trayIconFile('win32')))).toEqual([32, 32]);
    expect(pngSize(path.join(dir, trayIconFile('darwin')))).toEqual([16, 16]);
    expect(pngSize(path.join(dir, 'trayTemplate@2x.png'))).toEqual([32, 32]);
    expect(pngSize(path.join(dir, 'icon.png'))).toEqual([512, 512]);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(path.join(dir, `${size}x${size}.png`))).toEqual([size, size]);
    const ico = readFileSync(path.join(dir, 'icon.ico'));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, 7]); // icon with 7 images
    const icns = readFileSync(path.join(dir, 'icon.icns'));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    expect(existsSync(path.join(dir, 'generate-icons.mjs'))).toBe(true);
  });
});
