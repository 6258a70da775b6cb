// Development aid (not shipped, not a test): serves the built dashboard (dist/renderer) under /admin/ with the
// server's CSP, plus an in-memory fake of the admin API and its event stream, so the UI can be driven and
// screenshotted in Chromium without Docker. Usage: node renderer/dev/fake-api-server.mjs [port] [scenario]
// Scenarios: populated (default), empty, docker-down, building, many (200 workspaces).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const distDir = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));
const TOKEN = 'fake-admin-token';
const SIGN_IN_CODE = 'fake-code';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };

/** Builds a fake server; returns { server, url, state, close() }. */
export async function startFakeApiServer({ port = 0, scenario = 'populated' } = {}) {
  const clients = new Set();
  let counter = 0;
  const newId = () => `fake${String(++counter).padStart(8, '0')}`;
  const now = Date.now();
  const project = (over) => ({
    id: newId(),
    name: 'workspace',
    type: 'empty',
    status: 'running',
    createdAt: new Date(now - 3600_000).toISOString(),
    workspaceUrl: 'http://example.localhost:8080/',
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group: null,
    ...over,
  });
  const state = {
    docker: scenario === 'docker-down'
      ? { available: false, version: null, error: 'connect ENOENT /var/run/docker.sock' }
      : { available: true, version: '20.10.24', error: null },
    image: scenario === 'building'
      ? { tag: 'xares/workspace:0.1.0', state: 'building', progress: 0.42, message: 'Step 7/15: installing code-server 4.100.3' }
      : { tag: 'xares/workspace:0.1.0', state: 'present', progress: 1, message: '' },
    projects: new Map(),
    notes: new Map(),
    limits: { maxConcurrentWorkspaces: 20, cpuPerWorkspace: 4, memoryPerWorkspaceMB: 8192, enableResourceLimits: true },
  };
  if (scenario !== 'empty' && scenario !== 'many') {
    const rows = [
      { name: 'python-basics-teacher', type: 'python-flask', status: 'running', passwordProtected: true, group: 'workshop-monday', createdAt: new Date(now - 86400_000).toISOString() },
      { name: 'Seat 1', type: 'python-flask', status: 'running', group: 'workshop-monday', proxyMode: 'logging', createdAt: new Date(now - 7200_000).toISOString() },
      { name: 'Seat 2', type: 'python-flask', status: 'creating', statusReason: 'Waiting for code-server to answer', group: 'workshop-monday', createdAt: new Date(now - 7100_000).toISOString() },
      { name: 'Seat 3', type: 'python-flask', status: 'stopped', group: 'workshop-monday', createdAt: new Date(now - 7000_000).toISOString() },
      { name: 'react-demo', type: 'nodejs-react', status: 'error', statusReason: 'Container exited with code 137 (out of memory)', memoryLimit: '1g', cpuCores: '1', createdAt: new Date(now - 5000_000).toISOString() },
      { name: 'spring-lab <script>alert(1)</script>', type: 'java-spring', status: 'stopped', proxyMode: 'security', memoryLimit: '4g', cpuCores: '4', group: 'team-alpha', createdAt: new Date(now - 4000_000).toISOString() },
      { name: 'scratch', type: 'empty', status: 'running', createdAt: new Date(now - 600_000).toISOString() },
    ];
    for (const row of rows) {
      const p = project(row);
      p.workspaceUrl = `http://${p.id}.localhost:8080/`;
      state.projects.set(p.id, p);
    }
  }
  if (scenario === 'many') {
    // 200 workspaces for checking that long lists stay responsive.
    for (let i = 1; i <= 200; i++) {
      const p = project({ name: `Seat ${i}`, status: i % 5 === 0 ? 'stopped' : 'running', group: `group-${i % 4}`, createdAt: new Date(now - i * 1000).toISOString() });
      p.workspaceUrl = `http://${p.id}.localhost:8080/`;
      state.projects.set(p.id, p);
    }
  }
  const passwords = new Map([[[...state.projects.values()].find((p) => p.passwordProtected)?.id, 'correct-horse']]);

  const broadcast = (event) => {
    for (const res of clients) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const update = (p) => {
    state.projects.set(p.id, p);
    broadcast({ type: 'project.updated', project: p });
  };
  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (res, status, code, error, details) => json(res, status, { success: false, error, code, ...(details ? { details } : {}) });
  const readBody = (req) =>
    new Promise((resolve) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        try {
          resolve(text ? JSON.parse(text) : {});
        } catch {
          resolve(null);
        }
      });
    });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    res.setHeader('Content-Security-Policy', "default-src 'self'");
    if (url.pathname.startsWith('/api/')) {
      if (url.pathname === '/api/auth/exchange' && req.method === 'POST') {
        const body = await readBody(req);
        return body?.code === SIGN_IN_CODE ? json(res, 200, { success: true, token: TOKEN }) : fail(res, 401, 'UNAUTHORIZED', 'Sign-in code is invalid or was already used');
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return fail(res, 401, 'UNAUTHORIZED', 'Admin credential missing or wrong');
      if (url.pathname === '/api/events') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
        res.write(': hello\n\n');
        res.write(`data: ${JSON.stringify({ type: 'hello', projects: [...state.projects.values()], docker: state.docker, image: state.image })}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      if (url.pathname === '/api/limits') return json(res, 200, state.limits);
      if (url.pathname === '/api/config') {
        // As a real server without proxy services or Git server: the dialog disables those options.
        const { limits } = state;
        return json(res, 200, {
          success: true,
          config: {
            platform: 'Xares Desktop', version: '0.0.0-fake', baseDomain: 'localhost', workspaceImage: 'fake:latest',
            features: { gitServer: false, passwordProtection: true, multipleTemplates: true, securityProxy: false, loggingProxy: false },
            limits: {
              maxWorkspacesPerUser: 50, maxConcurrentWorkspaces: limits.maxConcurrentWorkspaces, workspaceTimeout: 0,
              maxMemoryPerWorkspace: `${limits.memoryPerWorkspaceMB / 1024}GB`, maxCPUPerWorkspace: limits.cpuPerWorkspace,
              enableResourceLimits: limits.enableResourceLimits,
            },
            gitServer: { enabled: false, url: null, version: null },
          },
        });
      }
      if (url.pathname === '/api/projects/' && req.method === 'GET') {
        const projects = [...state.projects.values()];
        return json(res, 200, { success: true, projects, count: projects.length });
      }
      if (url.pathname === '/api/projects/create' && req.method === 'POST') {
        const body = await readBody(req);
        if (!state.docker.available) return fail(res, 503, 'SERVICE_UNAVAILABLE', 'Docker is not available');
        if ([...state.projects.values()].some((p) => p.name === body.projectName?.trim())) return fail(res, 400, 'PROJECT_EXISTS', 'Project name already exists');
        const p = project({
          name: body.projectName.trim(), type: body.projectType, status: 'creating', statusReason: 'Starting the container',
          createdAt: new Date().toISOString(), passwordProtected: !!body.passwordProtected, proxyMode: body.proxyMode ?? 'none',
          memoryLimit: body.memoryLimit ?? '2g', cpuCores: body.cpuCores ?? '2', group: body.group?.trim() || null,
        });
        p.workspaceUrl = `http://${p.id}.localhost:8080/`;
        if (body.password) passwords.set(p.id, body.password);
        update(p);
        setTimeout(() => state.projects.has(p.id) && update({ ...p, status: 'running', statusReason: undefined }), 1500);
        return json(res, 201, { success: true, project: p, ...(body.password ? { password: body.password } : {}) });
      }
      if (url.pathname === '/api/projects/groups' && req.method === 'GET') {
        const groups = [...new Set([...state.projects.values()].map((p) => p.group).filter(Boolean))].sort();
        return json(res, 200, { success: true, groups });
      }
      const meta = url.pathname.match(/^\/api\/projects\/([a-z0-9]{12})\/(notes|name|group|disk-usage)$/);
      if (meta) {
        const p = state.projects.get(meta[1]);
        if (!p) return fail(res, 404, 'PROJECT_NOT_FOUND', 'Project not found');
        const body = req.method === 'PUT' ? ((await readBody(req)) ?? {}) : {};
        if (meta[2] === 'notes' && req.method === 'GET') return json(res, 200, { success: true, notes: state.notes.get(p.id) ?? '' });
        if (meta[2] === 'notes') {
          if (typeof body.notes !== 'string') return fail(res, 400, 'VALIDATION_ERROR', 'Validation failed', { notes: 'Notes must be a string' });
          if (Buffer.byteLength(body.notes) > 10240) return fail(res, 413, 'PAYLOAD_TOO_LARGE', 'Notes must be at most 10240 bytes (10 KB)');
          state.notes.set(p.id, body.notes);
          return json(res, 200, { success: true, message: 'Notes updated successfully' });
        }
        if (meta[2] === 'name') {
          const name = typeof body.name === 'string' ? body.name.trim() : '';
          if (!name || name.length > 100) return fail(res, 400, 'INVALID_PROJECT_NAME', 'Name must be 1-100 characters', { name: 'Name must be 1-100 characters' });
          if ([...state.projects.values()].some((o) => o.id !== p.id && o.name.toLowerCase() === name.toLowerCase())) {
            return fail(res, 400, 'PROJECT_EXISTS', `A project named "${name}" already exists`, { name: 'Project name already exists' });
          }
          update({ ...p, name });
          return json(res, 200, { success: true, message: 'Project name updated successfully' });
        }
        if (meta[2] === 'group') {
          update({ ...p, group: typeof body.group === 'string' && body.group.trim() ? body.group.trim() : null });
          return json(res, 200, { success: true, message: 'Project group updated successfully' });
        }
        if (p.status !== 'running' && p.status !== 'stopped') return fail(res, 409, 'INVALID_STATE', 'The workspace has no container, so it uses no disk space.');
        return json(res, 200, { success: true, diskUsage: { bytes: 48_300_000, totalBytes: 2_950_000_000, readable: '46.1 MB', totalReadable: '2.7 GB' } });
      }
      const match = url.pathname.match(/^\/api\/projects\/([a-z0-9]{12})(\/start|\/stop)?$/);
      if (match) {
        const p = state.projects.get(match[1]);
        if (!p) return fail(res, 404, 'PROJECT_NOT_FOUND', 'Project not found');
        const body = (await readBody(req)) ?? {};
        const needsPassword = passwords.has(p.id) && (match[2] === '/stop' || req.method === 'DELETE');
        if (needsPassword && body.password !== passwords.get(p.id)) return fail(res, 401, 'INVALID_WORKSPACE_PASSWORD', 'Invalid password for password-protected workspace');
        if (match[2] === '/start') {
          if (!state.docker.available) return fail(res, 503, 'SERVICE_UNAVAILABLE', 'Docker is not available');
          update({ ...p, status: 'creating' });
          setTimeout(() => state.projects.has(p.id) && update({ ...p, status: 'running' }), 1000);
          return json(res, 200, { success: true, message: 'Workspace started successfully', project: { id: p.id, status: 'creating', workspaceUrl: p.workspaceUrl } });
        }
        if (match[2] === '/stop') {
          update({ ...p, status: 'stopped' });
          return json(res, 200, { success: true, message: 'Workspace stopped successfully', projectId: p.id });
        }
        if (req.method === 'DELETE') {
          state.projects.delete(p.id);
          broadcast({ type: 'project.removed', projectId: p.id });
          return json(res, 200, { success: true, message: 'Project deleted successfully', projectId: p.id });
        }
        const container = p.status === 'running'
          ? { status: 'running', health: 'healthy', uptime: '1h 12m', resources: { cpu: `${(Math.random() * 30).toFixed(1)}%`, memory: '412.5MB' } }
          : p.status === 'stopped' ? { status: 'exited', health: 'none', uptime: '0m', resources: { cpu: '0.0%', memory: '0B' } } : null;
        return json(res, 200, { success: true, project: { ...p, container } });
      }
      return fail(res, 404, 'NOT_FOUND', 'No such API route');
    }
    if (url.pathname === '/admin') {
      res.writeHead(302, { Location: '/admin/' });
      return res.end();
    }
    if (url.pathname.startsWith('/admin/')) {
      const relative = normalize(url.pathname.slice('/admin/'.length) || 'index.html');
      if (relative.startsWith('..')) return json(res, 400, {});
      try {
        const data = await readFile(join(distDir, relative));
        res.writeHead(200, { 'Content-Type': TYPES[extname(relative)] ?? 'application/octet-stream' });
        return res.end(data);
      } catch {
        const data = await readFile(join(distDir, 'index.html'));
        res.writeHead(200, { 'Content-Type': TYPES['.html'] });
        return res.end(data);
      }
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  return {
    server,
    url: `http://localhost:${address.port}`,
    state,
    token: TOKEN,
    signInCode: SIGN_IN_CODE,
    broadcast,
    update,
    /** Ends every open event stream (to exercise reconnection). */
    dropStreams() {
      for (const res of clients) res.destroy();
      clients.clear();
    },
    close() {
      for (const res of clients) res.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fake = await startFakeApiServer({ port: Number(process.argv[2] ?? 0), scenario: process.argv[3] ?? 'populated' });
  console.log(`Fake dashboard API on ${fake.url}/admin/#code=${fake.signInCode}`);
}
