// Part of `npm install`: compiles the Node code (server, desktop main, preload) and builds the dashboard,
// so that `npm start` right after works without a separate build step.
import { spawnSync } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
console.log('[xares] building the app (TypeScript and dashboard)...');
const result = spawnSync(npm, ['run', '--silent', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  console.error('[xares] build failed; see the messages above. Fix them and run `npm run build`.');
  process.exit(result.status ?? 1);
}
console.log('[xares] build done. Start with `npm start`.');
