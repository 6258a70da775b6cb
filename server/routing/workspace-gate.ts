import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { escapeHtml } from './status-pages.js';

/**
 * The password gate of protected workspaces (issue #3 "Passwords", "App ports"). Runs inside the router, in
 * front of the proxy, from memory only: a proxied request costs one HMAC-SHA256 (no database, no argon2).
 *
 * Session cookie, one per workspace host:
 * - name `xares_gate_<projectId>`: signing in to a second workspace in the same browser leaves the first one's
 *   cookie alone;
 * - host-only (no `Domain`), `Path=/`, `HttpOnly`, `SameSite=Lax`, `Max-Age` {@link GATE_SESSION_SECONDS};
 * - value `v1.<issuedAt seconds>.<mac>`, mac = HMAC-SHA256(server secret, `v1 | projectId | issuedAt |
 *   passwordHash`) in base64url. The project id is part of the signed text and must equal the id of the Host
 *   the cookie arrives on, so a cookie of one workspace is refused by every other (clones with the same
 *   password too: other id, other salted hash). The stored argon2id hash is part of the signed text instead of
 *   a separate "password version": every set, change or removal writes a new salted hash, so every session of
 *   the old password ends at once, also across server restarts, with no extra column to keep in step.
 *
 * App-port hosts (`<id>-<port>.<base>`) are other origins; the browser does not send the IDE host's cookie
 * there. They get the same login page and their own cookie (chosen over a hand-off from the IDE host: no
 * token in URLs, nothing to replay, one mechanism to test). The cookie of an app host and of the IDE host of
 * one workspace are interchangeable (same id, same password): both belong to the same person.
 */
export interface WorkspaceGate {
  /** True when the request carries a valid session cookie for `projectId` and the current `passwordHash`. */
  hasSession(req: http.IncomingMessage, projectId: string, passwordHash: string): boolean;
  /** True for the reserved login path (`/__xares/login`, with or without a query). */
  isLoginPath(url: string | undefined): boolean;
  /** Answers with the login page (401), remembering `req.url` as where to go after signing in. */
  sendLoginPage(req: http.IncomingMessage, res: http.ServerResponse, workspaceName: string): void;
  /** Handles `GET`/`POST /__xares/login` on a workspace host (form, verification, cookie, redirect). */
  handleLogin(req: http.IncomingMessage, res: http.ServerResponse, projectId: string, workspaceName: string): void;
  /**
   * The request's `Cookie` header without our gate cookies and without any client-sent
   * `code-server-session` (so neither reaches code-server or an app in the workspace); `extra` is appended.
   */
  upstreamCookie(header: string | undefined, extra: string | undefined): string | undefined;
}

