/**
 * How the desktop app configures the embedded server and finds its files, as pure functions of what Electron
 * reports (so they are unit-tested without it).
 */
import path from 'node:path';
import { configFromEnv, type ServerConfig, type ServerConfigInput } from '../server/config.js';

/** What the desktop app knows about where it runs. */
export interface DesktopEnvironment {
  env: NodeJS.ProcessEnv;
  /** Electron's `app.getPath('userData')`. */
  userDataDir: string;
  /** Electron's `app.isPackaged`. */
  isPackaged: boolean;
  /** `process.resourcesPath` in a packaged app: holds `images/`, `templates/`, `icons/` (electron-builder.yml `extraResources`). */
  resourcesPath: string;
  /** Folder of the compiled main process (`dist/node/main` in a checkout). */
  mainDir: string;
}

/**
 * Settings the desktop app puts over the environment variables:
 * - `dataDir` is not overridden: desktop and headless share the OS's per-user app data folder (or `XARES_DATA_DIR`),
 *   so workspaces created with `npm run serve` show up in the desktop app and the other way round;
 * - `resourcesDir`: the package's resources folder when packaged (in a checkout the server finds `resources/` itself).
 */
export function desktopConfigOverrides(environment: DesktopEnvironment): ServerConfigInput {
  const overrides: ServerConfigInput = {};
  if (environment.isPackaged) overrides.resourcesDir = environment.resourcesPath;
  return overrides;
}

/**
 * The validated server configuration for the desktop app.
 * @throws ConfigError naming every bad environment variable.
 */
export function desktopServerConfig(environment: DesktopEnvironment): ServerConfig {
  return configFromEnv(environment.env, desktopConfigOverrides(environment));
}

/** Folder with the tray and window icons: the package's `icons/` when packaged, else the checkout's `resources/icons`. */
export function iconsDir(environment: Pick<DesktopEnvironment, 'isPackaged' | 'resourcesPath' | 'mainDir'>): string {
  if (environment.isPackaged) return path.join(environment.resourcesPath, 'icons');
  // dist/node/main -> repository root
  return path.resolve(environment.mainDir, '..', '..', '..', 'resources', 'icons');
}

/** The tray icon file for a platform: a 16 px template image on macOS (the menu bar recolours it), 32 px elsewhere. */
export function trayIconFile(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'trayTemplate.png' : 'tray.png';
}

/** The bundled preload script, next to the compiled main process (`dist/node/preload/index.cjs`, written by scripts/build-preload.mjs). */
export function preloadPath(mainDir: string): string {
  return path.resolve(mainDir, '..', 'preload', 'index.cjs');
}
