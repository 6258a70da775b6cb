import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.js';

/** File in the data directory that keeps the generated admin token (mode 0600). */
export const ADMIN_TOKEN_FILE = 'admin-token';
/** Lifetime of a one-time sign-in code: 15 minutes (our rule, issue #2 "one-time sign-in link"). */
export const SIGN_IN_CODE_TTL_MS = 15 * 60_000;

/** 32 random bytes, base64url (43 characters). */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The admin token: `configured` when given; else the one in `<dataDir>/admin-token`; else a new one written
 * there with mode 0600 (the directory is created 0700).
 */
export function loadOrCreateAdminToken(dataDir: string, configured?: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) {
      try {
        chmodSync(file, 0o600);
      } catch {
        // Best effort on file systems without modes.
      }
      return stored;
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomSecret();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** Constant-time string comparison (compares SHA-256 digests so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/** The admin credential and one-time sign-in codes of one server instance. */
export class AdminAuth {
  private readonly codes = new Map<string, number>();

  constructor(readonly token: string) {}

  /** True when the `Authorization` header is `Bearer <admin token>`. */
  isAuthorized(authorization: string | undefined): boolean {
    if (!authorization) return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] !== undefined && safeEqual(match[1], this.token);
  }

  /** Express middleware: 401 UNAUTHORIZED unless the request carries the admin token. */
  readonly requireAdmin = (req: Request, res: Response, next: NextFunction): void => {
    if (this.isAuthorized(req.headers.authorization)) return next();
    sendError(res, 'UNAUTHORIZED', req.headers.authorization ? 'The admin credential is not valid' : 'The admin credential is missing');
  };

  /** A new one-time code, valid once for `SIGN_IN_CODE_TTL_MS`. */
  issueCode(now = Date.now()): string {
    this.prune(now);
    const code = randomSecret();
    this.codes.set(code, now + SIGN_IN_CODE_TTL_MS);
    return code;
  }

  /** Trades a code for the token, once; null when unknown, used or expired. */
  exchange(code: string, now = Date.now()): string | null {
    this.prune(now);
    for (const [candidate, expires] of this.codes) {
      if (safeEqual(candidate, code)) {
        this.codes.delete(candidate);
        return expires >= now ? this.token : null;
      }
    }
    return null;
  }

  private prune(now: number): void {
    for (const [code, expires] of this.codes) if (expires < now) this.codes.delete(code);
  }
}

/**
 * Fixed-window rate limiter per key (client address). Used on the public sign-in exchange:
 * 10 attempts per minute per address (our rule; a 43-character random code cannot be guessed anyway).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt; false when the key is over its limit in the current window. */
  allow(key: string, now = Date.now()): boolean {
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      if (this.windows.size > 10_000) this.windows.clear();
      this.windows.set(key, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.limit;
  }
}
