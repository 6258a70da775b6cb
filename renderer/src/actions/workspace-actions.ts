import type { CreateProjectInput, CreateProjectResponse, ProjectSummary } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { api } from '../services.js';
import { applyProjectPatch, applyProjectRemoved, applyProjectUpsert } from '../stores/live-dispatch.js';
import { useNotificationsStore } from '../stores/notifications-store.js';
import { useProjectsStore } from '../stores/projects-store.js';

const notify = (...args: Parameters<ReturnType<typeof useNotificationsStore.getState>['notify']>) =>
  useNotificationsStore.getState().notify(...args);

/**
 * Creates a workspace. The new row appears at once (status `creating`); the live stream moves it on.
 * @throws ApiError so the dialog can show the server's words (and per-field `details`) itself.
 */
export async function createWorkspace(input: CreateProjectInput): Promise<CreateProjectResponse> {
  const response = await api.createProject(input);
  applyProjectUpsert(response.project);
  notify({ kind: 'success', title: `Workspace “${response.project.name}” is being created`, message: 'It opens as soon as its status is Running.' });
  return response;
}

/** Starts a stopped workspace; a failure is shown as an error toast (never swallowed). */
export async function startWorkspace(project: ProjectSummary): Promise<void> {
  const { setPending } = useProjectsStore.getState();
  setPending(project.id, 'starting');
  try {
    const response = await api.startProject(project.id);
    applyProjectPatch(project.id, { status: response.project.status, workspaceUrl: response.project.workspaceUrl });
  } catch (error) {
    notify({ kind: 'error', title: `Could not start “${project.name}”`, message: describeError(error) });
  } finally {
    setPending(project.id, null);
  }
}

/**
 * Stops a workspace (`password` for protected ones).
 * @throws ApiError, shown by the confirmation dialog (e.g. 401 INVALID_WORKSPACE_PASSWORD)
 */
export async function stopWorkspace(project: ProjectSummary, password?: string): Promise<void> {
  const { setPending } = useProjectsStore.getState();
  setPending(project.id, 'stopping');
  try {
    await api.stopProject(project.id, password);
    applyProjectPatch(project.id, { status: 'stopped' });
    notify({ kind: 'success', title: `Workspace “${project.name}” stopped` });
  } finally {
    setPending(project.id, null);
  }
}

/**
 * Deletes a workspace and its container (`password` for protected ones).
 * @throws ApiError, shown by the confirmation dialog
 */
export async function deleteWorkspace(project: ProjectSummary, password?: string): Promise<void> {
  const { setPending } = useProjectsStore.getState();
  setPending(project.id, 'deleting');
  try {
    await api.deleteProject(project.id, password);
    applyProjectRemoved(project.id);
    notify({ kind: 'success', title: `Workspace “${project.name}” deleted` });
  } finally {
    setPending(project.id, null);
  }
}
