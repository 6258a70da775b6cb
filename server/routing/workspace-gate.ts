import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { escapeHtml } from './status-pages.js';

/**
 * The gate of protected workspaces and claimed seats (issue #3 "Passwords", issue #4 "Workshop"). Runs inside
 * the router, in front of the proxy, from memory only: a proxied request costs one HMAC-SHA256 (no database,
 * no argon2).
 *
 * A workspace is gated when its route carries a `passwordHash` or a `claimKey` ({@link GateKeys}). Session
 * cookie, one per workspace:
 * - name `xares_gate_<projectId>`: signing in to a second workspace in the same browser leaves the first one's
 *   cookie alone;
 * - host-only (no `Domain`), `Path=/` on workspace hosts or `Path=/w/<id>/` on path seats, `HttpOnly`,
 *   `SameSite=Lax`, `Max-Age` {@link GATE_SESSION_SECONDS};
 * - value `<kind>.<issuedAt seconds>.<mac>`, mac = HMAC-SHA256(server secret, `kind | projectId | issuedAt |
 *   key`) in base64url, where kind says which key signed it: `v1` the password hash (a password sign-in),
 *   `s1` the seat's claim key (the browser that claimed the seat), `t1` the teacher key (derived from the
 *   admin token: the dashboard's "Open"). A cookie is valid while its key is the current one: changing the
 *   password ends password sessions, releasing a claim ends the seat session, rotating the admin token ends
 *   teacher sessions, each at once and across restarts. The project id is signed too and must equal the
 *   routed id, so a cookie of one workspace is refused by every other (clones with the same password too).
 *
 * App-port hosts (`<id>-<port>.<base>`) are other origins; the browser does not send the IDE host's cookie
 * there. They get the same login page and their own cookie.
 *
 * Enter tickets (`GET /__xares/enter?ticket=…` on a workspace host or under `/w/<id>/`): short-lived,
 * single-use, signed links that set a seat or teacher session without typing a password.
 */
export interface WorkspaceGate {
  /**
   * True when the request carries a valid session cookie for `projectId` signed over one of the current
   * keys (password hash, claim key) or the teacher key.
   */
  hasSession(req: http.IncomingMessage, projectId: string, keys: GateKeys): boolean;
  /** True for the reserved login path (`/__xares/login`, with or without a query), path already stripped of `/w/<id>`. */
  isLoginPath(url: string | undefined): boolean;
  /** True for the reserved enter path (`/__xares/enter`, with or without a query), path already stripped. */
  isEnterPath(url: string | undefined): boolean;
  /** Answers with the login page (401), remembering `req.url` (stripped) as where to go after signing in. */
  sendLoginPage(req: http.IncomingMessage, res: http.ServerResponse, route: GateRoute): void;
  /** Handles `GET`/`POST /__xares/login` (form, verification, cookie, redirect under `route.base`). */
  handleLogin(req: http.IncomingMessage, res: http.ServerResponse, route: GateRoute): void;
  /**
   * Handles `GET /__xares/enter?ticket=…`: a valid, unused, unexpired ticket for this workspace sets a session
   * cookie (Path `<base>/`) and answers 303 to `<base>/`; anything else shows the login page with a message.
   */
  handleEnter(req: http.IncomingMessage, res: http.ServerResponse, route: GateRoute): void;
  /**
   * The request's `Cookie` header without our own cookies (every name starting `xares_`: gate sessions, the
   * participant cookie) and without any client-sent `code-server-session`, so neither reaches code-server or
   * an app in the workspace; `extra` is appended.
   */
  upstreamCookie(header: string | undefined, extra: string | undefined): string | undefined;
  /**
   * A full `Set-Cookie` value starting a seat session for `projectId`, signed over `claimKey`:
   * `xares_gate_<id>=s1.…; Path=<cookiePath>; Max-Age=…; HttpOnly; SameSite=Lax`.
   * @throws Error when `cookiePath` is not a plain absolute path (`/…` without `;`, spaces or controls).
   */
  seatSessionCookie(projectId: string, claimKey: string, cookiePath: string): string;
  /**
   * A signed, single-use enter ticket for `projectId`, valid {@link GATE_TICKET_SECONDS} and only while `key`
   * is still the seat's claim key or the teacher key. URL-safe (base64url and dots).
   */
  createEnterTicket(projectId: string, key: string): string;
  /**
   * An enter ticket signed for the teacher key: enters any workspace (protected, claimed or neither).
   * @throws Error when the gate was built without a teacher key.
   */
  createTeacherTicket(projectId: string): string;
}

