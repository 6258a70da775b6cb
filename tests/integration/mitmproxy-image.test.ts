// The mitmproxy image (resources/images/mitmproxy, our addon xares_recorder.py) on the real engine.
// On a test network of its own: the proxy (alias xares-proxy, a named volume as its confdir, the htpasswd file
// and the fake API's CA written with putArchive before start), the fake LLM API (tests/fake-llm-api) under the
// aliases api.openai.com / api.anthropic.com / files.example.test, and a client container (workspace image)
// that runs curl through the proxy, trusting the proxy's CA read from the proxy container like the app does.
// Proves: 407 without or with wrong credentials (plain and CONNECT) and nothing forwarded or recorded; a streamed
// answer reaches the client before the fake releases the rest (no buffering), also gzip-compressed; complete,
// decoded bodies in llm-*.json with secrets redacted and the right user; Proxy-Authorization never reaches the
// upstream, not even a forged one inside another user's tunnel; domains-*.json counts per user; Anthropic
// streams (tool input fragments, error event) recorded; the users file is re-read when it changes; the CA
// survives re-creation; the addon's decoders stay within the size limit (mitmproxy-addon-check.py).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureProxyImage,
  MITMPROXY_CA_CERT_FILE,
  MITMPROXY_CONFDIR,
  MITMPROXY_PORT,
  MITMPROXY_RECORD_FILE_PATTERN,
  MITMPROXY_RECORDS_DIR,
  MITMPROXY_UPSTREAM_CA_FILE,
  PROXY_USERS_FILE,
} from '../../server/images/proxy-images.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../../server/runtime/workspace-runtime.js';
import { execInContainer, newInstanceId, pollUntil, testDocker, testWorkspaceImage } from '../helpers/server.js';
import { startFakeLlmApi, tarOf } from '../helpers/fake-llm-api.js';

const docker = testDocker();
const here = path.dirname(fileURLToPath(import.meta.url));
const resourcesDir = path.resolve(here, '..', '..', 'resources');
const instanceId = newInstanceId();
const labels = { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: instanceId };
const networkName = `xares-test-mitm-${instanceId}`;
const volumeName = `xares-test-mitm-conf-${instanceId}`;
const names = {
  proxy: `xares-mitm-${instanceId}`,
  fake: `fake-llm-api-${instanceId}`,
  client: `xares-mitm-client-${instanceId}`,
};
const proxyUrl = `http://xares-proxy:${MITMPROXY_PORT}`;
// Two workspaces' proxy credentials, shaped like the app's (12 [a-z0-9] id, 32 random bytes hex).
const userA = { name: `a${randomBytes(6).toString('hex').slice(0, 11)}`, secret: randomBytes(32).toString('hex') };
const userB = { name: `b${randomBytes(6).toString('hex').slice(0, 11)}`, secret: randomBytes(32).toString('hex') };
const apiKey = `sk-test-${randomBytes(8).toString('hex')}`;

interface LlmRecord {
  kind: 'llm';
  version: 1;
  id: string;
  user: string;
  startedAt: string;
  finishedAt: string | null;
  request: { method: string; scheme: string; host: string; port: number; path: string; headers: [string, string][]; body: string; bodyEncoding: string; truncated: boolean };
  response: { status: number; headers: [string, string][]; body: string; bodyEncoding: string; truncated: boolean; streamed: boolean } | null;
  error: string | null;
}
interface DomainsFile {
  kind: 'domains';
  version: 1;
  entries: { user: string; host: string; count: number; firstSeen: string; lastSeen: string }[];
}

/** The regular files of a getArchive tar stream, by base name. */
async function filesOf(archive: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files.set(path.posix.basename(header.name), Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    archive.pipe(extract);
  });
  return files;
}

