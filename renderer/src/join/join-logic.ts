import {
  ClaimConflictResponse,
  ClaimResponse,
  EMAIL_MAX,
  JOIN_ENTER_PATH,
  MySeatResponse,
  PARTICIPANT_NAME_MAX,
  ParticipantEmail,
  ParticipantName,
  WorkshopStatusResponse,
} from '../../../server/contract/workshop.js';
import type { JoinLanguage, JoinTexts } from './join-text.js';

/**
 * Pure logic of the participant page: language choice, form checks, and what the page shows for each answer
 * of the public workshop API. No DOM, no fetch: unit-tested in Node.
 */

/** Key under which the page remembers the participant's explicit language choice (this browser only). */
export const LANGUAGE_STORAGE_KEY = 'xares.join.language';

/**
 * The page's first language: a remembered explicit choice wins; otherwise the browser's preferred language
 * (`navigator.language`): anything starting with `de` (de, de-DE, de-AT, de-CH…) is German, everything else English.
 */
export function pickLanguage(browserLanguage: string | null | undefined, remembered?: string | null): JoinLanguage {
  if (remembered === 'de' || remembered === 'en') return remembered;
  return typeof browserLanguage === 'string' && /^de(?:[-_]|$)/i.test(browserLanguage.trim()) ? 'de' : 'en';
}

/** Seat counts of the open workshop (contract `WorkshopStatusResponse`, `GET /api/workshop/status`). */
export type SeatStatus = WorkshopStatusResponse;

