import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config.js';
import {
  describeStartupError,
  onBeforeQuit,
  onSystemEnding,
  onShowWindowRequest,
  onWindowAllClosed,
  quitChoiceOf,
  quitDialog,
  runningWorkspaceCounts,
  ShutdownCoordinator,
  stopRunningWorkspaces,
  type QuitChoice,
} from '../../main/lifecycle.js';

describe('onWindowAllClosed', () => {
  it('keeps the app in the tray when the window closes', () => {
    expect(onWindowAllClosed({ platform: 'linux', hasTray: true, quitting: false })).toBe('keep-running');
    expect(onWindowAllClosed({ platform: 'win32', hasTray: true, quitting: false })).toBe('keep-running');
  });
  it('quits without a tray, except on macOS', () => {
    expect(onWindowAllClosed({ platform: 'linux', hasTray: false, quitting: false })).toBe('quit');
    expect(onWindowAllClosed({ platform: 'win32', hasTray: false, quitting: false })).toBe('quit');
    expect(onWindowAllClosed({ platform: 'darwin', hasTray: false, quitting: false })).toBe('keep-running');
  });
  it('lets a quit under way finish', () => {
    expect(onWindowAllClosed({ platform: 'darwin', hasTray: true, quitting: true })).toBe('quit');
  });
});

describe('onShowWindowRequest (second instance, Dock click, tray)', () => {
  it('focuses the open window, or recreates a closed one', () => {
    expect(onShowWindowRequest({ serverRunning: true, windowOpen: true })).toBe('focus-window');
    expect(onShowWindowRequest({ serverRunning: true, windowOpen: false })).toBe('create-window');
  });
  it('does nothing while the server is not running', () => {
    expect(onShowWindowRequest({ serverRunning: false, windowOpen: true })).toBe('ignore');
    expect(onShowWindowRequest({ serverRunning: false, windowOpen: false })).toBe('ignore');
  });
});

describe('onBeforeQuit', () => {
  it('holds the first quit back to stop the server, then lets the exit through', () => {
    expect(onBeforeQuit('idle')).toEqual({ preventDefault: true, startShutdown: true, ask: true });
    expect(onBeforeQuit('in-progress')).toEqual({ preventDefault: true, startShutdown: false, ask: false });
    expect(onBeforeQuit('done')).toEqual({ preventDefault: false, startShutdown: false, ask: false });
  });

  it('never blocks a logout, restart or shutdown of the OS, and never asks then', () => {
    // Held back, macOS would cancel the logout; the server closes without the dialog.
    expect(onBeforeQuit('idle', { systemEnding: true })).toEqual({ preventDefault: false, startShutdown: true, ask: false });
    expect(onBeforeQuit('asking', { systemEnding: true })).toEqual({ preventDefault: false, startShutdown: false, ask: false });
    expect(onBeforeQuit('in-progress', { systemEnding: true })).toEqual({ preventDefault: false, startShutdown: false, ask: false });
  });
});

describe('onWindowAllClosed after a refused start', () => {
  it('quits when the start was refused because Xares already runs, even with a tray', () => {
    expect(onWindowAllClosed({ platform: 'linux', hasTray: true, quitting: false, startRefused: true })).toBe('quit');
    expect(onWindowAllClosed({ platform: 'darwin', hasTray: true, quitting: false, startRefused: true })).toBe('quit');
    expect(onWindowAllClosed({ platform: 'linux', hasTray: true, quitting: false, startRefused: false })).toBe('keep-running');
  });
});

describe('onSystemEnding', () => {
  it('stops the server at once; asks the OS to wait only where it can (powerMonitor shutdown, not Windows session-end)', () => {
    expect(onSystemEnding('power-monitor-shutdown')).toEqual({ stopServerNow: true, delaySystem: true });
    expect(onSystemEnding('window-session-end')).toEqual({ stopServerNow: true, delaySystem: false });
  });
});

