import type { RouteTable, RouteTarget } from './route-table.js';

/** A {@link RouteTable} backed by a plain map that the owner fills and changes by hand. */
export interface StaticRouteTable extends RouteTable {
  /** Sets (or replaces) the route of one project. */
  set(target: Exclude<RouteTarget, { kind: 'unknown' }>): void;
  /** Forgets a project: it resolves to `unknown` afterwards. */
  delete(projectId: string): void;
}

/**
 * In-memory route table for the router benchmark, for tests, and for any caller that learns routes by
 * itself. Lookups are one Map access; unknown ids resolve to `{kind: 'unknown'}`.
 */
export function createStaticRouteTable(initial: Iterable<Exclude<RouteTarget, { kind: 'unknown' }>> = []): StaticRouteTable {
  const routes = new Map<string, RouteTarget>();
  for (const target of initial) routes.set(target.projectId, target);
  return {
    resolve(projectId) {
      return routes.get(projectId) ?? { kind: 'unknown', projectId };
    },
    set(target) {
      routes.set(target.projectId, target);
    },
    delete(projectId) {
      routes.delete(projectId);
    },
  };
}
