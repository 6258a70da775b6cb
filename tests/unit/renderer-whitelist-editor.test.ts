// Whitelist editor of the dashboard (issue #5): the shared entry rules give the browser the server's verdicts and
// words, the draft is kept in the server's stored form, the store applies and reports a refused entry by name,
// and recorded domains chosen in the details panel merge into the list.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { UpdateWhitelistResponse, WhitelistResponse } from '../../server/contract/index.js';
import { browserHostNameTools, checkWhitelistEntry, BASE_WHITELIST_DOMAINS } from '../../server/contract/whitelist-rules.js';
import { ServiceError } from '../../server/services/service-error.js';
import { normalizeWhitelist } from '../../server/services/whitelist.js';
import { ApiError } from '../../renderer/src/api/api-error.js';
import {
  addEntries,
  addEntryList,
  describeApplyFailure,
  domainsToSend,
  filterDomains,
  hasUnsavedChanges,
  isBaseWhitelistDomain,
  mergeChosenDomains,
  previewEntry,
  removeEntry,
  whitelistChanges,
} from '../../renderer/src/stores/whitelist-editor.js';
import { createWhitelistStore, type WhitelistApi } from '../../renderer/src/stores/whitelist-store.js';

const BASE = [...BASE_WHITELIST_DOMAINS].sort();

/** Entries covering the rules' branches, the tricky corners of WHATWG host parsing and IP address forms. */
const CORPUS = [
  'example.com', '.Example.COM.', 'münchen.de', 'xn--mnchen-3ya.de', 'ＡＢＣ.com', 'a\u00adb.com', 'ex%61mple.com', 'a%2fb.com',
  'a?b.com', 'a\\b.com', 'a@b.com', 'bad entry', 'line\nbreak.com', 'tab\t.com', 'a#b.com', 'http://example.com', 'example.com/path',
  '*.example.com', 'example.com:443', '1.2.3.4', '01.2.3.4', '256.1.1.1', '0x7f.1', '127.1', '[::1]', '::1', 'fe80::1%eth0',
  '2001:db8::1', '::ffff:1.2.3.4', 'a..b.com', '-a.com', 'a-.com', 'a.123', `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}com`,
  '', '   ', '.', '..', 'localhost', 'x', 'under_score.com', 'ÉCOLE.fr', 'xn--.com', 'a.b-c.d', '\u200b.com', 'faß.de',
];

const nodeTools = { isIP, domainToASCII };

describe('shared whitelist rules in the browser', () => {
  it('classify every corpus entry as Node does (same host, same reason)', () => {
    for (const entry of CORPUS) {
      expect(checkWhitelistEntry(entry, browserHostNameTools), JSON.stringify(entry)).toEqual(checkWhitelistEntry(entry, nodeTools));
    }
  });

  it('classify IP address forms as net.isIP does', () => {
    const samples = ['1.2.3.4', '255.255.255.255', '256.0.0.0', '01.2.3.4', '1.2.3', '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3.4', 'fe80::1%eth0', 'fe80::1%', 'g::1', '1:::2', 'abcd'];
    for (const sample of samples) expect(browserHostNameTools.isIP(sample), sample).toBe(isIP(sample));
  });

  it('give the same message the server puts in its 400', () => {
    const preview = previewEntry(BASE, 'bad entry');
    let serverMessage = '';
    try {
      normalizeWhitelist(['bad entry']);
    } catch (error) {
      serverMessage = (error as ServiceError).message;
    }
    expect(preview).toEqual({ kind: 'invalid', message: serverMessage });
    expect(serverMessage).toBe('Whitelist entry "bad entry" contains a space, line break or control character');
  });
});

