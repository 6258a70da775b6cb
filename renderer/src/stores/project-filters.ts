import type { ProjectSummary } from '../../../server/contract/index.js';

/** Group filter value that shows every workspace. */
export const GROUP_FILTER_ALL = '';
/** Group filter value that shows only workspaces without a group (no group may be named like this: control character). */
export const GROUP_FILTER_NONE = '\u0000none';

/**
 * The workspaces the table shows for a group filter: all ({@link GROUP_FILTER_ALL}), those without a group
 * ({@link GROUP_FILTER_NONE}) or those of one group (exact match). Keeps order and object identity, so rows of
 * unchanged workspaces stay the same objects and their memoised rows do not re-render.
 */
export function filterByGroup(projects: readonly ProjectSummary[], filter: string): readonly ProjectSummary[] {
  if (filter === GROUP_FILTER_ALL) return projects;
  if (filter === GROUP_FILTER_NONE) return projects.filter((project) => !project.group);
  return projects.filter((project) => project.group === filter);
}

/** A filter that still makes sense with the current groups: a group that no longer exists falls back to all. */
export function effectiveGroupFilter(filter: string, groups: readonly string[]): string {
  if (filter === GROUP_FILTER_ALL || filter === GROUP_FILTER_NONE) return filter;
  return groups.includes(filter) ? filter : GROUP_FILTER_ALL;
}

/** Human size of a byte count in the notes counter: `512 B`, `1.5 KB`, `10.0 KB` (1024 steps, one decimal). */
export function formatNotesSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}
