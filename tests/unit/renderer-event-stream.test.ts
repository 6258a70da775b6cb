import { describe, expect, it } from 'vitest';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { backoffDelay, connectEventStream, type ConnectionState } from '../../renderer/src/api/event-stream.js';
import type { ServerEvent } from '../../server/contract/index.js';

const hello = { type: 'hello', projects: [], docker: { available: true, version: '20.10', error: null }, image: { tag: 't', state: 'present', progress: 1, message: '' } };

/** A streaming Response whose body yields `chunks` (UTF-8) and then ends, or stays open when `keepOpen`. */
function streamResponse(chunks: string[], keepOpen = false): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (!keepOpen) controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

/** Polls `condition` until true or the deadline passes. */
async function until(condition: () => boolean, deadlineMs = 2000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('connectEventStream', () => {
  it('delivers valid events in order, skips invalid ones, goes live on hello and reconnects when the stream ends', async () => {
    const events: ServerEvent[] = [];
    const states: ConnectionState[] = [];
    const invalid: string[] = [];
    const timers: { callback: () => void; ms: number }[] = [];
    const responses = [
      streamResponse([`data: ${JSON.stringify(hello)}\n`, '\n: ping\n\ndata: {"type":"nonsense"}\n\ndata: not json\n\n', `data: {"type":"project.removed","projectId":"abc123def456"}\n\n`]),
      streamResponse([`data: ${JSON.stringify(hello)}\n\n`], true),
    ];
    let opened = 0;
    const handle = connectEventStream({
      open: async () => responses[opened++]!,
      onEvent: (event) => events.push(event),
      onStateChange: (state) => states.push(state),
      onInvalidEvent: (data) => invalid.push(data),
      setTimer: (callback, ms) => timers.push({ callback, ms }),
      clearTimer: () => undefined,
    });
    await until(() => timers.length === 1);
    expect(events.map((event) => event.type)).toEqual(['hello', 'project.removed']);
    expect(invalid).toEqual(['{"type":"nonsense"}', 'not json']);
    expect(states.map((state) => state.phase)).toEqual(['connecting', 'live', 'reconnecting']);
    expect(timers[0]!.ms).toBeGreaterThanOrEqual(800);
    expect(timers[0]!.ms).toBeLessThanOrEqual(1200);
    timers[0]!.callback();
    await until(() => events.length === 3);
    expect(states.at(-1)!.phase).toBe('live');
    handle.close();
    expect(states.at(-1)!.phase).toBe('closed');
  });

  it('backs off exponentially while the server is unreachable, and stops for good on 401', async () => {
    const timers: number[] = [];
    const states: ConnectionState[] = [];
    let fail: 'network' | 'unauthorized' = 'network';
    let unauthorized = 0;
    const pending: (() => void)[] = [];
    connectEventStream({
      open: async () => {
        if (fail === 'network') throw new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'Cannot reach the Xares server' });
        throw new ApiError({ status: 401, code: 'UNAUTHORIZED', message: 'no' });
      },
      onEvent: () => undefined,
      onStateChange: (state) => states.push(state),
      onUnauthorized: () => unauthorized++,
      backoff: { initialMs: 100, maxMs: 400 },
      setTimer: (callback, ms) => {
        timers.push(ms);
        pending.push(callback);
      },
      clearTimer: () => undefined,
    });
    for (let attempt = 1; attempt <= 4; attempt++) {
      await until(() => pending.length === 1);
      if (attempt === 4) fail = 'unauthorized';
      pending.shift()!();
    }
    await until(() => unauthorized === 1);
    const bases = [100, 200, 400, 400];
    timers.forEach((ms, index) => {
      expect(ms).toBeGreaterThanOrEqual(bases[index]! * 0.8);
      expect(ms).toBeLessThanOrEqual(bases[index]! * 1.2);
    });
    const last = states.at(-2);
    expect(last?.phase === 'reconnecting' && last.reason).toContain('Cannot reach');
    expect(states.at(-1)!.phase).toBe('closed');
    expect(pending).toHaveLength(0);
  });

  it('computes backoff with jitter inside ±20 %', () => {
    expect(backoffDelay(1, { initialMs: 1000, maxMs: 15000 }, 0)).toBe(800);
    expect(backoffDelay(3, { initialMs: 1000, maxMs: 15000 }, 0.5)).toBe(4000);
    expect(backoffDelay(10, { initialMs: 1000, maxMs: 15000 }, 0.999)).toBeLessThanOrEqual(18000);
  });
});

describe('connectEventStream idle watchdog', () => {
  it('reconnects when an open stream stays silent longer than the idle timeout', async () => {
    const states: ConnectionState[] = [];
    const timers: (() => void)[] = [];
    let aborted = false;
    const handle = connectEventStream({
      open: async (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(hello)}\n\n`));
            signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
          },
        });
        return new Response(body, { status: 200 });
      },
      onEvent: () => undefined,
      onStateChange: (state) => states.push(state),
      idleTimeoutMs: 50,
      setTimer: (callback) => timers.push(callback),
      clearTimer: () => undefined,
    });
    await until(() => timers.length === 1);
    handle.close();
    expect(aborted).toBe(true);
    expect(states.map((state) => state.phase)).toEqual(['connecting', 'live', 'reconnecting', 'closed']);
    const reconnecting = states[2];
    expect(reconnecting?.phase === 'reconnecting' && reconnecting.reason).toMatch(/No sign of life/);
  });
});
