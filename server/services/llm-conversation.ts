import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { ConversationMessage, LlmConversation, LlmProvider, TokenUsage, ToolCall } from '../contract/index.js';
import type { LlmRecord } from './llm-record.js';

/**
 * Turns a raw LLM exchange recorded by the logging proxy into a readable conversation: model, the request's
 * messages (system prompt included), the answer's text, tool calls and token usage. Understands
 * - OpenAI chat completions (`/chat/completions`, also the legacy `/completions`) as used by OpenAI, OpenRouter,
 *   DeepSeek, Mistral, z.ai, Hugging Face and most others: JSON answers and `data:` streams (comment lines,
 *   CRLF, multi-line data, a final usage-only chunk, `[DONE]`, tool-call fragments assembled by index);
 * - OpenAI responses (`/responses`, also ChatGPT's backend): JSON and event streams;
 * - Anthropic messages (`/messages`): JSON and event streams (`message_start` usage, `ping`, text and `tool_use`
 *   blocks with `input_json_delta` fragments, `message_delta` usage, `error` events);
 * - Google generative language (`:generateContent`, `:streamGenerateContent` as SSE or JSON array);
 * - anything else: the model from the body or path when visible, the response as raw text.
 * Never throws: garbage, truncated or binary bodies give whatever could be read.
 */

/** Longest raw answer kept for a format we do not understand (characters). */
export const RAW_ANSWER_MAX_CHARS = 100_000;
/** Longest error text taken from an HTTP error body (characters). */
const ERROR_TEXT_MAX_CHARS = 2_000;

type Json = unknown;
type JsonObject = Record<string, unknown>;

/** Which request/response format an exchange uses. */
export type LlmApiFormat = 'openai-chat' | 'openai-responses' | 'anthropic' | 'google' | 'unknown';

const PROVIDER_OF_FORMAT: Record<LlmApiFormat, LlmProvider> = {
  'openai-chat': 'openai',
  'openai-responses': 'openai',
  anthropic: 'anthropic',
  google: 'google',
  unknown: 'other',
};

/** What the answer side of an exchange gave. */
interface AnswerParts {
  model?: string;
  text: string;
  toolCalls: ToolCall[];
  usage: TokenUsage | null;
  error: string | null;
}

/** Decodes a recorded body (`base64` or text) to text; invalid UTF-8 becomes U+FFFD. */
export function decodeBody(body: string, encoding: 'utf8' | 'base64'): string {
  if (encoding !== 'base64') return body;
  try {
    return Buffer.from(body, 'base64').toString('utf8');
  } catch {
    return '';
  }
}

/** Converts a raw record into the contract's conversation. Never throws. */
export function conversationFromRecord(record: LlmRecord): LlmConversation {
  const requestText = decodeBody(record.request.body, record.request.bodyEncoding);
  const requestJson = parseJson(requestText);
  const path = record.request.path;
  const format = detectFormat(path, record.request.host, requestJson);
  const request = readRequest(format, requestJson);

  const response = record.response;
  const responseText = response ? decodeBody(response.body, response.bodyEncoding) : '';
  const streamed = response ? response.streamed || isEventStream(response.headers) || looksLikeEventStream(responseText) : false;
  let answer: AnswerParts = { text: '', toolCalls: [], usage: null, error: null };
  if (response) {
    try {
      answer = readAnswer(format, responseText, streamed);
    } catch {
      // Defensive: a reader tripping over an unexpected shape must not lose the record.
    }
  }

  const status = response?.status ?? null;
  const error = record.error ?? answer.error ?? (status !== null && status >= 400 ? httpErrorText(status, responseText) : null);
  const model = request.model || answer.model || modelFromPath(path) || modelFromText(requestText) || '';
  const started = Date.parse(record.startedAt);
  const finished = record.finishedAt ? Date.parse(record.finishedAt) : NaN;
  const durationMs = Number.isFinite(finished) && finished >= started ? Math.round(finished - started) : null;
  const pathOnly = path.split('?', 1)[0] ?? path;

  return {
    timestamp: record.id,
    provider: PROVIDER_OF_FORMAT[format],
    host: record.request.host,
    path: pathOnly,
    model,
    startedAt: new Date(started).toISOString(),
    durationMs,
    status,
    streamed,
    messages: request.messages,
    ...(request.system !== undefined ? { system: request.system } : {}),
    answer: answer.text,
    toolCalls: answer.toolCalls,
    usage: answer.usage,
    error,
    truncated: record.request.truncated || (response?.truncated ?? false),
  };
}

