import { connectEventStream, type EventStreamHandle } from '../api/event-stream.js';
import { api } from '../services.js';
import { applyProjectList, dispatchServerEvent } from '../stores/live-dispatch.js';
import { useProjectsStore } from '../stores/projects-store.js';
import { useSystemStore } from '../stores/system-store.js';
import { useWorkshopStore } from '../stores/workshop-store.js';
import { ApiError, describeError } from '../api/api-error.js';

/**
 * Starts everything a signed-in dashboard keeps up to date: the live event stream (with reconnection), the
 * first workspace list (in case the stream is slow to connect), the configured limits and the server's features.
 * @returns a function that stops the stream (on sign-out or unmount)
 */
export function startLiveData(): () => void {
  const system = useSystemStore.getState();
  const handle: EventStreamHandle = connectEventStream({
    open: (signal) => api.openEventStream(signal),
    onEvent: (event) => {
      dispatchServerEvent(event);
      // The Workshop view refetches its board on `workshop.changed` (debounced; only while it is shown).
      useWorkshopStore.getState().handleEvent(event);
    },
    onStateChange: system.setConnection,
    onInvalidEvent: (data, reason) => console.warn('Ignored an invalid server event:', reason, data.slice(0, 200)),
  });
  void loadProjects();
  void loadLimits();
  void loadFeatures();
  return () => handle.close();
}

/** Loads `GET /api/projects/` (used until the stream's `hello` arrives); errors go to the page. */
export async function loadProjects(): Promise<void> {
  try {
    applyProjectList(await api.listProjects());
    useProjectsStore.getState().setLoadError(null);
  } catch (error) {
    if (error instanceof ApiError && error.isUnauthorized) return;
    if (!useProjectsStore.getState().helloReceived) useProjectsStore.getState().setLoadError(describeError(error));
  }
}

/** Loads `GET /api/limits` for the create dialog's choices. */
export async function loadLimits(): Promise<string | null> {
  try {
    useSystemStore.getState().setLimits(await api.getLimits());
    return null;
  } catch (error) {
    const message = `Could not load the resource limits: ${describeError(error)}`;
    useSystemStore.getState().setLimitsError(message);
    return message;
  }
}

/**
 * Loads the `features` of `GET /api/config`, so the create dialog can disable options the server would refuse.
 * A failure is only logged: the dialog then offers every option and the server's own validation answers.
 */
export async function loadFeatures(): Promise<void> {
  try {
    useSystemStore.getState().setFeatures((await api.getConfig()).features);
  } catch (error) {
    console.warn('Could not load the server features; the create dialog offers every option:', describeError(error));
  }
}
