import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProjectSummary, ReleasedClaim, WorkshopBoardResponse, WorkshopSettings } from '../../server/contract/index.js';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { boardWithoutClaim, createWorkshopStore, describeClaimTime, seatRows, type WorkshopApi } from '../../renderer/src/stores/workshop-store.js';
import { QR_QUIET_ZONE, qrShape } from '../../renderer/src/views/workshop-qr.js';

function board(overrides: Partial<WorkshopBoardResponse> = {}): WorkshopBoardResponse {
  return {
    success: true,
    settings: { group: 'ws', registrationOpen: true },
    joinUrl: 'http://192.168.1.20:8080/',
    groups: ['other', 'ws'],
    counts: { available: 1, total: 3, claimed: 1 },
    seats: [
      { projectId: 'aaaaaaaaaaaa', projectName: 'Seat 1', status: 'running', claim: { name: 'Ada', email: 'ada@example.org', claimedAt: '2026-12-01T10:00:00.000Z' } },
      { projectId: 'bbbbbbbbbbbb', projectName: 'Seat 2', status: 'running', claim: null },
      { projectId: 'cccccccccccc', projectName: 'Seat 3', status: 'stopped', claim: null },
    ],
    ...overrides,
  };
}

const released: ReleasedClaim = {
  projectId: 'aaaaaaaaaaaa',
  group: 'ws',
  name: 'Ada',
  email: 'ada@example.org',
  projectName: 'Seat 1',
  workspaceUrl: 'http://192.168.1.20:8080/w/aaaaaaaaaaaa/',
  claimedAt: '2026-12-01T10:00:00.000Z',
  releasedAt: '2026-12-01T11:00:00.000Z',
};