/** Options of {@link createWorkspaceGate}. */
export interface WorkspaceGateOptions {
  /** Server secret for the cookie HMAC (at least 32 bytes; kept in the data dir, mode 0600). */
  secret: Buffer;
  /**
   * Checks a password against the workspace's current hash (argon2id, slow). Resolves to that hash when it
   * matches (the cookie is signed for exactly that hash), or null (wrong password, no such workspace, not
   * protected any more).
   */
  verifyPassword(projectId: string, password: string): Promise<string | null>;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Reserved path of the login form on every protected workspace host. */
export const GATE_LOGIN_PATH = '/__xares/login';
/** Prefix of the gate cookie name; the project id follows. */
export const GATE_COOKIE_PREFIX = 'xares_gate_';
/** Lifetime of a gate session: 7 days (a workshop week), then the password is asked again. */
export const GATE_SESSION_SECONDS = 7 * 24 * 3600;
/** Failed logins allowed per client address and workspace per window (then 429 until the window ends). */
export const GATE_FAILURES_PER_CLIENT = 5;
/** Failed logins allowed per workspace from all addresses together per window. */
export const GATE_FAILURES_PER_WORKSPACE = 30;
/** Rate-limit window (ms). */
export const GATE_FAILURE_WINDOW_MS = 60_000;
/** Largest login form body we read (bytes); a password is at most 50 characters. */
const MAX_FORM_BYTES = 4096;
const COOKIE_VERSION = 'v1';

/** File in the data dir holding the gate's HMAC secret (64 hex characters, mode 0600). */
export const GATE_SECRET_FILE = 'gate-secret';

/**
 * Reads the gate secret from `<dataDir>/gate-secret`, or creates it (32 random bytes, hex, mode 0600) like the
 * admin token. Deleting the file ends every workspace session at the next server start.
 */
export function loadOrCreateGateSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, GATE_SECRET_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(stored)) {
      try {
        chmodSync(file, 0o600);
      } catch {
        // Best effort on file systems without modes.
      }
      return Buffer.from(stored, 'hex');
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

/** Builds the gate. Keeps only failure counters in memory (bounded). */
export function createWorkspaceGate(options: WorkspaceGateOptions): WorkspaceGate {
  if (options.secret.length < 32) throw new Error('The gate secret must be at least 32 bytes');
  const secret = options.secret;
  const now = options.now ?? Date.now;
  const failures = new FailureCounter();
  /** Login attempts being verified right now, per rate-limit key. */
  const inFlight = new Map<string, number>();
  const bump = (key: string, delta: number) => {
    const value = (inFlight.get(key) ?? 0) + delta;
    if (value <= 0) inFlight.delete(key);
    else inFlight.set(key, value);
  };

  function mac(projectId: string, issuedAt: string, passwordHash: string): Buffer {
    return createHmac('sha256', secret).update(`${COOKIE_VERSION}\n${projectId}\n${issuedAt}\n${passwordHash}`).digest();
  }

  function cookieValue(projectId: string, passwordHash: string): string {
    const issuedAt = String(Math.floor(now() / 1000));
    return `${COOKIE_VERSION}.${issuedAt}.${mac(projectId, issuedAt, passwordHash).toString('base64url')}`;
  }

  function validValue(value: string, projectId: string, passwordHash: string): boolean {
    const parts = value.split('.');
    if (parts.length !== 3 || parts[0] !== COOKIE_VERSION) return false;
    const issuedAt = parts[1] as string;
    if (!/^\d{1,12}$/.test(issuedAt)) return false;
    const age = now() / 1000 - Number(issuedAt);
    if (age > GATE_SESSION_SECONDS || age < -300) return false;
    const given = Buffer.from(parts[2] as string, 'base64url');
    const expected = mac(projectId, issuedAt, passwordHash);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function sendPage(req: http.IncomingMessage, res: http.ServerResponse, status: number, page: LoginPage, extraHeaders: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed || res.writableEnded) return;
    const body = Buffer.from(renderLoginPage(page), 'utf8');
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      ...extraHeaders,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function login(req: http.IncomingMessage, res: http.ServerResponse, projectId: string, workspaceName: string): Promise<void> {
    const form = await readForm(req);
    if (form === null) {
      sendPage(req, res, 400, { workspaceName, next: '/', error: 'The sign-in form could not be read. Reload the page and try again.' });
      return;
    }
    const next = safeNextPath(form.get('next'));
    const password = form.get('password') ?? '';
    const clientKey = `${projectId}|${req.socket.remoteAddress ?? ''}`;
    const workspaceKey = projectId;
    const at = now();
    // Attempts still being verified count too: a burst of parallel posts cannot run more argon2 checks
    // (19 MiB each) than the limit allows.
    const used = (key: string) => failures.count(key, at) + (inFlight.get(key) ?? 0);
    if (used(clientKey) >= GATE_FAILURES_PER_CLIENT || used(workspaceKey) >= GATE_FAILURES_PER_WORKSPACE) {
      const seconds = Math.max(1, Math.ceil(Math.max(failures.retryAfterMs(clientKey, at), failures.retryAfterMs(workspaceKey, at)) / 1000));
      sendPage(
        req,
        res,
        429,
        { workspaceName, next, error: `Too many wrong passwords. Wait ${seconds} seconds, then try again.` },
        { 'retry-after': String(seconds) },
      );
      return;
    }
    let verifiedHash: string | null = null;
    if (password.length > 0 && password.length <= 200) {
      bump(clientKey, 1);
      bump(workspaceKey, 1);
      try {
        verifiedHash = await options.verifyPassword(projectId, password);
      } finally {
        bump(clientKey, -1);
        bump(workspaceKey, -1);
      }
    }
    if (verifiedHash === null) {
      failures.add(clientKey, at);
      failures.add(workspaceKey, at);
      sendPage(req, res, 401, { workspaceName, next, error: 'Wrong password. Check it and try again.' });
      return;
    }
    if (res.headersSent || res.destroyed) return;
    const cookie = `${GATE_COOKIE_PREFIX}${projectId}=${cookieValue(projectId, verifiedHash)}; Path=/; Max-Age=${GATE_SESSION_SECONDS}; HttpOnly; SameSite=Lax`;
    res.writeHead(303, { location: next, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  }

  return {
    hasSession(req, projectId, passwordHash) {
      const value = readCookie(req.headers.cookie, `${GATE_COOKIE_PREFIX}${projectId}`);
      return value !== undefined && validValue(value, projectId, passwordHash);
    },

    isLoginPath(url) {
      if (url === undefined || !url.startsWith(GATE_LOGIN_PATH)) return false;
      const rest = url.charCodeAt(GATE_LOGIN_PATH.length);
      return Number.isNaN(rest) || rest === 63 /* ? */;
    },

    sendLoginPage(req, res, workspaceName) {
      sendPage(req, res, 401, { workspaceName, next: safeNextPath(req.url) });
    },

    handleLogin(req, res, projectId, workspaceName) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
        sendPage(req, res, 200, { workspaceName, next: safeNextPath(query.get('next') ?? '/') });
        return;
      }
      if (req.method !== 'POST') {
        sendPage(req, res, 405, { workspaceName, next: '/', error: 'Use the form below to sign in.' }, { allow: 'GET, HEAD, POST' });
        return;
      }
      // A form posted from another site (login CSRF) carries its own Origin: refuse it.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== 'null' && !sameHost(origin, req.headers.host)) {
        sendPage(req, res, 403, { workspaceName, next: '/', error: 'This sign-in came from another site and was refused. Use the form below.' });
        return;
      }
      login(req, res, projectId, workspaceName).catch(() => {
        sendPage(req, res, 500, { workspaceName, next: '/', error: 'Signing in failed. Try again.' });
      });
    },

    upstreamCookie(header, extra) {
      let kept: string[] = [];
      if (header !== undefined && header !== '') {
        kept = header
          .split(';')
          .map((part) => part.trim())
          .filter((part) => {
            if (part === '') return false;
            const name = part.slice(0, Math.max(0, part.indexOf('='))).trim();
            return !name.startsWith(GATE_COOKIE_PREFIX) && name !== CODE_SERVER_SESSION;
          });
      }
      if (extra !== undefined) kept.push(extra);
      return kept.length === 0 ? undefined : kept.join('; ');
    },
  };
}

/** code-server's session cookie name (see server/services/code-server-auth.ts); never taken from clients. */
const CODE_SERVER_SESSION = 'code-server-session';

/** Value of cookie `name` in a `Cookie` header, or undefined (first one wins). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Where to go after signing in: a same-host path only. Anything else (absolute URLs, `//host`, `/\host`,
 * control characters, over 2000 characters, our own login path) becomes `/`. No open redirect.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return '/';
  if (next.charCodeAt(0) !== 47 /* / */) return '/';
  const second = next.charCodeAt(1);
  if (second === 47 /* / */ || second === 92 /* \ */) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  if (next.startsWith(GATE_LOGIN_PATH)) return '/';
  return next;
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Reads a small `application/x-www-form-urlencoded` body; null when too big, another type, or broken. */
function readForm(req: http.IncomingMessage): Promise<URLSearchParams | null> {
  return new Promise((resolve) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      resolve(null);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: URLSearchParams | null) => {
      if (done) return;
      done = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        finish(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', () => finish(null));
    req.on('close', () => finish(null));
  });
}

