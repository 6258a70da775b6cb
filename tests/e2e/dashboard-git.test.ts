/**
 * The dashboard's Git view end to end (issue #7): the real server with its real Forgejo client against the fake
 * Forgejo (tests/fake-forgejo), the built dashboard in real Chromium. The teacher enables the Git server with its
 * URL and an admin token, sees it reachable with its version (the token is never shown again), creates a
 * repository and sees it listed with a link that opens in a new tab, and a duplicate name shows the server's 409
 * message by the name field. The create dialog's "Create Git repository" option is enabled afterwards, and a
 * workspace created with it links to its repository in the table and the details drawer.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ForgejoClient } from '../../server/git/forgejo-client.js';
import { openSignedInDashboard } from '../helpers/browser.js';
import { FAKE_FORGEJO_ADMIN, startFakeForgejo, type FakeForgejo } from '../helpers/fake-forgejo.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Where the screenshots of the new views go (looked at by hand; not compared). */
const SCREENSHOT_DIR = process.env['XARES_SCREENSHOT_DIR'] ?? path.join(process.cwd(), 'test-results', 'screenshots');

describe('Git view in Chromium against fake-forgejo', () => {
  let fake: FakeForgejo;
  let adminToken: string;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    fake = await startFakeForgejo();
    const bootstrap = new ForgejoClient({ baseUrl: fake.baseUrl });
    adminToken = (await bootstrap.createUserToken(FAKE_FORGEJO_ADMIN.username, FAKE_FORGEJO_ADMIN.password, { name: 'teacher', scopes: ['write:admin'] })).sha1;
    server = await startTestServer({}, { networkControl: false });
    ({ browser, context, page, pageErrors } = await openSignedInDashboard(server.server.createSignInUrl(), 'empty-state'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    await fake?.stop();
  });

  it('shows the Git server off, then enables it from the form and shows it reachable with its version', async () => {
    await page.getByTestId('nav-git').click();
    await page.getByTestId('git-settings').waitFor();
    expect(await page.getByTestId('git-status').getAttribute('data-tone')).toBe('off');
    expect(await page.getByTestId('git-admin-token-state').textContent()).toBe('No admin token is set.');
    expect(await page.getByTestId('git-repositories').count()).toBe(0);

    await page.getByTestId('git-enabled').check();
    await page.getByTestId('git-mode-card-external').click();
    await page.getByTestId('git-url').fill(fake.baseUrl);
    await page.getByTestId('git-admin-token').fill(adminToken);
    await page.getByTestId('git-save').click();

    const version = await new ForgejoClient({ baseUrl: fake.baseUrl }).version();
    await expect.poll(() => page.getByTestId('git-status-text').textContent(), { timeout: 15_000 }).toBe(`Reachable, version ${version}.`);
    expect(await page.getByTestId('git-status').getAttribute('data-reachable')).toBe('true');
    // The status line links to the server's browser URL (a new tab); the existing-server choice was stored.
    const stored = (await server.api('GET', '/api/git/settings')).body;
    expect(stored.settings.mode).toBe('external');
    const statusLink = page.getByTestId('git-status-link');
    expect(await statusLink.getAttribute('href')).toBe(new URL(stored.status.url).href);
    expect(await statusLink.getAttribute('target')).toBe('_blank');
    expect(await statusLink.getAttribute('rel')).toContain('noopener');
    // "Saved." shows once the form is back to the stored settings.
    await page.getByTestId('git-saved').waitFor();
    // The token is write-only: the field is emptied and only "set" is shown; it is nowhere in the page.
    expect(await page.getByTestId('git-admin-token').inputValue()).toBe('');
    expect(await page.getByTestId('git-admin-token-state').textContent()).toContain('An admin token is set');
    expect(await page.content()).not.toContain(adminToken);
    await page.getByTestId('git-repositories-empty').waitFor();
  });

  it('creates a repository and lists it with a link opening in a new tab', async () => {
    await page.getByTestId('git-repo-name').fill('course-project');
    await page.getByTestId('git-repo-description').fill('Our <b>course</b> project');
    await page.getByTestId('git-repo-create').click();
    const row = page.locator('[data-testid=git-repository-row][data-name="course-project"]');
    await row.waitFor();
    expect(await row.getByTestId('git-repository-description').textContent()).toBe('Our <b>course</b> project');
    expect(await row.locator('b').count()).toBe(0);
    expect(await row.getByTestId('git-repository-private').textContent()).toBe('Public');
    const link = row.getByTestId('git-repository-link');
    const listed = (await server.api('GET', '/api/git/repositories')).body.repositories as { name: string; url: string }[];
    const stored = listed.find((entry) => entry.name === 'course-project');
    expect(stored).toBeDefined();
    expect(await link.getAttribute('href')).toBe(stored?.url);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toContain('noopener');
    // The form is emptied for the next one.
    expect(await page.getByTestId('git-repo-name').inputValue()).toBe('');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'git-view.png'), fullPage: true });
  });

  it('shows a name the rules refuse as typed and the server 409 for a duplicate by the name field', async () => {
    await page.getByTestId('git-repo-name').fill('bad name');
    await page.getByTestId('git-repo-create').click();
    expect(await page.getByTestId('git-repo-name-error').textContent()).toBe('A repository name may contain only letters, digits, "-", "_" and "."');

    await page.getByTestId('git-repo-name').fill('course-project');
    await page.getByTestId('git-repo-create').click();
    await expect.poll(() => page.getByTestId('git-repo-name-error').textContent()).toBe('A repository named "course-project" already exists');
    expect(await page.getByTestId('git-repository-row').count()).toBe(1);
  });

  it('shows the server 503 reason by the URL when the Git server cannot be reached', async () => {
    await page.getByTestId('git-url').fill('http://127.0.0.1:9/');
    await page.getByTestId('git-save').click();
    const message = await (async () => {
      await page.getByTestId('git-url-error').waitFor({ timeout: 15_000 });
      return page.getByTestId('git-url-error').textContent();
    })();
    const direct = await server.api('PUT', '/api/git/settings', { enabled: true, url: 'http://127.0.0.1:9/' });
    expect(direct.status).toBe(503);
    expect(message).toBe(direct.body.error);
    // Nothing was stored: the server is still the fake and reachable.
    expect((await server.api('GET', '/api/git/settings')).body.settings.url).toBe(fake.baseUrl);
  });

  it('offers "Create Git repository" in the create dialog now that the server is enabled', async () => {
    await page.getByTestId('nav-workspaces').click();
    const open = page.getByRole('button', { name: /new workspace/i }).first();
    await open.click();
    await expect.poll(() => page.getByTestId('create-git-repo').isDisabled()).toBe(false);
    expect(await page.getByTestId('create-git-repo-unavailable').count()).toBe(0);
    await page.getByTestId('create-cancel').click();
  });

  it('links a workspace created with createGitRepo to its repository in the table and the details drawer', async () => {
    const created = await server.api('POST', '/api/projects/create', { projectName: 'Git Seat', projectType: 'empty', createGitRepo: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.project.id as string;
    const repoUrl = created.body.project.gitRepoUrl as string;
    expect(repoUrl.startsWith(fake.baseUrl)).toBe(true);
    const tableLink = page.getByTestId(`workspace-git-${id}`);
    await tableLink.waitFor();
    expect(await tableLink.getAttribute('href')).toBe(repoUrl);
    expect(await tableLink.getAttribute('rel')).toContain('noopener');
    await page.getByTestId(`workspace-details-${id}`).click();
    const drawerLink = page.getByTestId('details-drawer').getByTestId('details-git-repo');
    await drawerLink.waitFor();
    expect(await drawerLink.getAttribute('href')).toBe(repoUrl);
    expect(await drawerLink.getAttribute('target')).toBe('_blank');
    expect(await drawerLink.getAttribute('rel')).toContain('noopener');
    expect(await drawerLink.textContent()).toBe(repoUrl);
    await page.getByTestId('details-close').click();
    expect((await server.api('DELETE', `/api/projects/${id}`)).status).toBe(200);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
