import { describe, expect, it } from 'vitest';
import { conversationFromRecord, detectFormat, parseEventStream, RAW_ANSWER_MAX_CHARS } from '../../server/services/llm-conversation.js';
import { LlmRecord } from '../../server/services/llm-record.js';

const STARTED = '2026-02-14T10:00:00.000Z';

/** A valid record around a request and response body (parsed through the lenient schema like ingested files). */
function record(options: {
  host?: string;
  path?: string;
  requestBody?: unknown;
  requestEncoding?: 'utf8' | 'base64';
  requestTruncated?: boolean;
  responseBody?: string | null;
  responseEncoding?: 'utf8' | 'base64';
  status?: number;
  streamed?: boolean;
  contentType?: string;
  finishedAt?: string | null;
  error?: string | null;
  responseTruncated?: boolean;
}): LlmRecord {
  const requestBody = typeof options.requestBody === 'string' ? options.requestBody : JSON.stringify(options.requestBody ?? {});
  return LlmRecord.parse({
    kind: 'llm',
    version: 1,
    id: '1771063200000-0a1b2c3d',
    user: 'abcdefabcdef',
    startedAt: STARTED,
    finishedAt: options.finishedAt === undefined ? '2026-02-14T10:00:02.500Z' : options.finishedAt,
    request: {
      method: 'POST',
      scheme: 'https',
      host: options.host ?? 'api.openai.com',
      port: 443,
      path: options.path ?? '/v1/chat/completions',
      headers: [['authorization', '[redacted]']],
      body: options.requestEncoding === 'base64' ? Buffer.from(requestBody).toString('base64') : requestBody,
      bodyEncoding: options.requestEncoding ?? 'utf8',
      truncated: options.requestTruncated ?? false,
    },
    response:
      options.responseBody === null
        ? null
        : {
            status: options.status ?? 200,
            headers: [['content-type', options.contentType ?? (options.streamed ? 'text/event-stream' : 'application/json')]],
            body: options.responseEncoding === 'base64' ? Buffer.from(options.responseBody ?? '').toString('base64') : (options.responseBody ?? ''),
            bodyEncoding: options.responseEncoding ?? 'utf8',
            truncated: options.responseTruncated ?? false,
            streamed: options.streamed ?? false,
          },
    error: options.error ?? null,
  });
}

