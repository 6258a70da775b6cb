import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { ErrorCode as ErrorCodeSchema, type ApiErrorBody, type ErrorCode } from '../contract/index.js';
import { STATUS_OF_CODE, ServiceError } from '../services/service-error.js';

/** Sends the contract's error body (`{success:false, error, code, details?}`) with the code's HTTP status. */
export function sendError(res: Response, code: ErrorCode, message: string, details?: Record<string, string>): void {
  const body: ApiErrorBody = { success: false, error: message, code, ...(details ? { details } : {}) };
  res.status(STATUS_OF_CODE[code]).json(body);
}

/** The single field whose error has its own code in the contract (api-reference "Common Error Codes"). */
const FIELD_CODES: Record<string, ErrorCode> = {
  projectName: 'INVALID_PROJECT_NAME',
  projectType: 'INVALID_PROJECT_TYPE',
  password: 'INVALID_PASSWORD',
  newPassword: 'INVALID_PASSWORD',
};

/** Message when the body is valid JSON but not an object (`null`, `"text"`, `42`, `[...]`). */
const NOT_AN_OBJECT = 'The request body must be a JSON object';

/**
 * Turns zod issues into a ServiceError: per-field `details` (first message per field, `body` for the whole
 * body); when exactly one field is wrong and the contract has a code for it, that code, else VALIDATION_ERROR.
 * A custom issue may force its code with `params: { errorCode }` (e.g. a valid password on an unprotected
 * workspace is VALIDATION_ERROR, not INVALID_PASSWORD). A wrong body type alone: its message is the error.
 */
export function validationError(error: z.ZodError): ServiceError {
  const details: Record<string, string> = {};
  const forcedCodes: Record<string, ErrorCode> = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
    if (field in details) continue;
    if (field === 'body' && issue.code === 'invalid_type') details[field] = NOT_AN_OBJECT;
    else details[field] = issue.code === 'invalid_value' && field === 'projectType' ? 'Unsupported project type' : issue.message;
    const forced = issue.code === 'custom' ? ErrorCodeSchema.safeParse((issue.params as { errorCode?: unknown } | undefined)?.errorCode) : undefined;
    if (forced?.success) forcedCodes[field] = forced.data;
  }
  const fields = Object.keys(details);
  if (fields.length === 1) {
    const field = fields[0] as string;
    const code = forcedCodes[field] ?? FIELD_CODES[field] ?? (field === 'body' ? 'VALIDATION_ERROR' : undefined);
    if (code) return new ServiceError(code, details[field] as string, details);
  }
  return new ServiceError('VALIDATION_ERROR', 'Validation failed', details);
}

/** Parses `input` with `schema` or throws the mapped ServiceError. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

/**
 * Maps any error to the contract's shape: ServiceError → its code; body-parser errors → 413
 * PAYLOAD_TOO_LARGE / 400 VALIDATION_ERROR; anything else → 500 INTERNAL_ERROR without internals.
 */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const type = (error as { type?: string } | null)?.type;
  const status = (error as { status?: number } | null)?.status;
  if (type === 'entity.too.large' || status === 413) return new ServiceError('PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (type === 'entity.parse.failed') {
    // body-parser's strict mode also refuses valid JSON that is not an object or array (`null`, `42`).
    if (isValidJson((error as { body?: unknown }).body)) return new ServiceError('VALIDATION_ERROR', NOT_AN_OBJECT, { body: NOT_AN_OBJECT });
    return new ServiceError('VALIDATION_ERROR', 'The request body is not valid JSON', { body: 'Malformed JSON' });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ServiceError('VALIDATION_ERROR', 'Unsupported request body encoding', { body: 'Unsupported encoding' });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ServiceError('VALIDATION_ERROR', 'The request could not be read', { body: 'Invalid request body' });
  }
  return new ServiceError('INTERNAL_ERROR', 'Internal server error');
}

function isValidJson(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Express middleware before the JSON body parser: a request that carries a body (Content-Length above 0 or
 * Transfer-Encoding) must declare `Content-Type: application/json`, else 415 UNSUPPORTED_MEDIA_TYPE. Without
 * it the parser would skip the body and the route would complain about missing fields instead. Body-less
 * requests (e.g. `POST .../start` with Content-Length 0) pass whatever their content type.
 */
export function requireJsonContentType(req: Request, res: Response, next: NextFunction): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
  if (!hasBody) return next();
  const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return next();
  sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with the header Content-Type: application/json', {
    body: mediaType ? 'Content type must be application/json' : 'No content type was sent; it must be application/json',
  });
}

/** Express error handler using `toServiceError`; logs unexpected errors (without request bodies). */
export function errorHandler(log: (error: unknown) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const mapped = toServiceError(error);
    if (mapped.code === 'INTERNAL_ERROR') log(error);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(res, mapped.code, mapped.message, mapped.details);
  };
}