describe('whitelist editor logic', () => {
  it('previews a typed entry against the draft', () => {
    const draft = addEntries(BASE, ['example.com', 'a.test.org']).domains as string[];
    expect(previewEntry(draft, '  ')).toEqual({ kind: 'empty' });
    expect(previewEntry(draft, 'Example.com.')).toEqual({ kind: 'present', domain: '.example.com', covered: false });
    expect(previewEntry(draft, 'api.example.com')).toEqual({ kind: 'present', domain: '.example.com', covered: true });
    expect(previewEntry(draft, 'xexample.com')).toEqual({ kind: 'new', domain: '.xexample.com', replaces: [] });
    expect(previewEntry(draft, 'test.org')).toEqual({ kind: 'new', domain: '.test.org', replaces: ['.a.test.org'] });
    expect(previewEntry(draft, 'münchen.de')).toEqual({ kind: 'new', domain: '.xn--mnchen-3ya.de', replaces: [] });
    expect(previewEntry(draft, 'http://x.org')).toMatchObject({ kind: 'invalid', message: expect.stringContaining("contains '/'") });
    expect(previewEntry(draft, '10.0.0.1')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('is an IP address') });
    expect(previewEntry(draft, 'localhost')).toEqual({ kind: 'invalid', message: 'Whitelist entry "localhost" is a single name (a top-level domain or a local name); give a domain such as example.com' });
  });

  it('adds as the server stores: normalised, parents absorb subdomains, base domains kept, order sorted', () => {
    const result = addEntries(BASE, ['b.example.com', 'A.example.com']);
    expect(result.domains).toEqual([...BASE, '.a.example.com', '.b.example.com'].sort());
    const parent = addEntries(result.domains as string[], ['example.com']);
    expect(parent.domains).toEqual([...BASE, '.example.com'].sort());
    expect(parent.domains).toEqual(normalizeWhitelist(['b.example.com', 'a.example.com', 'example.com']));
    expect(addEntries(BASE, ['ok.com', 'not ok'])).toEqual({ domains: null, error: 'Whitelist entry "not ok" contains a space, line break or control character' });
  });

  it('adds a pasted list all or nothing, naming the first bad line', () => {
    const draft = addEntries(BASE, ['github.com']).domains as string[];
    const good = addEntryList(draft, 'pypi.org\r\n\n  files.pythonhosted.org  \napi.github.com\n');
    expect(good).toEqual({ domains: [...BASE, '.files.pythonhosted.org', '.github.com', '.pypi.org'].sort(), gained: 2, error: null });
    expect(addEntryList(draft, 'pypi.org\n\nbad entry\ncrates.io')).toEqual({ domains: null, gained: 0, error: 'Line 3: Whitelist entry "bad entry" contains a space, line break or control character' });
    const many = Array.from({ length: 2000 }, (_, i) => `host${i}.example${i % 7}.org`).join('\n');
    const big = addEntryList(BASE, many);
    expect(big.gained).toBe(2000);
    expect(big.domains).toEqual(normalizeWhitelist(many.split('\n')));
  });

  it('removes entries but never a base domain', () => {
    const draft = addEntries(BASE, ['pypi.org']).domains as string[];
    expect(removeEntry(draft, '.pypi.org')).toEqual(BASE);
    expect(removeEntry(draft, '.debian.org')).toEqual(draft);
    expect(isBaseWhitelistDomain('.debian.org')).toBe(true);
    expect(isBaseWhitelistDomain('.pypi.org')).toBe(false);
  });

  it('tracks unsaved changes and what Apply would send', () => {
    const stored = addEntries(BASE, ['pypi.org', 'github.com']).domains as string[];
    expect(hasUnsavedChanges(null, BASE)).toBe(false);
    expect(hasUnsavedChanges(stored, [...stored].reverse())).toBe(false);
    const draft = addEntries(removeEntry(stored, '.github.com'), ['crates.io']).domains as string[];
    expect(hasUnsavedChanges(stored, draft)).toBe(true);
    expect(whitelistChanges(stored, draft)).toEqual({ added: ['.crates.io'], removed: ['.github.com'] });
    expect(domainsToSend(draft)).toEqual(['.crates.io', '.pypi.org']);
    // Removing and adding back the same entry is no change.
    expect(hasUnsavedChanges(stored, addEntries(removeEntry(stored, '.pypi.org'), ['pypi.org']).domains as string[])).toBe(false);
  });

  it('names the entry of a refused Apply from the 400 details, else gives the message', () => {
    const error = new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'Whitelist entry "x y" contains a space', details: { domains: '"x y": contains a space', index: '1' } });
    expect(describeApplyFailure(error, ['.a.com', 'x y'])).toEqual({ entry: 'x y', message: 'Whitelist entry "x y" contains a space' });
    expect(describeApplyFailure(new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'bad', details: { index: '7' } }), ['.a.com'])).toEqual({ entry: null, message: 'bad' });
    expect(describeApplyFailure(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'Cannot reach the Xares server' }), [])).toEqual({ entry: null, message: 'Cannot reach the Xares server' });
  });

  it('filters the list by text, ignoring a leading dot', () => {
    const list = ['.debian.org', '.pypi.org', '.python.org'];
    expect(filterDomains(list, ' .PY')).toEqual(['.pypi.org', '.python.org']);
    expect(filterDomains(list, '')).toEqual(list);
  });

  it('merges chosen recorded domains into the whitelist (new, already covered, refused)', () => {
    const current = addEntries(BASE, ['github.com']).domains as string[];
    const merged = mergeChosenDomains(current, ['api.github.com', 'files.pythonhosted.org', 'pypi.org', 'pypi.org', '10.1.2.3', 'deb.debian.org']);
    expect(merged.added).toEqual(['.files.pythonhosted.org', '.pypi.org']);
    expect(merged.alreadyCovered).toEqual(['api.github.com', 'pypi.org', 'deb.debian.org']);
    expect(merged.rejected).toEqual([{ host: '10.1.2.3', message: 'Whitelist entry "10.1.2.3" is an IP address, not a host name' }]);
    expect(merged.domains).toEqual(['.files.pythonhosted.org', '.github.com', '.pypi.org']);
    expect(normalizeWhitelist(merged.domains)).toEqual([...BASE, ...merged.domains].sort());
  });
});

