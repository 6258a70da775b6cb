/**
 * The dashboard's Git parts of issue #7 that need no Git server, end to end in real Chromium against the real
 * server and the built dashboard:
 * - the Git view offers "Run a Git server on this computer (Forgejo)" next to an existing server, disabled with a
 *   note exactly when the server says `managedAvailable: false`, and selectable when it says true (that answer is
 *   rewritten in the browser while the managed server is not built: GA, issue #7); saving it shows
 *   "Starting the Git server…" until the server answers and then the server's refusal in its words;
 * - a workspace row and its details show the repository link (new tab, noopener), the branch and, when its git
 *   set-up failed, a warning with the server's text as text (never as markup).
 * The workspaces' git fields are written into the SQLite store before the server starts (ProjectsRepository, as
 * the server would after a clone's branch push failed), so no Forgejo is needed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import type { GitSettingsResponse } from '../../server/contract/index.js';
import { openDatabase } from '../../server/store/database.js';
import { ProjectsRepository, type ProjectRecord } from '../../server/store/projects-repository.js';
import { openSignedInDashboard } from '../helpers/browser.js';
import { startTestServer, testWorkspaceImage, type TestServer } from '../helpers/server.js';
import { projectRecord } from '../helpers/project-record.js';

const SOURCE_ID = 'gdsrc0000001';
const CLONE_ID = 'gdclone00001';
const REPO_URL = 'http://127.0.0.1:1/git/xares/gd-seat';
/** What the server would store when a clone's branch push failed; markup in it must stay text. */
const GIT_ERROR = 'Could not push branch clone/gd-seat-1: <b>remote refused</b> & gave up';

function record(id: string, name: string, git: Partial<ProjectRecord>): ProjectRecord {
  return projectRecord({ id, name, status: 'stopped', createdAt: '2026-12-02T01:00:00.000Z', createGitRepo: true, containerId: null, image: testWorkspaceImage(), ...git });
}

