/**
 * Electron main process of Xares Desktop: thin glue between Electron and the pure modules next to it.
 * - one instance only (a second launch focuses the first window);
 * - shows the main window at once with a local start-up page (server start, Docker check, image build, or what to
 *   do when Docker is missing), then the dashboard; the server runs in-process on the configured port or the next
 *   free one (said in the window title and a notification);
 * - closing the window keeps the app in the tray; quitting asks whether to stop the running workspaces, then stops
 *   the server cleanly;
 * - native notifications for finished clone batches, claimed seats and workspaces that went into `error`;
 * - remembers the window's size and position; answers the preload bridge (one `ipcMain.handle` per channel).
 * Decisions live in tested modules: lifecycle.ts, startup.ts, notifications.ts, window-state.ts,
 * navigation-policy.ts, content-security.ts, tray-menu-model.ts/tray-controller.ts, bridge-handlers.ts,
 * desktop-config.ts.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, screen, session, shell, Tray } from 'electron';
import type { ServerEvent } from '../server/contract/events.js';
import { DASHBOARD_CSP } from '../server/http/dashboard.js';
import { createServer, type XaresAppServer } from '../server/index.js';
import { BRIDGE_CHANNEL_NAMES, createBridgeHandlers, dispatchBridgeCall, type BridgeHandlers } from './bridge-handlers.js';
import { withContentSecurityPolicy } from './content-security.js';
import { desktopServerConfig, iconsDir, preloadPath, trayIconFile, type DesktopEnvironment } from './desktop-config.js';
import {
  describeStartupError,
  onBeforeQuit,
  onShowWindowRequest,
  onSystemEnding,
  onWindowAllClosed,
  quitChoiceOf,
  quitDialog,
  runningWorkspaceCounts,
  ShutdownCoordinator,
  stopRunningWorkspaces,
  type QuitChoice,
  type ShutdownPhase,
  type SystemEndingSource,
} from './lifecycle.js';
import { dashboardOrigin, decideNavigation, isPermissionAllowed, isTrustedSender } from './navigation-policy.js';
import { claimSnapshots, cloneSourceLookup, NotificationPlanner, type ClaimSnapshot, type DesktopNotice } from './notifications.js';
import {
  alreadyRunningView,
  DOCKER_RETRY_SECONDS,
  dockerInstalled,
  portNotice,
  renderStartupPage,
  splashActionOf,
  startOnFreePort,
  startupPageUrl,
  StartupPageThrottle,
  startupView,
  type StartupView,
} from './startup.js';
import { HintStore, TRAY_HINT } from './tray-hint.js';
import { joinQrPageUrl, joinQrWindowOptions } from './join-qr-page.js';
import { createTrayController, trayServerOf, type TrayController } from './tray-controller.js';
import type { TrayModel } from './tray-menu-model.js';
import { fitToDisplays, stateFromWindow, WINDOW_DEFAULTS, WindowStateStore } from './window-state.js';

const MAIN_DIR = path.dirname(fileURLToPath(import.meta.url));
const APP_TITLE = 'Xares Desktop';
/** Notices wait this long for more of their kind (a class claiming seats), ms; at most `NOTICE_MAX_WAIT_MS`. */
const NOTICE_QUIET_MS = 1_500;
const NOTICE_MAX_WAIT_MS = 5_000;
/** Window state is saved this long after the last move/resize, ms. */
const WINDOW_SAVE_DELAY_MS = 500;
/** Workspaces stopped at once when the user chose "Stop them". */
const QUIT_STOP_PARALLELISM = 4;
/** Longest wait for the server to close, ms: normally 10 s; longer while workspaces are still being created (a clone batch), whose creations the close waits for. */
const SERVER_STOP_TIMEOUT_MS = 10_000;
const SERVER_STOP_TIMEOUT_CREATING_MS = 120_000;

