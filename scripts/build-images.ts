/**
 * Builds the workspace image if its tag (resources/images/workspace/image.json) is missing, printing a line
 * per Dockerfile step with a percentage. Cached by tag: a second run only checks and exits.
 *
 *   npx tsx scripts/build-images.ts               build if missing
 *   npx tsx scripts/build-images.ts --print-hash  print the context hash to put in image.json, then exit
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

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');

async function main(): Promise<void> {
  if (process.argv.includes('--print-hash')) {
    console.log(computeContextHash(workspaceContextDir(resourcesDir)));
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
  const started = Date.now();
  let lastPercent = -1;
  const result = await ensureWorkspaceImage(docker, {
    resourcesDir,
    tag,
    baseImage,
    buildArgs: defaultBuildArgs(baseImage),
    onProgress: ({ progress, message }) => {
      const percent = Math.floor(progress * 100);
      // One line per step: the percentage moves at each step; other build output is not echoed.
      if (percent !== lastPercent || message.startsWith('Building') || message.startsWith('Built')) {
        lastPercent = percent;
        console.log(`[images] ${String(percent).padStart(3)}% ${message}`);
      }
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(result.built ? `[images] built ${tag} in ${seconds}s` : `[images] ${tag} already present (checked in ${seconds}s)`);
}

main().catch((error: unknown) => {
  console.error(`[images] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