/** The keys that currently gate a workspace (both absent: not gated). Secrets: never sent to clients. */
export interface GateKeys {
  /** Current argon2id hash of the workspace password. */
  passwordHash?: string | undefined;
  /** Secret of the seat's active claim. */
  claimKey?: string | undefined;
}

/** One gated route as the router hands it to the gate. */
export interface GateRoute {
  projectId: string;
  workspaceName: string;
  /** Path prefix of the route: `''` on workspace hosts, `/w/<id>` on path seats (no trailing slash). */
  base: string;
  keys: GateKeys;
}

/** Verifies a password: resolves to the current hash when it matches, else null. */
export type PasswordVerifier = (projectId: string, password: string) => Promise<string | null>;

/** Options of {@link createWorkspaceGate}. */
export interface WorkspaceGateOptions {
  /** Server secret for the cookie HMAC (at least 32 bytes; kept in the data dir, mode 0600). */
  secret: Buffer;
  /**
   * Checks a password against the workspace's current hash (argon2id, slow). Resolves to that hash when it
   * matches (the cookie is signed for exactly that hash), or null (wrong password, no such workspace, not
   * protected any more).
   */
  verifyPassword: PasswordVerifier;
  /**
   * The teacher key (a secret derived from the admin token, see {@link deriveTeacherKey}); without it,
   * teacher tickets cannot be made and `t1` cookies are refused.
   */
  teacherKey?: string;
  /** Most argon2 verifications running at once per workspace (default {@link GATE_VERIFICATIONS_PER_WORKSPACE}). */
  maxParallelVerifications?: number;
  /** Most sign-ins waiting per workspace for a verification slot (default {@link GATE_VERIFICATION_QUEUE}). */
  maxQueuedVerifications?: number;
  /** Longest wait for a verification slot, ms (default {@link GATE_VERIFICATION_WAIT_MS}). */
  maxVerificationWaitMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Reserved path of the login form on every gated workspace route. */
export const GATE_LOGIN_PATH = '/__xares/login';
/** Reserved path of enter tickets on every workspace route. */
export const GATE_ENTER_PATH = '/__xares/enter';
/** Prefix of the gate cookie name; the project id follows. */
export const GATE_COOKIE_PREFIX = 'xares_gate_';
/** Prefix of every cookie of ours (gate sessions, the participant cookie); never passed to a workspace. */
export const OWN_COOKIE_PREFIX = 'xares_';
/** Lifetime of a gate session: 7 days (a workshop week), then the password is asked again. */
export const GATE_SESSION_SECONDS = 7 * 24 * 3600;
/** Lifetime of an enter ticket: 2 minutes (long enough to follow a link, short enough to be useless later). */
export const GATE_TICKET_SECONDS = 120;
/** Failed logins allowed per client address and workspace per window (then 429 until the window ends). */
export const GATE_FAILURES_PER_CLIENT = 5;
/** Rate-limit window (ms). */
export const GATE_FAILURE_WINDOW_MS = 60_000;
/**
 * Argon2 verifications running at once per workspace (each takes ~19 MiB and tens of ms). Replaces a
 * workspace-wide failure limit, which let a flood of wrong guesses from many addresses lock out the rightful
 * user: now a flood only queues, and each address still gets {@link GATE_FAILURES_PER_CLIENT} guesses a minute.
 */
export const GATE_VERIFICATIONS_PER_WORKSPACE = 2;
/** Sign-ins waiting per workspace for a verification slot; beyond it, 429 at once. */
export const GATE_VERIFICATION_QUEUE = 16;
/** Longest wait for a verification slot (ms); then 429. */
export const GATE_VERIFICATION_WAIT_MS = 5_000;
/** Largest login form body we read (bytes); a password is at most 50 characters. */
const MAX_FORM_BYTES = 4096;
/** Cookie kinds: which key signed the session (see {@link WorkspaceGate}). */
const KIND_PASSWORD = 'v1';
const KIND_SEAT = 's1';
const KIND_TEACHER = 't1';
type SessionKind = typeof KIND_PASSWORD | typeof KIND_SEAT | typeof KIND_TEACHER;
const TICKET_VERSION = 'e1';

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

/**
 * The teacher key: HMAC-SHA256(gate secret, admin token), hex. Changing the admin token (or the gate secret)
 * changes it, which ends every teacher session and ticket.
 */
export function deriveTeacherKey(gateSecret: Buffer, adminToken: string): string {
  return createHmac('sha256', gateSecret).update(`xares-teacher\n${adminToken}`).digest('hex');
}

/** A path fit for a cookie's `Path` attribute: absolute, no `;`, spaces or control characters. */
const COOKIE_PATH = /^\/[^;\s\u0000-\u001f\u007f]*$/;

/** Builds the gate. Keeps failure counters, verification queues and used tickets in memory (bounded). */
export function createWorkspaceGate(options: WorkspaceGateOptions): WorkspaceGate {
  if (options.secret.length < 32) throw new Error('The gate secret must be at least 32 bytes');
  const secret = options.secret;
  const teacherKey = options.teacherKey;
  const now = options.now ?? Date.now;
  const failures = new FailureCounter();
  const verifier = new VerificationLimiter(
    options.maxParallelVerifications ?? GATE_VERIFICATIONS_PER_WORKSPACE,
    options.maxQueuedVerifications ?? GATE_VERIFICATION_QUEUE,
    options.maxVerificationWaitMs ?? GATE_VERIFICATION_WAIT_MS,
  );
  /** Sign-ins of one client address still being verified, per rate-limit key. */
  const inFlight = new Map<string, number>();
  const bump = (key: string, delta: number) => {
    const value = (inFlight.get(key) ?? 0) + delta;
    if (value <= 0) inFlight.delete(key);
    else inFlight.set(key, value);
  };
  /** Nonces of redeemed tickets → expiry (ms); pruned as they expire, so a ticket works exactly once. */
  const usedTickets = new Map<string, number>();
  const pruneTickets = (at: number) => {
    for (const [nonce, expires] of usedTickets) if (expires <= at) usedTickets.delete(nonce);
  };

  function mac(kind: SessionKind, projectId: string, issuedAt: string, key: string): Buffer {
    return createHmac('sha256', secret).update(`${kind}\n${projectId}\n${issuedAt}\n${key}`).digest();
  }

  function cookieValue(kind: SessionKind, projectId: string, key: string): string {
    const issuedAt = String(Math.floor(now() / 1000));
    return `${kind}.${issuedAt}.${mac(kind, projectId, issuedAt, key).toString('base64url')}`;
  }

  function setCookie(kind: SessionKind, projectId: string, key: string, cookiePath: string): string {
    if (!COOKIE_PATH.test(cookiePath)) throw new Error('Invalid cookie path');
    return `${GATE_COOKIE_PREFIX}${projectId}=${cookieValue(kind, projectId, key)}; Path=${cookiePath}; Max-Age=${GATE_SESSION_SECONDS}; HttpOnly; SameSite=Lax`;
  }

  function keyFor(kind: string, keys: GateKeys): string | undefined {
    if (kind === KIND_PASSWORD) return keys.passwordHash;
    if (kind === KIND_SEAT) return keys.claimKey;
    if (kind === KIND_TEACHER) return teacherKey;
    return undefined;
  }

  function validValue(value: string, projectId: string, keys: GateKeys): boolean {
    const parts = value.split('.');
    if (parts.length !== 3) return false;
    const kind = parts[0] as string;
    const key = keyFor(kind, keys);
    if (key === undefined || key === '') return false;
    const issuedAt = parts[1] as string;
    if (!/^\d{1,12}$/.test(issuedAt)) return false;
    const age = now() / 1000 - Number(issuedAt);
    if (age > GATE_SESSION_SECONDS || age < -300) return false;
    const given = Buffer.from(parts[2] as string, 'base64url');
    const expected = mac(kind as SessionKind, projectId, issuedAt, key);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function ticketMac(projectId: string, expires: string, nonce: string, key: string): Buffer {
    return createHmac('sha256', secret).update(`${TICKET_VERSION}\n${projectId}\n${expires}\n${nonce}\n${key}`).digest();
  }

  function createTicket(projectId: string, key: string): string {
    if (key === '') throw new Error('An enter ticket needs a key');
    const expires = String(Math.floor(now() / 1000) + GATE_TICKET_SECONDS);
    const nonce = randomBytes(12).toString('base64url');
    return `${TICKET_VERSION}.${projectId}.${expires}.${nonce}.${ticketMac(projectId, expires, nonce, key).toString('base64url')}`;
  }

  /**
   * Checks a ticket for `projectId`; on success marks it used and returns the session kind it grants.
   * @returns the kind, or a reason for the message on the page.
   */
  function redeemTicket(ticket: string | null, projectId: string, keys: GateKeys): { kind: SessionKind; key: string } | 'invalid' | 'expired' | 'used' {
    if (ticket === null || ticket.length > 300) return 'invalid';
    const parts = ticket.split('.');
    if (parts.length !== 5 || parts[0] !== TICKET_VERSION || parts[1] !== projectId) return 'invalid';
    const [, , expires, nonce, given] = parts as [string, string, string, string, string];
    if (!/^\d{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{16}$/.test(nonce)) return 'invalid';
    const givenMac = Buffer.from(given, 'base64url');
    const candidates: { kind: SessionKind; key: string | undefined }[] = [
      { kind: KIND_SEAT, key: keys.claimKey },
      { kind: KIND_TEACHER, key: teacherKey },
    ];
    const match = candidates.find(({ key }) => {
      if (key === undefined || key === '') return false;
      const expected = ticketMac(projectId, expires, nonce, key);
      return givenMac.length === expected.length && timingSafeEqual(givenMac, expected);
    });
    if (match === undefined) return 'invalid';
    const at = now();
    if (Number(expires) * 1000 <= at) return 'expired';
    pruneTickets(at);
    if (usedTickets.has(nonce)) return 'used';
    usedTickets.set(nonce, Number(expires) * 1000);
    return { kind: match.kind, key: match.key as string };
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

  /** Login page fields of a route: the form only when the workspace has a password. */
  function page(route: GateRoute, next: string, error?: string): LoginPage {
    return {
      workspaceName: route.workspaceName,
      base: route.base,
      next,
      passwordForm: route.keys.passwordHash !== undefined,
      ...(error === undefined ? {} : { error }),
    };
  }

  async function login(req: http.IncomingMessage, res: http.ServerResponse, route: GateRoute): Promise<void> {
    const { projectId } = route;
    const form = await readForm(req);
    if (form === null) {
      sendPage(req, res, 400, page(route, '/', 'The sign-in form could not be read. Reload the page and try again.'));
      return;
    }
    const next = safeNextPath(form.get('next'));
    const password = form.get('password') ?? '';
    const clientKey = `${projectId}|${req.socket.remoteAddress ?? ''}`;
    const at = now();
    // Attempts still being verified count too: a burst of parallel posts from one address cannot run more
    // argon2 checks than its limit allows.
    if (failures.count(clientKey, at) + (inFlight.get(clientKey) ?? 0) >= GATE_FAILURES_PER_CLIENT) {
      const seconds = Math.max(1, Math.ceil(failures.retryAfterMs(clientKey, at) / 1000));
      sendPage(req, res, 429, page(route, next, `Too many wrong passwords. Wait ${seconds} seconds, then try again.`), { 'retry-after': String(seconds) });
      return;
    }
    let verifiedHash: string | null = null;
    if (password.length > 0 && password.length <= 200) {
      bump(clientKey, 1);
      let release: (() => void) | null;
      try {
        release = await verifier.acquire(projectId);
      } catch {
        release = null;
      }
      if (release === null) {
        bump(clientKey, -1);
        sendPage(req, res, 429, page(route, next, 'Too many sign-ins to this workspace at once. Wait a few seconds, then try again.'), { 'retry-after': '5' });
        return;
      }
      try {
        verifiedHash = await options.verifyPassword(projectId, password);
      } finally {
        release();
        bump(clientKey, -1);
      }
    }
    if (verifiedHash === null) {
      failures.add(clientKey, now());
      sendPage(req, res, 401, page(route, next, 'Wrong password. Check it and try again.'));
      return;
    }
    if (res.headersSent || res.destroyed) return;
    const cookie = setCookie(KIND_PASSWORD, projectId, verifiedHash, `${route.base}/`);
    res.writeHead(303, { location: `${route.base}${next}`, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  }

  return {
    hasSession(req, projectId, keys) {
      for (const value of readCookies(req.headers.cookie, `${GATE_COOKIE_PREFIX}${projectId}`)) {
        if (validValue(value, projectId, keys)) return true;
      }
      return false;
    },

    isLoginPath(url) {
      return isReservedPath(url, GATE_LOGIN_PATH);
    },

    isEnterPath(url) {
      return isReservedPath(url, GATE_ENTER_PATH);
    },

    sendLoginPage(req, res, route) {
      sendPage(req, res, 401, page(route, safeNextPath(req.url)));
    },

    handleLogin(req, res, route) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
        sendPage(req, res, 200, page(route, safeNextPath(query.get('next') ?? '/')));
        return;
      }
      if (req.method !== 'POST') {
        sendPage(req, res, 405, page(route, '/', 'Use the form below to sign in.'), { allow: 'GET, HEAD, POST' });
        return;
      }
      // A form posted from another site (login CSRF) carries its own Origin: refuse it.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== 'null' && !sameHost(origin, req.headers.host)) {
        sendPage(req, res, 403, page(route, '/', 'This sign-in came from another site and was refused. Use the form below.'));
        return;
      }
      login(req, res, route).catch(() => {
        sendPage(req, res, 500, page(route, '/', 'Signing in failed. Try again.'));
      });
    },

    handleEnter(req, res, route) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendPage(req, res, 405, page(route, '/', 'Open the link in your browser.'), { allow: 'GET, HEAD' });
        return;
      }
      const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const result = redeemTicket(query.get('ticket'), route.projectId, route.keys);
      if (typeof result === 'string') {
        const gated = route.keys.passwordHash !== undefined || route.keys.claimKey !== undefined;
        if (!gated) {
          // Nothing to protect: the workspace is open to anyone who reaches it.
          res.writeHead(303, { location: `${route.base}/`, 'cache-control': 'no-store', 'content-length': 0 });
          res.end();
          return;
        }
        const reason =
          result === 'expired'
            ? 'This link has expired (links are valid for 2 minutes).'
            : result === 'used'
              ? 'This link was already used; each link opens the workspace once.'
              : 'This link is not valid for this workspace (or the seat was released).';
        sendPage(req, res, 401, page(route, '/', `${reason} Ask for a new link${route.keys.passwordHash === undefined ? '.' : ', or sign in with the password.'}`));
        return;
      }
      const cookie = setCookie(result.kind, route.projectId, result.key, `${route.base}/`);
      res.writeHead(303, { location: `${route.base}/`, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
    },

    upstreamCookie(header, extra) {
      return upstreamCookieHeader(header, extra);
    },

    seatSessionCookie(projectId, claimKey, cookiePath) {
      if (claimKey === '') throw new Error('A seat session needs a claim key');
      return setCookie(KIND_SEAT, projectId, claimKey, cookiePath);
    },

    createEnterTicket(projectId, key) {
      return createTicket(projectId, key);
    },

    createTeacherTicket(projectId) {
      if (teacherKey === undefined) throw new Error('This gate has no teacher key');
      return createTicket(projectId, teacherKey);
    },
  };
}

/**
 * A `Cookie` header for a workspace: every cookie of ours (`xares_*`) and any client-sent
 * `code-server-session` removed, `extra` appended; undefined when nothing is left.
 */
export function upstreamCookieHeader(header: string | undefined, extra: string | undefined): string | undefined {
  let kept: string[] = [];
  if (header !== undefined && header !== '') {
    kept = header
      .split(';')
      .map((part) => part.trim())
      .filter((part) => {
        if (part === '') return false;
        const name = part.slice(0, Math.max(0, part.indexOf('='))).trim();
        return !name.startsWith(OWN_COOKIE_PREFIX) && name !== CODE_SERVER_SESSION;
      });
  }
  if (extra !== undefined) kept.push(extra);
  return kept.length === 0 ? undefined : kept.join('; ');
}

function isReservedPath(url: string | undefined, reserved: string): boolean {
  if (url === undefined || !url.startsWith(reserved)) return false;
  const rest = url.charCodeAt(reserved.length);
  return Number.isNaN(rest) || rest === 63 /* ? */;
}

/**
 * Bounds concurrent argon2 verifications per workspace: at most `parallel` at once, at most `queue` waiting
 * (each at most `waitMs`); `acquire` resolves to a release function, or null when the queue is full or the
 * wait ran out. Entries are removed when idle, so memory stays bounded by the number of active workspaces.
 */
export class VerificationLimiter {
  private readonly slots = new Map<string, { running: number; waiting: Array<(granted: boolean) => void> }>();

  constructor(
    private readonly parallel: number,
    private readonly queue: number,
    private readonly waitMs: number,
  ) {}

  /** Waits for a verification slot of `key`; resolves to its release function, or null (429). */
  acquire(key: string): Promise<(() => void) | null> {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { running: 0, waiting: [] };
      this.slots.set(key, slot);
    }
    const entry = slot;
    const release = () => {
      entry.running -= 1;
      const next = entry.waiting.shift();
      if (next !== undefined) next(true);
      else if (entry.running === 0) this.slots.delete(key);
    };
    if (entry.running < this.parallel) {
      entry.running += 1;
      return Promise.resolve(once(release));
    }
    if (entry.waiting.length >= this.queue) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (granted: boolean) => {
        clearTimeout(timer);
        if (granted) {
          entry.running += 1;
          resolve(once(release));
        } else resolve(null);
      };
      const timer = setTimeout(() => {
        const index = entry.waiting.indexOf(waiter);
        if (index !== -1) entry.waiting.splice(index, 1);
        waiter(false);
      }, this.waitMs);
      entry.waiting.push(waiter);
    });
  }

