import { CpuCores, MEMORY_LIMIT_MB, MemoryLimit } from '../contract/index.js';
import type { ServerConfig } from '../config.js';

/** The contract's defaults for a create request that names no resources (api-reference "Create Project"). */
export const CONTRACT_DEFAULT_MEMORY: MemoryLimit = '2g';
export const CONTRACT_DEFAULT_CORES: CpuCores = '2';

/**
 * Memory and cores a workspace gets when the create request leaves them out: the contract's defaults (2g, 2),
 * lowered to the largest allowed choice within the configured maxima, so that a request naming no resources
 * is never refused for a value the client did not send. Falls back to the smallest choice when none fits
 * (the create validation then names the configured maximum).
 */
export function defaultResources(config: Pick<ServerConfig, 'enableResourceLimits' | 'memoryPerWorkspaceMB' | 'cpuPerWorkspace'>): {
  memoryLimit: MemoryLimit;
  cpuCores: CpuCores;
} {
  if (!config.enableResourceLimits) return { memoryLimit: CONTRACT_DEFAULT_MEMORY, cpuCores: CONTRACT_DEFAULT_CORES };
  const memoryChoices = MemoryLimit.options.filter((m) => MEMORY_LIMIT_MB[m] <= Math.min(config.memoryPerWorkspaceMB, MEMORY_LIMIT_MB[CONTRACT_DEFAULT_MEMORY]));
  const coreChoices = CpuCores.options.filter((c) => Number(c) <= Math.min(config.cpuPerWorkspace, Number(CONTRACT_DEFAULT_CORES)));
  return {
    memoryLimit: memoryChoices.at(-1) ?? '1g',
    cpuCores: coreChoices.at(-1) ?? '1',
  };
}

/**
 * Replaces the schema's defaults by {@link defaultResources} for the fields the raw request body did not name.
 * @param raw the request body as received (before parsing).
 */
export function withDefaultResources<T extends { memoryLimit: MemoryLimit; cpuCores: CpuCores }>(
  request: T,
  raw: unknown,
  config: Pick<ServerConfig, 'enableResourceLimits' | 'memoryPerWorkspaceMB' | 'cpuPerWorkspace'>,
): T {
  const sent = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const defaults = defaultResources(config);
  return {
    ...request,
    memoryLimit: sent['memoryLimit'] === undefined ? defaults.memoryLimit : request.memoryLimit,
    cpuCores: sent['cpuCores'] === undefined ? defaults.cpuCores : request.cpuCores,
  };
}
