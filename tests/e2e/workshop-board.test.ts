/**
 * The Workshop view's board in real Chromium for templates and claims of other groups (QA findings of
 * issue #4), with seats on the fake seat runtime (tests/helpers/fake-seat-runtime.ts: no Docker; the view
 * only needs running workspaces, not editors):
 * - the teacher's prepared source, cloned into its own group, shows as "Template (not a seat)" without a
 *   release button, and the counts leave it out;
 * - after the teacher opens another group, the previous group's active claims are listed under "Claims in
 *   other groups" with their group, and can be released from there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startFakeSeatRuntime, type FakeSeatRuntime } from '../helpers/fake-seat-runtime.js';
import { pollUntil, startTestServer, type TestServer } from '../helpers/server.js';

describe('workshop board: templates and claims of other groups', () => {
  let fake: FakeSeatRuntime;
  let server: TestServer;
  let browser: Browser;
  let dashboard: Page;
  let sourceId = '';
  const problems: string[] = [];

  async function available(count: number): Promise<void> {
    await pollUntil(async () => (await server.api('GET', '/api/workshop/status', undefined, { token: null })).body.available === count, {
      timeoutMs: 30_000,
      description: `${count} free seats`,
    });
  }

  beforeAll(async () => {
    fake = await startFakeSeatRuntime();
    server = await startTestServer({ workshopGroup: 'monday' }, { runtime: fake.runtime });
    const source = await server.api('POST', '/api/projects/create', { projectName: 'Python Lab', projectType: 'empty', group: 'monday' });
    expect(source.status).toBe(201);
    sourceId = source.body.project.id as string;
    await available(1);
    expect((await server.api('POST', `/api/projects/${sourceId}/clone`, { count: 2 })).status).toBe(202);
    await available(2);
    browser = await launchChromium();
    dashboard = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    dashboard.on('pageerror', (error) => problems.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    await fake?.close();
  });

  it('shows the clone source as the template, never as a free seat, and leaves it out of the counts', async () => {
    await dashboard.goto(server.server.createSignInUrl());
    await dashboard.locator('[data-testid=connection-status][data-phase=live]').waitFor();
    await dashboard.getByTestId('nav-workshop').click();
    await dashboard.getByTestId('workshop-view').waitFor();
    await expect.poll(() => dashboard.locator('[data-testid=seat-row]').count(), { timeout: 15_000 }).toBe(3);
    const template = dashboard.locator(`[data-testid=seat-row][data-project-id="${sourceId}"]`);
    expect(await template.getAttribute('data-state')).toBe('template');
    expect(await template.getByTestId('seat-template').textContent()).toBe('Template (not a seat)');
    expect(await template.getByTestId('seat-release').count()).toBe(0);
    expect(await dashboard.locator('[data-testid=seat-row][data-state=free]').count()).toBe(2);
    const summary = dashboard.getByTestId('workshop-summary');
    expect(await summary.getAttribute('data-total')).toBe('2');
    expect(await summary.getAttribute('data-available')).toBe('2');
  });

  it('lists the previous group\'s claims under "Claims in other groups" and releases them there', async () => {
    const claimed = await server.api('POST', '/api/workshop/claim', { name: 'Ada Lovelace', email: 'ada@example.org' }, { token: null });
    expect(claimed.status).toBe(200);
    const mondaySeat = new URL(claimed.body.workspaceUrl).hostname.split('.')[0] as string;
    await expect.poll(() => dashboard.locator('[data-testid=seat-row][data-state=claimed]').count(), { timeout: 15_000 }).toBe(1);
    expect(await dashboard.getByTestId('other-claims').count()).toBe(0);

    const tuesday = await server.api('POST', '/api/projects/create', { projectName: 'Tuesday 1', projectType: 'empty', group: 'tuesday' });
    expect(tuesday.status).toBe(201);
    await dashboard.getByTestId('workshop-group-select').selectOption('tuesday');
    await expect.poll(() => dashboard.locator('[data-testid=seat-row]').count(), { timeout: 15_000 }).toBe(1);
    const row = dashboard.locator(`[data-testid=other-claim-row][data-project-id="${mondaySeat}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('other-claim-group').textContent()).toBe('monday');
    expect(await row.textContent()).toContain('Ada Lovelace');

    await row.getByTestId('other-claim-release').click();
    const dialog = dashboard.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-participant').textContent()).toBe('Ada Lovelace');
    await dialog.getByTestId('confirm-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await dashboard.getByTestId('other-claims').waitFor({ state: 'detached', timeout: 15_000 });
    expect((await server.api('GET', '/api/workshop/claims')).body.claims).toEqual([]);
    await dashboard.locator('[data-testid=history-row]').first().waitFor();
    expect(problems).toEqual([]);
  });
});
