/**
 * Launches Debian's Chromium through playwright-core with the flags this machine needs (no sandbox as root,
 * no background networking: the closed network refuses those connections).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['XARES_CHROMIUM'] || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /**
   * Further command-line switches, e.g. `--host-resolver-rules=MAP lan.test 127.0.0.1` to reach this machine
   * under a LAN-like name without DNS (see {@link mapHostsToLoopback}).
   */
  extraArgs?: readonly string[];
}

/** A fresh headless Chromium; close it in `afterAll`. */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])] });
}

/** The switch that makes Chromium resolve each of `names` to 127.0.0.1 (a participant host for tests). */
export function mapHostsToLoopback(...names: string[]): string {
  return `--host-resolver-rules=${names.map((name) => `MAP ${name} 127.0.0.1`).join(', ')}`;
}

/** A browser with one page signed in to the dashboard, and the page's uncaught errors. */
export interface SignedInDashboard {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Messages of uncaught errors on the page (tests expect none). */
  pageErrors: string[];
}

/**
 * Launches Chromium, opens `signInUrl` (a test server's `createSignInUrl()`) in a 1280×900 page and waits for
 * `readyTestId`. Close `browser` in `afterAll`.
 */
export async function openSignedInDashboard(signInUrl: string, readyTestId: string): Promise<SignedInDashboard> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(signInUrl);
  await page.getByTestId(readyTestId).waitFor();
  return { browser, context, page, pageErrors };
}
