import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';

/**
 * Content-Security-Policy of the participant join page: stricter than the dashboard's (no inline styles, no
 * data: images): scripts, styles, images and API calls from our own origin only, no framing, no plugins.
 */
export const JOIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** File name of the page inside the build folder (Vite keeps the entry's name, `renderer/join.html`). */
export const JOIN_HTML = 'join.html';

/** The join page's build folder next to the dashboard's: `<dist>/join` for `<dist>/renderer`. */
export function joinDirFor(rendererDir: string): string {
  return path.join(path.dirname(rendererDir), 'join');
}

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Xares Desktop</title></head>
<body><h1>Xares Desktop</h1><p>This page has not been built yet. Run <code>npm run build</code> on the workshop computer and reload.</p></body></html>`;

function withJoinCsp(res: Response): void {
  res.setHeader('Content-Security-Policy', JOIN_CSP);
}

/**
 * The participant page: `GET /` answers the built `join.html` (never cached, so a rebuild is picked up at
 * once), `/join/*` serves its assets (hashed names). Paths under `/join/` that are no file fall through to
 * later routes (e.g. `/join/enter`). Mount at the application root, after `securityHeaders`.
 */
export function joinPageRouter(joinDir: string): Router {
  const router = Router();
  const indexFile = path.join(joinDir, JOIN_HTML);
  router.get('/', (_req, res) => {
    withJoinCsp(res);
    if (existsSync(indexFile)) {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(indexFile);
    } else {
      res.status(200).type('html').send(MISSING_BUILD_PAGE);
    }
  });
  router.use(
    '/join',
    express.static(joinDir, {
      index: false,
      redirect: false,
      fallthrough: true,
      maxAge: 0,
      setHeaders: (res) => withJoinCsp(res as Response),
    }),
  );
  return router;
}
