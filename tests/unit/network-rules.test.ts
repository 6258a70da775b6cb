import { describe, expect, it } from 'vitest';
import { bridgeName, buildGuardRules, DNS_PLACEHOLDER, guardChains } from '../../server/proxies/netguard.js';
import { cidrsOverlap, pickFreeSubnet, proxyNetworkName } from '../../server/proxies/proxy-networks.js';
import { newProxySecret, proxyUrl, renderHtpasswd } from '../../server/proxies/proxy-users.js';
import { withOurCa } from '../../server/proxies/network-control.js';
import { createRequire } from 'node:module';

const md5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;
const chains = guardChains('default');

describe('firewall rules (netguard)', () => {
  const plan = {
    confined: [
      { bridge: 'br-0123456789ab', proxyAddress: '10.213.0.2', proxyPort: 3128 },
      { bridge: 'br-ba9876543210', proxyAddress: null, proxyPort: 8080 },
    ],
    egress: ['br-aaaaaaaaaaaa'],
  };
  const rules = buildGuardRules(plan, chains);
  const lines = rules.split('\n');

  it('declares both chains (flushing them) and commits once', () => {
    expect(lines[0]).toBe('*filter');
    expect(lines).toContain(`:${chains.forward} - [0:0]`);
    expect(lines).toContain(`:${chains.input} - [0:0]`);
    expect(lines.filter((l) => l === 'COMMIT')).toHaveLength(1);
  });

  it("opens exactly the proxy's port inside a confined network, before the drops", () => {
    const open = lines.findIndex((l) => l.includes('-d 10.213.0.2/32 -p tcp --dport 3128 -j ACCEPT'));
    const drop = lines.findIndex((l) => l === `-A ${chains.forward} -i br-0123456789ab -j DROP`);
    expect(open).toBeGreaterThan(0);
    expect(lines[open]).toContain('-i br-0123456789ab -o br-0123456789ab -m physdev --physdev-is-bridged');
    expect(drop).toBeGreaterThan(open);
    expect(lines).toContain(`-A ${chains.input} -i br-0123456789ab -j DROP`);
  });

  it('refuses outside name lookups from a confined network at once (REJECT), before dropping the rest', () => {
    const reject = lines.findIndex((l) => l === `-A ${chains.forward} -i br-0123456789ab -p udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`);
    const drop = lines.findIndex((l) => l === `-A ${chains.forward} -i br-0123456789ab -j DROP`);
    expect(reject).toBeGreaterThan(0);
    expect(reject).toBeLessThan(drop);
    expect(lines).toContain(`-A ${chains.forward} -i br-0123456789ab -p tcp --dport 53 -j REJECT --reject-with tcp-reset`);
  });

  it('opens nothing on a confined network whose proxy has no address yet (fail closed)', () => {
    expect(lines.some((l) => l.includes('br-ba9876543210') && l.includes('--dport 8080'))).toBe(false);
    expect(lines).toContain(`-A ${chains.forward} -i br-ba9876543210 -j DROP`);
  });

  it("lets the proxies reach DNS only on the host's resolvers (filled in by the helper)", () => {
    const dns = lines.filter((l) => l.includes('--dport 53') && l.includes('br-aaaaaaaaaaaa'));
    expect(dns).toHaveLength(4);
    for (const line of dns) expect(line).toContain(`-d ${DNS_PLACEHOLDER}`);
  });

  it('keeps the proxies off private ranges and the host, DNS excepted', () => {
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) {
      expect(lines).toContain(`-A ${chains.forward} -i br-aaaaaaaaaaaa ! -o br-aaaaaaaaaaaa -d ${range} -j DROP`);
    }
    const dns = lines.findIndex((l) => l.includes('br-aaaaaaaaaaaa') && l.includes('--dport 53'));
    const firstDrop = lines.findIndex((l) => l.includes('br-aaaaaaaaaaaa') && l.endsWith('-j DROP'));
    expect(dns).toBeLessThan(firstDrop);
    expect(lines).toContain(`-A ${chains.input} -i br-aaaaaaaaaaaa -j DROP`);
  });

  it('refuses anything that is not a bridge name, an address or a port', () => {
    expect(() => buildGuardRules({ confined: [{ bridge: 'eth0 -j ACCEPT', proxyAddress: null, proxyPort: 1 }], egress: [] }, chains)).toThrow();
    expect(() => buildGuardRules({ confined: [{ bridge: 'br-0123456789ab', proxyAddress: '1.2.3.4 -j ACCEPT', proxyPort: 1 }], egress: [] }, chains)).toThrow();
    expect(() => buildGuardRules({ confined: [{ bridge: 'br-0123456789ab', proxyAddress: null, proxyPort: 70000 }], egress: [] }, chains)).toThrow();
    expect(() => buildGuardRules({ confined: [], egress: ['br-x\n-A INPUT -j ACCEPT'] }, chains)).toThrow();
  });

  it('names chains per instance and bridges after the network id', () => {
    expect(guardChains('a').forward).not.toBe(guardChains('b').forward);
    expect(chains.forward).toMatch(/^XARES-F-[0-9A-F]{10}$/);
    expect(chains.forward.length).toBeLessThanOrEqual(28);
    expect(bridgeName('0123456789abcdef0123')).toBe('br-0123456789ab');
    expect(() => bridgeName('xyz')).toThrow();
  });
});

