/**
 * vitest globalSetup of the integration and e2e projects: makes sure the real Docker engine answers and the
 * real workspace image exists before any test runs, so `npm test` works on its own.
 *
 * Image tag: `XARES_WORKSPACE_IMAGE`, else the tag in resources/images/workspace/image.json. When the tag is
 * missing it is built with `ensureWorkspaceImage` (progress on the console; ~10 minutes cold on 2 cores).
 * Any failure stops the run with a message that says what to do.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureWorkspaceImage, imageExists, readWorkspaceImageSpec } from '../../server/images/image-builder.js';

const resourcesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources');

/** Checks the engine and the workspace image; builds the image when missing. */
export default async function setup(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `Integration and e2e tests need a running Docker engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}, ` +
        `default /var/run/docker.sock): ${(error as Error).message}. Start dockerd (bash .ci/run does it) and retry.`,
    );
  }
  const tag = process.env.XARES_WORKSPACE_IMAGE || readWorkspaceImageSpec(resourcesDir).tag;
  if (await imageExists(docker, tag)) return;
  if (process.env.XARES_WORKSPACE_IMAGE) {
    throw new Error(`XARES_WORKSPACE_IMAGE=${tag} is not on the engine; build or load it, or unset the variable to use our own image.`);
  }
  console.log(`[global-setup] workspace image ${tag} is missing: building it (npm run images does the same)`);
  let lastPercent = -1;
  try {
    await ensureWorkspaceImage(docker, {
      resourcesDir,
      tag,
      onProgress: ({ progress, message }) => {
        const percent = Math.floor(progress * 100);
        if (percent === lastPercent) return;
        lastPercent = percent;
        console.log(`[global-setup] ${String(percent).padStart(3)}% ${message}`);
      },
    });
  } catch (error) {
    throw new Error(
      `Could not build the workspace image ${tag}: ${(error as Error).message}\n` +
        'On a machine without a container registry, run `bash scripts/make-base-image.sh` first (needs debootstrap), then `npm run images`.',
    );
  }
}
