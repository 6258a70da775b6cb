// Claim benchmark (issue #4 "Benchmarks"): <claims> participants claim at the same moment against <seats> free
// seats of the real backend on loopback, each on its own TCP connection (as separate laptops would). Measures
// per-claim latency (request start to full response) and checks every answer: errors (anything but 200 while
// seats suffice), and double assignments (two participants given the same seat, in the answers or in the
// claims the server then lists). Seats are released between rounds; warm-up rounds are reported but not
// counted. Each round also measures a baseline on the same connections (GET /api/workshop/status).
// Goals: no errors, no double assignment, p99 under 100 ms. Writes bench/claim/last-result.json.
//
// Run: npm run bench:claim   (options: --seats <n> --claims <n> --rounds <n> --warmup <n>, defaults 200, 200,
// 5, 2; --connections open|fresh, default open: see ConnectionMode; --profile <dir> writes a V8 CPU profile of
// the server process there)
// No Docker needed: the seats "run" on the fake seat runtime (see claim-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argument, positiveInt } from '../cli-args.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const P99_GOAL_MS = 100;


interface Reply {
  status: number;
  body: string;
  ms: number;
}

/**
 * One request, timed from the call to the last byte: on a fresh connection (`agent` false: the connection
 * set-up is part of the time) or on the participant's own open keep-alive connection.
 */
function request(port: number, method: string, urlPath: string, headers: Record<string, string>, body?: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: { host: `localhost:${port}`, ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: elapsed() }));
        res.on('error', () => resolve({ status: 0, body: '', ms: elapsed() }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '', ms: elapsed() }));
    req.end(body);
  });
}

function average(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : known.reduce((sum, value) => sum + value, 0) / known.length;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** CPU time a process has used so far, in µs (Linux /proc; null elsewhere). Clock ticks are 100 Hz on Linux. */
function processCpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** 1-minute load average per core: above 1 the machine was busy with more than this benchmark. */
function loadPerCore(): number {
  return os.loadavg()[0]! / os.cpus().length;
}

function startClaimServer(seats: number, token: string, profileDir: string | undefined): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(HERE, 'claim-server.ts'), String(seats)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, XARES_ADMIN_TOKEN: token },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /READY (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`claim server exited early (code ${code})`)));
  });
}

interface Round {
  round: number;
  warmup: boolean;
  claims: number;
  ok: number;
  errors: number;
  /** Status codes of the errors (status 0: connection failed). */
  errorStatuses: Record<string, number>;
  /** Seats handed to more than one participant in the answers, plus duplicate seats among the listed claims. */
  doubleAssignments: number;
  /** Active claims the server lists after the round. */
  activeClaimsListed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  wallMs: number;
  /** Server CPU time per claim during the burst (µs; null where /proc is missing): independent of other load. */
  serverCpuMicrosPerClaim: number | null;
  /** 1-minute load average per core when the round ended. */
  loadPerCore: number;
  /**
   * Baseline of the same round: as many concurrent `GET /api/workshop/status` (public, no database write) on
   * the same kind of connections: what HTTP alone costs on this machine right now.
   */
  baseline: { p50Ms: number; p99Ms: number; serverCpuMicrosPerRequest: number | null };
}

/**
 * How participants connect: `open` (default) — each has its own keep-alive connection, opened when the join
 * page loaded (one `GET /api/workshop/status` first, as the page does), and claims on it, like a browser;
 * `fresh` — each claim opens a new TCP connection, so its set-up counts too.
 */
type ConnectionMode = 'open' | 'fresh';

