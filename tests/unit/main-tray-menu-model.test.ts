import { describe, expect, it } from 'vitest';
import {
  buildTrayModel,
  describeBulkOutcome,
  describeSeats,
  describeWorkspaces,
  type TrayMenuItem,
  type TrayState,
  type WorkshopGlance,
} from '../../main/tray-menu-model.js';

function actions(items: TrayMenuItem[]): Record<string, { label: string; enabled: boolean }> {
  const out: Record<string, { label: string; enabled: boolean }> = {};
  for (const item of items) if (item.kind === 'action') out[item.action] = { label: item.label, enabled: item.enabled };
  return out;
}
function infos(items: TrayMenuItem[]): string[] {
  return items.flatMap((item) => (item.kind === 'info' ? [item.label] : []));
}

const running: TrayState = {
  phase: 'running',
  dashboardUrl: 'http://localhost:8080/admin/',
  workspaces: { running: 2, total: 5, failed: 0 },
};

describe('buildTrayModel', () => {
  it('while running: status with the address, counts, and every action enabled', () => {
    const model = buildTrayModel(running);
    expect(infos(model.items)).toEqual(['Running at http://localhost:8080', '2 of 5 workspaces running']);
    expect(actions(model.items)).toEqual({
      'open-dashboard': { label: 'Open dashboard', enabled: true },
      'open-in-browser': { label: 'Open dashboard in browser', enabled: true },
      quit: { label: 'Quit', enabled: true },
    });
    expect(model.tooltip).toBe('Xares Desktop – 2 of 5 workspaces running');
  });

  it('while starting: nothing to open yet, but quitting is possible', () => {
    const model = buildTrayModel({ phase: 'starting', dashboardUrl: null, workspaces: null });
    expect(infos(model.items)).toEqual(['Starting the server…']);
    expect(actions(model.items)['open-dashboard']?.enabled).toBe(false);
    expect(actions(model.items)['open-in-browser']?.enabled).toBe(false);
    expect(actions(model.items).quit).toEqual({ label: 'Quit', enabled: true });
    expect(model.tooltip).toBe('Xares Desktop – Starting the server…');
  });

  it('while stopping: quit shows progress and cannot be clicked twice', () => {
    const model = buildTrayModel({ ...running, phase: 'stopping' });
    expect(actions(model.items).quit).toEqual({ label: 'Quitting…', enabled: false });
    expect(actions(model.items)['open-dashboard']?.enabled).toBe(false);
    expect(infos(model.items)).toEqual(['Stopping the server…']); // counts are hidden once not running
  });

  it('after a failed start: says why, on one clipped line', () => {
    const model = buildTrayModel({ phase: 'failed', dashboardUrl: null, workspaces: null, error: 'listen EADDRINUSE: address already in use :::8080\n  at x' });
    const [status] = infos(model.items);
    expect(status).toBe('Could not start: listen EADDRINUSE: address already in use :::8080 at x');
    const long = buildTrayModel({ phase: 'failed', dashboardUrl: null, workspaces: null, error: 'x'.repeat(500) });
    expect(infos(long.items)[0]!.length).toBe(100);
    expect(infos(long.items)[0]!.endsWith('…')).toBe(true);
    expect(infos(buildTrayModel({ phase: 'failed', dashboardUrl: null, workspaces: null }).items).at(0)).toBe('Could not start: unknown error');
  });

  it('without counts (Docker down): no workspace line, status in the tooltip', () => {
    const model = buildTrayModel({ ...running, workspaces: null });
    expect(infos(model.items)).toEqual(['Running at http://localhost:8080']);
    expect(model.tooltip).toBe('Xares Desktop – Running at http://localhost:8080');
  });

  it('has no leading, trailing or doubled separators', () => {
    for (const phase of ['starting', 'running', 'stopping', 'failed'] as const) {
      const kinds = buildTrayModel({ ...running, phase }).items.map((item) => item.kind);
      expect(kinds[0]).not.toBe('separator');
      expect(kinds.at(-1)).not.toBe('separator');
      expect(kinds.join(',')).not.toContain('separator,separator');
      expect(kinds.at(-1)).toBe('action'); // Quit is last
    }
  });
});