/** Runs `cmd` in a container; rejects on a non-zero exit code unless `allowFailure`. */
async function exec(container: string, cmd: string[], { allowFailure = false, user }: { allowFailure?: boolean; user?: string } = {}) {
  const result = await execInContainer(container, cmd, user ? { user } : {}, docker);
  if (result.code !== 0 && !allowFailure) throw new Error(`${cmd.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result;
}

/** Every record file the proxy has written so far (read with getArchive, as the app does), parsed. */
async function readRecords(): Promise<{ names: string[]; llm: LlmRecord[]; domains: DomainsFile[] }> {
  const files = await filesOf(await docker.getContainer(names.proxy).getArchive({ path: MITMPROXY_RECORDS_DIR }));
  const jsonNames = [...files.keys()].filter((name) => name.endsWith('.json')).sort();
  const llm: LlmRecord[] = [];
  const domains: DomainsFile[] = [];
  for (const name of jsonNames) {
    const parsed = JSON.parse(files.get(name)!.toString('utf8')) as LlmRecord | DomainsFile;
    if (parsed.kind === 'llm') llm.push(parsed);
    else domains.push(parsed);
  }
  return { names: jsonNames, llm, domains };
}

/** Polls until an llm record whose request body contains `marker` exists. */
function llmRecordWith(marker: string): Promise<LlmRecord> {
  return pollUntil(async () => (await readRecords()).llm.find((r) => r.request.body.includes(marker)), {
    timeoutMs: 20_000,
    intervalMs: 200,
    description: `llm record with ${marker}`,
  });
}

/** Summed domain counts `user host → count` over all domains files so far. */
async function domainCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const file of (await readRecords()).domains) {
    for (const entry of file.entries) counts.set(`${entry.user} ${entry.host}`, (counts.get(`${entry.user} ${entry.host}`) ?? 0) + entry.count);
  }
  return counts;
}

/** Header value of a record's header list (first match, case-insensitive). */
function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

/** curl in the client container through the proxy; `-w` prints the proxy CONNECT code, HTTP code and HTTP version at the end. */
function curl(args: string[], opts: { allowFailure?: boolean } = { allowFailure: true }) {
  return exec(
    names.client,
    ['curl', '-sS', '--max-time', '30', '--cacert', '/tmp/proxy-ca.pem', '-x', proxyUrl, '-w', '\n%{http_connect} %{http_code} %{http_version}', ...args],
    opts,
  );
}

/** Splits curl output into body and the `connect status version` line (HTTP version between client and proxy). */
function parseCurl(stdout: string): { body: string; connect: number; status: number; version: string } {
  const cut = stdout.lastIndexOf('\n');
  const [connect, status, version] = stdout.slice(cut + 1).trim().split(' ');
  return { body: stdout.slice(0, cut), connect: Number(connect ?? 0), status: Number(status ?? 0), version: version ?? '' };
}

function chatBody(marker: string, stream: boolean): string {
  return JSON.stringify({ model: 'gpt-fake', stream, messages: [{ role: 'user', content: `question ${marker}` }] });
}

/** The upstream's request log: one entry per request that reached the fake API. */
async function upstreamRequests(): Promise<{ method: string; host: string; path: string; headers: Record<string, string> }[]> {
  const { stdout } = await exec(names.fake, ['cat', '/fake/requests.log'], { allowFailure: true });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/**
 * Starts a streamed request in the background (curl -N writing to a file in the client), waits until the
 * first event is in that file while the fake still holds the rest, then releases the fake and returns the
 * complete output.
 */
async function streamedWithHold(args: string[], firstEventMarker: string, lastMarker: string): Promise<{ output: string; version: string }> {
  const token = randomBytes(6).toString('hex');
  const out = `/tmp/out-${token}`;
  const running = curl(['-N', '-o', out, '-H', `x-fake-hold: ${token}`, ...args]);
  const first = await pollUntil(
    async () => {
      const { stdout } = await exec(names.client, ['cat', out], { allowFailure: true });
      return stdout.includes(firstEventMarker) ? stdout : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, description: 'first event at the client' },
  );
  // The fake sends nothing more until the release file exists: what the client has is the first event only.
  expect(first).not.toContain(lastMarker);
  await exec(names.fake, ['touch', `/fake/release-${token}`]);
  const result = parseCurl((await running).stdout);
  expect(result.status).toBe(200);
  const { stdout } = await exec(names.client, ['cat', out]);
  expect(stdout).toContain(lastMarker);
  return { output: stdout, version: result.version };
}

async function cleanUp(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  await docker.getVolume(volumeName).remove().catch(() => undefined);
}

/** Creates a container on the test network under `aliases` (not started). */
async function create(name: string, image: string, options: { cmd?: string[]; entrypoint?: string[]; aliases?: string[]; user?: string; binds?: string[] }) {
  return docker.createContainer({
    name,
    Image: image,
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    ...(options.user ? { User: options.user } : {}),
    Labels: labels,
    HostConfig: { NetworkMode: networkName, CapDrop: ['NET_RAW'], ...(options.binds ? { Binds: options.binds } : {}) },
    NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: options.aliases ?? [] } } },
  });
}

let mitmTag: string;

beforeAll(async () => {
  // `npm run images` builds it; built here too when missing so the test runs on its own (~40 s cold).
  mitmTag = (await ensureProxyImage(docker, 'mitmproxy', { resourcesDir })).tag;
  const workspaceImage = testWorkspaceImage();
  await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  await docker.createVolume({ Name: volumeName, Labels: labels });

  // The fake LLM API: makes its certificates, then serves 443 and 80.
  const { caPem: fakeCa } = await startFakeLlmApi({ name: names.fake, network: networkName, aliases: ['api.openai.com', 'api.anthropic.com', 'files.example.test'], labels, docker });
  const client = await create(names.client, workspaceImage, { entrypoint: ['sleep', 'infinity'], cmd: [] });
  await client.start();

  // htpasswd lines as the app writes them (apr1), made with openssl in the fake's container.
  const line = async (user: { name: string; secret: string }) =>
    `${user.name}:${(await exec(names.fake, ['openssl', 'passwd', '-apr1', user.secret])).stdout.trim()}\n`;
  const users = (await line(userA)) + (await line(userB));

  const proxy = await create(names.proxy, mitmTag, { aliases: ['xares-proxy'], binds: [`${volumeName}:${MITMPROXY_CONFDIR}`] });
  await proxy.putArchive(
    await tarOf({ [PROXY_USERS_FILE.slice(1)]: users, [MITMPROXY_UPSTREAM_CA_FILE.slice(1)]: fakeCa }),
    { path: '/' },
  );
  await proxy.start();

  // The proxy's public CA certificate (generated on first start), copied into the client like the app does.
  const caCert = await pollUntil(
    async () => (await filesOf(await proxy.getArchive({ path: MITMPROXY_CA_CERT_FILE }))).get(path.posix.basename(MITMPROXY_CA_CERT_FILE)),
    { timeoutMs: 30_000, intervalMs: 200, description: 'mitmproxy CA certificate' },
  );
  expect(caCert.toString('utf8')).toContain('BEGIN CERTIFICATE');
  await client.putArchive(await tarOf({ 'tmp/proxy-ca.pem': caCert }), { path: '/' });
  await pollUntil(
    async () => {
      const probe = await exec(names.client, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-x', proxyUrl, 'http://files.example.test/'], {
        allowFailure: true,
      });
      return probe.stdout === '407';
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'mitmproxy answering' },
  );
}, 300_000);

afterAll(async () => {
  await cleanUp();
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  expect(left).toHaveLength(0);
});

describe('mitmproxy image', () => {
  it('decodes bodies within the size limit (gzip, deflate, br, zstd, cut-off and bomb bodies)', async () => {
    const script = readFileSync(path.join(here, 'mitmproxy-addon-check.py'));
    await docker.getContainer(names.proxy).putArchive(await tarOf({ 'tmp/addon-check.py': script }), { path: '/' });
    const result = JSON.parse((await exec(names.proxy, ['python3', '/tmp/addon-check.py'])).stdout);
    const fiveMiB = 5 * 1024 * 1024;
    expect(result).toEqual({
      gzip: [true, false, null],
      deflate: [true, false, null],
      rawdeflate: [true, false, null],
      br: [true, false, null],
      zstd: [true, false, null],
      'gzip+br': [true, false, null],
      identity: [true, false, null],
      cutgzip: [true, null],
      bomb: [fiveMiB, true],
      brbomb: [fiveMiB, true],
      zstdbomb: [fiveMiB, true],
      cutzstd: [true, null],
      broken: ['not gzip', false, true],
      // a 101-byte cap cut inside a two-byte character: still text, the incomplete tail dropped
      tee: [101, true, 'utf8', true, 100],
      none: { body: '', bodyEncoding: 'utf8', truncated: false },
      binary: 'base64',
      llm: [true, true, false, true, false, true, true, true],
      basic: [['u', 'p:q'], null, null],
    });
  });

  it('answers 407 without or with wrong credentials, forwards and records nothing for them', async () => {
    const marker = randomBytes(6).toString('hex');
    // Plain HTTP, no credentials: 407 with a Basic challenge.
    const plain = await exec(names.client, ['curl', '-sS', '-D', '-', '-o', '/dev/null', '-x', proxyUrl, '-d', chatBody(marker, false), 'http://api.openai.com/v1/chat/completions']);
    expect(plain.stdout).toMatch(/^HTTP\/1\.1 407/);
    expect(plain.stdout).toMatch(/^Proxy-Authenticate: Basic realm="[^"]+"/im);
    // Plain HTTP with a wrong secret, and with an unknown user.
    for (const credentials of [`${userA.name}:${userB.secret}`, `nobody${marker}:${userA.secret}`]) {
      const wrong = parseCurl((await curl(['-U', credentials, '-d', chatBody(marker, false), 'http://api.openai.com/v1/chat/completions'])).stdout);
      expect(wrong.status).toBe(407);
    }
    // CONNECT without and with wrong credentials: the tunnel is refused with 407.
    for (const extra of [[], ['-U', `${userB.name}:${userA.secret}`]]) {
      const tunnel = await curl([...extra, '-d', chatBody(marker, true), 'https://api.openai.com/v1/chat/completions']);
      expect(tunnel.code).not.toBe(0);
      expect(parseCurl(tunnel.stdout).connect).toBe(407);
    }
    // Nothing reached the upstream.
    expect((await upstreamRequests()).filter((r) => r.path.startsWith('/v1/'))).toEqual([]);

    // An authenticated request afterwards: once its count is flushed, every earlier count would be too.
    const ok = parseCurl((await curl(['-U', `${userA.name}:${userA.secret}`, `http://files.example.test/${marker}`], { allowFailure: false })).stdout);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('ok files.example.test\n');
    await pollUntil(async () => (await domainCounts()).get(`${userA.name} files.example.test`) === 1, {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 'domain count of the authenticated request',
    });
    const records = await readRecords();
    expect(records.llm).toEqual([]);
    expect([...(await domainCounts()).keys()]).toEqual([`${userA.name} files.example.test`]);
    for (const name of records.names) expect(name).toMatch(MITMPROXY_RECORD_FILE_PATTERN);
  });

  it('streams an OpenAI answer unbuffered and records it complete, with secrets redacted', async () => {
    const marker = randomBytes(6).toString('hex');
    const { output, version } = await streamedWithHold(
      [
        '-U', `${userA.name}:${userA.secret}`,
        '-H', `Authorization: Bearer ${apiKey}`,
        '-H', 'Content-Type: application/json',
        '-d', chatBody(marker, true),
        'https://api.openai.com/v1/chat/completions',
      ],
      '"role":"assistant"',
      'data: [DONE]',
    );
    // HTTP/2 end to end, as with the real APIs (the fake speaks h2 and h1 by ALPN).
    expect(version).toBe('2');
    expect(output).toContain(': keep-alive comment');
    expect(output).toContain('"usage":{"prompt_tokens":11');

    const record = await llmRecordWith(marker);
    expect(record.user).toBe(userA.name);
    expect(record.id).toMatch(/^\d{13}-[0-9a-f]{8}$/);
    expect(record.request).toMatchObject({ method: 'POST', scheme: 'https', host: 'api.openai.com', port: 443, path: '/v1/chat/completions', bodyEncoding: 'utf8', truncated: false });
    expect(JSON.parse(record.request.body)).toEqual(JSON.parse(chatBody(marker, true)));
    expect(header(record.request.headers, 'authorization')).toBe('[redacted]');
    expect(header(record.request.headers, 'proxy-authorization')).toBeUndefined();
    expect(JSON.stringify(record)).not.toContain(apiKey);
    expect(JSON.stringify(record)).not.toContain(userA.secret);
    expect(record.response).toMatchObject({ status: 200, streamed: true, bodyEncoding: 'utf8', truncated: false });
    expect(record.response!.body).toBe(output);
    expect(record.error).toBeNull();
    expect(Date.parse(record.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
    expect(record.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The upstream saw the API key but never the proxy credentials.
    const upstream = (await upstreamRequests()).filter((r) => r.path === '/v1/chat/completions');
    expect(upstream.length).toBeGreaterThan(0);
    for (const request of upstream) expect(request.headers['proxy-authorization']).toBeUndefined();
    expect(upstream.some((r) => r.headers.authorization === `Bearer ${apiKey}`)).toBe(true);
  });

  it('streams a gzip-compressed answer unbuffered and records the decoded body', async () => {
    const marker = randomBytes(6).toString('hex');
    const { output, version } = await streamedWithHold(
      ['--http1.1', '--compressed', '-U', `${userA.name}:${userA.secret}`, '-H', 'x-fake-gzip: 1', '-H', 'Content-Type: application/json', '-d', chatBody(marker, true), 'https://api.openai.com/v1/chat/completions'],
      '"role":"assistant"',
      'data: [DONE]',
    );
    expect(version).toBe('1.1');
    const record = await llmRecordWith(marker);
    expect(record.user).toBe(userA.name);
    expect(header(record.response!.headers, 'content-encoding')).toBe('gzip');
    expect(record.response).toMatchObject({ status: 200, streamed: true, bodyEncoding: 'utf8', truncated: false });
    expect(record.response!.body).toBe(output);
    expect(record.response!.body).toContain('fake OpenAI');
  });

  it('attributes a tunnel to the user who opened it, whatever the requests inside claim', async () => {
    const marker = randomBytes(6).toString('hex');
    const forged = `Basic ${Buffer.from(`${userB.name}:${userB.secret}`).toString('base64')}`;
    const result = parseCurl(
      (
        await curl(
          ['-U', `${userA.name}:${userA.secret}`, '-H', `Proxy-Authorization: ${forged}`, '-H', 'Cookie: session=s3cret', '-d', chatBody(marker, false), 'https://api.openai.com/v1/chat/completions'],
          { allowFailure: false },
        )
      ).stdout,
    );
    expect(result.status).toBe(200);
    const record = await llmRecordWith(marker);
    expect(record.user).toBe(userA.name);
    expect(header(record.request.headers, 'proxy-authorization')).toBeUndefined();
    expect(header(record.request.headers, 'cookie')).toBe('[redacted]');
    expect(record.response).toMatchObject({ status: 200, streamed: false });
    expect(JSON.parse(record.response!.body).usage.total_tokens).toBe(18);
    for (const request of await upstreamRequests()) expect(request.headers['proxy-authorization']).toBeUndefined();
  });

  it('records plain HTTP and Anthropic streams of another user without mixing them', async () => {
    const marker = randomBytes(6).toString('hex');
    const plain = parseCurl(
      (await curl(['-U', `${userB.name}:${userB.secret}`, '-H', 'x-api-key: plain-key', '-d', chatBody(`plain-${marker}`, false), 'http://api.openai.com/v1/chat/completions'], { allowFailure: false })).stdout,
    );
    expect(plain.status).toBe(200);
    const plainRecord = await llmRecordWith(`plain-${marker}`);
    expect(plainRecord.user).toBe(userB.name);
    expect(plainRecord.request).toMatchObject({ scheme: 'http', host: 'api.openai.com', port: 80 });
    expect(header(plainRecord.request.headers, 'x-api-key')).toBe('[redacted]');

    const anthropicBody = (tag: string) =>
      JSON.stringify({ model: 'claude-fake', stream: true, max_tokens: 64, messages: [{ role: 'user', content: `weather ${tag}` }] });
    const anthropicArgs = ['-U', `${userB.name}:${userB.secret}`, '-H', 'x-api-key: sk-ant-secret', '-H', 'anthropic-version: 2023-06-01', '-H', 'Content-Type: application/json'];
    const { output: streamed } = await streamedWithHold(
      [...anthropicArgs, '-d', anthropicBody(`tools-${marker}`), 'https://api.anthropic.com/v1/messages'],
      'event: message_start',
      'event: message_stop',
    );
    const toolRecord = await llmRecordWith(`tools-${marker}`);
    expect(toolRecord.user).toBe(userB.name);
    expect(toolRecord.request.host).toBe('api.anthropic.com');
    expect(header(toolRecord.request.headers, 'x-api-key')).toBe('[redacted]');
    expect(toolRecord.response).toMatchObject({ status: 200, streamed: true, truncated: false });
    expect(toolRecord.response!.body).toBe(streamed);
    for (const event of ['message_start', 'ping', 'content_block_start', 'input_json_delta', 'message_delta', 'message_stop']) {
      expect(toolRecord.response!.body).toContain(event);
    }

    const failed = parseCurl(
      (await curl([...anthropicArgs, '-H', 'x-fake-error: overloaded', '-d', anthropicBody(`error-${marker}`), 'https://api.anthropic.com/v1/messages'], { allowFailure: false })).stdout,
    );
    expect(failed.body).toContain('event: error');
    const errorRecord = await llmRecordWith(`error-${marker}`);
    expect(errorRecord.user).toBe(userB.name);
    expect(errorRecord.response!.body).toBe(failed.body);
    expect(JSON.stringify(errorRecord)).not.toContain('sk-ant-secret');

    // Every LLM record so far belongs to the user whose credentials made it.
    const { llm } = await readRecords();
    for (const record of llm) {
      const isB = record.request.body.includes(`plain-${marker}`) || record.request.body.includes(`tools-${marker}`) || record.request.body.includes(`error-${marker}`);
      expect(record.user).toBe(isB ? userB.name : userA.name);
    }
  });

  it('counts each request per user and host in domains files', async () => {
    // Requests so far: A: files.example.test 1, api.openai.com 3 (two streams, one in a forged tunnel);
    // B: api.openai.com 1 (plain), api.anthropic.com 2. CONNECTs themselves do not count.
    const expected = new Map([
      [`${userA.name} files.example.test`, 1],
      [`${userA.name} api.openai.com`, 3],
      [`${userB.name} api.openai.com`, 1],
      [`${userB.name} api.anthropic.com`, 2],
    ]);
    const counts = await pollUntil(
      async () => {
        const current = await domainCounts();
        return [...expected].every(([key, count]) => current.get(key) === count) ? current : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: 'domain counts' },
    );
    expect(new Map([...counts].sort())).toEqual(new Map([...expected].sort()));
    for (const file of (await readRecords()).domains) {
      expect(file.version).toBe(1);
      for (const entry of file.entries) {
        expect(entry.count).toBeGreaterThan(0);
        expect(Date.parse(entry.lastSeen)).toBeGreaterThanOrEqual(Date.parse(entry.firstSeen));
      }
    }
    // No half-written file is left behind.
    const leftovers = await exec(names.proxy, ['sh', '-c', `ls -A ${MITMPROXY_RECORDS_DIR}`]);
    for (const name of leftovers.stdout.split('\n').filter(Boolean)) expect(name).toMatch(MITMPROXY_RECORD_FILE_PATTERN);
  });

  it('counts a tunnel it could not look into once, when it closes', async () => {
    // The client does not trust the proxy's CA here: the TLS handshake fails, no HTTP request is seen.
    const refused = await exec(
      names.client,
      ['curl', '-sS', '--max-time', '20', '-x', proxyUrl, '-U', `${userB.name}:${userB.secret}`, 'https://api.anthropic.com/v1/models'],
      { allowFailure: true },
    );
    expect(refused.code).toBe(60); // curl: peer certificate cannot be authenticated
    await pollUntil(async () => (await domainCounts()).get(`${userB.name} api.anthropic.com`) === 3, {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 'count of the refused tunnel',
    });
    expect((await readRecords()).llm.filter((r) => r.request.path === '/v1/models')).toEqual([]);
  });

  it('re-reads the users file when it changes', async () => {
    const userC = { name: `c${randomBytes(6).toString('hex').slice(0, 11)}`, secret: randomBytes(32).toString('hex') };
    const status = async (user: { name: string; secret: string }) =>
      parseCurl((await curl(['-U', `${user.name}:${user.secret}`, 'http://files.example.test/'])).stdout).status;
    expect(await status(userC)).toBe(407);
    // The app rewrites the file in place (putArchive) while the proxy runs: B stays, A goes, C comes.
    const hash = async (user: { secret: string }) => (await exec(names.fake, ['openssl', 'passwd', '-apr1', user.secret])).stdout.trim();
    const users = `${userB.name}:${await hash(userB)}\n${userC.name}:${await hash(userC)}\n`;
    await docker.getContainer(names.proxy).putArchive(await tarOf({ [PROXY_USERS_FILE.slice(1)]: users }), { path: '/' });
    expect(await status(userC)).toBe(200);
    expect(await status(userB)).toBe(200);
    expect(await status(userA)).toBe(407);
  });

  it('keeps its CA in the volume when the container is re-created', async () => {
    const read = async () => (await filesOf(await docker.getContainer(names.proxy).getArchive({ path: MITMPROXY_CA_CERT_FILE }))).get('mitmproxy-ca-cert.pem')!.toString('utf8');
    const before = await read();
    // mitmproxy catches addon exceptions and only logs them: the log must show none of ours.
    const logs = (await docker.getContainer(names.proxy).logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
    expect(logs).not.toMatch(/Traceback|Addon error|xares:/);
    // A last request right before the stop: its count is written at the latest when the proxy shuts down.
    const last = parseCurl((await curl(['-U', `${userB.name}:${userB.secret}`, 'http://files.example.test/last'], { allowFailure: false })).stdout);
    expect(last.status).toBe(200);
    // SIGTERM through tini: mitmdump shuts down cleanly; then a new container on the same volume.
    await docker.getContainer(names.proxy).stop({ t: 10 });
    const exit = await docker.getContainer(names.proxy).inspect();
    expect(exit.State.ExitCode).toBe(0);
    // B: one request in the users-file test, one just now (the stopped container's files are still readable).
    expect((await domainCounts()).get(`${userB.name} files.example.test`)).toBe(2);
    await docker.getContainer(names.proxy).remove({ force: true });
    const proxy = await create(names.proxy, mitmTag, { aliases: ['xares-proxy'], binds: [`${volumeName}:${MITMPROXY_CONFDIR}`] });
    await proxy.start();
    const after = await pollUntil(async () => read().catch(() => undefined), { timeoutMs: 30_000, intervalMs: 200, description: 'CA after re-creation' });
    expect(after).toBe(before);
    // No users file in the new container: everyone gets 407.
    await pollUntil(
      async () => parseCurl((await curl(['-U', `${userB.name}:${userB.secret}`, 'http://files.example.test/'])).stdout).status === 407,
      { timeoutMs: 30_000, intervalMs: 200, description: '407 from the re-created proxy' },
    );
  });
});
