/**
 * The one-time "still running in the tray" notice. On Linux a tray icon needs a status area (StatusNotifier /
 * AppIndicator); GNOME without the AppIndicator extension has none, and Electron cannot tell. Closing the window
 * there would seem to quit the app while the server keeps running, with nothing on screen to reopen it. So the
 * first close into the tray on Linux says where the app went and how to get the window back (launching it again
 * focuses the running instance). Shown once per user: remembered in `<userData>/desktop-hints.json`.
 */
import path from 'node:path';

/** File in the user-data folder that remembers which hints were shown. */
export const HINTS_FILE = 'desktop-hints.json';

/** The notice shown on the first close into the tray. */
export const TRAY_HINT = {
  title: 'Xares is still running in the tray',
  body: 'Xares is still running in the tray; launch it again to reopen the window. Quit it from the tray menu.',
} as const;

/** File access, injected (node:fs in the app, memory in tests). */
export interface HintFiles {
  readFile(file: string): string;
  writeFile(file: string, text: string): void;
  mkdir(dir: string): void;
}

/** Platforms where a close into the tray may leave nothing visible: Linux (the status area may be missing). */
export function needsTrayHint(platform: NodeJS.Platform): boolean {
  return platform === 'linux';
}

/**
 * Remembers shown hints. `takeTrayHint` answers true once per user (per user-data folder) on platforms that need
 * it, and records that it did; a file that cannot be read counts as "not shown", one that cannot be written only
 * means the hint may show again next time (reported to `onError`).
 */
export class HintStore {
  private readonly file: string;
  private shownThisRun = false;

  constructor(
    userDataDir: string,
    private readonly files: HintFiles,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.file = path.join(userDataDir, HINTS_FILE);
  }

  private load(): Record<string, unknown> {
    try {
      const parsed: unknown = JSON.parse(this.files.readFile(this.file));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  /** Whether to show the tray hint now (the window was just closed into the tray on `platform`). */
  takeTrayHint(platform: NodeJS.Platform): boolean {
    if (!needsTrayHint(platform) || this.shownThisRun) return false;
    const hints = this.load();
    if (hints['trayHintShown'] === true) return false;
    this.shownThisRun = true;
    try {
      this.files.mkdir(path.dirname(this.file));
      this.files.writeFile(this.file, `${JSON.stringify({ ...hints, trayHintShown: true }, null, 2)}\n`);
    } catch (error) {
      this.onError(error);
    }
    return true;
  }
}
