/**
 * The tray icon's behaviour (issue #6 "Tray quick actions"): gathers the tray state from the in-process server
 * (workspace counts, open workshop, seats), renders `buildTrayModel` into the tray through small injected
 * interfaces (Electron's `Tray`, `Menu`, `clipboard` fit them as they are), keeps it live from the server's
 * event bus (debounced), and carries out the menu's actions. No Electron import: unit-tested with stand-ins
 * (tests/unit/main-tray-controller.test.ts). All decisions about what is shown and clickable are in
 * tray-menu-model.ts; this module only refuses a click the current model does not offer (a stale menu).
 */
import type { ServerEvent, WorkshopStatusResponse } from '../server/contract/index.js';
import { joinUrl } from '../server/routing/public-urls.js';
import { WorkshopWorkspaces, type GroupActionResult } from '../server/services/workshop-workspaces.js';
import {
  buildTrayModel,
  describeBulkOutcome,
  type ServerPhase,
  type TrayAction,
  type TrayConfirmation,
  type TrayModel,
  type TrayReport,
  type TrayState,
  type WorkspaceCounts,
} from './tray-menu-model.js';

/** What the tray reads from and does to the server; {@link trayServerOf} builds it from the real one. */
export interface TrayServer {
  readonly dashboardUrl: string;
  /** Subscribes to server events; returns the unsubscribe function (EventBus.subscribe). */
  subscribe(listener: (event: ServerEvent) => void): () => void;
  workspaceCounts(): WorkspaceCounts;
  workshopStatus(): WorkshopStatusResponse;
  /** How many workspaces of `group` start all / stop all would act on. */
  groupPlan(group: string): { startable: number; stoppable: number };
  /** The participants' join page URL, computed now (the LAN address may have changed). */
  joinUrl(): string;
  /** @throws ServiceError VALIDATION_ERROR when opening without a group. */
  setRegistrationOpen(open: boolean): void;
  /** Never rejects (problems are in the result). */
  startAll(group: string): Promise<GroupActionResult>;
  stopAll(group: string): Promise<GroupActionResult>;
}

/** The parts of the running backend (`XaresAppServer`, server/app.ts) the tray uses. */
export interface TrayServerSource {
  readonly dashboardUrl: string;
  readonly port: number;
  readonly config: { readonly publicHost?: string | undefined };
  readonly events: { subscribe(listener: (event: ServerEvent) => void): () => void };
  readonly projects: ConstructorParameters<typeof WorkshopWorkspaces>[0]['projects'] & {
    counts(): { running: number; error: number; total: number };
  };
  readonly workshop: {
    status(): WorkshopStatusResponse;
    updateSettings(request: { registrationOpen: boolean }): unknown;
  };
}

/**
 * The tray's view of the in-process server: services called directly (no HTTP, no token in any URL). The join
 * URL is the one the dashboard's board shows (`joinUrl` of server/routing/public-urls.ts: configured public
 * host, else the LAN address). Start/stop all go through {@link WorkshopWorkspaces} (ProjectsService rules).
 */
export function trayServerOf(server: TrayServerSource): TrayServer {
  const workspaces = new WorkshopWorkspaces({ projects: server.projects });
  return {
    dashboardUrl: server.dashboardUrl,
    subscribe: (listener) => server.events.subscribe(listener),
    workspaceCounts: () => {
      const counts = server.projects.counts();
      return { running: counts.running, total: counts.total, failed: counts.error };
    },
    workshopStatus: () => server.workshop.status(),
    groupPlan: (group) => {
      const plan = workspaces.plan(group);
      return { startable: plan.startable.length, stoppable: plan.stoppable.length };
    },
    joinUrl: () => joinUrl({ publicHost: server.config.publicHost }, server.port),
    setRegistrationOpen: (open) => {
      server.workshop.updateSettings({ registrationOpen: open });
    },
    startAll: (group) => workspaces.startAll(group),
    stopAll: (group) => workspaces.stopAll(group),
  };
}

