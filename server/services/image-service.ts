import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { WorkspaceRuntime } from '../runtime/workspace-runtime.js';
import { RuntimeUnavailableError } from '../runtime/workspace-runtime.js';
import { ServiceError } from './service-error.js';
import type { SystemState } from './system-state.js';

/** Tag used when neither the config nor `resources/images/workspace/image.json` names one. */
export const FALLBACK_WORKSPACE_IMAGE = 'xares/workspace:latest';

/** The parts of `server/images/image-builder.ts` we call (written alongside; loaded lazily). */
interface ImageBuilderModule {
  readWorkspaceImageSpec(resourcesDir: string): { tag: string; buildArgs?: Record<string, string> } & Record<string, unknown>;
  chooseBaseImage(docker: Docker): Promise<string | null | undefined> | string | null | undefined;
  ensureWorkspaceImage(
    docker: Docker,
    options: {
      resourcesDir: string;
      tag: string;
      baseImage?: string;
      buildArgs?: Record<string, string>;
      onProgress?: (update: { progress: number; message: string }) => void;
    },
  ): Promise<unknown>;
}

async function loadBuilder(): Promise<ImageBuilderModule | null> {
  const specifier = '../images/image-builder.js';
  try {
    return (await import(specifier)) as ImageBuilderModule;
  } catch {
    return null;
  }
}

/**
 * Tag of the workspace image: `config.workspaceImage`, else the `tag` field of
 * `<resourcesDir>/images/workspace/image.json`, else `FALLBACK_WORKSPACE_IMAGE`.
 */
export function resolveWorkspaceImageTag(configured: string | undefined, resourcesDir: string): string {
  if (configured) return configured;
  try {
    const spec = JSON.parse(readFileSync(path.join(resourcesDir, 'images', 'workspace', 'image.json'), 'utf8')) as { tag?: unknown };
    if (typeof spec.tag === 'string' && spec.tag.length > 0) return spec.tag;
  } catch {
    // No spec file: use the fallback.
  }
  return FALLBACK_WORKSPACE_IMAGE;
}

export interface ImageServiceOptions {
  tag: string;
  resourcesDir: string;
  buildIfMissing: boolean;
  runtime: WorkspaceRuntime;
  /** Dockerode client without request timeout, for builds. */
  docker: Docker;
  state: SystemState;
  logger: Logger;
}

/**
 * Makes sure the workspace image exists: checks when the engine becomes available and, when missing and
 * allowed, builds it in the background from `resources/` (progress → `image` events and log lines).
 */
export class ImageService {
  private building: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: ImageServiceOptions) {}

  get tag(): string {
    return this.options.tag;
  }

  /** Called whenever the engine (re)appears: re-checks the image and starts a build when needed. */
  async check(): Promise<void> {
    if (this.closed || this.building) return;
    const { runtime, state, tag } = this.options;
    let present: boolean;
    try {
      present = await runtime.hasImage(tag);
    } catch (error) {
      if (!(error instanceof RuntimeUnavailableError)) this.options.logger.warn({ err: error }, 'could not check the workspace image');
      return;
    }
    if (present) {
      state.setImage({ state: 'present', progress: 1, message: `Image ${tag} is ready` });
      return;
    }
    if (!this.options.buildIfMissing) {
      state.setImage({ state: 'error', progress: 0, message: `Image ${tag} is missing and building it is turned off` });
      return;
    }
    this.building = this.build().finally(() => {
      this.building = null;
    });
  }

  private async build(): Promise<void> {
    const { state, tag, logger, docker, resourcesDir } = this.options;
    state.setImage({ state: 'building', progress: 0, message: `Building image ${tag}` });
    logger.info({ tag }, 'workspace image missing: building it');
    const builder = await loadBuilder();
    if (!builder) {
      state.setImage({ state: 'error', progress: 0, message: 'The image builder is not available in this build' });
      return;
    }
    try {
      let buildArgs: Record<string, string> | undefined;
      try {
        buildArgs = builder.readWorkspaceImageSpec(resourcesDir).buildArgs;
      } catch {
        buildArgs = undefined;
      }
      const baseImage = (await builder.chooseBaseImage(docker)) ?? undefined;
      let lastLogged = -1;
      await builder.ensureWorkspaceImage(docker, {
        resourcesDir,
        tag,
        ...(baseImage ? { baseImage } : {}),
        ...(buildArgs ? { buildArgs } : {}),
        onProgress: ({ progress, message }) => {
          if (this.closed) return;
          state.setImage({ state: 'building', progress, message });
          const percent = Math.floor(progress * 100);
          if (percent !== lastLogged) {
            lastLogged = percent;
            logger.info({ tag, percent }, message);
          }
        },
      });
      if (this.closed) return;
      const present = await this.options.runtime.hasImage(tag);
      state.setImage(
        present
          ? { state: 'present', progress: 1, message: `Image ${tag} is ready` }
          : { state: 'error', progress: 0, message: `The build finished but image ${tag} is not there` },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ tag, err: message }, 'workspace image build failed');
      state.setImage({ state: 'error', progress: 0, message: `Image build failed: ${message}` });
    }
  }

  /**
   * Throws a 503 ServiceError unless the image is present (checked live when the cached state is not
   * `present`, so an image built or loaded by hand is picked up).
   */
  async requireReady(): Promise<void> {
    const { state, runtime, tag } = this.options;
    const image = state.image;
    if (image.state === 'present') return;
    if (image.state === 'building') {
      throw new ServiceError('SERVICE_UNAVAILABLE', `The workspace image is being built (${Math.floor(image.progress * 100)}%). Try again when it is ready.`);
    }
    let present = false;
    try {
      present = await runtime.hasImage(tag);
    } catch (error) {
      if (error instanceof RuntimeUnavailableError) throw new ServiceError('SERVICE_UNAVAILABLE', 'Docker is not available');
      throw error;
    }
    if (present) {
      state.setImage({ state: 'present', progress: 1, message: `Image ${tag} is ready` });
      return;
    }
    throw new ServiceError('SERVICE_UNAVAILABLE', `The workspace image ${tag} is missing${image.state === 'error' ? `: ${image.message}` : ''}`);
  }

  /** Stops reporting build progress (a running build is left to finish in the engine). */
  close(): void {
    this.closed = true;
  }
}
