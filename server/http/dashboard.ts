import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';

/**
 * Content-Security-Policy of the dashboard: only our own origin (scripts, styles, connections); images may
 * also be data: URLs (QR codes later). No framing, no plugins, no foreign form targets.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers for everything the server itself answers (API and dashboard). */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (req.path.startsWith('/api/')) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  } else {
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  }
  next();
}

const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Xares Desktop</title></head>
<body><h1>Xares Desktop</h1><p>The dashboard has not been built yet. Run <code>npm run build</code> and reload this page.</p></body></html>`;

/**
 * The dashboard at `/admin/`: static files of `dist/renderer/` and `index.html` for client-side routes;
 * a short page asking for `npm run build` when the folder is missing.
 */
export function dashboardRouter(rendererDir: string): Router {
  const router = Router();
  const indexFile = path.join(rendererDir, 'index.html');
  router.use(express.static(rendererDir, { index: 'index.html', redirect: false, fallthrough: true, maxAge: 0 }));
  router.get('/{*route}', (req, res) => {
    if (existsSync(indexFile)) {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(indexFile);
    } else {
      res.status(200).type('html').send(MISSING_BUILD_PAGE);
    }
  });
  return router;
}