describe('describeWorkspaces', () => {
  it('words the counts', () => {
    expect(describeWorkspaces({ running: 0, total: 0, failed: 0 })).toBe('No workspaces yet');
    expect(describeWorkspaces({ running: 1, total: 1, failed: 0 })).toBe('1 of 1 workspace running');
    expect(describeWorkspaces({ running: 3, total: 7, failed: 2 })).toBe('3 of 7 workspaces running, 2 failed');
  });
});

const workshop: WorkshopGlance = {
  group: 'Class A',
  registrationOpen: true,
  available: 3,
  total: 10,
  claimed: 5,
  startable: 2,
  stoppable: 8,
  joinUrl: 'http://192.168.1.20:8080/',
};
const withWorkshop: TrayState = { ...running, workshop };

describe('buildTrayModel with an open workshop', () => {
  it('shows seats free / total in the menu and the tooltip, and every workshop action', () => {
    const model = buildTrayModel(withWorkshop);
    expect(infos(model.items)).toEqual([
      'Running at http://localhost:8080',
      '2 of 5 workspaces running',
      'Workshop “Class A”: 3 of 10 seats free',
      'Registration is open',
    ]);
    expect(model.tooltip).toBe('Xares Desktop – Workshop “Class A”: 3 of 10 seats free');
    const all = actions(model.items);
    expect(Object.keys(all)).toEqual(['copy-join-url', 'show-join-qr', 'close-registration', 'start-all', 'stop-all', 'open-dashboard', 'open-in-browser', 'quit']);
    expect(all['copy-join-url']).toEqual({ label: 'Copy join URL', enabled: true });
    expect(all['show-join-qr']).toEqual({ label: 'Show join QR code', enabled: true });
    expect(all['close-registration']).toEqual({ label: 'Close registration', enabled: true });
    expect(all['start-all']).toEqual({ label: 'Start all workspaces of “Class A”', enabled: true });
    expect(all['stop-all']).toEqual({ label: 'Stop all workspaces of “Class A”…', enabled: true });
  });

  it('offers the registration item that is not in force', () => {
    const closed = actions(buildTrayModel({ ...running, workshop: { ...workshop, registrationOpen: false } }).items);
    expect(closed['open-registration']).toEqual({ label: 'Open registration', enabled: true });
    expect(closed['close-registration']).toBeUndefined();
    expect(infos(buildTrayModel({ ...running, workshop: { ...workshop, registrationOpen: false } }).items)).toContain('Registration is closed');
  });

  it('asks before stopping all, naming how many and that files are kept', () => {
    const item = buildTrayModel(withWorkshop).items.find((entry) => entry.kind === 'action' && entry.action === 'stop-all');
    expect(item?.kind === 'action' && item.confirm).toEqual({
      title: 'Stop all workspaces',
      message: 'Stop 8 running workspaces of “Class A”?',
      detail: expect.stringContaining('files are kept'),
      confirmLabel: 'Stop all',
      cancelLabel: 'Cancel',
    });
    const start = buildTrayModel(withWorkshop).items.find((entry) => entry.kind === 'action' && entry.action === 'start-all');
    expect(start?.kind === 'action' && start.confirm).toBeUndefined(); // starting takes nothing from anyone
  });

  it('start all / stop all only click when there is something to do, and not during a group action', () => {
    const idle = actions(buildTrayModel({ ...running, workshop: { ...workshop, startable: 0, stoppable: 0 } }).items);
    expect(idle['start-all']?.enabled).toBe(false);
    expect(idle['stop-all']?.enabled).toBe(false);
    const starting = actions(buildTrayModel({ ...withWorkshop, bulk: 'start-all' }).items);
    expect(starting['start-all']).toEqual({ label: 'Starting all workspaces…', enabled: false });
    expect(starting['stop-all']?.enabled).toBe(false);
    const stopping = actions(buildTrayModel({ ...withWorkshop, bulk: 'stop-all' }).items);
    expect(stopping['stop-all']).toEqual({ label: 'Stopping all workspaces…', enabled: false });
    expect(stopping['start-all']?.enabled).toBe(false);
  });

  it('without a join URL, copy and QR do not click', () => {
    const model = actions(buildTrayModel({ ...running, workshop: { ...workshop, joinUrl: null } }).items);
    expect(model['copy-join-url']?.enabled).toBe(false);
    expect(model['show-join-qr']?.enabled).toBe(false);
  });

  it('no workshop open: says so, no workshop actions, workspace counts in the tooltip', () => {
    const none: WorkshopGlance = { group: null, registrationOpen: false, available: 0, total: 0, claimed: 0, startable: 0, stoppable: 0, joinUrl: null };
    const model = buildTrayModel({ ...running, workshop: none });
    expect(infos(model.items)).toContain('No workshop open');
    expect(Object.keys(actions(model.items))).toEqual(['open-dashboard', 'open-in-browser', 'quit']);
    expect(model.tooltip).toBe('Xares Desktop – 2 of 5 workspaces running');
  });

  it('hides the workshop while the server is not running', () => {
    for (const phase of ['starting', 'stopping', 'failed'] as const) {
      const model = buildTrayModel({ ...withWorkshop, phase });
      expect(Object.keys(actions(model.items))).toEqual(['open-dashboard', 'open-in-browser', 'quit']);
      expect(infos(model.items).some((line) => line.includes('Workshop'))).toBe(false);
    }
  });

  it('long or odd group names stay one short line; & is shown, not taken as a mnemonic', () => {
    const model = buildTrayModel({ ...running, workshop: { ...workshop, group: `R&D ${'x'.repeat(60)}\nline` } });
    const seats = infos(model.items).find((line) => line.startsWith('Workshop'))!;
    expect(seats).toMatch(/^Workshop “R&&D x+…”: 3 of 10 seats free$/);
    expect(model.tooltip.length).toBeLessThanOrEqual(127);
    expect(model.tooltip).toContain('R&D'); // tooltips have no mnemonics
  });

  it('words one seat', () => {
    expect(describeSeats({ ...workshop, available: 0, total: 1 })).toBe('Workshop “Class A”: 0 of 1 seat free');
  });

  it('has no leading, trailing or doubled separators with a workshop either', () => {
    for (const bulk of [null, 'start-all', 'stop-all'] as const) {
      const kinds = buildTrayModel({ ...withWorkshop, bulk }).items.map((item) => item.kind);
      expect(kinds[0]).not.toBe('separator');
      expect(kinds.join(',')).not.toContain('separator,separator');
      expect(kinds.at(-1)).toBe('action');
    }
  });
});

