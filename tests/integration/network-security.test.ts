/**
 * Security Proxy end to end (issue #5), on the real engine with the real squid image: two `security` workspaces
 * and one `none` workspace made through the API. From inside the workspaces: a whitelisted host answers through
 * squid, another gets 403 and shows as TCP_DENIED/403 in that workspace's squid logs only; nothing else is
 * reachable (no direct egress, no other workspace, no host, no logging proxy); a whitelist change applies to the
 * running squid; a squid removed behind the app's back comes back with the whitelist and users.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResponse } from '../../server/contract/index.js';
import { DEFAULT_RESOURCES_DIR } from '../../server/config.js';
import { guardChains } from '../../server/proxies/netguard.js';
import { proxyImageTags } from '../../server/proxies/proxy-image-setup.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../../server/runtime/workspace-runtime.js';
import { execInContainer, execInWorkspace, pollUntil, startTestServer, testDocker, testWorkspaceImage, type TestServer } from '../helpers/server.js';

const docker = testDocker();
const nonce = randomBytes(6).toString('hex');
let t: TestServer;
let secA: string;
let secB: string;
let open: string;

/** A python http.server on port 80 of the squid egress network, answering `/` with `content`, under `alias`. */
async function fakeUpstream(name: string, alias: string, content: string, network: string): Promise<void> {
  await docker.createContainer({
    name,
    Image: testWorkspaceImage(),
    User: 'root',
    Entrypoint: ['sh', '-c', `mkdir -p /tmp/www && echo '${content}' > /tmp/www/index.html && exec python3 -m http.server 80 --directory /tmp/www`],
    Labels: { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: t.instanceId },
    HostConfig: { NetworkMode: network, CapDrop: ['NET_RAW'] },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [alias] } } },
  });
  await docker.getContainer(name).start();
}

/** Runs a shell snippet in a workspace as `coder` with its proxy settings loaded, as code-server's terminals have them. */
function inWorkspace(projectId: string, script: string) {
  return execInWorkspace(projectId, ['sh', '-c', `set -a; . /etc/xares/proxy.env; set +a; ${script}`]);
}

/** HTTP status of `url` fetched with curl in the workspace (000 when no answer within `seconds`). */
async function statusFrom(projectId: string, url: string, extra = '', seconds = 5): Promise<string> {
  const result = await inWorkspace(projectId, `curl -s -o /dev/null -m ${seconds} -w '%{http_code}' ${extra} '${url}' || true`);
  return result.stdout.trim().slice(-3);
}

/**
 * curl's exit code for `url` fetched directly (no proxy) from the workspace: 28 = no answer at all within
 * `seconds` (dropped); 7 = refused (the packet got there); 0 = answered.
 */
async function directCurlExit(projectId: string, url: string, seconds = 3): Promise<number> {
  const result = await execInWorkspace(projectId, ['curl', '-s', '-o', '/dev/null', '-m', String(seconds), '--noproxy', '*', url]);
  return result.code;
}