/** Electron's `Tray` as used here. */
export interface TrayHandle<M> {
  setToolTip(text: string): void;
  setContextMenu(menu: M): void;
  isDestroyed(): boolean;
}

/** One entry of an Electron menu template, as built here (assignable to `MenuItemConstructorOptions`). */
export type TrayMenuTemplateItem = { type: 'separator' } | { label: string; enabled: boolean; click?: () => void };

/** Electron's `Menu` (its static `buildFromTemplate`). */
export interface MenuBuilder<M> {
  buildFromTemplate(template: TrayMenuTemplateItem[]): M;
}

/** Dependencies of {@link createTrayController}. */
export interface TrayControllerDeps<M> {
  tray: TrayHandle<M>;
  menu: MenuBuilder<M>;
  /** Electron's `clipboard`. */
  clipboard: { writeText(text: string): void };
  /** Asks the question (native message box); true when confirmed. */
  confirm(question: TrayConfirmation): Promise<boolean>;
  /** Shows the dashboard window (creating it when it was closed into the tray). */
  openDashboard(): void;
  /** Opens the dashboard in the system browser (one-time sign-in link). */
  openInBrowser(): void;
  /** Shows the join URL's QR code (main/join-qr-page.ts builds the page). */
  showJoinQr(url: string): void;
  /** Quits the app (the usual clean shutdown). */
  quit(): void;
  /** Tells the user how an action went (native notification); absent: not told. */
  report?(report: TrayReport): void;
  /** Coalescing delay for server events, ms (default {@link TRAY_EVENT_DEBOUNCE_MS}). */
  debounceMs?: number;
  /** Unexpected errors (logging). */
  onError?(error: unknown): void;
}

/** The tray controller; see {@link createTrayController}. */
export interface TrayController {
  /** Sets the server phase (`failed` with its one-line reason); re-renders. */
  setPhase(phase: ServerPhase, error?: string | null): void;
  /** The server runs: phase `running`, follow its events, render its state now. */
  attach(server: TrayServer): void;
  /** Stops following the server (before it closes); its values leave the tray. */
  detach(): void;
  /** Reads the server state again now and re-renders. */
  refresh(): void;
  /** Carries out a menu action (confirmation first where the model asks for one). Never rejects. */
  run(action: TrayAction): Promise<void>;
  /** The tray state and model as rendered now (tests, the e2e probe). */
  state(): TrayState;
  model(): TrayModel;
  /** Stops timers and the subscription. */
  dispose(): void;
}

/**
 * Server events are coalesced for this long (ms) before the tray re-reads the server: a clone batch or a room
 * registering at once sends dozens, and Linux menus flicker on every rebuild.
 */
export const TRAY_EVENT_DEBOUNCE_MS = 250;

/** Events after which the tray re-reads the server. */
const REFRESH_EVENTS = new Set<ServerEvent['type']>(['project.updated', 'project.removed', 'workshop.changed']);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the controller and renders the initial (`starting`) tray. Rendering rebuilds the menu only when the
 * model changed. A click is carried out only when the current model offers that action enabled.
 */