  /** Verifications running for `key` right now (tests). */
  running(key: string): number {
    return this.slots.get(key)?.running ?? 0;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** code-server's session cookie name (see server/services/code-server-auth.ts); never taken from clients. */
const CODE_SERVER_SESSION = 'code-server-session';

/** Value of cookie `name` in a `Cookie` header, or undefined (first one wins). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  return readCookies(header, name)[0];
}

/**
 * Every value of cookie `name` in a `Cookie` header, in header order. More than one arrives when cookies of
 * the same name exist for several paths (a page on a path seat can set one with `document.cookie`): the gate
 * accepts the request when any of them is valid, so a planted cookie cannot shadow the real session.
 */
export function readCookies(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (header === undefined) return values;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/**
 * Where to go after signing in: a same-host path only. Anything else (absolute URLs, `//host`, `/\host`,
 * control characters, over 2000 characters, our own login and enter paths) becomes `/`. No open redirect.
 * The path is relative to the route's base (`/w/<id>` on path seats), which the gate puts in front.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return '/';
  if (next.charCodeAt(0) !== 47 /* / */) return '/';
  const second = next.charCodeAt(1);
  if (second === 47 /* / */ || second === 92 /* \ */) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  if (next.startsWith(GATE_LOGIN_PATH) || next.startsWith(GATE_ENTER_PATH)) return '/';
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

/** What the login page shows. */
export interface LoginPage {
  workspaceName: string;
  /** Route prefix (`''` or `/w/<id>`): the form posts to `<base>/__xares/login`. */
  base?: string;
  /** Same-host path to return to, relative to `base` (already checked by {@link safeNextPath}). */
  next: string;
  /** Show the password form (false for a claimed seat without a password: only its own browser gets in). */
  passwordForm?: boolean;
  error?: string;
}

/** The login page: plain HTML, every text escaped, no script, one POST form to `<base>`{@link GATE_LOGIN_PATH}. */
export function renderLoginPage(page: LoginPage): string {
  const base = page.base ?? '';
  const passwordForm = page.passwordForm ?? true;
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
${passwordForm ? `<p>Enter the password of <strong>${escapeHtml(page.workspaceName)}</strong> to open it.</p>` : `<p><strong>${escapeHtml(page.workspaceName)}</strong> is a workshop seat in use. It opens in the browser that claimed it; ask your workshop leader if you need a new link.</p>`}
${page.error === undefined ? '' : `<p class="error" role="alert" data-testid="workspace-login-error">${escapeHtml(page.error)}</p>\n`}${passwordForm ? `<form method="post" action="${escapeHtml(base + GATE_LOGIN_PATH)}" data-testid="workspace-login-form">
<input type="hidden" name="next" value="${escapeHtml(page.next)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="50" autofocus data-testid="workspace-login-password">
<button type="submit" data-testid="workspace-login-submit">Open workspace</button>
</form>
` : ''}</main>
</body>
</html>
`;
}
