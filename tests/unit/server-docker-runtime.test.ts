// Pure parts of the Docker runtime: DOCKER_HOST parsing, event lines, stats arithmetic, choice of the
// workspace network and the moves that isolate an older container.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  ICC_OPTION,
  LABEL_NETWORK_ROLE,
  WORKSPACE_NETWORK,
  dockerOptionsFromHost,
  isolationPlan,
  parseEngineEvent,
  pickWorkspaceNetwork,
  statsFromDocker,
} from '../../server/runtime/docker-runtime.js';

describe('dockerOptionsFromHost', () => {
  it('maps DOCKER_HOST forms to dockerode options', () => {
    expect(dockerOptionsFromHost(undefined)).toEqual({});
    expect(dockerOptionsFromHost('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptionsFromHost('tcp://10.1.2.3:2375')).toEqual({ protocol: 'http', host: '10.1.2.3', port: 2375 });
    expect(dockerOptionsFromHost('https://docker.example:2376')).toEqual({ protocol: 'https', host: 'docker.example', port: 2376 });
    expect(dockerOptionsFromHost('npipe:////./pipe/docker_engine')).toEqual({ socketPath: '\\\\.\\pipe\\docker_engine' });
    expect(() => dockerOptionsFromHost('ftp://x')).toThrow();
  });
});

describe('parseEngineEvent', () => {
  it('reads container events of ours and ignores the rest', () => {
    const line = JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { 'xares.project-id': 'abcdefghijkl', exitCode: '0' } } });
    expect(parseEngineEvent(line)).toEqual({ projectId: 'abcdefghijkl', containerId: 'c1', action: 'die' });
    const health = JSON.stringify({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'c1', Attributes: { 'xares.project-id': 'p' } } });
    expect(parseEngineEvent(health)?.action).toBe('health_status');
    expect(parseEngineEvent(JSON.stringify({ Type: 'network', Action: 'connect', Actor: { Attributes: { 'xares.project-id': 'p' } } }))).toBeNull();
    expect(parseEngineEvent(JSON.stringify({ Type: 'container', Action: 'start', Actor: { Attributes: {} } }))).toBeNull();
    expect(parseEngineEvent('not json')).toBeNull();
  });
});

describe('statsFromDocker', () => {
  it('computes CPU% and memory like docker stats', () => {
    const stats = {
      cpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 10_000_000_000 },
      memory_stats: { usage: 300 * 1024 * 1024, limit: 2 * 1024 ** 3, stats: { inactive_file: 100 * 1024 * 1024 } },
    } as unknown as Docker.ContainerStats;
    const result = statsFromDocker(stats);
    expect(result.cpuPercent).toBeCloseTo(40, 5);
    expect(result.memoryBytes).toBe(200 * 1024 * 1024);
    expect(result.memoryLimitBytes).toBe(2 * 1024 ** 3);
  });
  it('gives 0% without a previous sample', () => {
    const stats = {
      cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 1 },
      precpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: {},
    } as unknown as Docker.ContainerStats;
    expect(statsFromDocker(stats)).toEqual({ cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0 });
  });
});

describe('pickWorkspaceNetwork', () => {
  const ours = { [LABEL_NETWORK_ROLE]: 'workspaces' };
  const isolated = { [ICC_OPTION]: 'false' };
  it('finds none, or the oldest of that exact name (racing creators settle on one)', () => {
    expect(pickWorkspaceNetwork([])).toBeNull();
    expect(pickWorkspaceNetwork([{ Id: 'x', Name: `${WORKSPACE_NETWORK}-other`, Options: isolated }])).toBeNull();
    const picked = pickWorkspaceNetwork([
      // The engine cuts trailing zeros of the fraction: .5 is later than .12345, which text order alone gets wrong.
      { Id: 'b', Name: WORKSPACE_NETWORK, Created: '2026-12-01T21:00:00.5Z', Options: isolated, Labels: ours },
      { Id: 'a', Name: WORKSPACE_NETWORK, Created: '2026-12-01T21:00:00.12345Z', Options: isolated, Labels: ours },
      { Id: 'c', Name: WORKSPACE_NETWORK, Created: '2026-12-01T21:00:01Z', Options: isolated, Labels: {} },
    ]);
    expect(picked).toEqual({ id: 'a', duplicates: ['b'] });
  });
  it('refuses a network of that name that lets containers talk to each other', () => {
    expect(() => pickWorkspaceNetwork([{ Id: 'a', Name: WORKSPACE_NETWORK, Options: {} }])).toThrow(/enable_icc/);
    expect(() => pickWorkspaceNetwork([{ Id: 'a', Name: WORKSPACE_NETWORK, Options: { [ICC_OPTION]: 'true' }, Labels: ours }])).toThrow();
  });
});

describe('isolationPlan', () => {
  it('moves a container off the default bridge onto the workspace network alone', () => {
    expect(isolationPlan({ bridge: { NetworkID: 'n1' } })).toEqual({ connect: true, disconnect: [{ name: 'bridge', id: 'n1' }] });
    expect(isolationPlan({ [WORKSPACE_NETWORK]: { NetworkID: 'w' }, bridge: {} })).toEqual({ connect: false, disconnect: [{ name: 'bridge', id: 'bridge' }] });
    expect(isolationPlan({ [WORKSPACE_NETWORK]: { NetworkID: 'w' } })).toEqual({ connect: false, disconnect: [] });
    expect(isolationPlan({})).toEqual({ connect: true, disconnect: [] });
  });
});