describe('whitelist store', () => {
  function fakeApi(initial: string[]): WhitelistApi & { puts: string[][]; refuse: ApiError | null } {
    let stored = normalizeWhitelist(initial);
    const state = {
      puts: [] as string[][],
      refuse: null as ApiError | null,
      async getWhitelist(): Promise<WhitelistResponse> {
        return { success: true, domains: stored, raw: `acl ${stored.length}` };
      },
      async updateWhitelist(domains: readonly string[]): Promise<UpdateWhitelistResponse> {
        state.puts.push([...domains]);
        if (state.refuse) throw state.refuse;
        stored = normalizeWhitelist(domains);
        return { success: true, domainCount: stored.length, domains: stored };
      },
    };
    return state;
  }

  it('loads, edits, applies and ends clean with the server list', async () => {
    const remote = fakeApi(['pypi.org']);
    const store = createWhitelistStore(remote);
    await store.getState().load();
    expect(store.getState().stored).toEqual([...BASE, '.pypi.org'].sort());
    expect(store.getState().add('bad entry')).toMatch(/contains a space/);
    expect(store.getState().add('GitHub.com')).toBeNull();
    store.getState().remove('.pypi.org');
    expect(hasUnsavedChanges(store.getState().stored, store.getState().draft)).toBe(true);
    expect(await store.getState().apply()).toBe(true);
    expect(remote.puts).toEqual([['.github.com']]);
    const state = store.getState();
    expect(state.stored).toEqual([...BASE, '.github.com'].sort());
    expect(state.draft).toEqual(state.stored);
    expect(state.appliedAt).not.toBeNull();
  });

  it('keeps the draft and names the entry when the server refuses', async () => {
    const remote = fakeApi([]);
    const store = createWhitelistStore(remote);
    await store.getState().load();
    store.getState().add('crates.io');
    remote.refuse = new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'Whitelist entry ".crates.io" is refused', details: { domains: '".crates.io": refused', index: '0' } });
    expect(await store.getState().apply()).toBe(false);
    expect(store.getState().applyFailure).toEqual({ entry: '.crates.io', message: 'Whitelist entry ".crates.io" is refused' });
    expect(store.getState().draft).toContain('.crates.io');
    // A reload meanwhile refreshes the stored list but keeps the unsaved draft.
    await store.getState().load();
    expect(store.getState().draft).toContain('.crates.io');
    store.getState().discard();
    expect(store.getState().draft).toEqual(BASE);
    expect(store.getState().applyFailure).toBeNull();
  });
});
