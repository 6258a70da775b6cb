/**
 * The desktop app in a real Electron (Playwright `_electron.launch`): the local start-up page (and the Docker screen
 * when no engine answers), window on the dashboard, sandboxed page with `window.xares` only, the bridge answering,
 * external navigation kept out, tray menu, closing into the tray, single instance, clean quit.
 * And the fallback that runs everywhere: `npm start` without a display runs the server headless, says why, and
 * stops cleanly on SIGTERM.
 *
 * Skips, saying why, where it cannot run: no Electron binary installed (`npx install-electron` downloads it; it is
 * not part of `npm install`), no display on Linux (run under `xvfb-run`), or no build (`npm run build`).
 * Note: better-sqlite3 and argon2 must be built for Electron's Node ABI in the checkout for the server to start
 * inside Electron (`npx electron-builder install-app-deps`); the test reports the app's own start-up error if not.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeResult, DesktopBridge } from '../../server/contract/desktop-bridge.js';
import type { DesktopProbe } from '../../main/index.js';
import { hasDisplay, probeElectron } from '../../main/launch-mode.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILT = ['dist/node/main/index.js', 'dist/node/preload/index.cjs', 'dist/renderer/index.html'].every((file) => existsSync(path.join(ROOT, file)));
const probe = probeElectron(process.env);

function skipReason(): string | null {
  if (!probe.found) return probe.reason;
  if (!hasDisplay(process.platform, process.env)) return 'no display (set DISPLAY, e.g. run the suite under xvfb-run)';
  if (!BUILT) return 'the app is not built (run `npm run build`)';
  return null;
}
const reason = skipReason();
if (reason) console.warn(`[electron e2e] skipped: ${reason}`);

/** Chromium refuses to run as root with its sandbox on (containers, CI). */
const rootArgs = process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [];

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
/**
 * Environment for `scripts/start.mjs` in a test: no display (so it runs headless), port 0, a data dir under
 * `work`, and a Docker socket with no engine behind it so the server never touches the shared engine.
 */
function headlessStartEnv(work: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    DISPLAY: '',
    WAYLAND_DISPLAY: '',
    XARES_PORT: '0',
    XARES_DATA_DIR: path.join(work, 'data'),
    XARES_LOG_LEVEL: 'warn',
    DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
  };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // poll interval, not a synchronisation delay
  }
}

