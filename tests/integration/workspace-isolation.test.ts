// Workspaces cannot reach each other on the real engine: every workspace container sits on our own bridge
// network with inter-container communication off, alone (not on the default `bridge`). Probes run inside the
// containers (docker exec), never from the host to container addresses: A cannot open B's code-server by
// container IP, nor B's loopback-published port through the gateway, while A's own code-server answers and
// names still resolve. A container left on the default bridge (as older versions made them) is moved at its next
// start and still served through the router; racing runtimes create the network once.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, ICC_OPTION, LABEL_NETWORK_ROLE, WORKSPACE_NETWORK } from '../../server/runtime/docker-runtime.js';
import { CODE_SERVER_PORT, LABEL_MANAGED } from '../../server/runtime/workspace-runtime.js';
import { execInWorkspace, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;
let a: string;
let b: string;

/** Runs `cmd` in the workspace container as the workspace user; resolves to its stdout. */
async function execIn(id: string, cmd: string[]): Promise<string> {
  return (await execInWorkspace(id, cmd)).stdout;
}

// Prints `connected`, `timeout` (3 s) or `error:<code>` for a TCP connect to argv[1]:argv[2].
const PROBE = `const s=require('net').connect(Number(process.argv[2]),process.argv[1]);
const done=(r)=>{console.log(r);s.destroy();process.exit(0)};
s.setTimeout(3000,()=>done('timeout'));s.on('connect',()=>done('connected'));s.on('error',(e)=>done('error:'+e.code));`;

/** TCP connect from inside workspace `from` to `host:port`; resolves to the probe's verdict. */
async function probe(from: string, host: string, port: number): Promise<string> {
  return (await execIn(from, ['node', '-e', PROBE, host, String(port)])).trim();
}

async function networksOf(id: string) {
  return (await docker.getContainer(`workspace-${id}`).inspect()).NetworkSettings.Networks;
}

/** GET through our router with an explicit Host (fetch cannot set it); resolves to the status. */
function viaRouter(id: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: t.port, path, agent: false, headers: { host: `${id}.localhost:${t.port}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await startTestServer();
  const ids: string[] = [];
  for (const name of ['Isolated A', 'Isolated B']) {
    const created = await t.api('POST', '/api/projects/create', { projectName: name, projectType: 'empty' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    ids.push(created.body.project.id);
  }
  [a, b] = ids as [string, string];
  for (const id of ids) await t.waitForStatus(id, 'running');
  // code-server listening in both (the probes below are about the network, not a slow start).
  for (const id of ids) await pollUntil(async () => (await probe(id, '127.0.0.1', CODE_SERVER_PORT)) === 'connected', { timeoutMs: 60_000, intervalMs: 500, description: `code-server in ${id}` });
});

afterAll(async () => {
  await t?.dispose();
});

describe('workspace network isolation', () => {
  it('puts workspaces on our network alone, with inter-container communication off', async () => {
    for (const id of [a, b]) expect(Object.keys(await networksOf(id))).toEqual([WORKSPACE_NETWORK]);
    const network = await docker.getNetwork(WORKSPACE_NETWORK).inspect();
    expect(network.Driver).toBe('bridge');
    expect(network.Options?.[ICC_OPTION]).toBe('false');
    expect(network.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_NETWORK_ROLE]: 'workspaces' });
    // Loopback-only publication: nothing bound on 0.0.0.0 the gateway address would reach.
    const info = await docker.getContainer(`workspace-${a}`).inspect();
    expect(info.HostConfig.PortBindings?.[`${CODE_SERVER_PORT}/tcp`]).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
    expect(info.NetworkSettings.Ports[`${CODE_SERVER_PORT}/tcp`]?.every((binding) => binding.HostIp === '127.0.0.1')).toBe(true);
  });

  it("keeps A away from B's code-server (container IP and gateway), while A's own code-server and DNS work", async () => {
    const aNet = (await networksOf(a))[WORKSPACE_NETWORK]!;
    const bNet = (await networksOf(b))[WORKSPACE_NETWORK]!;
    expect(bNet.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(bNet.IPAddress).not.toBe(aNet.IPAddress);
    const bInfo = await docker.getContainer(`workspace-${b}`).inspect();
    const bHostPort = Number(bInfo.NetworkSettings.Ports[`${CODE_SERVER_PORT}/tcp`]?.[0]?.HostPort);
    expect(bHostPort).toBeGreaterThan(0);

    // Both directions, by container IP: dropped by the engine (timeout), never connected.
    expect(await probe(a, bNet.IPAddress, CODE_SERVER_PORT)).toMatch(/^(timeout|error:)/);
    expect(await probe(b, aNet.IPAddress, CODE_SERVER_PORT)).toMatch(/^(timeout|error:)/);
    // B's published port is bound to the host's loopback only: not reachable through A's gateway address.
    expect(await probe(a, aNet.Gateway, bHostPort)).toMatch(/^(timeout|error:)/);
    // A itself is fine: its own code-server on loopback and on its own address, and name resolution.
    expect(await probe(a, '127.0.0.1', CODE_SERVER_PORT)).toBe('connected');
    expect(await probe(a, aNet.IPAddress, CODE_SERVER_PORT)).toBe('connected');
    expect(await execIn(a, ['getent', 'hosts', 'registry.npmjs.org'])).toMatch(/registry\.npmjs\.org/);
  });

  it('moves a container left on the default bridge onto our network at its next start', async () => {
    expect((await t.api('POST', `/api/projects/${b}/stop`, {})).status).toBe(200);
    // As an older version made it: on `bridge` only.
    const name = `workspace-${b}`;
    await docker.getNetwork('bridge').connect({ Container: name });
    await docker.getNetwork(WORKSPACE_NETWORK).disconnect({ Container: name, Force: true });
    expect(Object.keys(await networksOf(b))).toEqual(['bridge']);

    const started = await t.api('POST', `/api/projects/${b}/start`);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(Object.keys(await networksOf(b))).toEqual([WORKSPACE_NETWORK]);
    // Served through the router on its (new) published port, and isolated from A again.
    await pollUntil(async () => (await viaRouter(b, '/healthz')) === 200, { timeoutMs: 60_000, intervalMs: 250, description: 'B through the router' });
    const bIp = (await networksOf(b))[WORKSPACE_NETWORK]!.IPAddress;
    expect(await probe(a, bIp, CODE_SERVER_PORT)).toMatch(/^(timeout|error:)/);
  });

  it('creates the network once when several runtimes race for it', async () => {
    const networkName = `xares-isolation-test-${randomBytes(4).toString('hex')}`;
    try {
      const runtimes = Array.from({ length: 4 }, () => new DockerRuntime({ instanceId: t.instanceId, networkName }));
      const ids = await Promise.all(runtimes.map((runtime) => runtime.ensureNetwork()));
      expect(new Set(ids).size).toBe(1);
      const listed = (await docker.listNetworks({ filters: { name: [networkName] } })).filter((n) => n.Name === networkName);
      expect(listed.map((n) => n.Id)).toEqual([ids[0]]);
      expect(listed[0]!.Options?.[ICC_OPTION]).toBe('false');
      // Memoised, and found again by a fresh runtime.
      expect(await runtimes[0]!.ensureNetwork()).toBe(ids[0]);
      expect(await new DockerRuntime({ instanceId: t.instanceId, networkName }).ensureNetwork()).toBe(ids[0]);
    } finally {
      const left = (await docker.listNetworks({ filters: { name: [networkName] } })).filter((n) => n.Name === networkName);
      for (const n of left) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  });

  it('starts a stopped container whose network was removed meanwhile (made again, isolated), never reporting it gone', async () => {
    const networkName = `xares-isolation-test-${randomBytes(4).toString('hex')}`;
    const projectId = `isol${randomBytes(4).toString('hex')}`;
    const runtime = new DockerRuntime({ instanceId: t.instanceId, networkName });
    try {
      await runtime.create({ projectId, image: t.config.workspaceImage as string, env: {}, memoryBytes: null, nanoCpus: null, pidsLimit: null, command: ['sleep', '300'] });
      const firstId = await runtime.ensureNetwork();
      // Removed behind our back while the container is stopped (the engine allows that), as `docker network prune` would.
      await docker.getNetwork(firstId).remove();
      const started = await runtime.start(projectId);
      expect(started.running).toBe(true);
      expect(started.hostPort).toBeGreaterThan(0);
      const secondId = await runtime.ensureNetwork();
      expect(secondId).not.toBe(firstId);
      const info = await docker.getContainer(`workspace-${projectId}`).inspect();
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([networkName]);
      expect(info.NetworkSettings.Networks[networkName]!.NetworkID).toBe(secondId);
      expect((await docker.getNetwork(secondId).inspect()).Options?.[ICC_OPTION]).toBe('false');
    } finally {
      await runtime.remove(projectId).catch(() => undefined);
      const left = (await docker.listNetworks({ filters: { name: [networkName] } })).filter((n) => n.Name === networkName);
      for (const n of left) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  });
});
