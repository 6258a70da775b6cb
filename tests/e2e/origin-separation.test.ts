/**
 * Origin separation in real Chromium (issue #4): the teacher is signed in to the dashboard (token in the
 * admin origin's localStorage) in the same browser in which pages served from inside a workspace run: an app
 * port on its own host (`<id>-8000.localhost`) and the same app under a path seat on a participant host
 * (`lan.test/w/<id>/proxy/8000/`). Neither can read the token or use the admin API with the browser's
 * credentials (CORS, and the server refuses foreign Origins); the participant origin gets 403 on admin
 * endpoints even with the token. Also: the dashboard's Open button enters a protected workspace without its
 * password (one-time teacher link), and code-server's workbench loads under `/w/<id>/` after the seat's
 * password.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, mapHostsToLoopback } from '../helpers/browser.js';
import { pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const PASSWORD = 'origin-pass-123';
const APP_PORT = 8000;
const APP_MARKER = 'served-from-inside-the-workspace';

/** What a script running on a workspace page manages to learn or do against the admin origin. */
interface Probe {
  /** Everything in this page's own storage and cookies. */
  storage: string;
  /** `GET <admin>/api/projects` with credentials: `blocked` (CORS) or `status N` when readable. */
  read: string;
  /** JSON `POST <admin>/api/projects/:id/stop` with credentials (needs a preflight): `blocked` or `status N`. */
  post: string;
  /** `GET <admin>/api/projects` with a guessed bearer token from this origin: `blocked` or `status N`. */
  bearer: string;
}

/** Runs in the workspace page: tries to reach the dashboard's credential and the admin API. */
function probeAdmin(page: Page, adminOrigin: string, projectId: string): Promise<Probe> {
  return page.evaluate(
    async ({ adminOrigin, projectId }) => {
      const attempt = async (run: () => Promise<Response>) => {
        try {
          return `status ${(await run()).status}`;
        } catch {
          return 'blocked';
        }
      };
      const storage = JSON.stringify({ local: { ...window.localStorage }, session: { ...window.sessionStorage }, cookie: document.cookie });
      return {
        storage,
        read: await attempt(() => fetch(`${adminOrigin}/api/projects`, { credentials: 'include' })),
        post: await attempt(() =>
          fetch(`${adminOrigin}/api/projects/${projectId}/stop`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}' }),
        ),
        bearer: await attempt(() => fetch(`${adminOrigin}/api/projects`, { headers: { authorization: 'Bearer guessed-token-0123456789' } })),
      };
    },
    { adminOrigin, projectId },
  );
}

/**
 * Sends a "simple" cross-site POST (no preflight, `no-cors`) from the page and returns the HTTP status our
 * server answered, read from Chromium's network layer over CDP (the page itself only gets an opaque response,
 * and Chromium may block even that for our `Cross-Origin-Resource-Policy`, but the raw status is still seen).
 */
