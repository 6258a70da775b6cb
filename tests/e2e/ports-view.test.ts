/**
 * App ports in code-server's own Ports view, end to end (issue #3 "App ports"): the server puts
 * `VSCODE_PROXY_URI=http://<id>-{{port}}.<baseDomain>:<port>/` into the workspace, so when a participant
 * forwards a port in the real workbench (real engine and image, real Chromium, through our router) the Ports
 * view's "Forwarded Address" is our app host `<id>-<port>.localhost:<port>`, and that address answers with
 * the app running inside the workspace.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const APP_PORT = 8000;
const SCREENSHOT = '/tmp/xares/ports-view.png';

/** GET `path` from our server on 127.0.0.1 with the given Host header; resolves status and body text. */
function getViaHost(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('request timed out')));
  });
}

/**
 * Runs "Ports: Focus on Ports View" from the command palette (F1) until the panel shows its Ports tab; each
 * try waits for the palette's matching entry (a closed palette means the workbench took the focus: try again).
 * @returns the panel part that holds the Ports view.
 */
async function openPortsView(page: Page): Promise<Locator> {
  const panel = page.locator('.part.panel');
  // The panel's active tab; the view body itself is hidden while no port is forwarded (a welcome text instead).
  const portsTab = panel.locator('.composite-bar .action-item.checked', { hasText: /^ports$/i });
  const palette = page.locator('.quick-input-widget');
  const entry = palette.locator('.quick-input-list .monaco-list-row', { hasText: 'Ports: Focus on Ports View' });
  await pollUntil(
    async () => {
      if (await portsTab.isVisible()) return true;
      if (await palette.isVisible()) await page.keyboard.press('Escape');
      await page.locator('.explorer-folders-view').first().click();
      await page.keyboard.press('F1');
      await palette.locator('input').waitFor({ timeout: 5_000 });
      await page.keyboard.type('Ports: Focus on Ports View');
      await entry.first().waitFor({ timeout: 5_000 });
      await page.keyboard.press('Enter');
      await portsTab.waitFor({ timeout: 5_000 });
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 250, description: 'the Ports view to open' },
  );
  return panel;
}

describe('code-server Ports view shows our app host', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let id = '';

  beforeAll(async () => {
    server = await startTestServer();
    const created = await server.api('POST', '/api/projects/create', { projectName: 'Ports Seat', projectType: 'empty' });
    expect(created.status).toBe(201);
    id = created.body.project.id;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await server.waitForStatus(id, 'running');
    // A marker file so the directory listing is recognisably this app's.
    const exec = await testDocker()
      .getContainer(`workspace-${id}`)
      .exec({
        Cmd: ['sh', '-c', `mkdir -p /tmp/ports-app && echo hi > /tmp/ports-app/xares-ports-marker.txt && cd /tmp/ports-app && exec python3 -m http.server ${APP_PORT} --bind 0.0.0.0`],
        User: 'coder',
      });
    await exec.start({ Detach: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('forwards port 8000 in the workbench and shows <id>-8000.localhost:<port>, which serves the app', async () => {
    const appHost = `${id}-${APP_PORT}.localhost:${server.port}`;
    try {
      await page.goto(`http://${id}.localhost:${server.port}/`, { waitUntil: 'commit', timeout: 90_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
      // The workbench is connected to its server once the explorer shows the workspace folder.
      await page.locator('.explorer-folders-view').first().waitFor({ timeout: 60_000 });

      // Open the Ports view through the command palette. While the workbench is still starting, its Welcome
      // walkthrough takes the focus and closes the palette again, so this retries until the view is there.
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' }).waitFor({ timeout: 60_000 });
      const panel = await openPortsView(page);

      // code-server may have detected the app already; otherwise forward it by hand.
      const forwardedRow = panel.locator('.ports-view .monaco-list-row', { hasText: String(APP_PORT) });
      const forwardButton = panel.getByRole('button', { name: 'Forward a Port' });
      await forwardedRow.or(forwardButton).first().waitFor();
      // The Welcome walkthrough can still take the focus and drop the typed port, so each try types it anew
      // and gives the row 5 s to appear.
      await pollUntil(
        async () => {
          if ((await forwardedRow.count()) > 0) return true;
          if (await forwardButton.isVisible()) await forwardButton.click();
          const portInput = panel.locator('.ports-view input').first();
          await portInput.waitFor({ timeout: 5_000 });
          await portInput.fill(String(APP_PORT));
          await portInput.press('Enter');
          await forwardedRow.first().waitFor({ timeout: 5_000 });
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `port ${APP_PORT} forwarded in the Ports view` },
      );

      // The "Forwarded Address" cell of that row is exactly our app address, built from VSCODE_PROXY_URI.
      await forwardedRow.first().waitFor({ timeout: 30_000 });
      const columns = await panel.locator('.ports-view .monaco-table-th').allInnerTexts();
      const addressColumn = columns.indexOf('Forwarded Address');
      expect(addressColumn).toBeGreaterThan(-1);
      const addressCell = forwardedRow.first().locator('.monaco-table-td').nth(addressColumn);
      await expect.poll(() => addressCell.innerText(), { timeout: 30_000 }).toBe(`http://${appHost}/`);
      await page.screenshot({ path: SCREENSHOT });
    } catch (error) {
      await page.screenshot({ path: SCREENSHOT }).catch(() => undefined);
      throw error;
    }

    // And that address answers with the python server's directory listing.
    const reply = await pollUntil(
      async () => {
        const r = await getViaHost(server.port, appHost);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 20_000, description: 'the app on its app host' },
    );
    expect(reply.body).toContain('Directory listing for /');
    expect(reply.body).toContain('xares-ports-marker.txt');
  });
});
