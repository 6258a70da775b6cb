import getRawBody from 'raw-body';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import {
  ClaimRequest,
  JOIN_ENTER_PATH,
  NAME_CHARACTER_MESSAGES,
  PARTICIPANT_COOKIE,
  UpdateWorkshopSettingsRequest,
  type ApiErrorBody,
  type Claim,
  type ClaimConflictResponse,
  type ClaimResponse,
  type ClaimsResponse,
  type MySeatResponse,
  type ReleasedClaim,
  type ReleaseResponse,
  type WorkshopBoardResponse,
  type WorkshopSettingsResponse,
  type WorkshopStatusResponse,
} from '../contract/index.js';
import { classifyRequestHost, joinUrl, seatPathPrefix, seatUrl } from '../routing/public-urls.js';
import { readCookies, type WorkspaceGate } from '../routing/workspace-gate.js';
import { normalizeBaseDomain } from '../routing/workspace-host.js';
import { STATUS_OF_CODE, ServiceError } from '../services/service-error.js';
import { languageFromAcceptLanguage, workshopMessage, type WorkshopLanguage } from '../services/workshop-messages.js';
import { AlreadyClaimedError, PARTICIPANT_COOKIE_SECONDS, type ClaimView, type WorkshopService } from '../services/workshop-service.js';
import { RateLimiter, safeEqual, type AdminAuth } from './auth.js';
import { parseOrThrow, requireJsonContentType, sendError, toServiceError } from './errors.js';

/**
 * Claim attempts allowed per client address per minute, failed ones included (ours). A whole room often
 * reaches the server through one NAT address: 60 lets 30 participants each claim and retry once in a minute.
 */
export const CLAIM_RATE_LIMIT = 60;
/** Rate-limit window of claims (ms). */
export const CLAIM_RATE_WINDOW_MS = 60_000;
/** Largest workshop request body in bytes (a claim or the settings are far below). */
const WORKSHOP_BODY_LIMIT = 16 * 1024;

/** What the workshop routes need from the server. */
export interface WorkshopRouterDeps {
  workshop: WorkshopService;
  /** Base domain of workspace hosts (`BASE_DOMAIN`). */
  baseDomain: string;
  /** Configured participant host name (`XARES_PUBLIC_HOST`), for the join URL. */
  publicHost?: string | undefined;
  /** Port the server listens on. */
  port(): number;
  /** Logs an unexpected error (a 500) of a public route. */
  logError?: (error: unknown) => void;
}

/** Options of {@link workshopPublicRouter}. */
export interface WorkshopPublicRouterDeps extends WorkshopRouterDeps {
  /** Claims per client address per window (default {@link CLAIM_RATE_LIMIT}). */
  claimRateLimit?: number;
}

/** Options of {@link workshopAdminRouter}. */
export interface WorkshopAdminRouterDeps extends WorkshopRouterDeps {
  auth: AdminAuth;
}

const json: RequestHandler[] = [requireJsonContentType, express.json({ limit: WORKSHOP_BODY_LIMIT })];

/**
 * The claim's JSON body reader: `raw-body` (the reader inside `express.json()`) plus `JSON.parse`, without
 * body-parser's per-request content negotiation, which cost about 200 µs of the ~800 µs a claim costs the
 * server (bench/claim), on the path a whole room hits at once. Answers as `express.json()` would, through
 * {@link toServiceError}: 413 above {@link WORKSHOP_BODY_LIMIT}, 400 for malformed JSON or a body that is not an
 * object, 415 for a charset other than UTF-8 or a compressed body. Runs after {@link requireJsonContentType}.
 */
