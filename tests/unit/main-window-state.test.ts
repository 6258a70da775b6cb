import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fitToDisplays,
  parseWindowState,
  stateFromWindow,
  WINDOW_DEFAULTS,
  WINDOW_STATE_FILE,
  WindowStateStore,
  type WindowStateFiles,
} from '../../main/window-state.js';

const fullHd = { x: 0, y: 0, width: 1920, height: 1040 };
const rightScreen = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('parseWindowState', () => {
  it('keeps a valid state and rounds numbers', () => {
    expect(parseWindowState({ width: 1400.4, height: 900, x: 10, y: 20, maximized: true })).toEqual({ width: 1400, height: 900, x: 10, y: 20, maximized: true });
  });
  it('falls back to the defaults for garbage, sizes below the minimum and half positions', () => {
    const defaults = { width: WINDOW_DEFAULTS.width, height: WINDOW_DEFAULTS.height, maximized: false };
    expect(parseWindowState(null)).toEqual(defaults);
    expect(parseWindowState('x')).toEqual(defaults);
    expect(parseWindowState({ width: 100, height: 'big', x: 5, maximized: 'yes' })).toEqual(defaults);
    expect(parseWindowState({ width: Number.NaN, height: 1e9, x: 1, y: Infinity })).toEqual(defaults);
  });
});

describe('fitToDisplays', () => {
  it('keeps a position that is on a display (also a second one)', () => {
    expect(fitToDisplays({ width: 1280, height: 800, x: 100, y: 50, maximized: false }, [fullHd])).toEqual({ width: 1280, height: 800, x: 100, y: 50, maximized: false });
    expect(fitToDisplays({ width: 1280, height: 800, x: 2000, y: 100, maximized: true }, [fullHd, rightScreen])).toMatchObject({ x: 2000, y: 100, maximized: true });
  });
  it('drops the position of a window on an unplugged monitor so the OS centres it', () => {
    const fitted = fitToDisplays({ width: 1280, height: 800, x: 2000, y: 100, maximized: false }, [fullHd]);
    expect(fitted).toEqual({ width: 1280, height: 800, maximized: false });
  });
  it('drops a position with the title bar above the screen or only a sliver visible', () => {
    expect(fitToDisplays({ width: 1280, height: 800, x: 100, y: -300, maximized: false }, [fullHd])).not.toHaveProperty('x');
    expect(fitToDisplays({ width: 1280, height: 800, x: 1900, y: 100, maximized: false }, [fullHd])).not.toHaveProperty('x');
    expect(fitToDisplays({ width: 1280, height: 800, x: -1250, y: 100, maximized: false }, [fullHd])).not.toHaveProperty('x');
  });
  it('shrinks a window bigger than every display', () => {
    expect(fitToDisplays({ width: 4000, height: 3000, maximized: false }, [fullHd, rightScreen])).toEqual({ width: 2560, height: 1400, maximized: false });
  });
  it('changes nothing when no display is known', () => {
    const state = { width: 1000, height: 700, x: 5000, y: 5000, maximized: false };
    expect(fitToDisplays(state, [])).toEqual(state);
  });
});

describe('stateFromWindow', () => {
  it('stores the normal bounds and the maximized flag', () => {
    expect(stateFromWindow({ x: 3, y: 4, width: 1000, height: 700 }, true)).toEqual({ x: 3, y: 4, width: 1000, height: 700, maximized: true });
  });
});

describe('WindowStateStore', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-window-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const realFiles: WindowStateFiles = {
    readFile: (file) => readFileSync(file, 'utf8'),
    writeFile: (file, text) => writeFileSync(file, text, { mode: 0o600 }),
    rename: (from, to) => renameSync(from, to),
    mkdir: (folder) => mkdirSync(folder, { recursive: true }),
  };

  it('gives the defaults before anything was saved, then what was saved (in a folder it creates)', () => {
    const store = new WindowStateStore(path.join(dir, 'new-profile'), realFiles);
    expect(store.load()).toEqual(parseWindowState(null));
    store.save({ width: 1111, height: 777, x: 40, y: 30, maximized: true });
    expect(new WindowStateStore(path.join(dir, 'new-profile'), realFiles).load()).toEqual({ width: 1111, height: 777, x: 40, y: 30, maximized: true });
    // Only the state file is left: the temporary file was renamed over it.
    expect(readdirSync(path.join(dir, 'new-profile'))).toEqual([WINDOW_STATE_FILE]);
  });

  it('reads a corrupt file as the defaults and reports it', () => {
    const errors: unknown[] = [];
    writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"width": 12');
    expect(new WindowStateStore(dir, realFiles, (error) => errors.push(error)).load()).toEqual(parseWindowState(null));
    expect(errors).toHaveLength(1);
  });

  it('never replaces the old file with a half-written one: a failed write keeps the previous state', () => {
    const target = path.join(dir, 'atomic');
    const store = new WindowStateStore(target, realFiles);
    store.save({ width: 1200, height: 700, maximized: false });
    const errors: unknown[] = [];
    const failing = new WindowStateStore(target, { ...realFiles, rename: () => { throw new Error('disk full'); } }, (error) => errors.push(error));
    failing.save({ width: 1500, height: 900, maximized: true });
    expect(errors).toEqual([new Error('disk full')]);
    expect(store.load()).toEqual({ width: 1200, height: 700, maximized: false });
  });
});
