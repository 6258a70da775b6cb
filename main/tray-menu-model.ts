/**
 * The tray menu as data, computed from what the app knows about the server (issue #6 "Tray quick actions").
 * Pure (no Electron import): `main/tray-controller.ts` gathers the state, turns the items into an Electron
 * `Menu` and carries out each action; the unit tests check the menu for every server phase and workshop state.
 */

/** Where the embedded server is in its life. */
export type ServerPhase = 'starting' | 'running' | 'stopping' | 'failed';

/** Workspace counts from the server's memory; `null` when not known (yet). */
export interface WorkspaceCounts {
  running: number;
  total: number;
  /** Workspaces in status `error`. */
  failed: number;
}

/**
 * The open workshop as the tray shows it. `group` null: no group is open for registration (the other fields
 * are then zero/false/null). Seat counts are WorkshopService.status()'s: `total` seats (templates excluded),
 * `available` running unclaimed ones.
 */
export interface WorkshopGlance {
  group: string | null;
  registrationOpen: boolean;
  available: number;
  total: number;
  claimed: number;
  /** Seats that "start all" would start (stopped or error; server/services/workshop-workspaces.ts planGroup). */
  startable: number;
  /** Running workspaces of the group that "stop all" would stop. */
  stoppable: number;
  /** The participants' join page, e.g. `http://192.168.1.20:8080/`; null when none is open. */
  joinUrl: string | null;
}

/** A group action in progress (its menu item shows progress and does not click twice). */
export type BulkAction = 'start-all' | 'stop-all';

/** Everything the tray shows. */
export interface TrayState {
  phase: ServerPhase;
  /** Dashboard URL once the server runs. */
  dashboardUrl: string | null;
  workspaces: WorkspaceCounts | null;
  /** One-line reason when `phase` is `failed`. */
  error?: string | null;
  /** The open workshop; null/absent while unknown (server not running). */
  workshop?: WorkshopGlance | null;
  /** Group action under way, if any. */
  bulk?: BulkAction | null;
}

/** What a menu item does when clicked; the controller maps each to code. */
export type TrayAction =
  | 'open-dashboard'
  | 'open-in-browser'
  | 'copy-join-url'
  | 'show-join-qr'
  | 'open-registration'
  | 'close-registration'
  | 'start-all'
  | 'stop-all'
  | 'quit';

/** A question to confirm before an action runs (a native message box). */
export interface TrayConfirmation {
  title: string;
  message: string;
  detail: string;
  confirmLabel: string;
  cancelLabel: string;
}

/** One entry of the menu, in display order. */
export type TrayMenuItem =
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean; confirm?: TrayConfirmation }
  /** A line of text that cannot be clicked (status). */
  | { kind: 'info'; label: string }
  | { kind: 'separator' };

/** A clickable entry of the menu. */
export type TrayActionItem = Extract<TrayMenuItem, { kind: 'action' }>;

/** The whole tray: tooltip and menu. */
export interface TrayModel {
  tooltip: string;
  items: TrayMenuItem[];
}

const APP_NAME = 'Xares Desktop';
/** Longest status text in the menu: macOS and Windows cut long tray texts anyway (Windows tooltips at 127 chars). */
const MAX_STATUS_CHARS = 100;
/** Longest group name inside a label (group names may be 50 characters; menus should stay narrow). */
const MAX_GROUP_CHARS = 30;

function clip(text: string, max = MAX_STATUS_CHARS): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** A group name for labels and notifications: one line, clipped, in quotes (no `&` escaping: see `menuText`). */
function groupLabel(group: string): string {
  return `“${clip(group, MAX_GROUP_CHARS)}”`;
}

/**
 * Text for a menu item label: `&` doubled, because Windows and Linux menus read a single `&` as the mnemonic
 * marker and would hide it. Only menu labels go through here (the tooltip and notifications show `&` as is).
 */
