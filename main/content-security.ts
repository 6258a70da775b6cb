/**
 * The Content-Security-Policy of the app's own pages in the desktop window. The server already sends
 * `DASHBOARD_CSP` (server/http/dashboard.ts) with every dashboard response, so browsers get it too; the desktop
 * window adds it itself (Electron `session.webRequest.onHeadersReceived`) to any page of the dashboard origin
 * that arrives without one, so no response of ours is ever shown unprotected (e.g. an error page of a proxy in
 * between, or a future route that forgets the header). Pure: unit-tested without Electron.
 */

/** Response headers as Electron passes them: names in any case, each value a list. */
export type ResponseHeaders = Record<string, string[] | string>;

/** True when the headers already carry a Content-Security-Policy (any case of the name). */
export function hasContentSecurityPolicy(headers: ResponseHeaders): boolean {
  return Object.keys(headers).some((name) => name.toLowerCase() === 'content-security-policy');
}

/**
 * The headers to use for a response: unchanged for other origins (workspaces never load in the window; the
 * navigation policy sends them to the system browser) and for responses that carry a policy already (the server's
 * own, stricter for `/api/`); else the same headers plus `policy`.
 * @param url the response's URL; `origin` the dashboard origin (`dashboardOrigin()`), null before the server runs.
 */
export function withContentSecurityPolicy(url: string, headers: ResponseHeaders, origin: string | null, policy: string): ResponseHeaders {
  if (!origin) return headers;
  let responseOrigin: string;
  try {
    responseOrigin = new URL(url).origin;
  } catch {
    return headers;
  }
  if (responseOrigin !== origin || hasContentSecurityPolicy(headers)) return headers;
  return { ...headers, 'Content-Security-Policy': [policy] };
}
