// "Stop them" of the desktop app's quit dialog on the real engine (issue #6 "quitting asks whether to stop running
// workspaces"): main/lifecycle.ts `stopRunningWorkspaces` with the server's own `projects.stop`, as main/index.ts
// calls it. A running workspace is stopped (its container too), a password-protected one keeps running (the app
// does not know its password), and the dialog's counts match. The server then closes cleanly. Also: the start-up
// screen (main/startup.ts) opens the dashboard at once when the engine answers and the image is present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_INSTANCE, LABEL_PROJECT_ID } from '../../server/runtime/workspace-runtime.js';
import { quitDialog, runningWorkspaceCounts, stopRunningWorkspaces } from '../../main/lifecycle.js';
import { startupView } from '../../main/startup.js';
import { startTestServer, testDocker, type TestServer } from '../helpers/server.js';

let t: TestServer;
let openId = '';
let protectedId = '';

async function containerState(projectId: string): Promise<string | undefined> {
  const [container] = await testDocker().listContainers({
    all: true,
    filters: { label: [`${LABEL_INSTANCE}=${t.instanceId}`, `${LABEL_PROJECT_ID}=${projectId}`] },
  });
  return container?.State;
}

beforeAll(async () => {
  t = await startTestServer({}, { networkControl: false });
  const open = await t.api('POST', '/api/projects/create', { projectName: 'Quit open', projectType: 'empty', memoryLimit: '1g', cpuCores: '1' });
  const locked = await t.api('POST', '/api/projects/create', {
    projectName: 'Quit locked',
    projectType: 'empty',
    memoryLimit: '1g',
    cpuCores: '1',
    passwordProtected: true,
    password: 'quit-Locked-42',
  });
  expect(open.status, JSON.stringify(open.body)).toBe(201);
  expect(locked.status, JSON.stringify(locked.body)).toBe(201);
  openId = open.body.project.id;
  protectedId = locked.body.project.id;
  await t.waitForStatus(openId, 'running', 240_000);
  await t.waitForStatus(protectedId, 'running', 240_000);
}, 600_000);

afterAll(async () => {
  await t?.dispose();
});

describe('start-up screen on the real engine', () => {
  it('goes straight to the dashboard when the engine answers and the workspace image is there', () => {
    const view = startupView({
      serverStarted: true,
      notice: null,
      docker: t.server.system.docker,
      image: t.server.system.image,
      dockerFound: true,
      platform: process.platform,
      continued: false,
      engineUpForMs: 0,
    });
    expect(t.server.system.docker).toMatchObject({ available: true, error: null });
    expect(view).toEqual({ screen: 'ready' });
  });
});

describe('quit: stop the running workspaces', () => {
  it('asks about both, stops the open one and leaves the protected one running', async () => {
    const counts = runningWorkspaceCounts(t.server.projects.list());
    expect(counts).toEqual({ running: 2, creating: 0, protectedRunning: 1 });
    expect(quitDialog(counts)?.detail).toContain('1 of them are password-protected');

    const errors: unknown[] = [];
    const result = await stopRunningWorkspaces(t.server.projects.list(), (id) => t.server.projects.stop(id, undefined), {
      onError: (_id, error) => errors.push(error),
    });
    expect(errors).toEqual([]);
    expect(result).toEqual({ stopped: [openId], skipped: [protectedId], failed: [] });
    const statuses = Object.fromEntries(t.server.projects.list().map((project) => [project.id, project.status]));
    expect(statuses).toEqual({ [openId]: 'stopped', [protectedId]: 'running' });
    expect(await containerState(openId)).toBe('exited');
    expect(await containerState(protectedId)).toBe('running');
    await t.close(); // the server then closes cleanly (idempotent dispose follows)
  }, 120_000);
});