describe.skipIf(reason !== null)(`Electron desktop app${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let work = '';
  let env: Record<string, string> = {};
  let args: string[] = [];
  let electronApp: ElectronApplication;
  let page: Page;
  let stderr = '';

  beforeAll(async () => {
    if (!probe.found) return;
    work = mkdtempSync(path.join(tmpdir(), 'xares-electron-'));
    env = {
      ...(process.env as Record<string, string>),
      XARES_PORT: '0',
      XARES_DATA_DIR: path.join(work, 'data'),
      XARES_LOG_LEVEL: 'warn',
      ELECTRON_RUN_AS_NODE: '',
    };
    args = [ROOT, `--user-data-dir=${path.join(work, 'user-data')}`, ...rootArgs];
    electronApp = await _electron.launch({ executablePath: probe.executable, args, env, timeout: 60_000 });
    // A failed start shows a dialog and never opens the window: report the app's own message instead of a timeout.
    const startFailed = new Promise<never>((_, reject) => {
      electronApp.process().stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/could not start|start-up failed/i.test(stderr)) reject(new Error(`the app did not start:\n${stderr}`));
      });
    });
    startFailed.catch(() => {}); // only matters while racing the window below
    page = await Promise.race([electronApp.firstWindow({ timeout: 120_000 }), startFailed]);
    // The window shows the local start-up page first; the dashboard follows once Docker and the image are ready
    // (the first start on a machine builds the image: minutes). Without a usable engine, go on without it.
    await waitFor(
      'the dashboard (or the Docker screen)',
      async () => {
        if (page.url().startsWith('http')) return true;
        const screen = await electronApp.evaluate(() => (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop!.startupScreen());
        if (screen === 'docker' || screen === 'image-error') await page.click('a[href="#continue"]');
        return undefined;
      },
      600_000,
    );
    await page.waitForLoadState('domcontentloaded');
  }, 720_000);

  afterAll(async () => {
    if (electronApp && electronApp.process().exitCode === null) await electronApp.close().catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('shows the dashboard in a sandboxed, context-isolated window', async () => {
    expect(new URL(page.url()).pathname).toBe('/admin/');
    const globals = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      xares: typeof (globalThis as { xares?: unknown }).xares,
    }));
    expect(globals).toEqual({ require: 'undefined', process: 'undefined', xares: 'object' });
    const prefs = await electronApp.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]!.webContents;
      const web = (contents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
      return { contextIsolation: web.contextIsolation, nodeIntegration: web.nodeIntegration, sandbox: web.sandbox };
    });
    expect(prefs).toEqual({ contextIsolation: true, nodeIntegration: false, sandbox: true });
  });

  it('answers the bridge: session with the admin token that the API accepts, app info, refused links', async () => {
    type Invoke = DesktopBridge['invoke'];
    const session = await page.evaluate(() => (window as unknown as { xares: { invoke: Invoke } }).xares.invoke('session:get', undefined));
    expect(session.ok).toBe(true);
    if (!session.ok) return;
    expect(new URL(session.value.dashboardUrl).origin).toBe(new URL(page.url()).origin);
    const health = await fetch(new URL('/api/projects/', session.value.serverUrl), { headers: { authorization: `Bearer ${session.value.adminToken}` } });
    expect(health.status).toBe(200);
    const info = await page.evaluate(() => (window as unknown as { xares: { invoke: Invoke } }).xares.invoke('app:info', undefined));
    expect(info).toMatchObject({ ok: true, value: { platform: process.platform } });
    const unsafe = (await page.evaluate(() =>
      (window as unknown as { xares: { invoke: Invoke } }).xares.invoke('shell:open-external', { url: 'file:///etc/passwd' }),
    )) as BridgeResult<void>;
    expect(unsafe).toEqual({ ok: false, error: { name: 'UnsafeUrl', message: 'Only http and https links can be opened in the browser.' } });
  });

  it('keeps the window on the dashboard when a page tries to leave it', async () => {
    const before = page.url();
    await page.evaluate(() => {
      window.location.href = 'file:///etc/passwd';
    });
    await page.evaluate(() => window.open('javascript:alert(1)'));
    expect(electronApp.windows()).toHaveLength(1);
    expect(await electronApp.evaluate(() => (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop!.windowUrl())).toBe(before);
  });

  it('has a tray with Open dashboard and Quit', async () => {
    const model = await waitFor('the tray to show the running server', async () => {
      const current = await electronApp.evaluate(() => (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop!.trayModel());
      return current && current.items.some((item) => item.kind === 'info' && item.label.startsWith('Running at')) ? current : undefined;
    });
    const labels = model.items.flatMap((item) => (item.kind === 'action' && item.enabled ? [item.label] : []));
    expect(labels).toEqual(expect.arrayContaining(['Open dashboard', 'Quit']));
  });

  it('keeps running in the tray when the window is closed, and a second launch brings the window back', async () => {
    await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    await waitFor('the window to close', async () =>
      (await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)) === 0 ? true : undefined,
    );
    expect(electronApp.process().exitCode).toBeNull();
    expect(await electronApp.evaluate(() => (globalThis as { xaresDesktop?: DesktopProbe }).xaresDesktop!.trayModel())).not.toBeNull();
    const reopened = electronApp.waitForEvent('window');
    const second = spawn(probe.found ? probe.executable : 'false', args, { env, stdio: 'ignore' });
    expect(await new Promise<number | null>((resolve) => second.on('exit', resolve))).toBe(0);
    page = await reopened;
    await page.waitForURL(/\/admin\//);
  }, 60_000);

  it('lets a second launch hand over to the first and exit', async () => {
    const second = spawn(probe.found ? probe.executable : 'false', args, { env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    expect(code).toBe(0);
    expect(electronApp.process().exitCode).toBeNull();
  }, 60_000);

  it('quits cleanly: the server stops and the app exits with 0', async () => {
    const session = await page.evaluate(() =>
      (window as unknown as { xares: { invoke: DesktopBridge['invoke'] } }).xares.invoke('session:get', undefined),
    );
    if (!session.ok) throw new Error(session.error.message);
    const exited = new Promise<number | null>((resolve) => electronApp.process().on('exit', (code) => resolve(code)));
    await electronApp.evaluate(({ app }) => app.quit());
    expect(await exited).toBe(0);
    await expect(fetch(new URL('/api/health', session.value.serverUrl))).rejects.toThrow();
  }, 60_000);
});

describe.skipIf(reason !== null)(`Electron start-up without Docker${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('shows the local start-up page, then the Docker screen with Retry; "Open the dashboard without Docker" goes on', async () => {
    if (!probe.found) return;
    const work = mkdtempSync(path.join(tmpdir(), 'xares-electron-nodocker-'));
    const env = {
      ...(process.env as Record<string, string>),
      XARES_PORT: '0',
      XARES_DATA_DIR: path.join(work, 'data'),
      XARES_LOG_LEVEL: 'warn',
      ELECTRON_RUN_AS_NODE: '',
      DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
    };
    const electronApp = await _electron.launch({
      executablePath: probe.executable,
      args: [ROOT, `--user-data-dir=${path.join(work, 'user-data')}`, ...rootArgs],
      env,
      timeout: 60_000,
    });
    try {
      const page = await electronApp.firstWindow({ timeout: 120_000 });
      await page.getByText('Retry now').waitFor({ timeout: 60_000 });
      expect(page.url().startsWith('data:text/html')).toBe(true);
      expect(await page.locator('h1').textContent()).toMatch(/^Docker is not (installed|running)$/);
      // No script may run in the start-up page (CSP default-src 'none').
      expect(await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'))).toContain(
        "default-src 'none'",
      );
      await page.click('a[href="#retry"]');
      await page.getByText('Retry now').waitFor();
      await page.click('a[href="#continue"]');
      await page.waitForURL(/\/admin\//);
      const exited = new Promise<number | null>((resolve) => electronApp.process().on('exit', (code) => resolve(code)));
      await electronApp.evaluate(({ app }) => app.quit());
      expect(await exited).toBe(0);
    } finally {
      if (electronApp.process().exitCode === null) await electronApp.close().catch(() => {});
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});

describe.skipIf(!BUILT || process.platform === 'win32')(
  `npm start without a desktop${BUILT ? '' : ' (skipped: the app is not built, run `npm run build`)'}`,
  () => {
    it('says why it runs headless, serves the dashboard, and stops cleanly on SIGTERM with exit code 0', async () => {
      const work = mkdtempSync(path.join(tmpdir(), 'xares-start-'));
      const env = headlessStartEnv(work);
      const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const dashboard = await waitFor('the dashboard line', () => /\[xares\] dashboard: (\S+)/.exec(stdout)?.[1], 60_000).catch((error: Error) => {
          throw new Error(`${error.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        });
        expect(stdout.split('\n')[0]).toMatch(/^\[xares\] .+; running headless\.$/);
        expect((await fetch(dashboard)).status).toBe(200);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(stdout).toContain('SIGTERM received, stopping');
        await expect(fetch(dashboard)).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        rmSync(work, { recursive: true, force: true });
      }
    }, 90_000);

    it('stops the server when the process that started it goes away without passing a signal on (kill of `npm start`)', async () => {
      const work = mkdtempSync(path.join(tmpdir(), 'xares-start-'));
      const env = headlessStartEnv(work);
      // A parent shell that starts start.mjs in the background and is then SIGKILLed, as npm is when killed.
      const parent = spawn('/bin/sh', ['-c', `"${process.execPath}" "${path.join(ROOT, 'scripts', 'start.mjs')}" & wait`], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      parent.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      try {
        const dashboard = await waitFor('the dashboard line', () => /\[xares\] dashboard: (\S+)/.exec(stdout)?.[1], 60_000);
        expect((await fetch(dashboard)).status).toBe(200);
        parent.kill('SIGKILL');
        await waitFor('the server to stop', async () => {
          try {
            await fetch(dashboard);
            return undefined;
          } catch {
            return true;
          }
        }, 20_000);
      } finally {
        if (parent.exitCode === null) parent.kill('SIGKILL');
        rmSync(work, { recursive: true, force: true });
      }
    }, 90_000);
  },
);
