/**
 * The tray's "Show join QR code" window (issue #6): a small local page with the join URL's QR code and the URL
 * under it, for a projector or a participant's phone. The code is drawn by the dashboard's own `qrShape`
 * (renderer/src/views/workshop-qr.ts: `qrcode` package, error correction M, quiet zone) as inline SVG, so the
 * tray and the dashboard's Workshop view show the same code. No remote content, no script: the page is a
 * `data:` URL with a Content-Security-Policy of `default-src 'none'` (inline styles only), and the window runs
 * with JavaScript off. Pure (no Electron import); main/index.ts opens the window.
 */
import { qrShape } from '../renderer/src/views/workshop-qr.js';

/** Characters HTML needs escaped in text and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Content-Security-Policy of the page: nothing may load or run; only the inline style applies. */
export const JOIN_QR_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/**
 * The complete HTML document for `url` (escaped everywhere it appears).
 * @throws Error from `qrcode` when the text does not fit in a QR code (far beyond any URL).
 */
export function joinQrPageHtml(url: string): string {
  const { size, path } = qrShape(url);
  const text = escapeHtml(url);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${JOIN_QR_PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join the workshop</title>
<style>
html, body { margin: 0; height: 100%; background: #fff; color: #111; font-family: system-ui, sans-serif; }
body { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 16px; }
svg { width: min(88vw, 78vh); height: auto; shape-rendering: crispEdges; }
p { margin: 0; font-size: clamp(16px, 4vw, 40px); font-weight: 600; word-break: break-all; text-align: center; padding: 0 16px; user-select: all; }
</style>
</head>
<body>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" role="img" aria-label="QR code of ${text}"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>
<p>${text}</p>
</body>
</html>
`;
}

/** The page as a `data:` URL for `BrowserWindow.loadURL` (base64, so no character of the page needs URL escaping). */
export function joinQrPageUrl(url: string): string {
  return `data:text/html;charset=utf-8;base64,${Buffer.from(joinQrPageHtml(url), 'utf8').toString('base64')}`;
}

/**
 * `BrowserWindow` options of the QR window: square-ish, resizable (drag it to the projector and maximise),
 * sandboxed, no preload, no Node, JavaScript off.
 */
export function joinQrWindowOptions(icon: string) {
  return {
    width: 560,
    height: 640,
    minWidth: 280,
    minHeight: 320,
    title: 'Join the workshop',
    icon,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      webSecurity: true,
      spellcheck: false,
    },
  } as const;
}
