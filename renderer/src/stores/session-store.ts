import { create } from 'zustand';

/** How the current admin token was obtained (decides whether signing out makes sense and where it is kept). */
export type SessionSource = 'desktop' | 'link' | 'stored' | 'pasted';

export type SessionState =
  | { phase: 'starting'; token: null; source: null; message: null }
  | { phase: 'signed-out'; token: null; source: null; message: string | null }
  | { phase: 'signing-in'; token: null; source: null; message: null }
  | { phase: 'signed-in'; token: string; source: SessionSource; message: null };

export interface SessionStore {
  session: SessionState;
  setSession(session: SessionState): void;
}

/** Sign-in state. Orchestration (bridge, link code, storage) lives in `auth/sign-in.ts`. */
export const useSessionStore = create<SessionStore>()((set) => ({
  session: { phase: 'starting', token: null, source: null, message: null },
  setSession(session) {
    set({ session });
  },
}));

/** The admin token for the API client, or `null` when signed out. */
export function currentToken(): string | null {
  return useSessionStore.getState().session.token;
}
