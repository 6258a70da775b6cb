/**
 * Incremental parser for a Server-Sent Events stream (WHATWG HTML, "Event stream interpretation").
 *
 * We read `GET /api/events` with `fetch` because `EventSource` cannot send the `Authorization` header, so the
 * framing that `EventSource` would do is done here. Feed decoded text chunks in any split (a line, a frame or
 * even a `\r\n` pair may be cut between chunks); complete messages come out.
 */

/** One dispatched SSE message. */
export interface SseMessage {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** All `data:` lines of the frame joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream so far (SSE's "last event ID"), `undefined` before any. */
  lastEventId: string | undefined;
}

/** Stateful parser; create one per connection. */
export class SseParser {
  private buffer = '';
  private atStreamStart = true;
  /** The previous chunk ended with `\r`: a `\n` opening the next chunk belongs to that line break. */
  private skipLeadingLineFeed = false;
  private data: string[] = [];
  private eventType = '';
  private lastEventId: string | undefined;
  /** The last valid `retry:` value (ms): the server's requested reconnection delay. */
  retryMs: number | undefined;
  /** Number of comment lines (`: ...`) seen; servers send them as keep-alives. */
  commentCount = 0;

  /**
   * Feeds one decoded chunk of the stream.
   * @param chunk text as decoded (UTF-8, `TextDecoder` with `stream: true`)
   * @returns the messages completed by this chunk, in order (frames with no `data:` line are not dispatched)
   */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (text.length === 0) return [];
    if (this.skipLeadingLineFeed) {
      this.skipLeadingLineFeed = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    if (this.atStreamStart && text.length > 0) {
      this.atStreamStart = false;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    const buffer = this.buffer + text;
    const messages: SseMessage[] = [];
    let lineStart = 0;
    for (let index = 0; index < buffer.length; index++) {
      const char = buffer[index];
      if (char !== '\n' && char !== '\r') continue;
      const line = buffer.slice(lineStart, index);
      if (char === '\r') {
        if (index + 1 < buffer.length) {
          if (buffer[index + 1] === '\n') index++;
        } else {
          this.skipLeadingLineFeed = true;
        }
      }
      lineStart = index + 1;
      this.processLine(line, messages);
    }
    this.buffer = buffer.slice(lineStart);
    return messages;
  }

  private processLine(line: string, messages: SseMessage[]): void {
    if (line === '') {
      this.dispatch(messages);
      return;
    }
    if (line.startsWith(':')) {
      this.commentCount++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the SSE specification requires.
        break;
    }
  }

  private dispatch(messages: SseMessage[]): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    messages.push({
      event: this.eventType === '' ? 'message' : this.eventType,
      data: this.data.join('\n'),
      lastEventId: this.lastEventId,
    });
    this.data = [];
    this.eventType = '';
  }
}