// ---------------------------------------------------------------- format detection

/**
 * The API format of an exchange: by path first (what the client called), then by the request body's shape,
 * then by host.
 */
export function detectFormat(path: string, host: string, requestJson: Json): LlmApiFormat {
  const p = (path.split('?', 1)[0] ?? '').toLowerCase();
  if (/:(stream)?generatecontent$/.test(p)) return 'google';
  if (/\/(chat\/)?completions$/.test(p)) return 'openai-chat';
  if (/\/responses$/.test(p)) return 'openai-responses';
  if (/\/messages$/.test(p)) return 'anthropic';
  const body = asObject(requestJson);
  if (body) {
    if (Array.isArray(body['contents'])) return 'google';
    if (Array.isArray(body['messages'])) return hostMatches(host, 'anthropic.com') ? 'anthropic' : 'openai-chat';
    if ('input' in body) return 'openai-responses';
  }
  if (hostMatches(host, 'anthropic.com')) return 'anthropic';
  if (hostMatches(host, 'generativelanguage.googleapis.com')) return 'google';
  return 'unknown';
}

function hostMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase();
  return h === domain || h.endsWith(`.${domain}`);
}

// ---------------------------------------------------------------- request side

interface RequestParts {
  model: string;
  messages: ConversationMessage[];
  system?: string;
}

function readRequest(format: LlmApiFormat, json: Json): RequestParts {
  const body = asObject(json);
  if (!body) return { model: '', messages: [] };
  const model = str(body['model']);
  try {
    switch (format) {
      case 'anthropic':
        return { model, ...anthropicRequest(body) };
      case 'google':
        return { model, ...googleRequest(body) };
      case 'openai-responses':
        return { model, ...responsesRequest(body) };
      default:
        return { model, ...chatRequest(body) };
    }
  } catch {
    return { model, messages: [] };
  }
}

/** OpenAI chat: `messages[]` with string or part-list content; `system`/`developer` messages form the system prompt. */
function chatRequest(body: JsonObject): Omit<RequestParts, 'model'> {
  const messages: ConversationMessage[] = [];
  const systemParts: string[] = [];
  if (typeof body['prompt'] === 'string') messages.push({ role: 'user', content: body['prompt'] });
  for (const raw of arr(body['messages'])) {
    const message = asObject(raw);
    if (!message) continue;
    const role = str(message['role']) || 'user';
    let content = contentText(message['content']);
    for (const call of arr(message['tool_calls'])) {
      const fn = asObject(asObject(call)?.['function']);
      if (fn) content = joinText(content, `[tool call ${str(fn['name'])}] ${str(fn['arguments'])}`);
    }
    if (role === 'system' || role === 'developer') systemParts.push(content);
    messages.push({ role, content });
  }
  return systemParts.length > 0 ? { messages, system: systemParts.join('\n\n') } : { messages };
}

/** Anthropic: top-level `system` (text or blocks) and `messages[]` with content blocks. */
function anthropicRequest(body: JsonObject): Omit<RequestParts, 'model'> {
  const messages: ConversationMessage[] = [];
  const system = body['system'] !== undefined ? contentText(body['system']) : '';
  if (system) messages.push({ role: 'system', content: system });
  for (const raw of arr(body['messages'])) {
    const message = asObject(raw);
    if (!message) continue;
    messages.push({ role: str(message['role']) || 'user', content: contentText(message['content']) });
  }
  return system ? { messages, system } : { messages };
}

