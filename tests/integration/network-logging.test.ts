/**
 * LLM Logging Proxy end to end (issue #5), on the real engine with the real mitmproxy image and our addon:
 * a `logging` workspace made through the API sends a streamed chat completion with curl (as a participant's
 * tool would, using only the proxy settings the app gave it) to the fake LLM API standing in for
 * api.openai.com (tests/fake-llm-api, on the logging proxy's egress network under that name). The app records
 * it: model, messages, reassembled answer, token usage, Authorization redacted; the host shows under "AI APIs";
 * deleting by identifier works and a `../` identifier is refused. The workspace reaches nothing but mitmproxy.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE_NAME } from '../../server/store/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTANCE } from '../../server/runtime/workspace-runtime.js';
import { execInWorkspace, newInstanceId, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';
import { startFakeLlmApi } from '../helpers/fake-llm-api.js';

const docker = testDocker();
const instanceId = newInstanceId();
const nonce = randomBytes(6).toString('hex');
const apiKey = `sk-test-${randomBytes(12).toString('hex')}`;
const fakeName = `fake-llm-api-${instanceId}`;
const fakeNetwork = `xares-test-fakellm-${instanceId}`;
// Instance only, not `managed`: the server would report it as a workspace container without a record.
const labels = { [LABEL_INSTANCE]: instanceId };
let t: TestServer;
let ws: string;
let sec: string;

/** Runs a shell snippet in the workspace as `coder` with the proxy settings code-server's terminals have. */
function inWorkspace(projectId: string, script: string) {
  return execInWorkspace(projectId, ['sh', '-c', `set -a; . /etc/xares/proxy.env; set +a; ${script}`]);
}

