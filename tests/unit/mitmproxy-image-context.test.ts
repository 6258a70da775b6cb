/**
 * The mitmproxy image is cached by tag like the other images, so its image.json must name the hash of its
 * current build context; and the paths and port the app uses (proxy-images.ts) must be the ones the launcher
 * script and the addon use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeContextHash, listContextFiles } from '../../server/images/image-context.js';
import {
  MITMPROXY_CA_CERT_FILE,
  MITMPROXY_CONFDIR,
  MITMPROXY_PORT,
  MITMPROXY_RECORD_FILE_PATTERN,
  MITMPROXY_RECORDS_DIR,
  MITMPROXY_UPSTREAM_CA_FILE,
  mitmproxyContextDir,
  PROXY_USERS_FILE,
  readMitmproxyImageSpec,
} from '../../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
const contextFile = (name: string): string => readFileSync(path.join(mitmproxyContextDir(resourcesDir), name), 'utf8');

describe('mitmproxy image context', () => {
  it('image.json names the hash of the current build context', () => {
    const spec = readMitmproxyImageSpec(resourcesDir);
    const actual = computeContextHash(mitmproxyContextDir(resourcesDir));
    expect(
      spec.contextHash,
      `resources/images/mitmproxy changed but its image.json was not updated. Bump the tag (now ${spec.tag}) and set ` +
        `"contextHash": "${actual}" (\`npx tsx scripts/build-images.ts --print-hash mitmproxy\`), then \`npm run images\`.`,
    ).toBe(actual);
    expect(spec.tag).toMatch(/^xares\/mitmproxy:\d+$/);
  });

  it('the launcher and the addon use the port and paths the app relies on', () => {
    expect(listContextFiles(mitmproxyContextDir(resourcesDir))).toEqual(['Dockerfile', 'extra-ca/.keep', 'xares-mitmproxy.sh', 'xares_recorder.py']);
    const launcher = contextFile('xares-mitmproxy.sh');
    expect(launcher).toContain('--listen-port 8080');
    expect(MITMPROXY_PORT).toBe(8080);
    expect(launcher).toContain(`CONFDIR=${MITMPROXY_CONFDIR}\n`);
    expect(launcher).toContain(`RECORDS=${MITMPROXY_RECORDS_DIR}\n`);
    expect(launcher).toContain(`UPSTREAM_CA=${MITMPROXY_UPSTREAM_CA_FILE}\n`);
    expect(launcher).toContain('ssl_verify_upstream_trusted_ca="$UPSTREAM_CA"');
    expect(MITMPROXY_CA_CERT_FILE).toBe(`${MITMPROXY_CONFDIR}/mitmproxy-ca-cert.pem`);
    const addon = contextFile('xares_recorder.py');
    expect(addon).toContain(`"XARES_PROXY_USERS_FILE", "${PROXY_USERS_FILE}"`);
    expect(addon).toContain(`"XARES_RECORDS_DIR", "${MITMPROXY_RECORDS_DIR}"`);
    const dockerfile = contextFile('Dockerfile');
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    // The build context has mtime 0; mitmproxy only loads a script whose mtime is above 0.
    expect(dockerfile).toContain('touch /opt/xares/xares_recorder.py');
  });

  it('the record file pattern accepts only finished files of ours', () => {
    expect(MITMPROXY_RECORD_FILE_PATTERN.test('llm-1764633600123-0a1b2c3d.json')).toBe(true);
    expect(MITMPROXY_RECORD_FILE_PATTERN.test('domains-1764633600123-0a1b2c3d.json')).toBe(true);
    for (const name of ['llm-1764633600123-0a1b2c3d.json.tmp', '../llm-1764633600123-0a1b2c3d.json', 'llm-176463360012-0a1b2c3d.json', 'other-1764633600123-0a1b2c3d.json']) {
      expect(MITMPROXY_RECORD_FILE_PATTERN.test(name)).toBe(false);
    }
  });
});
