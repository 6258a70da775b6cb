import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { chooseBaseImage, ensureWorkspaceImage, readWorkspaceImageSpec } from '../images/image-builder.js';
import type { WorkspaceRuntime } from '../runtime/workspace-runtime.js';
import { RuntimeUnavailableError } from '../runtime/workspace-runtime.js';
import { ServiceError } from './service-error.js';
import type { SystemState } from './system-state.js';

/** Tag used when neither the config nor `resources/images/workspace/image.json` names one. */
export const FALLBACK_WORKSPACE_IMAGE = 'xares/workspace:latest';

/**
 * Tag of the workspace image: `config.workspaceImage`, else the `tag` field of
 * `<resourcesDir>/images/workspace/image.json`, else `FALLBACK_WORKSPACE_IMAGE`.
 */
export function resolveWorkspaceImageTag(configured: string | undefined, resourcesDir: string): string {
  if (configured) return configured;
  try {
    return readWorkspaceImageSpec(resourcesDir).tag;
  } catch {
    // No (valid) spec file: use the fallback.
    return FALLBACK_WORKSPACE_IMAGE;
  }
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
  private readonly abort = new AbortController();

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
    try {
      const baseImage = await chooseBaseImage(docker);
      let lastLogged = -1;
      await ensureWorkspaceImage(docker, {
        resourcesDir,
        tag,
        baseImage,
        signal: this.abort.signal,
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
      if (this.closed) return;
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
    if (this.options.buildIfMissing && !this.closed) {
      // A failed or never-started build gets another attempt when someone actually needs the image.
      void this.check();
      throw new ServiceError('SERVICE_UNAVAILABLE', `The workspace image ${tag} is missing; building it now (0%). Try again when it is ready.`);
    }
    throw new ServiceError('SERVICE_UNAVAILABLE', `The workspace image ${tag} is missing${image.state === 'error' ? `: ${image.message}` : ''}`);
  }

  /** Aborts a build in progress (the engine stops it; its cached layers make the next attempt quick). Idempotent. */
  close(): void {
    this.closed = true;
    this.abort.abort(new Error('The server is shutting down'));
  }
}
