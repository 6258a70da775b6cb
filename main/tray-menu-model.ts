/**
 * The tray menu as data, computed from what the app knows about the server. Pure (no Electron import):
 * `main/index.ts` turns the items into an Electron `Menu` and maps each action to code; the unit tests check the
 * menu for every server phase.
 */

/** Where the embedded server is in its life. */
export type ServerPhase = 'starting' | 'running' | 'stopping' | 'failed';

/** Workspace counts as last read from `GET /api/workspace/stats`; `null` when not known (yet). */
export interface WorkspaceCounts {
  running: number;
  total: number;
  /** Workspaces in status `error`. */
  failed: number;
}

/** Everything the tray shows. */
export interface TrayState {
  phase: ServerPhase;
  /** Dashboard URL once the server runs. */
  dashboardUrl: string | null;
  workspaces: WorkspaceCounts | null;
  /** One-line reason when `phase` is `failed`. */
  error?: string | null;
}

/** What a menu item does when clicked; `main/index.ts` maps each to code. */
export type TrayAction = 'open-dashboard' | 'open-in-browser' | 'quit';

/** One entry of the menu, in display order. */
export type TrayMenuItem =
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean }
  /** A line of text that cannot be clicked (status). */
  | { kind: 'info'; label: string }
  | { kind: 'separator' };

/** The whole tray: tooltip and menu. */
export interface TrayModel {
  tooltip: string;
  items: TrayMenuItem[];
}

const APP_NAME = 'Xares Desktop';
/** Longest status text in the menu: macOS and Windows cut long tray texts anyway (Windows tooltips at 127 chars). */
const MAX_STATUS_CHARS = 100;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_STATUS_CHARS ? `${oneLine.slice(0, MAX_STATUS_CHARS - 1)}…` : oneLine;
}

function statusLine(state: TrayState): string {
  switch (state.phase) {
    case 'starting':
      return 'Starting the server…';
    case 'running':
      return state.dashboardUrl ? `Running at ${originOf(state.dashboardUrl)}` : 'Running';
    case 'stopping':
      return 'Stopping the server…';
    case 'failed':
      return clip(`Could not start: ${state.error?.trim() || 'unknown error'}`);
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** `2 of 5 workspaces running` (+ `, 1 failed`), or `No workspaces yet`. */
export function describeWorkspaces(counts: WorkspaceCounts): string {
  if (counts.total === 0) return 'No workspaces yet';
  const noun = counts.total === 1 ? 'workspace' : 'workspaces';
  const failed = counts.failed > 0 ? `, ${counts.failed} failed` : '';
  return `${counts.running} of ${counts.total} ${noun} running${failed}`;
}

/**
 * Computes tooltip and menu. Rules:
 * - a status line always; the workspace line only while running with known counts;
 * - "Open dashboard" (in the app window) and "Open in browser" (with a one-time sign-in link) only click while
 *   the server runs, so they never open a dead page;
 * - "Quit" always clicks except while already stopping (it reads "Quitting…" then).
 */
export function buildTrayModel(state: TrayState): TrayModel {
  const running = state.phase === 'running';
  const items: TrayMenuItem[] = [{ kind: 'info', label: statusLine(state) }];
  if (running && state.workspaces) items.push({ kind: 'info', label: describeWorkspaces(state.workspaces) });
  items.push(
    { kind: 'separator' },
    { kind: 'action', action: 'open-dashboard', label: 'Open dashboard', enabled: running },
    { kind: 'action', action: 'open-in-browser', label: 'Open dashboard in browser', enabled: running },
    { kind: 'separator' },
    state.phase === 'stopping'
      ? { kind: 'action', action: 'quit', label: 'Quitting…', enabled: false }
      : { kind: 'action', action: 'quit', label: 'Quit', enabled: true },
  );
  const detail = running && state.workspaces ? describeWorkspaces(state.workspaces) : statusLine(state);
  return { tooltip: `${APP_NAME} – ${detail}`, items };
}
