import type http from 'node:http';
import type stream from 'node:stream';

/**
 * A page the router answers with itself instead of proxying: unknown workspace, workspace not running,
 * upstream unreachable, bad request. Every text field is plain text; {@link renderStatusPage} escapes it.
 */
export interface StatusPage {
  /** HTTP status code (404, 400, 502, 503). */
  status: number;
  /** Short heading, e.g. "Workspace is starting". */
  title: string;
  /** One or two sentences for the user. */
  message: string;
  /** Optional detail line (e.g. the error reason of a workspace), shown in a monospace box. */
  detail?: string;
  /** When set, the browser reloads the page after this many seconds (`Refresh` header and meta tag). */
  refreshSeconds?: number;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Longest detail text we show; longer reasons are cut (they come from Docker error messages). */
const MAX_DETAIL_LENGTH = 500;

/** Renders a self-contained HTML page (no scripts, no external resources) for a {@link StatusPage}. */
export function renderStatusPage(page: StatusPage): string {
  const detail = page.detail === undefined ? '' : page.detail.slice(0, MAX_DETAIL_LENGTH);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${page.refreshSeconds === undefined ? '' : `<meta http-equiv="refresh" content="${page.refreshSeconds}">\n`}<title>${escapeHtml(page.title)} · Xares</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f6f8;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:2rem 2.5rem;max-width:36rem;box-shadow:0 2px 10px rgba(0,0,0,.05)}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{line-height:1.5;margin:.5rem 0}
pre{background:#f1f3f6;border-radius:6px;padding:.75rem;white-space:pre-wrap;word-break:break-word;font-size:.85rem}
.code{color:#6b7385;font-size:.85rem}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.message)}</p>
${detail === '' ? '' : `<pre>${escapeHtml(detail)}</pre>\n`}${page.refreshSeconds === undefined ? '' : `<p class="code">This page reloads by itself every ${page.refreshSeconds} seconds.</p>\n`}<p class="code">HTTP ${page.status}</p>
</main>
</body>
</html>
`;
}

/**
 * 502 page of an app host (`<id>-<port>.<base>`) when code-server's port proxy found nothing listening on
 * `appPort` inside the workspace (see `isPortProxyRefusal` in workspace-router.ts).
 */
export function appPortNotListeningPage(appPort: number): StatusPage {
  return {
    status: 502,
    title: 'No app on this port yet',
    message: `Nothing is listening on port ${appPort} in this workspace yet. Start your app (bound to 0.0.0.0) and reload.`,
  };
}

/** Headers of every status page: never cached, never sniffed, no scripts or framing allowed. */
function statusHeaders(page: StatusPage, body: Buffer): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  };
  if (page.refreshSeconds !== undefined) headers.refresh = String(page.refreshSeconds);
  if (page.status === 503) headers['retry-after'] = String(page.refreshSeconds ?? 10);
  return headers;
}

/**
 * Answers an HTTP request with a status page (no body for HEAD). Does nothing when the response has
 * already started or the client is gone.
 */
export function sendStatusPage(req: http.IncomingMessage, res: http.ServerResponse, page: StatusPage): void {
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const body = Buffer.from(renderStatusPage(page), 'utf8');
  res.writeHead(page.status, statusHeaders(page, body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * Answers a WebSocket upgrade request (a raw socket, before any 101) with a status page as a plain
 * HTTP/1.1 response and closes the socket. Does nothing when the socket is no longer writable.
 */
export function writeSocketStatus(socket: stream.Duplex, page: StatusPage): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(renderStatusPage(page), 'utf8');
  const headers = statusHeaders(page, body);
  let head = `HTTP/1.1 ${page.status} ${STATUS_TEXT[page.status] ?? 'Error'}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]));
}
