import { hostname, networkInterfaces } from 'node:os';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.js';

/** Splits a Host header into lower-case hostname (IPv6 without brackets) and port (null when absent). */
export function parseHostHeader(host: string | undefined): { hostname: string; port: number | null } | null {
  if (!host) return null;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!match?.[1]) return null;
  const name = match[1].replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  return { hostname: name, port: match[2] ? Number(match[2]) : null };
}

/**
 * Decides whether a Host (or Origin host) names this server, against DNS rebinding: loopback names, the base
 * domain, this machine's name (and `<name>.local`), its interface addresses and the configured extra names (`publicHost`), each
 * with our port or none. The interface list is
 * re-read at most every 10 s (addresses change when a laptop changes network).
 */
export class HostGuard {
  private cached: { at: number; names: Set<string> } | null = null;

  /**
   * @param extraNames further names that are ours, e.g. the configured `publicHost` (issue #4 "LAN access");
   *   lower-cased, IPv6 addresses without brackets.
   */
  constructor(
    private readonly baseDomain: string,
    private readonly port: () => number,
    private readonly extraNames: readonly string[] = [],
  ) {}

  private names(now = Date.now()): Set<string> {
    if (this.cached && now - this.cached.at < 10_000) return this.cached.names;
    const names = new Set<string>(['localhost', '127.0.0.1', '::1', this.baseDomain.toLowerCase(), ...this.extraNames.map((name) => name.toLowerCase())]);
    try {
      const machine = hostname().toLowerCase();
      names.add(machine);
      // The name macOS and Avahi announce on the LAN by mDNS (e.g. `lab-pc.local`): participants may type it.
      if (!machine.includes('.')) names.add(`${machine}.local`);
    } catch {
      // No host name: fine.
    }
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? []) names.add(address.address.toLowerCase().replace(/%.*$/, ''));
    }
    this.cached = { at: now, names };
    return names;
  }

  /** True when `host` (a Host header value) is one of ours. */
  isOurHost(host: string | undefined): boolean {
    const parsed = parseHostHeader(host);
    if (!parsed) return false;
    if (parsed.port !== null && parsed.port !== this.port()) return false;
    return this.names().has(parsed.hostname);
  }

  /** True when `origin` (an Origin header) is this server as reached through `host` (same origin). */
  isOurOrigin(origin: string, host: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host.toLowerCase() === (host ?? '').toLowerCase() && this.isOurHost(url.host);
  }

  /** Middleware: 403 FORBIDDEN_HOST for a foreign Host. */
  readonly checkHost = (req: Request, res: Response, next: NextFunction): void => {
    if (this.isOurHost(req.headers.host)) return next();
    sendError(res, 'FORBIDDEN_HOST', 'This server does not answer for that host name');
  };

  /** Middleware: 403 FORBIDDEN_ORIGIN for a state-changing request sent from another origin. */
  readonly checkOrigin = (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (origin === undefined || ['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    if (this.isOurOrigin(origin, req.headers.host)) return next();
    sendError(res, 'FORBIDDEN_ORIGIN', 'Requests from other sites are not allowed');
  };
}