function menuText(text: string): string {
  return text.replace(/&/g, '&&');
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

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `2 of 5 workspaces running` (+ `, 1 failed`), or `No workspaces yet`. */
export function describeWorkspaces(counts: WorkspaceCounts): string {
  if (counts.total === 0) return 'No workspaces yet';
  const noun = counts.total === 1 ? 'workspace' : 'workspaces';
  const failed = counts.failed > 0 ? `, ${counts.failed} failed` : '';
  return `${counts.running} of ${counts.total} ${noun} running${failed}`;
}

/** `Workshop “Class A”: 3 of 10 seats free`, or `No workshop open`. Free = running and unclaimed. */
export function describeSeats(workshop: WorkshopGlance): string {
  if (workshop.group === null) return 'No workshop open';
  return `Workshop ${groupLabel(workshop.group)}: ${workshop.available} of ${plural(workshop.total, 'seat', 'seats')} free`;
}

/**
 * Computes tooltip and menu. Rules:
 * - a status line always; workspace and workshop lines only while running with known values;
 * - workshop actions only while running with a group open: copy join URL and show its QR code; one
 *   registration item that opens or closes it (whichever it is not); start all while some seat is stopped;
 *   stop all while some workspace of the group runs, behind a confirmation (participants lose their session).
 *   While a group action runs, both read as progress and do not click;
 * - "Open dashboard" (in the app window) and "Open in browser" (one-time sign-in link) only click while the
 *   server runs, so they never open a dead page;
 * - "Quit" always clicks except while already stopping (it reads "Quitting…" then).
 * The tooltip names the seats when a workshop is open, else the workspace counts, else the status.
 */
export function buildTrayModel(state: TrayState): TrayModel {
  const running = state.phase === 'running';
  const items: TrayMenuItem[] = [{ kind: 'info', label: menuText(statusLine(state)) }];
  if (running && state.workspaces) items.push({ kind: 'info', label: describeWorkspaces(state.workspaces) });
  const workshop = running ? (state.workshop ?? null) : null;
  if (workshop) {
    items.push({ kind: 'separator' }, { kind: 'info', label: menuText(describeSeats(workshop)) });
    if (workshop.group !== null) items.push(...workshopItems(workshop, state.bulk ?? null));
  }
  items.push(
    { kind: 'separator' },
    { kind: 'action', action: 'open-dashboard', label: 'Open dashboard', enabled: running },
    { kind: 'action', action: 'open-in-browser', label: 'Open dashboard in browser', enabled: running },
    { kind: 'separator' },
    state.phase === 'stopping'
      ? { kind: 'action', action: 'quit', label: 'Quitting…', enabled: false }
      : { kind: 'action', action: 'quit', label: 'Quit', enabled: true },
  );
  let detail = statusLine(state);
  if (running && workshop && workshop.group !== null) detail = describeSeats(workshop);
  else if (running && state.workspaces) detail = describeWorkspaces(state.workspaces);
  return { tooltip: clip(`${APP_NAME} – ${detail}`, 127), items };
}

function workshopItems(workshop: WorkshopGlance, bulk: BulkAction | null): TrayMenuItem[] {
  const group = groupLabel(workshop.group ?? '');
  const hasJoinUrl = workshop.joinUrl !== null && workshop.joinUrl !== '';
  const stopAll: TrayActionItem = {
    kind: 'action',
    action: 'stop-all',
    label: menuText(bulk === 'stop-all' ? 'Stopping all workspaces…' : `Stop all workspaces of ${group}…`),
    enabled: bulk === null && workshop.stoppable > 0,
  };
  if (stopAll.enabled) {
    stopAll.confirm = {
      title: 'Stop all workspaces',
      message: `Stop ${plural(workshop.stoppable, 'running workspace', 'running workspaces')} of ${group}?`,
      detail:
        'Participants lose their open editor until the workspace is started again; their files are kept. ' +
        'Password-protected workspaces are left running (stop them in the dashboard).',
      confirmLabel: 'Stop all',
      cancelLabel: 'Cancel',
    };
  }
  return [
    {
      kind: 'info',
      label: workshop.registrationOpen ? 'Registration is open' : 'Registration is closed',
    },
    { kind: 'action', action: 'copy-join-url', label: 'Copy join URL', enabled: hasJoinUrl },
    { kind: 'action', action: 'show-join-qr', label: 'Show join QR code', enabled: hasJoinUrl },
    workshop.registrationOpen
      ? { kind: 'action', action: 'close-registration', label: 'Close registration', enabled: true }
      : { kind: 'action', action: 'open-registration', label: 'Open registration', enabled: true },
    {
      kind: 'action',
      action: 'start-all',
      label: menuText(bulk === 'start-all' ? 'Starting all workspaces…' : `Start all workspaces of ${group}`),
      enabled: bulk === null && workshop.startable > 0,
    },
    stopAll,
  ];
}

/** Outcome of a group action as the controller gets it (server/services/workshop-workspaces.ts GroupActionResult). */
export interface BulkOutcome {
  action: 'start' | 'stop';
  group: string;
  attempted: number;
  done: readonly string[];
  skipped: readonly { projectName: string; code: string; message: string }[];
  failed: readonly { projectName: string; message: string }[];
}

/** A short report of a finished group action or a failed tray action (a native notification). */
export interface TrayReport {
  kind: 'info' | 'error';
  title: string;
  body: string;
}

/** Longest list of names in a report. */
const MAX_NAMES = 3;

function names(list: readonly { projectName: string }[]): string {
  const shown = list.slice(0, MAX_NAMES).map((item) => item.projectName);
  return list.length > MAX_NAMES ? `${shown.join(', ')} and ${list.length - MAX_NAMES} more` : shown.join(', ');
}

/**
 * Words the outcome of start all / stop all: how many were started/stopped, and why others were not (the
 * concurrent limit, a workspace password, or a failure, with up to three names). `error` when nothing worked
 * although something was to do.
 */
export function describeBulkOutcome(outcome: BulkOutcome): TrayReport {
  const verb = outcome.action === 'start' ? 'started' : 'stopped';
  const group = groupLabel(outcome.group);
  if (outcome.attempted === 0) {
    return { kind: 'info', title: `Nothing to ${outcome.action}`, body: `No workspace of ${group} needed it.` };
  }
  const parts = [`${plural(outcome.done.length, 'workspace', 'workspaces')} of ${group} ${verb}.`];
  if (outcome.skipped.length > 0) {
    const why = outcome.action === 'start' ? 'the limit of running workspaces is reached' : 'they are password-protected';
    parts.push(`${outcome.skipped.length} not ${verb}: ${why} (${names(outcome.skipped)}).`);
  }
  if (outcome.failed.length > 0) {
    parts.push(`${outcome.failed.length} failed: ${names(outcome.failed)} – ${clip(outcome.failed[0]?.message ?? '', 80)}`);
  }
  const title = outcome.action === 'start' ? 'Start all workspaces' : 'Stop all workspaces';
  return { kind: outcome.done.length === 0 ? 'error' : 'info', title, body: parts.join(' ') };
}
