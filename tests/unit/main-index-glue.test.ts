/**
 * The Electron glue (main/index.ts) wired to the real server, with Electron replaced by a recording stand-in
 * (fakeElectron below): Electron's binary cannot run here, so this checks what the glue asks of Electron — window
 * options, IPC registration, navigation guards, tray menu, quit sequence — while the server, the bridge
 * handlers and the HTTP checks are real. tests/e2e/electron.test.ts covers the same in a real Electron where
 * one is installed.
 * Docker is pointed at a socket that does not exist, so no container or image is touched.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BridgeChannels } from '../../server/contract/desktop-bridge.js';
import type { ProjectSummary } from '../../server/contract/projects.js';
import { acquireDataFolderLock } from '../../server/store/data-lock.js';

/** Records what the glue does with Electron's API. */
const fakeElectron = vi.hoisted(() => {
  // vi.hoisted runs before imports, so the event emitter class is required here.
  const { EventEmitter: Emitter } = require('node:events') as typeof import('node:events');
  type Listener = (...args: unknown[]) => unknown;
  const state = {
    userData: '',
    exitCodes: [] as number[],
    handlers: new Map<string, Listener>(),
    windows: [] as FakeWindow[],
    trays: [] as FakeTray[],
    opened: [] as string[],
    dialogs: [] as unknown[],
    menus: [] as Array<Array<{ label?: string; type?: string; enabled?: boolean; click?: () => void }>>,
    notifications: [] as Array<{ title: string; body: string }>,
    headersListener: null as null | ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void),
    lockRequested: 0,
    /** For each requestSingleInstanceLock call: whether the user-data folder existed then (Electron 16–18 needed it). */
    lockFolderExisted: [] as boolean[],
    exited: null as null | (() => void),
    exitedPromise: Promise.resolve(),
  };
  state.exitedPromise = new Promise<void>((resolve) => (state.exited = resolve));

  class FakeWebContents extends Emitter {
    url = '';
    openHandler: ((details: { url: string }) => { action: string }) | null = null;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.openHandler = handler;
    }
    async loadURL(url: string) {
      this.url = url;
      this.emit('did-navigate', {}, url);
    }
    getURL() {
      return this.url;
    }
  }
  class FakeWindow extends Emitter {
    webContents = new FakeWebContents();
    focused = 0;
    shown = 0;
    destroyed = false;
    maximized = false;
    title: string;
    constructor(readonly options: Record<string, unknown>) {
      super();
      this.title = String(options.title ?? '');
      state.windows.push(this);
    }
    getNormalBounds() {
      return { x: Number(this.options.x ?? 10), y: Number(this.options.y ?? 20), width: Number(this.options.width), height: Number(this.options.height) };
    }
    isMaximized() {
      return this.maximized;
    }
    maximize() {
      this.maximized = true;
    }
    setTitle(title: string) {
      this.title = title;
    }
    isVisible() {
      return true;
    }
    destroy() {
      this.destroyed = true;
      this.emit('closed');
    }
    loadURL(url: string) {
      return this.webContents.loadURL(url);
    }
    isMinimized() {
      return false;
    }
    restore() {}
    show() {
      this.shown += 1;
    }
    focus() {
      this.focused += 1;
    }
    isDestroyed() {
      return this.destroyed;
    }
  }
  class FakeTray extends Emitter {
    tooltip = '';
    destroyed = false;
    constructor(readonly image: unknown) {
      super();
      state.trays.push(this);
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: { items: Array<{ label?: string; type?: string; enabled?: boolean; click?: () => void }> }) {
      state.menus.push(menu.items);
    }
    isDestroyed() {
      return this.destroyed;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    commandLine: { getSwitchValue: () => '' },
    getPath: (name: string) => (name === 'userData' ? state.userData : '/tmp'),
    setPath: (_name: string, value: string) => (state.userData = value),
    getVersion: () => '0.1.0-test',
    requestSingleInstanceLock: () => {
      state.lockRequested += 1;
      const { existsSync } = require('node:fs') as typeof import('node:fs');
      state.lockFolderExisted.push(state.userData !== '' && existsSync(state.userData));
      return true;
    },
    setAppUserModelId: () => {},
    whenReady: () => Promise.resolve(),
    quit: () => {
      let prevented = false;
      app.emit('before-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) state.exitCodes.push(0);
    },
    exit: (code: number) => {
      state.exitCodes.push(code);
      state.exited?.();
    },
  });
  const powerMonitor = new Emitter();
  const module = {
    app,
    powerMonitor,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (items: unknown[]) => ({ items }) },
    nativeImage: { createFromPath: (file: string) => ({ file, setTemplateImage: () => {} }) },
    ipcMain: { handle: (channel: string, listener: Listener) => state.handlers.set(channel, listener) },
    shell: {
      openExternal: async (url: string) => {
        state.opened.push(url);
      },
    },
    dialog: {
      showMessageBox: async (parentOrOptions: unknown, maybeOptions?: unknown) => {
        state.dialogs.push(maybeOptions ?? parentOrOptions);
        return { response: 0 };
      },
      showErrorBox: (title: string, content: string) => state.dialogs.push({ title, content }),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => {},
        setPermissionCheckHandler: () => {},
        webRequest: { onHeadersReceived: (listener: typeof state.headersListener) => (state.headersListener = listener) },
      },
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }] },
    clipboard: { writeText: () => {} },
    Notification: class {
      static isSupported() {
        return true;
      }
      constructor(readonly options: { title: string; body: string }) {}
      on() {}
      show() {
        state.notifications.push({ title: this.options.title, body: this.options.body });
      }
    },
  };
  /** Forgets everything recorded, for a second start of main/index.ts in the same file. */
  function reset(): void {
    app.removeAllListeners();
    powerMonitor.removeAllListeners();
    Object.assign(state, { exitCodes: [], windows: [], trays: [], opened: [], dialogs: [], menus: [], notifications: [], lockRequested: 0, lockFolderExisted: [], headersListener: null });
    state.handlers.clear();
    state.exitedPromise = new Promise<void>((resolve) => (state.exited = resolve));
  }
  return { state, module, reset };
});

