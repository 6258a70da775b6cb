/**
 * The dashboard window's size, position and maximized flag, remembered between runs in the user-data folder
 * (`window-state.json`). Pure decisions plus a small store with injected file operations, so both are unit-tested
 * without Electron. Electron's `screen.getAllDisplays()` supplies the work areas; `main/index.ts` saves the
 * window's normal bounds on move/resize (debounced) and on close.
 */
import path from 'node:path';

/** A rectangle in screen coordinates (DIP), as Electron's `Rectangle`. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What is stored. `x`/`y` are absent until the window was placed once (then the OS centres it). */
export interface WindowState {
  width: number;
  height: number;
  x?: number;
  y?: number;
  maximized: boolean;
}

/** File name inside the user-data folder. */
export const WINDOW_STATE_FILE = 'window-state.json';

/** Defaults and limits of the dashboard window (DIP). */
export const WINDOW_DEFAULTS = { width: 1280, height: 800, minWidth: 960, minHeight: 600 } as const;

/** At least this much of the title bar (px in both directions) must be on a display, else the position is dropped. */
const MIN_VISIBLE = 64;
/** Upper bound for stored sizes: anything bigger is a corrupt file, not a monitor. */
const MAX_SIDE = 32_768;

function finiteInt(value: unknown, min: number, max: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? Math.round(value) : null;
}

/**
 * Reads a stored state from parsed JSON; anything missing or out of range falls back to the defaults (a corrupt
 * or hand-edited file never stops the window from opening). Position only when both coordinates are valid.
 */
export function parseWindowState(raw: unknown): WindowState {
  const fallback: WindowState = { width: WINDOW_DEFAULTS.width, height: WINDOW_DEFAULTS.height, maximized: false };
  if (typeof raw !== 'object' || raw === null) return fallback;
  const input = raw as Record<string, unknown>;
  const width = finiteInt(input.width, WINDOW_DEFAULTS.minWidth, MAX_SIDE) ?? fallback.width;
  const height = finiteInt(input.height, WINDOW_DEFAULTS.minHeight, MAX_SIDE) ?? fallback.height;
  const x = finiteInt(input.x, -MAX_SIDE, MAX_SIDE);
  const y = finiteInt(input.y, -MAX_SIDE, MAX_SIDE);
  const state: WindowState = { width, height, maximized: input.maximized === true };
  if (x !== null && y !== null) {
    state.x = x;
    state.y = y;
  }
  return state;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

/**
 * Fits a stored state to the displays there are now (`workAreas`: each display's work area, without task bars):
 * - the size shrinks to the largest work area (a window bigger than every screen cannot be handled);
 * - the position is kept when the title bar strip (top `MIN_VISIBLE` px) overlaps some work area by at least
 *   `MIN_VISIBLE` px both ways, so the window can be grabbed; otherwise (monitor unplugged, resolution changed)
 *   the position is dropped and the OS centres the window on the primary display.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rect[]): WindowState {
  if (workAreas.length === 0) return state;
  const maxWidth = Math.max(...workAreas.map((area) => area.width));
  const maxHeight = Math.max(...workAreas.map((area) => area.height));
  const width = Math.max(Math.min(state.width, maxWidth), Math.min(WINDOW_DEFAULTS.minWidth, maxWidth));
  const height = Math.max(Math.min(state.height, maxHeight), Math.min(WINDOW_DEFAULTS.minHeight, maxHeight));
  const fitted: WindowState = { width, height, maximized: state.maximized };
  if (state.x === undefined || state.y === undefined) return fitted;
  const titleBar: Rect = { x: state.x, y: state.y, width, height: Math.min(MIN_VISIBLE, height) };
  const needX = Math.min(MIN_VISIBLE, width);
  const needY = Math.min(MIN_VISIBLE, height);
  // The title bar itself must be on a screen: a window whose top edge is above every display cannot be dragged.
  const visible = workAreas.some((area) => {
    const shared = overlap(titleBar, area);
    return shared.width >= needX && shared.height >= Math.min(needY, titleBar.height) && state.y! >= area.y;
  });
  if (visible) {
    fitted.x = state.x;
    fitted.y = state.y;
  }
  return fitted;
}

/** State to store for a window: its normal (not maximized) bounds and whether it is maximized. */
export function stateFromWindow(normalBounds: Rect, maximized: boolean): WindowState {
  return parseWindowState({ ...normalBounds, maximized });
}

/** File operations the store needs (node:fs in the app, an in-memory map or a temp folder in tests). */
export interface WindowStateFiles {
  readFile(file: string): string;
  writeFile(file: string, text: string): void;
  rename(from: string, to: string): void;
  mkdir(dir: string): void;
}

/**
 * Loads and saves `window-state.json` in `dir`. Saving writes a temporary file next to it and renames it over
 * the old one, so a crash mid-write leaves either the old or the new state, never half a file. Errors never
 * escape: a state that cannot be read is the default, one that cannot be written is reported to `onError`.
 */
export class WindowStateStore {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly files: WindowStateFiles,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.file = path.join(dir, WINDOW_STATE_FILE);
  }

  /** The stored state (defaults when there is none or it is unreadable). */
  load(): WindowState {
    let text: string;
    try {
      text = this.files.readFile(this.file);
    } catch {
      return parseWindowState(null);
    }
    try {
      return parseWindowState(JSON.parse(text));
    } catch (error) {
      this.onError(error);
      return parseWindowState(null);
    }
  }

  /** Writes `state` atomically (temp file + rename). */
  save(state: WindowState): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      this.files.mkdir(this.dir);
      this.files.writeFile(temp, `${JSON.stringify(parseWindowState(state), null, 2)}\n`);
      this.files.rename(temp, this.file);
    } catch (error) {
      this.onError(error);
    }
  }
}
