import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config.js';
import {
  describeStartupError,
  onBeforeQuit,
  onShowWindowRequest,
  onWindowAllClosed,
  ShutdownCoordinator,
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
    expect(onBeforeQuit('idle')).toEqual({ preventDefault: true, startShutdown: true });
    expect(onBeforeQuit('in-progress')).toEqual({ preventDefault: true, startShutdown: false });
    expect(onBeforeQuit('done')).toEqual({ preventDefault: false, startShutdown: false });
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