/** The server once started; `serverStarting` settles when `createServer` does (null after a failed start). */
let server: XaresAppServer | null = null;
let serverStarting: Promise<XaresAppServer | null> = Promise.resolve(null);
let origin: string | null = null;
let mainWindow: BrowserWindow | null = null;
let tray: Tray | null = null;
/** Tray menu and tooltip (main/tray-controller.ts); created with the tray in start(). */
let trayController: TrayController | null = null;
/** The tray's "Show join QR code" window, while open. */
let qrWindow: BrowserWindow | null = null;
/** Start-up progress (startup.ts); `startupDone` once the dashboard may load. */
let startupDone = false;
let startFailed = false;
let startupContinued = false;
let engineUpSince: number | null = null;
let startupPage = '';
let portNote: string | null = null;
let dockerRetryTimer: NodeJS.Timeout | null = null;
/** Re-evaluates the start-up screen every second until the dashboard loads (time-based rules, e.g. the image grace). */
let startupTicker: NodeJS.Timeout | null = null;
let dockerFound = false;
/** Start-up page loads, throttled (an image build reports progress many times a second). */
const startupPageThrottle = new StartupPageThrottle();
/** Set when the start was refused because another Xares server uses the data folder: the page that says so. */
let alreadyRunning: Extract<StartupView, { screen: 'already-running' }> | null = null;
/** The OS is logging out, restarting or shutting down: quit without asking, never hold the quit back. */
let systemEnding = false;
/** Saves the main window's size and position now (set while a main window exists). */
let saveMainWindowState: (() => void) | null = null;
/** Event bus subscriptions and timers of the running server, ended before it closes. */
const detachers: Array<() => void> = [];

const shutdown = new ShutdownCoordinator({
  askQuit: () => askQuit(),
  stopWorkspaces: async () => {
    trayController?.setPhase('stopping');
    await stopWorkspacesForQuit();
  },
  stopServer: async () => {
    trayController?.setPhase('stopping');
    // The tray, notifications and start-up screen stop reading the server before its store closes.
    trayController?.detach();
    for (const detach of detachers.splice(0)) detach();
    if (dockerRetryTimer) clearInterval(dockerRetryTimer);
    if (startupTicker) clearInterval(startupTicker);
    // A quit during start-up waits for the start to finish, then closes what it opened.
    const started = await serverStarting;
    await started?.close();
  },
  exit: (code) => {
    // app.exit() closes the window without its `close` event: save its state here.
    saveMainWindowState?.();
    tray?.destroy();
    app.exit(code);
  },
  timeoutMs: () => (runningWorkspaceCounts(server?.projects.list() ?? []).creating > 0 ? SERVER_STOP_TIMEOUT_CREATING_MS : SERVER_STOP_TIMEOUT_MS),
  onError: (error) => console.error('[xares] while quitting:', error),
});

function desktopEnvironment(): DesktopEnvironment {
  return {
    env: process.env,
    userDataDir: app.getPath('userData'),
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    mainDir: MAIN_DIR,
  };
}

// ---- quit -----------------------------------------------------------------------------------------------

/** The quit dialog (lifecycle.ts `quitDialog`); no dialog, and nothing to stop, when no workspace runs. */
async function askQuit(): Promise<QuitChoice> {
  const options = quitDialog(runningWorkspaceCounts(server?.projects.list() ?? []));
  if (!options) return 'leave-running';
  const parent = mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible() ? mainWindow : null;
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  return quitChoiceOf(response);
}

/** "Stop them": the running workspaces without a password; failures are logged (the quit goes on). */
async function stopWorkspacesForQuit(): Promise<void> {
  const running = server;
  if (!running) return;
  await stopRunningWorkspaces(running.projects.list(), (id) => running.projects.stop(id, undefined), {
    parallelism: QUIT_STOP_PARALLELISM,
    onError: (id, error) => console.error(`[xares] could not stop workspace ${id}:`, error),
  });
}

// ---- window ---------------------------------------------------------------------------------------------

