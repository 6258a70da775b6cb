/**
 * Life-cycle decisions of the desktop app, without Electron: what to do when the last window closes, when a
 * second instance starts, when the app is asked to quit, and how to word a start-up failure. `main/index.ts`
 * calls these from Electron's events and carries out the answer.
 */

/** Answer to `window-all-closed`. */
export type WindowAllClosedDecision = 'keep-running' | 'quit';

/**
 * When the last window closes: keep running while a tray icon is there to bring the window back (the app is
 * kept in the tray for a whole workshop day, issue #6), and on macOS (apps stay active without windows, Dock
 * reopens them). Without a tray elsewhere nothing could reopen the window, so quit.
 * A quit already under way always wins; so does a start refused because Xares already runs (`startRefused`:
 * the window only said so, there is nothing to keep running).
 */
export function onWindowAllClosed(input: { platform: NodeJS.Platform; hasTray: boolean; quitting: boolean; startRefused?: boolean }): WindowAllClosedDecision {
  if (input.quitting || input.startRefused) return 'quit';
  if (input.hasTray || input.platform === 'darwin') return 'keep-running';
  return 'quit';
}

/** Answer to `second-instance` (someone launched the app again) and to macOS `activate` (Dock click). */
export type ShowWindowDecision = 'focus-window' | 'create-window' | 'ignore';

/**
 * Bring the existing window forward (restoring it if minimised, showing it if hidden), or create one if it was
 * closed into the tray. Requests are honoured during start-up too (the window then shows the start-up page).
 * `serverRunning` is false only once the app is quitting or the start failed: then there is nothing to show
 * (the quit or the failure dialog is under way), so ignore.
 */
export function onShowWindowRequest(input: { serverRunning: boolean; windowOpen: boolean }): ShowWindowDecision {
  if (!input.serverRunning) return 'ignore';
  return input.windowOpen ? 'focus-window' : 'create-window';
}

/** Answer to `before-quit`. */
export interface BeforeQuitDecision {
  /** Call `event.preventDefault()`: the app must not exit yet. */
  preventDefault: boolean;
  /** Begin the shutdown (stop the server, then exit). */
  startShutdown: boolean;
  /** Ask with the quit dialog first (`ShutdownCoordinator.requestQuit`); false: `shutdown()` without asking. */
  ask: boolean;
}

/** Where the shutdown is: `asking` while the quit dialog is open (a Cancel there goes back to `idle`). */
export type ShutdownPhase = 'idle' | 'asking' | 'in-progress' | 'done';

/**
 * Electron quits as soon as `before-quit` returns unless prevented, without waiting for promises. So the first
 * quit request is held back while the server closes (HTTP, SQLite, engine streams); the shutdown then ends with
 * `app.exit()`, which does not emit `before-quit` again. Further requests while closing are held back too.
 */
export function onBeforeQuit(phase: ShutdownPhase, options: { systemEnding?: boolean } = {}): BeforeQuitDecision {
  // The OS is logging out or shutting down (powerMonitor `shutdown` came first; on macOS the logout's quit
  // request arrives as `before-quit`): holding the quit back would cancel the logout ("Xares Desktop cancelled
  // log out"), and nobody may be there to answer a dialog. So let it go and close the server without asking.
  if (options.systemEnding) return { preventDefault: false, startShutdown: phase === 'idle', ask: false };
  switch (phase) {
    case 'idle':
      return { preventDefault: true, startShutdown: true, ask: true };
    case 'asking':
    case 'in-progress':
      return { preventDefault: true, startShutdown: false, ask: false };
    case 'done':
      return { preventDefault: false, startShutdown: false, ask: false };
  }
}

/** Where a system-initiated end of the session was seen. */
export type SystemEndingSource = 'power-monitor-shutdown' | 'window-session-end';

/**
 * What to do when the OS ends the session (logout, restart, shutdown): powerMonitor `shutdown` (Linux, macOS)
 * or a window's `session-end` (Windows, after which the process is ended soon). Always: stop the server at once
 * without the quit dialog (workspaces keep running, as with "Leave them running"). `delaySystem`: call
 * `preventDefault()` on powerMonitor `shutdown`, which asks the OS to wait until we exit (Linux logind inhibitor;
 * the shutdown then ends with `app.exit`). Windows' `session-end` cannot be delayed.
 */
