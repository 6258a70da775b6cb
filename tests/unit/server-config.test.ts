// Configuration from environment variables: defaults, parsing, and one clear line per bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, parseConfig } from '../../server/config.js';

describe('configFromEnv', () => {
  it('applies the documented defaults', () => {
    const config = configFromEnv({});
    expect(config).toMatchObject({ port: 8080, baseDomain: 'localhost', maxConcurrentWorkspaces: 40, enableResourceLimits: true, instanceId: 'default' });
    expect(config.host).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.dataDir.length).toBeGreaterThan(0);
  });

  it('reads every variable', () => {
    const config = configFromEnv({
      XARES_PORT: '9090',
      XARES_HOST: '127.0.0.1',
      XARES_DATA_DIR: '/tmp/somewhere',
      BASE_DOMAIN: 'WS.Example.org',
      XARES_ADMIN_TOKEN: 'a-very-long-admin-token',
      XARES_WORKSPACE_IMAGE: 'xares/workspace:1',
      MAX_CONCURRENT_WORKSPACES: '7',
      CPU_PER_WORKSPACE: '1.5',
      MEMORY_PER_WORKSPACE_MB: '2048',
      ENABLE_RESOURCE_LIMITS: 'false',
      WORKSHOP_GROUP: 'room-1',
      DOCKER_HOST: 'tcp://10.0.0.2:2375',
    });
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      dataDir: '/tmp/somewhere',
      baseDomain: 'ws.example.org',
      adminToken: 'a-very-long-admin-token',
      workspaceImage: 'xares/workspace:1',
      maxConcurrentWorkspaces: 7,
      cpuPerWorkspace: 1.5,
      memoryPerWorkspaceMB: 2048,
      enableResourceLimits: false,
      workshopGroup: 'room-1',
      dockerHost: 'tcp://10.0.0.2:2375',
    });
  });

  it('treats empty values as unset', () => {
    expect(configFromEnv({ XARES_PORT: '', BASE_DOMAIN: '' }).port).toBe(8080);
  });

  it('names every bad variable at once and never echoes the admin token', () => {
    let error: unknown;
    try {
      configFromEnv({ XARES_PORT: 'eighty', BASE_DOMAIN: 'bad domain!', ENABLE_RESOURCE_LIMITS: 'maybe', XARES_ADMIN_TOKEN: 'short-secret', DOCKER_HOST: 'ftp://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/XARES_PORT/);
    expect(problems.join('\n')).toMatch(/BASE_DOMAIN/);
    expect(problems.join('\n')).toMatch(/ENABLE_RESOURCE_LIMITS/);
    expect(problems.join('\n')).toMatch(/DOCKER_HOST/);
    expect(problems.join('\n')).not.toContain('short-secret');
  });

  it('rejects out-of-range numbers', () => {
    expect(() => configFromEnv({ XARES_PORT: '70000' })).toThrow(ConfigError);
    expect(() => configFromEnv({ MAX_CONCURRENT_WORKSPACES: '0' })).toThrow(ConfigError);
    expect(() => configFromEnv({ MEMORY_PER_WORKSPACE_MB: '12' })).toThrow(ConfigError);
  });

  it('parseConfig accepts an already parsed config unchanged', () => {
    const once = parseConfig({ port: 0, dataDir: '/tmp/x' });
    expect(parseConfig(once)).toEqual(once);
  });
});
