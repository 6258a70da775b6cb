/**
 * The details panel's network sections and the clone dialog's proxy mode, end to end (issue #5): real server and
 * store, the built dashboard in real Chromium; the proxies are replaced by the fake recordings source and fake
 * squid log of tests/helpers/fake-recordings-source.ts, and the workspaces are records written before the server
 * starts (no containers are needed for these views).
 * - `security` workspace: the squid log follows new lines (no duplicates, newest at the bottom, refused lines
 *   highlighted, another workspace's lines never shown).
 * - `logging` workspace: recorded domains by category, chosen ones added to the whitelist; the conversation
 *   viewer (model, tokens, prompt and answer as text), delete one and all with confirmation; documentation
 *   downloaded as a .md file with the token never in a URL.
 * - Clone dialog: the proxy mode defaults to the source's, unavailable modes say why.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ProxyMode } from '../../server/contract/index.js';
import { openStore, type ProjectRecord } from '../../server/store/index.js';
import { launchChromium } from '../helpers/browser.js';
import { chatExchange, createFakeRecordingsSource, createFakeSquidLog } from '../helpers/fake-recordings-source.js';
import { startTestServer, testWorkspaceImage, type TestServer } from '../helpers/server.js';

/** Where the screenshots of the new views go (looked at by hand; not compared). */
const SCREENSHOT_DIR = process.env['XARES_SCREENSHOT_DIR'] ?? path.join(process.cwd(), 'test-results', 'screenshots');

const SEC = 'secnet000001';
const SEC_OTHER = 'secnet000002';
const LOG = 'lognet000001';

function project(id: string, name: string, proxyMode: ProxyMode): ProjectRecord {
  return {
    id,
    name,
    type: 'empty',
    status: 'stopped',
    statusReason: null,
    createdAt: '2026-02-14T09:00:00.000Z',
    lastActivity: null,
    passwordHash: null,
    proxyMode,
    memoryLimit: '1g',
    cpuCores: '1',
    group: null,
    createGitRepo: false,
    gitRepoUrl: null,
    containerId: null,
    image: testWorkspaceImage(),
  };
}

let clock = 1_733_234_567;
/** A squid access-log line of `user` (native format with the user column, as our squid.conf writes it). */
function squidLine(user: string, status: string, url: string): string {
  clock += 1;
  const method = url.startsWith('http') ? 'GET' : 'CONNECT';
  return `${clock}.123      7 10.77.0.5 ${status} 3369 ${method} ${url} ${user} HIER_NONE/- text/html`;
}

