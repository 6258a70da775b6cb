/**
 * The teacher's first walk, end to end on real parts: the headless server with the real engine and image,
 * the built dashboard in real Chromium. Sign in with the one-time link, create a workspace in the dialog, see
 * it become running without a reload, follow its link and see the VS Code workbench, stop, start, delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, testDocker, type TestServer } from '../helpers/server.js';

describe('dashboard in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // All interfaces, as `npm start` does: Chromium resolves <id>.localhost to loopback itself.
    server = await startTestServer({ host: undefined });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('signs in with the one-time link, and the link does not work twice', async () => {
    const link = server.server.createSignInUrl();
    await page.goto(link);
    await page.locator('[data-testid=empty-state]').waitFor();
    await page.locator('[data-testid=connection-status][data-phase=live]').waitFor();
    expect(page.url()).not.toContain('code=');

    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(link);
    await otherPage.getByTestId('signin-screen').waitFor();
    await other.close();
  });

  it('creates a workspace in the dialog, shows it running live, and its link opens the VS Code workbench', async () => {
    await page.getByTestId('empty-state-create').click();
    const dialog = page.getByTestId('create-dialog');
    await dialog.waitFor();

    // Validation with the shared schema, as the teacher types.
    await page.getByTestId('create-name').fill('a');
    await expect.poll(() => page.getByTestId('create-projectName-error').textContent()).toContain('3-50');
    await page.getByTestId('create-name').fill('Intro to Flask');
    await page.getByTestId('create-template-python-flask').check({ force: true });
    await page.getByTestId('create-group').fill('monday');
    await page.getByTestId('create-submit').click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });

    const row = page.locator('[data-testid^=workspace-row-]');
    await expect.poll(() => row.count()).toBe(1);
    const id = (await row.first().getAttribute('data-testid'))!.replace('workspace-row-', '');
    await expect(page.getByTestId(`workspace-name-${id}`).textContent()).resolves.toContain('Intro to Flask');
    await page.locator(`[data-testid=workspace-status-${id}][data-status=running]`).waitFor({ timeout: 120_000 });

    const container = await testDocker().getContainer(`workspace-${id}`).inspect();
    expect(container.State.Running).toBe(true);

    const open = page.getByTestId(`workspace-open-${id}`);
    const href = await open.getAttribute('href');
    expect(href).toBe(`http://${id}.localhost:${server.port}/`);
    const [ide] = await Promise.all([context.waitForEvent('page'), open.click()]);
    await ide.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // The workbench connected its WebSocket through the router: the explorer shows the workspace folder.
    await ide.locator('.explorer-folders-view, .monaco-workbench .part.sidebar').first().waitFor({ timeout: 60_000 });
    expect(new URL(ide.url()).host).toBe(`${id}.localhost:${server.port}`);
    await ide.close();

    // Stop, start, delete from the dashboard, each confirmed.
    await page.getByTestId(`workspace-stop-${id}`).click();
    await page.getByTestId('confirm-submit').click();
    await page.locator(`[data-testid=workspace-status-${id}][data-status=stopped]`).waitFor({ timeout: 60_000 });
    expect((await testDocker().getContainer(`workspace-${id}`).inspect()).State.Running).toBe(false);

    await page.getByTestId(`workspace-start-${id}`).click();
    await page.locator(`[data-testid=workspace-status-${id}][data-status=running]`).waitFor({ timeout: 120_000 });

    await page.getByTestId(`workspace-delete-${id}`).click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId(`workspace-row-${id}`).waitFor({ state: 'detached', timeout: 60_000 });
    await expect(testDocker().getContainer(`workspace-${id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(pageErrors).toEqual([]);
  });

  it('shows a server error in words inside the dialog (duplicate name)', async () => {
    const created = await server.api('POST', '/api/projects/create', { projectName: 'taken-name', projectType: 'empty' });
    expect(created.status).toBe(201);
    await page.getByTestId(`workspace-row-${created.body.project.id}`).waitFor();
    await page.getByTestId('new-workspace-button').click();
    await page.getByTestId('create-name').fill('taken-name');
    await page.getByTestId('create-template-empty').check({ force: true });
    await page.getByTestId('create-submit').click();
    await expect.poll(() => page.getByTestId('create-error').textContent()).toMatch(/already exists/i);
  });
});
