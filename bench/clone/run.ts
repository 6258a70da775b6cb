// Clone benchmark (issue 4 "Benchmarks"): wall time until 10 clones of a running workspace all answer, once
// through our API (`POST /api/projects/:id/clone`, until every clone is `running` in `GET /api/projects/`) and
// once as a shell baseline in the same run doing the minimum by hand (`docker commit` of the same source, then
// `docker run -d` of 10 containers from that image on 127.0.0.1 ports, waiting until each answers HTTP
// `/healthz`). Prints both times, the ratio and the goal (API ≤ 1.3× baseline), and writes
// bench/clone/last-result.json.
//
// Run: npm run bench:clone   (options: --count <n> (10) --rounds <n> (1) --image <tag>)
// Needs a Docker engine and the workspace image (`npm run images`). Everything it makes is labelled with a
// bench instance id and removed at the end, also on failure.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer, type XaresAppServer } from '../../server/app.js';
import type { ProjectSummary } from '../../server/contract/index.js';
import { readWorkspaceImageSpec } from '../../server/images/image-builder.js';
import { CODE_SERVER_PORT, LABEL_INSTANCE, LABEL_MANAGED, LABEL_PROJECT_ID } from '../../server/runtime/workspace-runtime.js';
import { CLONE_PARALLELISM } from '../../server/services/cloning.js';
import { argument, positiveInt } from '../cli-args.js';

const execFileAsync = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
/** Goal of the issue: cloning through the API takes at most this many times the hand-made baseline. */
const GOAL_RATIO = 1.3;
/** How long one batch may take before the bench gives up (ms). */
const BATCH_TIMEOUT_MS = 300_000;


async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Milliseconds as seconds with two decimals. */
const ms = (value: number) => `${(value / 1000).toFixed(2)} s`;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when `http://127.0.0.1:<port>/healthz` answers 200 within 2 s. */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Polls until `probe` is true (every 100 ms) or throws after {@link BATCH_TIMEOUT_MS}. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + BATCH_TIMEOUT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

interface Api {
  call<T = any>(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: T }>;
}

