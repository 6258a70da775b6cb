// Runs the whole suite (unit, integration on the real engine, e2e in Chromium) and ends with the plain
// "N passed, N failed" line that CI reads. Extra arguments go to vitest (e.g. `npm test -- --project unit`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const outDir = mkdtempSync(path.join(tmpdir(), 'xares-test-'));
const outFile = path.join(outDir, 'results.json');
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${outFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = null;
try {
  summary = JSON.parse(readFileSync(outFile, 'utf8'));
} catch {
  // vitest died before writing results; the exit code below says so.
}
rmSync(outDir, { recursive: true, force: true });
if (summary) {
  const skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
  console.log(`\n${summary.numPassedTests} passed, ${summary.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
}
process.exit(result.status ?? 1);
