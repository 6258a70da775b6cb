import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerEvent, WorkshopStatusResponse } from '../../server/contract/index.js';
import { EventBus } from '../../server/events/event-bus.js';
import { startServer, type XaresAppServer } from '../../server/app.js';
import { ServiceError } from '../../server/services/service-error.js';
import type { GroupActionResult } from '../../server/services/workshop-workspaces.js';
import { hashPassword } from '../../server/services/passwords.js';
import { openStore } from '../../server/store/index.js';
import { createTrayController, trayServerOf, type TrayMenuTemplateItem, type TrayServer } from '../../main/tray-controller.js';
import type { TrayConfirmation, TrayReport } from '../../main/tray-menu-model.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';

/** Electron's Tray and Menu as plain recorders: what the user would see, and the click handlers. */
function fakeElectron() {
  const tray = {
    tooltip: '',
    menu: null as TrayMenuTemplateItem[] | null,
    menuBuilds: 0,
    destroyed: false,
    setToolTip(text: string) {
      this.tooltip = text;
    },
    setContextMenu(menu: TrayMenuTemplateItem[]) {
      this.menu = menu;
      this.menuBuilds += 1;
    },
    isDestroyed() {
      return this.destroyed;
    },
  };
  const menu = { buildFromTemplate: (template: TrayMenuTemplateItem[]) => template };
  const clipboard = { text: '', writeText(text: string) { this.text = text; } };
  const labels = () => (tray.menu ?? []).map((item) => ('type' in item ? '---' : `${item.label}${item.enabled ? '' : ' (off)'}`));
  const click = (label: string) => {
    const item = (tray.menu ?? []).find((entry) => !('type' in entry) && entry.label === label);
    if (!item || 'type' in item || !item.click) throw new Error(`no clickable item "${label}" in ${labels().join(' | ')}`);
    item.click();
  };
  return { tray, menu, clipboard, labels, click };
}

/** A TrayServer over plain values, with a real EventBus. */
function fakeTrayServer(initial: Partial<WorkshopStatusResponse> = {}) {
  const bus = new EventBus();
  const status: WorkshopStatusResponse = { available: 3, total: 10, claimed: 5, registrationOpen: true, group: 'Class A', ...initial };
  const plan = { startable: 2, stoppable: 8 };
  const counts = { running: 8, total: 12, failed: 0 };
  let pendingBulk: ((result: GroupActionResult) => void) | null = null;
  const calls: string[] = [];
  let reads = 0;
  const server: TrayServer = {
    dashboardUrl: 'http://localhost:8080/admin/',
    subscribe: (listener) => bus.subscribe(listener),
    workspaceCounts: () => ({ ...counts }),
    workshopStatus: () => {
      reads += 1;
      return { ...status };
    },
    groupPlan: () => ({ ...plan }),
    joinUrl: () => 'http://192.168.1.20:8080/',
    setRegistrationOpen: (open) => {
      calls.push(`registration ${open}`);
      if (open && status.group === null) throw new ServiceError('VALIDATION_ERROR', 'Choose a group before opening registration');
      status.registrationOpen = open;
      bus.publish({ type: 'workshop.changed' });
    },
    startAll: (group) => {
      calls.push(`start-all ${group}`);
      return new Promise((resolve) => (pendingBulk = resolve));
    },
    stopAll: (group) => {
      calls.push(`stop-all ${group}`);
      return new Promise((resolve) => (pendingBulk = resolve));
    },
  };
  return {
    server,
    bus,
    status,
    plan,
    counts,
    calls,
    reads: () => reads,
    finishBulk: (result: GroupActionResult) => pendingBulk?.(result),
  };
}

function setup(answer = true) {
  const electron = fakeElectron();
  const confirmations: TrayConfirmation[] = [];
  const reports: TrayReport[] = [];
  const opened: string[] = [];
  const controller = createTrayController({
    tray: electron.tray,
    menu: electron.menu,
    clipboard: electron.clipboard,
    confirm: async (question) => {
      confirmations.push(question);
      return answer;
    },
    openDashboard: () => opened.push('dashboard'),
    openInBrowser: () => opened.push('browser'),
    showJoinQr: (url) => opened.push(`qr ${url}`),
    quit: () => opened.push('quit'),
    report: (report) => reports.push(report),
    debounceMs: 200,
  });
  return { electron, controller, confirmations, reports, opened };
}

