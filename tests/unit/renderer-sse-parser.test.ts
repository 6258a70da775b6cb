import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../../renderer/src/api/sse-parser.js';

/** Feeds `chunks` one by one and collects every message. */
function feed(chunks: string[], parser = new SseParser()): SseMessage[] {
  return chunks.flatMap((chunk) => parser.push(chunk));
}

/** Every way of cutting `text` into two chunks. */
function allSplits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, index) => [text.slice(0, index), text.slice(index)]);
}

describe('SseParser', () => {
  it('dispatches a frame on the blank line, not before', () => {
    const parser = new SseParser();
    expect(parser.push('data: {"type":"docker"}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: '{"type":"docker"}', lastEventId: undefined }]);
  });

  it('gives the same messages however the stream is cut, including inside \\r\\n', () => {
    const stream = ': keep-alive\r\ndata: first\r\n\r\nevent: update\r\ndata: line one\r\ndata: line two\r\nid: 7\r\n\r\ndata: third\n\n';
    const expected = [
      { event: 'message', data: 'first', lastEventId: undefined },
      { event: 'update', data: 'line one\nline two', lastEventId: '7' },
      { event: 'message', data: 'third', lastEventId: '7' },
    ];
    for (const chunks of allSplits(stream)) expect(feed(chunks)).toEqual(expected);
    expect(feed([...stream])).toEqual(expected);
  });

  it('joins multi-line data with \\n and keeps JSON intact across chunks', () => {
    const json = JSON.stringify({ type: 'project.removed', projectId: 'abc123def456' });
    const messages = feed([`data: ${json.slice(0, 10)}`, `${json.slice(10)}\ndata: second line\n`, '\n']);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data).toBe(`${json}\nsecond line`);
  });

  it('ignores comments, counts them, and dispatches nothing for comment-only frames', () => {
    const parser = new SseParser();
    expect(feed([': ping\n\n', ':another\n', '\n'], parser)).toEqual([]);
    expect(parser.commentCount).toBe(2);
  });

  it('accepts lone \\r line endings, fields without a space or value, and drops one leading space only', () => {
    expect(feed(['data:no-space\rdata\rdata:  two spaces\r\r'])).toEqual([{ event: 'message', data: 'no-space\n\n two spaces', lastEventId: undefined }]);
  });

  it('strips a byte-order mark at the start of the stream only', () => {
    expect(feed(['\uFEFFdata: a\n\n', 'data: \uFEFFb\n\n']).map((message) => message.data)).toEqual(['a', '\uFEFFb']);
  });

  it('ignores unknown fields, records retry, and does not dispatch frames without data', () => {
    const parser = new SseParser();
    expect(feed(['foo: bar\nretry: 2500\n\nretry: soon\n\nevent: lonely\n\n'], parser)).toEqual([]);
    expect(parser.retryMs).toBe(2500);
    expect(feed(['data: x\n\n'], parser)).toEqual([{ event: 'message', data: 'x', lastEventId: undefined }]);
  });

  it('keeps an incomplete last line buffered until it is complete', () => {
    const parser = new SseParser();
    expect(parser.push('data: part')).toEqual([]);
    expect(parser.push('ial')).toEqual([]);
    expect(parser.push('\n\n')[0]!.data).toBe('partial');
  });
});
