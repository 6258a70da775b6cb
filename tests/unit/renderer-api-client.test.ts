import { describe, expect, it, vi } from 'vitest';
import { ApiError, describeError } from '../../renderer/src/api/api-error.js';
import { ApiClient, errorFromResponse, type FetchFunction } from '../../renderer/src/api/client.js';

const project = {
  id: 'abc123def456',
  name: 'demo',
  type: 'empty',
  status: 'running',
  createdAt: '2026-01-15T10:30:00.000Z',
  workspaceUrl: 'http://abc123def456.localhost/',
  passwordProtected: false,
  hasGitRepo: false,
  proxyMode: 'none',
  memoryLimit: '2g',
  cpuCores: '2',
  group: null,
};

/** A fetch that answers every call with `status` and `body` (a string is sent as is), recording the calls. */
function stubFetch(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { fetch, calls };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('ApiClient', () => {
  it('sends the bearer token and JSON, and parses the answer with the contract', async () => {
    const { fetch, calls } = stubFetch(201, { success: true, project });
    const client = new ApiClient({ getToken: () => 'secret-token', fetch, baseUrl: 'http://localhost:8080/' });
    const response = await client.createProject({ projectName: 'demo', projectType: 'empty' });
    expect(response.project.id).toBe('abc123def456');
    expect(calls[0]!.url).toBe('http://localhost:8080/api/projects/create');
    const headers = calls[0]!.init!.headers as Record<string, string>;
    expect(headers['Authorization']).toBe('Bearer secret-token');
    expect(headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ projectName: 'demo', projectType: 'empty' });
  });

  it('maps the contract error shape to status, code, message and per-field details', async () => {
    const body = { success: false, error: 'Validation failed', code: 'VALIDATION_ERROR', details: { projectName: 'Project name must be 3-50 characters' } };
    const client = new ApiClient({ getToken: () => 't', fetch: stubFetch(400, body).fetch });
    const error = await rejection(client.createProject({ projectName: 'x', projectType: 'empty' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toBe('Validation failed');
    expect(error.details).toEqual({ projectName: 'Project name must be 3-50 characters' });
  });

  it.each([
    [404, { success: false, error: 'Project not found', code: 'PROJECT_NOT_FOUND' }, 'PROJECT_NOT_FOUND', 'Project not found'],
    [400, { success: false, error: 'Project name already exists', code: 'PROJECT_EXISTS' }, 'PROJECT_EXISTS', 'Project name already exists'],
    [503, { success: false, error: 'Docker is not available', code: 'SERVICE_UNAVAILABLE' }, 'SERVICE_UNAVAILABLE', 'Docker is not available'],
    [409, { success: false, error: 'Limit reached', code: 'CONCURRENT_LIMIT_REACHED' }, 'CONCURRENT_LIMIT_REACHED', 'Limit reached'],
  ])('keeps the server words for %i %s', async (status, body, code, message) => {
    const client = new ApiClient({ getToken: () => 't', fetch: stubFetch(status, body).fetch });
    const error = await rejection(client.startProject('abc123def456'));
    expect([error.status, error.code, error.message]).toEqual([status, code, message]);
  });

  it('turns bodies that are not the contract shape into readable messages', async () => {
    expect(errorFromResponse(502, undefined).message).toMatch(/temporarily unavailable/);
    expect(errorFromResponse(500, undefined).message).toMatch(/HTTP 500/);
    expect(errorFromResponse(400, { error: 'Failed to clone project', message: 'only 3 slots remaining' }).message).toBe('only 3 slots remaining');
    const client = new ApiClient({ getToken: () => 't', fetch: stubFetch(502, '<html>Bad gateway</html>').fetch });
    const error = await rejection(client.listProjects());
    expect(error.code).toBe('HTTP_ERROR');
    expect(error.status).toBe(502);
  });

  it('reports a network failure as NETWORK_ERROR with a sentence, not "Failed to fetch"', async () => {
    const client = new ApiClient({
      getToken: () => 't',
      baseUrl: 'http://localhost:9',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const error = await rejection(client.listProjects());
    expect(error.status).toBe(0);
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toContain('Cannot reach the Xares server at http://localhost:9');
  });

  it('rejects a 2xx answer that does not match the contract as BAD_RESPONSE', async () => {
    const client = new ApiClient({ getToken: () => 't', fetch: stubFetch(200, { success: true, projects: [{ ...project, status: 'exploded' }], count: 1 }).fetch });
    const error = await rejection(client.listProjects());
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('projects.0.status');
  });

  it('calls onUnauthorized for a 401 on the admin credential, but not for a wrong workspace password or a used sign-in code', async () => {
    const onUnauthorized = vi.fn();
    const unauthorized = { success: false, error: 'Admin credential missing or wrong', code: 'UNAUTHORIZED' };
    const client = new ApiClient({ getToken: () => 'old', fetch: stubFetch(401, unauthorized).fetch, onUnauthorized });
    const error = await rejection(client.listProjects());
    expect(error.isUnauthorized).toBe(true);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);

    const wrongPassword = { success: false, error: 'Invalid password for password-protected workspace', code: 'INVALID_WORKSPACE_PASSWORD' };
    const client2 = new ApiClient({ getToken: () => 't', fetch: stubFetch(401, wrongPassword).fetch, onUnauthorized });
    const error2 = await rejection(client2.stopProject('abc123def456', 'nope'));
    expect(error2.isUnauthorized).toBe(false);
    expect(error2.code).toBe('INVALID_WORKSPACE_PASSWORD');

    const client3 = new ApiClient({ getToken: () => null, fetch: stubFetch(401, unauthorized).fetch, onUnauthorized });
    await rejection(client3.exchangeSignInCode('used'));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not send a token to the public sign-in exchange, and sends the workspace password in the body', async () => {
    const exchange = stubFetch(200, { success: true, token: 'fresh' });
    const client = new ApiClient({ getToken: () => 'should-not-be-sent', fetch: exchange.fetch });
    expect(await client.exchangeSignInCode('one-time')).toBe('fresh');
    expect((exchange.calls[0]!.init!.headers as Record<string, string>)['Authorization']).toBeUndefined();

    const remove = stubFetch(200, { success: true, message: 'Project deleted successfully', projectId: 'abc123def456' });
    await new ApiClient({ getToken: () => 't', fetch: remove.fetch }).deleteProject('abc123def456', 'pw-123456');
    expect(remove.calls[0]!.init!.method).toBe('DELETE');
    expect(JSON.parse(String(remove.calls[0]!.init!.body))).toEqual({ password: 'pw-123456' });
  });

  it('describeError never returns an empty sentence', () => {
    expect(describeError(new Error(''))).toMatch(/went wrong/);
    expect(describeError({})).toMatch(/went wrong/);
    expect(describeError(new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Docker is down' }))).toBe('Docker is down');
  });
});

describe('withHint', () => {
  it('joins sentences without doubled or missing full stops', async () => {
    const { withHint } = await import('../../renderer/src/api/api-error.js');
    expect(withHint('Docker is not available.', 'Start it.')).toBe('Docker is not available. Start it.');
    expect(withHint('Project name already exists', 'Choose another name.')).toBe('Project name already exists. Choose another name.');
    expect(withHint('  ', 'Only the hint.')).toBe('Only the hint.');
  });
});
