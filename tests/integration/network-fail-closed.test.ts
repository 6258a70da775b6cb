/**
 * Fail closed (issue #5): when the firewall rules cannot be installed, a proxy-mode workspace is not created
 * (a clear error, nothing left behind) and no proxy is started, while `none` workspaces still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTANCE } from '../../server/runtime/workspace-runtime.js';
import { proxyImageTags } from '../../server/proxies/proxy-image-setup.js';
import { DEFAULT_RESOURCES_DIR } from '../../server/config.js';
import { startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;

beforeAll(async () => {
  // A netguard image that does not exist: the rules can never be applied.
  const images = { ...proxyImageTags(DEFAULT_RESOURCES_DIR), netguard: 'xares/netguard-missing:0' };
  t = await startTestServer({}, { networkControl: { healthIntervalMs: 0, images } });
}, 120_000);

afterAll(async () => {
  await t?.dispose();
}, 120_000);

describe('network control failing closed', () => {
  it('refuses a security workspace with the reason and leaves nothing behind', async () => {
    const response = await t.api('POST', '/api/projects/create', { projectName: 'fail-closed', projectType: 'empty', proxyMode: 'security' });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.body.success).toBe(false);
    expect(response.body.error).toMatch(/security proxy.*not available.*Network rules could not be applied/i);
    expect((await t.api('GET', '/api/projects/')).body.projects).toHaveLength(0);
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${t.instanceId}`] } });
    expect(containers.map((c) => c.Names[0])).toEqual([]);
  });

  it('still creates a none workspace', async () => {
    const response = await t.api('POST', '/api/projects/create', { projectName: 'still-open', projectType: 'empty', proxyMode: 'none' });
    expect(response.status).toBe(201);
    await t.waitForStatus(response.body.project.id, 'running', 120_000);
  });
});
