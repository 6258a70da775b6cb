// Pure parts of the Docker runtime: DOCKER_HOST parsing, event lines, stats arithmetic.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { dockerOptionsFromHost, parseEngineEvent, statsFromDocker } from '../../server/runtime/docker-runtime.js';

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
