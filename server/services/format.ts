/**
 * Human-readable durations and sizes as the contract shows them (api-reference "Get Project Details",
 * "Health Check", "Workspace Statistics"); sizes use 1024 steps with one decimal (behaviour.md "Disk usage").
 */

/** `2d 14h 22m`, `4h 15m`, `3m`, `0m` from milliseconds (rounded down to minutes; zero leading units dropped). */
export function formatUptime(ms: number): string {
  const totalMinutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  return `${minutes}m`;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** `512B`, `1.2GB`, `45.0GB`… with 1024 steps and one decimal above bytes; `space` puts a blank before the unit. */
export function formatBytes(bytes: number, space = false): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = unit === 0 ? String(Math.round(value)) : value.toFixed(1);
  return `${number}${space ? ' ' : ''}${UNITS[unit]}`;
}

/** `0.8%` from a percentage number (one decimal). */
export function formatPercent(percent: number): string {
  return `${(Number.isFinite(percent) ? percent : 0).toFixed(1)}%`;
}
