// The whitelist editor's list handling grows linearly with the list (issue #5, QA round: 2,000 pasted host names
// must not block the dashboard). Times are compared with a baseline measured in the same test (a ratio, not an
// absolute time), so a slow or busy machine does not decide the outcome; a quadratic step would make 20 times
// the entries take ~400 times as long.
import { describe, expect, it } from 'vitest';
import type { UpdateWhitelistResponse, WhitelistResponse } from '../../server/contract/index.js';
import { BASE_WHITELIST_DOMAINS } from '../../server/contract/whitelist-rules.js';
import { mergeChosenDomains } from '../../renderer/src/stores/whitelist-editor.js';
import { createWhitelistStore, type WhitelistApi } from '../../renderer/src/stores/whitelist-store.js';

/** `count` distinct host names (offset keeps batches apart). */
function hosts(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => `seat${offset + i}.class-${i % 10}.example.org`);
}

/** Best of `runs` timings (ms) of `work`, after one warm-up run (JIT). */
function bestTime(runs: number, work: (run: number) => void): number {
  work(-1);
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    work(run);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** A whitelist API answering from memory (no requests are made by adding). */
const memoryApi: WhitelistApi = {
  async getWhitelist(): Promise<WhitelistResponse> {
    return { success: true, domains: [...BASE_WHITELIST_DOMAINS].sort(), raw: '' };
  },
  async updateWhitelist(domains): Promise<UpdateWhitelistResponse> {
    return { success: true, domainCount: domains.length, domains: [...domains] };
  },
};

/** Time (ms) to paste `count` host names as one list into a fresh editor with the stored base list. */
async function pasteTimer(): Promise<(count: number) => number> {
  const store = createWhitelistStore(memoryApi);
  await store.getState().load();
  const stored = store.getState().draft;
  return (count) =>
    bestTime(3, (run) => {
      store.setState({ draft: stored });
      const text = hosts(count, (run + 1) * 10_000).join('\n');
      const result = store.getState().addList(text);
      expect(result).toEqual({ gained: count, error: null });
    });
}

describe('whitelist editor with thousands of entries', () => {
  it('adds a pasted list of 2,000 host names in linear time (against 100 as the baseline)', async () => {
    const time = await pasteTimer();
    const small = time(100);
    const large = time(2000);
    // 20 times the lines; linear work plus fixed costs stays below 20 times (margin for noise: 40).
    expect(large).toBeLessThan(Math.max(small, 1) * 40);
  });

  it('adds 2,000 entries one after another without re-normalising the whole list for each', async () => {
    const store = createWhitelistStore(memoryApi);
    await store.getState().load();
    const stored = store.getState().draft;
    const addEach = (count: number) =>
      bestTime(3, (run) => {
        store.setState({ draft: stored });
        expect(store.getState().addMany(hosts(count, (run + 1) * 10_000))).toBeNull();
        expect(store.getState().draft).toHaveLength(stored.length + count);
      });
    const small = addEach(100);
    const large = addEach(2000);
    expect(large).toBeLessThan(Math.max(small, 1) * 40);
  });

  it('merges 2,000 chosen recorded domains in linear time, with the same outcome as before', () => {
    const current = ['.github.com', ...BASE_WHITELIST_DOMAINS];
    const merge = (count: number) =>
      bestTime(3, (run) => {
        const chosen = [...hosts(count, (run + 1) * 10_000), 'api.github.com', '10.0.0.1'];
        const result = mergeChosenDomains(current, chosen);
        expect(result.added).toHaveLength(count);
        expect(result.alreadyCovered).toEqual(['api.github.com']);
        expect(result.rejected.map((item) => item.host)).toEqual(['10.0.0.1']);
        expect(result.domains).toHaveLength(1 + count);
      });
    const small = merge(100);
    const large = merge(2000);
    expect(large).toBeLessThan(Math.max(small, 1) * 40);
  });

  it('merges chosen hosts in order: a parent after its subdomain replaces it, later subdomains count as covered', () => {
    const result = mergeChosenDomains(['.github.com'], ['a.x.org', 'x.org', 'a.x.org', 'b.a.x.org', 'X.org.']);
    expect(result.added).toEqual(['.a.x.org', '.x.org']);
    expect(result.alreadyCovered).toEqual(['a.x.org', 'b.a.x.org', 'X.org.']);
    expect(result.domains).toEqual(['.github.com', '.x.org']);
  });
});
