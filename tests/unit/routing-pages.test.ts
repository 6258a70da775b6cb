import { describe, expect, it } from 'vitest';
import { appPortNotListeningPage, escapeHtml, renderStatusPage } from '../../server/routing/status-pages.js';
import { isPortProxyRefusal, stripCookieDomain, stripPortProxyPrefix } from '../../server/routing/workspace-router.js';

describe('status pages', () => {
  it('escape every text field', () => {
    const html = renderStatusPage({
      status: 503,
      title: '<b>t</b>',
      message: `name "<script>alert(1)</script>" & 'x'`,
      detail: '<img src=x onerror=alert(1)>',
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>t</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;');
    expect(html).toContain('&#39;x&#39;');
    expect(html).toContain('&amp;');
  });

  it('adds a refresh meta tag only when asked', () => {
    expect(renderStatusPage({ status: 503, title: 't', message: 'm', refreshSeconds: 3 })).toContain('<meta http-equiv="refresh" content="3">');
    expect(renderStatusPage({ status: 503, title: 't', message: 'm' })).not.toContain('http-equiv="refresh"');
  });

  it('escapeHtml covers the five HTML specials', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('stripCookieDomain', () => {
  it('removes every Domain attribute, whatever its case and spacing', () => {
    expect(stripCookieDomain('a=b; Domain=localhost; Path=/')).toBe('a=b; Path=/');
    expect(stripCookieDomain('a=b; domain=.example.org')).toBe('a=b');
    expect(stripCookieDomain('a=b;DOMAIN = x;Path=/; Domain=localhost; HttpOnly')).toBe('a=b;Path=/; HttpOnly');
  });
  it('leaves cookies without Domain and a cookie named domain untouched', () => {
    expect(stripCookieDomain('session=1; Path=/; HttpOnly; SameSite=Lax')).toBe('session=1; Path=/; HttpOnly; SameSite=Lax');
    expect(stripCookieDomain('domain=x; Path=/')).toBe('domain=x; Path=/');
  });
});

describe('stripPortProxyPrefix', () => {
  it('undoes code-server’s /proxy/<port> prefix on redirects', () => {
    expect(stripPortProxyPrefix('/proxy/5000/login', 5000)).toBe('/login');
    expect(stripPortProxyPrefix('/proxy/5000', 5000)).toBe('/');
    expect(stripPortProxyPrefix('/proxy/5000?x=1', 5000)).toBe('/?x=1');
  });
  it('leaves other locations alone', () => {
    expect(stripPortProxyPrefix('/proxy/50000/x', 5000)).toBe('/proxy/50000/x');
    expect(stripPortProxyPrefix('/login', 5000)).toBe('/login');
    expect(stripPortProxyPrefix('https://example.org/proxy/5000/x', 5000)).toBe('https://example.org/proxy/5000/x');
  });
});

describe('app port with nothing listening', () => {
  it('recognises only code-server’s own refusal for the requested port', () => {
    expect(isPortProxyRefusal(500, {}, 'connect ECONNREFUSED 0.0.0.0:3000', 3000)).toBe(true);
    expect(isPortProxyRefusal(500, {}, 'connect ECONNREFUSED 127.0.0.1:3000', 3000)).toBe(true);
    // Another port, another status, a content type of its own, or any other body: the app's own answer.
    expect(isPortProxyRefusal(500, {}, 'connect ECONNREFUSED 0.0.0.0:3001', 3000)).toBe(false);
    expect(isPortProxyRefusal(502, {}, 'connect ECONNREFUSED 0.0.0.0:3000', 3000)).toBe(false);
    expect(isPortProxyRefusal(500, { 'content-type': 'text/plain' }, 'connect ECONNREFUSED 0.0.0.0:3000', 3000)).toBe(false);
    expect(isPortProxyRefusal(500, {}, 'Internal error: connect ECONNREFUSED 0.0.0.0:3000', 3000)).toBe(false);
    expect(isPortProxyRefusal(500, {}, '', 3000)).toBe(false);
  });

  it('has a 502 page telling the user to start the app on 0.0.0.0', () => {
    const page = appPortNotListeningPage(3000);
    expect(page.status).toBe(502);
    const html = renderStatusPage(page);
    expect(html).toContain('Nothing is listening on port 3000 in this workspace yet.');
    expect(html).toContain('0.0.0.0');
  });
});
