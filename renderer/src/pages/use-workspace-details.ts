import { useCallback, useEffect, useRef, useState } from 'react';
import type { ContainerInfo, DiskUsage } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { loadWorkspaceDetail, loadWorkspaceDiskUsage, loadWorkspaceNotes } from '../actions/details-actions.js';

/** How often the open details panel re-reads CPU, memory, uptime and health (ms). */
export const CONTAINER_REFRESH_MS = 3_000;
/** How often it re-reads the disk use (ms); the engine walks the writable layer for it, so less often. */
export const DISK_REFRESH_MS = 10_000;

/** One value read from the server: the last good value, the last error in words, and whether a read runs. */
export interface Reading<T> {
  value: T | null;
  error: string | null;
  loading: boolean;
}

const EMPTY = { value: null, error: null, loading: true };

/**
 * Calls `read` now and then every `intervalMs` after the previous answer (never two at once), while the
 * component is mounted and `projectId` stays the same. Nothing runs once the panel is closed.
 */
function usePolled<T>(projectId: string, read: (projectId: string) => Promise<T>, intervalMs: number): [Reading<T>, () => void] {
  const [reading, setReading] = useState<Reading<T>>(EMPTY);
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    setReading(EMPTY);
    const run = async () => {
      if (cancelled || running) return;
      running = true;
      clearTimeout(timer);
      setReading((previous) => ({ ...previous, loading: true }));
      try {
        const value = await read(projectId);
        if (!cancelled) setReading({ value, error: null, loading: false });
      } catch (error) {
        if (!cancelled) setReading((previous) => ({ value: previous.value, error: describeError(error), loading: false }));
      } finally {
        running = false;
        if (!cancelled) timer = setTimeout(() => void run(), intervalMs);
      }
    };
    kick.current = () => void run();
    void run();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      kick.current = () => undefined;
    };
  }, [projectId, read, intervalMs]);
  const refresh = useCallback(() => kick.current(), []);
  return [reading, refresh];
}

const readContainer = async (projectId: string): Promise<ContainerInfo | null> => (await loadWorkspaceDetail(projectId)).container;

/**
 * Live data of the open details panel: the container block (every {@link CONTAINER_REFRESH_MS}), the disk use
 * (every {@link DISK_REFRESH_MS}, or on `refreshDisk`) and the notes (once per opened workspace).
 */
export function useWorkspaceDetails(projectId: string) {
  const [container] = usePolled<ContainerInfo | null>(projectId, readContainer, CONTAINER_REFRESH_MS);
  const [disk, refreshDisk] = usePolled<DiskUsage>(projectId, loadWorkspaceDiskUsage, DISK_REFRESH_MS);
  const [notes, setNotes] = useState<Reading<string>>(EMPTY);
  useEffect(() => {
    let cancelled = false;
    setNotes(EMPTY);
    loadWorkspaceNotes(projectId).then(
      (value) => !cancelled && setNotes({ value, error: null, loading: false }),
      (error: unknown) => !cancelled && setNotes({ value: null, error: describeError(error), loading: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [projectId]);
  return { container, disk, refreshDisk, notes };
}
