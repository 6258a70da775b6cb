// Security Proxy whitelist (issue #5): normalisation, validation, the squid section, the service over a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WhitelistErrorDetails } from '../../server/contract/index.js';
import { SINGLE_LABEL_REASON } from '../../server/contract/whitelist-rules.js';
import { ServiceError } from '../../server/services/service-error.js';
import {
  BASE_WHITELIST_DOMAINS,
  WhitelistService,
  isNormalizedWhitelistDomain,
  normalizeWhitelist,
  renderSquidWhitelistAcl,
} from '../../server/services/whitelist.js';
import { openStore } from '../../server/store/index.js';

const BASE = [...BASE_WHITELIST_DOMAINS].sort();

/** The normalised list minus the base domains. */
function userPart(entries: string[]): string[] {
  return normalizeWhitelist(entries).filter((domain) => !BASE_WHITELIST_DOMAINS.includes(domain));
}

/** The ServiceError `normalizeWhitelist(entries)` throws. */
function rejection(entries: string[]): ServiceError {
  try {
    normalizeWhitelist(entries);
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(entries)}`);
}

describe('normalizeWhitelist', () => {
  it('gives the base domains for an empty list', () => {
    expect(normalizeWhitelist([])).toEqual(BASE);
    expect(BASE).toEqual(['.debian.org', '.eclipsecontent.org', '.nodesource.com', '.open-vsx.org', '.openvsx.org', '.ubuntu.com']);
  });

  it('trims, lower-cases, adds the leading dot and sorts', () => {
    expect(userPart(['  PyPI.org ', 'github.com', '.Crates.IO'])).toEqual(['.crates.io', '.github.com', '.pypi.org']);
  });

  it('trims white space and line breaks at the ends only (inside they are rejected)', () => {
    expect(userPart(['\texample.com\r\n'])).toEqual(['.example.com']);
  });

  it('removes a trailing dot', () => {
    expect(userPart(['example.com.', '.example.org.'])).toEqual(['.example.com', '.example.org']);
  });

  it('stores internationalised names in punycode', () => {
    expect(userPart(['münchen.de'])).toEqual(['.xn--mnchen-3ya.de']);
    expect(userPart(['MÜNCHEN.DE.'])).toEqual(['.xn--mnchen-3ya.de']);
    expect(userPart(['xn--mnchen-3ya.de', 'münchen.de'])).toEqual(['.xn--mnchen-3ya.de']);
  });

  it('removes duplicates in any spelling', () => {
    expect(userPart(['example.com', '.example.com', 'EXAMPLE.com', 'example.com.'])).toEqual(['.example.com']);
  });

  it('drops subdomains covered by a listed parent, in either order', () => {
    expect(userPart(['api.anthropic.com', 'anthropic.com', 'a.b.anthropic.com'])).toEqual(['.anthropic.com']);
    expect(userPart(['anthropic.com', 'x.y.anthropic.com'])).toEqual(['.anthropic.com']);
  });

  it('keeps a name that only ends with the same letters (.xexample.com is not under .example.com)', () => {
    expect(userPart(['example.com', 'xexample.com', 'a.xexample.com'])).toEqual(['.example.com', '.xexample.com']);
  });

  it('always keeps the base domains, and drops entries under them', () => {
    const list = normalizeWhitelist(['deb.debian.org', 'security.ubuntu.com', 'github.com']);
    expect(list).toEqual([...BASE, '.github.com'].sort());
    // A parent of a base domain would be a single name (`org`), which is refused; the base domains stay as they are.
    expect(() => normalizeWhitelist(['org'])).toThrow(/single name/);
    expect(normalizeWhitelist(['debian.org', 'ftp.debian.org'])).toEqual(BASE);
  });

  it('refuses single names (top-level domains, local and container names) with a reason that says what to give', () => {
    for (const entry of ['com', '.com', 'COM.', 'org', 'localhost', 'localhost.', 'xares-proxy', 'xares-squid', 'münchen', '.xn--p1ai']) {
      const error = rejection(['github.com', entry]);
      expect(error.status, entry).toBe(400);
      expect(error.message).toBe(`Whitelist entry ${JSON.stringify(entry)} is a single name (a top-level domain or a local name); give a domain such as example.com`);
      expect(WhitelistErrorDetails.parse(error.details)).toEqual({ domains: `${JSON.stringify(entry)}: ${SINGLE_LABEL_REASON}`, index: '1' });
    }
    // Two labels are enough, also under a country code or for a name that is only a TLD elsewhere.
    expect(userPart(['localhost.localdomain', 'co.uk', 'example.com', 'xares-squid.example.org'])).toEqual(['.co.uk', '.example.com', '.localhost.localdomain', '.xares-squid.example.org']);
  });

  it('accepts host names at the limits: 63-character label, 253 characters, digits and hyphens inside', () => {
    const label63 = 'a'.repeat(63);
    const long = [label63, label63, label63, 'b'.repeat(57), 'com'].join('.');
    expect(long).toHaveLength(253);
    expect(userPart([`${label63}.com`, long, 'a-1.b2c.io', '123.example.net'])).toEqual([`.${label63}.com`, `.${long}`, '.123.example.net', '.a-1.b2c.io'].sort());
  });

  it('handles a list of 2,000 domains with duplicates and subdomains', () => {
    const entries: string[] = [];
    for (let i = 0; i < 2000; i += 1) entries.push(`host-${i}.school-${i % 50}.example`);
    for (let i = 0; i < 50; i += 1) entries.push(`school-${i}.example`, `SCHOOL-${i}.EXAMPLE.`);
    expect(userPart(entries)).toEqual(Array.from({ length: 50 }, (_, i) => `.school-${i}.example`).sort());
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['a space', 'exa mple.com', /space/],
    ['a newline injecting a directive', 'example.com\nhttp_access allow all', /line break/],
    ['a carriage return', 'example.com\rhttp_access allow all', /line break|control/],
    ['a tab', 'example\t.com', /space|control/],
    ['#', 'example.com#comment', /'#'/],
    ['a slash', 'example.com/path', /'\/'/],
    ['a URL', 'http://example.com', /'\/'/],
    ['a port', 'example.com:8080', /':'/],
    ['a wildcard', '*.example.com', /'\*'/],
    ['an IPv4 literal', '1.2.3.4', /IP address/],
    ['a numeric IPv4 form', '0x7f.1', /IP address/],
    ['an IPv6 literal in brackets', '[::1]', /IP address/],
    ['a bare IPv6 literal', '::1', /IP address/],
    ['an empty entry', '', /empty/],
    ['a blank entry', '   ', /empty/],
    ['a lone dot', '.', /not a host name/],
    ['two dots in a row', 'a..example.com', /empty label/],
    ['254 characters', `${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'b'.repeat(58)}.com`, /longer than 253/],
    ['a 64-character label', `${'a'.repeat(64)}.com`, /label longer than 63/],
    ['a label starting with a hyphen', '-bad.example.com', /hyphen/],
    ['a label ending with a hyphen', 'bad-.example.com', /hyphen/],
    ['an underscore', 'a_b.example.com', /letters, digits/],
    ['a quote', 'exa"mple.com', /valid host name|letters|not allowed/],
    ['a semicolon', 'example.com;rm', /valid host name|letters|not allowed/],
    // URL parsing would cut these names short (`a?b.com` became `.a`) or read a part as credentials.
    ['a question mark', 'a?b.com', /'\?'/],
    ['a backslash', 'a\\b.com', /'\\'/],
    ['an at sign', 'user@example.com', /'@'/],
    ['a percent escape', 'exa%6dple.com', /'%'/],
    ['an all-numeric last label', 'example.123', /valid host name|starts with a letter/],
    ['a last label starting with a digit', 'example.1abc', /starts with a letter/],
    ['a top-level domain', 'com', /single name \(a top-level domain or a local name\); give a domain such as example\.com/],
    ['localhost', 'localhost', /single name/],
    ['a container name of the proxies', 'xares-squid', /single name/],
  ];
  for (const [what, entry, reason] of rejected) {
    it(`rejects ${what} with a 400 naming the entry`, () => {
      const error = rejection(['good.example.com', entry]);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.status).toBe(400);
      const details = WhitelistErrorDetails.parse(error.details);
      expect(details.index).toBe('1');
      const shown = JSON.stringify(entry.length > 80 ? `${entry.slice(0, 80)}…` : entry);
      expect(details.domains.startsWith(`${shown}: `)).toBe(true);
      expect(details.domains).toMatch(reason);
      expect(error.message).toContain(shown);
      // The message never carries a raw line break (the entry is shown JSON-quoted).
      expect(error.message).not.toMatch(/[\r\n]/);
    });
  }
});

describe('renderSquidWhitelistAcl', () => {
  it('writes the domains as dstdomain ACL lines without lookups, and only deny rules', () => {
    const domains = normalizeWhitelist(['github.com', 'münchen.de']);
    const text = renderSquidWhitelistAcl(domains);
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('acl xares_whitelist dstdomain -n '))).toEqual([`acl xares_whitelist dstdomain -n ${domains.join(' ')}`]);
    expect(lines).toContain('acl xares_to_ip_literal dstdom_regex -n ^[0-9.]+$ ^\\[ :');
    const access = lines.filter((line) => line.startsWith('http_access'));
    expect(access).toEqual(['http_access deny xares_to_ip_literal', 'http_access deny !xares_whitelist']);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('contains nothing but validated names, comments and our fixed directives', () => {
    const domains = normalizeWhitelist(['a.example.com', 'B.example.org', 'xn--mnchen-3ya.de']);
    const text = renderSquidWhitelistAcl(domains);
    const written = text
      .split('\n')
      .filter((line) => line.startsWith('acl xares_whitelist '))
      .flatMap((line) => line.split(' ').slice(4));
    expect(written).toEqual(domains);
    for (const domain of written) expect(isNormalizedWhitelistDomain(domain)).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(#|acl xares_whitelist dstdomain -n |acl xares_to_ip_literal |http_access deny )/);
  });

  it('splits long lists into lines of 16 domains (squid config lines stay short)', () => {
    const domains = normalizeWhitelist(Array.from({ length: 2000 }, (_, i) => `d${i}.example`));
    const acl = renderSquidWhitelistAcl(domains)
      .split('\n')
      .filter((line) => line.startsWith('acl xares_whitelist '));
    expect(acl).toHaveLength(Math.ceil(domains.length / 16));
    expect(acl.flatMap((line) => line.split(' ').slice(4))).toEqual(domains);
    for (const line of acl) expect(line.length).toBeLessThan(8192);
  });

  it('refuses to write anything that is not a normalised host name', () => {
    for (const bad of ['.example.com\nhttp_access allow all', 'example.com', '.EXAMPLE.com', '.1.2.3.4', '.a b.com', '.-a.com', '']) {
      expect(() => renderSquidWhitelistAcl(['.github.com', bad])).toThrow(/normalised host name/);
    }
  });

  it('defines an empty ACL for an empty list, so every destination is denied', () => {
    const text = renderSquidWhitelistAcl([]);
    expect(text).toContain('acl xares_whitelist dstdomain -n\n');
    expect(text).toContain('http_access deny !xares_whitelist\n');
  });
});

describe('WhitelistService over the store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'xares-whitelist-'));
    dirs.push(dir);
    return dir;
  }

  it('starts with the base domains, stores a new list, keeps it across reopening, and calls the hook', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    const changes: string[][] = [];
    const service = new WhitelistService({ repository: store.whitelist, onWhitelistChanged: (domains) => void changes.push([...domains]) });
    expect(service.domains()).toEqual(BASE);
    expect(store.whitelist.list()).toEqual([]);
    const stored = await service.replace(['pypi.org', 'api.anthropic.com', 'anthropic.com']);
    expect(stored).toEqual([...BASE, '.anthropic.com', '.pypi.org'].sort());
    expect(changes).toEqual([stored]);
    expect(service.squidSection()).toContain('.anthropic.com');
    store.close();

    const reopened = openStore(dir);
    expect(new WhitelistService({ repository: reopened.whitelist }).domains()).toEqual(stored);
    reopened.close();
  });

  it('runs the hook of overlapping replacements one at a time, in order, also after a failed one', async () => {
    const store = openStore(tempDir());
    const events: string[] = [];
    const gates: Array<() => void> = [];
    const service = new WhitelistService({
      repository: store.whitelist,
      onWhitelistChanged: async (domains) => {
        const name = domains.find((d) => d.endsWith('.example'))!;
        events.push(`start ${name}`);
        await new Promise<void>((resolve) => gates.push(resolve));
        events.push(`end ${name}`);
        if (name === '.two.example') throw new Error('squid unreachable');
      },
    });
    const first = service.replace(['one.example']);
    // Settled at once into a value, so its rejection is handled before the test looks at it.
    const second = service.replace(['two.example']).then(() => 'stored and applied', (error: Error) => error.message);
    const third = service.replace(['three.example']);
    // Only the first hook runs until it is let go.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start .one.example']);
    expect(service.domains()).toContain('.three.example');
    for (let i = 0; i < 3; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()!();
    }
    await expect(first).resolves.toContain('.one.example');
    await expect(second).resolves.toBe('squid unreachable');
    await expect(third).resolves.toContain('.three.example');
    expect(events).toEqual(['start .one.example', 'end .one.example', 'start .two.example', 'end .two.example', 'start .three.example', 'end .three.example']);
    store.close();
  });

  it('leaves out stored single names saved under earlier rules, so reading and the squid section still work', () => {
    const store = openStore(tempDir());
    store.whitelist.replace(['.com', '.github.com', '.localhost', '.xares-squid']);
    const service = new WhitelistService({ repository: store.whitelist });
    expect(service.domains()).toEqual([...BASE, '.github.com'].sort());
    const section = service.squidSection();
    expect(section).toContain('.github.com');
    expect(section).not.toMatch(/ \.(com|localhost|xares-squid)( |$)/m);
    store.close();
  });

  it('leaves the stored list untouched and calls no hook when an entry is rejected', async () => {
    const store = openStore(tempDir());
    let calls = 0;
    const service = new WhitelistService({ repository: store.whitelist, onWhitelistChanged: () => void (calls += 1) });
    const before = await service.replace(['github.com']);
    await expect(service.replace(['pypi.org', 'evil.com\nhttp_access allow all'])).rejects.toBeInstanceOf(ServiceError);
    expect(service.domains()).toEqual(before);
    expect(calls).toBe(1);
    store.close();
  });
});