/** Google: `systemInstruction` and `contents[]` of `{role, parts[]}` (`model` is the assistant's role). */
function googleRequest(body: JsonObject): Omit<RequestParts, 'model'> {
  const messages: ConversationMessage[] = [];
  const instruction = body['systemInstruction'] ?? body['system_instruction'];
  const system = instruction !== undefined ? contentText(asObject(instruction)?.['parts'] ?? instruction) : '';
  if (system) messages.push({ role: 'system', content: system });
  for (const raw of arr(body['contents'])) {
    const content = asObject(raw);
    if (!content) continue;
    messages.push({ role: str(content['role']) || 'user', content: contentText(content['parts']) });
  }
  return system ? { messages, system } : { messages };
}

/** OpenAI responses: `instructions` plus `input` (a string or a list of items). */
function responsesRequest(body: JsonObject): Omit<RequestParts, 'model'> {
  const messages: ConversationMessage[] = [];
  const instructions = str(body['instructions']);
  const systemParts: string[] = instructions ? [instructions] : [];
  if (instructions) messages.push({ role: 'system', content: instructions });
  const input = body['input'];
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  for (const raw of arr(input)) {
    const item = asObject(raw);
    if (!item) continue;
    const type = str(item['type']);
    if (type === 'function_call') {
      messages.push({ role: 'assistant', content: `[tool call ${str(item['name'])}] ${str(item['arguments'])}` });
    } else if (type === 'function_call_output') {
      messages.push({ role: 'tool', content: contentText(item['output']) });
    } else if (type === '' || type === 'message') {
      const role = str(item['role']) || 'user';
      const content = contentText(item['content']);
      if (role === 'system' || role === 'developer') systemParts.push(content);
      messages.push({ role, content });
    }
  }
  return systemParts.length > 0 ? { messages, system: systemParts.join('\n\n') } : { messages };
}

/**
 * Text of a message's content in any of the APIs' shapes: a string, or a list of parts (`text`, `input_text`,
 * `output_text`, Google `{text}`), with images, tool calls and tool results written as short markers.
 */
export function contentText(content: Json): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) {
    const single = asObject(content);
    return single ? partText(single) : String(content);
  }
  const parts: string[] = [];
  for (const raw of content) {
    if (typeof raw === 'string') parts.push(raw);
    else {
      const part = asObject(raw);
      if (part) {
        const text = partText(part);
        if (text) parts.push(text);
      }
    }
  }
  return parts.join('\n');
}

function partText(part: JsonObject): string {
  const type = str(part['type']);
  if (typeof part['text'] === 'string') return part['text'];
  switch (type) {
    case 'image':
    case 'image_url':
    case 'input_image':
      return '[image]';
    case 'document':
    case 'file':
    case 'input_file':
      return '[file]';
    case 'tool_use':
      return `[tool call ${str(part['name'])}] ${safeStringify(part['input'])}`;
    case 'tool_result':
      return joinText('[tool result]', contentText(part['content']));
    case 'thinking':
    case 'redacted_thinking':
      return '';
  }
  const call = asObject(part['functionCall']);
  if (call) return `[tool call ${str(call['name'])}] ${safeStringify(call['args'])}`;
  const result = asObject(part['functionResponse']);
  if (result) return joinText(`[tool result ${str(result['name'])}]`, safeStringify(result['response']));
  if (part['inlineData'] !== undefined || part['fileData'] !== undefined) return '[file]';
  return '';
}

// ---------------------------------------------------------------- response side

