/**
 * Workshop seats end to end (issue #4 "Tests"): real engine and image, the built join page and dashboard in
 * real Chromium. The participant side runs on a participant host (`lan.test`, mapped to 127.0.0.1 inside
 * Chromium, configured as `publicHost`), as a laptop in the room would reach the teacher's machine.
 * - The join page says registration is closed until the teacher opens group "ws-e2e" in the dashboard's
 *   Workshop view (join URL, QR code, full-screen QR).
 * - A participant fills the join page and lands in the VS Code workbench of the claimed seat; back on the
 *   join page the same browser is offered "continue" into the same seat.
 * - A second browser with the same e-mail address gets the 409 explanation, and the seat link only shows the
 *   workspace login page (knowing an e-mail address is not enough).
 * - With every seat taken the join page says so; the teacher releases the first seat in the Workshop view
 *   (confirmation dialog), its participant's session ends, and a new participant gets that seat.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, mapHostsToLoopback } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const GROUP = 'ws-e2e';
const SEAT_PASSWORD = 'seat pass 4711';
const PARTICIPANT_HOST = 'lan.test';

describe('workshop seats in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let teacher: BrowserContext;
  let dashboard: Page;
  let first: BrowserContext;
  const contexts: BrowserContext[] = [];
  const seatIds: string[] = [];
  let joinUrl = '';
  let firstSeatId = '';
  let firstSeatName = '';
  const problems: string[] = [];

  /** A fresh participant browser (own cookies), English, with page errors and CSP reports collected. */
  async function participantContext(locale = 'en-US'): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
    context.on('page', (page) => watch(page));
    contexts.push(context);
    return context;
  }

  function watch(page: Page): void {
    page.on('pageerror', (error) => problems.push(`pageerror ${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      // Our pages must run under their CSP without violations (no inline script or style).
      if (/Content Security Policy|Refused to/i.test(message.text()) && !page.url().includes('/w/')) problems.push(`csp ${page.url()}: ${message.text()}`);
    });
  }

  async function join(page: Page, name: string, email: string): Promise<void> {
    await page.goto(joinUrl);
    await page.getByTestId('join-form').waitFor();
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-email').fill(email);
    await page.getByTestId('join-submit').click();
  }

  /** Waits until `page` shows the VS Code workbench of seat `projectId` on the participant host. */
  async function expectWorkbench(page: Page, projectId: string): Promise<void> {
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    const url = new URL(page.url());
    expect(url.host).toBe(`${PARTICIPANT_HOST}:${server.port}`);
    expect(url.pathname.startsWith(`/w/${projectId}/`)).toBe(true);
  }

  function seatRow(projectId: string) {
    return dashboard.locator(`[data-testid=seat-row][data-project-id="${projectId}"]`);
  }

  beforeAll(async () => {
    // `host: undefined`: listen on every address, so `localhost` (maybe ::1) and 127.0.0.1 both reach it.
    server = await startTestServer({ host: undefined, publicHost: PARTICIPANT_HOST });
    const created = await Promise.all(
      ['Seat 1', 'Seat 2'].map((projectName) =>
        server.api('POST', '/api/projects/create', { projectName, projectType: 'empty', group: GROUP, passwordProtected: true, password: SEAT_PASSWORD }),
      ),
    );
    expect(created.map((answer) => answer.status)).toEqual([201, 201]);
    seatIds.push(...created.map((answer) => answer.body.project.id as string));
    browser = await launchChromium({ extraArgs: [mapHostsToLoopback(PARTICIPANT_HOST)] });
    teacher = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    dashboard = await teacher.newPage();
    watch(dashboard);
    await Promise.all(seatIds.map((id) => server.waitForStatus(id, 'running', 180_000)));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('the teacher opens the group for registration in the Workshop view, with join URL and QR code', async () => {
    await dashboard.goto(server.server.createSignInUrl());
    await dashboard.locator('[data-testid=connection-status][data-phase=live]').waitFor();
    await dashboard.getByTestId('nav-workshop').click();
    await dashboard.getByTestId('workshop-view').waitFor();

    // Before the teacher chooses a group, the join page says registration is closed.
    const waiting = await (await participantContext()).newPage();
    await waiting.goto(`http://${PARTICIPANT_HOST}:${server.port}/`);
    await waiting.getByTestId('join-closed').waitFor();

    await dashboard.getByTestId('workshop-group-select').selectOption(GROUP);
    await expect.poll(() => dashboard.locator('[data-testid=seat-row]').count(), { timeout: 15_000 }).toBe(2);
    const toggle = dashboard.getByTestId('workshop-registration-toggle');
    if (!(await toggle.isChecked())) await toggle.check({ force: true });
    await dashboard.locator('[data-testid=workshop-registration-state][data-open=true]').waitFor();
    const settings = await server.api('GET', '/api/workshop/settings');
    expect(settings.body.settings).toEqual({ group: GROUP, registrationOpen: true });

    joinUrl = await dashboard.getByTestId('workshop-join-url').inputValue();
    expect(joinUrl).toBe(`http://${PARTICIPANT_HOST}:${server.port}/`);
    // The QR code encodes exactly the join URL and is drawn large enough to scan from a projection.
    const qr = dashboard.getByTestId('workshop-qr');
    expect(await qr.getAttribute('data-text')).toBe(joinUrl);
    const box = await qr.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThanOrEqual(200);
    await dashboard.getByTestId('workshop-qr-show').click();
    await dashboard.getByTestId('workshop-qr-fullscreen').waitFor();
    expect((await dashboard.getByTestId('workshop-qr-large').boundingBox())?.height ?? 0).toBeGreaterThan(500);
    await dashboard.getByTestId('workshop-qr-fullscreen-close').click();
    await dashboard.getByTestId('workshop-qr-fullscreen').waitFor({ state: 'detached' });
    for (const id of seatIds) expect(await seatRow(id).getAttribute('data-state')).toBe('free');

    // Now it offers the form.
    await waiting.getByTestId('join-check-again').click();
    await waiting.getByTestId('join-form').waitFor();
    expect(await waiting.getByTestId('join-seats').getAttribute('data-available')).toBe('2');
    await waiting.close();
  });

  it('a participant joins from the join page and lands in the workbench of the claimed seat', async () => {
    first = await participantContext();
    const page = await first.newPage();
    const response = await page.goto(joinUrl);
    // The join page's own strict policy: scripts and styles from our origin only, no inline code.
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(response?.headers()['content-security-policy']).toContain("style-src 'self';");
    await expect.poll(() => page.getByTestId('join-seats').getAttribute('data-available')).toBe('2');
    expect(await page.getByTestId('join-seats').textContent()).toContain('2 of 2 seats free');
    await join(page, 'Ada Lovelace', 'Ada@Example.org');
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    firstSeatId = /^\/w\/([a-z0-9]+)\//.exec(new URL(page.url()).pathname)?.[1] ?? '';
    expect(seatIds).toContain(firstSeatId);
    await expectWorkbench(page, firstSeatId);
    // The participant cookie and the seat session are HttpOnly: page script sees neither.
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/xares_/);

    const claims = await server.api('GET', '/api/workshop/claims');
    expect(claims.body.claims).toHaveLength(1);
    expect(claims.body.claims[0]).toMatchObject({ projectId: firstSeatId, name: 'Ada Lovelace', email: 'Ada@Example.org' });
    firstSeatName = claims.body.claims[0].projectName;

    // The teacher's board shows the claim live (workshop.changed → refetch).
    await expect.poll(() => seatRow(firstSeatId).getAttribute('data-state'), { timeout: 15_000 }).toBe('claimed');
    expect(await seatRow(firstSeatId).getByTestId('seat-participant').textContent()).toBe('Ada Lovelace');

    // Same browser, back on the join page: offered the way back into the same seat.
    await page.goto(joinUrl);
    await page.getByTestId('join-welcome').waitFor();
    expect(await page.getByTestId('join-welcome-name').textContent()).toContain('Ada Lovelace');
    await page.getByTestId('join-continue').click();
    await expectWorkbench(page, firstSeatId);
    await page.close();
  });

  it('the same e-mail from another browser gets the 409 explanation and only the login page of the seat', async () => {
    const other = await participantContext('de-DE');
    const page = await other.newPage();
    await page.goto(joinUrl);
    // German browser: German page.
    await page.getByTestId('join-form').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Am Workshop teilnehmen');
    await page.getByTestId('join-language-en').click();
    expect(await page.locator('h1').textContent()).toBe('Join the workshop');
    await join(page, 'Somebody Else', '  ada@example.ORG ');
    await page.getByTestId('join-conflict').waitFor();
    expect(await page.getByTestId('join-conflict-project').textContent()).toContain(firstSeatName);
    // The language choice was remembered (the reload in `join` kept English).
    expect(await page.locator('h1').textContent()).toBe('Join the workshop');

    const link = page.getByTestId('join-conflict-link');
    expect(await link.getAttribute('href')).toBe(`${joinUrl}w/${firstSeatId}/`);
    await link.click();
    await page.getByTestId('workspace-login-form').waitFor({ timeout: 30_000 });
    expect(await page.locator('.monaco-workbench').count()).toBe(0);

    const claims = await server.api('GET', '/api/workshop/claims');
    expect(claims.body.claims).toHaveLength(1);
    await page.close();
  });

  it('the teacher releases the seat from the Workshop view and a new participant gets it', async () => {
    // Another participant takes the other seat through the public API: the room is full.
    const taken = await fetch(`${server.url}/api/workshop/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.org' }),
    });
    expect(taken.status).toBe(200);
    const secondSeatId = seatIds.find((id) => id !== firstSeatId) as string;
    await expect.poll(() => seatRow(secondSeatId).getAttribute('data-state'), { timeout: 15_000 }).toBe('claimed');

    const late = await participantContext();
    const latePage = await late.newPage();
    await latePage.goto(joinUrl);
    await latePage.getByTestId('join-full').waitFor();

    // Release with confirmation.
    await seatRow(firstSeatId).getByTestId('seat-release').click();
    const dialog = dashboard.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-participant').textContent()).toBe('Ada Lovelace');
    await dialog.getByTestId('confirm-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => seatRow(firstSeatId).getAttribute('data-state'), { timeout: 15_000 }).toBe('free');
    await dashboard.locator('[data-testid=history-row]').first().waitFor();
    expect(await dashboard.locator('[data-testid=history-row]').first().textContent()).toContain('Ada Lovelace');
    const claims = await server.api('GET', '/api/workshop/claims');
    expect(claims.body.claims.map((claim: { projectId: string }) => claim.projectId)).toEqual([secondSeatId]);
    expect(claims.body.history).toHaveLength(1);
    expect(claims.body.history[0]).toMatchObject({ projectId: firstSeatId, email: 'Ada@Example.org' });
    expect(typeof claims.body.history[0].releasedAt).toBe('string');

    // The released participant's browser no longer gets in.
    const releasedPage = await first.newPage();
    await releasedPage.goto(`${joinUrl}w/${firstSeatId}/`);
    await releasedPage.getByTestId('workspace-login-form').waitFor({ timeout: 30_000 });
    await releasedPage.close();

    // The waiting participant checks again and gets the freed seat.
    await latePage.getByTestId('join-check-again').click();
    await latePage.getByTestId('join-form').waitFor();
    // A second tab of the same browser, on the form before the first one joins.
    const secondTab = await late.newPage();
    await secondTab.goto(joinUrl);
    await secondTab.getByTestId('join-form').waitFor();
    await latePage.getByTestId('join-name').fill('Katherine Johnson');
    await latePage.getByTestId('join-email').fill('katherine@example.org');
    await latePage.getByTestId('join-submit').click();
    await expectWorkbench(latePage, firstSeatId);
    await expect.poll(() => seatRow(firstSeatId).getByTestId('seat-participant').textContent(), { timeout: 15_000 }).toBe('Katherine Johnson');

    // One seat per browser: the second tab, with another address, is welcomed back to the same seat (no new claim).
    await secondTab.getByTestId('join-name').fill('K. Johnson');
    await secondTab.getByTestId('join-email').fill('k.johnson@example.net');
    await secondTab.getByTestId('join-submit').click();
    await secondTab.getByTestId('join-welcome').waitFor();
    expect(await secondTab.getByTestId('join-welcome-name').textContent()).toContain('Katherine Johnson');
    expect((await server.api('GET', '/api/workshop/claims')).body.claims).toHaveLength(2);
    await secondTab.close();

    // CSV export from the dashboard: fetched with the bearer header and saved as a file (no token in any URL).
    const requested: string[] = [];
    dashboard.on('request', (request) => requested.push(request.url()));
    const [download] = await Promise.all([dashboard.waitForEvent('download'), dashboard.getByTestId('workshop-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^workshop-claims-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    for (const name of ['Ada Lovelace', 'Grace Hopper', 'Katherine Johnson']) expect(csv).toContain(name);
    expect(requested.some((url) => url.includes('/api/workshop/claims.csv'))).toBe(true);
    expect(requested.filter((url) => url.includes(server.token))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
