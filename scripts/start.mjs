// `npm start` (desktop app when possible) and `npm run serve` (`--headless`: always the plain server).
// 1. Builds the app first when dist/ is incomplete (`npm run build`).
// 2. Opens the Electron app when not `--headless`, a display is there and an Electron binary runs; otherwise
//    prints one line saying why and runs the same server headless (dist/node/server/cli.js) in this terminal.
// Either way the child inherits the terminal, gets a stop request (SIGINT/SIGTERM) passed on, and its exit code
// becomes ours.
// Other arguments are passed on to the child.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const headlessFlag = args.includes('--headless');
const passOn = args.filter((arg) => arg !== '--headless');

/** Files a complete build has (Node code, preload bundle, dashboard). */
const BUILD_OUTPUTS = [
  'dist/node/server/cli.js',
  'dist/node/main/index.js',
  'dist/node/main/launch-mode.js',
  'dist/node/preload/index.cjs',
  'dist/renderer/index.html',
];

const missing = BUILD_OUTPUTS.filter((file) => !existsSync(path.join(ROOT, file)));
if (missing.length > 0) {
  console.log(`[xares] building the app first (missing ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''})...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    console.error('[xares] the build failed; see the messages above.');
    process.exit(build.status ?? 1);
  }
}

const { decideLaunchMode, hasDisplay, probeElectron } = await import(pathToFileURL(path.join(ROOT, 'dist/node/main/launch-mode.js')).href);
const launch = decideLaunchMode({
  headlessFlag,
  display: hasDisplay(process.platform, process.env),
  probe: () => probeElectron(process.env),
});

let command;
let commandArgs;
const env = { ...process.env };
if (launch.mode === 'desktop') {
  delete env.ELECTRON_RUN_AS_NODE; // would make Electron behave as plain Node
  command = launch.electron;
  commandArgs = [ROOT, ...passOn];
  // Chromium refuses to start as root unless its own sandbox is off (containers, CI); say so instead of failing.
  if (process.platform === 'linux' && process.getuid?.() === 0 && !passOn.includes('--no-sandbox')) {
    console.log('[xares] running as root: starting Electron with --no-sandbox.');
    commandArgs.push('--no-sandbox');
  }
} else {
  if (!headlessFlag) console.log(`[xares] ${launch.reason}; running headless.`);
  command = process.execPath;
  commandArgs = [path.join(ROOT, 'dist/node/server/cli.js'), ...passOn];
}

const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: 'inherit' });
child.on('error', (error) => {
  console.error(`[xares] could not start ${command}: ${error.message}`);
  process.exit(1);
});

// Pass a stop request on once, as SIGTERM. On Ctrl+C the terminal has already sent SIGINT to the child too (same
// process group); the server CLI handles each signal once and a second SIGINT would kill it mid-shutdown, while its
// SIGTERM handler treats a repeat as the same stop. When only this process is signalled (`kill <pid>`), the
// SIGTERM starts the child's clean stop. Further signals are not passed on: a second Ctrl+C reaches the child
// directly and ends it at once, the usual escape from a stop that hangs.
let forwarded = false;
const stopChild = () => {
  if (forwarded || child.exitCode !== null) return;
  forwarded = true;
  child.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stopChild);

// `kill <pid of npm start>` ends npm without passing the signal on; we are then re-parented. Treat losing the
// parent that started us like a stop request, so no server is left holding the port.
const startedBy = process.ppid;
setInterval(() => {
  if (process.ppid !== startedBy) stopChild();
}, 500).unref();

child.on('exit', (code, signal) => {
  // A child killed by a signal: exit as a shell would report it (128 + signal number).
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
