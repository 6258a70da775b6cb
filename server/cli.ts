#!/usr/bin/env node
/**
 * Headless entry point (`npm run serve`): reads the configuration from the environment (`configFromEnv`),
 * starts the server, prints the dashboard URL, a one-time sign-in link and image build progress, and stops
 * cleanly on SIGINT/SIGTERM. Exit codes: 0 after a clean stop, 1 when the server cannot start, 2 for a bad
 * configuration, 3 when another Xares server already uses the data folder.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, configFromEnv } from './config.js';
import { startServer, type XaresAppServer } from './app.js';

/** Prints to the console (the CLI's own output, separate from the JSON log). */
function say(line: string): void {
  process.stdout.write(`[xares] ${line}\n`);
}

/** Runs the headless server until a termination signal. @returns the process exit code. */
export async function runCli(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config;
  try {
    config = configFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Xares cannot start: the configuration is invalid.\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 2;
    }
    throw error;
  }
  let server: XaresAppServer;
  try {
    server = await startServer(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `Xares cannot start: port ${config.port} is already in use. Set XARES_PORT to another port.\n`
        : `Xares cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    // Another server on the same data folder (DataFolderLockedError): its own exit code, no stack.
    return code === 'DATA_FOLDER_LOCKED' ? 3 : 1;
  }
  let lastPercent = -1;
  server.events.subscribe((event) => {
    if (event.type === 'image') {
      const percent = Math.floor(event.image.progress * 100);
      if (event.image.state === 'building' && percent !== lastPercent) {
        lastPercent = percent;
        say(`building workspace image ${event.image.tag}: ${percent}% ${event.image.message}`);
      } else if (event.image.state === 'present' && lastPercent >= 0) {
        say(`workspace image ${event.image.tag} is ready`);
        lastPercent = -1;
      } else if (event.image.state === 'error') {
        say(`workspace image problem: ${event.image.message}`);
      }
    } else if (event.type === 'docker') {
      say(event.docker.available ? `Docker engine ${event.docker.version ?? ''} is available` : `Docker is not available: ${event.docker.error ?? 'unknown reason'}`);
    }
  });
  say(`dashboard: ${server.dashboardUrl}`);
  say(`sign in once with this link (valid 15 minutes): ${server.createSignInUrl()}`);
  say(`workspaces are served at http://<id>.${config.baseDomain}:${server.port}/`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`${signal} received, stopping`);
      server.close().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`Error while stopping: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