function readAnswer(format: LlmApiFormat, text: string, streamed: boolean): AnswerParts {
  if (format === 'google') return googleAnswer(text, streamed);
  if (streamed) {
    const events = parseEventStream(text);
    switch (format) {
      case 'anthropic':
        return anthropicStream(events);
      case 'openai-responses':
        return responsesStream(events);
      default: {
        // An "unknown" API that streams `data:` lines is almost always OpenAI-compatible.
        const parts = chatStream(events);
        if (format === 'unknown' && !parts.text && parts.toolCalls.length === 0 && !parts.usage) return rawAnswer(text);
        return parts;
      }
    }
  }
  const json = parseJson(text);
  const body = asObject(json);
  if (!body) return format === 'unknown' ? rawAnswer(text) : emptyAnswer();
  switch (format) {
    case 'anthropic':
      return anthropicMessage(body);
    case 'openai-responses':
      return responsesObject(body);
    case 'openai-chat':
      return chatCompletion(body);
    default: {
      const parts = chatCompletion(body);
      return parts.text || parts.toolCalls.length > 0 ? parts : { ...rawAnswer(text), usage: parts.usage, error: parts.error };
    }
  }
}

function emptyAnswer(): AnswerParts {
  return { text: '', toolCalls: [], usage: null, error: null };
}

function rawAnswer(text: string): AnswerParts {
  return { ...emptyAnswer(), text: text.length > RAW_ANSWER_MAX_CHARS ? text.slice(0, RAW_ANSWER_MAX_CHARS) : text };
}

/** All events of a complete `text/event-stream` body, in order (CRLF, comments and multi-line data handled). */
export function parseEventStream(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(text);
  // The last event counts even when the stream ended without its blank line.
  parser.feed('\n\n');
  return events;
}

/** Error text of an API error object (`{error:{message}}`, `{error:"..."}`, `{message}`); null when none. */
function apiErrorText(body: JsonObject): string | null {
  const error = body['error'];
  if (typeof error === 'string' && error) return error;
  const object = asObject(error);
  if (object) {
    const message = str(object['message']);
    const type = str(object['type']) || str(object['code']) || str(object['status']);
    return message ? (type ? `${type}: ${message}` : message) : type || safeStringify(object);
  }
  return null;
}

function httpErrorText(status: number, body: string): string {
  const json = asObject(parseJson(body));
  const fromJson = json ? apiErrorText(json) ?? (str(json['message']) || null) : null;
  const text = fromJson ?? body.trim();
  const short = text.length > ERROR_TEXT_MAX_CHARS ? `${text.slice(0, ERROR_TEXT_MAX_CHARS)}…` : text;
  return short ? `HTTP ${status}: ${short}` : `HTTP ${status}`;
}

// OpenAI chat completions

function chatUsage(value: Json): TokenUsage | null {
  const usage = asObject(value);
  if (!usage) return null;
  const input = num(usage['prompt_tokens']) ?? num(usage['input_tokens']);
  const output = num(usage['completion_tokens']) ?? num(usage['output_tokens']);
  if (input === undefined && output === undefined) return null;
  return makeUsage(input ?? 0, output ?? 0, num(usage['total_tokens']));
}

function chatCompletion(body: JsonObject): AnswerParts {
  const choice = firstChoice(body);
  const message = asObject(choice?.['message']);
  const text = message ? contentText(message['content']) : str(choice?.['text']);
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(message?.['tool_calls'])) {
    const fn = asObject(asObject(raw)?.['function']);
    if (fn) toolCalls.push({ name: str(fn['name']), input: parseToolInput(fn['arguments']) });
  }
  const model = str(body['model']);
  return { ...(model ? { model } : {}), text, toolCalls, usage: chatUsage(body['usage']), error: apiErrorText(body) };
}

/** The choice with index 0 (or the first one when none has an index). */
function firstChoice(body: JsonObject): JsonObject | undefined {
  const choices = arr(body['choices']).map(asObject).filter((c): c is JsonObject => c !== undefined);
  return choices.find((c) => c['index'] === 0) ?? choices.find((c) => c['index'] === undefined) ?? undefined;
}

