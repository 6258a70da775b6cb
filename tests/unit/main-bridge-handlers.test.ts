import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BridgeChannels } from '../../server/contract/desktop-bridge.js';
import {
  BRIDGE_CHANNEL_NAMES,
  BridgeCallError,
  createBridgeHandlers,
  dispatchBridgeCall,
  toBridgeError,
  type BridgeHandlerDeps,
  type BridgeHandlers,
} from '../../main/bridge-handlers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SESSION = { serverUrl: 'http://localhost:8080', dashboardUrl: 'http://localhost:8080/admin/', adminToken: 'a'.repeat(43) };

function deps(opened: string[] = []): BridgeHandlerDeps {
  return {
    session: () => SESSION,
    openExternal: async (url) => {
      opened.push(url);
    },
    appInfo: { version: '0.1.0', platform: 'linux' },
  };
}

describe('bridge handler map', () => {
  it('has exactly one handler per contract channel', () => {
    const handlers = createBridgeHandlers(deps());
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(BridgeChannels).sort());
    for (const channel of Object.keys(BridgeChannels)) expect(typeof handlers[channel as keyof BridgeHandlers]).toBe('function');
    expect(BRIDGE_CHANNEL_NAMES).toEqual(Object.keys(BridgeChannels));
  });
});

describe('dispatchBridgeCall', () => {
  const trusted = (channel: string, request?: unknown) => ({ channel, request, senderTrusted: true });

  it('session:get gives the addresses and the admin token', async () => {
    expect(await dispatchBridgeCall(createBridgeHandlers(deps()), trusted('session:get'))).toEqual({ ok: true, value: SESSION });
  });

  it('app:info gives version and platform', async () => {
    expect(await dispatchBridgeCall(createBridgeHandlers(deps()), trusted('app:info'))).toEqual({ ok: true, value: { version: '0.1.0', platform: 'linux' } });
  });

  it('shell:open-external opens http(s) links and nothing else', async () => {
    const opened: string[] = [];
    const handlers = createBridgeHandlers(deps(opened));
    expect(await dispatchBridgeCall(handlers, trusted('shell:open-external', { url: 'https://example.org/x' }))).toEqual({ ok: true, value: undefined });
    const file = await dispatchBridgeCall(handlers, trusted('shell:open-external', { url: 'file:///etc/passwd' }));
    expect(file).toEqual({ ok: false, error: { name: 'UnsafeUrl', message: 'Only http and https links can be opened in the browser.' } });
    expect(opened).toEqual(['https://example.org/x']);
  });

  it('refuses callers that are not the dashboard, without running the handler', async () => {
    let called = false;
    const handlers = createBridgeHandlers({
      ...deps(),
      session: () => {
        called = true;
        return SESSION;
      },
    });
    const result = await dispatchBridgeCall(handlers, { channel: 'session:get', request: undefined, senderTrusted: false });
    expect(result).toEqual({ ok: false, error: { name: 'Forbidden', message: 'This page may not use the desktop bridge.' } });
    expect(called).toBe(false);
  });

  it('answers unknown channels and bad requests with data, not exceptions', async () => {
    const handlers = createBridgeHandlers(deps());
    const unknown = await dispatchBridgeCall(handlers, trusted('fs:read', { path: '/etc/passwd' }));
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error.name).toBe('UnknownChannel');
    const proto = await dispatchBridgeCall(handlers, trusted('__proto__'));
    expect(!proto.ok && proto.error.name).toBe('UnknownChannel');
    const bad = await dispatchBridgeCall(handlers, trusted('shell:open-external', { url: 42 }));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.name).toBe('ValidationError');
    expect(!bad.ok && bad.error.message).toMatch(/^url: /);
    const missing = await dispatchBridgeCall(handlers, trusted('shell:open-external'));
    expect(!missing.ok && missing.error.name).toBe('ValidationError');
  });

  it('turns a handler failure into { name, message } only', async () => {
    const handlers = createBridgeHandlers({
      ...deps(),
      session: () => {
        throw new BridgeCallError('NotReady', 'The server is not running.');
      },
    });
    const result = await dispatchBridgeCall(handlers, trusted('session:get'));
    expect(result).toEqual({ ok: false, error: { name: 'NotReady', message: 'The server is not running.' } });
    expect(Object.keys(result.ok ? {} : result.error)).toEqual(['name', 'message']); // no stack crosses the bridge
  });

  it('refuses to answer outside the contract', async () => {
    const broken = { ...createBridgeHandlers(deps()), 'app:info': () => ({ version: 1 }) } as unknown as BridgeHandlers;
    const result = await dispatchBridgeCall(broken, trusted('app:info'));
    expect(!result.ok && result.error.name).toBe('InternalError');
  });

  it('toBridgeError keeps name and message of anything thrown', () => {
    expect(toBridgeError(new TypeError('bad'))).toEqual({ name: 'TypeError', message: 'bad' });
    expect(toBridgeError('text')).toEqual({ name: 'Error', message: 'text' });
  });
});

describe('bridge handler typing (compile-time)', () => {
  /** Type-checks small files next to main/bridge-handlers.ts with the Node compiler settings; returns errors per file. */
  function typeCheck(sources: Record<string, string>): Record<string, string[]> {
    const configPath = path.join(ROOT, 'tsconfig.node.json');
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    if (!config) throw new Error('cannot read tsconfig.node.json');
    const virtual = new Map(Object.entries(sources).map(([name, text]) => [path.join(ROOT, 'main', `${name}.ts`), text]));
    const options = { ...config.options, noEmit: true };
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
    host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
    host.getSourceFile = (file, language, onError, create) => {
      const text = virtual.get(file);
      return text !== undefined ? ts.createSourceFile(file, text, language) : getSourceFile.call(host, file, language, onError, create);
    };
    const program = ts.createProgram([...virtual.keys()], options, host);
    const out: Record<string, string[]> = {};
    for (const [file] of virtual) {
      const diagnostics = program.getSemanticDiagnostics(program.getSourceFile(file)).concat(program.getSyntacticDiagnostics(program.getSourceFile(file)));
      out[path.basename(file, '.ts')] = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
    return out;
  }

  const head = `import type { BridgeHandlers } from './bridge-handlers.js';\n`;
  const session = `'session:get': () => ({ serverUrl: 'u', dashboardUrl: 'd', adminToken: 't' })`;
  const open = `'shell:open-external': async ({ url }) => { void url; }`;
  const info = `'app:info': () => ({ version: '1', platform: 'linux' })`;

  it('accepts a complete map and rejects a missing handler, a wrong result and an extra channel', () => {
    const errors = typeCheck({
      '__check-complete': `${head}export const h: BridgeHandlers = { ${session}, ${open}, ${info} };\n`,
      '__check-missing': `${head}export const h: BridgeHandlers = { ${session}, ${info} };\n`,
      '__check-wrong-result': `${head}export const h: BridgeHandlers = { ${session}, ${open}, 'app:info': () => ({ version: 1, platform: 'linux' }) };\n`,
      '__check-extra': `${head}export const h: BridgeHandlers = { ${session}, ${open}, ${info}, 'fs:read': () => 'x' };\n`,
    });
    expect(errors['__check-complete']).toEqual([]);
    expect(errors['__check-missing']!.join('\n')).toMatch(/Property '"shell:open-external"' is missing/);
    expect(errors['__check-wrong-result']!.join('\n')).toMatch(/number.*not assignable to type.*string/s);
    expect(errors['__check-extra']!.join('\n')).toMatch(/'fs:read'|"fs:read"/);
  }, 60_000);
});
