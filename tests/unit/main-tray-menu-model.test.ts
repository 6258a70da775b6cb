import { describe, expect, it } from 'vitest';
import { buildTrayModel, describeWorkspaces, type TrayMenuItem, type TrayState } from '../../main/tray-menu-model.js';

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
