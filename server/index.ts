import type { ServerConfig, ServerConfigInput } from './config.js';
import type { XaresAppServer } from './app.js';

export { ServerConfig, configFromEnv, parseConfig, ConfigError } from './config.js';
export type { ServerConfigInput } from './config.js';
export type { XaresAppServer } from './app.js';
export { DataFolderLockedError, type DataLockHolder } from './store/data-lock.js';

/** A running backend: HTTP API, dashboard, workspace router, store and engine watchers. */
export interface XaresServer {
  readonly config: ServerConfig;
  /** Base URL of the HTTP server on loopback, e.g. `http://localhost:8080`. */
  readonly url: string;
  /** Port actually bound (differs from `config.port` when that was 0). */
  readonly port: number;
  /** Dashboard URL without credentials, e.g. `http://localhost:8080/admin/`. */
  readonly dashboardUrl: string;
  /** The admin bearer token (for the desktop window via preload, and tests). Never logged. */
  readonly adminToken: string;
  /** Issues a one-time sign-in link for a browser (valid once, for 15 minutes). */
  createSignInUrl(): string;
  /** Stops everything cleanly: HTTP server (and open sockets), engine event streams, SQLite. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds and starts the whole backend from a configuration (validated with `ServerConfig`).
 * @throws ConfigError for a bad configuration; DataFolderLockedError when another server uses the data folder;
 *   an Error when the port cannot be bound.
 * Docker being unreachable is not fatal: the API answers 503 SERVICE_UNAVAILABLE until it is back.
 * Returns the full backend (`XaresAppServer`: its services and event bus for the desktop app's tray).
 */
export async function createServer(input: ServerConfigInput | ServerConfig): Promise<XaresAppServer> {
  const { startServer } = await import('./app.js');
  return startServer(input);
}