/** Lets pending promise callbacks run (the click handlers are fire-and-forget). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('createTrayController (stand-in server)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('renders the starting tray at once, then the server state with seats free / total once attached', () => {
    const { electron, controller } = setup();
    expect(electron.tray.tooltip).toBe('Xares Desktop – Starting the server…');
    expect(electron.labels()).toEqual(['Starting the server… (off)', '---', 'Open dashboard (off)', 'Open dashboard in browser (off)', '---', 'Quit']);
    controller.attach(fakeTrayServer().server);
    expect(electron.tray.tooltip).toBe('Xares Desktop – Workshop “Class A”: 3 of 10 seats free');
    expect(electron.labels()).toEqual([
      'Running at http://localhost:8080 (off)',
      '8 of 12 workspaces running (off)',
      '---',
      'Workshop “Class A”: 3 of 10 seats free (off)',
      'Registration is open (off)',
      'Copy join URL',
      'Show join QR code',
      'Close registration',
      'Start all workspaces of “Class A”',
      'Stop all workspaces of “Class A”…',
      '---',
      'Open dashboard',
      'Open dashboard in browser',
      '---',
      'Quit',
    ]);
  });

  it('updates live from the event bus, debounced: a burst of events is one re-read and one menu rebuild', () => {
    const { electron, controller } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    const builds = electron.tray.menuBuilds;
    const reads = fake.reads();
    fake.status.available = 2;
    fake.status.claimed = 6;
    for (let i = 0; i < 30; i++) fake.bus.publish({ type: 'workshop.changed' });
    fake.bus.publish({ type: 'project.removed', projectId: 'abc123abc123' });
    expect(electron.tray.tooltip).toContain('3 of 10 seats free'); // not yet
    vi.advanceTimersByTime(199);
    expect(fake.reads()).toBe(reads);
    vi.advanceTimersByTime(1);
    expect(fake.reads()).toBe(reads + 1);
    expect(electron.tray.menuBuilds).toBe(builds + 1);
    expect(electron.tray.tooltip).toBe('Xares Desktop – Workshop “Class A”: 2 of 10 seats free');
  });

  it('ignores events that do not change the tray, and does not rebuild an unchanged menu', () => {
    const { electron, controller } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    const builds = electron.tray.menuBuilds;
    const reads = fake.reads();
    fake.bus.publish({ type: 'docker', docker: { available: true, version: '20.10', error: null } } as ServerEvent);
    vi.advanceTimersByTime(1_000);
    expect(fake.reads()).toBe(reads);
    fake.bus.publish({ type: 'workshop.changed' });
    vi.advanceTimersByTime(1_000);
    expect(fake.reads()).toBe(reads + 1);
    expect(electron.tray.menuBuilds).toBe(builds); // same model: Linux menus would flicker otherwise
  });

  it('copy join URL puts the URL on the clipboard; show QR passes it to the window', async () => {
    const { electron, controller, opened, reports } = setup();
    controller.attach(fakeTrayServer().server);
    electron.click('Copy join URL');
    await settle();
    expect(electron.clipboard.text).toBe('http://192.168.1.20:8080/');
    expect(reports.at(-1)).toEqual({ kind: 'info', title: 'Join URL copied', body: 'http://192.168.1.20:8080/' });
    electron.click('Show join QR code');
    electron.click('Open dashboard');
    electron.click('Open dashboard in browser');
    electron.click('Quit');
    await settle();
    expect(opened).toEqual(['qr http://192.168.1.20:8080/', 'dashboard', 'browser', 'quit']);
  });

  it('close / open registration go to the server; the menu follows the change', async () => {
    const { electron, controller } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    electron.click('Close registration');
    await settle();
    expect(fake.calls).toEqual(['registration false']);
    expect(electron.labels()).toContain('Registration is closed (off)');
    electron.click('Open registration');
    await settle();
    expect(fake.calls).toEqual(['registration false', 'registration true']);
    expect(electron.labels()).toContain('Close registration');
  });

  it('stop all asks first; "Cancel" stops nothing', async () => {
    const { electron, controller, confirmations } = setup(false);
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    electron.click('Stop all workspaces of “Class A”…');
    await settle();
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]?.message).toBe('Stop 8 running workspaces of “Class A”?');
    expect(fake.calls).toEqual([]);
  });

  it('stop all, confirmed: progress in the menu, no second click, then the outcome as a report and fresh counts', async () => {
    const { electron, controller, reports } = setup(true);
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    electron.click('Stop all workspaces of “Class A”…');
    await settle();
    expect(fake.calls).toEqual(['stop-all Class A']);
    expect(electron.labels()).toContain('Stopping all workspaces… (off)');
    expect(electron.labels()).toContain('Start all workspaces of “Class A” (off)');
    await controller.run('stop-all'); // a stale click while it runs is refused
    expect(fake.calls).toEqual(['stop-all Class A']);
    fake.plan.stoppable = 1;
    fake.counts.running = 1;
    fake.finishBulk({
      action: 'stop',
      group: 'Class A',
      attempted: 8,
      done: ['1', '2', '3', '4', '5', '6', '7'],
      skipped: [{ projectId: 'p', projectName: 'Seat 8', code: 'INVALID_WORKSPACE_PASSWORD', message: 'x' }],
      failed: [],
    });
    await settle();
    expect(reports.at(-1)).toEqual({
      kind: 'info',
      title: 'Stop all workspaces',
      body: '7 workspaces of “Class A” stopped. 1 not stopped: they are password-protected (Seat 8).',
    });
    expect(electron.labels()).toContain('1 of 12 workspaces running (off)');
    expect(electron.labels()).toContain('Stop all workspaces of “Class A”…');
  });

  it('start all runs without a question and reports the outcome', async () => {
    const { electron, controller, reports, confirmations } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    electron.click('Start all workspaces of “Class A”');
    await settle();
    expect(electron.labels()).toContain('Starting all workspaces… (off)');
    fake.finishBulk({ action: 'start', group: 'Class A', attempted: 2, done: ['a', 'b'], skipped: [], failed: [] });
    await settle();
    expect(confirmations).toEqual([]);
    expect(reports.at(-1)?.body).toBe('2 workspaces of “Class A” started.');
  });

  it('a click the current model does not offer enabled is ignored (stale menu)', async () => {
    const { controller } = setup();
    const fake = fakeTrayServer();
    fake.plan.startable = 0;
    controller.attach(fake.server);
    await controller.run('start-all');
    await controller.run('open-registration'); // registration is open: only "close" is offered
    expect(fake.calls).toEqual([]);
  });

  it('a refused registration change is reported, not thrown', async () => {
    const { controller, reports } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    fake.server.setRegistrationOpen = () => {
      throw new ServiceError('VALIDATION_ERROR', 'Choose a group before opening registration');
    };
    await controller.run('close-registration');
    expect(reports.at(-1)).toEqual({ kind: 'error', title: 'Could not close registration', body: 'Choose a group before opening registration' });
  });

  it('stopping: workshop hidden, Quitting…; detach unsubscribes; a failed start says why', () => {
    const { electron, controller } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    expect(fake.bus.size).toBe(1);
    controller.setPhase('stopping');
    expect(electron.labels()).toEqual(['Stopping the server… (off)', '---', 'Open dashboard (off)', 'Open dashboard in browser (off)', '---', 'Quitting… (off)']);
    controller.detach();
    expect(fake.bus.size).toBe(0);
    controller.setPhase('failed', 'Port 8080 is already in use.');
    expect(electron.tray.tooltip).toBe('Xares Desktop – Could not start: Port 8080 is already in use.');
  });

  it('a destroyed tray is left alone; dispose stops the pending refresh', () => {
    const { electron, controller } = setup();
    const fake = fakeTrayServer();
    controller.attach(fake.server);
    fake.bus.publish({ type: 'workshop.changed' });
    controller.dispose();
    const reads = fake.reads();
    vi.advanceTimersByTime(1_000);
    expect(fake.reads()).toBe(reads);
    expect(fake.bus.size).toBe(0);
    electron.tray.destroyed = true;
    controller.setPhase('failed', 'x'); // no throw, nothing rendered
    expect(electron.tray.tooltip).toContain('Workshop');
  });
});

describe('trayServerOf + createTrayController (real server services, fake engine)', () => {
  let dataDir: string;
  let server: XaresAppServer | null = null;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'xares-tray-'));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads seats, join URL and counts in-process, toggles registration through WorkshopService, follows workshop.changed, and stop all leaves a protected workspace running', async () => {
    // Workspaces as stored records (the fake engine cannot create containers): a template and three seats of "Class A".
    const store = openStore(dataDir);
    const base = {
      type: 'empty' as const,
      statusReason: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      lastActivity: null,
      passwordHash: null,
      proxyMode: 'none' as const,
      memoryLimit: '2g' as const,
      cpuCores: '2' as const,
      group: 'Class A',
      createGitRepo: false,
      gitRepoUrl: null,
      containerId: null,
      image: 'xares/workspace:test',
    };
    store.projects.insert({ ...base, id: 'tpl000000000', name: 'Template', status: 'stopped' });
    store.projects.insert({ ...base, id: 'seat00000001', name: 'Seat 1', status: 'running', clonedFrom: 'tpl000000000', passwordHash: await hashPassword('secret-pass') });
    store.projects.insert({ ...base, id: 'seat00000002', name: 'Seat 2', status: 'stopped', clonedFrom: 'tpl000000000' });
    store.projects.insert({ ...base, id: 'seat00000003', name: 'Seat 3', status: 'stopped', clonedFrom: 'tpl000000000' });
    store.close();

    server = await startServer(
      { port: 0, host: '127.0.0.1', dataDir, instanceId: 'trayunit', buildImageIfMissing: false, logLevel: 'silent', publicHost: 'class.example.org', workshopGroup: 'Class A' },
      { runtime: createFakeRuntime({ images: new Set(), engineUp: false }), networkControl: false },
    );
    const electron = fakeElectron();
    const reports: TrayReport[] = [];
    const controller = createTrayController({
      tray: electron.tray,
      menu: electron.menu,
      clipboard: electron.clipboard,
      confirm: async () => true,
      openDashboard: () => undefined,
      openInBrowser: () => undefined,
      showJoinQr: () => undefined,
      quit: () => undefined,
      report: (report) => reports.push(report),
      debounceMs: 10,
    });
    controller.attach(trayServerOf(server));
    const glance = controller.state().workshop;
    // Seat 1 runs but the record has no port: still counted by status. The template is no seat.
    expect(glance).toEqual({
      group: 'Class A',
      registrationOpen: true,
      available: 1,
      total: 3,
      claimed: 0,
      startable: 2,
      stoppable: 1,
      joinUrl: `http://class.example.org:${server.port}/`,
    });
    expect(electron.tray.tooltip).toBe('Xares Desktop – Workshop “Class A”: 1 of 3 seats free');
    expect(controller.state().workspaces).toEqual({ running: 1, total: 4, failed: 0 });

    electron.click('Copy join URL');
    await settle();
    expect(electron.clipboard.text).toBe(`http://class.example.org:${server.port}/`);

    await controller.run('close-registration');
    expect(server.workshop.settings()).toEqual({ group: 'Class A', registrationOpen: false });
    expect(controller.state().workshop?.registrationOpen).toBe(false);

    // A change made elsewhere (the dashboard) reaches the tray through the bus.
    server.workshop.updateSettings({ registrationOpen: true });
    await vi.waitFor(() => expect(controller.state().workshop?.registrationOpen).toBe(true), { timeout: 2_000, interval: 5 });

    // Stop all through the real ProjectsService: the protected seat refuses without its password, before any engine call.
    await controller.run('stop-all');
    expect(reports.at(-1)?.body).toBe('0 workspaces of “Class A” stopped. 1 not stopped: they are password-protected (Seat 1).');
    expect(server.projects.briefs().find((p) => p.id === 'seat00000001')?.status).toBe('running');
    controller.dispose();
  });
});