/** A deferred promise, to decide when an API answer arrives. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function stubApi(overrides: Partial<WorkshopApi> = {}) {
  const calls = { board: 0, claims: 0, settings: [] as unknown[], release: [] as string[] };
  const api: WorkshopApi = {
    getWorkshopBoard: async () => {
      calls.board++;
      return board();
    },
    listWorkshopClaims: async () => {
      calls.claims++;
      return { history: [] };
    },
    updateWorkshopSettings: async (change): Promise<WorkshopSettings> => {
      calls.settings.push(change);
      return { group: change.group === undefined ? 'ws' : change.group, registrationOpen: change.registrationOpen ?? true };
    },
    releaseWorkshopClaim: async (projectId) => {
      calls.release.push(projectId);
      return released;
    },
    ...overrides,
  };
  return { api, calls };
}

describe('workshop store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads board and history when the view mounts', async () => {
    const { api, calls } = stubApi({ listWorkshopClaims: async () => ({ history: [released] }) });
    const store = createWorkshopStore({ api });
    const stop = store.getState().start();
    await vi.waitFor(() => expect(store.getState().board).not.toBeNull());
    expect(store.getState().history).toEqual([released]);
    expect(calls).toMatchObject({ board: 1 });
    stop();
    expect(store.getState().active).toBe(false);
  });

  it('merges a burst of workshop.changed events into one refetch, only while shown', async () => {
    const { api, calls } = stubApi();
    const store = createWorkshopStore({ api, debounceMs: 200 });
    store.getState().handleEvent({ type: 'workshop.changed' });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.board).toBe(0);

    const stop = store.getState().start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.board).toBe(1);
    for (let i = 0; i < 30; i++) store.getState().handleEvent({ type: 'workshop.changed' });
    store.getState().handleEvent({ type: 'project.removed', projectId: 'bbbbbbbbbbbb' });
    await vi.advanceTimersByTimeAsync(199);
    expect(calls.board).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.board).toBe(2);
    expect(calls.claims).toBe(2);

    stop();
    store.getState().handleEvent({ type: 'workshop.changed' });
    await vi.advanceTimersByTimeAsync(500);
    expect(calls.board).toBe(2);
  });

  it('keeps the answer of the newest load when answers cross', async () => {
    const first = deferred<WorkshopBoardResponse>();
    const second = deferred<WorkshopBoardResponse>();
    const answers = [first.promise, second.promise];
    const { api } = stubApi({ getWorkshopBoard: () => answers.shift()! });
    const store = createWorkshopStore({ api });
    const a = store.getState().refresh();
    const b = store.getState().refresh();
    second.resolve(board({ counts: { available: 0, total: 3, claimed: 2 } }));
    await b;
    first.resolve(board());
    await a;
    expect(store.getState().board?.counts.claimed).toBe(2);
  });

  it('reports a failed load without dropping the board it has', async () => {
    let fail = false;
    const { api } = stubApi({
      getWorkshopBoard: async () => {
        if (fail) throw new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'Cannot reach the Xares server.' });
        return board();
      },
    });
    const store = createWorkshopStore({ api });
    await store.getState().refresh();
    fail = true;
    await store.getState().refresh();
    expect(store.getState().board).not.toBeNull();
    expect(store.getState().loadError).toBe('Cannot reach the Xares server.');
    fail = false;
    await store.getState().refresh();
    expect(store.getState().loadError).toBeNull();
  });

  it('changes group and registration through the settings endpoint, then reloads the board', async () => {
    const { api, calls } = stubApi();
    const store = createWorkshopStore({ api });
    await store.getState().refresh();
    await store.getState().setRegistrationOpen(false);
    expect(calls.settings).toEqual([{ registrationOpen: false }]);
    expect(store.getState().savingSettings).toBe(false);
    await store.getState().setGroup(null);
    expect(calls.settings[1]).toEqual({ group: null });
    expect(calls.board).toBe(3);

    const refused = stubApi({
      updateWorkshopSettings: async () => {
        throw new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'Group must be at most 50 characters' });
      },
    });
    const other = createWorkshopStore({ api: refused.api });
    await other.getState().setGroup('x'.repeat(60));
    expect(other.getState().settingsError).toBe('Group must be at most 50 characters');
    expect(other.getState().savingSettings).toBe(false);
  });

  it('release frees the seat at once, adds it to the history and refetches', async () => {
    const { api, calls } = stubApi();
    const store = createWorkshopStore({ api, debounceMs: 50 });
    const stop = store.getState().start();
    await vi.advanceTimersByTimeAsync(0);
    const result = await store.getState().release('aaaaaaaaaaaa');
    expect(result).toEqual(released);
    expect(calls.release).toEqual(['aaaaaaaaaaaa']);
    const state = store.getState();
    expect(state.board?.seats[0]?.claim).toBeNull();
    expect(state.board?.counts).toEqual({ available: 2, total: 3, claimed: 0 });
    expect(state.history).toEqual([released]);
    expect(state.releasing).toEqual({});
    await vi.advanceTimersByTimeAsync(50);
    expect(calls.board).toBe(2);
    stop();
  });

  it('a refused release is thrown for the dialog and the seat stays claimed', async () => {
    const { api } = stubApi({
      releaseWorkshopClaim: async () => {
        throw new ApiError({ status: 404, code: 'NOT_FOUND', message: 'No active claim for this workspace' });
      },
    });
    const store = createWorkshopStore({ api });
    await store.getState().refresh();
    await expect(store.getState().release('aaaaaaaaaaaa')).rejects.toThrow('No active claim');
    expect(store.getState().board?.seats[0]?.claim?.name).toBe('Ada');
    expect(store.getState().releasing).toEqual({});
  });
});

describe('workshop board helpers', () => {
  it('boardWithoutClaim moves the counts only for a claimed seat', () => {
    const b = board();
    expect(boardWithoutClaim(b, 'bbbbbbbbbbbb')).toBe(b);
    expect(boardWithoutClaim(b, 'unknown00000')).toBe(b);
    const stoppedClaim = board({
      seats: [{ projectId: 'cccccccccccc', projectName: 'Seat 3', status: 'stopped', claim: { name: 'Bo', email: 'bo@example.org', claimedAt: '2026-12-01T10:00:00.000Z' } }],
      counts: { available: 0, total: 1, claimed: 1 },
    });
    expect(boardWithoutClaim(stoppedClaim, 'cccccccccccc').counts).toEqual({ available: 0, total: 1, claimed: 0 });
  });

  it('seatRows takes the live status and name and names each seat’s state', () => {
    const live = {
      bbbbbbbbbbbb: { id: 'bbbbbbbbbbbb', name: 'Seat 2 (renamed)', status: 'stopped' } as ProjectSummary,
      cccccccccccc: { id: 'cccccccccccc', name: 'Seat 3', status: 'running' } as ProjectSummary,
    };
    const rows = seatRows(board(), live);
    expect(rows.map((row) => [row.projectName, row.status, row.state])).toEqual([
      ['Seat 1', 'running', 'claimed'],
      ['Seat 2 (renamed)', 'stopped', 'unavailable'],
      ['Seat 3', 'running', 'free'],
    ]);
    expect(seatRows(null, live)).toEqual([]);
  });

  it('seatRows marks the group template; boardWithoutClaim drops a claim of another group without moving the counts', () => {
    const b = board({
      seats: [
        { projectId: 'tttttttttttt', projectName: 'Seat', status: 'running', claim: null, role: 'template' },
        { projectId: 'bbbbbbbbbbbb', projectName: 'Seat (2)', status: 'running', claim: null, role: 'seat' },
      ],
      otherClaims: [{ ...released, releasedAt: undefined, projectId: 'dddddddddddd', group: 'monday' } as never],
    });
    expect(seatRows(b, {}).map((row) => row.state)).toEqual(['template', 'free']);
    const after = boardWithoutClaim(b, 'dddddddddddd');
    expect(after.otherClaims).toEqual([]);
    expect(after.counts).toEqual(b.counts);
    expect(after.seats).toBe(b.seats);
  });

  it('describeClaimTime says how long ago', () => {
    const claimedAt = '2026-12-01T10:00:00.000Z';
    const at = Date.parse(claimedAt);
    expect(describeClaimTime(claimedAt, at + 20_000).ago).toBe('just now');
    expect(describeClaimTime(claimedAt, at + 12 * 60_000).ago).toBe('12 min ago');
    expect(describeClaimTime(claimedAt, at + 125 * 60_000).ago).toBe('2 h 5 min ago');
    expect(describeClaimTime('not a time', at)).toEqual({ time: 'not a time', ago: '' });
  });
});

describe('join QR code', () => {
  it('draws the qrcode package’s modules with a quiet zone', () => {
    const shape = qrShape('http://192.168.1.20:8080/');
    // Version 2 (25×25) for a URL this short at level M, plus 4 light modules on each side.
    expect(shape.size).toBe(25 + 2 * QR_QUIET_ZONE);
    // The top-left finder pattern starts at the quiet zone's edge with a 7-module dark run.
    expect(shape.path.startsWith(`M${QR_QUIET_ZONE} ${QR_QUIET_ZONE}h7v1h-7z`)).toBe(true);
    expect(shape.path).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
    expect(qrShape('http://192.168.1.20:8080/').path).toBe(shape.path);
    expect(qrShape('http://192.168.1.21:8080/').path).not.toBe(shape.path);
  });
});
