/**
 * The object the preload exposes as `window.xares`, built around a sender (Electron's `ipcRenderer.invoke` in
 * the app, a fake in tests). Only type imports from the contract: this file is bundled into the sandboxed
 * preload, which cannot load zod.
 */
import type { BridgeChannel, BridgeRequest, BridgeResponse, BridgeResult, DesktopBridge } from '../server/contract/desktop-bridge.js';
import { BRIDGE_CHANNEL_NAMES } from './channels.js';

/** Sends one call to the main process and resolves to its answer (Electron: `ipcRenderer.invoke`). */
export type BridgeSender = (channel: BridgeChannel, request: unknown) => Promise<unknown>;

const KNOWN_CHANNELS: ReadonlySet<string> = new Set(BRIDGE_CHANNEL_NAMES);

function failure(name: string, message: string): BridgeResult<never> {
  return { ok: false, error: { name, message } };
}

function isBridgeResult(value: unknown): value is BridgeResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as { ok?: unknown; error?: unknown };
  if (result.ok === true) return true; // `value` may be absent for channels answering void
  if (result.ok !== false || typeof result.error !== 'object' || result.error === null) return false;
  const error = result.error as { name?: unknown; message?: unknown };
  return typeof error.name === 'string' && typeof error.message === 'string';
}

/**
 * The `DesktopBridge`: `invoke(channel, request)` resolves to the main process's `BridgeResult`, never rejects.
 * Error names added here: `UnknownChannel` (not a contract channel: nothing is sent), `BridgeUnavailable` (the
 * IPC call itself failed, e.g. no handler in main), `InvalidAnswer` (main answered outside `BridgeResult`).
 */
export function createDesktopBridge(send: BridgeSender): DesktopBridge {
  async function invoke<C extends BridgeChannel>(channel: C, request: BridgeRequest<C>): Promise<BridgeResult<BridgeResponse<C>>> {
    if (typeof channel !== 'string' || !KNOWN_CHANNELS.has(channel)) {
      return failure('UnknownChannel', `Unknown bridge channel: ${String(channel).slice(0, 80)}`);
    }
    let answer: unknown;
    try {
      answer = await send(channel, request);
    } catch (error) {
      return failure('BridgeUnavailable', error instanceof Error ? error.message : String(error));
    }
    if (!isBridgeResult(answer)) return failure('InvalidAnswer', `The app answered ${channel} in an unexpected shape.`);
    // Main validated the value against the channel's response schema before answering.
    return answer as BridgeResult<BridgeResponse<C>>;
  }
  return Object.freeze({ invoke });
}
