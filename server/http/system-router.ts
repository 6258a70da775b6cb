import { statfsSync } from 'node:fs';
import os from 'node:os';
import { Router } from 'express';
import type { ServerConfig } from '../config.js';
import {
  AuthExchangeRequest,
  type AuthExchangeResponse,
  type ConfigResponse,
  type HealthResponse,
  type LimitsResponse,
  type StatsResponse,
  type SystemStatusResponse,
} from '../contract/index.js';
import { formatBytes, formatUptime } from '../services/format.js';
import type { ProjectsService } from '../services/projects-service.js';
import { ServiceError } from '../services/service-error.js';
import type { SystemState } from '../services/system-state.js';
import type { AdminAuth, RateLimiter } from './auth.js';
import { parseOrThrow } from './errors.js';

export interface SystemRouterOptions {
  config: ServerConfig;
  version: string;
  startedAt: number;
  projects: ProjectsService;
  state: SystemState;
  imageTag: string;
  dashboardUrl(): string;
  /** The Git server's state for `config.gitServer` (issue #7); absent: disabled. */
  gitServer?: () => { enabled: boolean; reachable: boolean; url: string | null; version: string | null };
}

/** `GET /api/health` (api-reference "Health Check"), public. */
export function healthRouter(version: string, startedAt: number): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const body: HealthResponse = { status: 'ok', timestamp: new Date().toISOString(), version, uptime: formatUptime(Date.now() - startedAt) };
    res.json(body);
  });
  return router;
}

/** `POST /api/auth/exchange` (ours), public and rate-limited: a one-time sign-in code for the admin token. */
export function authRouter(auth: AdminAuth, limiter: RateLimiter): Router {
  const router = Router();
  router.post('/auth/exchange', (req, res) => {
    if (!limiter.allow(req.socket.remoteAddress ?? 'unknown')) {
      throw new ServiceError('RATE_LIMITED', 'Too many sign-in attempts; wait a minute and try again');
    }
    const { code } = parseOrThrow(AuthExchangeRequest, req.body ?? {});
    const token = auth.exchange(code);
    if (!token) throw new ServiceError('UNAUTHORIZED', 'This sign-in link is not valid (it works once, for 15 minutes)');
    const body: AuthExchangeResponse = { success: true, token };
    res.json(body);
  });
  return router;
}

/** Max memory as the contract writes it: whole GiB as `4GB`, else MiB as `1536MB`. */
function formatMegabytes(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}GB` : `${mb}MB`;
}

/**
 * `config.gitServer`: enabled = usable now (same as the `gitServer` feature); url/version as last checked
 * (url also while unreachable, so the dashboard can show which server is meant).
 */
function gitServerConfig(usable: boolean, status: { enabled: boolean; url: string | null; version: string | null } | undefined): ConfigResponse['config']['gitServer'] {
  if (!status?.enabled) return { enabled: false, url: null, version: null };
  return { enabled: usable, url: status.url, version: usable ? status.version : null };
}

/** Admin-only system routes: config, limits, stats, system status. */
export function systemRouter(options: SystemRouterOptions): Router {
  const { config, projects, state } = options;
  const router = Router();

  router.get('/config', (_req, res) => {
    // Same source as the create validation, so what is reported available is what create accepts.
    const capabilities = projects.capabilities();
    const body: ConfigResponse = {
      success: true,
      config: {
        platform: 'Xares Desktop',
        version: options.version,
        baseDomain: config.baseDomain,
        workspaceImage: options.imageTag,
        features: {
          gitServer: capabilities.gitServer,
          passwordProtection: true,
          multipleTemplates: true,
          securityProxy: capabilities.securityProxy,
          loggingProxy: capabilities.loggingProxy,
        },
        limits: {
          maxWorkspacesPerUser: config.maxWorkspaces,
          maxConcurrentWorkspaces: config.maxConcurrentWorkspaces,
          workspaceTimeout: 0,
          maxMemoryPerWorkspace: formatMegabytes(config.memoryPerWorkspaceMB),
          maxCPUPerWorkspace: config.cpuPerWorkspace,
          enableResourceLimits: config.enableResourceLimits,
        },
        gitServer: gitServerConfig(capabilities.gitServer, options.gitServer?.()),
      },
    };
    res.json(body);
  });

  router.get('/limits', (_req, res) => {
    const body: LimitsResponse = {
      maxConcurrentWorkspaces: config.maxConcurrentWorkspaces,
      cpuPerWorkspace: config.cpuPerWorkspace,
      memoryPerWorkspaceMB: config.memoryPerWorkspaceMB,
      enableResourceLimits: config.enableResourceLimits,
    };
    res.json(body);
  });

  router.get('/workspace/stats', (_req, res) => {
    const counts = projects.counts();
    const cores = os.cpus().length || 1;
    const total = os.totalmem();
    let diskUsage = 'unknown';
    try {
      const fs = statfsSync(config.dataDir);
      const diskTotal = fs.blocks * fs.bsize;
      diskUsage = `${formatBytes(diskTotal - fs.bfree * fs.bsize)} / ${formatBytes(diskTotal)}`;
    } catch {
      // statfs unsupported here: say unknown.
    }
    const body: StatsResponse = {
      success: true,
      stats: {
        totalWorkspaces: counts.total,
        runningWorkspaces: counts.running,
        stoppedWorkspaces: counts.stopped,
        creatingWorkspaces: counts.creating,
        errorWorkspaces: counts.error,
        // No participant accounts yet (workshop claims arrive with issue #4).
        totalUsers: 0,
        systemResources: {
          totalMemory: formatBytes(total),
          usedMemory: formatBytes(total - os.freemem()),
          totalCPU: `${cores} cores`,
          // One-minute load average, capped at the core count (0 on Windows, where it is not available).
          usedCPU: `${Math.min(os.loadavg()[0] ?? 0, cores).toFixed(1)} cores`,
          diskUsage,
        },
      },
    };
    res.json(body);
  });

  router.get('/system/status', (_req, res) => {
    const body: SystemStatusResponse = { success: true, docker: state.docker, image: state.image, dashboardUrl: options.dashboardUrl() };
    res.json(body);
  });

  return router;
}
