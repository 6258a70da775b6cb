import { describe, expect, it } from 'vitest';
import { JOIN_QR_PAGE_CSP, joinQrPageHtml, joinQrPageUrl, joinQrWindowOptions } from '../../main/join-qr-page.js';
import { qrShape } from '../../renderer/src/views/workshop-qr.js';

describe('join QR page (tray "Show join QR code")', () => {
  const url = 'http://192.168.1.20:8080/';

  it('draws the same code as the dashboard, with the URL under it', () => {
    const html = joinQrPageHtml(url);
    const { size, path } = qrShape(url);
    expect(html).toContain(`viewBox="0 0 ${size} ${size}"`);
    expect(html).toContain(`<path d="${path}" fill="#000"/>`);
    expect(html).toContain(`<p>${url}</p>`);
  });

  it('loads and runs nothing: strict CSP, no script, no remote reference', () => {
    const html = joinQrPageHtml(url);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${JOIN_QR_PAGE_CSP}">`);
    expect(JOIN_QR_PAGE_CSP).toMatch(/^default-src 'none';/);
    expect(html).not.toMatch(/<script|javascript:|\bsrc=|\bhref=|@import|url\(/i);
    const options = joinQrWindowOptions('/icons/icon.png');
    expect(options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false });
    expect('preload' in options.webPreferences).toBe(false);
  });

  it('escapes the URL text (a configured host is user text)', () => {
    const odd = 'http://x"><script>alert(1)</script>/';
    const html = joinQrPageHtml(odd);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('aria-label="QR code of http://x&#34;&#62;');
  });

  it('is a data: URL of exactly that page', () => {
    const dataUrl = joinQrPageUrl(url);
    expect(dataUrl.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(dataUrl.split(',')[1]!, 'base64').toString('utf8')).toBe(joinQrPageHtml(url));
  });
});
