import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config.js';
import { ProxyMode } from '../../server/contract/index.js';
import { PROXY_MODE_CAPABILITY, capabilitiesFromConfig, unavailableOptionDetails, type ServerCapabilities } from '../../server/services/capabilities.js';

const none: ServerCapabilities = { securityProxy: false, loggingProxy: false, gitServer: false };
const all: ServerCapabilities = { securityProxy: true, loggingProxy: true, gitServer: true };

describe('server capabilities', () => {
  it('reports no proxy service and no Git server in this build', () => {
    expect(capabilitiesFromConfig(parseConfig({ dataDir: '/tmp/xares-capabilities-test' }))).toEqual(none);
  });

  it('maps every proxy mode except none to the service it needs', () => {
    expect(Object.keys(PROXY_MODE_CAPABILITY).sort()).toEqual(ProxyMode.options.filter((mode) => mode !== 'none').sort());
  });

  it('names each refused field, and only when its service is missing', () => {
    expect(unavailableOptionDetails({ proxyMode: 'none', createGitRepo: false }, none)).toEqual({});
    expect(Object.keys(unavailableOptionDetails({ proxyMode: 'security', createGitRepo: true }, none)).sort()).toEqual(['createGitRepo', 'proxyMode']);
    expect(unavailableOptionDetails({ proxyMode: 'logging', createGitRepo: false }, none)['proxyMode']).toMatch(/Logging Proxy/);
    expect(unavailableOptionDetails({ proxyMode: 'security', createGitRepo: false }, none)['proxyMode']).toMatch(/Security Proxy/);
    expect(unavailableOptionDetails({ proxyMode: 'logging', createGitRepo: false }, { ...none, securityProxy: true })).toHaveProperty('proxyMode');
    expect(unavailableOptionDetails({ proxyMode: 'security', createGitRepo: true }, all)).toEqual({});
  });
});
