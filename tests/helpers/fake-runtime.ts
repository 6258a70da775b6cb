/**
 * A `WorkspaceRuntime` stand-in for unit tests of states the real engine cannot be put into on demand
 * (an image that stays "building", an engine that fails one call). Only `hasImage` and `ping` have behaviour;
 * everything else throws so a test notices when it is reached.
 */
import { RuntimeUnavailableError, type WorkspaceRuntime } from '../../server/runtime/workspace-runtime.js';

export interface FakeRuntimeState {
  images: Set<string>;
  engineUp: boolean;
}

export function createFakeRuntime(state: FakeRuntimeState): WorkspaceRuntime {
  const unreachable = () => new RuntimeUnavailableError('fake engine is down');
  const notHere = (name: string) => () => Promise.reject(new Error(`fake runtime: ${name} is not implemented`));
  return {
    ping: async () => {
      if (!state.engineUp) throw unreachable();
      return 'fake-1.0';
    },
    hasImage: async (tag: string) => {
      if (!state.engineUp) throw unreachable();
      return state.images.has(tag);
    },
    create: notHere('create'),
    start: notHere('start'),
    stop: notHere('stop'),
    remove: notHere('remove'),
    inspect: notHere('inspect'),
    list: notHere('list'),
    stats: notHere('stats'),
    putArchive: notHere('putArchive'),
    exec: notHere('exec'),
    signal: notHere('signal'),
    diskUsage: notHere('diskUsage'),
    snapshot: notHere('snapshot'),
    removeSnapshot: notHere('removeSnapshot'),
    removeSnapshots: notHere('removeSnapshots'),
    watch: () => () => undefined,
  };
}