async function readJsonBody(req: Request, _res: Response, next: NextFunction): Promise<void> {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if ((charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') || encoding !== 'identity') {
    req.resume();
    next(new ServiceError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as uncompressed UTF-8 JSON', { body: 'Unsupported encoding' }));
    return;
  }
  let text: string;
  try {
    text = await getRawBody(req, { length: req.headers['content-length'], limit: WORKSHOP_BODY_LIMIT, encoding: 'utf-8' });
  } catch (error) {
    req.resume(); // read off the rest, as express.json() does, so the connection stays usable
    next(error);
    return;
  }
  if (text.length === 0) return next();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return next({ type: 'entity.parse.failed', body: text });
  }
  // Same as express.json()'s strict mode: only objects and arrays.
  if (body === null || typeof body !== 'object') return next({ type: 'entity.parse.failed', body: text });
  req.body = body;
  next();
}

/**
 * {@link requireJsonContentType} for the claim route: the same rule, but the 415 goes to the router's error
 * handler (as `next(error)`), which words it in the participant's language.
 */
function requireJsonClaimBody(req: Request, _res: Response, next: NextFunction): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (!hasBody || mediaType === 'application/json') return next();
  req.resume(); // read off the body so the connection stays usable
  next(new ServiceError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with the header Content-Type: application/json', { body: 'Content type must be application/json' }));
}

/** 409 ALREADY_CLAIMED naming the seat already held (contract `ClaimConflictResponse`); sets no cookie. */
function sendClaimConflict(res: Response, message: string, workspaceUrl: string, projectName: string): void {
  const body: ClaimConflictResponse = { success: false, error: message, code: 'ALREADY_CLAIMED', workspaceUrl, projectName };
  res.setHeader('cache-control', 'no-store');
  res.status(STATUS_OF_CODE.ALREADY_CLAIMED).json(body);
}

function languageOf(req: Request): WorkshopLanguage {
  return languageFromAcceptLanguage(req.headers['accept-language']);
}

function urlOf(deps: WorkshopRouterDeps, req: Request) {
  return (projectId: string) => seatUrl(projectId, req.headers.host, { baseDomain: deps.baseDomain, port: deps.port() });
}

/** Sends a participant-facing error in the request's language. */
function sendParticipantError(res: Response, code: ServiceError['code'], message: string, details?: Record<string, string>): void {
  res.setHeader('cache-control', 'no-store');
  sendError(res, code, message, details);
}

/** A participant's error: known codes get the message in their language, anything else a generic one. */
function participantError(error: unknown, language: WorkshopLanguage): ServiceError {
  const mapped = toServiceError(error);
  switch (mapped.code) {
    case 'REGISTRATION_CLOSED':
      return new ServiceError(mapped.code, workshopMessage('registrationClosed', language));
    case 'NO_SEATS_AVAILABLE':
      return new ServiceError(mapped.code, workshopMessage('noSeatsAvailable', language));
    case 'PAYLOAD_TOO_LARGE': {
      const message = workshopMessage('payloadTooLarge', language);
      return new ServiceError(mapped.code, message, { body: message });
    }
    case 'UNSUPPORTED_MEDIA_TYPE': {
      const message = workshopMessage('unsupportedMediaType', language);
      return new ServiceError(mapped.code, message, { body: message });
    }
    case 'VALIDATION_ERROR': {
      const details: Record<string, string> = {};
      for (const field of Object.keys(mapped.details ?? {})) {
        const detail = mapped.details?.[field];
        details[field] =
          field === 'name'
            ? workshopMessage(detail !== undefined && NAME_CHARACTER_MESSAGES.includes(detail) ? 'nameCharacters' : 'invalidName', language)
            : field === 'email'
              ? workshopMessage('invalidEmail', language)
              : workshopMessage('invalidRequest', language);
      }
      const fields = Object.keys(details);
      const message = fields.length === 1 ? (details[fields[0] as string] as string) : workshopMessage('invalidRequest', language);
      return new ServiceError(mapped.code, message, fields.length > 0 ? details : undefined);
    }
    case 'INTERNAL_ERROR':
      return new ServiceError(mapped.code, workshopMessage('internalError', language));
    default:
      return mapped;
  }
}

/**
 * Public workshop API under `/api` (no credential; issue #4): `GET /workshop/status`, `POST /workshop/claim`
 * (rate-limited per client address; 409 ALREADY_CLAIMED with the held seat when the request carries the
 * participant cookie of an active claim in the open group: one seat per browser), `GET /workshop/me` (by the
 * participant cookie). Participant messages follow `Accept-Language` (German or English). Mount it before the admin check.
 */
export function workshopPublicRouter(deps: WorkshopPublicRouterDeps): Router {
  const router = Router();
  const limiter = new RateLimiter(deps.claimRateLimit ?? CLAIM_RATE_LIMIT, CLAIM_RATE_WINDOW_MS);

  router.get('/workshop/status', (_req, res) => {
    const body: WorkshopStatusResponse = deps.workshop.status();
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  router.post(
    '/workshop/claim',
    (req, res, next) => {
      // Counted before anything is read, so a flood of broken bodies is limited too.
      if (limiter.allow(req.socket.remoteAddress ?? 'unknown')) return next();
      res.setHeader('retry-after', String(Math.ceil(CLAIM_RATE_WINDOW_MS / 1000)));
      sendParticipantError(res, 'RATE_LIMITED', workshopMessage('rateLimited', languageOf(req)));
    },
    requireJsonClaimBody,
    readJsonBody,
    async (req, res) => {
      const language = languageOf(req);
      const request = parseOrThrow(ClaimRequest, req.body ?? {});
      // One browser, one seat: a browser whose cookie stands for an active claim of the open group gets that
      // seat named (as for a known e-mail), not a second seat under another address.
      const held = participantClaim(deps.workshop, req.headers.cookie);
      if (held && held.claim.group === deps.workshop.settings().group) {
        sendClaimConflict(res, workshopMessage('browserHasSeat', language), urlOf(deps, req)(held.claim.projectId), held.projectName);
        return;
      }
      let view: ClaimView;
      try {
        view = await deps.workshop.claimSoon(request);
      } catch (error) {
        if (error instanceof AlreadyClaimedError) {
          // The seat is named (the contract's answer) but no cookie is set: an e-mail address alone never enters.
          sendClaimConflict(res, workshopMessage('alreadyClaimed', language), urlOf(deps, req)(error.projectId), error.projectName);
          return;
        }
        throw error;
      }
      res.setHeader('cache-control', 'no-store');
      res.setHeader('set-cookie', participantCookie(deps.workshop.participantCookieValue(view.claim)));
      const body: ClaimResponse = {
        success: true,
        workspaceUrl: urlOf(deps, req)(view.claim.projectId),
        projectName: view.projectName,
        enterUrl: JOIN_ENTER_PATH,
      };
      res.json(body);
    },
  );

  router.get('/workshop/me', (req, res) => {
    const view = participantClaim(deps.workshop, req.headers.cookie);
    if (!view) {
      sendParticipantError(res, 'NOT_FOUND', workshopMessage('noActiveSeat', languageOf(req)));
      return;
    }
    const body: MySeatResponse = {
      success: true,
      name: view.claim.name,
      projectName: view.projectName,
      workspaceUrl: urlOf(deps, req)(view.claim.projectId),
      enterUrl: JOIN_ENTER_PATH,
      claimedAt: view.claim.claimedAt,
    };
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  // Errors of these routes only (others fall through to the API's handler untouched).
  router.use('/workshop', (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const mapped = participantError(error, languageOf(req));
    if (mapped.code === 'INTERNAL_ERROR') deps.logError?.(error);
    const body: ApiErrorBody = { success: false, error: mapped.message, code: mapped.code, ...(mapped.details ? { details: mapped.details } : {}) };
    res.setHeader('cache-control', 'no-store');
    res.status(mapped.status).json(body);
  });

  return router;
}

/** Most participant cookie values looked at per request (each costs a lookup; the header is client-controlled). */
const MAX_PARTICIPANT_COOKIES = 8;

/**
 * The active claim of the first valid participant cookie in a `Cookie` header, or null. Every value counts
 * (up to {@link MAX_PARTICIPANT_COOKIES}), like the gate's: a page on the participant origin can plant a
 * same-named cookie at a more specific path, which browsers send first; it must not hide the real one.
 */
function participantClaim(workshop: WorkshopService, cookieHeader: string | undefined): ClaimView | null {
  for (const value of readCookies(cookieHeader, PARTICIPANT_COOKIE).slice(0, MAX_PARTICIPANT_COOKIES)) {
    const view = workshop.claimFromCookie(value);
    if (view) return view;
  }
  return null;
}

/** `Set-Cookie` of the participant cookie: host-only, `Path=/`, HttpOnly, SameSite=Lax, 7 days. */
function participantCookie(value: string): string {
  return `${PARTICIPANT_COOKIE}=${value}; Path=/; Max-Age=${PARTICIPANT_COOKIE_SECONDS}; HttpOnly; SameSite=Lax`;
}

/**
 * Admin check of the workshop admin routes: the admin token as `Authorization: Bearer …` (what our own
 * clients send), or, for compatibility with the contract, as `?password=<admin token>` (compared in constant
 * time; the request log records the path only, never the query). 401 UNAUTHORIZED otherwise.
 */
export function requireAdminOrPasswordQuery(auth: AdminAuth): RequestHandler {
  return (req, res, next) => {
    if (auth.isAuthorized(req.headers.authorization)) return next();
    const password = req.query['password'];
    if (typeof password === 'string' && password !== '' && safeEqual(password, auth.token)) return next();
    const given = req.headers.authorization !== undefined || password !== undefined;
    sendError(res, 'UNAUTHORIZED', given ? 'The admin credential is not valid' : 'The admin credential is missing');
  };
}

function toClaim(view: ClaimView, url: (projectId: string) => string): Claim {
  return {
    projectId: view.claim.projectId,
    group: view.claim.group,
    name: view.claim.name,
    email: view.claim.email,
    projectName: view.projectName,
    workspaceUrl: url(view.claim.projectId),
    claimedAt: view.claim.claimedAt,
  };
}

function toReleased(view: ClaimView, url: (projectId: string) => string): ReleasedClaim {
  return { ...toClaim(view, url), releasedAt: view.claim.releasedAt ?? '' };
}

/**
 * Admin workshop API under `/api` (api-reference "List Claims", "Release Claim", ours for the rest):
 * `GET /workshop/claims`, `POST /workshop/claims/:projectId/release`, `GET`/`PUT /workshop/settings`,
 * `GET /workshop/board`, `GET /workshop/claims.csv`. Each accepts the admin bearer token or `?password=`
 * (see {@link requireAdminOrPasswordQuery}); mount it before the API's general admin check, after the public
 * workshop router.
 */
export function workshopAdminRouter(deps: WorkshopAdminRouterDeps): Router {
  const router = Router();
  const { workshop } = deps;
  router.use('/workshop', requireAdminOrPasswordQuery(deps.auth));

  router.get('/workshop/claims', (req, res) => {
    const url = urlOf(deps, req);
    const { active, history } = workshop.claims();
    const body: ClaimsResponse = { claims: active.map((view) => toClaim(view, url)), history: history.map((view) => toReleased(view, url)) };
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  router.post('/workshop/claims/:projectId/release', (req, res) => {
    const released = workshop.release(req.params.projectId);
    const body: ReleaseResponse = { success: true, released: toReleased(released, urlOf(deps, req)) };
    res.json(body);
  });

  router.get('/workshop/settings', (_req, res) => {
    const body: WorkshopSettingsResponse = { success: true, settings: workshop.settings() };
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  router.put('/workshop/settings', ...json, (req, res) => {
    const request = parseOrThrow(UpdateWorkshopSettingsRequest, req.body ?? {});
    const body: WorkshopSettingsResponse = { success: true, settings: workshop.updateSettings(request) };
    res.json(body);
  });

  router.get('/workshop/board', (req, res) => {
    const { otherClaims, ...board } = workshop.board();
    const url = urlOf(deps, req);
    const body: WorkshopBoardResponse = {
      success: true,
      ...board,
      otherClaims: otherClaims.map((view) => toClaim(view, url)),
      joinUrl: joinUrl({ publicHost: deps.publicHost }, deps.port()),
    };
    res.setHeader('cache-control', 'no-store');
    res.json(body);
  });

  router.get('/workshop/claims.csv', (_req, res) => {
    const day = new Date().toISOString().slice(0, 10);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-disposition', `attachment; filename="workshop-claims-${day}.csv"`);
    res.type('text/csv; charset=utf-8').send(workshop.csv());
  });

  return router;
}

/** Options of {@link joinEnterHandler}. */
export interface JoinEnterDeps extends WorkshopRouterDeps {
  /** The router's gate (null only when the router was built without one: then nobody is let in). */
  gate(): WorkspaceGate | null;
}

/**
 * `GET /join/enter` (public): takes the browser that claimed a seat into it without typing anything.
 * With a valid participant cookie of an active claim:
 * - on a participant host (LAN address): sets the seat session cookie (`Path=/w/<id>/`) and answers 303 to
 *   `/w/<id>/` on the same host;
 * - on an admin host (localhost): answers 303 to the workspace's own origin with a single-use enter ticket
 *   (`http://<id>.<baseDomain>:<port>/__xares/enter?ticket=…`), which sets the session there.
 * Without one (none, forged, released): 303 to `/` (the join page).
 */
export function joinEnterHandler(deps: JoinEnterDeps): RequestHandler {
  return (req, res) => {
    res.setHeader('cache-control', 'no-store');
    const view = participantClaim(deps.workshop, req.headers.cookie);
    const gate = deps.gate();
    if (!view || !gate) {
      res.redirect(303, '/');
      return;
    }
    const { projectId, claimKey } = view.claim;
    if (classifyRequestHost(req.headers.host, { baseDomain: deps.baseDomain }) === 'participant') {
      const base = `${seatPathPrefix(projectId)}/`;
      res.setHeader('set-cookie', gate.seatSessionCookie(projectId, claimKey, base));
      res.redirect(303, base);
      return;
    }
    const ticket = gate.createEnterTicket(projectId, claimKey);
    res.redirect(303, `http://${projectId}.${normalizeBaseDomain(deps.baseDomain)}:${deps.port()}/__xares/enter?ticket=${encodeURIComponent(ticket)}`);
  };
}
