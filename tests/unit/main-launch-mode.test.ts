import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideLaunchMode, electronExecutablePath, electronPackageDir, hasDisplay, probeElectron } from '../../main/launch-mode.js';

const work = mkdtempSync(path.join(tmpdir(), 'xares-launch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder shaped like node_modules/electron after `npx install-electron`, whose binary is a stand-in script (fake-electron). */
function fakeElectronPackage(name: string, script: string | null): string {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  if (script !== null) {
    writeFileSync(path.join(dir, 'path.txt'), 'fake-electron');
    writeFileSync(path.join(dir, 'dist', 'fake-electron'), script);
    chmodSync(path.join(dir, 'dist', 'fake-electron'), 0o755);
  }
  return dir;
}

describe('electronExecutablePath', () => {
  it('reads path.txt like the electron package does, without downloading', () => {
    const dir = fakeElectronPackage('installed', '#!/bin/sh\necho 45.5.0\n');
    expect(electronExecutablePath(dir, {})).toBe(path.join(dir, 'dist', 'fake-electron'));
  });
  it('is null when the binary was never installed', () => {
    expect(electronExecutablePath(fakeElectronPackage('bare', null), {})).toBeNull();
    expect(electronExecutablePath(null, {})).toBeNull();
  });
  it('honours ELECTRON_OVERRIDE_DIST_PATH', () => {
    const override = path.join(work, 'override');
    mkdirSync(override, { recursive: true });
    writeFileSync(path.join(override, 'electron'), '');
    expect(electronExecutablePath(fakeElectronPackage('bare2', null), { ELECTRON_OVERRIDE_DIST_PATH: override })).toBe(path.join(override, 'electron'));
  });
});

describe('probeElectron', () => {
  it('accepts a binary that runs and reports a version (asked as Node, no display needed)', () => {
    const dir = fakeElectronPackage('runs', '#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] && [ "$1" = -p ] && echo 45.5.0 && exit 0\nexit 3\n');
    expect(probeElectron({ PATH: process.env.PATH }, dir)).toEqual({ found: true, executable: path.join(dir, 'dist', 'fake-electron'), version: '45.5.0' });
  });
  it('rejects a binary that does not run', () => {
    const dir = fakeElectronPackage('broken', '#!/bin/sh\necho "error while loading shared libraries: libgtk-3.so.0" >&2\nexit 127\n');
    const probe = probeElectron({ PATH: process.env.PATH }, dir);
    expect(probe.found).toBe(false);
    expect(!probe.found && probe.reason).toContain('does not run (error while loading shared libraries: libgtk-3.so.0)');
  });
  it('tells how to get the binary when it is missing', () => {
    const probe = probeElectron({}, fakeElectronPackage('missing', null));
    expect(probe).toEqual({ found: false, reason: 'no Electron binary (run `npx install-electron` to get the desktop app)' });
    expect(probeElectron({}, null)).toEqual({ found: false, reason: 'the electron package is not installed' });
  });
  it('finds the real electron package of this checkout, and its binary only if installed', () => {
    const dir = electronPackageDir();
    expect(dir).not.toBeNull();
    const installed = existsSync(path.join(dir!, 'path.txt'));
    expect(electronExecutablePath(dir, {}) !== null).toBe(installed);
  });
});

describe('hasDisplay', () => {
  it('is always true on macOS and Windows, and needs DISPLAY or WAYLAND_DISPLAY on Linux', () => {
    expect(hasDisplay('darwin', {})).toBe(true);
    expect(hasDisplay('win32', {})).toBe(true);
    expect(hasDisplay('linux', {})).toBe(false);
    expect(hasDisplay('linux', { DISPLAY: ':0' })).toBe(true);
    expect(hasDisplay('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBe(true);
    expect(hasDisplay('linux', { DISPLAY: '' })).toBe(false);
  });
});

describe('decideLaunchMode', () => {
  const found = () => ({ found: true as const, executable: '/x/electron', version: '45.5.0' });
  const missing = () => ({ found: false as const, reason: 'no Electron binary (run `npx install-electron` to get the desktop app)' });

  it('opens the desktop app when Electron runs and a display is there', () => {
    expect(decideLaunchMode({ headlessFlag: false, display: true, probe: found })).toEqual({ mode: 'desktop', electron: '/x/electron' });
  });
  it('runs headless with the reason in words otherwise', () => {
    expect(decideLaunchMode({ headlessFlag: false, display: true, probe: missing })).toEqual({
      mode: 'headless',
      reason: 'No Electron binary (run `npx install-electron` to get the desktop app)',
    });
    expect(decideLaunchMode({ headlessFlag: false, display: false, probe: found })).toEqual({
      mode: 'headless',
      reason: 'No display (DISPLAY or WAYLAND_DISPLAY is not set)',
    });
    expect(decideLaunchMode({ headlessFlag: true, display: true, probe: found }).mode).toBe('headless');
  });
  it('does not even look for Electron when forced headless or without a display', () => {
    let probed = 0;
    const probe = () => {
      probed += 1;
      return found();
    };
    decideLaunchMode({ headlessFlag: true, display: true, probe });
    decideLaunchMode({ headlessFlag: false, display: false, probe });
    expect(probed).toBe(0);
  });
});