describe('network activity in the details panel (Chromium)', () => {
  const source = createFakeRecordingsSource();
  const squid = createFakeSquidLog();
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const requestUrls: string[] = [];

  async function openDetails(projectId: string): Promise<void> {
    const drawer = page.getByTestId('details-drawer');
    if ((await drawer.count()) > 0) await page.getByTestId('details-close').click();
    await page.getByTestId(`workspace-details-${projectId}`).click();
    await page.locator(`[data-testid=details-drawer][data-project-id="${projectId}"]`).waitFor();
  }

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'xares-test-data-'));
    const store = openStore(dataDir);
    store.projects.insert(project(SEC, 'Secure Seat', 'security'));
    store.projects.insert(project(SEC_OTHER, 'Other Secure Seat', 'security'));
    store.projects.insert(project(LOG, 'Logged <i>Seat</i>', 'logging'));
    store.close();
    squid.lines.push(squidLine(SEC, 'TCP_TUNNEL/200', 'pypi.org:443'), squidLine(SEC_OTHER, 'TCP_TUNNEL/200', 'other-seat.example:443'), squidLine(SEC, 'TCP_DENIED/403', 'http://blocked.test/'));
    // The fakes stand in for the proxies; network control stays off (no proxy containers for these views).
    server = await startTestServer({ dataDir }, { recordingsSource: source, squidLogSource: squid, networkControl: false });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('request', (request) => requestUrls.push(request.url()));
    await page.goto(server.server.createSignInUrl());
    await page.getByTestId(`workspace-row-${LOG}`).waitFor();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('follows the squid log of a security workspace: new lines at the bottom, no duplicates, refused ones highlighted', async () => {
    await openDetails(SEC);
    expect(await page.getByTestId('details-network').getAttribute('data-proxy-mode')).toBe('security');
    const lines = page.getByTestId('squid-log-line');
    await expect.poll(() => lines.count()).toBe(2);
    expect(await lines.allTextContents()).toEqual([expect.stringContaining('pypi.org:443'), expect.stringContaining('http://blocked.test/')]);
    expect(await lines.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-denied')))).toEqual(['false', 'true']);

    // New lines arrive (and one of another workspace): they are appended once, in order, after a poll or two.
    squid.lines.push(squidLine(SEC, 'TCP_TUNNEL/200', 'files.pythonhosted.org:443'), squidLine(SEC_OTHER, 'TCP_DENIED/403', 'http://other.test/'), squidLine(SEC, 'TCP_DENIED/403', 'http://<b>evil</b>.test/'));
    await expect.poll(() => lines.count(), { timeout: 10_000 }).toBe(4);
    // Several more polls pass without any line added twice.
    const polls = requestUrls.filter((url) => url.includes(`/api/projects/${SEC}/squid-logs`)).length;
    await expect.poll(() => requestUrls.filter((url) => url.includes(`/api/projects/${SEC}/squid-logs`)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(polls + 2);
    const texts = await lines.allTextContents();
    expect(texts).toHaveLength(4);
    expect(texts[2]).toContain('files.pythonhosted.org:443');
    expect(texts[3]).toContain('http://<b>evil</b>.test/');
    expect(texts.join('\n')).not.toContain('other');
    expect(await page.getByTestId('squid-log').locator('b').count()).toBe(0);
    expect(await lines.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-denied')))).toEqual(['false', 'true', 'false', 'true']);
    // The newest line is scrolled into view at the bottom.
    const atBottom = await page.getByTestId('squid-log').evaluate((list) => list.scrollHeight - list.scrollTop - list.clientHeight < 24);
    expect(atBottom).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'details-squid-log.png') });
  });

  it('stops polling the squid log when the panel closes', async () => {
    await page.getByTestId('details-close').click();
    await page.getByTestId('details-drawer').waitFor({ state: 'detached' });
    const before = requestUrls.filter((url) => url.includes('/squid-logs')).length;
    // Long enough for two polls had it kept running; the live event stream proves the page is alive meanwhile.
    await page.waitForTimeout(4_500);
    expect(requestUrls.filter((url) => url.includes('/squid-logs')).length).toBe(before);
  });

  it('lists recorded domains by category and adds the chosen ones to the whitelist', async () => {
    const now = new Date().toISOString();
    source.putDomains([
      { user: LOG, host: 'pypi.org', count: 15, firstSeen: now, lastSeen: now },
      { user: LOG, host: 'api.openai.com', count: 3, firstSeen: now, lastSeen: now },
      { user: LOG, host: 'github.com', count: 2, firstSeen: now, lastSeen: now },
      { user: SEC, host: 'not-mine.example', count: 1, firstSeen: now, lastSeen: now },
    ]);
    await openDetails(LOG);
    const categories = page.getByTestId('recorded-domains-category');
    await expect.poll(() => categories.count()).toBeGreaterThan(0);
    const byCategory = await categories.evaluateAll((nodes) =>
      nodes.map((node) => ({ category: node.getAttribute('data-category'), domains: Array.from(node.querySelectorAll('[data-testid=recorded-domain-checkbox]')).map((box) => box.getAttribute('data-domain')) })),
    );
    expect(byCategory).toEqual([
      { category: 'Package Managers', domains: ['pypi.org'] },
      { category: 'AI APIs', domains: ['api.openai.com'] },
      { category: 'Version Control', domains: ['github.com'] },
    ]);
    await page.locator('[data-testid=recorded-domain-checkbox][data-domain="pypi.org"]').check();
    await page.locator('[data-testid=recorded-domain-checkbox][data-domain="api.openai.com"]').check();
    await page.getByTestId('recorded-domains-add').click();
    await expect.poll(() => page.getByTestId('recorded-domains-outcome').textContent()).toBe('Added to the whitelist: .api.openai.com, .pypi.org.');
    const stored: string[] = (await server.api('GET', '/api/whitelist')).body.domains;
    expect(stored).toEqual(expect.arrayContaining(['.pypi.org', '.api.openai.com']));
    expect(stored).not.toContain('.github.com');
  });

  it('shows recorded conversations as text and deletes one after confirmation', async () => {
    const at = Date.now() - 60_000;
    const first = source.putLlm({ user: LOG, startedAt: new Date(at).toISOString(), ...chatExchange('<img src=x onerror="window.__xss=1"> What is a list?', 'A list is <b>ordered</b>.', 'gpt-4o-mini') });
    const second = source.putLlm({ user: LOG, startedAt: new Date(at + 10_000).toISOString(), ...chatExchange('Explain recursion', 'Recursion calls itself.', 'gpt-4.1') });
    source.putLlm({ user: SEC, ...chatExchange('not this workspace', 'no') });
    await page.getByTestId('conversations-refresh').click();
    const items = page.getByTestId('conversation');
    await expect.poll(() => items.count()).toBe(2);
    // Newest first.
    expect(await items.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id')))).toEqual([second, first]);
    expect(await items.nth(1).getByTestId('conversation-model').textContent()).toBe('gpt-4o-mini');
    expect(await items.nth(1).getByTestId('conversation-tokens').textContent()).toBe('12 in · 5 out · 17 total');

    await items.nth(1).locator('summary').click();
    const messages = items.nth(1).getByTestId('conversation-message');
    expect(await messages.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-role')))).toEqual(['system', 'user']);
    expect(await messages.nth(1).textContent()).toContain('<img src=x onerror="window.__xss=1"> What is a list?');
    expect(await items.nth(1).getByTestId('conversation-answer').textContent()).toBe('A list is <b>ordered</b>.');
    expect(await items.nth(1).locator('img, b').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'details-conversations.png') });

    // Delete one: cancel first (nothing happens), then confirm.
    await items.nth(1).getByTestId('conversation-delete').click();
    await page.getByTestId('conversation-delete-dialog').waitFor();
    await page.getByTestId('conversation-delete-cancel').click();
    await page.getByTestId('conversation-delete-dialog').waitFor({ state: 'detached' });
    expect((await server.api('GET', `/api/projects/${LOG}/llm-conversations`)).body.count).toBe(2);
    await items.nth(1).getByTestId('conversation-delete').click();
    await page.getByTestId('conversation-delete-confirm').click();
    await page.getByTestId('conversation-delete-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => items.count()).toBe(1);
    const remaining = (await server.api('GET', `/api/projects/${LOG}/llm-conversations`)).body;
    expect(remaining.conversations.map((c: { timestamp: string }) => c.timestamp)).toEqual([second]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('downloads the documentation as a .md file without the token in any URL', async () => {
    await page.getByTestId('documentation-type').selectOption('detailed');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('documentation-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^Logged-i-Seat-i-llm-detailed-\d{4}-\d{2}-\d{2}\.md$/);
    const file = path.join(SCREENSHOT_DIR, download.suggestedFilename());
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('Explain recursion');
    expect(text).toContain('Recursion calls itself.');
    expect(text).toContain('gpt-4.1');
    await expect.poll(() => page.getByTestId('documentation-outcome').textContent()).toContain('(1 conversation)');
    expect(requestUrls.some((url) => url.includes(server.token))).toBe(false);
    expect(requestUrls.some((url) => url.endsWith(`/api/projects/${LOG}/generate-documentation`))).toBe(true);
  });

  it('keeps hundreds of conversations usable: 50 shown, more on request', async () => {
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 150; i += 1) source.putLlm({ user: LOG, startedAt: new Date(base + i * 1000).toISOString(), ...chatExchange(`Question ${i}`, `Answer ${i}`) });
    await page.getByTestId('conversations-refresh').click();
    await expect.poll(() => page.getByTestId('conversations-count').textContent()).toBe('(151)');
    const items = page.getByTestId('conversation');
    expect(await items.count()).toBe(50);
    expect(await page.getByTestId('conversations-more').textContent()).toBe('Show 50 more of 101');
    await page.getByTestId('conversations-more').click();
    await expect.poll(() => items.count()).toBe(100);
  });

  it('deletes all conversations after confirmation', async () => {
    await page.getByTestId('conversations-delete-all').click();
    await page.getByTestId('conversation-delete-confirm').click();
    await page.getByTestId('conversations-empty').waitFor();
    expect((await server.api('GET', `/api/projects/${LOG}/llm-conversations`)).body.count).toBe(0);
  });

  it('clone dialog: proxy mode defaults to the source, unavailable modes say why', async () => {
    await openDetails(LOG);
    await page.getByTestId('details-clone').click();
    await page.getByTestId('clone-dialog').waitFor();
    expect(await page.getByTestId('clone-proxy-logging').isChecked()).toBe(true);
    const features = (await server.api('GET', '/api/config')).body.config.features;
    if (!features.loggingProxy) {
      await expect.poll(() => page.getByTestId('clone-proxy-logging').isDisabled(), { timeout: 10_000 }).toBe(true);
      expect(await page.getByTestId('clone-proxy-logging-unavailable').textContent()).toContain('Logging Proxy');
      // Cloning into a mode the server lacks is stopped with the reason, before any request.
      await page.getByTestId('clone-submit').click();
      expect(await page.getByTestId('clone-proxy-error').textContent()).toContain('Logging Proxy');
    }
    expect(await page.getByTestId('clone-proxy-none').isDisabled()).toBe(false);
    await page.getByTestId('clone-proxy-card-none').click();
    expect(await page.getByTestId('clone-proxy-none').isChecked()).toBe(true);
    expect(await page.getByTestId('clone-proxy-error').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'clone-proxy-mode.png') });
    await page.getByTestId('clone-cancel').click();
    expect(pageErrors).toEqual([]);
  });
});