describe('proxy networks', () => {
  it('names networks per instance', () => {
    expect(proxyNetworkName('default', 'security')).toBe('xares-security');
    expect(proxyNetworkName('t1', 'egress-mitm')).toBe('xares-t1-egress-mitm');
  });

  it('picks the first /24 that overlaps no existing network or host interface', () => {
    expect(pickFreeSubnet([])).toBe('10.213.0.0/24');
    expect(pickFreeSubnet(['10.213.0.0/24', '10.213.1.128/25'])).toBe('10.213.2.0/24');
    expect(pickFreeSubnet(['10.0.0.0/8'])).toBeNull();
    expect(pickFreeSubnet([], new Set(['10.213.0.0/24']))).toBe('10.213.1.0/24');
    expect(cidrsOverlap('172.17.0.0/16', '172.17.5.0/24')).toBe(true);
    expect(cidrsOverlap('10.213.1.0/24', '10.213.2.0/24')).toBe(false);
  });
});

describe('proxy credentials', () => {
  it('renders an htpasswd line per user whose $apr1$ hash verifies the secret', () => {
    const secret = newProxySecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const text = renderHtpasswd([{ user: 'bbbbbbbbbbbb', secret }, { user: 'aaaaaaaaaaaa', secret: newProxySecret() }]);
    const lines = text.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb']);
    const hash = lines[1]!.split(':')[1]!;
    expect(hash).toMatch(/^\$apr1\$/);
    expect(md5(secret, hash)).toBe(hash);
    expect(text).not.toContain(secret);
  });

  it('refuses user names or secrets that could break the file or the URL', () => {
    expect(() => renderHtpasswd([{ user: 'a:b\nc', secret: newProxySecret() }])).toThrow();
    expect(() => renderHtpasswd([{ user: 'aaaaaaaaaaaa', secret: 'short' }])).toThrow();
    expect(() => proxyUrl('aaaaaaaaaaaa', 'x@y', 'xares-proxy', 3128)).toThrow();
    expect(renderHtpasswd([])).toBe('');
  });
});

describe('CA bundle of a logging workspace', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n';
  it('appends our CA once and replaces it on the next start', () => {
    const once = withOurCa('system\n', ca);
    expect(once.startsWith('system\n')).toBe(true);
    expect(once).toContain('AAA');
    const again = withOurCa(once, ca.replace('AAA', 'BBB'));
    expect(again).not.toContain('AAA');
    expect(again.match(/BEGIN Xares/g)).toHaveLength(1);
    expect(again.startsWith('system\n')).toBe(true);
  });
});

describe('firewall rules for the managed Git server (issue #7)', () => {
  const git = { address: '10.213.5.3', port: 3000 };
  const plan = {
    confined: [{ bridge: 'br-0123456789ab', proxyAddress: '10.213.0.2', proxyPort: 3128, services: [git] }],
    egress: ['br-aaaaaaaaaaaa'],
    open: [
      { bridge: 'br-cccccccccccc', services: [{ address: '172.30.0.9', port: 3000 }] },
      { bridge: 'br-dddddddddddd', services: [] },
    ],
  };
  const lines = buildGuardRules(plan, chains).split('\n');

  it("opens only the Git server's port inside a confined network, before the drops", () => {
    const open = lines.findIndex((l) => l === `-A ${chains.forward} -i br-0123456789ab -o br-0123456789ab -m physdev --physdev-is-bridged -d 10.213.5.3/32 -p tcp --dport 3000 -j ACCEPT`);
    const drop = lines.findIndex((l) => l === `-A ${chains.forward} -i br-0123456789ab -j DROP`);
    expect(open).toBeGreaterThan(0);
    expect(drop).toBeGreaterThan(open);
  });

  it('on an open workspace network accepts only connections to the Git server and their replies, drops nothing', () => {
    const open = lines.filter((l) => l.includes('br-cccccccccccc'));
    expect(open).toEqual([
      `-A ${chains.forward} -i br-cccccccccccc -o br-cccccccccccc -m physdev --physdev-is-bridged -d 172.30.0.9/32 -p tcp --dport 3000 -j ACCEPT`,
      `-A ${chains.forward} -i br-cccccccccccc -o br-cccccccccccc -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    ]);
    expect(lines.some((l) => l.includes('br-dddddddddddd'))).toBe(false);
  });

  it('refuses malformed service addresses and ports (they never reach the firewall)', () => {
    const bad = (service: { address: string; port: number }) => () => buildGuardRules({ confined: [], egress: [], open: [{ bridge: 'br-cccccccccccc', services: [service] }] }, chains);
    expect(bad({ address: '10.0.0.1 -j ACCEPT', port: 3000 })).toThrow(/IPv4/);
    expect(bad({ address: '10.0.0.1', port: 70000 })).toThrow(/port/);
    expect(() => buildGuardRules({ confined: [], egress: [], open: [{ bridge: 'eth0', services: [git] }] }, chains)).toThrow(/bridge/);
  });
});
