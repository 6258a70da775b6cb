/**
 * squid.conf asks for the workspace's credential first and includes the whitelist file the app writes (the
 * context hash is checked in proxy-image-contexts.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listContextFiles } from '../../server/images/image-context.js';
import { PROXY_USERS_FILE, proxyImageContextDir, SQUID_PORT, SQUID_WHITELIST_ACL, SQUID_WHITELIST_FILE } from '../../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

describe('squid image context', () => {
  it('squid.conf listens on the port, includes the whitelist file and denies everything else', () => {
    expect(listContextFiles(proxyImageContextDir(resourcesDir, 'squid'))).toEqual(['Dockerfile', 'extra-ca/.keep', 'squid.conf']);
    const conf = readFileSync(path.join(proxyImageContextDir(resourcesDir, 'squid'), 'squid.conf'), 'utf8');
    const directives = conf.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(directives).toContain(`http_port ${SQUID_PORT}`);
    expect(directives).toContain(`include ${SQUID_WHITELIST_FILE}`);
    const access = directives.filter((line) => line.startsWith('http_access'));
    expect(access.slice(-2)).toEqual([`http_access allow ${SQUID_WHITELIST_ACL}`, 'http_access deny all']);
    expect(conf).not.toMatch(/^\s*dns_nameservers/m);
  });

  it('asks every request for its workspace credential before the whitelist is consulted', () => {
    const conf = readFileSync(path.join(proxyImageContextDir(resourcesDir, 'squid'), 'squid.conf'), 'utf8');
    const directives = conf.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(directives).toContain(`auth_param basic program /usr/lib/squid/basic_ncsa_auth ${PROXY_USERS_FILE}`);
    const denyUnauthenticated = directives.indexOf('http_access deny !xares_users');
    expect(denyUnauthenticated).toBeGreaterThan(-1);
    expect(denyUnauthenticated).toBeLessThan(directives.indexOf(`include ${SQUID_WHITELIST_FILE}`));
    expect(denyUnauthenticated).toBe(directives.findIndex((line) => line.startsWith('http_access')));
  });
});
