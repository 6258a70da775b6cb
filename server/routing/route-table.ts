/**
 * What the workspace router needs to know about a workspace, resolved per request from memory (no engine
 * or database call on the hot path).
 */
export type RouteTarget =
  | {
      kind: 'running';
      projectId: string;
      name: string;
      port: number;
      /**
       * Present when the workspace is password-protected: its current argon2id hash (never sent to clients).
       * The router's gate signs sessions for it and passes it upstream as code-server's session cookie.
       */
      passwordHash?: string;
      /**
       * Present while the workspace is a claimed workshop seat: the secret of its active claim (never sent to
       * clients). The gate accepts seat sessions and enter tickets signed for it; releasing the claim (key
       * gone or changed) ends them at once.
       */
      claimKey?: string;
    }
  | { kind: 'not-running'; projectId: string; name: string; status: 'creating' | 'stopped' | 'error'; reason?: string }
  | { kind: 'unknown'; projectId: string };

export interface RouteTable {
  resolve(projectId: string): RouteTarget;
}
