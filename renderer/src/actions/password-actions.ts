import { api } from '../services.js';
import { applyProjectPatch } from '../stores/live-dispatch.js';
import { useNotificationsStore } from '../stores/notifications-store.js';
import type { PasswordChange } from '../views/password-section.js';

/**
 * Sets, changes or removes the password of a workspace (`PUT /api/projects/:id/password`) and updates the row
 * at once (the live stream confirms it). @throws ApiError (401 INVALID_WORKSPACE_PASSWORD, 400 INVALID_PASSWORD…)
 */
export async function setWorkspacePassword(projectId: string, change: PasswordChange): Promise<void> {
  const result = await api.setPassword(projectId, change);
  applyProjectPatch(projectId, { passwordProtected: result.passwordProtected });
  useNotificationsStore
    .getState()
    .notify({ kind: 'success', title: result.passwordProtected ? 'Workspace password saved' : 'Workspace password removed' });
}