interface ToolCallBuilder {
  id: string;
  name: string;
  args: string;
}

function chatStream(events: EventSourceMessage[]): AnswerParts {
  let text = '';
  let model = '';
  let usage: TokenUsage | null = null;
  let error: string | null = null;
  const calls = new Map<number | string, ToolCallBuilder>();
  for (const event of events) {
    const data = event.data.trim();
    if (data === '[DONE]') continue; // the end marker; nothing after it is expected, but nothing is lost either
    const chunk = asObject(parseJson(data));
    if (!chunk) continue;
    model ||= str(chunk['model']);
    error ??= apiErrorText(chunk);
    // The usage-only final chunk (`choices: []`) and some providers' per-chunk usage: the last one wins.
    usage = chatUsage(chunk['usage']) ?? usage;
    const choice = firstChoice(chunk);
    if (!choice) continue;
    const delta = asObject(choice['delta']);
    if (!delta) {
      text += str(choice['text']); // legacy completions stream
      continue;
    }
    text += contentText(delta['content']);
    for (const raw of arr(delta['tool_calls'])) {
      const part = asObject(raw);
      if (!part) continue;
      const fn = asObject(part['function']);
      const id = str(part['id']);
      // Fragments belong together by `index`; providers without an index send whole calls with an id.
      const key = num(part['index']) ?? (id || calls.size);
      let call = calls.get(key);
      if (!call) {
        call = { id, name: '', args: '' };
        calls.set(key, call);
      }
      if (id && !call.id) call.id = id;
      const name = str(fn?.['name']);
      if (name && !call.name) call.name = name;
      const args = fn?.['arguments'];
      if (typeof args === 'string') call.args += args;
      else if (args !== undefined && args !== null) call.args += safeStringify(args);
    }
  }
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : 0))
    .map(([, call]) => ({ name: call.name, input: parseToolInput(call.args) }));
  return { ...(model ? { model } : {}), text, toolCalls, usage, error };
}

// OpenAI responses

function responsesObject(body: JsonObject): AnswerParts {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(body['output'])) {
    const item = asObject(raw);
    if (!item) continue;
    const type = str(item['type']);
    if (type === 'message') texts.push(contentText(item['content']));
    else if (type === 'function_call' || type === 'custom_tool_call') toolCalls.push({ name: str(item['name']), input: parseToolInput(item['arguments'] ?? item['input']) });
  }
  const model = str(body['model']);
  const text = texts.length > 0 ? texts.join('\n') : str(body['output_text']);
  return { ...(model ? { model } : {}), text, toolCalls, usage: chatUsage(body['usage']), error: apiErrorText(body) };
}

/**
 * A responses stream: the final `response.completed` (or `incomplete`/`failed`) event holds the whole answer;
 * without it (a cut stream) the text deltas and the finished output items are used.
 */
