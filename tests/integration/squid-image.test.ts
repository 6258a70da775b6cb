// The squid image (resources/images/squid) on the real engine: on a user-defined network with two fake
// upstream web servers under the aliases `allowed.test` and `blocked.test`, a client container gets the
// allowed one through squid (200, its content) and a 403 for the other and for an IP literal; a new whitelist
// file applied with `squid -k reconfigure` (docker exec; squid runs under tini, not as PID 1) takes effect;
// the access log has a `TCP_DENIED/403` line for blocked.test with the client's address. The whitelist file
// is the whitelist service's own rendering (renderSquidWhitelistAcl).
// All traffic stays inside the test network: requests run in the client container (docker exec).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureProxyImage,
  PROXY_USERS_FILE,
  SQUID_ACCESS_LOG,
  SQUID_PORT,
  SQUID_RECONFIGURE_COMMAND,
  SQUID_WHITELIST_ACL,
  SQUID_WHITELIST_FILE,
} from '../../server/images/proxy-images.js';
import { renderSquidWhitelistAcl, SQUID_WHITELIST_ACL as RENDERED_ACL } from '../../server/services/whitelist.js';
import { newProxySecret, renderHtpasswd } from '../../server/proxies/proxy-users.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../../server/runtime/workspace-runtime.js';
import { execInContainer, newInstanceId, pollUntil, testDocker, testWorkspaceImage } from '../helpers/server.js';

const docker = testDocker();
const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
const instanceId = newInstanceId();
const labels = { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: instanceId };
const networkName = `xares-test-squid-${instanceId}`;
const names = {
  squid: `xares-squid-${instanceId}`,
  allowed: `fake-allowed-${instanceId}`,
  blocked: `fake-blocked-${instanceId}`,
  client: `xares-squid-client-${instanceId}`,
};
const nonce = randomBytes(6).toString('hex');
/** The client's proxy credential (a project id and a secret, as the app makes them). */
const proxyUser = 'squidtest' + randomBytes(2).toString('hex').slice(0, 3);
const proxySecret = newProxySecret();

/** Writes `content` to the absolute `file` in the container (created or running) via a tar archive. */
async function writeFile(container: string, file: string, content: string): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: path.posix.basename(file), mode: 0o644, uid: 0, gid: 0 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await docker.getContainer(container).putArchive(Buffer.concat(chunks), { path: path.posix.dirname(file) });
}

/** Runs `cmd` in a container; resolves to its stdout, stderr and exit code. */
async function execIn(container: string, cmd: string[], user?: string): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  const { stdout, stderr, code } = await execInContainer(container, cmd, user ? { user } : {}, docker);
  return { stdout, stderr, exitCode: code };
}

/** GET `url` through squid from the client container (with the credential unless `anonymous`); resolves to the status and body. */
async function viaSquid(url: string, anonymous = false): Promise<{ status: number; body: string }> {
  const proxy = anonymous ? `http://squid:${SQUID_PORT}` : `http://${proxyUser}:${proxySecret}@squid:${SQUID_PORT}`;
  const { stdout } = await execIn(names.client, ['curl', '-s', '--max-time', '10', '-x', proxy, '-w', '\n%{http_code}', url]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** Creates and starts a container on the test network under `aliases`. */
async function run(name: string, image: string, cmd: string[], aliases: string[], beforeStart?: () => Promise<void>): Promise<void> {
  await docker.createContainer({
    name,
    Image: image,
    Cmd: cmd,
    Labels: labels,
    HostConfig: { NetworkMode: networkName, CapDrop: ['NET_RAW'] },
    NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: aliases } } },
  });
  await beforeStart?.();
  await docker.getContainer(name).start();
}

/** A python http.server on port 8000 answering `/` with `content`. */
function fakeWebServer(content: string): string[] {
  return ['sh', '-c', `mkdir -p /tmp/www && echo '${content}' > /tmp/www/index.html && exec python3 -m http.server 8000 --directory /tmp/www`];
}

async function cleanUp(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
}

let squidTag: string;

