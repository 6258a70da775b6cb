/**
 * A `WorkspaceRuntime` whose workspaces "run" without Docker, for tests and benchmarks of the workshop that
 * need many running seats (40, 200) but no editor: containers live in memory, and every running one is
 * published on the same loopback port, where a tiny HTTP server answers `/healthz` with 200 (so the real
 * readiness probe of ProjectsService sees it as `running`). Nothing behind it is code-server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContainerNotFoundError, type WorkspaceContainer, type WorkspaceRuntime, type WorkspaceSpec } from '../../server/runtime/workspace-runtime.js';

export interface FakeSeatRuntime {
  runtime: WorkspaceRuntime;
  /** Loopback port every running fake container is "published" on. */
  port: number;
  /** Ids of the projects whose fake container exists. */
  containers(): string[];
  close(): Promise<void>;
}

/** Starts the health server and returns a runtime whose containers report it as their port. */
export async function startFakeSeatRuntime(): Promise<FakeSeatRuntime> {
  const health = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json', connection: 'close' });
    res.end(req.url === '/healthz' ? '{"status":"alive"}' : '{}');
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const port = (health.address() as AddressInfo).port;
  const containers = new Map<string, WorkspaceContainer>();
  let next = 0;

  const require = (projectId: string): WorkspaceContainer => {
    const container = containers.get(projectId);
    if (!container) throw new ContainerNotFoundError(`fake container of ${projectId} does not exist`);
    return container;
  };

  const runtime: WorkspaceRuntime = {
    ping: async () => 'fake-seat-1.0',
    hasImage: async () => true,
    create: async (spec: WorkspaceSpec) => {
      next += 1;
      const id = `fake${String(next).padStart(8, '0')}`;
      containers.set(spec.projectId, {
        id,
        projectId: spec.projectId,
        name: `workspace-${spec.projectId}`,
        state: 'created',
        running: false,
        hostPort: null,
        startedAt: null,
        health: null,
        exitCode: null,
        error: null,
      });
      return id;
    },
    start: async (projectId) => {
      const container = require(projectId);
      Object.assign(container, { state: 'running', running: true, hostPort: port, startedAt: new Date().toISOString(), exitCode: null });
      return { ...container };
    },
    stop: async (projectId) => {
      const container = containers.get(projectId);
      if (container) Object.assign(container, { state: 'exited', running: false, hostPort: null, exitCode: 0 });
    },
    remove: async (projectId) => {
      containers.delete(projectId);
    },
    inspect: async (projectId) => {
      const container = containers.get(projectId);
      return container ? { ...container } : null;
    },
    list: async () => [...containers.values()].map((container) => ({ ...container })),
    stats: async (projectId) => (containers.has(projectId) ? { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0 } : null),
    diskUsage: async (projectId) => (containers.has(projectId) ? { writableBytes: 0, totalBytes: 0 } : null),
    watch: () => () => undefined,
    putArchive: async (projectId) => {
      require(projectId);
    },
    signal: async (projectId) => {
      require(projectId);
    },
    exec: async (projectId) => {
      require(projectId);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    snapshot: async (projectId) => {
      require(projectId);
    },
    removeSnapshot: async () => undefined,
    removeSnapshots: async () => 0,
  };

  return {
    runtime,
    port,
    containers: () => [...containers.keys()],
    close: () =>
      new Promise<void>((resolve) => {
        health.closeAllConnections();
        health.close(() => resolve());
      }),
  };
}
