/**
 * A protected workspace in real Chromium (issue #3 "Passwords"): through the router it asks for its password
 * on our own login page, refuses a wrong one in words, opens the VS Code workbench after the right one (its
 * WebSocket too), and after the teacher changes the password in the dashboard's details panel the old
 * session ends and only the new password opens it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('protected workspace in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let participant: BrowserContext;
  let teacher: BrowserContext;
  let id = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ host: undefined });
    browser = await launchChromium();
    participant = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    teacher = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const created = await server.api('POST', '/api/projects/create', { projectName: 'Locked Room', projectType: 'empty', passwordProtected: true, password: 'first pass 111' });
    expect(created.status).toBe(201);
    id = created.body.project.id;
    await server.waitForStatus(id, 'running');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  async function signIn(page: Page, password: string): Promise<void> {
    await page.getByTestId('workspace-login-password').fill(password);
    await page.getByTestId('workspace-login-submit').click();
  }

  it('asks for the password through the router and opens the workbench after it', async () => {
    const page = await participant.newPage();
    await page.goto(`http://${id}.localhost:${server.port}/`);
    await page.getByTestId('workspace-login-form').waitFor();
    expect(await page.locator('.monaco-workbench').count()).toBe(0);

    await signIn(page, 'not the password');
    await expect.poll(() => page.getByTestId('workspace-login-error').textContent()).toContain('Wrong password');

    await signIn(page, 'first pass 111');
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // The workbench's WebSocket went through the gate as well: the explorer shows the workspace folder.
    await page.locator('.explorer-folders-view, .monaco-workbench .part.sidebar').first().waitFor({ timeout: 60_000 });
    expect(new URL(page.url()).host).toBe(`${id}.localhost:${server.port}`);
    // The session cookie is HttpOnly: page script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('xares_gate_');
    await page.close();
  });

  it('changes the password from the dashboard; the old session ends and the new password opens it', async () => {
    const dashboard = await teacher.newPage();
    dashboard.on('pageerror', (error) => pageErrors.push(error.message));
    await dashboard.goto(server.server.createSignInUrl());
    await dashboard.getByTestId(`workspace-row-${id}`).waitFor();
    await dashboard.getByTestId(`workspace-details-${id}`).click();
    await dashboard.getByTestId('details-password').waitFor();
    expect(await dashboard.getByTestId('details-password-state').getAttribute('data-protected')).toBe('true');

    await dashboard.getByTestId('details-password-current').fill('wrong current 1');
    await dashboard.getByTestId('details-password-new').fill('second pass 222');
    await dashboard.getByTestId('details-password-save').click();
    await expect.poll(() => dashboard.getByTestId('details-password-error').textContent()).toContain('current password is wrong');

    await dashboard.getByTestId('details-password-current').fill('first pass 111');
    await dashboard.getByTestId('details-password-new').fill('second pass 222');
    await dashboard.getByTestId('details-password-save').click();
    await dashboard.getByTestId('details-password-saved').waitFor({ timeout: 60_000 });

    const page = await participant.newPage();
    await page.goto(`http://${id}.localhost:${server.port}/`);
    await page.getByTestId('workspace-login-form').waitFor();
    await signIn(page, 'first pass 111');
    await expect.poll(() => page.getByTestId('workspace-login-error').textContent()).toContain('Wrong password');
    await signIn(page, 'second pass 222');
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    expect(pageErrors).toEqual([]);
  });
});
