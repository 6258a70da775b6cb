/**
 * The Network view's "Add several at once" list with thousands of lines, in real Chromium (issue #5, QA round):
 * multi-line text put into the textarea as one text input (input method, dictation, automation: Playwright's
 * `fill` inserts it that way) used to be handled by Chromium one line at a time, each line re-rendering the view,
 * so 2,000 host names blocked the page for about 20 s. It must now be one edit (one `input` event) and grow
 * linearly with the number of lines; the list is then added as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** `count` distinct host names, one per line (offset keeps batches apart). */
function hostList(count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => `seat${offset + i}.class-${i % 10}.example.org`).join('\n');
}

describe('pasted whitelist of thousands of lines in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({}, { networkControl: false });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.server.createSignInUrl());
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('nav-whitelist').click();
    await page.getByTestId('whitelist-list').waitFor();
    await page.locator('.network-bulk summary').click();
    // Counts the textarea's input events (each one is a React state update and re-render of the view).
    await page.getByTestId('whitelist-list-input').evaluate((node) => {
      (window as unknown as { inputEvents: number }).inputEvents = 0;
      node.addEventListener('input', () => {
        (window as unknown as { inputEvents: number }).inputEvents += 1;
      });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  /** Replaces the textarea's text with `text` as one text input; the time (ms) until React holds all of it. */
  async function insertAsText(text: string): Promise<{ ms: number; inputEvents: number }> {
    const list = page.getByTestId('whitelist-list-input');
    await list.evaluate((node) => {
      (node as HTMLTextAreaElement).select();
    });
    await page.evaluate(() => {
      (window as unknown as { inputEvents: number }).inputEvents = 0;
    });
    const started = performance.now();
    await list.fill(text);
    // The "Add all" button is enabled from React state, so this waits for the re-render with the new text.
    await expect.poll(() => list.inputValue()).toBe(text);
    const ms = performance.now() - started;
    return { ms, inputEvents: await page.evaluate(() => (window as unknown as { inputEvents: number }).inputEvents) };
  }

  it('takes 2,000 lines as one edit, in time linear in the number of lines, and adds them all', async () => {
    // Warm-up (first layout of the textarea, JIT), then the baseline: 100 lines, best of three.
    await insertAsText(hostList(100, 90_000));
    let baseline = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run += 1) baseline = Math.min(baseline, (await insertAsText(hostList(100, run * 1000))).ms);
    const big = await insertAsText(hostList(2000));
    // One input event, not one or two per line (4,000 before the fix).
    expect(big.inputEvents).toBe(1);
    // Linear: 20 times the lines must not take 20 times as long plus a wide margin (it took ~400 times before).
    expect(big.ms).toBeLessThan(Math.max(baseline, 20) * 40);
    expect(big.ms).toBeLessThan(5_000);

    await page.getByTestId('whitelist-list-add').click();
    await expect.poll(() => page.getByTestId('whitelist-list-outcome').textContent()).toBe('2000 entries added (not applied yet).');
    expect(await page.getByTestId('whitelist-unsaved').textContent()).toContain('2000 to add, 0 to remove');
    expect(await page.getByTestId('whitelist-list-input').inputValue()).toBe('');
  });

  it('refuses single names as typed and in a pasted list, with the server words', async () => {
    const input = page.getByTestId('whitelist-input');
    await input.fill('xares-squid');
    const message = 'Whitelist entry "xares-squid" is a single name (a top-level domain or a local name); give a domain such as example.com';
    await expect.poll(() => page.getByTestId('whitelist-input-error').textContent()).toBe(message);
    expect(await page.getByTestId('whitelist-add').isDisabled()).toBe(true);
    const refused = await server.api('PUT', '/api/whitelist', { domains: ['xares-squid'] });
    expect([refused.status, refused.body.error]).toEqual([400, message]);
    await input.fill('');
    await page.getByTestId('whitelist-list-input').fill('fine.example.org\ncom');
    await page.getByTestId('whitelist-list-add').click();
    await expect.poll(() => page.getByTestId('whitelist-list-outcome').textContent()).toBe(
      'Line 2: Whitelist entry "com" is a single name (a top-level domain or a local name); give a domain such as example.com',
    );
  });

  it('keeps line breaks typed one by one and single-line text as the browser handles them', async () => {
    const list = page.getByTestId('whitelist-list-input');
    await list.fill('');
    await list.pressSequentially('a.org');
    await list.press('Enter');
    await list.pressSequentially('b.org');
    // Windows line ends become the textarea's line feeds.
    await list.press('Enter');
    await page.keyboard.insertText('c.org\r\nd.org');
    expect(await list.inputValue()).toBe('a.org\nb.org\nc.org\nd.org');
    // Inserted in the middle (caret after the first line), the text lands there and the caret after it.
    await list.evaluate((node) => (node as HTMLTextAreaElement).setSelectionRange(5, 5));
    await page.keyboard.insertText('\nx.org\ny.org');
    expect(await list.inputValue()).toBe('a.org\nx.org\ny.org\nb.org\nc.org\nd.org');
    expect(await list.evaluate((node) => (node as HTMLTextAreaElement).selectionStart)).toBe(17);
    await page.getByTestId('whitelist-list-add').click();
    await expect.poll(() => page.getByTestId('whitelist-list-outcome').textContent()).toBe('6 entries added (not applied yet).');
    expect(pageErrors).toEqual([]);
  });
});