const windowStates = (): WindowStateStore =>
  new WindowStateStore(
    app.getPath('userData'),
    {
      readFile: (file) => readFileSync(file, 'utf8'),
      writeFile: (file, text) => writeFileSync(file, text, { mode: 0o600 }),
      rename: (from, to) => renameSync(from, to),
      mkdir: (dir) => mkdirSync(dir, { recursive: true }),
    },
    (error) => console.warn('[xares] window state:', error),
  );

function windowTitle(): string {
  return portNote ? `${APP_TITLE} – ${portNote}` : APP_TITLE;
}

/** The page the main window shows now: the dashboard once start-up is done, else the start-up page. */
function currentPageUrl(): string {
  if (startupDone && server) return server.dashboardUrl;
  return startupPageUrl(startupPage || renderStartupPage({ screen: 'progress', notice: null, progress: null, steps: [{ label: 'Start the server', state: 'active', detail: null }] }));
}

function createWindow(): BrowserWindow {
  const store = windowStates();
  const saved = fitToDisplays(store.load(), screen.getAllDisplays().map((display) => display.workArea));
  const window = new BrowserWindow({
    width: saved.width,
    height: saved.height,
    ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    minWidth: WINDOW_DEFAULTS.minWidth,
    minHeight: WINDOW_DEFAULTS.minHeight,
    show: false,
    title: windowTitle(),
    icon: path.join(iconsDir(desktopEnvironment()), 'icon.png'),
    webPreferences: {
      preload: preloadPath(MAIN_DIR),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  // Remember size and position: after moves/resizes settle, and when the window closes.
  let saveTimer: NodeJS.Timeout | null = null;
  const save = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    if (!window.isDestroyed()) store.save(stateFromWindow(window.getNormalBounds(), window.isMaximized()));
  };
  const saveSoon = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(save, WINDOW_SAVE_DELAY_MS);
  };
  for (const change of ['resize', 'move', 'maximize', 'unmaximize'] as const) window.on(change as 'resize', saveSoon);
  window.on('close', save);
  saveMainWindowState = save;
  window.on('closed', () => {
    if (saveTimer) clearTimeout(saveTimer);
    if (saveMainWindowState === save) saveMainWindowState = null;
    if (mainWindow === window) mainWindow = null;
  });
  // Windows: the session ends (logout, restart, shutdown); the process is ended soon after, so no dialog.
  window.on('session-end', () => endForSystem('window-session-end'));
  // The dashboard's <title> must not hide the port note.
  window.on('page-title-updated', (event) => {
    event.preventDefault();
    window.setTitle(windowTitle());
  });

  // New windows never open inside the app: same-origin links load in this window, others in the system browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    const decision = decideNavigation(url, origin ?? 'null');
    if (decision.action === 'allow') void window.loadURL(url);
    else if (decision.action === 'open-external') void shell.openExternal(decision.url);
    else console.warn(`[xares] blocked a new window for ${url.slice(0, 200)}: ${decision.reason}`);
    return { action: 'deny' };
  });
  // Before the server runs `origin` is null ('null' matches no http origin): only external links, opened outside.
  const guard = (event: Electron.Event, url: string): void => {
    const decision = decideNavigation(url, origin ?? 'null');
    if (decision.action === 'allow') return;
    event.preventDefault();
    if (decision.action === 'open-external') void shell.openExternal(decision.url);
    else console.warn(`[xares] blocked navigation to ${url.slice(0, 200)}: ${decision.reason}`);
  };
  window.webContents.on('will-navigate', (event) => guard(event, event.url));
  window.webContents.on('will-redirect', (event) => guard(event, event.url));
  // The start-up page's buttons are in-page links (#retry, #continue): no script runs in it.
  window.webContents.on('did-navigate-in-page', (_event, url, isMainFrame) => {
    if (!isMainFrame || !url.startsWith('data:')) return;
    const action = splashActionOf(url);
    if (action === 'quit') app.quit();
    else if (action === 'retry') retryStartupChecks();
    else if (action === 'continue') {
      startupContinued = true;
      updateStartup();
    }
  });
  window.webContents.on('did-fail-load', (_event, code, description, url, isMainFrame) => {
    if (isMainFrame) console.error(`[xares] could not load ${url.slice(0, 200)}: ${description} (${code})`);
  });

  void window.loadURL(currentPageUrl());
  return window;
}

