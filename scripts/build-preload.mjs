// Bundles the preload (preload/index.ts) into one CommonJS file, dist/node/preload/index.cjs (part of
// `npm run build:node`, after tsc has type-checked it).
// Why a bundle: Electron loads a sandboxed preload as CommonJS and lets it `require` only a few modules
// (electron, events, timers, url), so our own modules must be inlined and nothing else may be required.
// The check at the end fails the build if the bundle requires anything else (for example zod, pulled in by a
// non-type import of the contract).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--out <file>` writes elsewhere (the unit test bundles into a temporary folder).
const outIndex = process.argv.indexOf('--out');
const OUT_FILE = outIndex > 0 && process.argv[outIndex + 1] ? path.resolve(process.argv[outIndex + 1]) : path.join(ROOT, 'dist', 'node', 'preload', 'index.cjs');
/** Modules a sandboxed preload may require (Electron docs, "Process Sandboxing"). */
const SANDBOX_MODULES = new Set(['electron', 'events', 'timers', 'url']);

await build({
  entryPoints: [path.join(ROOT, 'preload', 'index.ts')],
  outfile: OUT_FILE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22', // Electron 45 runs Node 22
  external: [...SANDBOX_MODULES],
  sourcemap: 'inline',
  logLevel: 'warning',
  legalComments: 'none',
});

const bundle = readFileSync(OUT_FILE, 'utf8');
const required = [...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
const forbidden = [...new Set(required.filter((name) => !SANDBOX_MODULES.has(name)))];
if (forbidden.length > 0) {
  console.error(`[build-preload] the preload requires ${forbidden.join(', ')}, which a sandboxed preload cannot load. Use \`import type\` for the contract.`);
  process.exit(1);
}
console.log(`[build-preload] wrote ${path.relative(ROOT, OUT_FILE) || OUT_FILE} (${bundle.length} bytes)`);
