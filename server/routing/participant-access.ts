import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/errors.js';
import { isLoopbackAddress, isLoopbackOnlyHost } from './public-urls.js';

/**
 * What Express serves on a participant host (issue #4 "LAN access", "origin separation"): the join page and
 * its assets, the public workshop API, the health check. Path seats (`/w/<id>/…`) never reach Express (the
 * workspace router takes them first). Everything else (dashboard, admin API, event stream, sign-in codes) is
 * refused, whatever credential the request carries.
 *
 * Rules, on the request path as Express sees it (no query):
 * - `GET`/`HEAD /`: the join page;
 * - anything under `/join/` (assets, `/join/enter`);
 * - `/api/health`, `/api/workshop/status`, `/api/workshop/claim`, `/api/workshop/me`.
 */
export function isParticipantPath(path: string): boolean {
  if (path === '/' || path === '/join' || path.startsWith('/join/')) return true;
  return PARTICIPANT_API.has(path);
}

const PARTICIPANT_API = new Set(['/api/health', '/api/workshop/status', '/api/workshop/claim', '/api/workshop/me']);

/**
 * Express middleware for participant hosts: drops the `Authorization` header (the admin token is never
 * accepted on a participant host, so a leaked token is useless from the LAN side) and answers every path
 * outside {@link isParticipantPath} with 403 FORBIDDEN in the contract's error shape. Requests on admin hosts
 * pass untouched.
 * @param isParticipant true for a participant host (see `classifyRequestHost` in public-urls.ts).
 */
export function participantHostFilter(isParticipant: (host: string | undefined) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isParticipant(req.headers.host)) return next();
    if (req.headers.authorization !== undefined) delete req.headers.authorization;
    if (isParticipantPath(req.path)) return next();
    res.setHeader('cache-control', 'no-store');
    sendError(res, 'FORBIDDEN', 'This address is for workshop participants; the dashboard is only available on the host computer');
  };
}

/**
 * Express middleware: a request naming a loopback-only host (`localhost`, `127.0.0.1`, see
 * `isLoopbackOnlyHost`) from a peer that is not on this machine is refused with 403 FORBIDDEN_HOST. Otherwise
 * a LAN client could reach the dashboard and admin API by sending `Host: localhost` to our LAN address.
 */
export function loopbackHostFilter(req: Request, res: Response, next: NextFunction): void {
  if (!isLoopbackOnlyHost(req.headers.host) || isLoopbackAddress(req.socket.remoteAddress)) return next();
  sendError(res, 'FORBIDDEN_HOST', 'This address only answers on the host computer itself');
}