function apiOf(server: XaresAppServer): Api {
  return {
    async call(method, apiPath, body) {
      const response = await fetch(`${server.url}${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
  };
}

async function projects(api: Api): Promise<ProjectSummary[]> {
  return (await api.call<{ projects: ProjectSummary[] }>('GET', '/api/projects/')).body.projects;
}

/** Our API: one clone request, then until every clone is `running`. Deletes the clones afterwards. Returns ms. */
async function viaApi(api: Api, sourceId: string, count: number): Promise<number> {
  // The baseline's `docker commit` paused the source outside the app; it is `running` again once code-server answers.
  await until(async () => (await projects(api)).find((p) => p.id === sourceId)?.status === 'running', 'the source to run');
  const started = performance.now();
  const reply = await api.call('POST', `/api/projects/${sourceId}/clone`, { count });
  if (reply.status !== 202) throw new Error(`clone request failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  const accepted = performance.now() - started;
  const ids = new Set<string>(reply.body.clones.map((c: { projectId: string }) => c.projectId));
  const runningAt = new Map<string, number>();
  const startingAt = new Map<string, number>();
  await until(async () => {
    const list = (await projects(api)).filter((p) => ids.has(p.id));
    const failed = list.find((p) => p.status === 'error');
    if (failed) throw new Error(`clone ${failed.name} failed: ${failed.statusReason}`);
    for (const p of list) {
      if (p.status === 'running' && !runningAt.has(p.id)) runningAt.set(p.id, performance.now() - started);
      if ((p.progress === 'starting' || p.status === 'running') && !startingAt.has(p.id)) startingAt.set(p.id, performance.now() - started);
    }
    return list.length === ids.size && list.every((p) => p.status === 'running');
  }, 'clones to be running');
  const elapsed = performance.now() - started;
  const times = [...runningAt.values()].sort((a, b) => a - b);
  const starts = [...startingAt.values()].sort((a, b) => a - b);
  console.log(`  API: 202 after ${ms(accepted)}, containers started ${ms(starts[0]!)}–${ms(starts.at(-1)!)}, first running ${ms(times[0]!)}, last ${ms(times.at(-1)!)}`);
  for (const id of ids) await api.call('DELETE', `/api/projects/${id}`, {});
  return elapsed;
}

/** By hand: `docker commit`, `docker run -d` ×count on 127.0.0.1 ports, until each answers. Removes all afterwards. Returns ms. */
async function baseline(sourceId: string, count: number, labels: string[]): Promise<number> {
  const tag = `xares-bench-baseline:${randomBytes(4).toString('hex')}`;
  const names = Array.from({ length: count }, (_, i) => `xares-bench-${randomBytes(3).toString('hex')}-${i}`);
  const started = performance.now();
  try {
    await docker('commit', `workspace-${sourceId}`, tag);
    const committed = performance.now() - started;
    const answeredAt: number[] = [];
    await Promise.all(names.map((name) => docker('run', '-d', '--name', name, ...labels.flatMap((l) => ['--label', l]), '-p', `127.0.0.1::${CODE_SERVER_PORT}`, tag)));
    const ran = performance.now() - started;
    await Promise.all(
      names.map(async (name) => {
        const port = Number((await docker('port', name, `${CODE_SERVER_PORT}/tcp`)).split('\n')[0]!.split(':').pop());
        await until(() => healthy(port), `${name} to answer`);
        answeredAt.push(performance.now() - started);
      }),
    );
    console.log(`  baseline: committed after ${ms(committed)}, all run after ${ms(ran)}, first answer ${ms(answeredAt[0]!)}, last ${ms(answeredAt.at(-1)!)}`);
    return performance.now() - started;
  } finally {
    await docker('rm', '-f', ...names).catch(() => undefined);
    await docker('rmi', '-f', tag).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const count = positiveInt(argument('count'), 10, 50);
  const rounds = positiveInt(argument('rounds'), 1, 10);
  const image = argument('image') ?? process.env['XARES_WORKSPACE_IMAGE'] ?? readWorkspaceImageSpec(path.join(ROOT, 'resources')).tag;
  const instanceId = `bench-${randomBytes(5).toString('hex')}`;
  const label = `${LABEL_INSTANCE}=${instanceId}`;
  // The baseline's containers inherit the source's labels from the committed image; these override them, so
  // our server does not take them for the source's container.
  const baselineLabels = [`${LABEL_MANAGED}=false`, `${LABEL_PROJECT_ID}=baseline`, `${LABEL_INSTANCE}=${instanceId}-baseline`];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'xares-bench-clone-'));
  console.log(`clone bench: ${count} clones, ${rounds} round(s), image ${image}, ${os.cpus().length} CPUs, CLONE_PARALLELISM ${CLONE_PARALLELISM}`);
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    instanceId,
    workspaceImage: image,
    buildImageIfMissing: false,
    maxWorkspaces: count + 1,
    maxConcurrentWorkspaces: count + 1,
    logLevel: 'warn',
  });
  const api = apiOf(server);
  const results: Array<{ round: number; apiMs: number; baselineMs: number }> = [];
  try {
    const created = await api.call('POST', '/api/projects/create', { projectName: 'Bench Source', projectType: 'python-flask', passwordProtected: false });
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
    const sourceId: string = created.body.project.id;
    await until(async () => (await projects(api)).find((p) => p.id === sourceId)?.status === 'running', 'the source to run');
    for (let round = 1; round <= rounds; round += 1) {
      // Alternate the order so neither side always runs on the warmer engine.
      const apiFirst = round % 2 === 0;
      let apiMs = 0;
      let baselineMs = 0;
      if (apiFirst) apiMs = await viaApi(api, sourceId, count);
      baselineMs = await baseline(sourceId, count, baselineLabels);
      if (!apiFirst) apiMs = await viaApi(api, sourceId, count);
      results.push({ round, apiMs, baselineMs });
      console.log(`round ${round}: API ${(apiMs / 1000).toFixed(2)} s, baseline ${(baselineMs / 1000).toFixed(2)} s, ratio ${(apiMs / baselineMs).toFixed(2)}×`);
    }
  } finally {
    await server.close().catch(() => undefined);
    for (const filter of [label, baselineLabels[2]!]) {
      const left = await docker('ps', '-aq', '--filter', `label=${filter}`).catch(() => '');
      if (left) await docker('rm', '-f', ...left.split('\n')).catch(() => undefined);
    }
    const images = await docker('images', '-q', '--filter', `label=${label}`).catch(() => '');
    if (images) await docker('rmi', '-f', ...new Set(images.split('\n'))).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const apiMs = median(results.map((r) => r.apiMs));
  const baselineMs = median(results.map((r) => r.baselineMs));
  const ratio = apiMs / baselineMs;
  console.log('');
  console.log(`median of ${results.length} round(s)`);
  console.log(`API (POST clone → all running):         ${(apiMs / 1000).toFixed(2)} s`);
  console.log(`baseline (docker commit + run, healthz): ${(baselineMs / 1000).toFixed(2)} s`);
  console.log(`ratio: ${ratio.toFixed(2)}× (goal ≤ ${GOAL_RATIO}×) ${ratio <= GOAL_RATIO ? 'OK' : 'MISSED'}`);
  writeFileSync(
    path.join(HERE, 'last-result.json'),
    `${JSON.stringify({ date: new Date().toISOString(), count, rounds, cpus: os.cpus().length, parallelism: CLONE_PARALLELISM, image, results, apiMs, baselineMs, ratio, goal: GOAL_RATIO }, null, 2)}\n`,
  );
  if (ratio > GOAL_RATIO) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
