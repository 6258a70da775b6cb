/**
 * `/git/` for browsers (issue #7): the managed Git server (Forgejo, server/git/managed-git-server.ts) is served
 * under `/git/` of our PARTICIPANT addresses. Forgejo's documented sub-path set-up (reverse-proxy docs, "Use a
 * sub-path"): ROOT_URL = `http://<participant host>/git/` and the proxy passes `/git/foo` on as `/foo`, the URI
 * not decoded. WebSocket upgrades are passed on the same way.
 *
 * Never on ADMIN hosts (loopback names, the base domain): the dashboard's origin keeps the admin token in its
 * localStorage, so no Forgejo page (scripts of another application) may run there; `/git/…` on an admin host
 * answers 302 to the same path on the participant base URL. When the managed server is not in use or does not
 * come up: 503 with a small HTML page saying why (text escaped).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import { upstreamCookieHeader } from '../routing/workspace-gate.js';

/** How long (ms) the proxy waits on a silent Forgejo before answering 502. */
export const GIT_PROXY_IDLE_TIMEOUT_MS = 60_000;

/** Path prefix under which browsers reach the managed Git server. */
export const GIT_PATH_PREFIX = '/git';

/** True for `/git` and paths under `/git/` (query ignored). */
export function isGitPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0]!;
  return path === GIT_PATH_PREFIX || path.startsWith(`${GIT_PATH_PREFIX}/`);
}

/** The request target Forgejo gets: `/git/a/b?c` → `/a/b?c`, `/git/` → `/` (not decoded, query kept). */
export function stripGitPrefix(url: string): string {
  const rest = url.slice(GIT_PATH_PREFIX.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** Where an admin host's `/git/…` request goes: the same path and query on `participantBase` (ends with `/`). */
export function participantRedirect(participantBase: string, url: string): string {
  const base = new URL(participantBase);
  // Only the path and query of the request are taken, on our own participant origin.
  return `${base.origin}${url.startsWith('/') ? url : `/${url}`}`;
}

/**
 * Keeps our own cookies (seat sessions, the participant cookie: `xares_*`, and code-server's) away from Forgejo:
 * the participant origin is shared with the workspaces under `/w/<id>/`.
 */
function withoutOwnCookies(req: IncomingMessage): void {
  const cookie = upstreamCookieHeader(req.headers.cookie, undefined);
  if (cookie === undefined) delete req.headers.cookie;
  else req.headers.cookie = cookie;
}

/** HTML-escapes text for the pages here. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The small page answered when the Git server cannot be reached here (`reason` is escaped). */
export function unavailablePage(reason: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Git server unavailable</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>Git server unavailable</h1><p>${escapeHtml(reason)}</p></body></html>`;
}

/** Options of {@link createGitProxy}. */
export interface GitProxyOptions {
  /** True for a participant host of ours (app.ts `isParticipantHost`: accepted by the HostGuard and not admin). */
  isParticipantHost(host: string | undefined): boolean;
  /** The participants' base URL (`joinUrl`, ends with `/`). */
  participantBaseUrl(): string;
  /** The managed server's REST base URL (started when needed), or why there is none (`GitService.managedTarget`). */
  target(): Promise<{ hostUrl: string } | { unavailable: string }>;
  /** Called when the server did not answer a proxied request (so the next request looks for it again). */
  onUnreachable?: () => void;
  logger: Logger;
}

/** The `/git/` handlers: Express middleware for requests and a handler for WebSocket upgrades. */
export interface GitProxy {
  /** Mount before the participant path filter; passes everything outside `/git` on. */
  middleware(req: Request, res: Response, next: NextFunction): void;
  /** For the HTTP server's `upgrade` event: true when it took the socket (a `/git/` path on a participant host). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** Builds the `/git/` reverse proxy (see the module comment). */
export function createGitProxy(options: GitProxyOptions): GitProxy {
  // xfwd: Forgejo sees the browser's address and host in X-Forwarded-*; the Host header stays the browser's.
  // proxyTimeout: a Forgejo that stops answering (paused, hung) gets a 502 page after a minute of silence
  // instead of a browser waiting forever; active transfers (a big clone) are not cut.
  const proxy = httpProxy.createProxyServer({ xfwd: true, ws: true, proxyTimeout: GIT_PROXY_IDLE_TIMEOUT_MS });
  proxy.on('error', (error, _req, target) => {
    options.logger.warn({ reason: error.message }, 'git proxy: the Git server did not answer');
    options.onUnreachable?.();
    if ('writeHead' in target) {
      const res = target as ServerResponse;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(unavailablePage('The Git server did not answer. Try again in a moment.'));
      } else res.destroy();
    } else (target as Duplex).destroy();
  });

  const unavailable = (res: Response, reason: string) => {
    res.status(503).set('cache-control', 'no-store').type('html').send(unavailablePage(reason));
  };

  return {
    middleware(req, res, next) {
      if (!isGitPath(req.url)) return next();
      if (!options.isParticipantHost(req.headers.host)) {
        const location = participantRedirect(options.participantBaseUrl(), req.originalUrl);
        // No participant address (offline, no usable machine name): a redirect would come back here.
        if (!options.isParticipantHost(new URL(location).host)) {
          return unavailable(res, 'This computer has no address for participants right now (no network), so the Git server cannot be shown.');
        }
        res.setHeader('cache-control', 'no-store');
        res.redirect(302, location);
        return;
      }
      if (req.path === GIT_PATH_PREFIX) {
        res.redirect(301, `${GIT_PATH_PREFIX}/${req.url.slice(GIT_PATH_PREFIX.length)}`);
        return;
      }
      void options.target().then((target) => {
        if ('unavailable' in target) return unavailable(res, target.unavailable);
        req.url = stripGitPrefix(req.url);
        withoutOwnCookies(req);
        proxy.web(req, res, { target: target.hostUrl });
      }, next);
    },
    handleUpgrade(req, socket, head) {
      if (!isGitPath(req.url) || !options.isParticipantHost(req.headers.host)) return false;
      void options.target().then(
        (target) => {
          if ('unavailable' in target) {
            socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
            return;
          }
          req.url = stripGitPrefix(req.url ?? '/');
          withoutOwnCookies(req);
          proxy.ws(req, socket, head, { target: target.hostUrl });
        },
        () => socket.destroy(),
      );
      return true;
    },
  };
}