function responsesStream(events: EventSourceMessage[]): AnswerParts {
  let deltas = '';
  let final: AnswerParts | null = null;
  let error: string | null = null;
  let model = '';
  const doneItems: unknown[] = [];
  for (const event of events) {
    const data = asObject(parseJson(event.data));
    if (!data) continue;
    const type = str(data['type']) || event.event || '';
    const response = asObject(data['response']);
    if (response) model ||= str(response['model']);
    if (type === 'response.output_text.delta') deltas += str(data['delta']);
    else if (type === 'response.output_item.done' && data['item'] !== undefined) doneItems.push(data['item']);
    else if ((type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') && response) final = responsesObject(response);
    else if (type === 'error') error ??= str(data['message']) || apiErrorText(data) || 'error';
  }
  const fromItems = responsesObject({ output: doneItems });
  const base = final ?? { ...fromItems, usage: null, error: null };
  const resolvedModel = base.model || model;
  return {
    ...(resolvedModel ? { model: resolvedModel } : {}),
    text: base.text || fromItems.text || deltas,
    toolCalls: base.toolCalls.length > 0 ? base.toolCalls : fromItems.toolCalls,
    usage: base.usage,
    error: base.error ?? error,
  };
}

// Anthropic messages

/**
 * Anthropic usage: input counts the cached tokens too (`cache_creation_input_tokens`, `cache_read_input_tokens`),
 * since the model read them all.
 */
function anthropicUsage(value: Json, previous: TokenUsage | null = null): TokenUsage | null {
  const usage = asObject(value);
  if (!usage) return previous;
  const base = num(usage['input_tokens']);
  const cached = (num(usage['cache_creation_input_tokens']) ?? 0) + (num(usage['cache_read_input_tokens']) ?? 0);
  const input = base !== undefined ? base + cached : previous?.inputTokens;
  const output = num(usage['output_tokens']) ?? previous?.outputTokens;
  if (input === undefined && output === undefined) return previous;
  return makeUsage(input ?? 0, output ?? 0);
}

function anthropicMessage(body: JsonObject): AnswerParts {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const raw of arr(body['content'])) {
    const block = asObject(raw);
    if (!block) continue;
    const type = str(block['type']);
    if (type === 'text') texts.push(str(block['text']));
    else if (type === 'tool_use' || type === 'server_tool_use') toolCalls.push({ name: str(block['name']), input: block['input'] ?? {} });
  }
  const model = str(body['model']);
  return { ...(model ? { model } : {}), text: texts.join(''), toolCalls, usage: anthropicUsage(body['usage']), error: apiErrorText(body) };
}

interface AnthropicBlock {
  type: string;
  text: string;
  name: string;
  json: string;
  input: unknown;
}

function anthropicStream(events: EventSourceMessage[]): AnswerParts {
  let model = '';
  let usage: TokenUsage | null = null;
  let error: string | null = null;
  const blocks = new Map<number, AnthropicBlock>();
  for (const event of events) {
    const data = asObject(parseJson(event.data));
    if (!data) continue;
    const type = str(data['type']) || event.event || '';
    switch (type) {
      case 'message_start': {
        const message = asObject(data['message']);
        model ||= str(message?.['model']);
        usage = anthropicUsage(message?.['usage'], usage);
        break;
      }
      case 'content_block_start': {
        const block = asObject(data['content_block']);
        const index = num(data['index']) ?? blocks.size;
        blocks.set(index, { type: str(block?.['type']), text: str(block?.['text']), name: str(block?.['name']), json: '', input: block?.['input'] });
        break;
      }
      case 'content_block_delta': {
        const delta = asObject(data['delta']);
        const index = num(data['index']) ?? blocks.size - 1;
        let block = blocks.get(index);
        if (!block) {
          // A delta without its start (a lost line): keep the text anyway.
          block = { type: str(delta?.['type']) === 'input_json_delta' ? 'tool_use' : 'text', text: '', name: '', json: '', input: undefined };
          blocks.set(index, block);
        }
        const deltaType = str(delta?.['type']);
        if (deltaType === 'text_delta') block.text += str(delta?.['text']);
        else if (deltaType === 'input_json_delta') block.json += str(delta?.['partial_json']);
        break;
      }
      case 'message_delta':
        // Cumulative counts: output (and sometimes input) as of the end of the message.
        usage = anthropicUsage(data['usage'], usage);
        break;
      case 'error':
        error ??= apiErrorText(data) ?? 'error';
        break;
      default:
        break; // ping, content_block_stop, message_stop, unknown future events
    }
  }
  const ordered = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
  const text = ordered
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
  const toolCalls = ordered
    .filter((block) => block.type === 'tool_use' || block.type === 'server_tool_use')
    .map((block) => ({ name: block.name, input: block.json ? parseToolInput(block.json) : (block.input ?? {}) }));
  return { ...(model ? { model } : {}), text, toolCalls, usage, error };
}

// Google generative language

function googleUsage(value: Json): TokenUsage | null {
  const usage = asObject(value);
  if (!usage) return null;
  const input = num(usage['promptTokenCount']);
  const output = (num(usage['candidatesTokenCount']) ?? 0) + (num(usage['thoughtsTokenCount']) ?? 0);
  if (input === undefined && num(usage['candidatesTokenCount']) === undefined) return null;
  return makeUsage(input ?? 0, output, num(usage['totalTokenCount']));
}

/** Google answers: one JSON object, a JSON array of chunks, or SSE `data:` chunks (`alt=sse`). */
function googleAnswer(text: string, streamed: boolean): AnswerParts {
  let chunks: Json[];
  const json = parseJson(text);
  if (Array.isArray(json)) chunks = json;
  else if (json !== undefined) chunks = [json];
  else if (streamed || looksLikeEventStream(text)) chunks = parseEventStream(text).map((event) => parseJson(event.data));
  else chunks = [];
  let answer = '';
  let model = '';
  let usage: TokenUsage | null = null;
  let error: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const raw of chunks) {
    const chunk = asObject(raw);
    if (!chunk) continue;
    model ||= str(chunk['modelVersion']);
    usage = googleUsage(chunk['usageMetadata']) ?? usage;
    error ??= apiErrorText(chunk);
    const candidate = asObject(arr(chunk['candidates'])[0]);
    const content = asObject(candidate?.['content']);
    for (const rawPart of arr(content?.['parts'])) {
      const part = asObject(rawPart);
      if (!part) continue;
      const call = asObject(part['functionCall']);
      if (call) toolCalls.push({ name: str(call['name']), input: call['args'] ?? {} });
      else if (typeof part['text'] === 'string' && part['thought'] !== true) answer += part['text'];
    }
  }
  return { ...(model ? { model } : {}), text: answer, toolCalls, usage, error };
}

