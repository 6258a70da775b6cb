import type { ErrorCode } from '../contract/index.js';

/** HTTP status for each error code (api-reference "Common Error Codes"; ours where the contract is silent). */
export const STATUS_OF_CODE: Record<ErrorCode, number> = {
  INVALID_PROJECT_NAME: 400,
  INVALID_PROJECT_TYPE: 400,
  PROJECT_EXISTS: 400,
  INVALID_PASSWORD: 400,
  INVALID_WORKSPACE_PASSWORD: 401,
  PROJECT_NOT_FOUND: 404,
  WORKSPACE_LIMIT_EXCEEDED: 409,
  CONCURRENT_LIMIT_REACHED: 409,
  CONTAINER_CREATE_FAILED: 500,
  GIT_REPO_CREATE_FAILED: 500,
  SERVICE_UNAVAILABLE: 503,
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_HOST: 403,
  FORBIDDEN_ORIGIN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  ALREADY_CLAIMED: 409,
  NO_SEATS_AVAILABLE: 503,
  REGISTRATION_CLOSED: 403,
  FORBIDDEN: 403,
  GIT_REPO_EXISTS: 409,
};

/**
 * An expected failure of a service call, carrying the contract's error code (the HTTP status follows from it)
 * and optional per-field details. Messages are written for the end user and never contain secrets.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, string>,
  ) {
    super(message);
    this.status = STATUS_OF_CODE[code];
  }
}
