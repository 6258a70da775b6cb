/**
 * Where the desktop window may go. Pure functions (no Electron import) so the rules are unit-tested.
 *
 * The window shows only our own dashboard. Anything else the dashboard links to (a workspace at
 * `http://<id>.localhost:8080/`, documentation) opens in the system browser, and only for http/https:
 * `file:`, `javascript:`, `data:` or custom schemes are never handed to the OS, because `shell.openExternal`
 * would run whatever program is registered for them (Electron security checklist, "Do not use openExternal
 * with untrusted content").
 */

/** What to do with a navigation or a new-window request. */
export type NavigationDecision =
  /** Stay in the window: same origin as the dashboard. */
  | { action: 'allow' }
  /** Block in the window and open this (normalised) URL in the system browser. */
  | { action: 'open-external'; url: string }
  /** Block, open nothing; `reason` is for the log. */
  | { action: 'deny'; reason: string };

/** Schemes the system browser may open. */
const EXTERNAL_SCHEMES = new Set(['http:', 'https:']);

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/**
 * The origin of the dashboard, e.g. `http://localhost:8080` for `http://localhost:8080/admin/`.
 * @throws TypeError when `dashboardUrl` is not an absolute http(s) URL.
 */
export function dashboardOrigin(dashboardUrl: string): string {
  const url = parseUrl(dashboardUrl);
  if (!url || !EXTERNAL_SCHEMES.has(url.protocol)) throw new TypeError(`dashboard URL must be http(s): ${dashboardUrl}`);
  return url.origin;
}

/**
 * True when `raw` is an absolute http/https URL with a host and no embedded credentials: the only URLs we hand to
 * `shell.openExternal` (bridge channel `shell:open-external` and links leaving the window).
 */
export function isSafeExternalUrl(raw: string): boolean {
  const url = parseUrl(raw);
  return url !== null && EXTERNAL_SCHEMES.has(url.protocol) && url.hostname !== '' && url.username === '' && url.password === '';
}

/**
 * Decides a navigation of the window (`will-navigate`, `will-redirect`) or a new-window request
 * (`setWindowOpenHandler`) towards `targetUrl`.
 * - same origin as the dashboard (scheme, host and port all equal) → `allow`, even for pages outside `/admin/`,
 *   because the dashboard's own sign-in and API live on that origin;
 * - another http/https URL (including our workspace subdomains, which are other origins on purpose) →
 *   `open-external`;
 * - anything else (unparsable, `file:`, `javascript:`, `data:`, `about:blank`, custom schemes) → `deny`.
 * @param origin the dashboard origin from `dashboardOrigin()`.
 */
export function decideNavigation(targetUrl: string, origin: string): NavigationDecision {
  const url = parseUrl(targetUrl);
  if (!url) return { action: 'deny', reason: 'not a valid URL' };
  if (url.origin === origin && EXTERNAL_SCHEMES.has(url.protocol)) return { action: 'allow' };
  if (isSafeExternalUrl(targetUrl)) return { action: 'open-external', url: url.href };
  return { action: 'deny', reason: `scheme ${url.protocol} is not opened` };
}

/**
 * Whether an IPC call comes from our dashboard: the calling frame's URL must be on the dashboard origin.
 * The admin token crosses the bridge, so a frame of any other origin (an iframe, a page reached by a bug in the
 * navigation rules) gets nothing.
 */
export function isTrustedSender(senderUrl: string | undefined | null, origin: string): boolean {
  if (!senderUrl) return false;
  const url = parseUrl(senderUrl);
  return url !== null && EXTERNAL_SCHEMES.has(url.protocol) && url.origin === origin;
}

/** Permissions the dashboard may use (copying a join link to the clipboard, desktop notifications). */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write', 'notifications']);

/**
 * Whether a web permission request (camera, geolocation, ...) is granted: only the few the dashboard uses, and
 * only to the dashboard origin. Everything else is refused (Electron grants all permissions by default).
 */
export function isPermissionAllowed(permission: string, requestingUrl: string, origin: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isTrustedSender(requestingUrl, origin);
}
