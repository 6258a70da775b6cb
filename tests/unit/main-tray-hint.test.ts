// The one-time "still running in the tray" notice (main/tray-hint.ts): Linux only, once per user, remembered in
// the user-data folder.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HINTS_FILE, HintStore, needsTrayHint, TRAY_HINT, type HintFiles } from '../../main/tray-hint.js';

function memoryFiles(initial: Record<string, string> = {}): HintFiles & { files: Map<string, string> } {
  const files = new Map(Object.entries(initial));
  return {
    files,
    readFile: (file) => {
      const text = files.get(file);
      if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return text;
    },
    writeFile: (file, text) => void files.set(file, text),
    mkdir: () => {},
  };
}

describe('tray hint', () => {
  it('is needed on Linux only (a status area may be missing there)', () => {
    expect(needsTrayHint('linux')).toBe(true);
    expect(needsTrayHint('darwin')).toBe(false);
    expect(needsTrayHint('win32')).toBe(false);
  });

  it('is shown on the first close into the tray only, and remembered for the next start', () => {
    const fs = memoryFiles();
    const store = new HintStore('/u', fs);
    expect(store.takeTrayHint('linux')).toBe(true);
    expect(store.takeTrayHint('linux')).toBe(false);
    expect(JSON.parse(fs.files.get(path.join('/u', HINTS_FILE))!)).toEqual({ trayHintShown: true });
    // A new start with the same user-data folder.
    expect(new HintStore('/u', fs).takeTrayHint('linux')).toBe(false);
    expect(TRAY_HINT.body).toContain('Xares is still running in the tray; launch it again to reopen the window');
  });

  it('is never shown on macOS or Windows, and keeps other remembered hints', () => {
    const fs = memoryFiles({ [path.join('/u', HINTS_FILE)]: '{"other":1}' });
    expect(new HintStore('/u', fs).takeTrayHint('darwin')).toBe(false);
    expect(new HintStore('/u', fs).takeTrayHint('win32')).toBe(false);
    expect(new HintStore('/u', fs).takeTrayHint('linux')).toBe(true);
    expect(JSON.parse(fs.files.get(path.join('/u', HINTS_FILE))!)).toEqual({ other: 1, trayHintShown: true });
  });

  it('treats an unreadable file as not shown, and an unwritable one as shown for this run (reported)', () => {
    const fs = memoryFiles({ [path.join('/u', HINTS_FILE)]: 'not json' });
    const errors: unknown[] = [];
    const store = new HintStore('/u', { ...fs, writeFile: () => { throw new Error('EROFS'); } }, (error) => errors.push(error));
    expect(store.takeTrayHint('linux')).toBe(true);
    expect(store.takeTrayHint('linux')).toBe(false);
    expect(String(errors[0])).toContain('EROFS');
  });
});
