/**
 * The dashboard with the real Security Proxy (issue #5): a `security` workspace made through the API on the real
 * engine, real squid, real Chromium. A request the whitelist refuses shows up in the workspace's details panel
 * as a highlighted log line while the panel is open; the host is then added in the Network view and applied,
 * and the next request to it passes squid's whitelist (no longer TCP_DENIED) and appears below the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { execInWorkspace, startTestServer, type TestServer } from '../helpers/server.js';

describe('squid log view and whitelist editor with the real Security Proxy (Chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let projectId = '';
  const pageErrors: string[] = [];

  /** HTTP status of `url` fetched with curl in the workspace through its proxy settings (as its terminals have them). */
  async function statusFrom(url: string): Promise<string> {
    const result = await execInWorkspace(projectId, ['sh', '-c', `set -a; . /etc/xares/proxy.env; set +a; curl -s -o /dev/null -m 10 -w '%{http_code}' '${url}' || true`]);
    return result.stdout.trim().slice(-3);
  }

  async function logLines(): Promise<{ text: string; denied: string | null }[]> {
    return page.getByTestId('squid-log-line').evaluateAll((nodes) => nodes.map((node) => ({ text: node.textContent ?? '', denied: node.getAttribute('data-denied') })));
  }

  beforeAll(async () => {
    server = await startTestServer({}, { networkControl: { healthIntervalMs: 1_000 } });
    const created = await server.api('POST', '/api/projects/create', { projectName: 'Locked Seat', projectType: 'empty', proxyMode: 'security' });
    expect(created.status).toBe(201);
    projectId = created.body.project.id;
    await server.waitForStatus(projectId, 'running', 180_000);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.server.createSignInUrl());
    await page.getByTestId(`workspace-row-${projectId}`).waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('shows a refused request as a highlighted line while the panel is open', async () => {
    await page.getByTestId(`workspace-details-${projectId}`).click();
    await page.getByTestId('squid-log-section').waitFor();
    expect(await statusFrom('http://blocked.test/')).toBe('403');
    await expect.poll(logLines, { timeout: 15_000 }).toEqual([{ text: expect.stringContaining('http://blocked.test/'), denied: 'true' }]);
    expect((await logLines())[0]!.text).toContain('TCP_DENIED/403');
  });

  it('adds the host in the Network view, applies it to the running squid, and the next request passes the whitelist', async () => {
    await page.getByTestId('nav-whitelist').click();
    await page.getByTestId('whitelist-input').fill('blocked.test');
    await page.getByTestId('whitelist-add').click();
    await page.getByTestId('whitelist-apply').click();
    await page.getByTestId('whitelist-applied').waitFor({ timeout: 30_000 });

    // No upstream answers for this name, so squid itself answers (503 or 502), but not with its whitelist refusal.
    const status = await statusFrom('http://blocked.test/');
    expect(status).not.toBe('403');

    await page.getByTestId('nav-workspaces').click();
    await page.getByTestId(`workspace-details-${projectId}`).click();
    // Squid writes the line when it gives up on the name (its DNS lookup can take up to its 30 s timeout).
    await expect.poll(async () => (await logLines()).length, { timeout: 60_000 }).toBe(2);
    const lines = await logLines();
    expect(lines[0]).toEqual({ text: expect.stringContaining('TCP_DENIED/403'), denied: 'true' });
    expect(lines[1]!.text).toContain('http://blocked.test/');
    expect(lines[1]!.text).not.toContain('TCP_DENIED');
    expect(lines[1]!.denied).toBe('false');
    expect(pageErrors).toEqual([]);
  });
});
