/**
 * What the workspace router needs to know about a workspace, resolved per request from memory (no engine
 * or database call on the hot path).
 */
export type RouteTarget =
  | { kind: 'running'; projectId: string; name: string; port: number }
  | { kind: 'not-running'; projectId: string; name: string; status: 'creating' | 'stopped' | 'error'; reason?: string }
  | { kind: 'unknown'; projectId: string };

export interface RouteTable {
  resolve(projectId: string): RouteTarget;
}
