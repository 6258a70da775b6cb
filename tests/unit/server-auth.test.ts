// Admin token file, constant-time comparison, one-time sign-in codes, rate limiter, host guard.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminAuth, RateLimiter, SIGN_IN_CODE_TTL_MS, loadOrCreateAdminToken, safeEqual } from '../../server/http/auth.js';
import { HostGuard, parseHostHeader } from '../../server/http/host-guard.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xares-auth-'));
  dirs.push(dir);
  return dir;
}

describe('admin token', () => {
  it('generates 32 random bytes (base64url) into a 0600 file and reuses them', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const token = loadOrCreateAdminToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = path.join(dir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAdminToken(dir)).toBe(token);
    expect(loadOrCreateAdminToken(tempDir())).not.toBe(token);
  });
  it('prefers a configured token and does not write it', () => {
    const dir = tempDir();
    expect(loadOrCreateAdminToken(dir, 'configured-token-123456')).toBe('configured-token-123456');
    expect(() => readFileSync(path.join(dir, 'admin-token'))).toThrow();
  });
  it('replaces a damaged (too short) token file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'admin-token'), 'x\n');
    expect(loadOrCreateAdminToken(dir)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('AdminAuth', () => {
  const auth = new AdminAuth('the-admin-token-value-0123456789');
  it('accepts only the exact bearer token', () => {
    expect(auth.isAuthorized('Bearer the-admin-token-value-0123456789')).toBe(true);
    expect(auth.isAuthorized('bearer the-admin-token-value-0123456789')).toBe(true);
    expect(auth.isAuthorized(undefined)).toBe(false);
    expect(auth.isAuthorized('Bearer the-admin-token-value-012345678')).toBe(false);
    expect(auth.isAuthorized('Bearer the-admin-token-value-0123456789x')).toBe(false);
    expect(auth.isAuthorized('Basic the-admin-token-value-0123456789')).toBe(false);
    expect(auth.isAuthorized('Bearer')).toBe(false);
  });
  it('lets a sign-in code work once and only within 15 minutes', () => {
    const now = 1_000_000;
    const once = auth.issueCode(now);
    expect(auth.exchange(once, now + 1)).toBe(auth.token);
    expect(auth.exchange(once, now + 2)).toBeNull();
    const late = auth.issueCode(now);
    expect(auth.exchange(late, now + SIGN_IN_CODE_TTL_MS + 1)).toBeNull();
    expect(auth.exchange('not-a-code', now)).toBeNull();
  });
  it('compares in constant time on digests, still exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows `limit` attempts per window and key', () => {
    const limiter = new RateLimiter(2, 1000);
    expect([limiter.allow('a', 0), limiter.allow('a', 1), limiter.allow('a', 2)]).toEqual([true, true, false]);
    expect(limiter.allow('b', 2)).toBe(true);
    expect(limiter.allow('a', 1000)).toBe(true);
  });
});

describe('host guard', () => {
  it('parses Host headers with names, IPv4, IPv6 and ports', () => {
    expect(parseHostHeader('LocalHost:8080')).toEqual({ hostname: 'localhost', port: 8080 });
    expect(parseHostHeader('[::1]:80')).toEqual({ hostname: '::1', port: 80 });
    expect(parseHostHeader('127.0.0.1')).toEqual({ hostname: '127.0.0.1', port: null });
    expect(parseHostHeader('example.org.')).toEqual({ hostname: 'example.org', port: null });
    expect(parseHostHeader('')).toBeNull();
    expect(parseHostHeader('a b')).not.toBeNull();
    expect(parseHostHeader('x:y')).toBeNull();
  });
  it('accepts our names with our port or none, and nothing else', () => {
    const guard = new HostGuard('ws.example.org', () => 8080);
    for (const ok of ['localhost', 'localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'ws.example.org', 'WS.example.org:8080']) expect(guard.isOurHost(ok), ok).toBe(true);
    for (const bad of ['evil.com', 'localhost:8081', 'ws.example.org.evil.com', 'sub.ws.example.org', undefined, '']) expect(guard.isOurHost(bad), String(bad)).toBe(false);
  });
  it('treats an origin as ours only when it is the host the request came to', () => {
    const guard = new HostGuard('localhost', () => 8080);
    expect(guard.isOurOrigin('http://localhost:8080', 'localhost:8080')).toBe(true);
    expect(guard.isOurOrigin('http://127.0.0.1:8080', 'localhost:8080')).toBe(false);
    expect(guard.isOurOrigin('http://evil.com', 'localhost:8080')).toBe(false);
    expect(guard.isOurOrigin('null', 'localhost:8080')).toBe(false);
    expect(guard.isOurOrigin('file://', 'localhost:8080')).toBe(false);
  });
});
