// Router benchmark (issue #2 "Benchmark"): requests/s and p99 latency against a real code-server container,
// once directly on its published loopback port and once through the workspace router, with the same
// autocannon settings, on `/healthz` and on one static asset. Prints both, the ratios and the goals
// (router ≥ 0.8× direct throughput, p99 < 2× direct), and writes bench/router/last-result.json.
//
// Run: npx tsx bench/router/run.ts   (options: --duration <s> --connections <n> --rounds <n> --image <tag>)
// Needs a Docker engine and the workspace image (tag from --image, XARES_WORKSPACE_IMAGE or
// resources/images/workspace/image.json; `npm run images` builds it). Loopback only; the container is labelled and removed at the end.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { readWorkspaceImageSpec } from '../../server/images/image-builder.js';
import { CODE_SERVER_PORT } from '../../server/runtime/workspace-runtime.js';
import { argument, positiveInt } from '../cli-args.js';

const execFileAsync = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Direct/router pairs per path. */
  rounds: number;
  image: string;
}


/** Workspace image tag: --image, else XARES_WORKSPACE_IMAGE, else resources/images/workspace/image.json. */
function imageTag(): string {
  const explicit = argument('image') ?? process.env.XARES_WORKSPACE_IMAGE;
  if (explicit) return explicit;
  return readWorkspaceImageSpec(path.join(ROOT, 'resources')).tag;
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function get(port: number, urlPath: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: host ? { host } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

async function waitForHealthz(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await get(port, '/healthz').then(
      (reply) => reply.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('code-server did not answer /healthz in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A small static file code-server serves from the workbench page: the first stylesheet or icon it links
 * (code-server puts a commit-specific prefix in these URLs, so it is read from the page, not hard-coded).
 */
async function findStaticAsset(port: number): Promise<string> {
  const page = await get(port, '/');
  const html = page.status === 200 ? page.body : (await get(port, '/?folder=/workspace')).body;
  const links = [...html.matchAll(/(?:href|src)="([^"]+\.(?:css|svg|png|ico|json))"/g)].map((match) => match[1] ?? '');
  for (const link of links) {
    const resolved = new URL(link.replaceAll('&amp;', '&'), 'http://x/').pathname;
    const reply = await get(port, resolved);
    if (reply.status === 200) return resolved;
  }
  throw new Error('no static asset found on the workbench page');
}

function startRouterServer(projectId: string, upstreamPort: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'router-server.ts'), projectId, String(upstreamPort)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /LISTENING (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`router server exited early (code ${code})`)));
  });
}