/** Reads a `GET /api/workshop/status` body against the contract; `null` when it is not one. */
export function parseSeatStatus(body: unknown): SeatStatus | null {
  const parsed = WorkshopStatusResponse.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/** This browser's active seat (contract `MySeatResponse`, `GET /api/workshop/me` 200). */
export type MySeat = MySeatResponse;

/** Reads a `GET /api/workshop/me` body against the contract; `null` when it is not one. */
export function parseMySeat(body: unknown): MySeat | null {
  const parsed = MySeatResponse.safeParse(body);
  return parsed.success ? parsed.data : null;
}

/**
 * Where the browser goes to enter its seat: the server's `enterUrl` when it is a path on this origin (the
 * contract's `/join/enter`), else that path itself. Never another origin: the answer only ever names ours.
 */
export function enterPath(enterUrl: string | null | undefined): string {
  return typeof enterUrl === 'string' && /^\/(?!\/)[^\s\\]*$/.test(enterUrl) ? enterUrl : JOIN_ENTER_PATH;
}

/** What the page offers for a given seat status: the form, or why there is none. */
export type Availability = 'loading' | 'open' | 'closed' | 'full';

/** `closed` when registration is not open; `full` when it is but no seat is free; else `open`. */
export function availabilityOf(status: SeatStatus | null): Availability {
  if (status === null) return 'loading';
  if (!status.registrationOpen) return 'closed';
  return status.available > 0 ? 'open' : 'full';
}

/** Per-field messages of the form (absent = fine). */
export interface FieldErrors {
  name?: string;
  email?: string;
}

/** Limits of the form fields, the contract's (`ParticipantName`, `ParticipantEmail`). */
export const NAME_MAX_LENGTH = PARTICIPANT_NAME_MAX;
export const EMAIL_MAX_LENGTH = EMAIL_MAX;

/**
 * Checks the form before sending with the contract's own schemas (`ParticipantName`, `ParticipantEmail`), and
 * words the result in the page's language. The server checks again (its answer wins); this only saves a
 * round trip for the obvious cases (empty, too long, control characters, not an e-mail address).
 */
export function validateJoinForm(name: string, email: string, text: JoinTexts): FieldErrors {
  const errors: FieldErrors = {};
  const trimmedName = name.trim();
  const trimmedEmail = email.trim();
  if (trimmedName === '') errors.name = text.nameRequired;
  else if (trimmedName.length > NAME_MAX_LENGTH) errors.name = text.nameTooLong(NAME_MAX_LENGTH);
  else if (!ParticipantName.safeParse(trimmedName).success) errors.name = text.nameInvalid;
  if (trimmedEmail === '') errors.email = text.emailRequired;
  else if (trimmedEmail.length > EMAIL_MAX_LENGTH) errors.email = text.emailTooLong(EMAIL_MAX_LENGTH);
  else if (!ParticipantEmail.safeParse(trimmedEmail).success) errors.email = text.emailInvalid;
  return errors;
}

/** True when {@link validateJoinForm} found nothing. */
export function hasFieldErrors(errors: FieldErrors): boolean {
  return errors.name !== undefined || errors.email !== undefined;
}

/** What the page does with the answer of `POST /api/workshop/claim`. */
export type ClaimOutcome =
  /** 200 (contract `ClaimResponse`): the seat is ours; the page goes to `enterPath`. */
  | { kind: 'claimed'; projectName: string; workspaceUrl: string; enterPath: string }
  /** 409 (contract `ClaimConflictResponse`): this e-mail address already holds a seat (claimed elsewhere). */
  | { kind: 'conflict'; message: string; projectName: string; workspaceUrl: string }
  /** 503 NO_SEATS_AVAILABLE or 403 REGISTRATION_CLOSED: nothing to claim now (the page re-reads the status). */
  | { kind: 'unavailable'; message: string }
  /** 400 VALIDATION_ERROR: the server refused a field; `fields` has its per-field messages. */
  | { kind: 'invalid'; message: string; fields: FieldErrors }
  /** Anything else (429, 5xx, an answer we do not understand, no connection). */
  | { kind: 'error'; message: string };

function record(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A per-field message of `details`: a string, or the first string of an array (both shapes occur). */
function detail(value: unknown): string | null {
  if (Array.isArray(value)) return text(value.find((entry) => typeof entry === 'string'));
  return text(value);
}

/**
 * Maps an HTTP answer of the claim endpoint to what the page shows; 200 and 409 bodies are checked against
 * the contract (`ClaimResponse`, `ClaimConflictResponse`) and count as errors when they do not match. Server
 * messages arrive in the language we asked for (`Accept-Language`) and are shown as they are (React escapes
 * them); `fallback` covers bodies without a message.
 * @param status HTTP status, `0` when no answer arrived
 */
export function claimOutcome(status: number, body: unknown, fallback: JoinTexts): ClaimOutcome {
  const data = record(body);
  const message = text(data['error']) ?? text(data['message']);
  if (status === 0) return { kind: 'error', message: fallback.networkError };
  if (status >= 200 && status < 300) {
    const claimed = ClaimResponse.safeParse(body);
    if (claimed.success) {
      return { kind: 'claimed', projectName: claimed.data.projectName, workspaceUrl: claimed.data.workspaceUrl, enterPath: enterPath(claimed.data.enterUrl) };
    }
    return { kind: 'error', message: fallback.badAnswer };
  }
  if (status === 409) {
    const conflict = ClaimConflictResponse.safeParse(body);
    if (conflict.success) {
      return { kind: 'conflict', message: conflict.data.error, projectName: conflict.data.projectName, workspaceUrl: conflict.data.workspaceUrl };
    }
    return { kind: 'error', message: message ?? fallback.badAnswer };
  }
  if (status === 503) return { kind: 'unavailable', message: message ?? fallback.fullText };
  if (status === 403 && data['code'] === 'REGISTRATION_CLOSED') return { kind: 'unavailable', message: message ?? fallback.closedText };
  if (status === 400) {
    const details = record(data['details']);
    const fields: FieldErrors = {};
    const name = detail(details['name']);
    const email = detail(details['email']);
    if (name !== null) fields.name = name;
    if (email !== null) fields.email = email;
    return { kind: 'invalid', message: message ?? fallback.emailInvalid, fields };
  }
  if (status === 429) return { kind: 'error', message: message ?? fallback.tooManyRequests };
  return { kind: 'error', message: message ?? fallback.networkError };
}

/** A link target we may put into `href`: http(s) only (never `javascript:`), resolved against `base`. */
export function safeLink(url: string, base: string): string | null {
  try {
    const parsed = new URL(url, base);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}