vi.mock('electron', () => ({ ...fakeElectron.module, default: fakeElectron.module }));

/** The servers main/index.ts started (the real `createServer`, recorded), to publish events on their bus. */
const started = vi.hoisted(() => ({ servers: [] as Array<import('../../server/index.js').XaresAppServer> }));
vi.mock('../../server/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../server/index.js')>();
  return {
    ...actual,
    createServer: async (input: Parameters<typeof actual.createServer>[0]) => {
      const server = await actual.createServer(input);
      started.servers.push(server);
      return server;
    },
  };
});

const { state } = fakeElectron;
const work = mkdtempSync(path.join(tmpdir(), 'xares-glue-'));
const savedEnv = { ...process.env };
let signalListenersBefore: Record<string, Function[]> = {};

/** Calls a registered bridge handler the way ipcMain would, from a frame at `senderUrl`. */
async function callBridge(channel: string, request: unknown, senderUrl: string): Promise<unknown> {
  const handler = state.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler({ senderFrame: { url: senderUrl } }, request);
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval
  }
}

beforeAll(async () => {
  state.userData = path.join(work, 'user-data');
  Object.assign(process.env, {
    XARES_PORT: '0',
    XARES_DATA_DIR: path.join(work, 'data'),
    XARES_LOG_LEVEL: 'silent',
    DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
  });
  signalListenersBefore = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  await import('../../main/index.js');
  await waitFor('the window', () => state.windows[0]);
}, 60_000);

afterAll(async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) if (!signalListenersBefore[signal]!.includes(listener)) process.off(signal, listener);
  }
  process.env = savedEnv;
  rmSync(work, { recursive: true, force: true });
});