const sse = (...chunks: unknown[]): string => chunks.map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`).join('');
const anthropicEvents = (...events: { event: string; data: unknown }[]): string =>
  events.map(({ event, data }) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');

const chatRequest = {
  model: 'gpt-4o-mini',
  stream: true,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello' },
  ],
};

describe('OpenAI chat completions', () => {
  it('reads a non-streamed answer with system prompt, model, usage, duration', () => {
    const c = conversationFromRecord(
      record({
        requestBody: { ...chatRequest, stream: false },
        responseBody: JSON.stringify({
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
        }),
      }),
    );
    expect(c).toMatchObject({
      timestamp: '1771063200000-0a1b2c3d',
      provider: 'openai',
      host: 'api.openai.com',
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      startedAt: STARTED,
      durationMs: 2500,
      status: 200,
      streamed: false,
      system: 'You are terse.',
      answer: 'Hello!',
      toolCalls: [],
      usage: { inputTokens: 9, outputTokens: 2, totalTokens: 11 },
      error: null,
      truncated: false,
    });
    expect(c.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello' },
    ]);
  });

  it('reassembles a stream: CRLF, comment lines, role chunk, usage-only final chunk, [DONE]', () => {
    const body = [
      ': OPENROUTER PROCESSING',
      '',
      'data: {"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}',
      '',
      'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}],"usage":null}',
      '',
      ': keep-alive',
      'data: {"choices":[{"index":0,"delta":{"content":"lo, "}}]}',
      '',
      'data: {"choices":[{"index":0,"delta":{"content":"world"},"finish_reason":"stop"}]}',
      '',
      'data: {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":4,"total_tokens":24}}',
      '',
      'data: [DONE]',
      '',
      '',
    ].join('\r\n');
    const c = conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, streamed: true }));
    expect(c.streamed).toBe(true);
    expect(c.answer).toBe('Hello, world');
    expect(c.usage).toEqual({ inputTokens: 20, outputTokens: 4, totalTokens: 24 });
    expect(c.error).toBeNull();
  });

  it('joins multi-line data fields and takes the last event even without a final blank line', () => {
    const body = 'data: {"choices":[{"index":0,\ndata: "delta":{"content":"A"}}]}\n\ndata: {"choices":[{"index":0,"delta":{"content":"B"}}]}';
    const c = conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, streamed: true }));
    expect(c.answer).toBe('AB');
  });

  it('detects a stream from its content type or its shape when the streamed flag is missing', () => {
    const body = sse({ choices: [{ index: 0, delta: { content: 'x' } }] }, '[DONE]');
    expect(conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, contentType: 'text/event-stream; charset=utf-8' })).answer).toBe('x');
    expect(conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, contentType: 'text/plain' })).answer).toBe('x');
  });

  it('assembles streamed tool calls by index from fragments', () => {
    const body = sse(
      { choices: [{ index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"tz":' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Berlin"}' } }] } }] },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: '"UTC"}' } }] } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      '[DONE]',
    );
    const c = conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, streamed: true }));
    expect(c.toolCalls).toEqual([
      { name: 'get_weather', input: { city: 'Berlin' } },
      { name: 'get_time', input: { tz: 'UTC' } },
    ]);
    expect(c.answer).toBe('');
  });

  it('keeps tool arguments that are not valid JSON as text', () => {
    const body = sse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'run', arguments: '{"cmd": "ls' } }] } }] });
    const c = conversationFromRecord(record({ requestBody: chatRequest, responseBody: body, streamed: true }));
    expect(c.toolCalls).toEqual([{ name: 'run', input: '{"cmd": "ls' }]);
  });

  it('reads non-streamed tool calls and part-list content in the request', () => {
    const c = conversationFromRecord(
      record({
        requestBody: {
          model: 'gpt-4.1',
          messages: [
            { role: 'developer', content: [{ type: 'text', text: 'Rules.' }] },
            { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:...' } }] },
            { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'look', arguments: '{}' } }] },
            { role: 'tool', tool_call_id: 'c', content: 'a cat' },
          ],
        },
        responseBody: JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'd', type: 'function', function: { name: 'zoom', arguments: '{"x":2}' } }] } }],
        }),
      }),
    );
    expect(c.system).toBe('Rules.');
    expect(c.messages).toEqual([
      { role: 'developer', content: 'Rules.' },
      { role: 'user', content: 'What is this?\n[image]' },
      { role: 'assistant', content: '[tool call look] {}' },
      { role: 'tool', content: 'a cat' },
    ]);
    expect(c.toolCalls).toEqual([{ name: 'zoom', input: { x: 2 } }]);
    expect(c.usage).toBeNull();
  });

  it('reports an HTTP error body and an error chunk inside a stream', () => {
    const failed = conversationFromRecord(
      record({ requestBody: chatRequest, status: 429, responseBody: JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests' } }) }),
    );
    expect(failed.status).toBe(429);
    expect(failed.error).toBe('requests: Rate limit reached');
    const streamError = conversationFromRecord(
      record({ requestBody: chatRequest, streamed: true, responseBody: sse({ choices: [{ index: 0, delta: { content: 'par' } }] }, { error: { message: 'overloaded' } }) }),
    );
    expect(streamError.answer).toBe('par');
    expect(streamError.error).toBe('overloaded');
  });

  it('reads base64 bodies', () => {
    const c = conversationFromRecord(
      record({
        requestBody: chatRequest,
        requestEncoding: 'base64',
        responseBody: sse({ choices: [{ index: 0, delta: { content: 'Grüße ✓' } }] }, '[DONE]'),
        responseEncoding: 'base64',
        streamed: true,
      }),
    );
    expect(c.model).toBe('gpt-4o-mini');
    expect(c.answer).toBe('Grüße ✓');
  });

  it('handles truncated bodies: model from the text, the complete events of a cut stream, flagged truncated', () => {
    const full = JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'x'.repeat(500) }] });
    const stream = sse({ choices: [{ index: 0, delta: { content: 'one ' } }] }, { choices: [{ index: 0, delta: { content: 'two' } }] });
    const c = conversationFromRecord(
      record({
        host: 'api.deepseek.com',
        requestBody: full.slice(0, 100),
        requestTruncated: true,
        responseBody: stream.slice(0, stream.length - 20),
        streamed: true,
        responseTruncated: true,
      }),
    );
    expect(c.model).toBe('deepseek-chat');
    expect(c.messages).toEqual([]);
    expect(c.answer).toBe('one ');
    expect(c.truncated).toBe(true);
  });

  it('reads the legacy completions API', () => {
    const c = conversationFromRecord(
      record({ path: '/v1/completions', requestBody: { model: 'gpt-3.5-turbo-instruct', prompt: 'Once' }, responseBody: JSON.stringify({ choices: [{ index: 0, text: ' upon' }] }) }),
    );
    expect(c.messages).toEqual([{ role: 'user', content: 'Once' }]);
    expect(c.answer).toBe(' upon');
  });
});

describe('OpenAI responses', () => {
  it('reads instructions, input items and a JSON response', () => {
    const c = conversationFromRecord(
      record({
        path: '/v1/responses',
        requestBody: { model: 'gpt-5', instructions: 'Be kind.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }] },
        responseBody: JSON.stringify({
          model: 'gpt-5',
          output: [
            { type: 'reasoning', summary: [] },
            { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there' }] },
            { type: 'function_call', name: 'search', arguments: '{"q":"x"}' },
          ],
          usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
        }),
      }),
    );
    expect(c.provider).toBe('openai');
    expect(c.system).toBe('Be kind.');
    expect(c.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(c.answer).toBe('Hello there');
    expect(c.toolCalls).toEqual([{ name: 'search', input: { q: 'x' } }]);
    expect(c.usage).toEqual({ inputTokens: 10, outputTokens: 3, totalTokens: 13 });
  });

  it('reads a stream: deltas, and the completed response when present', () => {
    const events = [
      { type: 'response.created', response: { model: 'gpt-5' } },
      { type: 'response.output_text.delta', delta: 'Hel' },
      { type: 'response.output_text.delta', delta: 'lo' },
    ];
    const partial = conversationFromRecord(record({ path: '/v1/responses', requestBody: { model: 'gpt-5', input: 'Hi' }, streamed: true, responseBody: sse(...events) }));
    expect(partial.answer).toBe('Hello');
    expect(partial.messages).toEqual([{ role: 'user', content: 'Hi' }]);
    const complete = conversationFromRecord(
      record({
        path: '/backend-api/codex/responses',
        host: 'chatgpt.com',
        requestBody: { model: 'gpt-5', input: 'Hi' },
        streamed: true,
        responseBody: sse(...events, {
          type: 'response.completed',
          response: { model: 'gpt-5', output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hello' }] }], usage: { input_tokens: 5, output_tokens: 1 } },
        }),
      }),
    );
    expect(complete.answer).toBe('Hello');
    expect(complete.usage).toEqual({ inputTokens: 5, outputTokens: 1, totalTokens: 6 });
  });
});

describe('OpenAI responses, cut streams', () => {
  it('uses finished output items when the completed event is missing, and an error event', () => {
    const c = conversationFromRecord(
      record({
        path: '/v1/responses',
        requestBody: { model: 'gpt-5-codex', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'ls' }] }] },
        streamed: true,
        responseBody: sse(
          { type: 'response.output_text.delta', delta: 'Running' },
          { type: 'response.output_item.done', item: { type: 'message', content: [{ type: 'output_text', text: 'Running it' }] } },
          { type: 'response.output_item.done', item: { type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}' } },
          { type: 'error', message: 'stream cut' },
        ),
      }),
    );
    expect(c.answer).toBe('Running it');
    expect(c.toolCalls).toEqual([{ name: 'shell', input: { command: ['ls'] } }]);
    expect(c.error).toBe('stream cut');
    expect(c.messages).toEqual([{ role: 'user', content: 'ls' }]);
  });
});

describe('Anthropic messages', () => {
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    stream: true,
    system: [{ type: 'text', text: 'You write code.' }],
    messages: [
      { role: 'user', content: 'Write a function' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read', input: { path: 'a.py' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'print(1)' }] }] },
    ],
  };

  it('reads the request: system blocks, content blocks flattened', () => {
    const c = conversationFromRecord(record({ host: 'api.anthropic.com', path: '/v1/messages', requestBody: request, responseBody: '' }));
    expect(c.provider).toBe('anthropic');
    expect(c.system).toBe('You write code.');
    expect(c.messages).toEqual([
      { role: 'system', content: 'You write code.' },
      { role: 'user', content: 'Write a function' },
      { role: 'assistant', content: '[tool call read] {"path":"a.py"}' },
      { role: 'user', content: '[tool result]\nprint(1)' },
    ]);
  });

  it('reads a non-streamed message with text, tool use and cached input tokens', () => {
    const c = conversationFromRecord(
      record({
        host: 'api.anthropic.com',
        path: '/v1/messages',
        requestBody: { ...request, stream: false },
        responseBody: JSON.stringify({
          type: 'message',
          model: 'claude-sonnet-4-5-20250929',
          content: [
            { type: 'text', text: 'Here you go.' },
            { type: 'tool_use', id: 't2', name: 'write', input: { path: 'b.py' } },
          ],
          usage: { input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 20 },
        }),
      }),
    );
    expect(c.answer).toBe('Here you go.');
    expect(c.toolCalls).toEqual([{ name: 'write', input: { path: 'b.py' } }]);
    expect(c.usage).toEqual({ inputTokens: 150, outputTokens: 20, totalTokens: 170 });
  });

  it('reassembles an event stream with ping, text and tool_use with input_json_delta fragments, message_delta usage', () => {
    const body = anthropicEvents(
      { event: 'message_start', data: { type: 'message_start', message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 25, output_tokens: 1 } } } },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } } },
      { event: 'ping', data: { type: 'ping' } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location": "San' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: ' Francisco"}' } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_2', name: 'noop', input: {} } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 89 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    );
    const c = conversationFromRecord(record({ host: 'api.anthropic.com', path: '/v1/messages', requestBody: request, responseBody: body, streamed: true }));
    expect(c.model).toBe('claude-sonnet-4-5');
    expect(c.answer).toBe('Let me check.');
    expect(c.toolCalls).toEqual([
      { name: 'get_weather', input: { location: 'San Francisco' } },
      { name: 'noop', input: {} },
    ]);
    expect(c.usage).toEqual({ inputTokens: 25, outputTokens: 89, totalTokens: 114 });
    expect(c.error).toBeNull();
  });

  it('turns an error event into the error, keeping the text so far; ignores thinking blocks', () => {
    const body = anthropicEvents(
      { event: 'message_start', data: { type: 'message_start', message: { model: 'claude-haiku-4-5', usage: { input_tokens: 3, output_tokens: 0 } } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Part' } } },
      { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
    );
    const c = conversationFromRecord(record({ host: 'api.anthropic.com', path: '/v1/messages', requestBody: request, responseBody: body, streamed: true }));
    expect(c.answer).toBe('Part');
    expect(c.error).toBe('overloaded_error: Overloaded');
    expect(c.usage).toEqual({ inputTokens: 3, outputTokens: 0, totalTokens: 3 });
  });

  it('uses the data type when event lines are missing, and CRLF', () => {
    const body = [
      'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"A"}}',
      '',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"B"}}',
      '',
      '',
    ].join('\r\n');
    const c = conversationFromRecord(record({ host: 'api.anthropic.com', path: '/v1/messages', requestBody: request, responseBody: body, streamed: true }));
    expect(c.answer).toBe('AB');
  });
});

describe('Google and others', () => {
  it('reads generateContent: model from the path, systemInstruction, parts, usage; no API key in the path', () => {
    const c = conversationFromRecord(
      record({
        host: 'generativelanguage.googleapis.com',
        path: '/v1beta/models/gemini-2.5-flash:generateContent?key=SECRET',
        requestBody: { systemInstruction: { parts: [{ text: 'Short.' }] }, contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] },
        responseBody: JSON.stringify({
          candidates: [{ content: { role: 'model', parts: [{ text: 'Hello' }, { functionCall: { name: 'f', args: { a: 1 } } }] } }],
          usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 1, totalTokenCount: 5 },
        }),
      }),
    );
    expect(c.provider).toBe('google');
    expect(c.model).toBe('gemini-2.5-flash');
    expect(c.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(c.system).toBe('Short.');
    expect(c.answer).toBe('Hello');
    expect(c.toolCalls).toEqual([{ name: 'f', input: { a: 1 } }]);
    expect(c.usage).toEqual({ inputTokens: 4, outputTokens: 1, totalTokens: 5 });
  });

  it('reads streamGenerateContent as SSE and as a JSON array', () => {
    const chunks = [{ candidates: [{ content: { parts: [{ text: 'He' }] } }] }, { candidates: [{ content: { parts: [{ text: 'y' }] } }], usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 2 } }];
    const path = '/v1beta/models/gemini-pro:streamGenerateContent';
    const viaSse = conversationFromRecord(record({ host: 'generativelanguage.googleapis.com', path: `${path}?alt=sse`, requestBody: { contents: [] }, responseBody: sse(...chunks), streamed: true }));
    expect(viaSse.answer).toBe('Hey');
    expect(viaSse.usage).toEqual({ inputTokens: 2, outputTokens: 2, totalTokens: 4 });
    const viaArray = conversationFromRecord(record({ host: 'generativelanguage.googleapis.com', path, requestBody: { contents: [] }, responseBody: JSON.stringify(chunks) }));
    expect(viaArray.answer).toBe('Hey');
  });

  it('gives the raw text for an unknown API, capped', () => {
    const c = conversationFromRecord(record({ host: 'opencode.ai', path: '/zen/v1/something', requestBody: 'not json', responseBody: 'plain answer', contentType: 'text/plain' }));
    expect(c.provider).toBe('other');
    expect(c.model).toBe('');
    expect(c.answer).toBe('plain answer');
    const huge = conversationFromRecord(record({ host: 'opencode.ai', path: '/x', requestBody: '', responseBody: 'y'.repeat(RAW_ANSWER_MAX_CHARS + 10), contentType: 'text/plain' }));
    expect(huge.answer.length).toBe(RAW_ANSWER_MAX_CHARS);
  });

  it('treats an OpenAI-style body on an unknown path as chat', () => {
    expect(detectFormat('/api/generate', 'huggingface.co', { messages: [] })).toBe('openai-chat');
    expect(detectFormat('/x', 'api.anthropic.com', { messages: [] })).toBe('anthropic');
    expect(detectFormat('/x', 'example.ai', { input: 'a' })).toBe('openai-responses');
    expect(detectFormat('/x', 'example.ai', null)).toBe('unknown');
  });
});

describe('never throws on garbage', () => {
  const garbage: (string | null)[] = ['', 'null', '[]', '42', '"text"', '{', 'data: {', 'data: [DONE]', '\u0000\u0001binary', 'event: error\ndata: nope\n\n', '{"choices":"x","usage":"y"}', '{"content":7}', null];
  for (const format of ['/v1/chat/completions', '/v1/messages', '/v1/responses', '/v1beta/models/m:generateContent', '/other']) {
    it(`returns a conversation for garbage bodies on ${format}`, () => {
      for (const body of garbage) {
        for (const streamed of [false, true]) {
          const c = conversationFromRecord(record({ path: format, requestBody: body ?? '', responseBody: body, streamed }));
          expect(c.timestamp).toBe('1771063200000-0a1b2c3d');
          expect(typeof c.answer).toBe('string');
          expect(Array.isArray(c.toolCalls)).toBe(true);
        }
      }
    });
  }

  it('marks a transport error and no response; null duration while unfinished', () => {
    const c = conversationFromRecord(record({ requestBody: chatRequest, responseBody: null, error: 'connection reset', finishedAt: null }));
    expect(c.status).toBeNull();
    expect(c.streamed).toBe(false);
    expect(c.error).toBe('connection reset');
    expect(c.durationMs).toBeNull();
    expect(c.messages).toHaveLength(2);
  });

  it('parses an event stream into events in order', () => {
    expect(parseEventStream('event: a\r\ndata: 1\r\n\r\n: c\n\ndata: 2\ndata: 3').map((e) => [e.event, e.data])).toEqual([
      ['a', '1'],
      [undefined, '2\n3'],
    ]);
  });
});
