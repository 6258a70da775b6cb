/**
 * The paths and port the app uses for the mitmproxy image (proxy-images.ts) are the ones its launcher script
 * and the addon use (the context hash is checked in proxy-image-contexts.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listContextFiles } from '../../server/images/image-context.js';
import {
  MITMPROXY_CA_CERT_FILE,
  MITMPROXY_CONFDIR,
  MITMPROXY_PORT,
  MITMPROXY_RECORD_FILE_PATTERN,
  MITMPROXY_RECORDS_DIR,
  MITMPROXY_UPSTREAM_CA_FILE,
  proxyImageContextDir,
  PROXY_USERS_FILE,
} from '../../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');
const contextFile = (name: string): string => readFileSync(path.join(proxyImageContextDir(resourcesDir, 'mitmproxy'), name), 'utf8');

describe('mitmproxy image context', () => {
  it('the launcher and the addon use the port and paths the app relies on', () => {
    expect(listContextFiles(proxyImageContextDir(resourcesDir, 'mitmproxy'))).toEqual(['Dockerfile', 'extra-ca/.keep', 'xares-mitmproxy.sh', 'xares_recorder.py']);
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