/** Brings the main window forward, creating it if it was closed into the tray. */
function showWindow(): void {
  // A start refused because Xares already runs keeps its page reachable (it says where the running one is).
  const decision = onShowWindowRequest({ serverRunning: shutdown.phase === 'idle' && (!startFailed || alreadyRunning !== null), windowOpen: mainWindow !== null });
  if (decision === 'ignore') return;
  if (decision === 'create-window' || !mainWindow) {
    mainWindow = createWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

// ---- start-up screen ------------------------------------------------------------------------------------

function currentStartupView(): StartupView {
  if (alreadyRunning) return alreadyRunning;
  return startupView({
    serverStarted: server !== null,
    notice: portNote,
    docker: server?.system.docker ?? null,
    image: server?.system.image ?? null,
    dockerFound,
    platform: process.platform,
    continued: startupContinued,
    engineUpForMs: engineUpSince === null ? 0 : Date.now() - engineUpSince,
  });
}

/** Re-reads the start-up state and shows it: the dashboard once ready, else the (changed) start-up page. */
function updateStartup(): void {
  if (startupDone || shutdown.phase !== 'idle') return;
  if (server?.system.docker.available && engineUpSince === null) engineUpSince = Date.now();
  const view = currentStartupView();
  if (view.screen === 'ready') {
    startupDone = true;
    if (dockerRetryTimer) clearInterval(dockerRetryTimer);
    if (startupTicker) clearInterval(startupTicker);
    dockerRetryTimer = null;
    startupTicker = null;
    if (mainWindow && !mainWindow.isDestroyed()) void mainWindow.loadURL(currentPageUrl());
    return;
  }
  // Automatic retries while Docker is missing; none otherwise.
  if (view.screen === 'docker' && !dockerRetryTimer) dockerRetryTimer = setInterval(() => retryStartupChecks(), DOCKER_RETRY_SECONDS * 1000);
  if (view.screen !== 'docker' && dockerRetryTimer) {
    clearInterval(dockerRetryTimer);
    dockerRetryTimer = null;
  }
  // The newest page is kept for a window created later; the shown one is reloaded only when it changed, at most
  // once a second within a screen (the ticker offers it again, so a held-back change shows within a second).
  const html = renderStartupPage(view);
  startupPage = html;
  if (!startupPageThrottle.offer(html, view.screen, Date.now())) return;
  if (mainWindow && !mainWindow.isDestroyed()) void mainWindow.loadURL(currentPageUrl());
}

/** Asks the server to contact the engine again now (ping, reconcile, image check/build); the state events follow. */
function retryStartupChecks(): void {
  dockerFound = dockerInstalled(process.platform, process.env, existsSync);
  const running = server;
  if (!running || shutdown.phase !== 'idle') return;
  void running.projects.initialSync(DOCKER_RETRY_SECONDS * 1000).then(() => updateStartup());
}

// ---- notifications --------------------------------------------------------------------------------------

/** Notifications on screen: held so a click still reaches us (an unreferenced one may be collected first). */
const visibleNotices = new Set<Notification>();
/** Most notifications held at once; older ones are let go (they stay on screen, only the click is lost). */
const MAX_HELD_NOTICES = 20;

function showNotice(notice: Pick<DesktopNotice, 'title' | 'body'>): void {
  if (shutdown.phase !== 'idle' || !Notification.isSupported()) return;
  const shown = new Notification({ title: notice.title, body: notice.body, silent: false });
  const release = () => visibleNotices.delete(shown);
  shown.on('click', () => {
    release();
    showWindow();
  });
  shown.on('close', release);
  if (visibleNotices.size >= MAX_HELD_NOTICES) visibleNotices.delete(visibleNotices.values().next().value!);
  visibleNotices.add(shown);
  shown.show();
}

function claimsOf(running: XaresAppServer): ClaimSnapshot[] {
  return claimSnapshots(running.workshop.claims().active);
}

/** Follows the server's event bus for notifications and the start-up screen. */
function followServer(running: XaresAppServer): void {
  const planner = new NotificationPlanner(cloneSourceLookup(() => running.projects.briefs()));
  planner.seed(running.projects.list(), claimsOf(running));
  let quietTimer: NodeJS.Timeout | null = null;
  let firstQueuedAt = 0;
  const drain = () => {
    quietTimer = null;
    for (const notice of planner.drain()) showNotice(notice);
  };
  const onEvent = (event: ServerEvent) => {
    if (event.type === 'docker' || event.type === 'image') updateStartup();
    planner.observe(event);
    if (event.type === 'workshop.changed') planner.observeClaims(claimsOf(running));
    if (!planner.pending) return;
    // Wait for a quiet moment so bursts merge, but never longer than NOTICE_MAX_WAIT_MS after the first.
    const now = Date.now();
    if (!quietTimer) firstQueuedAt = now;
    else clearTimeout(quietTimer);
    quietTimer = setTimeout(drain, Math.max(0, Math.min(NOTICE_QUIET_MS, firstQueuedAt + NOTICE_MAX_WAIT_MS - now)));
  };
  detachers.push(running.events.subscribe(onEvent), () => {
    if (quietTimer) clearTimeout(quietTimer);
  });
}

// ---- tray -----------------------------------------------------------------------------------------------

/** Shows the join URL's QR code in a small local window (no remote content, no script); reused while open. */
function showJoinQr(url: string): void {
  if (qrWindow && !qrWindow.isDestroyed()) {
    void qrWindow.loadURL(joinQrPageUrl(url));
    qrWindow.show();
    qrWindow.focus();
    return;
  }
  const window = new BrowserWindow(joinQrWindowOptions(path.join(iconsDir(desktopEnvironment()), 'icon.png')));
  // The page has no links; anything else that tries to load in it is refused.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.on('closed', () => {
    if (qrWindow === window) qrWindow = null;
  });
  qrWindow = window;
  void window.loadURL(joinQrPageUrl(url));
}

