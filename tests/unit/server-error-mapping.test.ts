// Error mapping: zod issues → contract codes and per-field details; body-parser errors; statuses.
import { describe, expect, it } from 'vitest';
import { ApiErrorBody, CreateProjectRequest } from '../../server/contract/index.js';
import { toServiceError, validationError } from '../../server/http/errors.js';
import { STATUS_OF_CODE, ServiceError } from '../../server/services/service-error.js';
import { limitReachedMessage } from '../../server/services/projects-service.js';
import { ContainerNotFoundError, RuntimeUnavailableError } from '../../server/runtime/workspace-runtime.js';
import { isConnectionError, mapEngineError } from '../../server/runtime/docker-runtime.js';

function issuesOf(input: unknown) {
  const result = CreateProjectRequest.safeParse(input);
  if (result.success) throw new Error('expected a validation failure');
  return result.error;
}

describe('validationError', () => {
  it('uses the field code when exactly one field with its own code is wrong', () => {
    expect(validationError(issuesOf({ projectName: 'x', projectType: 'empty' })).code).toBe('INVALID_PROJECT_NAME');
    expect(validationError(issuesOf({ projectName: 'abc', projectType: 'zzz' })).code).toBe('INVALID_PROJECT_TYPE');
    expect(validationError(issuesOf({ projectName: 'abc', projectType: 'empty', passwordProtected: true, password: 'x' })).code).toBe('INVALID_PASSWORD');
  });

  it('uses VALIDATION_ERROR with every field named when several are wrong', () => {
    const error = validationError(issuesOf({ projectName: 'x', projectType: 'zzz', cpuCores: 3 }));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.status).toBe(400);
    expect(error.message).toBe('Validation failed');
    expect(Object.keys(error.details ?? {}).sort()).toEqual(['cpuCores', 'projectName', 'projectType']);
  });

  it('uses VALIDATION_ERROR for a single field without its own code, and `body` for a non-object', () => {
    expect(validationError(issuesOf({ projectName: 'abc', projectType: 'empty', memoryLimit: '3g' })).code).toBe('VALIDATION_ERROR');
    const whole = validationError(issuesOf('just a string'));
    expect(whole.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(whole.details ?? {})).toEqual(['body']);
  });
});

describe('create request messages (QA findings)', () => {
  it('refuses a password without passwordProtected as VALIDATION_ERROR naming password', () => {
    const error = validationError(issuesOf({ projectName: 'x-y-z', projectType: 'empty', password: 'abcdefghij' }));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.status).toBe(400);
    expect(Object.keys(error.details ?? {})).toEqual(['password']);
    expect(error.details?.['password']).toMatch(/passwordProtected to true/);
    // passwordProtected: false given explicitly is the same case; with true the password is accepted.
    expect(validationError(issuesOf({ projectName: 'x-y-z', projectType: 'empty', passwordProtected: false, password: 'abcdefghij' })).code).toBe('VALIDATION_ERROR');
    expect(CreateProjectRequest.safeParse({ projectName: 'x-y-z', projectType: 'empty', passwordProtected: true, password: 'abcdefghij' }).success).toBe(true);
  });

  it('says a non-string name must be text, and a missing one is required', () => {
    expect(validationError(issuesOf({ projectName: 123, projectType: 'empty' })).message).toMatch(/must be text/);
    expect(validationError(issuesOf({ projectType: 'empty' })).message).toBe('Project name is required');
  });

  it('says a body that is not an object must be a JSON object', () => {
    for (const body of [null, 'just a string', 42, [1, 2]]) {
      const error = validationError(issuesOf(body));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toBe('The request body must be a JSON object');
    }
  });

  it('puts the limit in singular for 1 and plural otherwise', () => {
    expect(limitReachedMessage(1, 'running workspace')).toBe('The maximum of 1 running workspace is reached');
    expect(limitReachedMessage(3, 'running workspace')).toBe('The maximum of 3 running workspaces is reached');
    expect(limitReachedMessage(1, 'workspace')).toBe('The maximum of 1 workspace is reached');
    expect(limitReachedMessage(0, 'workspace')).toBe('The maximum of 0 workspaces is reached');
  });
});

describe('toServiceError', () => {
  it('tells valid JSON that is not an object apart from malformed JSON', () => {
    const parseFailed = (body: string) => toServiceError(Object.assign(new SyntaxError('x'), { type: 'entity.parse.failed', status: 400, body }));
    for (const body of ['null', '42', '"text"', 'true']) expect(parseFailed(body).message).toBe('The request body must be a JSON object');
    expect(parseFailed('{nope').message).toBe('The request body is not valid JSON');
    expect(parseFailed('null').code).toBe('VALIDATION_ERROR');
  });


  it('maps body-parser errors and hides internals', () => {
    expect(toServiceError(Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 })).code).toBe('PAYLOAD_TOO_LARGE');
    expect(toServiceError(Object.assign(new Error('x'), { type: 'entity.parse.failed', status: 400 })).code).toBe('VALIDATION_ERROR');
    const internal = toServiceError(new Error('secret path /root/x'));
    expect(internal.code).toBe('INTERNAL_ERROR');
    expect(internal.status).toBe(500);
    expect(internal.message).not.toContain('/root');
    const own = new ServiceError('PROJECT_EXISTS', 'taken');
    expect(toServiceError(own)).toBe(own);
  });

  it('gives every code a status matching the contract table', () => {
    expect(STATUS_OF_CODE).toMatchObject({
      INVALID_PROJECT_NAME: 400,
      INVALID_PROJECT_TYPE: 400,
      PROJECT_EXISTS: 400,
      INVALID_PASSWORD: 400,
      INVALID_WORKSPACE_PASSWORD: 401,
      PROJECT_NOT_FOUND: 404,
      WORKSPACE_LIMIT_EXCEEDED: 409,
      CONCURRENT_LIMIT_REACHED: 409,
      CONTAINER_CREATE_FAILED: 500,
      SERVICE_UNAVAILABLE: 503,
      UNAUTHORIZED: 401,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
    });
    const body = { success: false, error: 'x', code: 'PROJECT_NOT_FOUND' };
    expect(ApiErrorBody.safeParse(body).success).toBe(true);
  });
});

describe('engine error mapping', () => {
  it('treats socket errors as an unreachable engine and 404 as a missing container', () => {
    const enoent = Object.assign(new Error('connect ENOENT /tmp/nonexistent.sock'), { code: 'ENOENT' });
    expect(isConnectionError(enoent)).toBe(true);
    expect(mapEngineError(enoent)).toBeInstanceOf(RuntimeUnavailableError);
    expect(mapEngineError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(RuntimeUnavailableError);
    const notFound = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    expect(isConnectionError(notFound)).toBe(false);
    expect(mapEngineError(notFound, 'gone')).toBeInstanceOf(ContainerNotFoundError);
    const conflict = Object.assign(new Error('(HTTP code 409) conflict'), { statusCode: 409 });
    expect(mapEngineError(conflict, 'gone')).toBe(conflict);
  });
});
