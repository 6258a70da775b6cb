import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type {
  ProjectStatus,
  ProjectSummary,
  ReleasedClaim,
  Seat,
  ServerEvent,
  UpdateWorkshopSettingsRequest,
  WorkshopBoardResponse,
  WorkshopSettings,
} from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';
import { api } from '../services.js';

/** The calls of the admin API the Workshop view needs (a subset of `ApiClient`; a stub in unit tests). */
export interface WorkshopApi {
  getWorkshopBoard(): Promise<WorkshopBoardResponse>;
  updateWorkshopSettings(change: UpdateWorkshopSettingsRequest): Promise<WorkshopSettings>;
  releaseWorkshopClaim(projectId: string): Promise<ReleasedClaim>;
  listWorkshopClaims(): Promise<{ history: ReleasedClaim[] }>;
}

/** How long `workshop.changed` events are gathered before one refetch, ms (30 claims in a second → one fetch). */
export const WORKSHOP_REFRESH_DEBOUNCE_MS = 250;

export interface WorkshopState {
  /** The last board the server sent (`GET /api/workshop/board`); `null` until the first answer. */
  board: WorkshopBoardResponse | null;
  /** Released claims, newest first (`GET /api/workshop/claims` history); `null` until loaded. */
  history: ReleasedClaim[] | null;
  /** Message of the last failed board load (kept next to a stale board; cleared by the next success). */
  loadError: string | null;
  /** Message of the last failed history load. */
  historyError: string | null;
  /** A settings change is on its way (the controls are disabled meanwhile). */
  savingSettings: boolean;
  /** Message of the last refused settings change. */
  settingsError: string | null;
  /** Seats whose release is on its way, by workspace id. */
  releasing: Readonly<Record<string, true>>;
  /** The view is mounted: events refetch only then. */
  active: boolean;
  /** Mounts the view: loads board and history and lets events refetch them. Returns the unmount function. */
  start(): () => void;
  /** Loads board and history now (the newest request wins when answers cross). */
  refresh(): Promise<void>;
  /** Refetches after {@link WORKSHOP_REFRESH_DEBOUNCE_MS}; calls within that time are merged into one. */
  scheduleRefresh(): void;
  /** Routes a server event: `workshop.changed` and `hello` (a reconnect may have missed changes) refetch. */
  handleEvent(event: ServerEvent): void;
  /** Opens `group` for registration (`null`: no workshop). Errors land in `settingsError`. */
  setGroup(group: string | null): Promise<void>;
  /** Opens or closes registration for the chosen group. Errors land in `settingsError`. */
  setRegistrationOpen(open: boolean): Promise<void>;
  /**
   * Releases the seat's claim; the seat shows free at once and the board is refetched.
   * @throws ApiError when the server refuses (the confirmation dialog shows it)
   */
  release(projectId: string): Promise<ReleasedClaim>;
}

/** Dependencies of {@link createWorkshopStore}. */
export interface WorkshopStoreOptions {
  api: WorkshopApi;
  debounceMs?: number;
}

/**
 * The board after `projectId`'s claim was released, before the server's next board arrives: the seat free,
 * the counts moved (a running seat becomes available), or the claim gone from `otherClaims` (claims of other
 * groups are not counted). Unknown seat or no claim: the same board.
 */
export function boardWithoutClaim(board: WorkshopBoardResponse, projectId: string): WorkshopBoardResponse {
  if (board.otherClaims?.some((claim) => claim.projectId === projectId)) {
    return { ...board, otherClaims: board.otherClaims.filter((claim) => claim.projectId !== projectId) };
  }
  const seat = board.seats.find((entry) => entry.projectId === projectId);
  if (!seat || seat.claim === null) return board;
  return {
    ...board,
    counts: {
      total: board.counts.total,
      claimed: Math.max(0, board.counts.claimed - 1),
      available: board.counts.available + (seat.status === 'running' ? 1 : 0),
    },
    seats: board.seats.map((entry) => (entry.projectId === projectId ? { ...entry, claim: null } : entry)),
  };
}

/** A board row as the view shows it: the seat with the freshest status known. */
export interface SeatRow extends Seat {
  /**
   * `free`: running and unclaimed (a participant may get it); `claimed`; `unavailable`: not running, no claim;
   * `template`: the group's template (the clones' source), never a seat.
   */
  state: 'free' | 'claimed' | 'unavailable' | 'template';
}

/**
 * The seat board's rows: the board's seats in the board's order, each with the live status of the workspace
 * from the event stream when known (the board is refetched on `workshop.changed`, but a workspace's start or
 * stop reaches the projects store first), and the name it has now.
 */