async function runRound(
  port: number,
  serverPid: number | undefined,
  token: string,
  round: number,
  claims: number,
  warmup: boolean,
  mode: ConnectionMode,
): Promise<{ round: Round; latencies: number[] }> {
  const agents: (http.Agent | false)[] = Array.from({ length: claims }, () => (mode === 'open' ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false));
  if (mode === 'open') {
    const pages = await Promise.all(agents.map((agent) => request(port, 'GET', '/api/workshop/status', {}, undefined, agent)));
    if (pages.some((reply) => reply.status !== 200)) throw new Error('GET /api/workshop/status failed while opening the participants\' connections');
  }
  const cpuBefore = processCpuMicros(serverPid);
  const started = process.hrtime.bigint();
  const replies = await Promise.all(
    Array.from({ length: claims }, (_, i) =>
      request(
        port,
        'POST',
        '/api/workshop/claim',
        { 'content-type': 'application/json', 'accept-language': i % 2 === 0 ? 'de-DE,de;q=0.9' : 'en-US' },
        JSON.stringify({ name: `Participant ${round}-${i}`, email: `r${round}.p${i}@example.org` }),
        agents[i],
      ),
    ),
  );
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpuAfter = processCpuMicros(serverPid);
  const latencies = replies.map((reply) => reply.ms).sort((a, b) => a - b);
  const errorStatuses: Record<string, number> = {};
  const seatsGiven = new Map<string, number>();
  for (const reply of replies) {
    if (reply.status !== 200) {
      errorStatuses[String(reply.status)] = (errorStatuses[String(reply.status)] ?? 0) + 1;
      continue;
    }
    const url = (JSON.parse(reply.body) as { workspaceUrl: string }).workspaceUrl;
    seatsGiven.set(url, (seatsGiven.get(url) ?? 0) + 1);
  }
  const ok = replies.filter((reply) => reply.status === 200).length;
  let doubles = [...seatsGiven.values()].reduce((sum, count) => sum + (count - 1), 0);

  const listed = await request(port, 'GET', '/api/workshop/claims', { authorization: `Bearer ${token}` });
  if (listed.status !== 200) throw new Error(`GET /api/workshop/claims answered ${listed.status}`);
  const active = (JSON.parse(listed.body) as { claims: { projectId: string }[] }).claims;
  doubles += active.length - new Set(active.map((claim) => claim.projectId)).size;

  const baseCpuBefore = processCpuMicros(serverPid);
  const base = await Promise.all(agents.map((agent) => request(port, 'GET', '/api/workshop/status', {}, undefined, agent)));
  for (const agent of agents) if (agent) agent.destroy();
  const baseCpuAfter = processCpuMicros(serverPid);
  if (base.some((reply) => reply.status !== 200)) throw new Error('GET /api/workshop/status failed during the baseline');
  const baseLatencies = base.map((reply) => reply.ms).sort((a, b) => a - b);

  // Free every seat for the next round (ten releases at a time).
  const ids = active.map((claim) => claim.projectId);
  for (let start = 0; start < ids.length; start += 10) {
    const released = await Promise.all(
      ids.slice(start, start + 10).map((id) => request(port, 'POST', `/api/workshop/claims/${id}/release`, { authorization: `Bearer ${token}` })),
    );
    const failed = released.find((reply) => reply.status !== 200);
    if (failed) throw new Error(`release answered ${failed.status}: ${failed.body}`);
  }

  return {
    latencies,
    round: {
      round,
      warmup,
      claims,
      ok,
      errors: claims - ok,
      errorStatuses,
      doubleAssignments: doubles,
      activeClaimsListed: active.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      wallMs,
      serverCpuMicrosPerClaim: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / claims,
      loadPerCore: loadPerCore(),
      baseline: {
        p50Ms: percentile(baseLatencies, 50),
        p99Ms: percentile(baseLatencies, 99),
        serverCpuMicrosPerRequest: baseCpuBefore === null || baseCpuAfter === null ? null : (baseCpuAfter - baseCpuBefore) / claims,
      },
    },
  };
}

