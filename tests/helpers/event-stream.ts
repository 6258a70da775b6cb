/**
 * Client side of the dashboard event stream (`GET /api/events`, Server-Sent Events) for integration tests:
 * opens the stream with the API token and collects every event as it arrives, so a test can poll `events`
 * for the condition it waits for.
 */
import type { ServerEvent } from '../../server/contract/index.js';

/** An open event stream: the raw response, the events received so far (in order), and a way to end it. */
export interface OpenServerEvents {
  /** The response of `GET /api/events`; the test checks status and content type itself. */
  response: Response;
  /**
   * Every `ServerEvent` received so far, oldest first; grows while the stream is open. Each is the JSON of one
   * frame's `data:` lines exactly as the server sent it (cast, not parsed by zod: a zod parse would drop
   * unknown fields, and tests assert on what was really sent, e.g. that notes never appear).
   */
  events: ServerEvent[];
  /** Aborts the request and waits until the reader has stopped. Never throws; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Opens `GET <baseUrl>/api/events` with `Authorization: Bearer <token>` and starts reading it in the
 * background. Frames are split on a blank line (`\n\n`); the `data: ` lines of a frame are joined with `\n`
 * and parsed as one JSON `ServerEvent` (frames without data, e.g. comments/keep-alives, are skipped).
 *
 * @param baseUrl the server's origin, e.g. `http://127.0.0.1:41234` (`TestServer.url`), no trailing slash.
 * @param token the API bearer token (`TestServer.token`).
 * @returns the open stream, whatever the status: a non-200 response simply yields no events.
 * @throws only if the request itself fails (connection refused); read or parse errors after that end the
 *   background reader silently, leaving `events` as they were.
 */
export async function openServerEvents(baseUrl: string, token: string): Promise<OpenServerEvents> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: ServerEvent[] = [];
  const pump = (async () => {
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (data) events.push(JSON.parse(data) as ServerEvent);
      }
    }
  })().catch(() => undefined);
  return {
    response,
    events,
    async close() {
      controller.abort();
      await pump;
    },
  };
}