export function seatRows(board: WorkshopBoardResponse | null, live: Readonly<Record<string, ProjectSummary>>): SeatRow[] {
  if (board === null) return [];
  return board.seats.map((seat) => {
    const project = live[seat.projectId];
    const status: ProjectStatus = project?.status ?? seat.status;
    const projectName = project?.name ?? seat.projectName;
    const state = seat.role === 'template' ? 'template' : seat.claim !== null ? 'claimed' : status === 'running' ? 'free' : 'unavailable';
    return { ...seat, status, projectName, state };
  });
}

/**
 * "since when" of a claim for the board: the local time (`HH:MM`, with the date when not today) and how long
 * ago in minutes/hours. `now` and `claimedAt` in ms/ISO; an unreadable time comes back as given.
 */
export function describeClaimTime(claimedAt: string, now: number, locale?: string): { time: string; ago: string } {
  const at = Date.parse(claimedAt);
  if (Number.isNaN(at)) return { time: claimedAt, ago: '' };
  const date = new Date(at);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  const time = sameDay
    ? date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const minutes = Math.max(0, Math.floor((now - at) / 60_000));
  const ago = minutes < 1 ? 'just now' : minutes < 60 ? `${minutes} min ago` : `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`;
  return { time, ago };
}

/**
 * Builds a Workshop store on `options.api`. Board and history are loaded together; a load that started
 * earlier never overwrites the answer of a later one. Release marks the seat free at once and refetches.
 */
export function createWorkshopStore(options: WorkshopStoreOptions): UseBoundStore<StoreApi<WorkshopState>> {
  const debounceMs = options.debounceMs ?? WORKSHOP_REFRESH_DEBOUNCE_MS;
  const client = options.api;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let boardRequest = 0;
  let historyRequest = 0;
  let mounts = 0;

  return create<WorkshopState>()((set, get) => {
    const loadBoard = async () => {
      const request = ++boardRequest;
      try {
        const board = await client.getWorkshopBoard();
        if (request === boardRequest) set({ board, loadError: null });
      } catch (error) {
        if (request !== boardRequest || (error instanceof ApiError && error.isUnauthorized)) return;
        set({ loadError: describeError(error) });
      }
    };
    const loadHistory = async () => {
      const request = ++historyRequest;
      try {
        const { history } = await client.listWorkshopClaims();
        if (request === historyRequest) set({ history, historyError: null });
      } catch (error) {
        if (request !== historyRequest || (error instanceof ApiError && error.isUnauthorized)) return;
        set({ historyError: describeError(error) });
      }
    };
    const saveSettings = async (change: UpdateWorkshopSettingsRequest) => {
      set({ savingSettings: true, settingsError: null });
      try {
        const settings = await client.updateWorkshopSettings(change);
        const board = get().board;
        set({ savingSettings: false, ...(board ? { board: { ...board, settings } } : {}) });
        // Another group means other seats and counts: the server's board is the truth.
        await loadBoard();
      } catch (error) {
        set({ savingSettings: false, settingsError: describeError(error) });
      }
    };

    return {
      board: null,
      history: null,
      loadError: null,
      historyError: null,
      savingSettings: false,
      settingsError: null,
      releasing: {},
      active: false,
      start() {
        mounts++;
        set({ active: true });
        void get().refresh();
        return () => {
          mounts = Math.max(0, mounts - 1);
          if (mounts > 0) return;
          set({ active: false });
          if (timer !== null) clearTimeout(timer);
          timer = null;
        };
      },
      async refresh() {
        await Promise.all([loadBoard(), loadHistory()]);
      },
      scheduleRefresh() {
        if (timer !== null) return;
        timer = setTimeout(() => {
          timer = null;
          if (get().active) void get().refresh();
        }, debounceMs);
      },
      handleEvent(event) {
        if (!get().active) return;
        if (event.type === 'workshop.changed' || event.type === 'hello') get().scheduleRefresh();
      },
      async setGroup(group) {
        await saveSettings({ group });
      },
      async setRegistrationOpen(open) {
        await saveSettings({ registrationOpen: open });
      },
      async release(projectId) {
        set({ releasing: { ...get().releasing, [projectId]: true } });
        const done = () => {
          const { [projectId]: _done, ...rest } = get().releasing;
          set({ releasing: rest });
        };
        try {
          const released = await client.releaseWorkshopClaim(projectId);
          const board = get().board;
          const history = get().history;
          set({
            ...(board ? { board: boardWithoutClaim(board, projectId) } : {}),
            ...(history ? { history: [released, ...history.filter((entry) => !(entry.projectId === released.projectId && entry.claimedAt === released.claimedAt))] } : {}),
          });
          done();
          get().scheduleRefresh();
          return released;
        } catch (error) {
          done();
          // 404: the claim was released elsewhere meanwhile; the refetch shows the seat as it is.
          if (error instanceof ApiError && error.status === 404) get().scheduleRefresh();
          throw error;
        }
      },
    };
  });
}

/** The dashboard's Workshop store, on the dashboard's API client. */
export const useWorkshopStore = createWorkshopStore({ api });
