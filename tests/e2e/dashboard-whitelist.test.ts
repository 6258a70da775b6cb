/**
 * The Network view's whitelist editor end to end (issue #5): real server (its SQLite store and whitelist API),
 * the built dashboard in real Chromium. The stored list shows with the base domains marked as always included;
 * entries are checked as typed with the server's own words (a bad one cannot be added), added, removed (also a
 * stored one), the unsaved changes are marked, Apply stores the list on the server, and a reload shows it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BASE_WHITELIST_DOMAINS } from '../../server/contract/whitelist-rules.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Where the screenshots of the new views go (looked at by hand; not compared). */
const SCREENSHOT_DIR = process.env['XARES_SCREENSHOT_DIR'] ?? path.join(process.cwd(), 'test-results', 'screenshots');

describe('whitelist editor in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const BASE = [...BASE_WHITELIST_DOMAINS].sort();

  async function rows(): Promise<{ domain: string; state: string }[]> {
    return page.getByTestId('whitelist-row').evaluateAll((nodes) => nodes.map((node) => ({ domain: node.getAttribute('data-domain') ?? '', state: node.getAttribute('data-state') ?? '' })));
  }

  async function openNetworkView(): Promise<void> {
    await page.getByTestId('nav-whitelist').click();
    await page.getByTestId('whitelist-list').waitFor();
    await expect.poll(async () => (await rows()).length).toBeGreaterThan(0);
  }

  beforeAll(async () => {
    server = await startTestServer();
    // A list stored before the dashboard opens: it must show, and one entry of it is removed below.
    expect((await server.api('PUT', '/api/whitelist', { domains: ['crates.io', 'github.com'] })).status).toBe(200);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.server.createSignInUrl());
    await page.getByTestId('empty-state').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('lists the stored whitelist with the base domains always included and not removable', async () => {
    await openNetworkView();
    expect(await rows()).toEqual(
      [...BASE.map((domain) => ({ domain, state: 'base' })), { domain: '.crates.io', state: 'kept' }, { domain: '.github.com', state: 'kept' }].sort((a, b) => (a.domain < b.domain ? -1 : 1)),
    );
    const base = page.locator('[data-testid=whitelist-row][data-domain=".debian.org"]');
    expect(await base.textContent()).toContain('Always included');
    expect(await base.getByTestId('whitelist-remove').count()).toBe(0);
    expect(await page.getByTestId('whitelist-apply-bar').getAttribute('data-dirty')).toBe('false');
    expect(await page.getByTestId('whitelist-apply').isDisabled()).toBe(true);
  });

  it('checks entries as typed with the server words, adds, removes and marks unsaved changes', async () => {
    const input = page.getByTestId('whitelist-input');
    await input.fill('bad entry');
    await expect.poll(() => page.getByTestId('whitelist-input-error').textContent()).toBe('Whitelist entry "bad entry" contains a space, line break or control character');
    expect(await page.getByTestId('whitelist-add').isDisabled()).toBe(true);
    await input.press('Enter');
    // The server answers the same entry with the same words.
    const refused = await server.api('PUT', '/api/whitelist', { domains: ['bad entry'] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(await page.getByTestId('whitelist-input-error').textContent());

    // Markup in an entry stays text.
    await input.fill('<b>x</b>.com');
    await expect.poll(() => page.getByTestId('whitelist-input-error').textContent()).toContain("\"<b>x</b>.com\" contains '/'");
    expect(await page.getByTestId('whitelist-input-error').locator('b').count()).toBe(0);

    await input.fill('api.github.com');
    await expect.poll(() => page.getByTestId('whitelist-input-present').textContent()).toBe('Already covered by .github.com.');
    expect(await page.getByTestId('whitelist-add').isDisabled()).toBe(true);

    await input.fill('PyPI.org.');
    await expect.poll(() => page.getByTestId('whitelist-input-preview').textContent()).toContain('.pypi.org');
    await page.getByTestId('whitelist-add').click();
    await expect.poll(() => input.inputValue()).toBe('');
    await input.fill('files.pythonhosted.org');
    await input.press('Enter');
    await expect.poll(async () => (await rows()).find((row) => row.domain === '.files.pythonhosted.org')?.state).toBe('new');
    expect((await rows()).find((row) => row.domain === '.pypi.org')?.state).toBe('new');

    // Remove a new one (gone) and a stored one (marked until applied).
    await page.locator('[data-testid=whitelist-row][data-domain=".files.pythonhosted.org"]').getByTestId('whitelist-remove').click();
    await page.locator('[data-testid=whitelist-row][data-domain=".crates.io"]').getByTestId('whitelist-remove').click();
    await expect.poll(async () => (await rows()).find((row) => row.domain === '.crates.io')?.state).toBe('removed');
    expect((await rows()).some((row) => row.domain === '.files.pythonhosted.org')).toBe(false);
    expect(await page.getByTestId('whitelist-unsaved').textContent()).toContain('1 to add, 1 to remove');
    expect(await page.getByTestId('whitelist-apply-bar').getAttribute('data-dirty')).toBe('true');

    // Unsaved edits survive a switch to another view and back.
    await page.getByTestId('nav-workspaces').click();
    await page.getByTestId('empty-state').waitFor();
    await openNetworkView();
    expect(await page.getByTestId('whitelist-apply-bar').getAttribute('data-dirty')).toBe('true');

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'network-whitelist.png') });
  });

  it('applies the draft, stores it on the server, and shows it after a reload', async () => {
    await page.getByTestId('whitelist-apply').click();
    await page.getByTestId('whitelist-applied').waitFor();
    const expected = [...BASE, '.github.com', '.pypi.org'].sort();
    expect((await server.api('GET', '/api/whitelist')).body.domains).toEqual(expected);
    expect(await page.getByTestId('whitelist-apply-bar').getAttribute('data-dirty')).toBe('false');
    await expect.poll(() => page.getByTestId('whitelist-raw').textContent()).toContain('.pypi.org');

    await page.reload();
    await page.getByTestId('empty-state').waitFor();
    await openNetworkView();
    expect((await rows()).map((row) => row.domain)).toEqual(expected);
    expect((await rows()).every((row) => row.state === 'base' || row.state === 'kept')).toBe(true);
  });

  it('adds a pasted class list: a bad line refuses it all, 2,000 domains stay usable and apply', async () => {
    await page.locator('.network-bulk summary').click();
    const list = page.getByTestId('whitelist-list-input');
    await list.fill('crates.io\nhttp://bad.example/\n');
    await page.getByTestId('whitelist-list-add').click();
    await expect.poll(() => page.getByTestId('whitelist-list-outcome').textContent()).toBe(
      'Line 2: Whitelist entry "http://bad.example/" contains \'/\': give a host name such as example.com, not a URL',
    );
    expect(await page.getByTestId('whitelist-apply-bar').getAttribute('data-dirty')).toBe('false');

    const many = Array.from({ length: 2000 }, (_, i) => `seat${i}.class-${i % 10}.example.org`);
    // Pasted, as a teacher would (typing 60 KB key by key is not what this is about).
    await list.fill('');
    await page.evaluate((text) => navigator.clipboard.writeText(text), many.join('\n'));
    await list.focus();
    await page.keyboard.press('Control+V');
    await expect.poll(async () => (await list.inputValue()).length).toBe(many.join('\n').length);
    await page.getByTestId('whitelist-list-add').click();
    await expect.poll(() => page.getByTestId('whitelist-list-outcome').textContent()).toBe('2000 entries added (not applied yet).');
    expect(await page.getByTestId('whitelist-unsaved').textContent()).toContain('2000 to add, 0 to remove');
    // The filter narrows the long list at once.
    await page.getByTestId('whitelist-filter').fill('seat1999.');
    await expect.poll(async () => (await rows()).map((row) => row.domain)).toEqual(['.seat1999.class-9.example.org']);
    await page.getByTestId('whitelist-filter').fill('');
    await page.getByTestId('whitelist-apply').click();
    await page.getByTestId('whitelist-applied').waitFor();
    expect((await server.api('GET', '/api/whitelist')).body.domains).toHaveLength(2000 + BASE.length + 2);
    expect(pageErrors).toEqual([]);
  });
});
