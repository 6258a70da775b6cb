import type { DiskUsage, ProjectDetail } from '../../../server/contract/index.js';
import { api } from '../services.js';
import { applyProjectPatch } from '../stores/live-dispatch.js';
import { useNotificationsStore } from '../stores/notifications-store.js';

/**
 * What the details panel does: rename, group, notes, and the live reads of one workspace. Writes update the
 * store at once (the live stream confirms them a moment later); failures are thrown as `ApiError` so the
 * panel can show the server's words next to the field.
 */

/** Renames a workspace. @throws ApiError (400 INVALID_PROJECT_NAME / PROJECT_EXISTS, 404 …). */
export async function renameWorkspace(projectId: string, name: string): Promise<void> {
  await api.renameProject(projectId, name);
  applyProjectPatch(projectId, { name: name.trim() });
  useNotificationsStore.getState().notify({ kind: 'success', title: `Renamed to “${name.trim()}”` });
}

/** Sets (or with `''` removes) the group of a workspace. @throws ApiError */
export async function setWorkspaceGroup(projectId: string, group: string): Promise<void> {
  const value = group.trim();
  await api.updateGroup(projectId, value === '' ? null : value);
  applyProjectPatch(projectId, { group: value === '' ? null : value });
}

/** Saves the notes exactly as typed. @throws ApiError (413 PAYLOAD_TOO_LARGE above 10 KB, …). */
export async function saveWorkspaceNotes(projectId: string, notes: string): Promise<void> {
  await api.updateNotes(projectId, notes);
}

/** Reads the notes. @throws ApiError */
export function loadWorkspaceNotes(projectId: string): Promise<string> {
  return api.getNotes(projectId);
}

/** Reads one workspace with its live container block (CPU, memory, uptime, health). @throws ApiError */
export function loadWorkspaceDetail(projectId: string): Promise<ProjectDetail> {
  return api.getProject(projectId);
}

/** Reads the disk use of the workspace's container. @throws ApiError (409 when it has no container, 503 …). */
export function loadWorkspaceDiskUsage(projectId: string): Promise<DiskUsage> {
  return api.getDiskUsage(projectId);
}
