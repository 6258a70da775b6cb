/**
 * The dashboard under its Content-Security-Policy (issue #6 "a strict Content-Security-Policy"): the server sends
 * `DASHBOARD_CSP` with every dashboard page (the desktop window adds the same policy to any page of ours that
 * lacks one, main/content-security.ts), and the dashboard must work under it. Real server, real Chromium: the
 * header is there, the signed-in dashboard renders and opens its dialogs, and the browser reports no CSP
 * violation (`securitypolicyviolation` events, "Refused to …" console messages) and no page error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../server/http/dashboard.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('dashboard under the Content-Security-Policy in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ host: undefined }, { networkControl: false });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('serves the policy and renders the dashboard with no violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      // Runs before any page script (injected by the browser's debugging protocol, not subject to the CSP).
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          const store = ((window as unknown as { cspViolations?: string[] }).cspViolations ??= []);
          store.push(`${event.violatedDirective} ${event.blockedURI}`);
        });
      });
      const response = await page.goto(server.server.createSignInUrl());
      expect(response?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
      await page.getByTestId('empty-state').waitFor();
      await page.getByTestId('empty-state-create').click();
      await page.getByTestId('create-dialog').waitFor();
      const violations = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
      expect([...violations, ...problems]).toEqual([]);
      // Control: the listener does see a violation, and the policy refuses a foreign script. (eval cannot be
      // checked from here: code run through the debugging protocol is exempt from the page's CSP.)
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.src = 'https://example.org/x.js';
        document.head.append(script);
      });
      const seen = () => page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
      await expect.poll(seen, { timeout: 10_000 }).toEqual([expect.stringMatching(/^script-src(-elem)? https:\/\/example\.org\/x\.js$/)]);
    } finally {
      await context.close();
    }
  });
});
