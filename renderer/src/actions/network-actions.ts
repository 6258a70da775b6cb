import type { DocumentationType } from '../../../server/contract/index.js';
import { api } from '../services.js';
import { documentationFileName } from '../stores/network-activity.js';
import { mergeChosenDomains } from '../stores/whitelist-editor.js';
import { useWhitelistStore } from '../stores/whitelist-store.js';

/**
 * What the details panel's network sections do (issue #5): add recorded domains to the whitelist, delete
 * recorded conversations, download documentation. Failures are thrown as `ApiError` for the section to show.
 */

/** Outcome of {@link addDomainsToWhitelist}, for the section to report in words. */
export interface AddToWhitelistResult {
  added: string[];
  alreadyCovered: string[];
  rejected: { host: string; message: string }[];
}

/**
 * Merges the chosen hosts into the whitelist as stored now (read fresh, so edits elsewhere are not lost) and
 * applies it (`PUT /api/whitelist`) when something is new. The Network view's stored list is refreshed (its
 * unsaved draft, if any, is kept).
 * @throws ApiError when reading or applying fails
 */
export async function addDomainsToWhitelist(hosts: readonly string[]): Promise<AddToWhitelistResult> {
  const { domains: current } = await api.getWhitelist();
  const merged = mergeChosenDomains(current, hosts);
  if (merged.added.length > 0) {
    await api.updateWhitelist(merged.domains);
    void useWhitelistStore.getState().load();
  }
  return { added: merged.added, alreadyCovered: merged.alreadyCovered, rejected: merged.rejected };
}

/** Deletes one recorded conversation. @throws ApiError (404 when it is already gone, …) */
export async function deleteConversation(projectId: string, conversationId: string): Promise<void> {
  await api.deleteLlmConversation(projectId, conversationId);
}

/** Deletes all recorded conversations of the workspace. @throws ApiError */
export async function deleteAllConversations(projectId: string): Promise<void> {
  await api.deleteAllLlmConversations(projectId);
}

/** Hands `blob` to the browser as a download named `fileName` (an object URL on a temporary link; no token in any URL). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Give the browser time to start reading the object URL before it is revoked.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Generates the workspace's documentation (`clean` or `detailed` markdown; the token travels only in the
 * Authorization header of the POST) and saves it as a `.md` file.
 * @returns the file name and how many conversations it covers
 * @throws ApiError
 */
export async function downloadDocumentation(projectId: string, projectName: string, type: DocumentationType): Promise<{ fileName: string; conversationCount: number }> {
  const result = await api.generateDocumentation(projectId, type);
  const fileName = documentationFileName(projectName, type);
  saveBlob(new Blob([result.documentation], { type: 'text/markdown;charset=utf-8' }), fileName);
  return { fileName, conversationCount: result.conversationCount };
}