/** CPU time a process has used so far, in µs (Linux /proc; null elsewhere). Clock ticks are 100 Hz on Linux. */
function processCpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3 of stat(5), utime 14 and stime 15, so indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** CPU time all processes of a container have used so far, in µs (cgroup v1 or v2 accounting; null if neither). */
function containerCpuMicros(containerId: string): number | null {
  try {
    return Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`, 'utf8')) / 1000;
  } catch {
    // not cgroup v1
  }
  try {
    const stat = readFileSync(`/sys/fs/cgroup/system.slice/docker-${containerId}.scope/cpu.stat`, 'utf8');
    return Number(/usage_usec (\d+)/.exec(stat)?.[1] ?? Number.NaN);
  } catch {
    return null;
  }
}

/** What a run costs in CPU: processes whose CPU time we can read, in µs per request. */
interface CpuSources {
  routerPid?: number;
  containerId: string;
}

interface Measurement {
  /** CPU µs per request of the router process (router runs only) and of the workspace container. */
  routerCpuMicrosPerRequest: number | null;
  workspaceCpuMicrosPerRequest: number | null;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyAverageMs: number;
  totalRequests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function measure(url: string, host: string | undefined, settings: Settings, seconds: number, cpu: CpuSources): Promise<Measurement> {
  const routerBefore = processCpuMicros(cpu.routerPid);
  const workspaceBefore = containerCpuMicros(cpu.containerId);
  const result: Result = await autocannon({
    url,
    connections: settings.connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    ...(host ? { headers: { host } } : {}),
  });
  const routerAfter = processCpuMicros(cpu.routerPid);
  const workspaceAfter = containerCpuMicros(cpu.containerId);
  const perRequest = (before: number | null, after: number | null): number | null =>
    before === null || after === null || result.requests.total === 0 ? null : (after - before) / result.requests.total;
  return {
    routerCpuMicrosPerRequest: perRequest(routerBefore, routerAfter),
    workspaceCpuMicrosPerRequest: perRequest(workspaceBefore, workspaceAfter),
    requestsPerSecond: result.requests.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyAverageMs: result.latency.average,
    totalRequests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

interface Comparison {
  path: string;
  direct: Measurement;
  router: Measurement;
  throughputRatio: number;
  p99Ratio: number;
  throughputGoalMet: boolean;
  p99GoalMet: boolean;
  /** Every single run, in the order measured within its side. */
  rounds: { direct: Measurement[]; router: Measurement[] };
}

/** Means of several runs of one side (requests/s and latencies averaged, counts summed). */
function combine(runs: Measurement[]): Measurement {
  const mean = (pick: (m: Measurement) => number): number => runs.reduce((sum, m) => sum + pick(m), 0) / runs.length;
  const sum = (pick: (m: Measurement) => number): number => runs.reduce((total, m) => total + pick(m), 0);
  const meanOrNull = (pick: (m: Measurement) => number | null): number | null => {
    const values = runs.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  };
  return {
    routerCpuMicrosPerRequest: meanOrNull((m) => m.routerCpuMicrosPerRequest),
    workspaceCpuMicrosPerRequest: meanOrNull((m) => m.workspaceCpuMicrosPerRequest),
    requestsPerSecond: mean((m) => m.requestsPerSecond),
    latencyP50Ms: mean((m) => m.latencyP50Ms),
    latencyP99Ms: mean((m) => m.latencyP99Ms),
    latencyAverageMs: mean((m) => m.latencyAverageMs),
    totalRequests: sum((m) => m.totalRequests),
    errors: sum((m) => m.errors),
    timeouts: sum((m) => m.timeouts),
    non2xx: sum((m) => m.non2xx),
  };
}

const THROUGHPUT_GOAL = 0.8;
const P99_GOAL = 2;

async function main(): Promise<void> {
  const settings: Settings = {
    durationSeconds: positiveInt(argument('duration'), 10, 120),
    warmupSeconds: 2,
    connections: positiveInt(argument('connections'), 16, 1000),
    rounds: positiveInt(argument('rounds'), 2, 10),
    image: imageTag(),
  };
  const instance = `bench-router-${randomBytes(4).toString('hex')}`;
  const projectId = randomBytes(6).toString('hex');
  let containerId = '';
  let routerChild: ChildProcess | undefined;

  const cleanUp = async (): Promise<void> => {
    routerChild?.kill('SIGTERM');
    if (containerId) await docker('rm', '-f', containerId).catch(() => undefined);
    containerId = '';
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  try {
    console.log(
      `image ${settings.image}; ${settings.connections} connections, ${settings.rounds} rounds of ${settings.durationSeconds} s per side and path (+${settings.warmupSeconds} s warm-up); load average ${os.loadavg()[0]?.toFixed(2)}`,
    );
    const loadBefore = os.loadavg();
    containerId = await docker('run', '-d', '--rm', '--label', `xares.instance=${instance}`, '--label', 'xares.bench=router', '-p', `127.0.0.1::${CODE_SERVER_PORT}`, settings.image);
    const mapping = await docker('port', containerId, `${CODE_SERVER_PORT}/tcp`);
    const directPort = Number(/127\.0\.0\.1:(\d+)/.exec(mapping)?.[1]);
    if (!Number.isInteger(directPort)) throw new Error(`unexpected port mapping: ${mapping}`);
    await waitForHealthz(directPort, 60_000);
    const asset = await findStaticAsset(directPort);

    const started = await startRouterServer(projectId, directPort);
    routerChild = started.child;
    const routerHost = `${projectId}.localhost:${started.port}`;
    const check = await get(started.port, '/healthz', routerHost);
    if (check.status !== 200) throw new Error(`router answered ${check.status} for /healthz`);

    const comparisons: Comparison[] = [];
    for (const urlPath of ['/healthz', asset]) {
      const directUrl = `http://127.0.0.1:${directPort}${urlPath}`;
      const routerUrl = `http://127.0.0.1:${started.port}${urlPath}`;
      const directCpu: CpuSources = { containerId };
      const routerCpu: CpuSources = { containerId, ...(started.child.pid === undefined ? {} : { routerPid: started.child.pid }) };
      await measure(directUrl, undefined, settings, settings.warmupSeconds, directCpu);
      await measure(routerUrl, routerHost, settings, settings.warmupSeconds, routerCpu);
      // Rounds in A-B-B-A order, so that drift of a shared machine's load hits both sides alike.
      const directRuns: Measurement[] = [];
      const routerRuns: Measurement[] = [];
      for (let round = 0; round < settings.rounds; round += 1) {
        const order = round % 2 === 0 ? (['direct', 'router'] as const) : (['router', 'direct'] as const);
        for (const side of order) {
          if (side === 'direct') directRuns.push(await measure(directUrl, undefined, settings, settings.durationSeconds, directCpu));
          else routerRuns.push(await measure(routerUrl, routerHost, settings, settings.durationSeconds, routerCpu));
        }
      }
      const direct = combine(directRuns);
      const router = combine(routerRuns);
      const throughputRatio = router.requestsPerSecond / direct.requestsPerSecond;
      const p99Ratio = router.latencyP99Ms / Math.max(direct.latencyP99Ms, 1);
      comparisons.push({
        path: urlPath,
        direct,
        router,
        throughputRatio,
        p99Ratio,
        throughputGoalMet: throughputRatio >= THROUGHPUT_GOAL,
        p99GoalMet: p99Ratio < P99_GOAL,
        rounds: { direct: directRuns, router: routerRuns },
      });
    }

    const report = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
      image: settings.image,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      settings: { connections: settings.connections, rounds: settings.rounds, durationSeconds: settings.durationSeconds, warmupSeconds: settings.warmupSeconds, pipelining: 1 },
      goals: { throughputRatioAtLeast: THROUGHPUT_GOAL, p99RatioBelow: P99_GOAL },
      results: comparisons,
    };
    writeFileSync(path.join(HERE, 'last-result.json'), `${JSON.stringify(report, null, 2)}\n`);

    console.log('');
    console.log('path                                       |  direct req/s  p99 ms |  router req/s  p99 ms | throughput ×  p99 ×');
    for (const c of comparisons) {
      const name = c.path.length > 42 ? `…${c.path.slice(-41)}` : c.path.padEnd(42);
      console.log(
        `${name} | ${c.direct.requestsPerSecond.toFixed(0).padStart(13)} ${c.direct.latencyP99Ms.toFixed(0).padStart(7)} | ` +
          `${c.router.requestsPerSecond.toFixed(0).padStart(13)} ${c.router.latencyP99Ms.toFixed(0).padStart(7)} | ` +
          `${c.throughputRatio.toFixed(2).padStart(11)} ${c.p99Ratio.toFixed(2).padStart(5)}  ` +
          `${c.throughputGoalMet && c.p99GoalMet ? 'goals met' : 'GOAL MISSED'}`,
      );
      const micros = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(0)} µs`);
      console.log(
        `  CPU per request: workspace ${micros(c.direct.workspaceCpuMicrosPerRequest)} direct / ${micros(c.router.workspaceCpuMicrosPerRequest)} routed; router process ${micros(c.router.routerCpuMicrosPerRequest)}`,
      );
      const failures = c.direct.errors + c.direct.non2xx + c.router.errors + c.router.non2xx + c.direct.timeouts + c.router.timeouts;
      if (failures > 0) console.log(`  ! errors/timeouts/non-2xx: direct ${c.direct.errors}/${c.direct.timeouts}/${c.direct.non2xx}, router ${c.router.errors}/${c.router.timeouts}/${c.router.non2xx}`);
    }
    console.log(`\nwritten ${path.relative(ROOT, path.join(HERE, 'last-result.json'))}`);
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
