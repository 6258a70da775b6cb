/**
 * The details panel and the group filter, end to end on real parts (headless server, real engine and image,
 * the built dashboard in real Chromium): filter by group, open a workspace's panel from its row, rename it
 * inline (and see a duplicate refused in words), write notes with the 10 KB counter, change the group, watch
 * live CPU/memory and disk use, copy the IDE address; then restart the server and find name, group and notes
 * kept. Also: the panel polls only while it is open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MAX_NOTES_BYTES } from '../../server/contract/index.js';
import { launchChromium } from '../helpers/browser.js';
import { pollUntil, startTestServer, type TestServer } from '../helpers/server.js';

describe('workspace details panel in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let seatId = '';
  let otherId = '';
  let seatUrl = '';
  const NEW_NAME = 'Seat <b>7</b> & friends';
  const NOTES = 'Exercise 2 done.\n<img src=x onerror="window.__xss=1"> stays text\nNext: tests ✓';

  async function signIn(): Promise<void> {
    await page.goto(server.server.createSignInUrl());
    await page.locator('[data-testid=connection-status][data-phase=live]').waitFor();
    await page.getByTestId(`workspace-row-${seatId}`).waitFor();
  }

  beforeAll(async () => {
    server = await startTestServer();
    const seat = await server.api('POST', '/api/projects/create', { projectName: 'Details Seat', projectType: 'empty', group: 'monday' });
    const other = await server.api('POST', '/api/projects/create', { projectName: 'Other Seat', projectType: 'empty', group: 'tuesday' });
    expect([seat.status, other.status]).toEqual([201, 201]);
    seatId = seat.body.project.id;
    otherId = other.body.project.id;
    seatUrl = seat.body.project.workspaceUrl;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await server.waitForStatus(seatId, 'running');
    await signIn();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('filters the table by group', async () => {
    const filter = page.getByTestId('group-filter');
    await filter.selectOption('tuesday');
    await page.getByTestId(`workspace-row-${seatId}`).waitFor({ state: 'detached' });
    expect(await page.getByTestId(`workspace-row-${otherId}`).isVisible()).toBe(true);
    await expect.poll(() => page.getByTestId('group-filter-count').textContent()).toBe('1 of 2 shown');
    await filter.selectOption('monday');
    await page.getByTestId(`workspace-row-${seatId}`).waitFor();
    await page.getByTestId(`workspace-row-${otherId}`).waitFor({ state: 'detached' });
    await filter.selectOption({ label: 'All groups' });
    await page.getByTestId(`workspace-row-${otherId}`).waitFor();
  });

  it('renames inline, refuses a duplicate in words, and shows the name escaped', async () => {
    await page.getByTestId(`workspace-details-${seatId}`).click();
    const drawer = page.getByTestId('details-drawer');
    await drawer.waitFor();
    expect(await drawer.getAttribute('data-project-id')).toBe(seatId);

    await page.getByTestId('details-rename').click();
    await page.getByTestId('details-name-input').fill('other seat');
    await page.getByTestId('details-name-input').press('Enter');
    await expect.poll(() => page.getByTestId('details-name-error').textContent()).toMatch(/already exists/i);

    await page.getByTestId('details-name-input').fill('');
    await expect.poll(() => page.getByTestId('details-name-error').textContent()).toMatch(/1-100/);
    expect(await page.getByTestId('details-name-save').isDisabled()).toBe(true);

    await page.getByTestId('details-name-input').fill(NEW_NAME);
    await page.getByTestId('details-name-save').click();
    await expect.poll(() => page.getByTestId('details-name').textContent()).toBe(NEW_NAME);
    await expect.poll(() => page.getByTestId(`workspace-name-${seatId}`).textContent()).toBe(NEW_NAME);
    expect(await page.getByTestId('details-name').locator('b').count()).toBe(0);
    expect((await server.api('GET', `/api/projects/${seatId}`)).body.project.name).toBe(NEW_NAME);
  });

  it('edits notes with a 10 KB counter and saves them as typed', async () => {
    const notes = page.getByTestId('details-notes');
    await expect.poll(() => notes.isEnabled()).toBe(true);
    expect(await notes.inputValue()).toBe('');

    await notes.fill('x'.repeat(MAX_NOTES_BYTES + 1));
    const counter = page.getByTestId('details-notes-counter');
    await expect.poll(() => counter.getAttribute('data-over')).toBe('true');
    expect(await page.getByTestId('details-notes-save').isDisabled()).toBe(true);
    expect(await page.getByTestId('details-notes-error').textContent()).toMatch(/1 bytes too long.*10 KB/);

    await notes.fill(NOTES);
    await expect.poll(() => counter.getAttribute('data-bytes')).toBe(String(Buffer.byteLength(NOTES, 'utf8')));
    await page.getByTestId('details-notes-save').click();
    await page.getByTestId('details-notes-saved').waitFor();
    expect((await server.api('GET', `/api/projects/${seatId}/notes`)).body.notes).toBe(NOTES);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('changes the group with suggestions and removes it', async () => {
    const options = await page.getByTestId('details-group-suggestions').locator('option').evaluateAll((nodes) => nodes.map((n) => (n as HTMLOptionElement).value));
    expect(options).toEqual(['monday', 'tuesday']);
    const input = page.getByTestId('details-group-input');
    expect(await input.inputValue()).toBe('monday');
    await input.fill('wednesday');
    await page.getByTestId('details-group-save').click();
    await page.getByTestId('details-group-saved').waitFor();
    await expect.poll(async () => (await page.getByTestId('group-filter').locator('option').allTextContents()).join('|')).toBe('All groups|No group|tuesday|wednesday');
    expect((await server.api('GET', '/api/projects/groups')).body.groups).toEqual(['tuesday', 'wednesday']);

    await page.getByTestId('details-group-input').fill('g'.repeat(51));
    await expect.poll(() => page.getByTestId('details-group-error').textContent()).toMatch(/at most 50/);
    await page.getByTestId('details-group-input').fill('wednesday');
  });

  it('shows live CPU, memory and disk use, refreshed while open, and copies the IDE address', async () => {
    const detailRequests: number[] = [];
    const listener = (request: { url(): string }) => {
      if (new URL(request.url()).pathname === `/api/projects/${seatId}`) detailRequests.push(Date.now());
    };
    page.on('request', listener);
    try {
      await expect.poll(() => page.getByTestId('details-cpu').textContent(), { timeout: 20_000 }).toMatch(/^\d+\.\d%$/);
      await expect.poll(() => page.getByTestId('details-memory').textContent()).toMatch(/^\d+(\.\d)?(KB|MB|GB)$/);
      await expect.poll(() => page.getByTestId('details-disk').textContent(), { timeout: 20_000 }).toMatch(/^\d+(\.\d)? (B|KB|MB|GB)$/);
      await expect.poll(() => page.getByTestId('details-disk-total').textContent()).toMatch(/^\d+(\.\d)? (MB|GB)$/);
      // Refreshed by itself every few seconds while open.
      await pollUntil(() => detailRequests.length >= 2, { timeoutMs: 15_000, description: 'a second details read' });

      expect(await page.getByTestId('details-url').textContent()).toBe(seatUrl);
      expect(await page.getByTestId('details-open-url').getAttribute('href')).toBe(seatUrl);
      await page.getByTestId('details-copy-url').click();
      await page.getByTestId('details-url-copied').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(seatUrl);

      // Closed: no more reads. Observed over two refresh periods.
      await page.getByTestId('details-close').click();
      await page.getByTestId('details-drawer').waitFor({ state: 'detached' });
      const afterClose = detailRequests.length;
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect(detailRequests.length).toBe(afterClose);
    } finally {
      page.off('request', listener);
    }
  });

  it('keeps name, group and notes across a server restart', async () => {
    server = await server.restart();
    await signIn();
    await expect.poll(() => page.getByTestId(`workspace-name-${seatId}`).textContent()).toBe(NEW_NAME);
    await page.getByTestId(`workspace-details-${seatId}`).click();
    await page.getByTestId('details-drawer').waitFor();
    expect(await page.getByTestId('details-name').textContent()).toBe(NEW_NAME);
    await expect.poll(() => page.getByTestId('details-notes').inputValue()).toBe(NOTES);
    expect(await page.getByTestId('details-group-input').inputValue()).toBe('wednesday');
    // Escape closes the panel.
    await page.getByTestId('details-notes').press('Escape');
    await page.getByTestId('details-drawer').waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  });
});
