// Group filter and the identity guarantees the memoised table rows rely on: with 200 workspaces, an event
// about one leaves every other workspace the same object through reducer, sort and filter.
import { describe, expect, it } from 'vitest';
import { MAX_NOTES_BYTES, utf8ByteLength, type ProjectSummary } from '../../server/contract/index.js';
import { INITIAL_LIVE_STATE, reduceServerEvent, sortProjects } from '../../renderer/src/stores/live-reducer.js';
import { GROUP_FILTER_ALL, GROUP_FILTER_NONE, effectiveGroupFilter, filterByGroup, formatNotesSize } from '../../renderer/src/stores/project-filters.js';

function project(n: number, over: Partial<ProjectSummary> = {}): ProjectSummary {
  return {
    id: `p${String(n).padStart(11, '0')}`,
    name: `Seat ${n}`,
    type: 'empty',
    status: 'running',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    workspaceUrl: `http://p${n}.localhost/`,
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: n % 3 === 0 ? null : n % 3 === 1 ? 'monday' : 'tuesday',
    ...over,
  };
}

const many = Array.from({ length: 200 }, (_, i) => project(i));
const hello = reduceServerEvent(INITIAL_LIVE_STATE, { type: 'hello', projects: many, docker: { available: true, version: '20.10', error: null } as never, image: null as never });

describe('group filter', () => {
  it('shows all, only ungrouped, or one group, in order', () => {
    const sorted = sortProjects(hello.projects);
    expect(filterByGroup(sorted, GROUP_FILTER_ALL)).toBe(sorted);
    const none = filterByGroup(sorted, GROUP_FILTER_NONE);
    expect(none.length).toBe(67);
    expect(none.every((p) => p.group === null)).toBe(true);
    const monday = filterByGroup(sorted, 'monday');
    expect(monday.length).toBe(67);
    expect(monday.every((p) => p.group === 'monday')).toBe(true);
    expect(monday.map((p) => p.id)).toEqual(sorted.filter((p) => p.group === 'monday').map((p) => p.id));
    expect(filterByGroup(sorted, 'Monday')).toEqual([]);
  });

  it('falls back to all when the chosen group no longer exists', () => {
    expect(effectiveGroupFilter('monday', ['monday', 'tuesday'])).toBe('monday');
    expect(effectiveGroupFilter('friday', ['monday'])).toBe(GROUP_FILTER_ALL);
    expect(effectiveGroupFilter(GROUP_FILTER_NONE, [])).toBe(GROUP_FILTER_NONE);
  });
});

describe('identity for memoised rows (200 workspaces)', () => {
  it('keeps every other workspace the same object after an update of one', () => {
    const before = sortProjects(hello.projects);
    const changed = { ...many[42]!, status: 'stopped' as const };
    const next = reduceServerEvent(hello, { type: 'project.updated', project: changed });
    const after = sortProjects(next.projects);
    expect(after.length).toBe(200);
    const differing = after.filter((p, i) => p !== before[i]);
    expect(differing).toEqual([changed]);
    const beforeMonday = filterByGroup(before, 'monday');
    const afterMonday = filterByGroup(after, 'monday');
    expect(afterMonday.filter((p, i) => p !== beforeMonday[i]).map((p) => p.id)).toEqual(changed.group === 'monday' ? [changed.id] : []);
  });
});

describe('notes size', () => {
  it('counts UTF-8 bytes and formats them for the counter', () => {
    expect(utf8ByteLength('abc')).toBe(3);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('😀')).toBe(4);
    expect(formatNotesSize(512)).toBe('512 B');
    expect(formatNotesSize(1536)).toBe('1.5 KB');
    expect(formatNotesSize(MAX_NOTES_BYTES)).toBe('10.0 KB');
  });
});
