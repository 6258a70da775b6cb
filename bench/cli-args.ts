/**
 * Command-line helpers shared by the benchmarks under bench/ (`--name value` arguments).
 */

/** The value after `--<name>` on the command line, or undefined when the flag is absent. */
export function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

/**
 * `text` as a whole number from 1 to `max`, or `fallback` when `text` is undefined.
 * @throws Error naming the allowed range for anything else.
 */
export function positiveInt(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`expected a whole number 1–${max}, got ${text}`);
  return value;
}
