// Project templates on the real engine with the real workspace image (issue #3 "Templates"): every type is
// created through the API, and its starter files are read back from the running container with their owner
// (coder, 1000:1000) and content. The python-flask app is started inside the container and its /api/status
// fetched through the router's app-port host `<id>-5000.localhost:<port>`. A participant's edit survives a
// stop and start (the template is written once), and an unknown type is refused before anything is created.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESOURCES_DIR } from '../../server/config.js';
import type { ProjectSummary, ProjectType } from '../../server/contract/index.js';
import { readTemplate, templateDir } from '../../server/services/templates.js';
import { execInWorkspace, pollUntil, startTestServer, testDocker, type ExecResult, type TestServer } from '../helpers/server.js';

const docker = testDocker();
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.dispose();
});

/** Runs `cmd` in the workspace container as `user` in /workspace; resolves exit code, stdout and stderr. */
function execIn(projectId: string, cmd: string[], user = 'coder'): Promise<ExecResult> {
  return execInWorkspace(projectId, cmd, { user, workingDir: '/workspace' });
}

/** GET through our single HTTP server with an explicit Host header (fetch cannot set Host). */
function getWithHost(port: number, host: string, urlPath: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'GET', headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Owner, mode and path of everything under /workspace (`find` in the container), keyed by path relative to
 * /workspace, e.g. `{ 'app.py': { owner: '1000:1000', mode: '644', type: 'f' } }`.
 */
async function listWorkspace(projectId: string): Promise<Map<string, { owner: string; mode: string; type: string }>> {
  const result = await execIn(projectId, ['find', '/workspace', '-mindepth', '1', '-printf', '%U:%G %m %y %P\\n']);
  expect(result.code, result.stderr).toBe(0);
  const entries = new Map<string, { owner: string; mode: string; type: string }>();
  for (const line of result.stdout.trim().split('\n').filter(Boolean)) {
    const [owner, mode, type, ...rest] = line.split(' ');
    entries.set(rest.join(' '), { owner: owner!, mode: mode!, type: type! });
  }
  return entries;
}

const TYPES: ProjectType[] = ['empty', 'python-flask', 'nodejs-react', 'java-spring'];

describe('project templates in real workspaces', () => {
  const projects = new Map<ProjectType, ProjectSummary>();

  beforeAll(async () => {
    // All four at once: each create answers 201 at once and the containers start in parallel.
    const created = await Promise.all(
      TYPES.map((type) => t.api('POST', '/api/projects/create', { projectName: `Template ${type}`, projectType: type, memoryLimit: '1g', cpuCores: '1' })),
    );
    for (const [index, response] of created.entries()) {
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      projects.set(TYPES[index]!, response.body.project);
    }
    await Promise.all([...projects.values()].map((p) => t.waitForStatus(p.id, 'running', 180_000)));
  }, 240_000);

  it.each(TYPES)('%s: every template file is in /workspace with its content, owned by coder (1000:1000)', async (type) => {
    const project = projects.get(type)!;
    const expected = await readTemplate(templateDir(DEFAULT_RESOURCES_DIR, type));
    expect(expected.length).toBeGreaterThan(3);
    const actual = await listWorkspace(project.id);
    for (const entry of expected) {
      const found = actual.get(entry.name);
      expect(found, `${type}: ${entry.name} missing in /workspace`).toBeDefined();
      expect(found!.owner, entry.name).toBe('1000:1000');
      expect(found!.type, entry.name).toBe(entry.type === 'directory' ? 'd' : 'f');
      expect(found!.mode, entry.name).toBe(entry.type === 'directory' ? '755' : '644');
    }
    // Nothing else is there (code-server and the tools keep their state under /home/coder).
    expect([...actual.keys()].sort()).toEqual(expected.map((e) => e.name).sort());
    // /workspace itself stays the participant's.
    const root = await execIn(project.id, ['stat', '-c', '%u:%g', '/workspace']);
    expect(root.stdout.trim()).toBe('1000:1000');
    // Content, byte for byte, of every file.
    for (const entry of expected.filter((e) => e.type === 'file')) {
      const cat = await execIn(project.id, ['cat', `/workspace/${entry.name}`]);
      expect(cat.code).toBe(0);
      expect(cat.stdout, entry.name).toBe(readFileSync(path.join(templateDir(DEFAULT_RESOURCES_DIR, type), entry.name), 'utf8'));
    }
    // The participant can change and add files there.
    const write = await execIn(project.id, ['sh', '-c', 'echo edited >> README.md && mkdir -p notes && echo hi > notes/a.txt']);
    expect(write.code, write.stderr).toBe(0);
  });

  it('python-flask: the app runs inside the workspace and answers /api/status through the app-port route', async () => {
    const project = projects.get('python-flask')!;
    // Flask comes with the image (Debian's python3-flask); no network needed.
    const flask = await execIn(project.id, ['python3', '-c', 'import flask; print(flask.__version__)']);
    expect(flask.code, flask.stderr).toBe(0);
    const exec = await docker.getContainer(`workspace-${project.id}`).exec({ Cmd: ['python3', 'app.py'], User: 'coder', WorkingDir: '/workspace', Env: ['FLASK_DEBUG=0'] });
    await exec.start({ Detach: true });
    const host = `${project.id}-5000.localhost:${t.port}`;
    const status = await pollUntil(
      async () => {
        const r = await getWithHost(t.port, host, '/api/status');
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: 'Flask /api/status through the router' },
    );
    expect(status.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(status.body);
    expect(body).toMatchObject({ status: 'ok', app: 'python-flask', project: project.id });
    expect(body.python).toMatch(/^3\.\d+\.\d+$/);
    const home = await getWithHost(t.port, host, '/');
    expect(home.status).toBe(200);
    expect(JSON.parse(home.body).endpoints).toEqual(['/', '/api/status']);
  });

  it("a stop and start keeps the participant's edits (the template is written only once)", async () => {
    const project = projects.get('empty')!;
    const edit = await execIn(project.id, ['sh', '-c', 'printf "mine\\n" > README.md && rm .gitignore']);
    expect(edit.code, edit.stderr).toBe(0);
    expect((await t.api('POST', `/api/projects/${project.id}/stop`, {})).status).toBe(200);
    expect((await t.api('POST', `/api/projects/${project.id}/start`)).status).toBe(200);
    await t.waitForStatus(project.id, 'running');
    expect((await execIn(project.id, ['cat', 'README.md'])).stdout).toBe('mine\n');
    expect((await execIn(project.id, ['test', '-e', '.gitignore'])).code).not.toBe(0);
  });

  it('an unknown type is 400 INVALID_PROJECT_TYPE and creates no container', async () => {
    const before = await docker.listContainers({ all: true, filters: { label: [`xares.instance=${t.instanceId}`] } });
    const response = await t.api('POST', '/api/projects/create', { projectName: 'Template cobol', projectType: 'cobol' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 'INVALID_PROJECT_TYPE' });
    const after = await docker.listContainers({ all: true, filters: { label: [`xares.instance=${t.instanceId}`] } });
    expect(after.length).toBe(before.length);
  });
});