/** Failure timestamps per key within {@link GATE_FAILURE_WINDOW_MS}; cleared when it grows past 10 000 keys. */
class FailureCounter {
  private readonly times = new Map<string, number[]>();

  private recent(key: string, at: number): number[] {
    const list = (this.times.get(key) ?? []).filter((time) => at - time < GATE_FAILURE_WINDOW_MS);
    if (list.length === 0) this.times.delete(key);
    else this.times.set(key, list);
    return list;
  }

  count(key: string, at: number): number {
    return this.recent(key, at).length;
  }

  /** Time until the oldest failure of `key` leaves the window (0 when none). */
  retryAfterMs(key: string, at: number): number {
    const list = this.recent(key, at);
    return list.length === 0 ? 0 : GATE_FAILURE_WINDOW_MS - (at - (list[0] as number));
  }

  add(key: string, at: number): void {
    if (this.times.size > 10_000) this.times.clear();
    const list = this.recent(key, at);
    list.push(at);
    this.times.set(key, list);
  }
}

interface LoginPage {
  workspaceName: string;
  /** Same-host path to return to (already checked by {@link safeNextPath}). */
  next: string;
  error?: string;
}

/** The login page: plain HTML, every text escaped, no script, one POST form to {@link GATE_LOGIN_PATH}. */
export function renderLoginPage(page: LoginPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign in · ${escapeHtml(page.workspaceName)} · Xares</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f6f8;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:2rem 2.5rem;width:min(26rem,90vw);box-shadow:0 2px 10px rgba(0,0,0,.05)}
h1{font-size:1.3rem;margin:0 0 .5rem}
p{line-height:1.5;margin:.5rem 0}
label{display:block;font-weight:600;margin:1rem 0 .35rem}
input[type=password]{box-sizing:border-box;width:100%;padding:.6rem;border:1px solid #b9c0cc;border-radius:6px;font-size:1rem}
button{margin-top:1rem;width:100%;padding:.65rem;border:0;border-radius:6px;background:#2457d6;color:#fff;font-size:1rem;cursor:pointer}
.error{background:#fdecec;color:#8a1c1c;border-radius:6px;padding:.6rem .75rem}
</style>
</head>
<body>
<main>
<h1>This workspace is protected</h1>
<p>Enter the password of <strong>${escapeHtml(page.workspaceName)}</strong> to open it.</p>
${page.error === undefined ? '' : `<p class="error" role="alert" data-testid="workspace-login-error">${escapeHtml(page.error)}</p>\n`}<form method="post" action="${GATE_LOGIN_PATH}" data-testid="workspace-login-form">
<input type="hidden" name="next" value="${escapeHtml(page.next)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="50" autofocus data-testid="workspace-login-password">
<button type="submit" data-testid="workspace-login-submit">Open workspace</button>
</form>
</main>
</body>
</html>
`;
}
