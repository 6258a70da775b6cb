// Human-readable uptime, sizes and percentages as the contract shows them.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent, formatUptime } from '../../server/services/format.js';

describe('format', () => {
  it('formats uptimes like the contract (4h 15m, 2d 14h 22m)', () => {
    expect(formatUptime(0)).toBe('0m');
    expect(formatUptime(59_999)).toBe('0m');
    expect(formatUptime(3 * 60_000)).toBe('3m');
    expect(formatUptime((4 * 60 + 15) * 60_000)).toBe('4h 15m');
    expect(formatUptime(((2 * 24 + 14) * 60 + 22) * 60_000)).toBe('2d 14h 22m');
    expect(formatUptime(-5)).toBe('0m');
  });
  it('formats sizes with 1024 steps and one decimal', () => {
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(1024)).toBe('1.0KB');
    expect(formatBytes(1.2 * 1024 ** 3)).toBe('1.2GB');
    expect(formatBytes(45 * 1024 ** 3, true)).toBe('45.0 GB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3072.0TB');
  });
  it('formats percentages with one decimal', () => {
    expect(formatPercent(0.8)).toBe('0.8%');
    expect(formatPercent(123.456)).toBe('123.5%');
    expect(formatPercent(Number.NaN)).toBe('0.0%');
  });
});