export function onSystemEnding(source: SystemEndingSource): { stopServerNow: true; delaySystem: boolean } {
  return { stopServerNow: true, delaySystem: source === 'power-monitor-shutdown' };
}

/** What the shutdown needs (injected: Electron's `app.exit` and the server's `close` in the app, fakes in tests). */
export interface ShutdownSteps {
  /** Stops the server; may be absent when it never started. */
  stopServer: (() => Promise<void>) | null;
  /** Ends the process with this exit code (Electron: `app.exit`). */
  exit: (code: number) => void;
  /** Reports a failure to stop (logged; the app still exits, with code 1). */
  onError?: (error: unknown) => void;
  /**
   * Longest wait for the server to stop before exiting anyway, ms (default 10 s: a hung engine call must not keep a
   * zombie app). A function is asked when the stop begins (longer while workspaces are still being created: the
   * server's close waits for creations under way).
   */
  timeoutMs?: number | (() => number);
  /** Stops the running workspaces (before the server closes); only called when the user chose so. */
  stopWorkspaces?: (() => Promise<void>) | null;
  /** Longest wait for the workspaces to stop, ms (default 60 s: `docker stop` gives each container 10 s). */
  workspacesTimeoutMs?: number;
  /** Asks whether to stop the running workspaces (the quit dialog); absent: quit without asking, leaving them running. */
  askQuit?: (() => Promise<QuitChoice>) | null;
}

/** The user's answer to the quit dialog. */
export type QuitChoice = 'stop-workspaces' | 'leave-running' | 'cancel';

/** Options of the native quit dialog (Electron `dialog.showMessageBox`), when one is needed. */
export interface QuitDialog {
  type: 'question';
  title: string;
  message: string;
  detail: string;
  /** In this order: Stop them, Leave them running, Cancel (see `quitChoiceOf`). */
  buttons: string[];
  defaultId: number;
  cancelId: number;
}

const QUIT_BUTTONS = ['Stop them', 'Leave them running', 'Cancel'] as const;

/**
 * The quit dialog for the running workspaces, or null when none runs (then quitting asks nothing). Default
 * button: Leave them running (participants keep working; the next start finds them); Escape/close: Cancel.
 * `protectedRunning`: how many of them have a password, which the app does not know, so they keep running.
 */
export function quitDialog(input: { running: number; protectedRunning: number; creating?: number }): QuitDialog | null {
  const creating = Math.max(0, input.creating ?? 0);
  const total = input.running + creating;
  if (total <= 0) return null;
  const noun = total === 1 ? 'workspace is' : 'workspaces are';
  const protectedNote =
    input.protectedRunning > 0
      ? ` ${input.protectedRunning === total && total === 1 ? 'It is' : `${input.protectedRunning} of them are`} password-protected and keep running either way.`
      : '';
  // A clone batch in flight: the quit waits for the creations under way (the server's close does), then stops
  // them too when chosen; none is left half-made or forgotten.
  const creatingNote =
    creating > 0
      ? ` ${creating === 1 ? '1 of them is' : `${creating} of them are`} still being created (a clone batch): quitting waits until ${creating === 1 ? 'it is' : 'they are'} ready, which can take a minute.`
      : '';
  return {
    type: 'question',
    title: 'Quit Xares Desktop',
    message: creating > 0 ? `${total} ${noun} running or being created. Stop them?` : `${total} ${noun} still running. Stop them?`,
    detail:
      'Left running, participants can keep working in them, but nobody can reach them until Xares Desktop runs again. ' +
      `Stopping keeps their files.${creatingNote}${protectedNote}`,
    buttons: [...QUIT_BUTTONS],
    defaultId: 1,
    cancelId: 2,
  };
}

/** The part of a workspace the quit needs (a `ProjectSummary` fits). */
export interface QuitWorkspace {
  id: string;
  status: string;
  passwordProtected: boolean;
}

/** Statuses the quit treats as "running": `running`, and `creating` (it will run once made, e.g. a clone batch). */
const QUIT_ACTIVE_STATUSES = new Set(['running', 'creating']);

