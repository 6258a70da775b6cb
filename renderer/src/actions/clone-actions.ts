import type { CloneProjectRequest, CloneProjectResponse } from '../../../server/contract/index.js';
import { api } from '../services.js';
import { useNotificationsStore } from '../stores/notifications-store.js';

/**
 * Clones a workspace `request.count` times (`POST /api/projects/:id/clone`). The clones arrive in the table
 * through the live stream, each with its progress; the dialog follows them from there.
 * @throws ApiError so the clone dialog can show the server's words (limits, count) itself.
 */
export async function cloneWorkspace(sourceId: string, request: CloneProjectRequest): Promise<CloneProjectResponse> {
  const response = await api.cloneProject(sourceId, request);
  useNotificationsStore.getState().notify({ kind: 'success', title: response.message, message: 'Each copy opens as soon as its status is Running.' });
  return response;
}
