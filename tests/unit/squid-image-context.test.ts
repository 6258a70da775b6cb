/**
 * The squid image is cached by tag like the workspace image, so its image.json must name the hash of its
 * current build context; and squid.conf must include the whitelist file the app writes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeContextHash, listContextFiles } from '../../server/images/image-context.js';
import {
  netguardContextDir,
  PROXY_USERS_FILE,
  readNetguardImageSpec,
  readSquidImageSpec,
  SQUID_PORT,
  SQUID_WHITELIST_ACL,
  SQUID_WHITELIST_FILE,
  squidContextDir,
} from '../../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

describe('squid image context', () => {
  it('image.json names the hash of the current build context', () => {
    const spec = readSquidImageSpec(resourcesDir);
    const actual = computeContextHash(squidContextDir(resourcesDir));
    expect(
      spec.contextHash,
      `resources/images/squid changed but its image.json was not updated. Bump the tag (now ${spec.tag}) and set ` +
        `"contextHash": "${actual}" (\`npx tsx scripts/build-images.ts --print-hash squid\`), then \`npm run images\`.`,
    ).toBe(actual);
  });

  it('squid.conf listens on the port, includes the whitelist file and denies everything else', () => {
    expect(listContextFiles(squidContextDir(resourcesDir))).toEqual(['Dockerfile', 'extra-ca/.keep', 'squid.conf']);
    const conf = readFileSync(path.join(squidContextDir(resourcesDir), 'squid.conf'), 'utf8');
    const directives = conf.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(directives).toContain(`http_port ${SQUID_PORT}`);
    expect(directives).toContain(`include ${SQUID_WHITELIST_FILE}`);
    const access = directives.filter((line) => line.startsWith('http_access'));
    expect(access.slice(-2)).toEqual([`http_access allow ${SQUID_WHITELIST_ACL}`, 'http_access deny all']);
    expect(conf).not.toMatch(/^\s*dns_nameservers/m);
  });

  it('asks every request for its workspace credential before the whitelist is consulted', () => {
    const conf = readFileSync(path.join(squidContextDir(resourcesDir), 'squid.conf'), 'utf8');
    const directives = conf.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(directives).toContain(`auth_param basic program /usr/lib/squid/basic_ncsa_auth ${PROXY_USERS_FILE}`);
    const denyUnauthenticated = directives.indexOf('http_access deny !xares_users');
    expect(denyUnauthenticated).toBeGreaterThan(-1);
    expect(denyUnauthenticated).toBeLessThan(directives.indexOf(`include ${SQUID_WHITELIST_FILE}`));
    expect(denyUnauthenticated).toBe(directives.findIndex((line) => line.startsWith('http_access')));
  });
});

describe('netguard image context', () => {
  it('image.json names the hash of the current build context', () => {
    const spec = readNetguardImageSpec(resourcesDir);
    const actual = computeContextHash(netguardContextDir(resourcesDir));
    expect(
      spec.contextHash,
      `resources/images/netguard changed but its image.json was not updated. Bump the tag (now ${spec.tag}) and set ` +
        `"contextHash": "${actual}" (\`npx tsx scripts/build-images.ts --print-hash netguard\`), then \`npm run images\`.`,
    ).toBe(actual);
  });
});
