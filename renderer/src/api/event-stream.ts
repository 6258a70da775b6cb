import { ServerEvent } from '../../../server/contract/index.js';
import { ApiError, describeError } from './api-error.js';
import { SseParser } from './sse-parser.js';

/** State of the live connection, for the header's indicator. */
export type ConnectionState =
  | { phase: 'connecting' }
  | { phase: 'live' }
  | { phase: 'reconnecting'; attempt: number; retryInMs: number; reason: string }
  | { phase: 'closed' };

/** Reconnection delays: `initialMs · 2^(attempt-1)`, capped at `maxMs`, with ±20 % jitter so a room of dashboards does not reconnect in lock-step. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** 1 s, 2 s, 4 s, … up to 15 s: quick after a server restart, gentle when it stays down. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 15_000 };

/** Default silence after which the stream is considered dead (3 × the server's 15 s heartbeat), ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/**
 * Delay before reconnection attempt `attempt` (1-based), in ms.
 * @param random a number in [0, 1) (injectable for tests)
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: number = Math.random()): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

export interface EventStreamOptions {
  /** Opens the stream (normally `ApiClient.openEventStream`). */
  open: (signal: AbortSignal) => Promise<Response>;
  /** Each valid `ServerEvent`, in order. */
  onEvent: (event: ServerEvent) => void;
  onStateChange: (state: ConnectionState) => void;
  /** A 401: the stream stops for good (the session store signs out). */
  onUnauthorized?: (error: ApiError) => void;
  /** A frame that is not a valid `ServerEvent` (ignored, reported for diagnostics). */
  onInvalidEvent?: (data: string, reason: string) => void;
  backoff?: BackoffPolicy;
  /**
   * Reconnect when nothing (not even a keep-alive comment) arrived for this long, ms; `0` disables. The
   * server sends a comment every 15 s (server/events/sse.ts), so 45 s of silence means a dead connection
   * (e.g. after the computer slept) that TCP alone might not report for a long time.
   */
  idleTimeoutMs?: number;
  /** Timer, injectable for tests. */
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** A running subscription; `close()` ends it and cancels any pending reconnection. */
export interface EventStreamHandle {
  close(): void;
}

/**
 * Keeps `GET /api/events` open: reads it with fetch + a stream reader (EventSource cannot send the bearer
 * token), parses SSE frames, validates each `data:` payload with the contract's `ServerEvent` schema, and
 * reconnects with exponential backoff when the stream ends or fails. The server starts every connection
 * with `hello` (the full state), so nothing is lost across a reconnect.
 */
export function connectEventStream(options: EventStreamOptions): EventStreamHandle {
  const policy = options.backoff ?? DEFAULT_BACKOFF;
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  let closed = false;
  let attempt = 0;
  let controller: AbortController | null = null;
  let timer: unknown = null;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  let idleExpired = false;
  const stopIdleTimer = () => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
  };
  const armIdleTimer = (current: AbortController) => {
    stopIdleTimer();
    if (idleTimeoutMs <= 0) return;
    idleTimer = setTimeout(() => {
      idleExpired = true;
      current.abort();
    }, idleTimeoutMs);
  };

  const scheduleReconnect = (reason: string, minimumMs: number | undefined) => {
    if (closed) return;
    attempt++;
    const retryInMs = Math.max(backoffDelay(attempt, policy), minimumMs ?? 0);
    options.onStateChange({ phase: 'reconnecting', attempt, retryInMs, reason });
    timer = setTimer(() => {
      timer = null;
      void run();
    }, retryInMs);
  };

  const run = async () => {
    if (closed) return;
    if (attempt === 0) options.onStateChange({ phase: 'connecting' });
    const current = new AbortController();
    controller = current;
    idleExpired = false;
    const parser = new SseParser();
    try {
      armIdleTimer(current);
      const response = await options.open(current.signal);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armIdleTimer(current);
        for (const message of parser.push(decoder.decode(value, { stream: true }))) {
          if (closed) return;
          let json: unknown;
          try {
            json = JSON.parse(message.data);
          } catch {
            options.onInvalidEvent?.(message.data, 'not JSON');
            continue;
          }
          const parsed = ServerEvent.safeParse(json);
          if (!parsed.success) {
            options.onInvalidEvent?.(message.data, parsed.error.issues[0]?.message ?? 'invalid event');
            continue;
          }
          if (parsed.data.type === 'hello') {
            attempt = 0;
            options.onStateChange({ phase: 'live' });
          }
          options.onEvent(parsed.data);
        }
      }
      stopIdleTimer();
      parser.push(decoder.decode());
      scheduleReconnect('The server closed the live connection.', parser.retryMs);
    } catch (error) {
      stopIdleTimer();
      if (closed) return;
      if (idleExpired) {
        scheduleReconnect('No sign of life from the server for a while.', parser.retryMs);
        return;
      }
      if (error instanceof ApiError && error.isUnauthorized) {
        closed = true;
        options.onStateChange({ phase: 'closed' });
        options.onUnauthorized?.(error);
        return;
      }
      scheduleReconnect(describeError(error), parser.retryMs);
    }
  };

  void run();
  return {
    close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearTimer(timer);
      stopIdleTimer();
      controller?.abort();
      options.onStateChange({ phase: 'closed' });
    },
  };
}
