/**
 * The "New workspace" dialog offers only what the server can do: with no proxy service and no Git server on
 * this machine (as `GET /api/config` reports), the Security and Logging proxy cards and the Git checkbox are
 * disabled with a note in words, and "No proxy" stays selected. When the config cannot be loaded, nothing is
 * disabled and no note appears (the server's own validation still answers). Real server, real Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConfigResponse } from '../../server/contract/index.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('create dialog and server capabilities in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** A fresh signed-in dashboard at 1280×800; `prepare` runs before the sign-in link is opened. */
  async function signedInPage(prepare?: (page: Page) => Promise<void>): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await prepare?.(page);
    await page.goto(server.server.createSignInUrl());
    await page.getByTestId('empty-state').waitFor();
    return page;
  }

  beforeAll(async () => {
    // Network control off: the server then has neither proxy (issue #5), the state these notes are about.
    server = await startTestServer({ host: undefined }, { networkControl: false });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.dispose();
  });

  it('disables the proxy modes and the Git repository the server lacks, each with its note, and keeps "No proxy"', async () => {
    const { config } = ConfigResponse.parse((await server.api('GET', '/api/config')).body);
    expect(config.features).toMatchObject({ securityProxy: false, loggingProxy: false, gitServer: false });

    const page = await signedInPage();
    await page.getByTestId('empty-state-create').click();
    await page.getByTestId('create-dialog').waitFor();

    const security = page.getByTestId('create-proxy-security');
    const logging = page.getByTestId('create-proxy-logging');
    const git = page.getByTestId('create-git-repo');
    // The features load in the background: poll until the dialog reflects them.
    await expect.poll(() => security.isDisabled(), { timeout: 10_000 }).toBe(true);
    expect(await logging.isDisabled()).toBe(true);
    expect(await git.isDisabled()).toBe(true);
    expect(await page.getByTestId('create-proxy-none').isDisabled()).toBe(false);
    expect(await page.getByTestId('create-proxy-none').isChecked()).toBe(true);
    expect(await git.isChecked()).toBe(false);

    const securityNote = page.getByTestId('create-proxy-security-unavailable');
    const loggingNote = page.getByTestId('create-proxy-logging-unavailable');
    const gitNote = page.getByTestId('create-git-repo-unavailable');
    for (const note of [securityNote, loggingNote, gitNote]) expect(await note.isVisible()).toBe(true);
    expect(await securityNote.textContent()).toContain('Security Proxy, which is not set up on this machine yet');
    expect(await loggingNote.textContent()).toContain('Logging Proxy, which is not set up on this machine yet');
    expect(await gitNote.textContent()).toContain('Git server, which is not set up on this machine yet');
    expect(await page.getByTestId('create-proxy-none-unavailable').count()).toBe(0);
    // The note is the disabled control's description for screen readers too.
    const describedBy = await security.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(await securityNote.textContent());

    // Clicking a disabled card changes nothing.
    await page.getByTestId('create-proxy-card-security').click({ force: true });
    await page.getByTestId('create-git-repo').click({ force: true });
    expect(await page.getByTestId('create-proxy-none').isChecked()).toBe(true);
    expect(await security.isChecked()).toBe(false);
    expect(await git.isChecked()).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('leaves every option enabled and shows no note when the config cannot be loaded', async () => {
    const page = await signedInPage(async (p) => {
      await p.route('**/api/config', (route) =>
        route.fulfill({ status: 500, contentType: 'application/json', body: '{"success":false,"error":"boom","code":"INTERNAL_ERROR"}' }),
      );
    });
    const configAnswered = page.waitForResponse((response) => response.url().endsWith('/api/config'));
    await page.getByTestId('empty-state-create').click();
    await page.getByTestId('create-dialog').waitFor();
    await configAnswered;

    expect(await page.getByTestId('create-proxy-security').isDisabled()).toBe(false);
    expect(await page.getByTestId('create-proxy-logging').isDisabled()).toBe(false);
    expect(await page.getByTestId('create-git-repo').isDisabled()).toBe(false);
    expect(await page.getByTestId('create-proxy-none').isChecked()).toBe(true);
    expect(await page.locator('[data-testid$=-unavailable]').count()).toBe(0);
    await page.getByTestId('create-proxy-card-logging').click();
    expect(await page.getByTestId('create-proxy-logging').isChecked()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