beforeAll(async () => {
  // `npm run images` builds it; built here too when missing so the test runs on its own (~45 s cold).
  squidTag = (await ensureProxyImage(docker, 'squid', { resourcesDir })).tag;
  const workspaceImage = testWorkspaceImage();
  await docker.createNetwork({ Name: networkName, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  await Promise.all([
    run(names.allowed, workspaceImage, fakeWebServer(`allowed-${nonce}`), ['allowed.test']),
    run(names.blocked, workspaceImage, fakeWebServer(`blocked-${nonce}`), ['blocked.test']),
    run(names.client, workspaceImage, ['sleep', 'infinity'], []),
    run(names.squid, squidTag, [], ['squid'], async () => {
      await writeFile(names.squid, SQUID_WHITELIST_FILE, renderSquidWhitelistAcl(['.allowed.test']));
      await writeFile(names.squid, PROXY_USERS_FILE, renderHtpasswd([{ user: proxyUser, secret: proxySecret }]));
    }),
  ]);
}, 300_000);

afterAll(async () => {
  await cleanUp();
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId}`] } });
  expect(left).toHaveLength(0);
});

describe('squid image', () => {
  it('names the same whitelist ACL as the whitelist service renders', () => {
    expect(RENDERED_ACL).toBe(SQUID_WHITELIST_ACL);
  });

  it('allows only whitelisted hosts, applies a new whitelist on reconfigure and logs denials with the client address', async () => {
    // Squid and the fake server up: the whitelisted host answers with its content through the proxy.
    const allowed = await pollUntil(
      async () => {
        const response = await viaSquid('http://allowed.test:8000/');
        return response.status === 200 ? response : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'allowed.test through squid' },
    );
    expect(allowed.body.trim()).toBe(`allowed-${nonce}`);

    // Without the credential (or with a wrong one): 407, even for a whitelisted host.
    expect((await viaSquid('http://allowed.test:8000/', true)).status).toBe(407);

    // The other host exists on the network but is not whitelisted.
    const blocked = await viaSquid('http://blocked.test:8000/');
    expect(blocked.status).toBe(403);
    expect(blocked.body).not.toContain(`blocked-${nonce}`);

    // An IP literal is not a whitelisted name, even when it is the whitelisted host's address.
    const allowedIp = (await docker.getContainer(names.allowed).inspect()).NetworkSettings.Networks[networkName]?.IPAddress;
    expect(allowedIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await viaSquid(`http://${allowedIp}:8000/`)).status).toBe(403);

    // The access log: squid's native format, `time duration client result/status bytes method URL ...`.
    const clientIp = (await docker.getContainer(names.client).inspect()).NetworkSettings.Networks[networkName]?.IPAddress;
    expect(clientIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const denied = await pollUntil(
      async () => {
        const { stdout } = await execIn(names.squid, ['cat', SQUID_ACCESS_LOG]);
        return stdout
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .find((fields) => fields[3] === 'TCP_DENIED/403' && fields[6] === 'http://blocked.test:8000/');
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'TCP_DENIED/403 line for blocked.test in the access log' },
    );
    expect(denied[0]).toMatch(/^\d{10}\.\d{3}$/); // epoch seconds with milliseconds
    expect(denied[1]).toMatch(/^\d+$/); // duration in ms
    expect(denied[2]).toBe(clientIp);
    expect(denied[4]).toMatch(/^\d+$/); // bytes sent to the client
    expect(denied[5]).toBe('GET');
    expect(denied[7]).toBe(proxyUser); // the verified proxy user: how the app attributes a line to a workspace

    // Squid runs under an init, so its PID file names a signalable process.
    const pid = (await execIn(names.squid, ['cat', '/run/squid.pid'])).stdout.trim();
    expect(Number(pid)).toBeGreaterThan(1);

    // Swap the whitelist and reconfigure in place: now blocked.test is allowed and allowed.test denied.
    await writeFile(names.squid, SQUID_WHITELIST_FILE, renderSquidWhitelistAcl(['.blocked.test']));
    const reconfigure = await execIn(names.squid, [...SQUID_RECONFIGURE_COMMAND]);
    expect(reconfigure.exitCode, reconfigure.stderr).toBe(0);
    const nowAllowed = await pollUntil(
      async () => {
        const response = await viaSquid('http://blocked.test:8000/');
        return response.status === 200 ? response : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, description: 'blocked.test allowed after reconfigure' },
    );
    expect(nowAllowed.body.trim()).toBe(`blocked-${nonce}`);
    expect((await viaSquid('http://allowed.test:8000/')).status).toBe(403);

    // Same squid process, still running (reconfigure does not restart the container).
    expect((await execIn(names.squid, ['cat', '/run/squid.pid'])).stdout.trim()).toBe(pid);
    expect((await docker.getContainer(names.squid).inspect()).State.Running).toBe(true);
  });
});
