import { create } from 'zustand';
import type { ProjectSummary } from '../../../server/contract/index.js';

/** An action the teacher started on a workspace and whose answer is still outstanding. */
export type PendingAction = 'starting' | 'stopping' | 'deleting';

export interface ProjectsState {
  /** Workspaces by id, as the server last reported them. */
  projects: Readonly<Record<string, ProjectSummary>>;
  /** `true` once a full list arrived. */
  projectsLoaded: boolean;
  /** `true` once the live stream sent its `hello`. */
  helloReceived: boolean;
  /** Outstanding actions by workspace id (buttons show a spinner and are disabled meanwhile). */
  pending: Readonly<Record<string, PendingAction>>;
  /** Error of the first list load, shown instead of the table. */
  loadError: string | null;
  setPending(projectId: string, action: PendingAction | null): void;
  setLoadError(message: string | null): void;
  reset(): void;
}

const initial = { projects: {}, projectsLoaded: false, helloReceived: false, pending: {}, loadError: null };

/** Workspaces (fed by the live stream and by API answers, see `live-dispatch.ts`). */
export const useProjectsStore = create<ProjectsState>()((set) => ({
  ...initial,
  setPending(projectId, action) {
    set((state) => {
      const pending = { ...state.pending };
      if (action === null) delete pending[projectId];
      else pending[projectId] = action;
      return { pending };
    });
  },
  setLoadError(message) {
    set({ loadError: message });
  },
  reset() {
    set(initial);
  },
}));