export function createTrayController<M>(deps: TrayControllerDeps<M>): TrayController {
  const debounceMs = deps.debounceMs ?? TRAY_EVENT_DEBOUNCE_MS;
  let state: TrayState = { phase: 'starting', dashboardUrl: null, workspaces: null, workshop: null, bulk: null };
  let server: TrayServer | null = null;
  let unsubscribe: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let rendered = '';
  let disposed = false;

  const report = (value: TrayReport) => {
    try {
      deps.report?.(value);
    } catch (error) {
      deps.onError?.(error);
    }
  };

  const render = () => {
    if (disposed || deps.tray.isDestroyed()) return;
    const model = buildTrayModel(state);
    const key = JSON.stringify(model);
    if (key === rendered) return;
    rendered = key;
    deps.tray.setToolTip(model.tooltip);
    const template: TrayMenuTemplateItem[] = model.items.map((item) => {
      switch (item.kind) {
        case 'separator':
          return { type: 'separator' };
        case 'info':
          return { label: item.label, enabled: false };
        case 'action':
          return { label: item.label, enabled: item.enabled, click: () => void controller.run(item.action) };
      }
    });
    deps.tray.setContextMenu(deps.menu.buildFromTemplate(template));
  };

  const read = (source: TrayServer): Pick<TrayState, 'workspaces' | 'workshop'> => {
    try {
      const status = source.workshopStatus();
      const plan = status.group === null ? { startable: 0, stoppable: 0 } : source.groupPlan(status.group);
      return {
        workspaces: source.workspaceCounts(),
        workshop: {
          group: status.group,
          registrationOpen: status.registrationOpen,
          available: status.available,
          total: status.total,
          claimed: status.claimed,
          startable: plan.startable,
          stoppable: plan.stoppable,
          joinUrl: status.group === null ? null : source.joinUrl(),
        },
      };
    } catch (error) {
      // The server is closing (store closed) or broken: show nothing rather than stale values.
      deps.onError?.(error);
      return { workspaces: null, workshop: null };
    }
  };

  const cancelTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  const controller: TrayController = {
    setPhase(phase, error = null) {
      state = { ...state, phase, error };
      render();
    },
    attach(next) {
      controller.detach();
      server = next;
      unsubscribe = next.subscribe((event) => {
        if (!REFRESH_EVENTS.has(event.type) || timer || disposed) return;
        timer = setTimeout(() => {
          timer = null;
          controller.refresh();
        }, debounceMs);
      });
      state = { ...state, phase: 'running', error: null, dashboardUrl: next.dashboardUrl };
      controller.refresh();
    },
    detach() {
      cancelTimer();
      unsubscribe?.();
      unsubscribe = null;
      server = null;
      state = { ...state, workspaces: null, workshop: null, bulk: null };
      render();
    },
    refresh() {
      cancelTimer();
      if (server) state = { ...state, ...read(server) };
      render();
    },
    async run(action) {
      const item = buildTrayModel(state).items.find((entry) => entry.kind === 'action' && entry.action === action);
      if (!item || item.kind !== 'action' || !item.enabled || disposed) return;
      try {
        if (item.confirm && !(await deps.confirm(item.confirm))) return;
        const source = server;
        const group = state.workshop?.group ?? null;
        switch (action) {
          case 'open-dashboard':
            deps.openDashboard();
            return;
          case 'open-in-browser':
            deps.openInBrowser();
            return;
          case 'quit':
            deps.quit();
            return;
        }
        if (!source) return;
        switch (action) {
          case 'copy-join-url': {
            const url = source.joinUrl();
            deps.clipboard.writeText(url);
            report({ kind: 'info', title: 'Join URL copied', body: url });
            return;
          }
          case 'show-join-qr':
            deps.showJoinQr(source.joinUrl());
            return;
          case 'open-registration':
          case 'close-registration':
            try {
              source.setRegistrationOpen(action === 'open-registration');
            } catch (error) {
              report({ kind: 'error', title: action === 'open-registration' ? 'Could not open registration' : 'Could not close registration', body: messageOf(error) });
            }
            controller.refresh();
            return;
          case 'start-all':
          case 'stop-all': {
            if (group === null) return;
            state = { ...state, bulk: action };
            render();
            try {
              const outcome = await (action === 'start-all' ? source.startAll(group) : source.stopAll(group));
              report(describeBulkOutcome(outcome));
            } catch (error) {
              report({ kind: 'error', title: action === 'start-all' ? 'Start all failed' : 'Stop all failed', body: messageOf(error) });
            } finally {
              state = { ...state, bulk: null };
              if (server === source) controller.refresh();
              else render();
            }
            return;
          }
        }
      } catch (error) {
        deps.onError?.(error);
      }
    },
    state: () => state,
    model: () => buildTrayModel(state),
    dispose() {
      cancelTimer();
      unsubscribe?.();
      unsubscribe = null;
      server = null;
      disposed = true;
    },
  };
  render();
  return controller;
}
