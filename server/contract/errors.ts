import { z } from 'zod';

/**
 * Error codes of the HTTP API. The first block is the contract's table
 * (api-reference "Common Error Codes"); the rest are ours for cases the contract leaves open.
 */
export const ErrorCode = z.enum([
  'INVALID_PROJECT_NAME',
  'INVALID_PROJECT_TYPE',
  'PROJECT_EXISTS',
  'INVALID_PASSWORD',
  'INVALID_WORKSPACE_PASSWORD',
  'PROJECT_NOT_FOUND',
  'WORKSPACE_LIMIT_EXCEEDED',
  'CONCURRENT_LIMIT_REACHED',
  'CONTAINER_CREATE_FAILED',
  'GIT_REPO_CREATE_FAILED',
  'SERVICE_UNAVAILABLE',
  // ours
  'VALIDATION_ERROR',
  'UNAUTHORIZED',
  'FORBIDDEN_HOST',
  'FORBIDDEN_ORIGIN',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INVALID_STATE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  // ours, workshop (issue #4)
  'ALREADY_CLAIMED',
  'NO_SEATS_AVAILABLE',
  'REGISTRATION_CLOSED',
  'FORBIDDEN',
  // ours, git server (issue #7): a repository of that name exists (409)
  'GIT_REPO_EXISTS',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The contract's error body: `{ success: false, error, code, details? }` (api-reference "Error Response Format"). */
export const ApiErrorBody = z.object({
  success: z.literal(false),
  error: z.string(),
  code: ErrorCode,
  details: z.record(z.string(), z.string()).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
