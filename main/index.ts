/**
 * Electron main process of Xares Desktop: thin glue between Electron and the pure modules next to it.
 * - one instance only (a second launch focuses the first window);
 * - starts the server in-process (`createServer`), shows the dashboard in a sandboxed window, keeps a tray icon;
 * - answers the preload bridge (one `ipcMain.handle` per contract channel);
 * - quitting stops the server cleanly before the process exits.
 * Decisions (what to do on which event, which URL may load, what the tray shows) live in tested modules:
 * lifecycle.ts, navigation-policy.ts, tray-menu-model.ts, bridge-handlers.ts, desktop-config.ts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell, Tray, type MenuItemConstructorOptions } from 'electron';
import { StatsResponse } from '../server/contract/system.js';
import { createServer, type XaresServer } from '../server/index.js';
import { BRIDGE_CHANNEL_NAMES, createBridgeHandlers, dispatchBridgeCall, type BridgeHandlers } from './bridge-handlers.js';
import { desktopServerConfig, iconsDir, preloadPath, trayIconFile, type DesktopEnvironment } from './desktop-config.js';
import { describeStartupError, onBeforeQuit, onShowWindowRequest, onWindowAllClosed, ShutdownCoordinator, type ShutdownPhase } from './lifecycle.js';
import { dashboardOrigin, decideNavigation, isPermissionAllowed, isTrustedSender } from './navigation-policy.js';
import { buildTrayModel, type TrayAction, type TrayModel, type TrayState } from './tray-menu-model.js';

const MAIN_DIR = path.dirname(fileURLToPath(import.meta.url));
/** How often the tray's workspace counts are refreshed, ms (a glance value; the dashboard itself is live). */
const TRAY_REFRESH_MS = 10_000;
/** Longest wait for the stats request, ms. */
const TRAY_FETCH_TIMEOUT_MS = 5_000;

/** The server once started; `serverStarting` settles when `createServer` does (null after a failed start). */
let server: XaresServer | null = null;
let serverStarting: Promise<XaresServer | null> = Promise.resolve(null);
let origin: string | null = null;
let mainWindow: BrowserWindow | null = null;
let tray: Tray | null = null;
let trayState: TrayState = { phase: 'starting', dashboardUrl: null, workspaces: null };
let renderedTray = '';
let trayTimer: NodeJS.Timeout | null = null;

const shutdown = new ShutdownCoordinator({
  stopServer: async () => {
    if (trayTimer) clearInterval(trayTimer);
    // A quit during start-up waits for the start to finish, then closes what it opened.
    const started = await serverStarting;
    await started?.close();
  },
  exit: (code) => {
    tray?.destroy();
    app.exit(code);
  },
  onError: (error) => console.error('[xares] the server did not stop cleanly:', error),
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

// ---- window ---------------------------------------------------------------------------------------------

function createWindow(running: XaresServer, allowedOrigin: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Xares Desktop',
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
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });

  // New windows never open inside the app: same-origin links load in this window, others in the system browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    const decision = decideNavigation(url, allowedOrigin);
    if (decision.action === 'allow') void window.loadURL(url);
    else if (decision.action === 'open-external') void shell.openExternal(decision.url);
    else console.warn(`[xares] blocked a new window for ${url.slice(0, 200)}: ${decision.reason}`);
    return { action: 'deny' };
  });
  const guard = (event: Electron.Event, url: string): void => {
    const decision = decideNavigation(url, allowedOrigin);
    if (decision.action === 'allow') return;
    event.preventDefault();
    if (decision.action === 'open-external') void shell.openExternal(decision.url);
    else console.warn(`[xares] blocked navigation to ${url.slice(0, 200)}: ${decision.reason}`);
  };
  window.webContents.on('will-navigate', (event) => guard(event, event.url));
  window.webContents.on('will-redirect', (event) => guard(event, event.url));
  window.webContents.on('did-fail-load', (_event, code, description, url, isMainFrame) => {
    if (isMainFrame) console.error(`[xares] could not load ${url}: ${description} (${code})`);
  });

  void window.loadURL(running.dashboardUrl);
  return window;
}

