// Fake LLM API for tests (never shipped): stands in for api.openai.com and api.anthropic.com behind the
// LLM Logging Proxy. Plain Node (no dependencies), run inside a container of the workspace image:
//
//   node server.mjs <dir>
//
// <dir> holds `server.key` and `server.crt` (certificate for api.openai.com and api.anthropic.com, signed by
// a test CA the proxy is told to trust). Listens on 443 (HTTPS, HTTP/2 or HTTP/1.1 by ALPN, like the real APIs)
// and 80 (plain HTTP/1.1), same handler.
// Every request is appended as one JSON line `{method, host, path, headers}` to `<dir>/requests.log` (so a
// test can check what reached the upstream, e.g. that no Proxy-Authorization did).
//
// Endpoints:
//   POST /v1/chat/completions  OpenAI style. Body `{stream?: boolean, ...}`. Streamed: `data:` lines split
//        across writes, a `: comment` line, a final usage chunk and `data: [DONE]`.
//   POST /v1/messages          Anthropic style. Streamed: message_start, ping, a text block, a tool_use block
//        with input_json_delta fragments, message_delta with usage, message_stop. With the request header
//        `x-fake-error: overloaded` the stream ends with an `error` event instead.
//   GET  /                     `ok <host>` (any other host name, for domain counting).
// Request headers that steer the fake:
//   x-fake-hold: <token>   streamed answers send their first event at once and the rest only once the file
//                          `<dir>/release-<token>` exists (the test creates it), proving the proxy does not buffer.
//   x-fake-gzip: 1         the response body is gzip-compressed (flushed after every write when streaming).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import path from 'node:path';
import zlib from 'node:zlib';

const dir = process.argv[2] ?? '/fake';

/** Fixed answer parts, so tests can check the reassembled text. */
export const OPENAI_TEXT_PARTS = ['Hello', ' from the', ' fake OpenAI', ' stream.'];
export const ANTHROPIC_TEXT_PARTS = ['Bonjour', ' from the', ' fake Claude.'];

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForRelease(token) {
  if (!token) return;
  const file = path.join(dir, `release-${token.replace(/[^a-zA-Z0-9_-]/g, '')}`);
  while (!existsSync(file)) await delay(50);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let body = Buffer.concat(chunks);
  if ((req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') body = zlib.gunzipSync(body);
  const text = body.toString('utf8');
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** A writer for the response body: plain, or gzip flushed after each write so every piece leaves at once. */
function bodyWriter(req, res, status, headers) {
  const gzip = req.headers['x-fake-gzip'] === '1';
  res.writeHead(status, { ...headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  if (!gzip) {
    return {
      write: (text) => new Promise((resolve) => res.write(text, () => resolve())),
      end: () => new Promise((resolve) => res.end(resolve)),
    };
  }
  const z = zlib.createGzip();
  z.pipe(res);
  return {
    write: (text) => new Promise((resolve) => { z.write(text); z.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()); }),
    end: () => new Promise((resolve) => { res.on('finish', resolve); z.end(); }),
  };
}

async function openAi(req, res, body) {
  const model = body.model ?? 'gpt-fake';
  const id = 'chatcmpl-fake1';
  if (!body.stream) {
    const answer = {
      id,
      object: 'chat.completion',
      created: 1764633600,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: OPENAI_TEXT_PARTS.join('') }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    };
    const out = bodyWriter(req, res, 200, { 'content-type': 'application/json' });
    await out.write(JSON.stringify(answer));
    await out.end();
    return;
  }
  const chunk = (delta, finish = null, extra = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1764633600, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const out = bodyWriter(req, res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  await out.write(chunk({ role: 'assistant', content: '' }));
  await waitForRelease(req.headers['x-fake-hold']);
  await out.write(': keep-alive comment\n\n');
  for (const part of OPENAI_TEXT_PARTS) {
    // Each data line leaves in two writes, cut inside the JSON.
    const line = chunk({ content: part });
    const cut = Math.floor(line.length / 2);
    await out.write(line.slice(0, cut));
    await delay(15);
    await out.write(line.slice(cut));
  }
  await out.write(chunk({}, 'stop'));
  await out.write(
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1764633600, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`,
  );
  await out.write('data: [DONE]\n\n');
  await out.end();
}

async function anthropic(req, res, body) {
  const model = body.model ?? 'claude-fake';
  if (!body.stream) {
    const out = bodyWriter(req, res, 200, { 'content-type': 'application/json' });
    await out.write(
      JSON.stringify({
        id: 'msg_fake1',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: ANTHROPIC_TEXT_PARTS.join('') }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 21, output_tokens: 9 },
      }),
    );
    await out.end();
    return;
  }
  const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const out = bodyWriter(req, res, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  await out.write(
    event('message_start', {
      message: { id: 'msg_fake1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: 21, output_tokens: 1 } },
    }),
  );
  await waitForRelease(req.headers['x-fake-hold']);
  await out.write(event('ping', {}));
  if (req.headers['x-fake-error'] === 'overloaded') {
    await out.write(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
    await out.end();
    return;
  }
  await out.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  for (const part of ANTHROPIC_TEXT_PARTS) await out.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: part } }));
  await out.write(event('content_block_stop', { index: 0 }));
  await out.write(event('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_fake1', name: 'get_weather', input: {} } }));
  for (const fragment of ['{"city": "Par', 'is", "unit"', ': "celsius"}']) {
    await out.write(event('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: fragment } }));
  }
  await out.write(event('content_block_stop', { index: 1 }));
  await out.write(event('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }));
  await out.write(event('message_stop', {}));
  await out.end();
}

/** Host name the client asked for (HTTP/2 `:authority` or HTTP/1 `Host`), without the port. */
function hostOf(req) {
  return String(req.headers[':authority'] ?? req.headers.host ?? '').replace(/:\d+$/, '');
}

async function handle(req, res) {
  appendFileSync(
    path.join(dir, 'requests.log'),
    `${JSON.stringify({ method: req.method, host: hostOf(req), path: req.url, httpVersion: req.httpVersion, headers: req.headers })}\n`,
  );
  const body = req.method === 'POST' ? await readBody(req) : {};
  if (req.method === 'POST' && req.url?.startsWith('/v1/chat/completions')) return openAi(req, res, body);
  if (req.method === 'POST' && req.url?.startsWith('/v1/messages')) return anthropic(req, res, body);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`ok ${hostOf(req)}\n`);
}

const onRequest = (req, res) => {
  handle(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
};

const tls = { key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.crt')) };
http2.createSecureServer({ ...tls, allowHTTP1: true }, onRequest).listen(443, () => console.log('fake LLM API listening on 443'));
http.createServer(onRequest).listen(80, () => console.log('fake LLM API listening on 80'));