describe('Git settings choice and workspace Git facts in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'xares-test-data-'));
    const db = openDatabase(dataDir);
    try {
      const projects = new ProjectsRepository(db);
      projects.insert(record(SOURCE_ID, 'GD Seat', { gitRepoUrl: REPO_URL, gitRepo: 'xares/gd-seat', gitBranch: 'main' }));
      projects.insert(record(CLONE_ID, 'GD Seat 1', { gitRepoUrl: REPO_URL, gitRepo: 'xares/gd-seat', gitBranch: 'main', gitError: GIT_ERROR, clonedFrom: SOURCE_ID }));
    } finally {
      db.close();
    }
    server = await startTestServer({ dataDir }, { networkControl: false });
    ({ browser, context, page, pageErrors } = await openSignedInDashboard(server.server.createSignInUrl(), 'workspace-table'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('shows a workspace repository link, its branch, and no warning when the set-up worked', async () => {
    const listed = (await server.api('GET', '/api/projects/')).body.projects as { id: string; gitRepoUrl?: string; gitBranch?: string; gitError?: string }[];
    const source = listed.find((project) => project.id === SOURCE_ID);
    expect(source).toMatchObject({ gitRepoUrl: REPO_URL, gitBranch: 'main' });
    expect(source?.gitError).toBeUndefined();

    const link = page.getByTestId(`workspace-git-${SOURCE_ID}`);
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(REPO_URL);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await page.getByTestId(`workspace-git-branch-${SOURCE_ID}`).textContent()).toBe('main');
    expect(await page.getByTestId(`workspace-git-error-${SOURCE_ID}`).count()).toBe(0);
  });

  it('warns on the row and in the details when the git set-up failed, with the server text as text', async () => {
    const warning = page.getByTestId(`workspace-git-error-${CLONE_ID}`);
    await warning.waitFor();
    expect(await warning.textContent()).toBe(`Git: ${GIT_ERROR}`);
    expect(await warning.locator('b').count()).toBe(0);
    expect(await page.getByTestId(`workspace-git-branch-${CLONE_ID}`).textContent()).toBe('main');
    expect(await page.getByTestId(`workspace-git-${CLONE_ID}`).getAttribute('href')).toBe(REPO_URL);

    await page.getByTestId(`workspace-details-${CLONE_ID}`).click();
    const drawer = page.getByTestId('details-drawer');
    await drawer.getByTestId('details-git').waitFor();
    expect(await drawer.getByTestId('details-git-repo').getAttribute('href')).toBe(REPO_URL);
    expect(await drawer.getByTestId('details-git-repo').getAttribute('target')).toBe('_blank');
    expect(await drawer.getByTestId('details-git-branch').textContent()).toBe('main');
    const detailsWarning = drawer.getByTestId('details-git-error');
    expect(await detailsWarning.textContent()).toContain(GIT_ERROR);
    expect(await detailsWarning.locator('b').count()).toBe(0);
    await page.getByTestId('details-close').click();
  });

  it('shows the managed option disabled with a note exactly when the server says it is not available', async () => {
    const stored = (await server.api('GET', '/api/git/settings')).body as GitSettingsResponse;
    await page.getByTestId('nav-git').click();
    await page.getByTestId('git-settings').waitFor();
    const managed = page.getByTestId('git-mode-managed');
    expect(await page.getByTestId('git-mode-card-managed').textContent()).toContain('Run a Git server on this computer (Forgejo)');
    expect(await page.getByTestId('git-mode-card-external').textContent()).toContain('Use an existing Forgejo or Gitea server');
    expect(await managed.isDisabled()).toBe(!stored.settings.managedAvailable);
    expect(await page.getByTestId('git-mode-managed-unavailable').count()).toBe(stored.settings.managedAvailable ? 0 : 1);
    // The external server's fields show while that option is chosen.
    if (!stored.settings.managedAvailable) {
      expect(await page.getByTestId('git-mode-external').isChecked()).toBe(true);
      await page.getByTestId('git-url').waitFor();
    }
  });

  it('lets the managed option be chosen when available: no URL or token, "Starting the Git server…" until the answer, then the server words', async () => {
    // The answer as the server gives it once it can run Forgejo (managedAvailable true).
    await page.route('**/api/git/settings', async (route: Route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      const response = await route.fetch();
      const body = (await response.json()) as GitSettingsResponse;
      await route.fulfill({ response, json: { ...body, settings: { ...body.settings, managedAvailable: true } } });
    });
    // The save is held until the test releases it, like a first start of the container, then refused.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let sentBody: unknown = null;
    await page.route('**/api/git/settings', async (route: Route) => {
      if (route.request().method() !== 'PUT') return route.fallback();
      sentBody = route.request().postDataJSON();
      await released;
      await route.fulfill({
        status: 503,
        json: { success: false, error: 'The Git server container did not start: image <none> not found', code: 'SERVICE_UNAVAILABLE' },
      });
    });
    await page.getByTestId('nav-workspaces').click();
    await page.getByTestId('workspace-table').waitFor();
    await page.getByTestId('nav-git').click();
    await page.getByTestId('git-settings').waitFor();
    const managed = page.getByTestId('git-mode-managed');
    await expect.poll(() => managed.isDisabled()).toBe(false);
    expect(await page.getByTestId('git-mode-managed-unavailable').count()).toBe(0);

    await page.getByTestId('git-enabled').check();
    // The radio sits under its card's text: the card is what a teacher clicks.
    await page.getByTestId('git-mode-card-managed').click();
    expect(await managed.isChecked()).toBe(true);
    expect(await page.getByTestId('git-url').count()).toBe(0);
    expect(await page.getByTestId('git-admin-token').count()).toBe(0);
    await page.getByTestId('git-save').click();
    await expect.poll(() => page.getByTestId('git-save').textContent()).toContain('Starting the Git server…');
    await page.getByTestId('git-starting').waitFor();
    expect(await page.getByTestId('git-save').isDisabled()).toBe(true);
    expect(sentBody).toEqual({ enabled: true, mode: 'managed' });

    release();
    const error = page.getByTestId('git-settings-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('The Git server container did not start: image <none> not found');
    expect(await page.getByTestId('git-save').textContent()).toBe('Save');
    expect(await page.getByTestId('git-starting').count()).toBe(0);
    await page.unroute('**/api/git/settings');
    // Nothing was stored on the real server.
    expect(((await server.api('GET', '/api/git/settings')).body as GitSettingsResponse).settings.enabled).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
