/**
 * Launches Debian's Chromium through playwright-core with the flags this machine needs (no sandbox as root,
 * no background networking: the closed network refuses those connections).
 */
import { chromium, type Browser } from 'playwright-core';

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

/** A fresh headless Chromium; close it in `afterAll`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
