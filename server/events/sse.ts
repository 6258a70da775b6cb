import type { Request, Response } from 'express';
import type { ServerEvent } from '../contract/index.js';
import type { EventBus } from './event-bus.js';

/** Interval of the SSE heartbeat comment (ms): keeps proxies and idle-connection reapers from closing it. */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * `GET /api/events`: Server-Sent Events of `ServerEvent` (contract/events.ts). The first event is `hello`
 * with the full state (from `snapshot`), then every bus event as it happens; a `: ping` comment every 15 s.
 */
export class EventStreamHub {
  private readonly open = new Set<Response>();

  constructor(
    private readonly bus: EventBus,
    private readonly snapshot: () => Extract<ServerEvent, { type: 'hello' }>,
  ) {}

  readonly handler = (req: Request, res: Response): void => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    const send = (event: ServerEvent) => {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
    send(this.snapshot());
    const unsubscribe = this.bus.subscribe(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    this.open.add(res);
    const cleanup = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(res);
    };
    req.on('close', cleanup);
    res.on('close', cleanup);
  };

  /** Ends every open stream (server shutdown). */
  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }

  get openCount(): number {
    return this.open.size;
  }
}
