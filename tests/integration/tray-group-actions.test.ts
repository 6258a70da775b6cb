/**
 * The tray's workshop actions on the real server (issue #6 "Tray quick actions"): the tray controller over
 * `trayServerOf(server)` calls the services in-process, with the real ProjectsService rules
 * (maxConcurrentWorkspaces, workspace passwords) and the real event bus. Seats run on the fake seat runtime
 * (tests/helpers/fake-seat-runtime.ts: no Docker, the real readiness probe against a loopback health server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkshopStatusResponse } from '../../server/contract/index.js';
import { createTrayController, trayServerOf, type TrayController, type TrayMenuTemplateItem } from '../../main/tray-controller.js';
import type { TrayReport } from '../../main/tray-menu-model.js';
import { startFakeSeatRuntime, type FakeSeatRuntime } from '../helpers/fake-seat-runtime.js';
import { pollUntil, startTestServer, type TestServer } from '../helpers/server.js';

const GROUP = 'tray room';

describe('tray start all / stop all on the real server', () => {
  let fake: FakeSeatRuntime;
  let t: TestServer;
  let controller: TrayController;
  const reports: TrayReport[] = [];
  const confirmations: string[] = [];
  const tray = { tooltip: '', menu: [] as TrayMenuTemplateItem[], setToolTip(text: string) { this.tooltip = text; }, setContextMenu(menu: TrayMenuTemplateItem[]) { this.menu = menu; }, isDestroyed: () => false };
  const ids: Record<string, string> = {};

  async function create(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const reply = await t.api('POST', '/api/projects/create', { projectName: name, projectType: 'empty', group: GROUP, ...extra });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    ids[name] = reply.body.project.id as string;
    await t.waitForStatus(ids[name], 'running', 30_000);
    return ids[name];
  }

  async function statuses(): Promise<Record<string, string>> {
    const list = await t.api<{ projects: { id: string; name: string; status: string }[] }>('GET', '/api/projects/');
    return Object.fromEntries(list.body.projects.map((p) => [p.name, p.status]));
  }

  beforeAll(async () => {
    fake = await startFakeSeatRuntime();
    t = await startTestServer({ workshopGroup: GROUP, maxConcurrentWorkspaces: 3, maxWorkspaces: 10 }, { runtime: fake.runtime });
    await create('Seat 1');
    await create('Seat 2');
    await create('Seat 3', { passwordProtected: true, password: 'a long enough password' });
    controller = createTrayController({
      tray,
      menu: { buildFromTemplate: (template) => template },
      clipboard: { writeText: () => undefined },
      confirm: async (question) => {
        confirmations.push(question.message);
        return true;
      },
      openDashboard: () => undefined,
      openInBrowser: () => undefined,
      showJoinQr: () => undefined,
      quit: () => undefined,
      report: (report) => reports.push(report),
      debounceMs: 20,
    });
    controller.attach(trayServerOf(t.server));
  }, 120_000);

  afterAll(async () => {
    controller?.dispose();
    await t?.dispose();
    await fake?.close();
  });

  it('shows the open workshop: 3 of 3 seats free, nothing to start, 3 to stop', () => {
    expect(controller.state().workshop).toMatchObject({ group: GROUP, registrationOpen: true, available: 3, total: 3, startable: 0, stoppable: 3 });
    expect(tray.tooltip).toBe(`Xares Desktop – Workshop “${GROUP}”: 3 of 3 seats free`);
  });

  it('stop all (confirmed) stops the running seats; the password-protected one is left running and named', async () => {
    await controller.run('stop-all');
    expect(confirmations).toEqual([`Stop 3 running workspaces of “${GROUP}”?`]);
    expect(reports.at(-1)).toEqual({
      kind: 'info',
      title: 'Stop all workspaces',
      body: `2 workspaces of “${GROUP}” stopped. 1 not stopped: they are password-protected (Seat 3).`,
    });
    expect(await statuses()).toEqual({ 'Seat 1': 'stopped', 'Seat 2': 'stopped', 'Seat 3': 'running' });
    expect(controller.state().workshop).toMatchObject({ available: 1, startable: 2, stoppable: 1 });
  });

  it('start all respects MAX_CONCURRENT_WORKSPACES: starts up to the limit and names the rest', async () => {
    // Two more seats, then stopped: four stopped seats, one running, limit 3.
    await create('Seat 4');
    await create('Seat 5');
    for (const name of ['Seat 4', 'Seat 5']) expect((await t.api('POST', `/api/projects/${ids[name]}/stop`, {})).status).toBe(200);
    await pollUntil(async () => (controller.state().workshop?.startable === 4 ? true : undefined), { timeoutMs: 5_000, intervalMs: 20, description: 'the tray to see 4 stopped seats' });

    await controller.run('start-all');
    const after = await statuses();
    const running = Object.entries(after).filter(([, status]) => status === 'running').map(([name]) => name);
    expect(running).toHaveLength(3);
    expect(running).toContain('Seat 3');
    const report = reports.at(-1)!;
    expect(report.kind).toBe('info');
    expect(report.body).toMatch(new RegExp(`^2 workspaces of “${GROUP}” started\\. 2 not started: the limit of running workspaces is reached \\(Seat \\d, Seat \\d\\)\\.$`));
    expect(controller.state().workshop).toMatchObject({ available: 3, startable: 2, stoppable: 3 });
  });

  it('follows changes made elsewhere: registration closed through the API shows in the tray', async () => {
    const reply = await t.api('PUT', '/api/workshop/settings', { registrationOpen: false });
    expect(reply.status).toBe(200);
    await pollUntil(async () => (controller.state().workshop?.registrationOpen === false ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
      description: 'the tray to show registration closed',
    });
    expect(tray.menu.some((item) => 'label' in item && item.label === 'Open registration' && item.enabled)).toBe(true);
    const status = await t.api<WorkshopStatusResponse>('GET', '/api/workshop/status', undefined, { token: null });
    expect(controller.state().workshop).toMatchObject({ available: status.body.available, total: status.body.total });
  });
});
