// `npm run dist [-- <electron-builder options>]`: builds an installable package of the desktop app for this OS
// (electron-builder.yml: AppImage and deb on Linux, dmg on macOS, NSIS on Windows) into release/.
// Needs internet access: electron-builder downloads Electron and its installer tools, and the native modules are
// rebuilt for Electron and afterwards fetched/rebuilt again for Node.
// Steps:
// 1. `npm run build` (server, desktop main, preload, dashboard);
// 2. `electron-builder --config electron-builder.yml <options>`; with `npmRebuild: true` it rebuilds
//    better-sqlite3 and argon2 for Electron's ABI *in this checkout's node_modules* (the app folder is the
//    project folder) and packs them;
// 3. always, even when step 2 failed: switches better-sqlite3 back to plain Node (`npm rebuild better-sqlite3`:
//    it is built against V8's ABI, which differs between Node and Electron; argon2 is an N-API module whose
//    binary loads in both), then checks that both load under Node, so `npm test` and `npm run serve` keep
//    working after a package build.
// `--dry-run` prints the commands instead of running them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const builderArgs = args.filter((arg) => arg !== '--dry-run');
const isWindows = process.platform === 'win32';
const npm = isWindows ? 'npm.cmd' : 'npm';
const npx = isWindows ? 'npx.cmd' : 'npx';
/** Native modules whose binary is tied to one runtime's ABI (not N-API), so electron-builder's rebuild must be undone. */
const ABI_SPECIFIC_MODULES = ['better-sqlite3'];
const LOAD_CHECK = "const D=require('better-sqlite3');new D(':memory:').close();require('argon2');";

/** Runs a command in the checkout (npm/npx need a shell on Windows; node itself never does). */
function run(command, commandArgs, shell = isWindows) {
  console.log(`[xares] ${command} ${commandArgs.join(' ')}`);
  if (dryRun) return 0;
  const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit', shell });
  return result.status ?? 1;
}

if (run(npm, ['run', '--silent', 'build']) !== 0) {
  console.error('[xares] the build failed; no package was made.');
  process.exit(1);
}
const packaged = run(npx, ['electron-builder', '--config', 'electron-builder.yml', ...builderArgs]);

console.log('[xares] switching the native modules back to plain Node (for npm test / npm run serve)...');
const restored = run(npm, ['rebuild', ...ABI_SPECIFIC_MODULES]) === 0 && run(process.execPath, ['-e', LOAD_CHECK], false) === 0;
if (!restored) {
  console.error(`[xares] the native modules do not load under Node now; run \`npm rebuild ${ABI_SPECIFIC_MODULES.join(" ")}\` with internet access.`);
}

if (packaged !== 0) {
  console.error('[xares] electron-builder failed; see the messages above.');
  process.exit(packaged);
}
console.log('[xares] packages are in release/.');
process.exit(restored ? 0 : 1);