// ---------------------------------------------------------------- helpers

/** `models/<name>:generateContent` and similar paths name the model. */
function modelFromPath(path: string): string {
  const match = /\/models\/([^/:?]+)/.exec(path);
  if (!match?.[1]) return '';
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** The `"model": "..."` of a body that is not (complete) JSON, e.g. a truncated request. */
function modelFromText(text: string): string {
  const match = /"model"\s*:\s*"((?:[^"\\]|\\.){1,200})"/.exec(text.slice(0, 65_536));
  if (!match?.[1]) return '';
  const decoded = parseJson(`"${match[1]}"`);
  return typeof decoded === 'string' ? decoded : '';
}

function isEventStream(headers: [string, string][]): boolean {
  return headers.some(([name, value]) => name.toLowerCase() === 'content-type' && value.toLowerCase().includes('text/event-stream'));
}

function looksLikeEventStream(text: string): boolean {
  return /^(\uFEFF)?(data|event|:)/.test(text.trimStart().slice(0, 10)) && /^data:/m.test(text.slice(0, 65_536));
}

function parseToolInput(value: Json): unknown {
  if (typeof value !== 'string') return value ?? {};
  if (value.trim() === '') return {};
  const parsed = parseJson(value);
  return parsed === undefined ? value : parsed;
}

function makeUsage(input: number, output: number, total?: number): TokenUsage {
  const inputTokens = Math.max(0, Math.round(input));
  const outputTokens = Math.max(0, Math.round(output));
  const totalTokens = total !== undefined && total >= 0 ? Math.round(total) : inputTokens + outputTokens;
  return { inputTokens, outputTokens, totalTokens };
}

/** Parsed JSON, or undefined when the text is not JSON. */
function parseJson(text: string): Json {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function asObject(value: Json): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function arr(value: Json): Json[] {
  return Array.isArray(value) ? value : [];
}

function str(value: Json): string {
  return typeof value === 'string' ? value : '';
}

function num(value: Json): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function joinText(a: string, b: string): string {
  return a && b ? `${a}\n${b}` : a || b;
}

function safeStringify(value: Json): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