function createTrayControllerFor(created: Tray): TrayController {
  return createTrayController({
    tray: created,
    menu: Menu,
    clipboard,
    confirm: async (question) => {
      const { response } = await dialog.showMessageBox({
        type: 'warning',
        title: question.title,
        message: question.message,
        detail: question.detail,
        buttons: [question.confirmLabel, question.cancelLabel],
        defaultId: 1,
        cancelId: 1,
      });
      return response === 0;
    },
    openDashboard: () => showWindow(),
    openInBrowser: () => {
      if (server) void shell.openExternal(server.createSignInUrl());
    },
    showJoinQr,
    quit: () => app.quit(),
    report: (report) => {
      if (Notification.isSupported()) new Notification({ title: report.title, body: report.body }).show();
    },
    onError: (error) => console.error('[xares] tray:', error),
  });
}

function createTray(): Tray {
  const icon = nativeImage.createFromPath(path.join(iconsDir(desktopEnvironment()), trayIconFile(process.platform)));
  if (process.platform === 'darwin') icon.setTemplateImage(true);
  const created = new Tray(icon);
  // Windows and most Linux trays: a left click opens the window; the menu stays on right click.
  if (process.platform !== 'darwin') created.on('click', () => showWindow());
  return created;
}

// ---- end of the OS session ------------------------------------------------------------------------------

/**
 * The OS logs out, restarts or shuts down (powerMonitor `shutdown` on Linux/macOS, a window's `session-end` on
 * Windows): stop the server now without the quit dialog (workspaces keep running) and never hold a quit back
 * from here on (lifecycle.ts `onBeforeQuit`).
 */
