import { create } from 'zustand';

/** A message shown as a toast in the corner (errors stay until dismissed, successes fade after a few seconds). */
export interface Notice {
  id: number;
  kind: 'error' | 'success' | 'info';
  title: string;
  message?: string;
}

export interface NotificationsState {
  notices: Notice[];
  notify(notice: Omit<Notice, 'id'>): number;
  dismiss(id: number): void;
}

let nextId = 1;
/** How long a success or info toast stays, ms (errors stay until dismissed so none is missed). */
export const NOTICE_TIMEOUT_MS = 5_000;

export const useNotificationsStore = create<NotificationsState>()((set, get) => ({
  notices: [],
  notify(notice) {
    const id = nextId++;
    set({ notices: [...get().notices.slice(-4), { ...notice, id }] });
    if (notice.kind !== 'error' && typeof setTimeout === 'function') setTimeout(() => get().dismiss(id), NOTICE_TIMEOUT_MS);
    return id;
  },
  dismiss(id) {
    set({ notices: get().notices.filter((notice) => notice.id !== id) });
  },
}));