/**
 * What the quit dialog counts: workspaces `running`, those still `creating`, and how many of both are
 * password-protected.
 */
export function runningWorkspaceCounts(workspaces: readonly QuitWorkspace[]): { running: number; protectedRunning: number; creating: number } {
  const active = workspaces.filter((workspace) => QUIT_ACTIVE_STATUSES.has(workspace.status));
  return {
    running: active.filter((workspace) => workspace.status === 'running').length,
    creating: active.filter((workspace) => workspace.status === 'creating').length,
    protectedRunning: active.filter((workspace) => workspace.passwordProtected).length,
  };
}

/** Outcome of {@link stopRunningWorkspaces}, by workspace id. */
export interface StopRunningResult {
  stopped: string[];
  /** Password-protected: the app does not know the password, so they keep running. */
  skipped: string[];
  failed: string[];
}

/**
 * "Stop them" of the quit dialog: stops every running or still-creating workspace without a password,
 * `parallelism` at a time (default 4; `docker stop` waits up to 10 s per container; a stop of one being created
 * waits for its creation, as ProjectsService runs one operation per workspace at a time). Never rejects; failures
 * go to `onError` and the result. `stop` is `ProjectsService.stop(id, undefined)` in the app.
 */
export async function stopRunningWorkspaces(
  workspaces: readonly QuitWorkspace[],
  stop: (id: string) => Promise<void>,
  options: { parallelism?: number; onError?: (id: string, error: unknown) => void } = {},
): Promise<StopRunningResult> {
  const running = workspaces.filter((workspace) => QUIT_ACTIVE_STATUSES.has(workspace.status));
  const result: StopRunningResult = { stopped: [], skipped: running.filter((w) => w.passwordProtected).map((w) => w.id), failed: [] };
  const ids = running.filter((workspace) => !workspace.passwordProtected).map((workspace) => workspace.id);
  const parallelism = Math.max(1, options.parallelism ?? 4);
  for (let index = 0; index < ids.length; index += parallelism) {
    const batch = ids.slice(index, index + parallelism);
    const outcomes = await Promise.allSettled(batch.map((id) => stop(id)));
    outcomes.forEach((outcome, position) => {
      const id = batch[position]!;
      if (outcome.status === 'fulfilled') result.stopped.push(id);
      else {
        result.failed.push(id);
        options.onError?.(id, outcome.reason);
      }
    });
  }
  return result;
}

/** The choice for a `showMessageBox` response index (out of range: Cancel, the safe answer). */
export function quitChoiceOf(response: number): QuitChoice {
  if (response === 0) return 'stop-workspaces';
  if (response === 1) return 'leave-running';
  return 'cancel';
}

/**
 * Runs the shutdown at most once, however often quitting is requested: (when the user chose so in the quit
 * dialog) stop the running workspaces, stop the server, then exit with the requested code (0 by default), or
 * with 1 when stopping the server failed or timed out.
 */
export class ShutdownCoordinator {
  private phaseValue: ShutdownPhase = 'idle';
  private running: Promise<void> | null = null;
  private asking: Promise<'quit' | 'cancelled'> | null = null;

  constructor(private readonly steps: ShutdownSteps) {}

  get phase(): ShutdownPhase {
    return this.phaseValue;
  }

  /**
   * A quit the user asked for (menu, Cmd+Q, tray): asks with `askQuit` first. Cancel goes back to `idle` and
   * resolves `'cancelled'`; otherwise the shutdown runs (stopping the workspaces when chosen) and resolves `'quit'`
   * after `exit`. While the dialog is open or a shutdown runs, further requests join it.
   */
  async requestQuit(exitCode = 0): Promise<'quit' | 'cancelled'> {
    if (this.phaseValue !== 'idle') {
      if (this.asking) return this.asking;
      await this.shutdown(exitCode);
      return 'quit';
    }
    this.phaseValue = 'asking';
    this.asking = (async (): Promise<'quit' | 'cancelled'> => {
      let choice: QuitChoice = 'leave-running';
      try {
        choice = this.steps.askQuit ? await this.steps.askQuit() : 'leave-running';
      } catch (error) {
        // A dialog that cannot be shown must not keep the app from quitting; the workspaces stay as they are.
        this.steps.onError?.(error);
      }
      this.asking = null;
      if (choice === 'cancel') {
        if (this.phaseValue === 'asking') this.phaseValue = 'idle';
        return this.phaseValue === 'idle' ? 'cancelled' : (await this.shutdown(exitCode), 'quit');
      }
      await this.shutdown(exitCode, { stopWorkspaces: choice === 'stop-workspaces' });
      return 'quit';
    })();
    return this.asking;
  }