function endForSystem(source: SystemEndingSource, event?: { preventDefault?: () => void }): void {
  const decision = onSystemEnding(source);
  systemEnding = true;
  if (decision.delaySystem) event?.preventDefault?.();
  console.log(`[xares] the system session ends (${source}): stopping the server`);
  void shutdown.shutdown();
}

// ---- bridge ---------------------------------------------------------------------------------------------

function bridgeHandlers(): BridgeHandlers {
  return createBridgeHandlers({
    session: () => {
      if (!server) throw Object.assign(new Error('The server is not running.'), { name: 'NotReady' });
      return { serverUrl: server.url, dashboardUrl: server.dashboardUrl, adminToken: server.adminToken };
    },
    openExternal: (url) => shell.openExternal(url),
    appInfo: { version: app.getVersion(), platform: process.platform },
  });
}

function registerBridge(handlers: BridgeHandlers): void {
  for (const channel of BRIDGE_CHANNEL_NAMES) {
    ipcMain.handle(channel, (event, request: unknown) =>
      dispatchBridgeCall(handlers, {
        channel,
        request,
        senderTrusted: origin !== null && isTrustedSender(event.senderFrame?.url, origin),
      }),
    );
  }
}

// ---- start and quit -------------------------------------------------------------------------------------

/** Whether `port` can be listened on at `host` now (a probe: listen, then close at once). */
function isPortFree(port: number, host: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, ...(host ? { host } : {}) }, () => probe.close(() => resolve(true)));
  });
}

/** Once the dashboard origin is known: web permissions and the CSP for the app's pages (session-wide). */
function secureSession(allowed: string): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl, allowed)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, allowed),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.url, details.responseHeaders ?? {}, allowed, DASHBOARD_CSP) as Record<string, string[]> });
  });
}

async function start(): Promise<void> {
  // powerMonitor is usable once the app is ready. Linux/macOS: logout, restart or shutdown of the OS.
  powerMonitor.on('shutdown', (event?: { preventDefault?: () => void }) => endForSystem('power-monitor-shutdown', event));
  tray = createTray();
  trayController = createTrayControllerFor(tray);
  registerBridge(bridgeHandlers());
  dockerFound = dockerInstalled(process.platform, process.env, existsSync);
  // The window opens at once with the start-up page; the server comes up behind it.
  mainWindow = createWindow();
  let configuredPort = 0;
  const starting = (async () => {
    const config = desktopServerConfig(desktopEnvironment());
    configuredPort = config.port;
    const started = await startOnFreePort({
      preferred: config.port,
      isFree: (port) => isPortFree(port, config.host),
      start: (port) => createServer({ ...config, port }),
    });
    return started.value;
  })();
  serverStarting = starting.catch(() => null);
  let running: XaresAppServer;
  try {
    running = await starting;
  } catch (error) {
    startFailed = true;
    const refused = alreadyRunningView(error);
    if (refused && shutdown.phase === 'idle') {
      // Another Xares server owns the data folder: say so on the start-up page (no second owner on another port).
      alreadyRunning = refused;
      console.error(`[xares] not started: ${error instanceof Error ? error.message : String(error)}`);
      trayController?.setPhase('failed', 'Xares is already running');
      if (startupTicker) clearInterval(startupTicker);
      startupPage = renderStartupPage(refused);
      if (mainWindow && !mainWindow.isDestroyed()) void mainWindow.loadURL(currentPageUrl());
      else showWindow();
      return;
    }
    const text = describeStartupError(error);
    console.error(`[xares] could not start: ${text.message}\n${text.detail}`);
    trayController?.setPhase('failed', text.message);
    mainWindow?.destroy();
    if (shutdown.phase === 'idle') {
      await dialog.showMessageBox({ type: 'error', title: text.title, message: text.message, detail: text.detail, buttons: ['Quit'] });
    }
    await shutdown.shutdown(1);
    return;
  }
  server = running;
  if (shutdown.phase !== 'idle') return; // quit was requested while starting; the shutdown closes the server
  origin = dashboardOrigin(running.dashboardUrl);
  secureSession(origin);
  portNote = portNotice(configuredPort, running.port);
  console.log(`[xares] dashboard at ${running.dashboardUrl}${portNote ? ` (${portNote})` : ''}`);
  if (portNote) {
    mainWindow?.setTitle(windowTitle());
    showNotice({ title: `${APP_TITLE} runs on port ${running.port}`, body: portNote });
  }
  trayController?.attach(trayServerOf(running));
  followServer(running);
  updateStartup();
  if (!startupDone) startupTicker = setInterval(() => updateStartup(), 1_000);
}

