import type { DesktopBridge } from '../../server/contract/index.js';

/**
 * The preload bridge (`window.xares`, contract `DesktopBridge`) when running inside the desktop app,
 * `undefined` in a plain browser.
 */
export function getDesktopBridge(): DesktopBridge | undefined {
  if (typeof window === 'undefined') return undefined;
  const candidate = (window as unknown as { xares?: DesktopBridge }).xares;
  return candidate && typeof candidate.invoke === 'function' ? candidate : undefined;
}
