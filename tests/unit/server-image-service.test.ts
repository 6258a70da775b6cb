// Image readiness rules: creates are refused with 503 while the image is missing or being built (with the
// percentage), and go through once it is there.
import type Docker from 'dockerode';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../server/events/event-bus.js';
import { ImageService, resolveWorkspaceImageTag } from '../../server/services/image-service.js';
import { ServiceError } from '../../server/services/service-error.js';
import { SystemState } from '../../server/services/system-state.js';
import type { ServerEvent } from '../../server/contract/index.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';

function setup(images: string[], engineUp = true) {
  const bus = new EventBus();
  const events: ServerEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const state = new SystemState(bus, 'xares/workspace:test');
  const runtimeState = { images: new Set(images), engineUp };
  const service = new ImageService({
    tag: 'xares/workspace:test',
    resourcesDir: '/nonexistent',
    buildIfMissing: false,
    runtime: createFakeRuntime(runtimeState),
    docker: {} as Docker,
    state,
    logger: pino({ level: 'silent' }),
  });
  return { service, state, runtimeState, events };
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return error as ServiceError;
  }
  throw new Error('expected a refusal');
}

describe('ImageService', () => {
  it('refuses with 503 and the percentage while building', async () => {
    const { service, state } = setup([]);
    state.setImage({ state: 'building', progress: 0.426, message: 'Step 17/40' });
    const error = await refusal(service.requireReady());
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/being built \(42%\)/);
  });

  it('refuses a missing image when building is off, and accepts one that appeared since', async () => {
    const { service, runtimeState, state } = setup([]);
    await service.check();
    expect(state.image.state).toBe('error');
    expect((await refusal(service.requireReady())).message).toMatch(/missing/);
    runtimeState.images.add('xares/workspace:test');
    await expect(service.requireReady()).resolves.toBeUndefined();
    expect(state.image).toMatchObject({ state: 'present', progress: 1 });
  });

  it('reports an unreachable engine as 503 and publishes image state changes once', async () => {
    const { service, events, state } = setup(['xares/workspace:test'], false);
    expect((await refusal(service.requireReady())).message).toMatch(/Docker/);
    const down = setup(['xares/workspace:test']);
    await down.service.check();
    await down.service.check();
    expect(down.events.filter((e) => e.type === 'image')).toHaveLength(1);
    expect(state.image.state).toBe('unknown');
    expect(events).toEqual([]);
  });

  it('falls back to a fixed tag when resources has no image.json', () => {
    expect(resolveWorkspaceImageTag('mine:1', '/nonexistent')).toBe('mine:1');
    expect(resolveWorkspaceImageTag(undefined, '/nonexistent')).toBe('xares/workspace:latest');
  });
});
