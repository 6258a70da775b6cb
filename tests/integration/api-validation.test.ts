// Bad input through the HTTP API: every field of the create request, unknown and malformed ids, duplicate
// names, limits, malformed and oversized bodies. Each answer has the contract's error shape and status, and
// nothing is left behind (no record, no container).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody, ConfigResponse } from '../../server/contract/index.js';
import { startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;

beforeAll(async () => {
  // Without network control, so the proxy modes are reported and refused as unavailable (the proxy modes
  // themselves are tested in network-security and network-logging).
  t = await startTestServer({ memoryPerWorkspaceMB: 4096, cpuPerWorkspace: 4 }, { networkControl: false });
});

afterAll(async () => {
  await t?.dispose();
});

async function instanceContainerCount(instanceId: string): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`xares.instance=${instanceId}`] } })).length;
}

async function expectNothingCreated(server: TestServer, expectedCount = 0): Promise<void> {
  const list = await server.api('GET', '/api/projects/');
  expect(list.body.count).toBe(expectedCount);
  expect(await instanceContainerCount(server.instanceId)).toBe(expectedCount);
}

const VALID = { projectName: 'valid-name', projectType: 'empty' } as const;

/** [description, body, expected code, field named in details] */
const SINGLE_FIELD_CASES: Array<[string, Record<string, unknown>, string, string]> = [
  ['missing name', { projectType: 'empty' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name too short', { ...VALID, projectName: 'ab' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name only blanks', { ...VALID, projectName: '     ' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name too long', { ...VALID, projectName: 'x'.repeat(51) }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name with markup', { ...VALID, projectName: '<script>alert(1)</script>' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name with a slash', { ...VALID, projectName: '../etc/passwd' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name with a newline', { ...VALID, projectName: 'abc\ndef' }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['name not a string', { ...VALID, projectName: 12345 }, 'INVALID_PROJECT_NAME', 'projectName'],
  ['missing type', { projectName: 'valid-name' }, 'INVALID_PROJECT_TYPE', 'projectType'],
  ['unknown type', { ...VALID, projectType: 'cobol-mainframe' }, 'INVALID_PROJECT_TYPE', 'projectType'],
  ['password too short', { ...VALID, passwordProtected: true, password: 'short' }, 'INVALID_PASSWORD', 'password'],
  ['password too long', { ...VALID, passwordProtected: true, password: 'p'.repeat(51) }, 'INVALID_PASSWORD', 'password'],
  ['password with a newline', { ...VALID, passwordProtected: true, password: 'line1\nline2xx' }, 'INVALID_PASSWORD', 'password'],
  ['password missing when protected', { ...VALID, passwordProtected: true }, 'INVALID_PASSWORD', 'password'],
  ['password not a string', { ...VALID, passwordProtected: true, password: 12345678 }, 'INVALID_PASSWORD', 'password'],
  // A valid password without protection would be dropped silently: refused instead.
  ['password without passwordProtected', { ...VALID, password: 'abcdefghij' }, 'VALIDATION_ERROR', 'password'],
  ['password with passwordProtected false', { ...VALID, passwordProtected: false, password: 'abcdefghij' }, 'VALIDATION_ERROR', 'password'],
  ['passwordProtected not boolean', { ...VALID, passwordProtected: 'yes' }, 'VALIDATION_ERROR', 'passwordProtected'],
  ['createGitRepo not boolean', { ...VALID, createGitRepo: 'true' }, 'VALIDATION_ERROR', 'createGitRepo'],
  ['unknown proxy mode', { ...VALID, proxyMode: 'open-bar' }, 'VALIDATION_ERROR', 'proxyMode'],
  ['memory not an allowed value', { ...VALID, memoryLimit: '3g' }, 'VALIDATION_ERROR', 'memoryLimit'],
  ['memory as a number', { ...VALID, memoryLimit: 2 }, 'VALIDATION_ERROR', 'memoryLimit'],
  ['cores not an allowed value', { ...VALID, cpuCores: '3' }, 'VALIDATION_ERROR', 'cpuCores'],
  ['group too long', { ...VALID, group: 'g'.repeat(51) }, 'VALIDATION_ERROR', 'group'],
  ['group with control characters', { ...VALID, group: 'a\u0007b' }, 'VALIDATION_ERROR', 'group'],
  // Allowed by the contract's list but above this server's configured maxima (4096 MB, 4 cores).
  ['memory above the configured maximum', { ...VALID, memoryLimit: '8g' }, 'VALIDATION_ERROR', 'memoryLimit'],
  ['cores above the configured maximum', { ...VALID, cpuCores: '8' }, 'VALIDATION_ERROR', 'cpuCores'],
  // Not available on this server: refused rather than silently ignored.
  ['proxy mode not available', { ...VALID, proxyMode: 'security' }, 'VALIDATION_ERROR', 'proxyMode'],
  ['git repository without a git server', { ...VALID, createGitRepo: true }, 'VALIDATION_ERROR', 'createGitRepo'],
];

describe('POST /api/projects/create validation', () => {
  it.each(SINGLE_FIELD_CASES)('%s → 400 %s naming the field', async (_name, body, code, field) => {
    const r = await t.api('POST', '/api/projects/create', body);
    expect(r.status).toBe(400);
    expect(ApiErrorBody.safeParse(r.body).success).toBe(true);
    expect(r.body.code).toBe(code);
    expect(Object.keys(r.body.details)).toEqual([field]);
    expect(typeof r.body.details[field]).toBe('string');
    expect(r.body.error.length).toBeGreaterThan(0);
  });

  it('names every wrong field with VALIDATION_ERROR when several are wrong', async () => {
    const r = await t.api('POST', '/api/projects/create', { projectName: 'x', projectType: 'nope', passwordProtected: true, password: 'short', memoryLimit: '5g' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect(r.body.error).toBe('Validation failed');
    expect(Object.keys(r.body.details).sort()).toEqual(['memoryLimit', 'password', 'projectName', 'projectType']);
  });

  it('answers malformed, non-object, non-JSON and oversized bodies in the contract shape', async () => {
    const malformed = await t.api('POST', '/api/projects/create', undefined, { rawBody: '{"projectName": "abc",' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_ERROR');

    const array = await t.api('POST', '/api/projects/create', [1, 2, 3]);
    expect(array.status).toBe(400);
    expect(array.body.code).toBe('VALIDATION_ERROR');

    const text = await t.api('POST', '/api/projects/create', undefined, { rawBody: 'projectName=abc', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(ApiErrorBody.safeParse(text.body).success).toBe(true);

    const huge = await t.api('POST', '/api/projects/create', { ...VALID, filler: 'x'.repeat(100 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });

    const badStopBody = await t.api('POST', '/api/projects/aaaaaaaaaaaa/stop', undefined, { rawBody: '{nope' });
    expect(badStopBody.status).toBe(400);
    expect(badStopBody.body.code).toBe('VALIDATION_ERROR');
    await expectNothingCreated(t);
  });

  it('explains wrong types and content types instead of calling the name missing', async () => {
    const numberName = await t.api('POST', '/api/projects/create', { projectName: 123, projectType: 'empty' });
    expect(numberName.status).toBe(400);
    expect(numberName.body.details.projectName).toMatch(/must be text/);

    const password = await t.api('POST', '/api/projects/create', { projectName: 'x-y-z', projectType: 'empty', password: 'abcdefghij' });
    expect(password.status).toBe(400);
    expect(password.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(password.body.details.password).toMatch(/passwordProtected to true/);
    expect(JSON.stringify(password.body)).not.toContain('abcdefghij');

    // JSON sent with a non-JSON content type (or none): 415 saying what to send, on every API route with a body.
    for (const [method, path, headers] of [
      ['POST', '/api/projects/create', { 'content-type': 'text/plain' }],
      ['POST', '/api/projects/create', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['POST', '/api/projects/aaaaaaaaaaaa/stop', { 'content-type': 'text/plain;charset=utf-8' }],
    ] as const) {
      const r = await t.api(method, path, undefined, { rawBody: JSON.stringify(VALID), headers });
      expect(r.status, `${method} ${path} ${headers['content-type']}`).toBe(415);
      expect(ApiErrorBody.safeParse(r.body).success).toBe(true);
      expect(r.body.error).toMatch(/Content-Type: application\/json/);
    }
    const withoutType = await fetch(`${t.url}/api/projects/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}` },
      body: new Blob([JSON.stringify(VALID)]), // a Blob without type: fetch sends no Content-Type
    });
    expect(withoutType.status).toBe(415);
    expect(ApiErrorBody.safeParse(await withoutType.json()).success).toBe(true);
    // Body-less calls need no content type.
    const bodyless = await fetch(`${t.url}/api/projects/aaaaaaaaaaaa/start`, { method: 'POST', headers: { authorization: `Bearer ${t.token}` } });
    expect(bodyless.status).toBe(404);

    // `null` is valid JSON, just not an object.
    const nullBody = await t.api('POST', '/api/projects/create', undefined, { rawBody: 'null' });
    expect(nullBody.status).toBe(400);
    expect(nullBody.body).toMatchObject({ code: 'VALIDATION_ERROR', error: 'The request body must be a JSON object' });
    await expectNothingCreated(t);
  });

  it('leaves nothing behind after any rejected create', async () => {
    await expectNothingCreated(t);
  });
});

describe('GET /api/config features agree with what create accepts', () => {
  /** Each reported feature, the create body that needs it, and the field a refusal names. */
  const NEEDS: Array<['securityProxy' | 'loggingProxy' | 'gitServer', Record<string, unknown>, string]> = [
    ['securityProxy', { proxyMode: 'security' }, 'proxyMode'],
    ['loggingProxy', { proxyMode: 'logging' }, 'proxyMode'],
    ['gitServer', { createGitRepo: true }, 'createGitRepo'],
  ];

  it('reports the proxy services as missing on a server without network control, in the contract shape', async () => {
    const r = await t.api('GET', '/api/config');
    expect(r.status).toBe(200);
    const { config } = ConfigResponse.parse(r.body);
    expect(config.features).toMatchObject({ securityProxy: false, loggingProxy: false });
    expect(config.gitServer.enabled).toBe(config.features.gitServer);
  });

  it.each(NEEDS)('%s: refused with the field named exactly while reported false', async (feature, option, field) => {
    const { config } = ConfigResponse.parse((await t.api('GET', '/api/config')).body);
    const r = await t.api('POST', '/api/projects/create', { ...VALID, projectName: `needs-${feature}`, ...option });
    if (config.features[feature]) {
      // Reported available: create must not refuse this option (clean up what it made).
      expect(r.body.details?.[field]).toBeUndefined();
      if (r.status === 201) expect((await t.api('DELETE', `/api/projects/${r.body.project.id}`)).status).toBe(200);
      return;
    }
    expect(r.status).toBe(400);
    expect(ApiErrorBody.safeParse(r.body).success).toBe(true);
    expect(r.body.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(r.body.details)).toEqual([field]);
    await expectNothingCreated(t);
  });
});

describe('unknown and malformed project ids', () => {
  const ids = ['aaaaaaaaaaaa', 'ABCDEFGHIJKL', 'short', '..%2F..%2Fetc', 'x'.repeat(200), 'workspace-1'];
  it.each(ids)('%s → 404 PROJECT_NOT_FOUND on every project route', async (id) => {
    for (const [method, path] of [
      ['GET', `/api/projects/${id}`],
      ['DELETE', `/api/projects/${id}`],
      ['POST', `/api/projects/${id}/start`],
      ['POST', `/api/projects/${id}/stop`],
    ] as const) {
      const r = await t.api(method, path, method === 'GET' ? undefined : {});
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toMatchObject({ success: false, code: 'PROJECT_NOT_FOUND' });
    }
  });
});

describe('names and limits on the real engine', () => {
  it('refuses a duplicate name (case-insensitive) with 400 PROJECT_EXISTS and keeps one record', async () => {
    const first = await t.api('POST', '/api/projects/create', { projectName: 'Workshop Seat', projectType: 'empty' });
    expect(first.status).toBe(201);
    for (const name of ['Workshop Seat', 'workshop seat', '  WORKSHOP SEAT  ']) {
      const dup = await t.api('POST', '/api/projects/create', { projectName: name, projectType: 'nodejs-react' });
      expect(dup.status).toBe(400);
      expect(dup.body).toMatchObject({ success: false, code: 'PROJECT_EXISTS' });
    }
    await expectNothingCreated(t, 1);
    expect((await t.api('DELETE', `/api/projects/${first.body.project.id}`)).status).toBe(200);
    await expectNothingCreated(t, 0);
  });

  it('gives one name to only one of two simultaneous creates', async () => {
    const results = await Promise.all([1, 2, 3].map(() => t.api('POST', '/api/projects/create', { projectName: 'Race Name', projectType: 'empty' })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400]);
    const created = results.find((r) => r.status === 201)!;
    await expectNothingCreated(t, 1);
    expect((await t.api('DELETE', `/api/projects/${created.body.project.id}`)).status).toBe(200);
  });

  it('enforces the total and the concurrent workspace limits with 409', async () => {
    const limited = await startTestServer({ maxWorkspaces: 2, maxConcurrentWorkspaces: 1 });
    try {
      const a = await limited.api('POST', '/api/projects/create', { projectName: 'limit-a', projectType: 'empty' });
      expect(a.status).toBe(201);
      const concurrent = await limited.api('POST', '/api/projects/create', { projectName: 'limit-b', projectType: 'empty' });
      expect(concurrent.status).toBe(409);
      expect(concurrent.body).toMatchObject({ success: false, code: 'CONCURRENT_LIMIT_REACHED', error: 'The maximum of 1 running workspace is reached' });
      await expectNothingCreated(limited, 1);

      await limited.waitForStatus(a.body.project.id, 'running');
      expect((await limited.api('POST', `/api/projects/${a.body.project.id}/stop`, {})).status).toBe(200);
      const b = await limited.api('POST', '/api/projects/create', { projectName: 'limit-b', projectType: 'empty' });
      expect(b.status).toBe(201);
      // a is stopped, b is running: starting a would exceed one running workspace.
      const startA = await limited.api('POST', `/api/projects/${a.body.project.id}/start`);
      expect(startA.status).toBe(409);
      expect(startA.body.code).toBe('CONCURRENT_LIMIT_REACHED');

      const total = await limited.api('POST', '/api/projects/create', { projectName: 'limit-c', projectType: 'empty' });
      expect(total.status).toBe(409);
      expect(total.body).toMatchObject({ success: false, code: 'WORKSPACE_LIMIT_EXCEEDED' });
      await expectNothingCreated(limited, 2);
    } finally {
      await limited.dispose();
    }
  });
});
