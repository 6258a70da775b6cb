import type { ClaimRequest } from '../../../server/contract/workshop.js';
import type { JoinLanguage } from './join-text.js';

/**
 * The participant page's three calls to the public workshop API, on the page's own origin. Each sends the
 * page's language as `Accept-Language`, so server messages come back in it. No credential is ever sent
 * except the participant cookie the server set itself (`credentials: 'same-origin'`).
 */

/** A raw answer: status (`0` when none arrived) and the parsed JSON body (`undefined` when not JSON). */
export interface RawAnswer {
  status: number;
  body: unknown;
}

async function call(path: string, language: JoinLanguage, init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal } = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': language };
  const request: RequestInit = { method: init.method ?? 'GET', headers, credentials: 'same-origin', cache: 'no-store' };
  if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    request.body = JSON.stringify(init.body);
  }
  if (init.signal) request.signal = init.signal;
  let response: Response;
  try {
    response = await fetch(path, request);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    return { status: 0, body: undefined };
  }
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

/** `GET /api/workshop/status` (contract `WorkshopStatusResponse`; parse with `parseSeatStatus`). */
export function fetchSeatStatus(language: JoinLanguage, signal?: AbortSignal): Promise<RawAnswer> {
  return call('/api/workshop/status', language, signal ? { signal } : {});
}

/** `GET /api/workshop/me`: 200 (contract `MySeatResponse`) when this browser holds a seat, else 404. */
export function fetchMySeat(language: JoinLanguage, signal?: AbortSignal): Promise<RawAnswer> {
  return call('/api/workshop/me', language, signal ? { signal } : {});
}

/** `POST /api/workshop/claim` (contract `ClaimRequest`) with the trimmed name and e-mail address; see `claimOutcome`. */
export function postClaim(language: JoinLanguage, name: string, email: string): Promise<RawAnswer> {
  const body: ClaimRequest = { name: name.trim(), email: email.trim() };
  return call('/api/workshop/claim', language, { method: 'POST', body });
}
