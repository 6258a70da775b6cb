import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeChannels, type DesktopBridge } from '../../server/contract/desktop-bridge.js';
import { BRIDGE_CHANNEL_NAMES as MAIN_CHANNELS } from '../../main/bridge-handlers.js';
import { createDesktopBridge } from '../../preload/bridge.js';
import { BRIDGE_CHANNEL_NAMES } from '../../preload/channels.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('preload channel list', () => {
  it('equals the contract channels, in order, and main uses the same', () => {
    expect([...BRIDGE_CHANNEL_NAMES]).toEqual(Object.keys(BridgeChannels));
    expect([...BRIDGE_CHANNEL_NAMES]).toEqual(MAIN_CHANNELS);
  });
});

describe('createDesktopBridge', () => {
  it('sends the call to main and resolves to its answer', async () => {
    const sent: Array<[string, unknown]> = [];
    const bridge = createDesktopBridge(async (channel, request) => {
      sent.push([channel, request]);
      return { ok: true, value: { version: '0.1.0', platform: 'linux' } };
    });
    expect(await bridge.invoke('app:info', undefined)).toEqual({ ok: true, value: { version: '0.1.0', platform: 'linux' } });
    expect(await bridge.invoke('shell:open-external', { url: 'https://example.org/' })).toMatchObject({ ok: true });
    expect(sent).toEqual([
      ['app:info', undefined],
      ['shell:open-external', { url: 'https://example.org/' }],
    ]);
  });

  it('passes main-side errors through as data', async () => {
    const bridge = createDesktopBridge(async () => ({ ok: false, error: { name: 'NotReady', message: 'The server is not running.' } }));
    expect(await bridge.invoke('session:get', undefined)).toEqual({ ok: false, error: { name: 'NotReady', message: 'The server is not running.' } });
  });

  it('never sends an unknown channel', async () => {
    let sent = 0;
    const bridge = createDesktopBridge(async () => {
      sent += 1;
      return { ok: true, value: null };
    });
    const result = await (bridge.invoke as (channel: string, request: unknown) => ReturnType<DesktopBridge['invoke']>)('fs:read', '/etc/passwd');
    expect(result).toEqual({ ok: false, error: { name: 'UnknownChannel', message: 'Unknown bridge channel: fs:read' } });
    expect(sent).toBe(0);
  });

  it('turns an IPC failure or a malformed answer into an error result, never a rejection', async () => {
    const failing = createDesktopBridge(async () => {
      throw new Error("No handler registered for 'app:info'");
    });
    expect(await failing.invoke('app:info', undefined)).toEqual({
      ok: false,
      error: { name: 'BridgeUnavailable', message: "No handler registered for 'app:info'" },
    });
    const odd = createDesktopBridge(async () => 'hello');
    expect(await odd.invoke('app:info', undefined)).toMatchObject({ ok: false, error: { name: 'InvalidAnswer' } });
    const badError = createDesktopBridge(async () => ({ ok: false, error: { code: 1 } }));
    expect(await badError.invoke('app:info', undefined)).toMatchObject({ ok: false, error: { name: 'InvalidAnswer' } });
  });

  it('is frozen (the page cannot swap invoke)', () => {
    const bridge = createDesktopBridge(async () => ({ ok: true, value: undefined }));
    expect(Object.isFrozen(bridge)).toBe(true);
  });
});

describe('preload bundle (scripts/build-preload.mjs)', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'xares-preload-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('is one CommonJS file that only requires electron and exposes window.xares', async () => {
    const outFile = path.join(outDir, 'index.cjs');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-preload.mjs'), '--out', outFile], { cwd: ROOT, stdio: 'pipe' });
    const code = readFileSync(outFile, 'utf8');
    expect(code).not.toMatch(/\bimport\s|\bexport\s/); // CommonJS, not an ES module
    expect(code).not.toContain('zod');

    // Run it the way a sandboxed preload runs: a CommonJS wrapper whose `require` knows only a few modules.
    const required: string[] = [];
    const exposed = new Map<string, unknown>();
    const invoked: Array<[string, unknown]> = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: async (channel: string, request: unknown) => {
          invoked.push([channel, request]);
          return { ok: true, value: { version: '9.9.9', platform: 'test' } };
        },
      },
    };
    const sandboxRequire = (name: string): unknown => {
      required.push(name);
      if (name === 'electron') return fakeElectron;
      throw new Error(`module not found: ${name}`);
    };
    const module = { exports: {} };
    vm.runInNewContext(`(function (exports, require, module) {${code}\n})`, { Promise, Set, Object, String, Error, TypeError })(module.exports, sandboxRequire, module);

    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['xares']);
    const bridge = exposed.get('xares') as DesktopBridge;
    expect(await bridge.invoke('app:info', undefined)).toEqual({ ok: true, value: { version: '9.9.9', platform: 'test' } });
    expect(invoked).toEqual([['app:info', undefined]]);
  }, 60_000);
});
