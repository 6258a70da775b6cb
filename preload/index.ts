/**
 * Preload of the desktop window (sandboxed, context-isolated): exposes one object, `window.xares`, implementing
 * `DesktopBridge` over `ipcRenderer.invoke`. Bundled to CommonJS by scripts/build-preload.mjs
 * (`dist/node/preload/index.cjs`), because a sandboxed preload cannot be an ES module.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createDesktopBridge } from './bridge.js';

contextBridge.exposeInMainWorld('xares', createDesktopBridge((channel, request) => ipcRenderer.invoke(channel, request)));
