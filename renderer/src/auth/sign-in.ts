import { ApiError, describeError, withHint } from '../api/api-error.js';
import { getDesktopBridge } from '../desktop-bridge.js';
import { api, setUnauthorizedHandler } from '../services.js';
import { useProjectsStore } from '../stores/projects-store.js';
import { useSessionStore, type SessionSource } from '../stores/session-store.js';
import { useSystemStore } from '../stores/system-store.js';

/** localStorage key of the admin token in a browser (the desktop app gets it from preload and stores nothing). */
export const TOKEN_STORAGE_KEY = 'xares.adminToken';

/**
 * The one-time code of a sign-in link (`/admin/#code=<code>`), or `null`.
 * @param hash `location.hash`, with or without the leading `#`
 */
export function readSignInCode(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const code = params.get('code')?.trim();
  return code ? code : null;
}

function readStoredToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token === null) window.localStorage.removeItem(TOKEN_STORAGE_KEY);
    else window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage can be disabled (private mode); the session then lasts until the tab closes.
  }
}

function signedIn(token: string, source: SessionSource): void {
  if (source !== 'desktop') storeToken(token);
  useSessionStore.getState().setSession({ phase: 'signed-in', token, source, message: null });
}

/**
 * Ends the session: forgets the stored token, clears workspace data and shows the sign-in screen with `message`.
 */
export function signOut(message: string | null = null): void {
  const { session } = useSessionStore.getState();
  if (session.source !== 'desktop') storeToken(null);
  useProjectsStore.getState().reset();
  useSystemStore.getState().reset();
  useSessionStore.getState().setSession({ phase: 'signed-out', token: null, source: null, message });
}

setUnauthorizedHandler((message) => {
  if (useSessionStore.getState().session.phase !== 'signed-in') return;
  signOut(withHint(`The server no longer accepts this sign-in: ${message}`, 'Please sign in again.'));
});

/**
 * Finds the admin credential at start-up, in this order:
 * 1. the desktop app's preload bridge (`session:get`);
 * 2. a sign-in link's one-time code in the URL fragment (removed from the address bar at once, then traded
 *    via `POST /api/auth/exchange`);
 * 3. a token kept from an earlier visit in localStorage;
 * otherwise the sign-in screen.
 */
export async function startSession(): Promise<void> {
  const setSession = useSessionStore.getState().setSession;
  const bridge = getDesktopBridge();
  if (bridge) {
    try {
      const result = await bridge.invoke('session:get', undefined);
      if (result.ok) {
        if (!/^https?:$/.test(window.location.protocol)) api.setBaseUrl(new URL(result.value.serverUrl).origin);
        signedIn(result.value.adminToken, 'desktop');
        return;
      }
      setSession({ phase: 'signed-out', token: null, source: null, message: `The desktop app could not provide the sign-in: ${result.error.message}` });
    } catch (error) {
      setSession({ phase: 'signed-out', token: null, source: null, message: `The desktop app could not provide the sign-in: ${describeError(error)}` });
    }
    return;
  }

  const code = readSignInCode(window.location.hash);
  if (code !== null) {
    // Remove the code from the address bar and history before anything else: it is a credential.
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    setSession({ phase: 'signing-in', token: null, source: null, message: null });
    try {
      signedIn(await api.exchangeSignInCode(code), 'link');
    } catch (error) {
      const used = error instanceof ApiError && (error.status === 401 || error.status === 400 || error.status === 404 || error.status === 410);
      setSession({
        phase: 'signed-out',
        token: null,
        source: null,
        message: used
          ? 'This sign-in link has already been used or has expired. Each link works once: take a new one from the server’s console, or paste the admin token below.'
          : `Signing in with the link failed: ${describeError(error)}`,
      });
    }
    return;
  }

  const stored = readStoredToken();
  if (stored) {
    signedIn(stored, 'stored');
    return;
  }
  setSession({ phase: 'signed-out', token: null, source: null, message: null });
}

/**
 * Signs in with a pasted admin token, checking it against the server first (`GET /api/limits` needs it).
 * @returns an error message for the sign-in screen, or `null` on success
 */
export async function signInWithToken(rawToken: string): Promise<string | null> {
  const token = rawToken.trim();
  if (token === '') return 'Paste the admin token first.';
  try {
    const response = await api.send('/api/limits', { authenticated: false, headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 401) return 'The server did not accept this token. Check that you copied all of it.';
    if (!response.ok) return `The server could not check the token (HTTP ${response.status}). Try again.`;
  } catch (error) {
    return describeError(error);
  }
  signedIn(token, 'pasted');
  return null;
}
