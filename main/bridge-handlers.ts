/**
 * The main-process side of the preload bridge, without Electron: one handler per channel of `BridgeChannels`
 * (server/contract/desktop-bridge.ts), and the dispatcher that validates a call and turns its outcome into a
 * `BridgeResult`. `main/index.ts` registers `dispatchBridgeCall` with `ipcMain.handle` for every channel.
 */
import type { z } from 'zod';
import {
  BridgeChannels,
  type BridgeChannel,
  type BridgeError,
  type BridgeResponse,
  type BridgeResult,
} from '../server/contract/desktop-bridge.js';
import { isSafeExternalUrl } from './navigation-policy.js';

/** A channel's request after validation (zod output: defaults applied). */
export type BridgeParsedRequest<C extends BridgeChannel> = z.output<(typeof BridgeChannels)[C]['request']>;

/** Handles one channel: gets the validated request, returns (or resolves to) the channel's response. */
export type BridgeHandler<C extends BridgeChannel> = (
  request: BridgeParsedRequest<C>,
) => BridgeResponse<C> | Promise<BridgeResponse<C>>;

/**
 * One handler for every channel. A mapped type over `BridgeChannel`: a missing channel, an extra one, or a handler
 * returning the wrong shape is a compile error.
 */
export type BridgeHandlers = { readonly [C in BridgeChannel]: BridgeHandler<C> };

/** Every channel name, in the contract's order (the preload keeps its own copy; a unit test compares them). */
export const BRIDGE_CHANNEL_NAMES = Object.keys(BridgeChannels) as BridgeChannel[];

/** An error a handler throws on purpose; its `name` crosses the bridge so the renderer can tell cases apart. */
export class BridgeCallError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** True when `channel` is one of the contract's channels. */
export function isBridgeChannel(channel: string): channel is BridgeChannel {
  return Object.prototype.hasOwnProperty.call(BridgeChannels, channel);
}

/** Turns anything thrown into the bridge's error data: `{ name, message }`, nothing else (no stack, no cause). */
export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** One IPC call as it arrives in the main process. */
export interface BridgeCall {
  /** Channel name as sent by the renderer (untrusted: may be anything). */
  channel: string;
  /** Request as sent by the renderer (untrusted). */
  request: unknown;
  /** Whether the calling frame is our dashboard (see `isTrustedSender`). */
  senderTrusted: boolean;
}

/**
 * Runs one bridge call: checks the sender and the channel, validates the request with the channel's schema,
 * calls the handler, validates what it returns, and never throws. Error names:
 * `Forbidden` (sender not our dashboard), `UnknownChannel`, `ValidationError` (bad request), the handler's own
 * error name (e.g. `UnsafeUrl`), `InternalError` (a handler returned data outside the contract).
 */
export async function dispatchBridgeCall(handlers: BridgeHandlers, call: BridgeCall): Promise<BridgeResult<unknown>> {
  if (!call.senderTrusted) return { ok: false, error: { name: 'Forbidden', message: 'This page may not use the desktop bridge.' } };
  if (!isBridgeChannel(call.channel)) {
    return { ok: false, error: { name: 'UnknownChannel', message: `Unknown bridge channel: ${String(call.channel).slice(0, 80)}` } };
  }
  return runChannel(handlers, call.channel, call.request);
}

async function runChannel<C extends BridgeChannel>(handlers: BridgeHandlers, channel: C, rawRequest: unknown): Promise<BridgeResult<BridgeResponse<C>>> {
  const schema = BridgeChannels[channel];
  const request = schema.request.safeParse(rawRequest);
  if (!request.success) return { ok: false, error: { name: 'ValidationError', message: describeIssues(request.error.issues) } };
  let value: unknown;
  try {
    const handler = handlers[channel] as BridgeHandler<C>;
    value = await handler(request.data as BridgeParsedRequest<C>);
  } catch (error) {
    return { ok: false, error: toBridgeError(error) };
  }
  const response = schema.response.safeParse(value);
  if (!response.success) {
    return { ok: false, error: { name: 'InternalError', message: `The app answered ${channel} outside the contract.` } };
  }
  return { ok: true, value: response.data as BridgeResponse<C> };
}

/** What the handlers need from the running app (injected, so they are testable without Electron). */
export interface BridgeHandlerDeps {
  /** The running server's addresses and admin token; throws when the server is not running. */
  session(): BridgeResponse<'session:get'>;
  /** Opens an http(s) URL in the system browser (Electron: `shell.openExternal`). */
  openExternal(url: string): Promise<void>;
  /** App version (package.json) and platform (`process.platform`). */
  appInfo: BridgeResponse<'app:info'>;
}

/**
 * The app's handlers. `shell:open-external` refuses anything but plain http/https URLs (name `UnsafeUrl`): the
 * contract's `z.string().url()` also accepts `file:` and `javascript:`, which the OS would run.
 */
export function createBridgeHandlers(deps: BridgeHandlerDeps): BridgeHandlers {
  return {
    'session:get': () => deps.session(),
    'shell:open-external': async ({ url }) => {
      if (!isSafeExternalUrl(url)) throw new BridgeCallError('UnsafeUrl', 'Only http and https links can be opened in the browser.');
      await deps.openExternal(url);
    },
    'app:info': () => ({ ...deps.appInfo }),
  };
}
