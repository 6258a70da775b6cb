import type { ServerEvent } from '../contract/index.js';

/** Listener of server events; must not throw (a throwing listener is isolated and ignored). */
export type ServerEventListener = (event: ServerEvent) => void;

/**
 * In-process publish/subscribe of `ServerEvent`s (contract/events.ts). Services publish; the SSE endpoint,
 * the CLI and (later) the desktop shell subscribe. Delivery is synchronous and in publish order.
 */
export class EventBus {
  private readonly listeners = new Set<ServerEventListener>();

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: ServerEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(event: ServerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not stop the others.
      }
    }
  }

  /** Number of current subscribers (diagnostics, tests). */
  get size(): number {
    return this.listeners.size;
  }
}
