import type { DockerState, ImageState } from '../contract/index.js';
import type { EventBus } from '../events/event-bus.js';

/**
 * The engine and image state the dashboard shows in its banner (contract `DockerState`, `ImageState`).
 * Every change is published on the bus as a `docker` or `image` event; unchanged values are not re-published.
 */
export class SystemState {
  private dockerState: DockerState = { available: false, version: null, error: 'Not checked yet' };
  private imageState: ImageState;

  constructor(
    private readonly bus: EventBus,
    imageTag: string,
  ) {
    this.imageState = { tag: imageTag, state: 'unknown', progress: 0, message: 'Not checked yet' };
  }

  get docker(): DockerState {
    return { ...this.dockerState };
  }

  get image(): ImageState {
    return { ...this.imageState };
  }

  setDocker(next: DockerState): void {
    const prev = this.dockerState;
    if (prev.available === next.available && prev.version === next.version && prev.error === next.error) return;
    this.dockerState = { ...next };
    this.bus.publish({ type: 'docker', docker: this.docker });
  }

  setImage(next: Partial<ImageState>): void {
    const merged: ImageState = { ...this.imageState, ...next, progress: Math.min(1, Math.max(0, next.progress ?? this.imageState.progress)) };
    const prev = this.imageState;
    if (prev.tag === merged.tag && prev.state === merged.state && prev.progress === merged.progress && prev.message === merged.message) return;
    this.imageState = merged;
    this.bus.publish({ type: 'image', image: this.image });
  }
}
