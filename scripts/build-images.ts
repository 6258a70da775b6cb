/**
 * Builds our images if their tags are missing: the workspace image (resources/images/workspace/image.json),
 * then the squid proxy image (resources/images/squid/image.json) and the mitmproxy image
 * (resources/images/mitmproxy/image.json), printing a line per Dockerfile step with a
 * percentage. Cached by tag: a second run only checks and exits.
 *
 *   npx tsx scripts/build-images.ts                     build if missing
 *   npx tsx scripts/build-images.ts --print-hash        print the workspace context hash for image.json, then exit
 *   npx tsx scripts/build-images.ts --print-hash squid  the same for the squid image
 *   npx tsx scripts/build-images.ts --print-hash mitmproxy  the same for the mitmproxy image (also: netguard)
 *
 * Environment: XARES_WORKSPACE_IMAGE (tag to build instead of image.json's), DOCKER_HOST (Docker's own).
 * Builds FROM the local debootstrap base when present (scripts/make-base-image.sh), which also turns off
 * Aider (it needs PyPI). Exit code 1 with the build's own error on failure.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import {
  chooseBaseImage,
  defaultBuildArgs,
  ensureWorkspaceImage,
  readWorkspaceImageSpec,
} from '../server/images/image-builder.js';
import { computeContextHash, workspaceContextDir } from '../server/images/image-context.js';
import { ensureProxyImage, PROXY_IMAGE_NAMES, proxyImageContextDir } from '../server/images/proxy-images.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');

async function main(): Promise<void> {
  const printHash = process.argv.indexOf('--print-hash');
  if (printHash >= 0) {
    const which = process.argv[printHash + 1] ?? 'workspace';
    const contextDirs: Record<string, string> = {
      workspace: workspaceContextDir(resourcesDir),
      ...Object.fromEntries(PROXY_IMAGE_NAMES.map((name) => [name, proxyImageContextDir(resourcesDir, name)])),
    };
    const contextDir = contextDirs[which];
    if (!contextDir) throw new Error(`--print-hash takes ${Object.keys(contextDirs).join(', ')}, not ${which}`);
    console.log(computeContextHash(contextDir));
    return;
  }
  const spec = readWorkspaceImageSpec(resourcesDir);
  const tag = process.env.XARES_WORKSPACE_IMAGE || spec.tag;
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`The Docker engine is not reachable (${(error as Error).message}); start dockerd first`);
  }
  const baseImage = await chooseBaseImage(docker);
  let started = Date.now();
  let lastPercent = -1;
  const onProgress = ({ progress, message }: { progress: number; message: string }): void => {
    const percent = Math.floor(progress * 100);
    // One line per step: the percentage moves at each step; other build output is not echoed.
    if (percent !== lastPercent || message.startsWith('Building') || message.startsWith('Built')) {
      lastPercent = percent;
      console.log(`[images] ${String(percent).padStart(3)}% ${message}`);
    }
  };
  const report = (built: boolean, builtTag: string): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(built ? `[images] built ${builtTag} in ${seconds}s` : `[images] ${builtTag} already present (checked in ${seconds}s)`);
  };
  const result = await ensureWorkspaceImage(docker, { resourcesDir, tag, baseImage, buildArgs: defaultBuildArgs(baseImage), onProgress });
  report(result.built, tag);

  for (const name of PROXY_IMAGE_NAMES) {
    started = Date.now();
    lastPercent = -1;
    const built = await ensureProxyImage(docker, name, { resourcesDir, baseImage, buildArgs: { BASE_IMAGE: baseImage }, onProgress });
    report(built.built, built.tag);
  }
}

main().catch((error: unknown) => {
  console.error(`[images] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
