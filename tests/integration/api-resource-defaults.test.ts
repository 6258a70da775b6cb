/**
 * A create request that names no resources is never refused for values the client did not send: under small
 * configured maxima the defaults are lowered, and the container's hard limits follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testDocker, type TestServer } from '../helpers/server.js';

describe('default resources under small maxima', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ cpuPerWorkspace: 1, memoryPerWorkspaceMB: 1536 });
  });

  afterAll(async () => {
    await t?.dispose();
  });

  it('creates with 1 core and 1g when the body leaves them out, and still refuses an explicit value above the maximum', async () => {
    const created = await t.api('POST', '/api/projects/create', { projectName: 'small-defaults', projectType: 'empty' });
    expect(created.status).toBe(201);
    expect(created.body.project).toMatchObject({ cpuCores: '1', memoryLimit: '1g' });
    const inspect = await testDocker().getContainer(`workspace-${created.body.project.id}`).inspect();
    expect(inspect.HostConfig.NanoCpus).toBe(1e9);
    expect(inspect.HostConfig.Memory).toBe(1024 * 1024 * 1024);

    const explicit = await t.api('POST', '/api/projects/create', { projectName: 'explicit-cores', projectType: 'empty', cpuCores: '2' });
    expect(explicit.status).toBe(400);
    expect(explicit.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(explicit.body.details.cpuCores).toMatch(/at most 1/);
  });
});
