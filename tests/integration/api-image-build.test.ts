// First start without the workspace image: the server builds it from resources/ in the background with
// progress (image events), answers create with 503 meanwhile, and creates workspaces once it is there.
// The build uses the engine's layer cache of the regular image build, so it is quick after the first one.
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageState, ServerEvent } from '../../server/contract/index.js';
import { newInstanceId, pollUntil, startTestServer, testDocker, type TestServer } from '../helpers/server.js';

const docker = testDocker();
const instanceId = newInstanceId();
const tag = `xares-test-build:${instanceId}`;
let t: TestServer | undefined;

afterAll(async () => {
  await t?.dispose();
  // Our tag and the layers only it uses; layers shared with the regular image stay (they have other children).
  await docker.getImage(tag).remove().catch(() => undefined);
});

describe('workspace image missing at start', () => {
  it('builds it with progress, refuses creates meanwhile, then creates workspaces', { timeout: 900_000 }, async () => {
    expect(await docker.getImage(tag).inspect().then(() => true, () => false)).toBe(false);
    t = await startTestServer({ instanceId, workspaceImage: tag, buildImageIfMissing: true });
    const images: ImageState[] = [];
    t.server.events.subscribe((event: ServerEvent) => {
      if (event.type === 'image') images.push(event.image);
    });

    const building = await pollUntil(
      async () => {
        const status = await t!.api('GET', '/api/system/status');
        return status.body.image.state === 'building' || status.body.image.state === 'present' ? status.body.image : undefined;
      },
      { timeoutMs: 30_000, description: 'the build to begin' },
    );
    if (building.state === 'building') {
      const refused = await t.api('POST', '/api/projects/create', { projectName: 'too-early', projectType: 'empty' });
      // The build may finish between the two calls when every layer is cached.
      if (refused.status !== 201) {
        expect(refused.status).toBe(503);
        expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
        expect(refused.body.error).toMatch(/image/i);
        expect((await t.api('GET', '/api/projects/')).body.count).toBe(0);
      } else {
        expect((await t.api('DELETE', `/api/projects/${refused.body.project.id}`)).status).toBe(200);
      }
    }

    const done = await pollUntil(
      async () => {
        const status = await t!.api('GET', '/api/system/status');
        if (status.body.image.state === 'error') throw new Error(`build failed: ${status.body.image.message}`);
        return status.body.image.state === 'present' ? status.body.image : undefined;
      },
      { timeoutMs: 840_000, intervalMs: 1000, description: 'the image build to finish' },
    );
    expect(done).toMatchObject({ tag, state: 'present', progress: 1 });
    expect(images.some((i) => i.state === 'building')).toBe(true);
    const progress = images.filter((i) => i.state === 'building').map((i) => i.progress);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect((await docker.getImage(tag).inspect()).Config.Labels?.['xares.managed']).toBe('true');

    const created = await t.api('POST', '/api/projects/create', { projectName: 'after-build', projectType: 'empty' });
    expect(created.status).toBe(201);
    await t.waitForStatus(created.body.project.id, 'running');
    expect((await t.api('DELETE', `/api/projects/${created.body.project.id}`)).status).toBe(200);
  });
});