describe('ShutdownCoordinator', () => {
  it('stops the server before exiting, once, however often quit is asked', async () => {
    const events: string[] = [];
    let release!: () => void;
    const stopped = new Promise<void>((resolve) => (release = resolve));
    const coordinator = new ShutdownCoordinator({
      stopServer: async () => {
        events.push('stop');
        await stopped;
        events.push('stopped');
      },
      exit: (code) => events.push(`exit ${code}`),
    });
    expect(coordinator.phase).toBe('idle');
    const first = coordinator.shutdown();
    const second = coordinator.shutdown();
    expect(coordinator.phase).toBe('in-progress');
    expect(onBeforeQuit(coordinator.phase).startShutdown).toBe(false);
    expect(events).toEqual(['stop']); // not exited while the server closes
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['stop', 'stopped', 'exit 0']);
    expect(coordinator.phase).toBe('done');
    await coordinator.shutdown();
    expect(events).toEqual(['stop', 'stopped', 'exit 0']);
  });

  it('exits with 1 and reports when stopping fails', async () => {
    const codes: number[] = [];
    const errors: unknown[] = [];
    const coordinator = new ShutdownCoordinator({
      stopServer: () => Promise.reject(new Error('SQLite busy')),
      exit: (code) => codes.push(code),
      onError: (error) => errors.push(error),
    });
    await coordinator.shutdown();
    expect(codes).toEqual([1]);
    expect((errors[0] as Error).message).toBe('SQLite busy');
  });

  it('gives up waiting for a server that hangs, after the timeout', async () => {
    const codes: number[] = [];
    const errors: unknown[] = [];
    const coordinator = new ShutdownCoordinator({
      stopServer: () => new Promise<void>(() => {}),
      exit: (code) => codes.push(code),
      onError: (error) => errors.push(error),
      timeoutMs: 30,
    });
    await coordinator.shutdown();
    expect(codes).toEqual([1]);
    expect(String(errors[0])).toContain('did not stop within 30 ms');
  });

  it('exits with the requested code when there is no server (failed start)', async () => {
    const codes: number[] = [];
    const coordinator = new ShutdownCoordinator({ stopServer: null, exit: (code) => codes.push(code) });
    await coordinator.shutdown(1);
    await coordinator.shutdown(0); // the first request's code counts
    expect(codes).toEqual([1]);
  });
});

describe('describeStartupError', () => {
  it('shows a bad configuration with every variable named', () => {
    const text = describeStartupError(new ConfigError(['XARES_PORT="99999": must be at most 65535']));
    expect(text.title).toBe('Xares Desktop could not start');
    expect(text.message).toBe('The configuration is not valid.');
    expect(text.detail).toContain('XARES_PORT="99999": must be at most 65535');
  });
  it('points at XARES_PORT when the port is taken', () => {
    const error = Object.assign(new Error('listen EADDRINUSE: address already in use :::8080'), { code: 'EADDRINUSE' });
    const text = describeStartupError(error);
    expect(text.message).toBe('The port for the dashboard is already in use.');
    expect(text.detail).toContain('listen EADDRINUSE');
    expect(text.detail).toContain('XARES_PORT');
  });
  it('explains a native module built for Node instead of Electron', () => {
    const error = new Error('The module better_sqlite3.node was compiled against NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.');
    const text = describeStartupError(error);
    expect(text.message).toContain('built for Node.js, not for Electron');
    expect(text.detail).toContain('npm run serve');
  });
  it('passes any other error message through', () => {
    expect(describeStartupError(new Error('disk full')).message).toBe('disk full');
    expect(describeStartupError('plain string').message).toBe('plain string');
  });
});

describe('quit dialog', () => {
  it('asks nothing when no workspace runs', () => {
    expect(quitDialog({ running: 0, protectedRunning: 0 })).toBeNull();
  });
  it('offers Stop them / Leave them running / Cancel, leaving them running by default and cancelling on Escape', () => {
    const dialog = quitDialog({ running: 3, protectedRunning: 0 })!;
    expect(dialog.message).toBe('3 workspaces are still running. Stop them?');
    expect(dialog.buttons).toEqual(['Stop them', 'Leave them running', 'Cancel']);
    expect(dialog.buttons[dialog.defaultId]).toBe('Leave them running');
    expect(dialog.buttons[dialog.cancelId]).toBe('Cancel');
    expect(dialog.detail).not.toContain('password');
    expect(quitDialog({ running: 3, protectedRunning: 1 })!.detail).toContain('1 of them are password-protected and keep running either way.');
    expect(quitDialog({ running: 1, protectedRunning: 1 })!.detail).toContain('It is password-protected');
  });
  it('maps the answer index to a choice, anything unknown to Cancel', () => {
    expect([0, 1, 2, 7, -1].map(quitChoiceOf)).toEqual(['stop-workspaces', 'leave-running', 'cancel', 'cancel', 'cancel']);
  });
});

