/**
 * The clone dialog end to end (issue 4 "Clone", dashboard): real server, engine, image and the built dashboard
 * in Chromium. From a workspace row's Clone button: a count above 50 is refused in the form, a batch above the
 * workspace limit is refused with the server's words, then two clones are made and the dialog follows them
 * live to `running` (per-clone and overall progress bars), as does the table. The details panel opens it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('clone dialog in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let sourceId = '';

  beforeAll(async () => {
    // Room for the source and two clones only, so a batch of three is refused by the server.
    server = await startTestServer({ maxWorkspaces: 3 });
    const source = await server.api('POST', '/api/projects/create', { projectName: 'Lab Base', projectType: 'empty', group: 'lab' });
    expect(source.status).toBe(201);
    sourceId = source.body.project.id;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await server.waitForStatus(sourceId, 'running');
    await page.goto(server.server.createSignInUrl());
    await page.locator('[data-testid=connection-status][data-phase=live]').waitFor();
    await page.getByTestId(`workspace-row-${sourceId}`).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('refuses a bad count in the form and a batch above the limit in the server words', async () => {
    await page.getByTestId(`workspace-clone-${sourceId}`).click();
    const dialog = page.getByTestId('clone-dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe('Clone “Lab Base”');

    await page.getByTestId('clone-count').fill('51');
    await page.getByTestId('clone-submit').click();
    await expect.poll(() => page.getByTestId('clone-count-error').textContent()).toMatch(/1 to 50/);

    await page.getByTestId('clone-count').fill('2');
    await page.getByTestId('clone-password').fill('short');
    await page.getByTestId('clone-submit').click();
    await expect.poll(() => page.getByTestId('clone-password-error').textContent()).toMatch(/at least 8/);
    await page.getByTestId('clone-password').fill('');

    await page.getByTestId('clone-count').fill('3');
    await page.getByTestId('clone-submit').click();
    await expect.poll(() => page.getByTestId('clone-error').textContent()).toBe('Cannot create 3 clones: only 2 workspace slots remaining (limit: 3)');
    expect((await server.api('GET', '/api/projects/')).body.projects).toHaveLength(1);
  });

  it('clones twice and follows both clones live to running, in the dialog and in the table', async () => {
    await page.getByTestId('clone-count').fill('2');
    await page.getByTestId('clone-submit').click();
    const progress = page.getByTestId('clone-progress');
    await progress.waitFor();
    const rows = page.locator('[data-testid^=clone-row-]:not([data-testid*=label]):not([data-testid*=reason])');
    await expect.poll(() => rows.count()).toBe(2);
    const ids = await rows.evaluateAll((items) => items.map((item) => (item.getAttribute('data-testid') ?? '').replace('clone-row-', '')));
    const names = await rows.locator('.clone-list__name').allTextContents();
    expect(names).toEqual(['Lab Base 1', 'Lab Base 2']);

    // Seconds of snapshot, container and code-server start lie ahead: the rows show a phase first.
    expect(await rows.evaluateAll((items) => items.map((item) => item.getAttribute('data-state')))).toContain('working');
    await page.locator('[data-testid=clone-progress][data-finished=true]').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('clone-progress-summary').textContent()).toBe('2 of 2 running');
    expect(await page.getByTestId('clone-progress-overall').getAttribute('aria-valuenow')).toBe('100');
    for (const id of ids) {
      expect(await page.getByTestId(`clone-row-${id}`).getAttribute('data-state')).toBe('running');
      expect(await page.getByTestId(`clone-row-label-${id}`).textContent()).toBe('Running');
    }
    await page.getByTestId('clone-done').click();
    await page.getByTestId('clone-dialog').waitFor({ state: 'detached' });

    for (const id of ids) {
      const row = page.getByTestId(`workspace-row-${id}`);
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('running');
    }
    const listed = (await server.api('GET', '/api/projects/')).body.projects as Array<{ id: string; name: string; status: string; group: string | null }>;
    expect(listed.filter((p) => ids.includes(p.id)).map((p) => [p.name, p.status, p.group]).sort()).toEqual([
      ['Lab Base 1', 'running', 'lab'],
      ['Lab Base 2', 'running', 'lab'],
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('opens the same dialog from the details panel', async () => {
    await page.getByTestId(`workspace-details-${sourceId}`).click();
    await page.getByTestId('details-drawer').waitFor();
    await page.getByTestId('details-clone').click();
    const dialog = page.getByTestId('clone-dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe('Clone “Lab Base”');
    await page.getByTestId('clone-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});