async function main(): Promise<void> {
  const seats = positiveInt(argument('seats'), 200, 1000);
  const claims = positiveInt(argument('claims'), 200, 1000);
  const rounds = positiveInt(argument('rounds'), 5, 100);
  const warmups = positiveInt(argument('warmup'), 2, 20);
  const mode = (argument('connections') ?? 'open') as ConnectionMode;
  if (mode !== 'open' && mode !== 'fresh') throw new Error('--connections must be open or fresh');
  if (claims > seats) throw new Error('--claims must not exceed --seats (every claim is expected to get a seat)');
  const token = randomBytes(32).toString('base64url');
  console.log(
    `claim benchmark: ${claims} concurrent claims against ${seats} seats, ${warmups} warm-up + ${rounds} rounds, loopback, ` +
      `${mode === 'open' ? 'each participant on its own open connection' : 'a new connection per claim'}`,
  );
  const { child, port } = await startClaimServer(seats, token, argument('profile'));
  const results: Round[] = [];
  const measured: number[] = [];
  try {
    for (let round = 1 - warmups; round <= rounds; round += 1) {
      const { round: result, latencies } = await runRound(port, child.pid, token, round, claims, round <= 0, mode);
      results.push(result);
      if (!result.warmup) measured.push(...latencies);
      console.log(
        `${result.warmup ? 'warm-up ' : `round ${round}  `} ok ${result.ok}/${claims}  errors ${result.errors}${result.errors ? ` ${JSON.stringify(result.errorStatuses)}` : ''}  ` +
          `double ${result.doubleAssignments}  p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  max ${result.maxMs.toFixed(1)} ms  ` +
          `(all in ${result.wallMs.toFixed(0)} ms; server CPU ${result.serverCpuMicrosPerClaim?.toFixed(0) ?? '?'} µs/claim; load/core ${result.loadPerCore.toFixed(1)})` +
          ` | baseline GET status: p50 ${result.baseline.p50Ms.toFixed(1)} ms, p99 ${result.baseline.p99Ms.toFixed(1)} ms, ${result.baseline.serverCpuMicrosPerRequest?.toFixed(0) ?? '?'} µs/request`,
      );
    }
  } finally {
    child.stdin?.end();
    child.kill('SIGTERM');
  }
  measured.sort((a, b) => a - b);
  const counted = results.filter((result) => !result.warmup);
  const summary = {
    claims: measured.length,
    errors: counted.reduce((sum, result) => sum + result.errors, 0),
    doubleAssignments: counted.reduce((sum, result) => sum + result.doubleAssignments, 0),
    p50Ms: percentile(measured, 50),
    p99Ms: percentile(measured, 99),
    maxMs: measured.at(-1) ?? Number.NaN,
    serverCpuMicrosPerClaim: average(counted.map((result) => result.serverCpuMicrosPerClaim)),
    loadPerCore: average(counted.map((result) => result.loadPerCore)),
    baselineP50Ms: average(counted.map((result) => result.baseline.p50Ms)),
    baselineP99Ms: average(counted.map((result) => result.baseline.p99Ms)),
    baselineServerCpuMicrosPerRequest: average(counted.map((result) => result.baseline.serverCpuMicrosPerRequest)),
  };
  const goalsMet = summary.errors === 0 && summary.doubleAssignments === 0 && summary.p99Ms < P99_GOAL_MS;
  const report = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { seats, claims, rounds, warmups, connections: mode },
    goals: { errors: 0, doubleAssignments: 0, p99BelowMs: P99_GOAL_MS },
    summary,
    goalsMet,
    rounds: results,
  };
  writeFileSync(path.join(HERE, 'last-result.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\n${summary.claims} measured claims: p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms, max ${summary.maxMs.toFixed(1)} ms, ` +
      `errors ${summary.errors}, double assignments ${summary.doubleAssignments} → ${goalsMet ? 'goals met' : 'GOAL MISSED'}`,
  );
  console.log(
    `baseline (same connections, GET /api/workshop/status): p50 ${summary.baselineP50Ms?.toFixed(1)} ms, p99 ${summary.baselineP99Ms?.toFixed(1)} ms (mean of rounds), ` +
      `${summary.baselineServerCpuMicrosPerRequest?.toFixed(0) ?? '?'} µs server CPU per request`,
  );
  console.log(`server CPU ${summary.serverCpuMicrosPerClaim?.toFixed(0) ?? '?'} µs per claim; load per core ${summary.loadPerCore?.toFixed(1)}${(summary.loadPerCore ?? 0) > 1 ? ' (machine busy with other work: latencies are inflated)' : ''}`);
  console.log(`written ${path.relative(ROOT, path.join(HERE, 'last-result.json'))}`);
  if (!goalsMet) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
