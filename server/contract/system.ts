import { z } from 'zod';

/** `GET /api/health` (api-reference "Health Check"); public. `uptime` like `2d 14h 22m`. */
export const HealthResponse = z.object({
  status: z.literal('ok'),
  timestamp: z.string(),
  version: z.string(),
  uptime: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** `GET /api/limits` (api-reference "Resource Limits Configuration"): the configured values, unwrapped. */
export const LimitsResponse = z.object({
  maxConcurrentWorkspaces: z.number().int(),
  cpuPerWorkspace: z.number(),
  memoryPerWorkspaceMB: z.number().int(),
  enableResourceLimits: z.boolean(),
});
export type LimitsResponse = z.infer<typeof LimitsResponse>;

/** `GET /api/config` (api-reference "System Configuration"). */
export const ConfigResponse = z.object({
  success: z.literal(true),
  config: z.object({
    platform: z.string(),
    version: z.string(),
    baseDomain: z.string(),
    workspaceImage: z.string(),
    features: z.object({
      gitServer: z.boolean(),
      passwordProtection: z.boolean(),
      multipleTemplates: z.boolean(),
      /** Ours: the Security Proxy is available, so create accepts `proxyMode: "security"`. */
      securityProxy: z.boolean(),
      /** Ours: the LLM Logging Proxy is available, so create accepts `proxyMode: "logging"`. */
      loggingProxy: z.boolean(),
    }),
    limits: z.object({
      maxWorkspacesPerUser: z.number().int(),
      maxConcurrentWorkspaces: z.number().int(),
      workspaceTimeout: z.number().int(),
      maxMemoryPerWorkspace: z.string(),
      maxCPUPerWorkspace: z.number(),
      enableResourceLimits: z.boolean(),
    }),
    gitServer: z.object({ enabled: z.boolean(), url: z.string().nullable(), version: z.string().nullable() }),
  }),
});
export type ConfigResponse = z.infer<typeof ConfigResponse>;
/** The `features` block of `GET /api/config`: which optional services the server has now. */
export type ConfigFeatures = ConfigResponse['config']['features'];

/** `GET /api/workspace/stats` (api-reference "Workspace Statistics"). */
export const StatsResponse = z.object({
  success: z.literal(true),
  stats: z.object({
    totalWorkspaces: z.number().int(),
    runningWorkspaces: z.number().int(),
    stoppedWorkspaces: z.number().int(),
    creatingWorkspaces: z.number().int(),
    errorWorkspaces: z.number().int(),
    totalUsers: z.number().int(),
    systemResources: z.object({
      totalMemory: z.string(),
      usedMemory: z.string(),
      totalCPU: z.string(),
      usedCPU: z.string(),
      diskUsage: z.string(),
    }),
  }),
});
export type StatsResponse = z.infer<typeof StatsResponse>;

/** State of the workspace image: missing images are built on first start with progress (0..1). */
export const ImageState = z.object({
  tag: z.string(),
  state: z.enum(['unknown', 'present', 'building', 'error']),
  /** 0..1 while building. */
  progress: z.number().min(0).max(1),
  message: z.string(),
});
export type ImageState = z.infer<typeof ImageState>;

/** Docker engine reachability as the server last saw it. */
export const DockerState = z.object({
  available: z.boolean(),
  version: z.string().nullable(),
  error: z.string().nullable(),
});
export type DockerState = z.infer<typeof DockerState>;

/** `GET /api/system/status` (ours): engine and image state for the dashboard's banner. */
export const SystemStatusResponse = z.object({
  success: z.literal(true),
  docker: DockerState,
  image: ImageState,
  dashboardUrl: z.string(),
});
export type SystemStatusResponse = z.infer<typeof SystemStatusResponse>;

/** `POST /api/auth/exchange` (ours, public): trade a one-time sign-in code for the admin token. */
export const AuthExchangeRequest = z.object({ code: z.string().min(1).max(200) });
export type AuthExchangeRequest = z.infer<typeof AuthExchangeRequest>;
export const AuthExchangeResponse = z.object({ success: z.literal(true), token: z.string() });
export type AuthExchangeResponse = z.infer<typeof AuthExchangeResponse>;