/**
 * A read-only view of the main process for the Electron e2e test (`electronApp.evaluate`). It lives on the main
 * process's global object, which no page can reach (context isolation, sandbox).
 */
export interface DesktopProbe {
  trayModel(): TrayModel | null;
  windowUrl(): string | null;
  shutdownPhase(): ShutdownPhase;
  /** The start-up screen shown now (`ready` once the dashboard loads). */
  startupScreen(): StartupView['screen'];
}

function main(): void {
  // `--user-data-dir=<folder>` moves Electron's per-user folder (and the single-instance lock with it): a second
  // profile side by side, and isolated test runs.
  const userDataSwitch = app.commandLine.getSwitchValue('user-data-dir');
  if (userDataSwitch) app.setPath('userData', path.resolve(userDataSwitch));
  // The lock lives in the user-data folder. Electron 16–18 returned false on a first start when the folder did not
  // exist yet (electron/electron#33547, fixed by #33559); creating it first keeps that true on any version (issue #6).
  mkdirSync(app.getPath('userData'), { recursive: true });
  if (!app.requestSingleInstanceLock()) {
    // Another instance runs: it got our `second-instance` event and shows its window.
    app.exit(0);
    return;
  }
  if (process.platform === 'win32') app.setAppUserModelId('org.xares.desktop');

  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  const hints = new HintStore(
    app.getPath('userData'),
    {
      readFile: (file) => readFileSync(file, 'utf8'),
      writeFile: (file, text) => writeFileSync(file, text, { mode: 0o600 }),
      mkdir: (dir) => mkdirSync(dir, { recursive: true }),
    },
    (error) => console.warn('[xares] hints:', error),
  );
  app.on('window-all-closed', () => {
    const hasTray = tray !== null && !tray.isDestroyed();
    const decision = onWindowAllClosed({ platform: process.platform, hasTray, quitting: shutdown.phase !== 'idle', startRefused: alreadyRunning !== null });
    if (decision === 'quit') {
      app.quit();
      return;
    }
    // Linux without a status area shows no tray icon: say once where the app went (main/tray-hint.ts).
    if (hasTray && hints.takeTrayHint(process.platform)) showNotice(TRAY_HINT);
  });
  app.on('before-quit', (event) => {
    const decision = onBeforeQuit(shutdown.phase, { systemEnding });
    if (decision.preventDefault) event.preventDefault();
    if (!decision.startShutdown) return;
    // Asks about the running workspaces first (quit dialog); Cancel leaves everything as it was. A quit by the OS
    // (logout, shutdown) asks nothing.
    if (decision.ask) void shutdown.requestQuit();
    else void shutdown.shutdown();
  });
  const probe: DesktopProbe = {
    trayModel: () => (tray && !tray.isDestroyed() && trayController ? trayController.model() : null),
    windowUrl: () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents.getURL() : null),
    shutdownPhase: () => shutdown.phase,
    startupScreen: () => (startupDone ? 'ready' : currentStartupView().screen),
  };
  (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop = probe;
  // Ctrl+C in the terminal that ran `npm start`, or a service manager stopping us: a clean quit without asking
  // (nobody may be there to answer); the workspaces keep running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown.shutdown());

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      // A failure after the server started (window, tray): show it, then stop the server like any quit.
      console.error('[xares] start-up failed:', error);
      dialog.showErrorBox('Xares Desktop could not start', error instanceof Error ? error.message : String(error));
      void shutdown.shutdown(1);
    });
}

main();
