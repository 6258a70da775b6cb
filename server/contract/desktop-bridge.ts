import { z } from 'zod';

/**
 * The preload bridge: every IPC channel named once, with its request and response schema. `main/` registers a
 * handler per channel, `preload/` exposes one invoker per channel as `window.xares`, the renderer calls it.
 * Errors cross the bridge as data (`BridgeError`), never as Electron's generic error.
 */
export const BridgeChannels = {
  'session:get': {
    request: z.void(),
    response: z.object({ serverUrl: z.string(), adminToken: z.string(), dashboardUrl: z.string() }),
  },
  'shell:open-external': {
    request: z.object({ url: z.string().url() }),
    response: z.void(),
  },
  'app:info': {
    request: z.void(),
    response: z.object({ version: z.string(), platform: z.string() }),
  },
} as const;

export type BridgeChannel = keyof typeof BridgeChannels;
export type BridgeRequest<C extends BridgeChannel> = z.input<(typeof BridgeChannels)[C]['request']>;
export type BridgeResponse<C extends BridgeChannel> = z.output<(typeof BridgeChannels)[C]['response']>;

/** An error as it crosses the bridge. */
export const BridgeError = z.object({ name: z.string(), message: z.string() });
export type BridgeError = z.infer<typeof BridgeError>;

/** What every bridge call resolves to: a result or an error, as plain data. */
export type BridgeResult<T> = { ok: true; value: T } | { ok: false; error: BridgeError };

/** Shape of `window.xares` in the desktop app (absent in a plain browser). */
export interface DesktopBridge {
  invoke<C extends BridgeChannel>(channel: C, request: BridgeRequest<C>): Promise<BridgeResult<BridgeResponse<C>>>;
}