const window = () => state.windows[0]!;
const dashboardUrl = () => window().webContents.getURL();
/** The HTML of the start-up page a window shows (a base64 data: URL), or null on another page. */
const startupPageOf = (url: string): string | null =>
  url.startsWith('data:text/html') ? Buffer.from(url.slice(url.indexOf(',') + 1).split('#')[0]!, 'base64').toString('utf8') : null;

describe('main process glue (fake Electron, real server)', () => {
  it('takes the single-instance lock in an existing user-data folder', () => {
    expect(state.lockRequested).toBe(1);
    // The folder did not exist before this first start (a fresh temporary folder): main created it first.
    expect(state.lockFolderExisted).toEqual([true]);
  });

  it('shows the start-up page at once, then the Docker screen (no engine here); "Open the dashboard without Docker" loads the dashboard', async () => {
    const page = await waitFor('the Docker screen', () => {
      const html = startupPageOf(window().webContents.getURL());
      return html?.includes('Docker is not') ? html : undefined;
    });
    expect(page).toContain('http-equiv="Content-Security-Policy"');
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('href="#retry"');
    // Retry asks the engine again and stays on the Docker screen (still no engine).
    const splash = window().webContents.getURL();
    window().webContents.emit('did-navigate-in-page', {}, `${splash}#retry`, true);
    window().webContents.emit('did-navigate-in-page', {}, `${splash}#continue`, true);
    const url = await waitFor('the dashboard', () => (window().webContents.getURL().startsWith('http') ? window().webContents.getURL() : undefined));
    expect(new URL(url).pathname).toBe('/admin/');
    // XARES_PORT=0: no port note in the title.
    expect(window().title).toBe('Xares Desktop');
  });

  it('opens a sandboxed, isolated window with the preload on the dashboard, which the server serves', async () => {
    const prefs = window().options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(new URL(dashboardUrl()).pathname).toBe('/admin/');
    const page = await fetch(dashboardUrl());
    expect(page.status).toBe(200);
  });

  it('registers one IPC handler per bridge channel', () => {
    expect([...state.handlers.keys()].sort()).toEqual(Object.keys(BridgeChannels).sort());
  });

  it('gives the dashboard a token the API accepts, and nobody else anything', async () => {
    const session = (await callBridge('session:get', undefined, dashboardUrl())) as {
      ok: true;
      value: { serverUrl: string; adminToken: string; dashboardUrl: string };
    };
    expect(session.ok).toBe(true);
    expect(session.value.dashboardUrl).toBe(dashboardUrl());
    const api = await fetch(new URL('/api/projects/', session.value.serverUrl), { headers: { authorization: `Bearer ${session.value.adminToken}` } });
    expect(api.status).toBe(200);
    const workspaceOrigin = new URL(dashboardUrl());
    workspaceOrigin.hostname = `abc.${workspaceOrigin.hostname}`;
    expect(await callBridge('session:get', undefined, workspaceOrigin.href)).toEqual({
      ok: false,
      error: { name: 'Forbidden', message: 'This page may not use the desktop bridge.' },
    });
  });

  it('keeps navigation on the dashboard and sends other links to the browser', () => {
    const contents = window().webContents;
    const navigate = (url: string) => {
      let prevented = false;
      contents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    const before = state.opened.length;
    expect(navigate(new URL('/admin/settings', dashboardUrl()).href)).toBe(false);
    expect(navigate('https://example.org/docs')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    // A redirect of a navigation is guarded like the navigation itself.
    const redirect = (url: string) => {
      let prevented = false;
      contents.emit('will-redirect', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    expect(redirect(new URL('/admin/', dashboardUrl()).href)).toBe(false);
    expect(redirect('https://example.org/redirected')).toBe(true);
    expect(redirect('file:///etc/shadow')).toBe(true);
    expect(contents.openHandler?.({ url: 'https://example.org/new' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(state.opened.slice(before)).toEqual(['https://example.org/docs', 'https://example.org/redirected', 'https://example.org/new']);
  });

  it('shows a tray with the running server, Open dashboard and Quit', async () => {
    const tray = state.trays[0]!;
    const menu = await waitFor('the running menu', () => {
      const last = state.menus.at(-1);
      return last?.some((item) => item.label?.startsWith('Running at')) ? last : undefined;
    });
    const enabled = menu.filter((item) => item.click && item.enabled).map((item) => item.label);
    expect(enabled).toEqual(expect.arrayContaining(['Open dashboard', 'Quit']));
    expect(tray.tooltip).toMatch(/^Xares Desktop – /);
    const focusedBefore = window().focused;
    menu.find((item) => item.label === 'Open dashboard')!.click!();
    expect(window().focused).toBe(focusedBefore + 1);
  });

  it('adds the dashboard CSP to a page of ours that arrives without one', () => {
    let answer: { responseHeaders: Record<string, string[]> } | undefined;
    state.headersListener!({ url: dashboardUrl(), responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (answer = response as typeof answer));
    expect(answer!.responseHeaders['Content-Security-Policy']![0]).toContain("script-src 'self'");
    state.headersListener!({ url: 'https://example.org/', responseHeaders: {} }, (response) => (answer = response as typeof answer));
    expect(answer!.responseHeaders).toEqual({});
  });

  it('turns server events into native notifications: two workspaces failing together make one notice', async () => {
    const server = started.servers.at(-1)!;
    const summary = (id: string, name: string): ProjectSummary => ({
      id,
      name,
      type: 'empty',
      status: 'error',
      statusReason: 'The container is missing',
      createdAt: new Date().toISOString(),
      workspaceUrl: `http://${id}.localhost/`,
      passwordProtected: false,
      hasGitRepo: false,
      proxyMode: 'none',
      memoryLimit: '2g',
      cpuCores: '1',
      group: null,
    });
    const before = state.notifications.length;
    server.events.publish({ type: 'project.updated', project: summary('ws-aaaa', 'Ana') });
    server.events.publish({ type: 'project.updated', project: summary('ws-bbbb', 'Ben') });
    server.events.publish({ type: 'project.updated', project: summary('ws-bbbb', 'Ben') }); // a repeat: no new notice
    const notices = await waitFor('the notice', () => (state.notifications.length > before ? state.notifications.slice(before) : undefined));
    expect(notices).toEqual([{ title: '2 workspaces went into error', body: 'Ana, Ben' }]);
  });

  it('remembers the window size and position in the user-data folder when it closes', () => {
    window().emit('close');
    const stored = JSON.parse(readFileSync(path.join(state.userData, 'window-state.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toEqual({ width: 1280, height: 800, x: 10, y: 20, maximized: false });
  });

  it('focuses the window on a second launch and stays in the tray when the window closes', () => {
    const focusedBefore = window().focused;
    fakeElectron.module.app.emit('second-instance');
    expect(window().focused).toBe(focusedBefore + 1);
    const noticesBefore = state.notifications.length;
    fakeElectron.module.app.emit('window-all-closed');
    expect(state.exitCodes).toEqual([]);
    // Linux (this machine): the first close into the tray says so once, and it is remembered.
    expect(process.platform).toBe('linux');
    expect(state.notifications.slice(noticesBefore)).toEqual([
      { title: 'Xares is still running in the tray', body: expect.stringContaining('launch it again to reopen the window') },
    ]);
    expect(JSON.parse(readFileSync(path.join(state.userData, 'desktop-hints.json'), 'utf8'))).toEqual({ trayHintShown: true });
    fakeElectron.module.app.emit('window-all-closed');
    expect(state.notifications.length).toBe(noticesBefore + 1);
  });

  it('quits from the tray: stops the server, saves the window state (no close event on app.exit), then exits with 0', async () => {
    const url = dashboardUrl();
    // The window was resized since its last close event; app.exit() emits none.
    window().options.width = 1111;
    const menu = state.menus.at(-1)!;
    menu.find((item) => item.label === 'Quit')!.click!();
    await state.exitedPromise;
    expect(state.exitCodes).toEqual([0]);
    expect(state.trays[0]!.destroyed).toBe(true);
    await expect(fetch(url)).rejects.toThrow(); // the HTTP server is closed
    expect(state.dialogs).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(state.userData, 'window-state.json'), 'utf8'))).toMatchObject({ width: 1111, x: 10, y: 20 });
  });
});

describe('main process glue: the configured port is taken', () => {
  it('starts on the next free port, says so in the title and a notification, and reopens the window where it was', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      fakeElectron.reset();
      process.env.XARES_PORT = String(port);
      vi.resetModules();
      await import('../../main/index.js');
      const notice = await waitFor('the port notice', () => state.notifications.find((notification) => notification.body.startsWith(`Port ${port} was in use`)));
      const actual = Number(/port (\d+)\.$/.exec(notice.body)![1]);
      expect(actual).toBeGreaterThan(port);
      expect(state.windows[0]!.title).toBe(`Xares Desktop – ${notice.body}`);
      // The window state saved by the first start (10, 20) is used again.
      expect(state.windows[0]!.options).toMatchObject({ x: 10, y: 20, width: 1111, height: 800 });
      const health = await fetch(`http://localhost:${actual}/api/health`);
      expect(health.status).toBe(200);
      // Quit: no workspace runs, so no dialog; the server stops and the app exits 0.
      fakeElectron.module.app.quit();
      await state.exitedPromise;
      expect(state.exitCodes).toEqual([0]);
      expect(state.dialogs).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);
});

describe('main process glue: another Xares server owns the data folder', () => {
  it('says "Xares is already running (dashboard at …)" on the start-up page instead of moving to another port; Quit exits 0', async () => {
    const dataDir = path.join(work, 'data-held');
    mkdirSync(dataDir, { recursive: true });
    // The other server: a lock held by this process (as `npm run serve` on 8080 would hold it).
    const held = acquireDataFolderLock(dataDir);
    held.describe({ dashboardUrl: 'http://localhost:8080/admin/' });
    try {
      fakeElectron.reset();
      process.env.XARES_PORT = '0';
      process.env.XARES_DATA_DIR = dataDir;
      const serversBefore = started.servers.length;
      vi.resetModules();
      await import('../../main/index.js');
      const page = await waitFor('the already-running page', () => {
        const html = startupPageOf(state.windows[0]?.webContents.getURL() ?? '');
        return html?.includes('Xares is already running') ? html : undefined;
      });
      expect(page).toContain('Xares is already running (dashboard at <code>http://localhost:8080/admin/</code>)');
      expect(page).toContain(`process ${process.pid}`);
      expect(page).toContain(dataDir);
      expect(started.servers.length).toBe(serversBefore); // no second server on any port
      expect(state.exitCodes).toEqual([]);
      expect(state.dialogs).toEqual([]);
      const statuses = state.menus.flatMap((menu) => menu.filter((item) => item.label?.startsWith('Could not start: Xares is already running')));
      expect(statuses.length).toBeGreaterThan(0);
      // The dashboard link opens in the system browser (the window's navigation guard).
      let prevented = false;
      state.windows[0]!.webContents.emit('will-navigate', { url: 'http://localhost:8080/admin/', preventDefault: () => (prevented = true) });
      expect(prevented).toBe(true);
      expect(state.opened.at(-1)).toBe('http://localhost:8080/admin/');
      // The held lock is untouched; Quit on the page exits 0.
      expect(JSON.parse(readFileSync(held.file, 'utf8')).pid).toBe(process.pid);
      const splash = state.windows[0]!.webContents.getURL();
      state.windows[0]!.webContents.emit('did-navigate-in-page', {}, `${splash}#quit`, true);
      await state.exitedPromise;
      expect(state.exitCodes).toEqual([0]);
    } finally {
      held.release();
    }
  }, 60_000);
});

describe('main process glue: the OS ends the session', () => {
  const running: ProjectSummary = {
    id: 'runningws0001',
    name: 'Running',
    type: 'empty',
    status: 'running',
    createdAt: new Date().toISOString(),
    workspaceUrl: 'http://runningws0001.localhost/',
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '1',
    group: null,
  };

  async function startApp(dataName: string): Promise<import('../../server/index.js').XaresAppServer> {
    fakeElectron.reset();
    process.env.XARES_PORT = '0';
    process.env.XARES_DATA_DIR = path.join(work, dataName);
    const serversBefore = started.servers.length;
    vi.resetModules();
    await import('../../main/index.js');
    const server = await waitFor('the server', () => (started.servers.length > serversBefore ? started.servers.at(-1) : undefined));
    // A running workspace: a user quit would ask about it.
    vi.spyOn(server.projects, 'list').mockReturnValue([running]);
    await waitFor('the running tray', () => state.menus.at(-1)?.some((item) => item.label?.startsWith('Running at')));
    return server;
  }

  it('Linux/macOS powerMonitor shutdown: delays the OS, stops the server without a dialog, and never holds a quit back', async () => {
    const server = await startApp('data-os-shutdown');
    let delayed = false;
    fakeElectron.module.powerMonitor.emit('shutdown', { preventDefault: () => (delayed = true) });
    expect(delayed).toBe(true);
    // macOS sends the logout's quit as before-quit: holding it back would cancel the logout.
    let prevented = false;
    fakeElectron.module.app.emit('before-quit', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(false);
    await state.exitedPromise;
    expect(state.exitCodes).toEqual([0]);
    expect(state.dialogs).toEqual([]);
    await expect(fetch(server.dashboardUrl)).rejects.toThrow();
  }, 60_000);

  it('Windows session-end on the window: stops the server without a dialog', async () => {
    const server = await startApp('data-session-end');
    state.windows[0]!.emit('session-end', { reasons: ['logoff'] });
    await state.exitedPromise;
    expect(state.exitCodes).toEqual([0]);
    expect(state.dialogs).toEqual([]);
    await expect(fetch(server.dashboardUrl)).rejects.toThrow();
  }, 60_000);

  it('a quit by the user with the same running workspace still asks (the dialog is not gone for good)', async () => {
    await startApp('data-user-quit');
    fakeElectron.module.app.quit();
    await state.exitedPromise;
    expect(state.dialogs).toEqual([expect.objectContaining({ title: 'Quit Xares Desktop', message: '1 workspace is still running. Stop them?' })]);
  }, 60_000);
});

describe('main process glue: a failed start', () => {
  it('shows the reason in a dialog, marks the tray failed and exits with 1', async () => {
    fakeElectron.reset();
    process.env.XARES_PORT = 'not-a-port';
    vi.resetModules();
    await import('../../main/index.js');
    await state.exitedPromise;
    expect(state.exitCodes).toEqual([1]);
    // The window with the start-up page is closed.
    expect(state.windows.every((created) => created.destroyed)).toBe(true);
    expect(state.dialogs).toEqual([
      expect.objectContaining({ type: 'error', title: 'Xares Desktop could not start', message: 'The configuration is not valid.' }),
    ]);
    expect((state.dialogs[0] as { detail: string }).detail).toContain('XARES_PORT');
    const statuses = state.menus.flatMap((menu) => menu.filter((item) => item.label?.startsWith('Could not start')));
    expect(statuses.length).toBeGreaterThan(0);
  }, 60_000);
});
