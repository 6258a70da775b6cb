import { describe, expect, it } from 'vitest';
import { dashboardOrigin, decideNavigation, isPermissionAllowed, isSafeExternalUrl, isTrustedSender } from '../../main/navigation-policy.js';

const ORIGIN = dashboardOrigin('http://localhost:8080/admin/');

describe('dashboardOrigin', () => {
  it('is scheme, host and port of the dashboard URL', () => {
    expect(ORIGIN).toBe('http://localhost:8080');
    expect(dashboardOrigin('https://panel.example.org/admin/')).toBe('https://panel.example.org');
  });
  it('refuses a URL that is not http(s)', () => {
    expect(() => dashboardOrigin('file:///tmp/index.html')).toThrow(TypeError);
    expect(() => dashboardOrigin('not a url')).toThrow(TypeError);
  });
});

describe('decideNavigation', () => {
  it('keeps pages of the dashboard origin in the window', () => {
    expect(decideNavigation('http://localhost:8080/admin/', ORIGIN)).toEqual({ action: 'allow' });
    expect(decideNavigation('http://localhost:8080/admin/projects?x=1#top', ORIGIN)).toEqual({ action: 'allow' });
    expect(decideNavigation('http://localhost:8080/api/health', ORIGIN)).toEqual({ action: 'allow' });
  });

  it('sends workspaces (other origins by design) and the web to the system browser', () => {
    expect(decideNavigation('http://abc123.localhost:8080/', ORIGIN)).toEqual({ action: 'open-external', url: 'http://abc123.localhost:8080/' });
    expect(decideNavigation('https://code.visualstudio.com/docs', ORIGIN)).toEqual({ action: 'open-external', url: 'https://code.visualstudio.com/docs' });
  });

  it('treats another port, scheme or host spelling as another origin', () => {
    expect(decideNavigation('http://localhost:8081/admin/', ORIGIN).action).toBe('open-external');
    expect(decideNavigation('https://localhost:8080/admin/', ORIGIN).action).toBe('open-external');
    expect(decideNavigation('http://127.0.0.1:8080/admin/', ORIGIN).action).toBe('open-external');
  });

  it('never opens local files, scripts, data URLs or custom schemes', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'about:blank', 'vscode://file/x', 'smb://host/share', 'nonsense']) {
      expect(decideNavigation(url, ORIGIN).action, url).toBe('deny');
    }
  });

  it('does not open links with embedded credentials', () => {
    expect(decideNavigation('http://user:secret@example.org/', ORIGIN).action).toBe('deny');
  });
});

describe('isSafeExternalUrl', () => {
  it('accepts only http and https with a host', () => {
    expect(isSafeExternalUrl('https://example.org/a?b=c')).toBe(true);
    expect(isSafeExternalUrl('http://10.0.0.5:8080/')).toBe(true);
    expect(isSafeExternalUrl('ftp://example.org/')).toBe(false);
    expect(isSafeExternalUrl('file:///C:/Windows/system32/calc.exe')).toBe(false);
    expect(isSafeExternalUrl('https://')).toBe(false);
    expect(isSafeExternalUrl('')).toBe(false);
  });
});

describe('isTrustedSender', () => {
  it('trusts only frames on the dashboard origin', () => {
    expect(isTrustedSender('http://localhost:8080/admin/', ORIGIN)).toBe(true);
    expect(isTrustedSender('http://ws1.localhost:8080/', ORIGIN)).toBe(false);
    expect(isTrustedSender('file:///app/index.html', ORIGIN)).toBe(false);
    expect(isTrustedSender('', ORIGIN)).toBe(false);
    expect(isTrustedSender(undefined, ORIGIN)).toBe(false);
    expect(isTrustedSender(null, ORIGIN)).toBe(false);
  });
});

describe('isPermissionAllowed', () => {
  it('grants the clipboard and notifications to the dashboard only', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', 'http://localhost:8080/admin/', ORIGIN)).toBe(true);
    expect(isPermissionAllowed('notifications', 'http://localhost:8080', ORIGIN)).toBe(true);
    expect(isPermissionAllowed('notifications', 'http://ws1.localhost:8080/', ORIGIN)).toBe(false);
  });
  it('refuses everything else', () => {
    for (const permission of ['media', 'geolocation', 'openExternal', 'fullscreen', 'clipboard-read', 'hid', 'serial']) {
      expect(isPermissionAllowed(permission, 'http://localhost:8080/admin/', ORIGIN), permission).toBe(false);
    }
  });
});
