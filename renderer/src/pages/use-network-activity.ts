import { useCallback, useEffect, useRef, useState } from 'react';
import type { LlmConversation, RecordedDomainsResponse } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { api } from '../services.js';
import { EMPTY_FOLLOWED_LOG, LOG_POLL_LINES, followLog, type FollowedLog } from '../stores/network-activity.js';
import type { Reading } from './use-workspace-details.js';

/** How often the open squid log view asks for new lines (ms). */
export const SQUID_LOG_POLL_MS = 2_000;

/** The followed squid log of the open details panel. */
export interface SquidLogFollow {
  log: FollowedLog;
  /** The last failed poll in words (cleared by the next good one). */
  error: string | null;
  /** The first answer has arrived. */
  loaded: boolean;
}

/**
 * Follows the Security Proxy log of `projectId` while mounted: reads the last lines now and then
 * {@link SQUID_LOG_POLL_MS} after each answer (never two at once), appending only lines not yet shown.
 * Nothing runs once the panel is closed (the request in flight is aborted).
 */
export function useSquidLogFollow(projectId: string): SquidLogFollow {
  const [state, setState] = useState<SquidLogFollow>({ log: EMPTY_FOLLOWED_LOG, error: null, loaded: false });
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = new AbortController();
    setState({ log: EMPTY_FOLLOWED_LOG, error: null, loaded: false });
    const poll = async () => {
      try {
        const { logs } = await api.getSquidLogs(projectId, LOG_POLL_LINES, abort.signal);
        if (!cancelled) setState((previous) => ({ log: followLog(previous.log, logs), error: null, loaded: true }));
      } catch (error) {
        if (!cancelled) setState((previous) => ({ ...previous, error: describeError(error), loaded: true }));
      } finally {
        if (!cancelled) timer = setTimeout(() => void poll(), SQUID_LOG_POLL_MS);
      }
    };
    void poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      abort.abort();
    };
  }, [projectId]);
  return state;
}

/** A value read once on open and again on `refresh()` (answers to an older read are dropped). */
function useReading<T>(projectId: string, read: (projectId: string) => Promise<T>): [Reading<T>, () => Promise<void>] {
  const [reading, setReading] = useState<Reading<T>>({ value: null, error: null, loading: true });
  const generation = useRef(0);
  const mounted = useRef(true);
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    setReading((previous) => ({ ...previous, loading: true }));
    try {
      const value = await read(projectId);
      if (mounted.current && mine === generation.current) setReading({ value, error: null, loading: false });
    } catch (error) {
      if (mounted.current && mine === generation.current) setReading((previous) => ({ value: previous.value, error: describeError(error), loading: false }));
    }
  }, [projectId, read]);
  useEffect(() => {
    mounted.current = true;
    void refresh();
    return () => {
      mounted.current = false;
    };
  }, [refresh]);
  return [reading, refresh];
}

const readDomains = (projectId: string): Promise<RecordedDomainsResponse> => api.getRecordedDomains(projectId);
const readConversations = async (projectId: string): Promise<LlmConversation[]> => (await api.listLlmConversations(projectId)).conversations;

/** Recorded domains of a `logging` workspace, read on open and on `refresh()`. */
export function useRecordedDomains(projectId: string) {
  return useReading(projectId, readDomains);
}

/** Recorded LLM conversations of a `logging` workspace (oldest first, as the API lists them), read on open and on `refresh()`. */
export function useLlmConversations(projectId: string) {
  return useReading(projectId, readConversations);
}