/** Brings the dashboard window forward, creating it if it was closed into the tray. */
function showWindow(): void {
  const decision = onShowWindowRequest({ serverRunning: server !== null && origin !== null, windowOpen: mainWindow !== null });
  if (decision === 'ignore' || !server || !origin) return;
  if (decision === 'create-window' || !mainWindow) {
    mainWindow = createWindow(server, origin);
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

// ---- tray -----------------------------------------------------------------------------------------------

const trayActions: Record<TrayAction, () => void> = {
  'open-dashboard': () => showWindow(),
  'open-in-browser': () => {
    if (server) void shell.openExternal(server.createSignInUrl());
  },
  quit: () => app.quit(),
};

function toMenu(model: TrayModel): Menu {
  const template: MenuItemConstructorOptions[] = model.items.map((item) => {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'info':
        return { label: item.label, enabled: false };
      case 'action':
        return { label: item.label, enabled: item.enabled, click: trayActions[item.action] };
    }
  });
  return Menu.buildFromTemplate(template);
}

/** Updates the tray from `trayState`; rebuilds the menu only when it changed (Linux menus flicker otherwise). */
function renderTray(): void {
  if (!tray || tray.isDestroyed()) return;
  const model = buildTrayModel(trayState);
  const key = JSON.stringify(model);
  if (key === renderedTray) return;
  renderedTray = key;
  tray.setToolTip(model.tooltip);
  tray.setContextMenu(toMenu(model));
}

function setTrayState(change: Partial<TrayState>): void {
  trayState = { ...trayState, ...change };
  renderTray();
}

function createTray(): Tray {
  const icon = nativeImage.createFromPath(path.join(iconsDir(desktopEnvironment()), trayIconFile(process.platform)));
  if (process.platform === 'darwin') icon.setTemplateImage(true);
  const created = new Tray(icon);
  // Windows and most Linux trays: a left click opens the window; the menu stays on right click.
  if (process.platform !== 'darwin') created.on('click', () => showWindow());
  return created;
}

/** Reads the workspace counts for the tray through the server's own API (loopback, admin token). */
async function refreshTrayCounts(running: XaresServer): Promise<void> {
  try {
    const response = await fetch(new URL('/api/workspace/stats', running.url), {
      headers: { authorization: `Bearer ${running.adminToken}` },
      signal: AbortSignal.timeout(TRAY_FETCH_TIMEOUT_MS),
    });
    const parsed = StatsResponse.safeParse(await response.json());
    if (!response.ok || !parsed.success) {
      setTrayState({ workspaces: null });
      return;
    }
    const { runningWorkspaces, totalWorkspaces, errorWorkspaces } = parsed.data.stats;
    setTrayState({ workspaces: { running: runningWorkspaces, total: totalWorkspaces, failed: errorWorkspaces } });
  } catch {
    // Docker down or the server busy: the tray shows no counts rather than stale ones.
    setTrayState({ workspaces: null });
  }
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

async function start(): Promise<void> {
  tray = createTray();
  renderTray();
  registerBridge(bridgeHandlers());
  const starting = (async () => createServer(desktopServerConfig(desktopEnvironment())))();
  serverStarting = starting.catch(() => null);
  try {
    server = await starting;
  } catch (error) {
    const text = describeStartupError(error);
    console.error(`[xares] could not start: ${text.message}\n${text.detail}`);
    setTrayState({ phase: 'failed', error: text.message });
    if (shutdown.phase === 'idle') {
      await dialog.showMessageBox({ type: 'error', title: text.title, message: text.message, detail: text.detail, buttons: ['Quit'] });
    }
    await shutdown.shutdown(1);
    return;
  }
  if (shutdown.phase !== 'idle') return; // quit was requested while starting; the shutdown closes the server
  origin = dashboardOrigin(server.dashboardUrl);
  const allowed = origin;
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl, allowed)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, allowed),
  );
  console.log(`[xares] dashboard at ${server.dashboardUrl}`);
  setTrayState({ phase: 'running', dashboardUrl: server.dashboardUrl });
  mainWindow = createWindow(server, origin);
  const running = server;
  void refreshTrayCounts(running);
  trayTimer = setInterval(() => void refreshTrayCounts(running), TRAY_REFRESH_MS);
}

/**
 * A read-only view of the main process for the Electron e2e test (`electronApp.evaluate`). It lives on the main
 * process's global object, which no page can reach (context isolation, sandbox).
 */
export interface DesktopProbe {
  trayModel(): TrayModel | null;
  windowUrl(): string | null;
  shutdownPhase(): ShutdownPhase;
}

function main(): void {
  // `--user-data-dir=<folder>` moves Electron's per-user folder (and the single-instance lock with it): a second
  // profile side by side, and isolated test runs.
  const userDataSwitch = app.commandLine.getSwitchValue('user-data-dir');
  if (userDataSwitch) app.setPath('userData', path.resolve(userDataSwitch));
  // The lock lives in the user-data folder; make sure it exists on a machine that never ran the app (issue #6).
  mkdirSync(app.getPath('userData'), { recursive: true });
  if (!app.requestSingleInstanceLock()) {
    // Another instance runs: it got our `second-instance` event and shows its window.
    app.exit(0);
    return;
  }
  if (process.platform === 'win32') app.setAppUserModelId('org.xares.desktop');

  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  app.on('window-all-closed', () => {
    const hasTray = tray !== null && !tray.isDestroyed();
    if (onWindowAllClosed({ platform: process.platform, hasTray, quitting: shutdown.phase !== 'idle' }) === 'quit') app.quit();
  });
  app.on('before-quit', (event) => {
    const decision = onBeforeQuit(shutdown.phase);
    if (decision.preventDefault) event.preventDefault();
    if (decision.startShutdown) {
      setTrayState({ phase: 'stopping' });
      void shutdown.shutdown();
    }
  });
  const probe: DesktopProbe = {
    trayModel: () => (tray && !tray.isDestroyed() ? buildTrayModel(trayState) : null),
    windowUrl: () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents.getURL() : null),
    shutdownPhase: () => shutdown.phase,
  };
  (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop = probe;
  // Ctrl+C in the terminal that ran `npm start`, or a service manager stopping us: same clean quit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

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
