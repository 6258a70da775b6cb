import { describe, expect, it } from 'vitest';
import { hasContentSecurityPolicy, withContentSecurityPolicy } from '../../main/content-security.js';
import { DASHBOARD_CSP } from '../../server/http/dashboard.js';

const origin = 'http://localhost:8080';

describe('withContentSecurityPolicy', () => {
  it('adds the dashboard policy to a page of ours that came without one', () => {
    const headers = { 'Content-Type': ['text/html'] };
    expect(withContentSecurityPolicy(`${origin}/admin/`, headers, origin, DASHBOARD_CSP)).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [DASHBOARD_CSP],
    });
  });
  it("keeps the server's own policy (any case of the header name)", () => {
    const headers = { 'content-security-policy': ["default-src 'none'"] };
    expect(withContentSecurityPolicy(`${origin}/api/projects`, headers, origin, DASHBOARD_CSP)).toBe(headers);
    expect(hasContentSecurityPolicy({ 'Content-Security-Policy': 'x' })).toBe(true);
  });
  it('leaves other origins, bad URLs and the time before the server runs alone', () => {
    const headers = { a: ['b'] };
    expect(withContentSecurityPolicy('http://abc.localhost:8080/', headers, origin, DASHBOARD_CSP)).toBe(headers);
    expect(withContentSecurityPolicy('http://localhost:8081/admin/', headers, origin, DASHBOARD_CSP)).toBe(headers);
    expect(withContentSecurityPolicy('not a url', headers, origin, DASHBOARD_CSP)).toBe(headers);
    expect(withContentSecurityPolicy(`${origin}/admin/`, headers, null, DASHBOARD_CSP)).toBe(headers);
  });
  it('is strict: scripts only from our origin, no eval, no framing, no plugins', () => {
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CSP).toContain("object-src 'none'");
  });
});