describe('ShutdownCoordinator.requestQuit', () => {
  function coordinator(choice: () => Promise<QuitChoice>, events: string[], extra: Partial<ConstructorParameters<typeof ShutdownCoordinator>[0]> = {}) {
    return new ShutdownCoordinator({
      askQuit: async () => {
        events.push('ask');
        return choice();
      },
      stopWorkspaces: async () => {
        events.push('stop workspaces');
      },
      stopServer: async () => {
        events.push('stop server');
      },
      exit: (code) => events.push(`exit ${code}`),
      ...extra,
    });
  }

  it('"Stop them": stops the workspaces, then the server, then exits', async () => {
    const events: string[] = [];
    expect(await coordinator(async () => 'stop-workspaces', events).requestQuit()).toBe('quit');
    expect(events).toEqual(['ask', 'stop workspaces', 'stop server', 'exit 0']);
  });

  it('"Leave them running": stops only the server', async () => {
    const events: string[] = [];
    await coordinator(async () => 'leave-running', events).requestQuit();
    expect(events).toEqual(['ask', 'stop server', 'exit 0']);
  });

  it('"Cancel": nothing stops and a later quit asks again', async () => {
    const events: string[] = [];
    const answers: QuitChoice[] = ['cancel', 'leave-running'];
    const shutdown = coordinator(async () => answers.shift()!, events);
    expect(await shutdown.requestQuit()).toBe('cancelled');
    expect(shutdown.phase).toBe('idle');
    expect(events).toEqual(['ask']);
    expect(await shutdown.requestQuit()).toBe('quit');
    expect(events).toEqual(['ask', 'ask', 'stop server', 'exit 0']);
  });

  it('holds further quit requests back while the dialog is open: one dialog, one shutdown', async () => {
    const events: string[] = [];
    let answer!: (choice: QuitChoice) => void;
    const shutdown = coordinator(() => new Promise<QuitChoice>((resolve) => (answer = resolve)), events);
    const first = shutdown.requestQuit();
    expect(shutdown.phase).toBe('asking');
    expect(onBeforeQuit(shutdown.phase)).toEqual({ preventDefault: true, startShutdown: false, ask: false });
    const second = shutdown.requestQuit();
    answer('leave-running');
    expect(await Promise.all([first, second])).toEqual(['quit', 'quit']);
    expect(events).toEqual(['ask', 'stop server', 'exit 0']);
  });

  it('still stops the server and exits 0 when stopping the workspaces fails or hangs', async () => {
    const events: string[] = [];
    const errors: unknown[] = [];
    await coordinator(async () => 'stop-workspaces', events, {
      stopWorkspaces: () => new Promise<void>(() => {}),
      workspacesTimeoutMs: 20,
      onError: (error) => errors.push(error),
    }).requestQuit();
    expect(events).toEqual(['ask', 'stop server', 'exit 0']);
    expect(String(errors[0])).toContain('The workspaces did not stop within 20 ms.');
  });

  it('asks for the server stop timeout when the stop begins (longer while workspaces are being created)', async () => {
    const events: string[] = [];
    let asked = 0;
    const errors: unknown[] = [];
    const shutdown = new ShutdownCoordinator({
      stopServer: () => new Promise<void>(() => {}),
      exit: (code) => events.push(`exit ${code}`),
      timeoutMs: () => {
        asked += 1;
        return 25;
      },
      onError: (error) => errors.push(error),
    });
    await shutdown.shutdown();
    expect(asked).toBe(1);
    expect(events).toEqual(['exit 1']);
    expect(String(errors[0])).toContain('within 25 ms');
  });

  it('quits leaving the workspaces when the dialog cannot be shown', async () => {
    const events: string[] = [];
    await coordinator(async () => Promise.reject(new Error('no display')), events, { onError: () => {} }).requestQuit();
    expect(events).toEqual(['ask', 'stop server', 'exit 0']);
  });
});

describe('stopping the running workspaces on quit', () => {
  const list = [
    { id: 'a', status: 'running', passwordProtected: false },
    { id: 'b', status: 'running', passwordProtected: true },
    { id: 'c', status: 'stopped', passwordProtected: false },
    { id: 'd', status: 'creating', passwordProtected: false },
    { id: 'e', status: 'running', passwordProtected: false },
    { id: 'f', status: 'running', passwordProtected: false },
  ];

  it('counts the running ones, those still being created, and the protected among them for the dialog', () => {
    expect(runningWorkspaceCounts(list)).toEqual({ running: 4, creating: 1, protectedRunning: 1 });
    // Mid clone batch: the creating ones alone still make the dialog appear, with a warning.
    const dialog = quitDialog(runningWorkspaceCounts([{ id: 'x', status: 'creating', passwordProtected: false }, { id: 'y', status: 'creating', passwordProtected: false }]))!;
    expect(dialog.message).toBe('2 workspaces are running or being created. Stop them?');
    expect(dialog.detail).toContain('2 of them are still being created (a clone batch): quitting waits until they are ready');
  });

  it('stops the running ones without a password, a few at a time, and reports failures without rejecting', async () => {
    let active = 0;
    let most = 0;
    const errors: string[] = [];
    const result = await stopRunningWorkspaces(
      list,
      async (id) => {
        active += 1;
        most = Math.max(most, active);
        await Promise.resolve();
        active -= 1;
        if (id === 'e') throw new Error('engine gone');
      },
      { parallelism: 2, onError: (id, error) => errors.push(`${id}: ${(error as Error).message}`) },
    );
    // d is still being created: its stop waits for the creation, then stops it (not forgotten running).
    expect(result).toEqual({ stopped: ['a', 'd', 'f'], skipped: ['b'], failed: ['e'] });
    expect(errors).toEqual(['e: engine gone']);
    expect(most).toBeLessThanOrEqual(2);
  });
});