beforeAll(async () => {
  // The fake LLM API first: its test CA must be known when the server (and so mitmproxy) is configured.
  await docker.createNetwork({ Name: fakeNetwork, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  const { caPem } = await startFakeLlmApi({ name: fakeName, network: fakeNetwork, labels, docker });
  t = await startTestServer({ instanceId }, { networkControl: { upstreamCaPem: caPem, healthIntervalMs: 0 } });
  const network = t.server.network!;
  const egress = await network.networks.ensure('egress-mitm');
  await docker.getNetwork(egress).connect({ Container: fakeName, EndpointConfig: { Aliases: ['api.openai.com', 'api.anthropic.com'] } });
  const made = await Promise.all([
    t.api('POST', '/api/projects/create', { projectName: `log-${nonce}`, projectType: 'empty', proxyMode: 'logging' }),
    t.api('POST', '/api/projects/create', { projectName: `sec-${nonce}`, projectType: 'empty', proxyMode: 'security' }),
  ]);
  for (const response of made) expect(response.status, JSON.stringify(response.body)).toBe(201);
  [ws, sec] = made.map((r) => r.body.project.id as string) as [string, string];
  await Promise.all([ws, sec].map((id) => t.waitForStatus(id, 'running', 180_000)));
}, 600_000);

afterAll(async () => {
  await t?.dispose();
  await docker.getContainer(fakeName).remove({ force: true }).catch(() => undefined);
  await docker.getNetwork(fakeNetwork).remove().catch(() => undefined);
}, 120_000);

describe('logging proxy mode', () => {
  it('gives the workspace the proxy CA (public part only) and proxy settings outside its environment', async () => {
    const ca = await execInWorkspace(ws, ['cat', '/etc/xares/proxy-ca.pem']);
    expect(ca.stdout).toContain('BEGIN CERTIFICATE');
    expect(ca.stdout).not.toContain('PRIVATE KEY');
    const bundle = await execInWorkspace(ws, ['grep', '-c', 'BEGIN Xares logging proxy CA', '/etc/ssl/certs/ca-certificates.crt']);
    expect(bundle.stdout.trim()).toBe('1');
    const info = await docker.getContainer(`workspace-${ws}`).inspect();
    expect(JSON.stringify(info.Config.Env)).not.toMatch(/xares-proxy|[0-9a-f]{64}/);
    const privateKey = await execInWorkspace(ws, ['sh', '-c', 'grep -rl "PRIVATE KEY" /etc/xares /etc/ssl/certs 2>/dev/null || true']);
    expect(privateKey.stdout.trim()).toBe('');
  });

  it('records a streamed chat completion with model, messages, answer and usage, the key redacted', async () => {
    const question = `What is ${nonce}?`;
    const body = JSON.stringify({ model: 'gpt-fake', stream: true, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }] });
    const sent = await inWorkspace(
      ws,
      `curl -s -N -m 20 https://api.openai.com/v1/chat/completions -H 'content-type: application/json' -H 'Authorization: Bearer ${apiKey}' --data '${body}'`,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('data: [DONE]');
    const conversation = await pollUntil(
      async () => {
        const response = await t.api('GET', `/api/projects/${ws}/llm-conversations`);
        return response.body.conversations?.find((c: { messages: Array<{ content: string }> }) => c.messages.some((m) => m.content.includes(nonce)));
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the conversation recorded' },
    );
    expect(conversation.model).toBe('gpt-fake');
    expect(conversation.provider).toBe('openai');
    expect(conversation.streamed).toBe(true);
    expect(conversation.answer).toBe('Hello from the fake OpenAI stream.');
    expect(conversation.usage).toEqual({ inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    expect(conversation.messages.map((m: { role: string }) => m.role)).toContain('user');
    const all = await t.api('GET', `/api/projects/${ws}/llm-conversations`);
    expect(JSON.stringify(all.body)).not.toContain(apiKey);
    // Nor in what is stored.
    const db = new Database(path.join(t.dataDir, DATABASE_FILE_NAME), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT record FROM llm_conversations WHERE project_id = ?').all(ws) as Array<{ record: string }>;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.record).not.toContain(apiKey);
      expect(rows.some((row) => row.record.includes('[redacted]'))).toBe(true);
    } finally {
      db.close();
    }
    // The documentation has the prompt and the answer.
    const doc = await t.api('POST', `/api/projects/${ws}/generate-documentation`, { format: 'markdown', type: 'detailed' });
    expect(doc.status).toBe(200);
    expect(doc.body.documentation).toContain(nonce);
    expect(doc.body.documentation).toContain('Hello from the fake OpenAI stream.');
  });

  it('lists the API host under "AI APIs" with its count', async () => {
    const domains = await pollUntil(
      async () => {
        const response = await t.api('GET', `/api/projects/${ws}/recorded-domains`);
        return response.body.domains?.['api.openai.com'] ? response.body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: 'api.openai.com recorded' },
    );
    expect(domains.domains['api.openai.com'].count).toBeGreaterThanOrEqual(1);
    expect(domains.categorized['AI APIs'].map((d: { domain: string }) => d.domain)).toContain('api.openai.com');
    expect(domains.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Not the security workspace's business.
    expect((await t.api('GET', `/api/projects/${sec}/recorded-domains`)).status).toBe(404);
  });

  it('deletes a conversation by its identifier and refuses a traversal', async () => {
    const list = await t.api('GET', `/api/projects/${ws}/llm-conversations`);
    const id = list.body.conversations[0].timestamp as string;
    const traversal = await t.api('DELETE', `/api/projects/${ws}/llm-conversations/..%2F..%2F${id}`);
    expect(traversal.status).toBe(400);
    const other = await t.api('DELETE', `/api/projects/${sec}/llm-conversations/${id}`);
    expect(other.status).toBe(404);
    const deleted = await t.api('DELETE', `/api/projects/${ws}/llm-conversations/${id}`);
    expect(deleted.status).toBe(200);
    const after = await t.api('GET', `/api/projects/${ws}/llm-conversations`);
    expect(after.body.conversations.map((c: { timestamp: string }) => c.timestamp)).not.toContain(id);
  });

  it('reaches nothing but mitmproxy: no direct egress, not squid, not the host', async () => {
    const network = t.server.network!;
    const egress = network.networks.name('egress-mitm');
    const fakeIp = (await docker.getContainer(fakeName).inspect()).NetworkSettings.Networks?.[egress]?.IPAddress;
    expect(fakeIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const direct = await execInWorkspace(ws, ['curl', '-s', '-o', '/dev/null', '-m', '3', '--noproxy', '*', `http://${fakeIp}/`]);
    expect(direct.code).toBe(28);
    const squidAddress = (await network.squid.running())?.address;
    expect(squidAddress).toBeTruthy();
    const toSquid = await execInWorkspace(ws, ['curl', '-s', '-o', '/dev/null', '-m', '3', '--noproxy', '*', `http://${squidAddress}:3128/`]);
    expect(toSquid.code).toBe(28);
    const ipam = (await docker.getNetwork(network.networks.name('logging')).inspect()).IPAM as { Config: Array<{ Gateway: string }> };
    const toHost = await execInWorkspace(ws, ['curl', '-s', '-o', '/dev/null', '-m', '3', '--noproxy', '*', `http://${ipam.Config[0]!.Gateway}:${t.port}/`]);
    expect(toHost.code).toBe(28);
    // The security workspace cannot use the logging proxy either (another network).
    const mitmAddress = (await network.mitmproxy.running())?.address;
    const fromSecurity = await execInWorkspace(sec, ['curl', '-s', '-o', '/dev/null', '-m', '3', '--noproxy', '*', `http://${mitmAddress}:8080/`]);
    expect(fromSecurity.code).toBe(28);
  });
});
