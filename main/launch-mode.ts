/**
 * Whether `npm start` can open the desktop app or must run the server headless. Runs under plain Node (used by
 * scripts/start.mjs and the Electron e2e test), never imports Electron.
 *
 * Why not `require('electron')`: in electron 45 that call downloads the binary when it is missing (and throws when
 * the download fails), so merely asking would hit the network. We read the same files it reads instead:
 * `node_modules/electron/path.txt` (written by `npx install-electron`) and the executable under `dist/`
 * (or under `ELECTRON_OVERRIDE_DIST_PATH`, which electron honours too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Result of looking for an Electron executable. */
export type ElectronProbe = { found: true; executable: string; version: string } | { found: false; reason: string };

/** The installed `electron` package's folder, or null when the package is not installed. */
export function electronPackageDir(fromFile: string = import.meta.url): string | null {
  try {
    return path.dirname(createRequire(fromFile).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/**
 * The path of the Electron executable the `electron` package would run, without downloading anything; null when
 * it is not installed. Mirrors node_modules/electron/index.js: `path.txt` names the executable inside `dist/`.
 */
export function electronExecutablePath(packageDir: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!packageDir) return null;
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const overrideDir = env.ELECTRON_OVERRIDE_DIST_PATH;
  const executable = overrideDir ? path.join(overrideDir, relative || 'electron') : relative ? path.join(packageDir, 'dist', relative) : null;
  return executable && existsSync(executable) ? executable : null;
}

/**
 * Looks for a working Electron executable: it must exist and run (`ELECTRON_RUN_AS_NODE=1 electron -p
 * process.versions.electron`, which needs no display). Timeout 20 s: a first run on a cold disk is slow.
 */
export function probeElectron(env: NodeJS.ProcessEnv = process.env, packageDir: string | null = electronPackageDir()): ElectronProbe {
  if (!packageDir) return { found: false, reason: 'the electron package is not installed' };
  const executable = electronExecutablePath(packageDir, env);
  if (!executable) return { found: false, reason: 'no Electron binary (run `npx install-electron` to get the desktop app)' };
  const run = spawnSync(executable, ['-p', 'process.versions.electron'], {
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const version = run.stdout?.trim() ?? '';
  if (run.error || run.status !== 0 || !/^\d+\.\d+\.\d+/.test(version)) {
    const why = run.error?.message ?? (run.stderr?.trim().split('\n')[0] || `exit code ${run.status}`);
    return { found: false, reason: `the Electron binary at ${executable} does not run (${why})` };
  }
  return { found: true, executable, version };
}

/**
 * Whether a graphical session is there to show a window: always on macOS and Windows, on Linux and the BSDs when
 * `DISPLAY` (X11) or `WAYLAND_DISPLAY` is set.
 */
export function hasDisplay(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** How `npm start` runs the app. */
export type LaunchMode = { mode: 'desktop'; electron: string } | { mode: 'headless'; reason: string };

/**
 * Desktop when not forced headless, a display is there and Electron runs; else headless, with the reason in
 * words (printed on one line by scripts/start.mjs). The display is checked first so a headless server never
 * spends time starting Electron.
 */
export function decideLaunchMode(input: { headlessFlag: boolean; display: boolean; probe: () => ElectronProbe }): LaunchMode {
  if (input.headlessFlag) return { mode: 'headless', reason: 'Headless mode requested' };
  if (!input.display) return { mode: 'headless', reason: 'No display (DISPLAY or WAYLAND_DISPLAY is not set)' };
  const probe = input.probe();
  if (!probe.found) return { mode: 'headless', reason: probe.reason.charAt(0).toUpperCase() + probe.reason.slice(1) };
  return { mode: 'desktop', electron: probe.executable };
}