describe('describeBulkOutcome', () => {
  const base = { group: 'Class A', skipped: [], failed: [] };
  it('counts what was done', () => {
    expect(describeBulkOutcome({ ...base, action: 'start', attempted: 3, done: ['a', 'b', 'c'] })).toEqual({
      kind: 'info',
      title: 'Start all workspaces',
      body: '3 workspaces of “Class A” started.',
    });
    expect(describeBulkOutcome({ ...base, action: 'stop', attempted: 1, done: ['a'] }).body).toBe('1 workspace of “Class A” stopped.');
    expect(describeBulkOutcome({ ...base, action: 'stop', attempted: 0, done: [] })).toEqual({
      kind: 'info',
      title: 'Nothing to stop',
      body: 'No workspace of “Class A” needed it.',
    });
  });

  it('says why some were not done, with up to three names', () => {
    const skipped = ['S1', 'S2', 'S3', 'S4', 'S5'].map((projectName) => ({ projectName, code: 'CONCURRENT_LIMIT_REACHED', message: 'limit' }));
    const report = describeBulkOutcome({ ...base, action: 'start', attempted: 7, done: ['a', 'b'], skipped });
    expect(report.kind).toBe('info');
    expect(report.body).toBe('2 workspaces of “Class A” started. 5 not started: the limit of running workspaces is reached (S1, S2, S3 and 2 more).');
    const locked = describeBulkOutcome({ ...base, action: 'stop', attempted: 1, done: [], skipped: [{ projectName: 'Seat 1', code: 'INVALID_WORKSPACE_PASSWORD', message: 'x' }] });
    expect(locked.kind).toBe('error');
    expect(locked.body).toContain('1 not stopped: they are password-protected (Seat 1).');
    const failed = describeBulkOutcome({ ...base, action: 'start', attempted: 1, done: [], failed: [{ projectName: 'Seat 9', message: 'Docker is not reachable' }] });
    expect(failed).toEqual({ kind: 'error', title: 'Start all workspaces', body: '0 workspaces of “Class A” started. 1 failed: Seat 9 – Docker is not reachable' });
  });
});
