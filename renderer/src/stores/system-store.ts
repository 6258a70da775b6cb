import { create } from 'zustand';
import type { ConfigFeatures, DockerState, ImageState, LimitsResponse } from '../../../server/contract/index.js';
import type { ConnectionState } from '../api/event-stream.js';

export interface SystemState {
  /** Docker engine reachability; `null` until the server reported it. */
  docker: DockerState | null;
  /** Workspace image state (building with progress on first start). */
  image: ImageState | null;
  /** `GET /api/limits`; `null` until loaded. */
  limits: LimitsResponse | null;
  /** Why loading the limits failed, if it did (the create dialog shows it and offers a retry). */
  limitsError: string | null;
  /**
   * `features` of `GET /api/config` (which optional services exist); `null` until loaded or when loading failed,
   * in which case the create dialog offers every option and lets the server decide.
   */
  features: ConfigFeatures | null;
  /** The live event stream. */
  connection: ConnectionState;
  setLimits(limits: LimitsResponse): void;
  setLimitsError(message: string | null): void;
  setFeatures(features: ConfigFeatures | null): void;
  setConnection(connection: ConnectionState): void;
  reset(): void;
}

const initial = { docker: null, image: null, limits: null, limitsError: null, features: null, connection: { phase: 'connecting' } as ConnectionState };

/** Engine, image, limits, server features and connection state. */
export const useSystemStore = create<SystemState>()((set) => ({
  ...initial,
  setLimits(limits) {
    set({ limits, limitsError: null });
  },
  setLimitsError(limitsError) {
    set({ limitsError });
  },
  setFeatures(features) {
    set({ features });
  },
  setConnection(connection) {
    set({ connection });
  },
  reset() {
    set(initial);
  },
}));
