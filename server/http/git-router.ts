import { Router } from 'express';
import {
  CreateGitRepositoryRequest,
  UpdateGitSettingsRequest,
  type CreateGitRepositoryResponse,
  type GitSettingsResponse,
  type ListGitRepositoriesResponse,
} from '../contract/index.js';
import type { GitService } from '../services/git-service.js';
import { parseOrThrow } from './errors.js';

/**
 * `GET`/`POST /api/git/repositories` (api-reference "Git Integration") and `GET`/`PUT /api/git/settings`
 * (ours). Admin-only: mount behind the admin check and the JSON parser. Errors as {@link GitService}: 400
 * VALIDATION_ERROR naming the field, 409 GIT_REPO_EXISTS, 503 SERVICE_UNAVAILABLE (disabled/unreachable, with
 * the reason), 500 GIT_REPO_CREATE_FAILED. No answer contains the admin token or the service user's token.
 */
export function gitRouter(git: GitService): Router {
  const router = Router();
  const settingsBody = (): GitSettingsResponse => ({ success: true, settings: git.settings(), status: git.status() });
  router.get('/git/settings', (_req, res) => {
    res.json(settingsBody());
  });
  router.put('/git/settings', async (req, res) => {
    await git.update(parseOrThrow(UpdateGitSettingsRequest, req.body ?? {}));
    res.json(settingsBody());
  });
  router.get('/git/repositories', async (_req, res) => {
    const body: ListGitRepositoriesResponse = { success: true, repositories: await git.listRepositories() };
    res.json(body);
  });
  router.post('/git/repositories', async (req, res) => {
    const request = parseOrThrow(CreateGitRepositoryRequest, req.body ?? {});
    const body: CreateGitRepositoryResponse = { success: true, repository: await git.createRepository(request) };
    res.status(201).json(body);
  });
  return router;
}
