import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import envPaths from 'env-paths';
import { z } from 'zod';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * Root folder of the app: the nearest ancestor of this file that holds our package.json. Works from `server/`
 * (tsx, vitest), from `dist/node/server/` (built) and inside a packaged app (`app.asar/`).
 */
export const APP_ROOT: string = findAppRoot(HERE);

function findAppRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..');
    dir = parent;
  }
}

/** `resources/` of a checkout (a packaged app passes its own `resourcesDir`). */
export const DEFAULT_RESOURCES_DIR: string = path.join(APP_ROOT, 'resources');

/** The built dashboard (Vite output, `npm run build:renderer`). */
export const DEFAULT_RENDERER_DIR: string = path.join(APP_ROOT, 'dist', 'renderer');

/** Default data directory: the OS's per-user app data folder (env-paths: XDG on Linux, Application Support on macOS, AppData on Windows). */
export function defaultDataDir(): string {
  return envPaths('xares-desktop', { suffix: '' }).data;
}

const boolFromEnv = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const numberFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** A DNS name of labels (letters, digits, hyphens) separated by dots, e.g. `localhost` or `ws.example.org`. */
const BaseDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a DNS name like localhost or ws.example.org');

/**
 * Name or IP address under which participants on other machines reach this one (`XARES_PUBLIC_HOST`): a DNS
 * name (`lab-pc.local`), an IPv4 or an IPv6 address (without brackets).
 */
const PublicHost = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.union([BaseDomain, z.ipv4(), z.ipv6()], { error: 'must be a host name or an IP address like 192.168.1.20' }));

/**
 * The validated configuration of one server instance. Units: `memoryPerWorkspaceMB` in MiB, `cpuPerWorkspace`
 * in cores, ports as TCP ports.
 */
export const ServerConfig = z.object({
  /** TCP port of the HTTP server; 0 picks a free one (tests). Default 8080 (issue #2). */
  port: z.number().int().min(0).max(65535).default(8080),
  /** Interface to listen on; undefined means all interfaces (IPv4 and IPv6). */
  host: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(() => defaultDataDir()),
  baseDomain: BaseDomain.default('localhost'),
  /**
   * Host name or IP under which participants reach this machine (issue #4 "LAN access"); used in the join URL
   * and accepted by the HostGuard. Undefined: the join URL uses the detected LAN IPv4 address.
   */
  publicHost: PublicHost.optional(),
  /** When set, the admin credential; otherwise one is generated at first start and kept in the data dir (0600). */
  adminToken: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
  /** Tag of the workspace image to run; undefined means our own image (see resources/images/workspace/image.json). */
  workspaceImage: z.string().min(1).optional(),
  /**
   * Image of the managed Git server (issue #7); undefined means the official Forgejo image
   * (server/git/managed-git-server.ts DEFAULT_FORGEJO_IMAGE). For a mirror or a pinned release.
   */
  gitServerImage: z.string().min(1).optional(),
  /** Max simultaneously running workspaces (api-reference "Resource Limits Configuration"). */
  maxConcurrentWorkspaces: z.number().int().min(1).max(1000).default(40),
  /** Max workspaces in total (running or not); 409 WORKSPACE_LIMIT_EXCEEDED above it. */
  maxWorkspaces: z.number().int().min(1).max(5000).default(200),
  /** Max cores a workspace may get. */
  cpuPerWorkspace: z.number().min(0.1).max(256).default(4),
  /** Max memory a workspace may get, MiB. */
  memoryPerWorkspaceMB: z.number().int().min(256).max(1024 * 1024).default(8192),
  /** When false, containers run without memory/CPU/pids limits. */
  enableResourceLimits: z.boolean().default(true),
  /** Group open for registration at first start (issue #4). */
  workshopGroup: z.string().trim().max(50).optional(),
  /** Docker endpoint (`unix:///var/run/docker.sock`, `tcp://host:2375`); undefined uses dockerode's default (DOCKER_HOST or the local socket). */
  dockerHost: z.string().min(1).optional(),
  /** Where images/ and templates/ live. */
  resourcesDir: z.string().min(1).default(DEFAULT_RESOURCES_DIR),
  /** Folder of the built dashboard served at `/admin/`. */
  rendererDir: z.string().min(1).default(DEFAULT_RENDERER_DIR),
  /** Build the workspace image from resources/ when it is missing. */
  buildImageIfMissing: z.boolean().default(true),
  /** Name that tells this instance's containers apart from another instance's on the same engine (tests). */
  instanceId: z.string().regex(/^[a-z0-9-]{1,40}$/).default('default'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServerConfig = z.output<typeof ServerConfig>;
export type ServerConfigInput = z.input<typeof ServerConfig>;

/** Thrown by `configFromEnv` with one line per bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Environment variables we read, and how each maps onto `ServerConfig` (documented in README.md). */
const ENV_SCHEMA = {
  XARES_PORT: ['port', intFromEnv(0, 65535)],
  XARES_HOST: ['host', z.string().trim().min(1, 'must not be empty')],
  XARES_DATA_DIR: ['dataDir', z.string().trim().min(1, 'must not be empty')],
  BASE_DOMAIN: ['baseDomain', BaseDomain],
  XARES_PUBLIC_HOST: ['publicHost', PublicHost],
  XARES_ADMIN_TOKEN: ['adminToken', z.string().min(16, 'must be at least 16 characters')],
  XARES_WORKSPACE_IMAGE: ['workspaceImage', z.string().trim().regex(/^[a-z0-9][a-z0-9._\/:@-]*$/i, 'must be an image reference like xares/workspace:1')],
  XARES_GIT_SERVER_IMAGE: ['gitServerImage', z.string().trim().regex(/^[a-z0-9][a-z0-9._\/:@-]*$/i, 'must be an image reference like codeberg.org/forgejo/forgejo:16')],
  MAX_CONCURRENT_WORKSPACES: ['maxConcurrentWorkspaces', intFromEnv(1, 1000)],
  MAX_WORKSPACES: ['maxWorkspaces', intFromEnv(1, 5000)],
  CPU_PER_WORKSPACE: ['cpuPerWorkspace', numberFromEnv(0.1, 256)],
  MEMORY_PER_WORKSPACE_MB: ['memoryPerWorkspaceMB', intFromEnv(256, 1024 * 1024)],
  ENABLE_RESOURCE_LIMITS: ['enableResourceLimits', boolFromEnv],
  WORKSHOP_GROUP: ['workshopGroup', z.string().trim().max(50, 'must be at most 50 characters')],
  DOCKER_HOST: ['dockerHost', z.string().trim().regex(/^(unix|tcp|npipe|http|https):\/\//, 'must start with unix://, tcp://, npipe://, http:// or https://')],
  XARES_LOG_LEVEL: ['logLevel', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])],
} as const;

/**
 * Reads and validates the configuration from environment variables (empty values count as unset).
 * @throws ConfigError naming every bad variable and why.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: ServerConfigInput = {}): ServerConfig {
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [name, [key, schema]] of Object.entries(ENV_SCHEMA)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (parsed.success) input[key] = parsed.data;
    else problems.push(`${name}=${JSON.stringify(name === 'XARES_ADMIN_TOKEN' ? '***' : raw)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parseConfig({ ...input, ...overrides });
}

/**
 * Validates a configuration object (defaults applied).
 * @throws ConfigError naming every bad field.
 */
export function parseConfig(input: ServerConfigInput): ServerConfig {
  const parsed = ServerConfig.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`));
  }
  return parsed.data;
}