async function simplePostStatus(page: Page, url: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const ids = new Set<string>();
  // CDP may deliver a response's ExtraInfo event before the request's requestWillBeSent (a fast local answer):
  // keep every status by request id and match whichever comes second.
  const statuses = new Map<string, number>();
  const status = new Promise<number>((resolve) => {
    cdp.on('Network.requestWillBeSent', (event) => {
      if (event.request.url !== url || event.request.method !== 'POST') return;
      ids.add(event.requestId);
      const known = statuses.get(event.requestId);
      if (known !== undefined) resolve(known);
    });
    cdp.on('Network.responseReceivedExtraInfo', (event) => {
      statuses.set(event.requestId, event.statusCode);
      if (ids.has(event.requestId)) resolve(event.statusCode);
    });
  });
  await page.evaluate((target) => fetch(target, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x' }).then(() => 'sent', () => 'failed'), url);
  try {
    return await Promise.race([status, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no response seen for POST ${url}`)), 15_000))]);
  } finally {
    await cdp.detach();
  }
}

describe('origin separation in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let dashboard: Page;
  let id = '';
  let admin = '';
  let lan = '';

  beforeAll(async () => {
    server = await startTestServer({ host: undefined, publicHost: 'lan.test' });
    admin = `http://localhost:${server.port}`;
    lan = `http://lan.test:${server.port}`;
    browser = await launchChromium({ extraArgs: [mapHostsToLoopback('lan.test')] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const created = await server.api('POST', '/api/projects/create', { projectName: 'Origin Room', projectType: 'empty', passwordProtected: true, password: PASSWORD });
    expect(created.status).toBe(201);
    id = created.body.project.id;
    await server.waitForStatus(id, 'running', 240_000);
    // An app inside the workspace: a static page on port 8000 (python's http.server).
    const container = testDocker().getContainer(`workspace-${id}`);
    const setup = await container.exec({
      Cmd: ['sh', '-c', `mkdir -p /tmp/site && printf '<!doctype html><title>app</title><h1>${APP_MARKER}</h1>' > /tmp/site/index.html`],
      User: 'coder',
    });
    await setup.start({});
    const serve = await container.exec({ Cmd: ['python3', '-m', 'http.server', String(APP_PORT), '--bind', '0.0.0.0', '--directory', '/tmp/site'], User: 'coder' });
    await serve.start({ Detach: true });
    // The teacher signs in to the dashboard in the same browser.
    dashboard = await context.newPage();
    await dashboard.goto(server.server.createSignInUrl());
    await dashboard.getByTestId(`workspace-row-${id}`).waitFor({ timeout: 60_000 });
    expect(await dashboard.evaluate(() => JSON.stringify({ ...window.localStorage }))).toContain(server.token);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  /** Opens `url` (a login page of the gate), signs in with the workspace password and waits for `ready`. */
  async function openWithPassword(url: string, ready: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByTestId('workspace-login-form').waitFor();
    await page.getByTestId('workspace-login-password').fill(PASSWORD);
    await page.getByTestId('workspace-login-submit').click();
    await page.locator(ready).first().waitFor({ timeout: 90_000 });
    return page;
  }

  /** Waits until the app answers through the router: signs in on the app host from Node, then polls `/`. */
  async function waitForApp(): Promise<void> {
    const host = `${id}-${APP_PORT}.localhost:${server.port}`;
    const form = new URLSearchParams({ password: PASSWORD, next: '/' }).toString();
    const signedIn = await hostRequest(host, '/__xares/login', { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(signedIn.status).toBe(303);
    const cookie = (signedIn.setCookie[0] ?? '').split(';')[0] ?? '';
    await pollUntil(async () => ((await hostRequest(host, '/', { headers: { cookie } })).body.includes(APP_MARKER) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'the app on port 8000 to answer through the router',
    });
  }

  /** One request to our server with an explicit Host (fetch cannot set it). */
  function hostRequest(host: string, path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
    return new Promise<{ status: number; body: string; setCookie: string[] }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', agent: false, headers: { host, ...options.headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), setCookie: res.headers['set-cookie'] ?? [] }));
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  it('opens the protected workspace from the dashboard without its password', async () => {
    const [ide] = await Promise.all([context.waitForEvent('page'), dashboard.getByTestId(`workspace-open-${id}`).click()]);
    await ide.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    expect(new URL(ide.url()).host).toBe(`${id}.localhost:${server.port}`);
    expect(await ide.getByTestId('workspace-login-form').count()).toBe(0);
    await ide.close();
  });

  it('keeps the dashboard token out of reach of an app port page on its own host', async () => {
    await waitForApp();
    const page = await openWithPassword(`http://${id}-${APP_PORT}.localhost:${server.port}/`, `text=${APP_MARKER}`);
    const probe = await probeAdmin(page, admin, id);
    expect(probe.storage).not.toContain(server.token);
    expect(probe.read).toBe('blocked');
    expect(probe.post).toBe('blocked');
    expect(probe.bearer).toBe('blocked');
    // A simple POST goes out without preflight; the server refuses it for its foreign Origin.
    expect(await simplePostStatus(page, `${admin}/api/projects/${id}/stop`)).toBe(403);
    expect((await server.api('GET', `/api/projects/${id}`)).body.project.status).toBe('running');
    await page.close();
  });

  it('loads the workbench under /w/<id>/ on a participant host, and keeps the token out of reach of its app path', async () => {
    const ide = await openWithPassword(`${lan}/w/${id}/`, '.monaco-workbench');
    await ide.locator('.explorer-folders-view, .monaco-workbench .part.sidebar').first().waitFor({ timeout: 60_000 });
    const url = new URL(ide.url());
    expect(url.host).toBe(`lan.test:${server.port}`);
    expect(url.pathname.startsWith(`/w/${id}/`)).toBe(true);
    expect(await ide.evaluate(() => document.cookie)).not.toContain('xares_gate_');
    await ide.close();

    // The seat cookie (Path=/w/<id>/) lets the app path in without a second sign-in.
    const page = await context.newPage();
    await page.goto(`${lan}/w/${id}/proxy/${APP_PORT}/`);
    await page.locator(`text=${APP_MARKER}`).waitFor({ timeout: 30_000 });
    const probe = await probeAdmin(page, admin, id);
    expect(probe.storage).not.toContain(server.token);
    expect(probe.read).toBe('blocked');
    expect(probe.post).toBe('blocked');
    expect(probe.bearer).toBe('blocked');
    expect(await simplePostStatus(page, `${admin}/api/projects/${id}/stop`)).toBe(403);

    // The participant origin itself serves no admin endpoint, not even to the real token.
    const own = await page.evaluate(
      async ({ token, id }) => {
        const status = async (path: string, init: RequestInit = {}) => (await fetch(path, init)).status;
        const bearer = { authorization: `Bearer ${token}` };
        return {
          projects: await status('/api/projects', { headers: bearer }),
          stop: await status(`/api/projects/${id}/stop`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' }),
          openLink: await status(`/api/projects/${id}/open-link`, { method: 'POST', headers: bearer }),
          events: await status('/api/events', { headers: bearer }),
          dashboard: await status('/admin/'),
        };
      },
      { token: server.token, id },
    );
    expect(own).toEqual({ projects: 403, stop: 403, openLink: 403, events: 403, dashboard: 403 });
    expect((await server.api('GET', `/api/projects/${id}`)).body.project.status).toBe('running');
    await page.close();
  });
});
