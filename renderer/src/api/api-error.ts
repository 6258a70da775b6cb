import type { ErrorCode } from '../../../server/contract/index.js';

/**
 * Codes the client adds for failures that never reached the server's error shape:
 * `NETWORK_ERROR` (no HTTP answer at all), `BAD_RESPONSE` (an answer that does not match the contract),
 * `HTTP_ERROR` (an error status without the contract's error body, e.g. from a proxy in between).
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'BAD_RESPONSE' | 'HTTP_ERROR';

/** Every failure of an API call, in words a teacher can read. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; `0` when no answer arrived. */
  readonly status: number;
  /** The contract's error code, or one of {@link ClientErrorCode}. */
  readonly code: ErrorCode | ClientErrorCode;
  /** Per-field messages of a validation error (`details` of the contract's error body), possibly empty. */
  readonly details: Readonly<Record<string, string>>;

  constructor(init: { status: number; code: ErrorCode | ClientErrorCode; message: string; details?: Record<string, string> }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details ?? {};
  }

  /** True when the credential was missing or refused (the dashboard goes back to sign-in). */
  get isUnauthorized(): boolean {
    return this.status === 401 && this.code !== 'INVALID_WORKSPACE_PASSWORD';
  }
}

/** Turns anything thrown into a sentence for the user (never an empty string, never `[object Object]`). */
export function describeError(error: unknown): string {
  if (error instanceof Error && error.message.trim() !== '') return error.message;
  if (typeof error === 'string' && error.trim() !== '') return error;
  return 'Something went wrong. Please try again.';
}

/** Joins a server message and our hint into clean sentences (no doubled or missing full stop). */
export function withHint(message: string, hint: string): string {
  const trimmed = message.trim();
  if (trimmed === '') return hint;
  return /[.!?…]$/.test(trimmed) ? `${trimmed} ${hint}` : `${trimmed}. ${hint}`;
}