  /**
   * Starts the shutdown without asking (or joins the one under way); resolves after `exit` was called.
   * @param exitCode code when stopping succeeds (e.g. 1 after a failed start); the first request's code counts.
   * @param options.stopWorkspaces stop the running workspaces first (the quit dialog's "Stop them").
   */
  shutdown(exitCode = 0, options: { stopWorkspaces?: boolean } = {}): Promise<void> {
    this.running ??= this.run(exitCode, options.stopWorkspaces === true);
    return this.running;
  }

  private async run(exitCode: number, stopWorkspaces: boolean): Promise<void> {
    this.phaseValue = 'in-progress';
    let code = exitCode;
    if (stopWorkspaces && this.steps.stopWorkspaces) {
      // A failure here is reported but does not stop the quit, and does not change the exit code: the server
      // still closes cleanly and the workspaces that did not stop are found running at the next start.
      await withTimeout(this.steps.stopWorkspaces(), this.steps.workspacesTimeoutMs ?? 60_000, 'The workspaces did not stop').catch((error: unknown) =>
        this.steps.onError?.(error),
      );
    }
    if (this.steps.stopServer) {
      const timeoutMs = (typeof this.steps.timeoutMs === 'function' ? this.steps.timeoutMs() : this.steps.timeoutMs) ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`The server did not stop within ${timeoutMs} ms.`)), timeoutMs);
      });
      try {
        await Promise.race([this.steps.stopServer(), timeout]);
      } catch (error) {
        code = 1;
        this.steps.onError?.(error);
      } finally {
        clearTimeout(timer);
      }
    }
    this.phaseValue = 'done';
    this.steps.exit(code);
  }
}

/** Resolves like `promise`, or rejects with "`what` within N ms." after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Title and text of the dialog shown when the app cannot start. */
export interface StartupErrorMessage {
  title: string;
  message: string;
  detail: string;
}

/**
 * Words a start-up failure for a dialog: the error's own message, plus a hint for the failures we know.
 * - `ConfigError` (bad environment variable): the message already names every bad variable;
 * - `EADDRINUSE` / `EACCES` on the port: say which setting changes it (`XARES_PORT`);
 * - a native module built for another Node ABI (`NODE_MODULE_VERSION` in the message: better-sqlite3 or argon2
 *   compiled for Node, loaded by Electron): say how to rebuild it for Electron.
 */
export function describeStartupError(error: unknown): StartupErrorMessage {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as NodeJS.ErrnoException).code;
  const title = 'Xares Desktop could not start';
  if (err.name === 'ConfigError') {
    return { title, message: 'The configuration is not valid.', detail: `${err.message}\n\nFix the environment variables named above and start again.` };
  }
  if (code === 'EADDRINUSE') {
    return {
      title,
      message: 'The port for the dashboard is already in use.',
      detail: `${err.message}\n\nClose the other program using it, or choose another port with the XARES_PORT environment variable.`,
    };
  }
  if (code === 'EACCES') {
    return { title, message: 'The app may not listen on its port.', detail: `${err.message}\n\nChoose a port above 1024 with XARES_PORT.` };
  }
  if (/NODE_MODULE_VERSION/.test(err.message)) {
    return {
      title,
      message: 'A native module was built for Node.js, not for Electron.',
      detail: `${err.message}\n\nInstalled packages have it rebuilt for Electron. From a source checkout, run \`npm run serve\` to use the app without Electron, or \`npx electron-builder install-app-deps\` to rebuild it for Electron (\`npm rebuild better-sqlite3 argon2\` goes back to Node for the tests).`,
    };
  }
  return { title, message: err.message || 'Unknown error.', detail: err.stack ?? '' };
}
