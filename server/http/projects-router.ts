import { Router } from 'express';
import {
  CloneProjectRequest,
  CreateProjectRequest,
  RenameProjectRequest,
  SetPasswordRequest,
  UpdateGroupRequest,
  UpdateNotesRequest,
  WorkspacePasswordBody,
  type CloneProjectResponse,
  type CreateProjectResponse,
  type DeleteProjectResponse,
  type DiskUsageResponse,
  type GetNotesResponse,
  type GetProjectResponse,
  type ListGroupsResponse,
  type ListProjectsResponse,
  type MessageResponse,
  type SetPasswordResponse,
  type StartProjectResponse,
  type StopProjectResponse,
} from '../contract/index.js';
import type { ProjectsService } from '../services/projects-service.js';
import { ServiceError } from '../services/service-error.js';
import { parseOrThrow, validationError } from './errors.js';

/**
 * `/api/projects` (api-reference "Project Management", "Container Control"). Thin: parse with the contract,
 * call the service, answer in the contract's shape; errors go to the API error handler.
 */
export function projectsRouter(projects: ProjectsService): Router {
  const router = Router();

  router.post('/create', async (req, res) => {
    const request = parseOrThrow(CreateProjectRequest, req.body ?? {});
    const result = await projects.create(request, req.body);
    const body: CreateProjectResponse = { success: true, project: result.project, ...(result.password ? { password: result.password } : {}) };
    res.status(201).json(body);
  });

  router.get('/', (_req, res) => {
    const list = projects.list();
    const body: ListProjectsResponse = { success: true, projects: list, count: list.length };
    res.json(body);
  });

  // Before `/:projectId`, which would otherwise take "groups" for a project id.
  router.get('/groups', (_req, res) => {
    const body: ListGroupsResponse = { success: true, groups: projects.groups() };
    res.json(body);
  });

  router.get('/:projectId', async (req, res) => {
    const body: GetProjectResponse = { success: true, project: await projects.get(req.params.projectId) };
    res.json(body);
  });

  router.put('/:projectId/password', async (req, res) => {
    const request = parseOrThrow(SetPasswordRequest, req.body ?? {});
    const result = await projects.setPassword(req.params.projectId, request.currentPassword, request.newPassword ?? null);
    const body: SetPasswordResponse = { success: true, message: 'Password updated successfully', passwordProtected: result.passwordProtected };
    res.json(body);
  });

  router.delete('/:projectId', async (req, res) => {
    const { password } = parseOrThrow(WorkspacePasswordBody, req.body ?? {});
    await projects.delete(req.params.projectId, password);
    const body: DeleteProjectResponse = { success: true, message: 'Project deleted successfully', projectId: req.params.projectId };
    res.json(body);
  });

  router.post('/:projectId/start', async (req, res) => {
    const project = await projects.start(req.params.projectId);
    const body: StartProjectResponse = {
      success: true,
      message: project.status === 'running' ? 'Workspace started successfully' : 'Workspace is starting',
      project: { id: project.id, status: project.status, workspaceUrl: project.workspaceUrl },
    };
    res.json(body);
  });

  router.post('/:projectId/stop', async (req, res) => {
    const { password } = parseOrThrow(WorkspacePasswordBody, req.body ?? {});
    await projects.stop(req.params.projectId, password);
    const body: StopProjectResponse = { success: true, message: 'Workspace stopped successfully', projectId: req.params.projectId };
    res.json(body);
  });

  router.get('/:projectId/notes', (req, res) => {
    const body: GetNotesResponse = { success: true, notes: projects.getNotes(req.params.projectId) };
    res.json(body);
  });

  router.put('/:projectId/notes', (req, res) => {
    projects.assertExists(req.params.projectId); // unknown id: 404 before any complaint about the body
    const { notes } = parseOrThrow(UpdateNotesRequest, req.body ?? {});
    projects.setNotes(req.params.projectId, notes);
    const body: MessageResponse = { success: true, message: 'Notes updated successfully' };
    res.json(body);
  });

  router.put('/:projectId/name', (req, res) => {
    projects.assertExists(req.params.projectId);
    const { name } = parseRename(req.body ?? {});
    projects.rename(req.params.projectId, name);
    const body: MessageResponse = { success: true, message: 'Project name updated successfully' };
    res.json(body);
  });

  router.put('/:projectId/group', (req, res) => {
    projects.assertExists(req.params.projectId);
    const { group } = parseOrThrow(UpdateGroupRequest, req.body ?? {});
    projects.setGroup(req.params.projectId, group);
    const body: MessageResponse = { success: true, message: 'Project group updated successfully' };
    res.json(body);
  });

  // Clone (api-reference "Clone Workspace"): 202 at once; each clone's progress shows in the list and events.
  router.post('/:projectId/clone', async (req, res) => {
    projects.assertExists(req.params.projectId); // unknown source: 404 before any complaint about the body
    const request = parseOrThrow(CloneProjectRequest, req.body ?? {});
    const result = await projects.clone(req.params.projectId, request);
    const count = result.clones.length;
    const body: CloneProjectResponse = {
      success: true,
      message: `Cloning ${count} workspace${count === 1 ? '' : 's'} from "${result.sourceProjectName}"`,
      ...result,
      totalCount: count,
    };
    res.status(202).json(body);
  });

  router.get('/:projectId/disk-usage', async (req, res) => {
    const body: DiskUsageResponse = { success: true, diskUsage: await projects.diskUsage(req.params.projectId) };
    res.json(body);
  });

  return router;
}

/**
 * Parses a rename body. A bad `name` is 400 INVALID_PROJECT_NAME (the contract's code for names) with the
 * reason in `details.name`; a body that is not an object is 400 VALIDATION_ERROR.
 */
function parseRename(input: unknown): RenameProjectRequest {
  const result = RenameProjectRequest.safeParse(input);
  if (result.success) return result.data;
  const error = validationError(result.error);
  const reason = error.details?.['name'];
  if (reason !== undefined) throw new ServiceError('INVALID_PROJECT_NAME', reason, { name: reason });
  throw error;
}