/** Runs the netguard helper image with `command` (show/remove) for this instance's chains; resolves its output. */
async function runNetguard(command: 'show' | 'remove', chains: { forward: string; input: string }): Promise<string> {
  const image = proxyImageTags(DEFAULT_RESOURCES_DIR).netguard;
  const container = await docker.createContainer({
    Image: image,
    Cmd: [command],
    Env: [`XARES_FORWARD_CHAIN=${chains.forward}`, `XARES_INPUT_CHAIN=${chains.input}`],
    Labels: { [LABEL_INSTANCE]: t.instanceId },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'NET_RAW'], CapDrop: ['ALL'] },
  });
  try {
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    return logs.toString('utf8');
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

async function ipOf(container: string, network: string): Promise<string> {
  const info = await docker.getContainer(container).inspect();
  return info.NetworkSettings.Networks?.[network]?.IPAddress ?? '';
}

beforeAll(async () => {
  t = await startTestServer({}, { networkControl: { healthIntervalMs: 1_000 } });
  const network = t.server.network!;
  expect(network).toBeTruthy();
  const egress = network.networks.name('egress-squid');
  await network.networks.ensure('egress-squid');
  await Promise.all([
    fakeUpstream(`fake-allowed-${t.instanceId}`, 'allowed.test', `allowed-${nonce}`, egress),
    fakeUpstream(`fake-blocked-${t.instanceId}`, 'blocked.test', `blocked-${nonce}`, egress),
  ]);
  expect((await t.api('PUT', '/api/whitelist', { domains: ['allowed.test'] })).status).toBe(200);
  const made = await Promise.all(
    [
      { projectName: `sec-a-${nonce}`, proxyMode: 'security' },
      { projectName: `sec-b-${nonce}`, proxyMode: 'security' },
      { projectName: `open-${nonce}`, proxyMode: 'none' },
    ].map((body) => t.api('POST', '/api/projects/create', { ...body, projectType: 'empty' })),
  );
  for (const response of made) expect(response.status, JSON.stringify(response.body)).toBe(201);
  [secA, secB, open] = made.map((r) => r.body.project.id as string) as [string, string, string];
  await Promise.all([secA, secB, open].map((id) => t.waitForStatus(id, 'running', 180_000)));
}, 600_000);

afterAll(async () => {
  await t?.dispose();
  const left = await docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${t.instanceId}`] } });
  expect(left).toHaveLength(0);
}, 120_000);

describe('security proxy mode', () => {
  it('is offered by the server', async () => {
    const { config } = ConfigResponse.parse((await t.api('GET', '/api/config')).body);
    expect(config.features).toMatchObject({ securityProxy: true, loggingProxy: true });
  });

  it('lets a whitelisted host answer through squid and denies the rest with 403', async () => {
    const body = await pollUntil(
      async () => {
        const result = await inWorkspace(secA, 'curl -s -m 5 http://allowed.test/');
        return result.stdout.includes(`allowed-${nonce}`) ? result.stdout : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'allowed.test through squid' },
    );
    expect(body).toContain(`allowed-${nonce}`);
    expect(await statusFrom(secA, 'http://blocked.test/')).toBe('403');
    // An IP literal is not a whitelisted host name either.
    const upstreamIp = await ipOf(`fake-allowed-${t.instanceId}`, t.server.network!.networks.name('egress-squid'));
    expect(await statusFrom(secA, `http://${upstreamIp}/`)).toBe('403');
  });

  it('keeps the proxy credential out of the container environment and refuses requests without it', async () => {
    const info = await docker.getContainer(`workspace-${secA}`).inspect();
    expect(JSON.stringify(info.Config.Env)).not.toMatch(/xares-proxy|[0-9a-f]{64}/);
    const anonymous = await execInWorkspace(secA, ['sh', '-c', "curl -s -o /dev/null -m 5 -w '%{http_code}' -x http://xares-proxy:3128 http://allowed.test/ || true"]);
    expect(anonymous.stdout.trim()).toBe('407');
    // Another workspace's user name with a wrong secret gets nowhere either.
    const forged = await execInWorkspace(secA, [
      'sh',
      '-c',
      `curl -s -o /dev/null -m 5 -w '%{http_code}' -x http://${secB}:${'0'.repeat(64)}@xares-proxy:3128 http://allowed.test/ || true`,
    ]);
    expect(forged.stdout.trim()).toBe('407');
  });

  it("shows a denial in that workspace's squid logs and in no other's", async () => {
    const marker = `deny-${nonce}`;
    expect(await statusFrom(secA, `http://blocked.test/${marker}`)).toBe('403');
    const logs = await pollUntil(
      async () => {
        const response = await t.api('GET', `/api/projects/${secA}/squid-logs?lines=200`);
        return response.status === 200 && JSON.stringify(response.body).includes(marker) ? response.body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: 'denied line in the squid logs' },
    );
    const line = logs.logs.find((entry: { url: string }) => entry.url.includes(marker));
    expect(line.status).toBe('TCP_DENIED/403');
    expect(line.method).toBe('GET');
    expect(line.clientIP).toBe(await ipOf(`workspace-${secA}`, t.server.network!.networks.name('security')));
    const other = await t.api('GET', `/api/projects/${secB}/squid-logs?lines=500`);
    expect(other.status).toBe(200);
    expect(JSON.stringify(other.body)).not.toContain(marker);
    // A workspace without the security proxy has no squid logs (the contract's 404).
    const none = await t.api('GET', `/api/projects/${open}/squid-logs`);
    expect(none.status).toBe(404);
    expect(none.body.message).toBe('Workspace not found or not using proxy');
  });

  it('reaches nothing but squid: no direct egress, no other workspace, no host, no logging proxy', async () => {
    const egress = t.server.network!.networks.name('egress-squid');
    const upstreamIp = await ipOf(`fake-allowed-${t.instanceId}`, egress);
    // Direct to the upstream's address, bypassing the proxy.
    expect(await directCurlExit(secA, `http://${upstreamIp}/`)).toBe(28);
    // Names outside Docker do not even resolve.
    const dns = await inWorkspace(secA, 'timeout 4 getent hosts deb.debian.org >/dev/null && echo resolved || echo none');
    expect(dns.stdout.trim()).toBe('none');
    // The other security workspace's code-server, and the none workspace's.
    const security = t.server.network!.networks.name('security');
    expect(await directCurlExit(secA, `http://${await ipOf(`workspace-${secB}`, security)}:13337/healthz`)).toBe(28);
    const info = await docker.getContainer(`workspace-${open}`).inspect();
    const openIp = Object.values(info.NetworkSettings.Networks ?? {})[0]?.IPAddress ?? '';
    expect(openIp).not.toBe('');
    expect(await directCurlExit(secA, `http://${openIp}:13337/healthz`)).toBe(28);
    // The host through the bridge gateway: dropped (not even refused), on the app's port and any other.
    const ipam = (await docker.getNetwork(security).inspect()).IPAM as { Config: Array<{ Gateway: string }> };
    const gateway = ipam.Config[0]!.Gateway;
    expect(await directCurlExit(secA, `http://${gateway}:${t.port}/api/health`)).toBe(28);
    expect(await directCurlExit(secA, `http://${gateway}:9/`)).toBe(28);
    // The logging proxy is on another network; its port is not reachable from here.
    const mitmAlias = await inWorkspace(secA, "curl -s -o /dev/null -m 3 -w '%{http_code}' -x http://xares-proxy:8080 http://allowed.test/ || true");
    expect(mitmAlias.stdout.trim().slice(-3)).toBe('000');
    // Meanwhile the none workspace has its normal egress (Debian's mirror is reachable from this machine).
    const fromOpen = await execInContainer(`workspace-${open}`, ['sh', '-c', "curl -s -o /dev/null -m 15 -w '%{http_code}' http://deb.debian.org/debian/ || true"], { user: 'coder' });
    expect(fromOpen.stdout.trim()).toBe('200');
  });

  it('applies a whitelist change to the running squid at once', async () => {
    expect(await statusFrom(secA, 'http://blocked.test/')).toBe('403');
    const put = await t.api('PUT', '/api/whitelist', { domains: ['allowed.test', 'blocked.test'] });
    expect(put.status).toBe(200);
    // squid re-reads its configuration in the background: the next requests see the new list.
    const body = await pollUntil(
      async () => {
        const result = await inWorkspace(secA, 'curl -s -m 5 http://blocked.test/');
        return result.stdout.includes(`blocked-${nonce}`) ? result.stdout : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'blocked.test allowed after the whitelist change' },
    );
    expect(body).toContain(`blocked-${nonce}`);
    // A rejected list leaves squid and the stored list untouched, whatever is wrong with it.
    for (const entry of ['evil.test\nhttp_access allow all', 'two words.test', 'x.test#comment', 'x.test/path', 'http://x.test', '']) {
      const bad = await t.api('PUT', '/api/whitelist', { domains: ['allowed.test', entry] });
      expect(bad.status, JSON.stringify(entry)).toBe(400);
    }
    expect((await t.api('GET', '/api/whitelist')).body.domains).toContain('.blocked.test');
    expect(await statusFrom(secA, 'http://blocked.test/')).toBe('200');
    expect((await t.server.network!.squid.exec(['squid', '-k', 'check', '-f', '/etc/squid/squid.conf'])).exitCode).toBe(0);
    expect((await t.api('PUT', '/api/whitelist', { domains: ['allowed.test'] })).status).toBe(200);
    await pollUntil(async () => ((await statusFrom(secA, 'http://blocked.test/')) === '403' ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 250,
      description: 'blocked.test denied again',
    });
  });

  it('reaches a base-domain host on the internet through squid (Debian mirror; names resolved by Docker DNS)', async () => {
    const status = await pollUntil(async () => ((await statusFrom(secA, 'http://deb.debian.org/debian/', '', 15)) === '200' ? '200' : undefined), {
      timeoutMs: 45_000,
      intervalMs: 1_000,
      description: 'deb.debian.org through squid',
    });
    expect(status).toBe('200');
  });

  it('keeps squid running with an empty list (base domains only) and with 2,000 domains', async () => {
    const empty = await t.api('PUT', '/api/whitelist', { domains: [] });
    expect(empty.status).toBe(200);
    expect(empty.body.domains).toContain('.debian.org');
    await pollUntil(async () => ((await statusFrom(secA, 'http://allowed.test/')) === '403' ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 250,
      description: 'allowed.test denied with the empty list',
    });
    const many = Array.from({ length: 1_999 }, (_, i) => `host${i}.example${i % 7}.org`);
    const big = await t.api('PUT', '/api/whitelist', { domains: [...many, 'allowed.test'] });
    expect(big.status).toBe(200);
    expect(big.body.domainCount).toBeGreaterThan(2_000);
    const body = await pollUntil(
      async () => {
        const result = await inWorkspace(secA, 'curl -s -m 5 http://allowed.test/');
        return result.stdout.includes(`allowed-${nonce}`) ? result.stdout : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'allowed.test with 2,000 domains' },
    );
    expect(body).toContain(`allowed-${nonce}`);
    const check = await t.server.network!.squid.exec(['squid', '-k', 'check', '-f', '/etc/squid/squid.conf']);
    expect(check.exitCode).toBe(0);
    expect((await t.api('PUT', '/api/whitelist', { domains: ['allowed.test'] })).status).toBe(200);
  });

  it('gives a clone its own proxy credential, never its source’s', async () => {
    const clone = await t.api('POST', `/api/projects/${secA}/clone`, { count: 1 });
    expect(clone.status, JSON.stringify(clone.body)).toBe(202);
    const cloneId = clone.body.clones[0].projectId as string;
    await t.waitForStatus(cloneId, 'running', 180_000);
    const envOf = async (id: string) => (await execInWorkspace(id, ['cat', '/etc/xares/proxy.env'])).stdout;
    const [sourceEnv, cloneEnv] = await Promise.all([envOf(secA), envOf(cloneId)]);
    const credential = (env: string) => /HTTP_PROXY=http:\/\/([a-z0-9]{12}):([0-9a-f]{64})@/.exec(env)?.slice(1);
    expect(credential(cloneEnv)?.[0]).toBe(cloneId);
    expect(credential(cloneEnv)?.[1]).not.toBe(credential(sourceEnv)?.[1]);
    const body = await pollUntil(
      async () => {
        const result = await inWorkspace(cloneId, 'curl -s -m 5 http://allowed.test/');
        return result.stdout.includes(`allowed-${nonce}`) ? result.stdout : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'allowed.test from the clone' },
    );
    expect(body).toContain(`allowed-${nonce}`);
    // Deleting the clone retires its credential.
    const secret = credential(cloneEnv)![1]!;
    expect((await t.api('DELETE', `/api/projects/${cloneId}`)).status).toBe(200);
    const users = await pollUntil(
      async () => {
        const text = (await t.server.network!.squid.exec(['cat', '/etc/xares/proxy-users'])).stdout.toString('utf8');
        return text.includes(cloneId) ? undefined : text;
      },
      { timeoutMs: 10_000, intervalMs: 250, description: 'clone user removed from the proxy users' },
    );
    expect(users).toContain(secA);
    expect(users).not.toContain(secret);
    // ... and squid refuses it within seconds (its credential cache is short).
    const retired = `http://${cloneId}:${secret}@xares-proxy:3128`;
    await pollUntil(
      async () => {
        const result = await execInWorkspace(secA, ['sh', '-c', `curl -s -o /dev/null -m 5 -w '%{http_code}' -x ${retired} http://allowed.test/ || true`]);
        return result.stdout.trim() === '407' ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: "the deleted clone's credential refused" },
    );
  });

  it('puts a clone made with proxy mode none on the normal network, with normal egress and no proxy settings', async () => {
    const clone = await t.api('POST', `/api/projects/${secA}/clone`, { count: 1, proxyMode: 'none' });
    expect(clone.status, JSON.stringify(clone.body)).toBe(202);
    const cloneId = clone.body.clones[0].projectId as string;
    const running = await t.waitForStatus(cloneId, 'running', 180_000);
    expect(running.proxyMode).toBe('none');
    const info = await docker.getContainer(`workspace-${cloneId}`).inspect();
    expect(Object.keys(info.NetworkSettings.Networks ?? {})).toEqual(['xares-workspaces']);
    expect((await execInWorkspace(cloneId, ['cat', '/etc/xares/proxy.env'])).stdout.trim()).toBe('');
    const out = await execInWorkspace(cloneId, ['sh', '-c', "curl -s -o /dev/null -m 15 -w '%{http_code}' http://deb.debian.org/debian/ || true"]);
    expect(out.stdout.trim()).toBe('200');
    expect((await t.api('DELETE', `/api/projects/${cloneId}`)).status).toBe(200);
  });

  it('installs the firewall rules again when they vanish behind its back (a firewall reload, a flush)', async () => {
    const chains = guardChains(t.instanceId);
    expect(await runNetguard('remove', chains)).toContain('removed');
    const shown = await pollUntil(
      async () => {
        const text = await runNetguard('show', chains);
        return text.includes(`-A ${chains.forward}`) && text.includes(`-A ${chains.input}`) ? text : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, description: 'rules installed again by the health check' },
    );
    expect(shown).toContain('--dport 3128 -j ACCEPT');
    // DNS is let through only to the host's resolvers, filled in by the helper.
    expect(shown).toMatch(/-d \d+\.\d+\.\d+\.\d+\/32 .*--dport 53 -j RETURN/);
    expect(shown).not.toContain('XARES_DNS');
    const upstreamIp = await ipOf(`fake-allowed-${t.instanceId}`, t.server.network!.networks.name('egress-squid'));
    expect(await directCurlExit(secA, `http://${upstreamIp}/`)).toBe(28);
  });

  it('re-creates squid with the whitelist, users and access log when it is removed behind its back', async () => {
    const marker = `before-recreate-${nonce}`;
    expect(await statusFrom(secA, `http://blocked.test/${marker}`)).toBe('403');
    await pollUntil(async () => (JSON.stringify((await t.api('GET', `/api/projects/${secA}/squid-logs?lines=500`)).body).includes(marker) ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 500,
      description: 'marker in the squid logs',
    });
    const name = t.server.network!.squid.spec.name;
    const before = (await docker.getContainer(name).inspect()).Id;
    await docker.getContainer(name).remove({ force: true });
    const body = await pollUntil(
      async () => {
        const result = await inWorkspace(secA, 'curl -s -m 3 http://allowed.test/');
        return result.stdout.includes(`allowed-${nonce}`) ? result.stdout : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, description: 'allowed.test through the re-created squid' },
    );
    expect(body).toContain(`allowed-${nonce}`);
    expect((await docker.getContainer(name).inspect()).Id).not.toBe(before);
    expect(await statusFrom(secA, 'http://blocked.test/')).toBe('403');
    // The log from before the re-creation is still there (it lives on a volume).
    expect(JSON.stringify((await t.api('GET', `/api/projects/${secA}/squid-logs?lines=500`)).body)).toContain(marker);
  });
});
