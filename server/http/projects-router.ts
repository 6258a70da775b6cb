import { Router } from 'express';
import {
  CreateProjectRequest,
  WorkspacePasswordBody,
  type CreateProjectResponse,
  type DeleteProjectResponse,
  type GetProjectResponse,
  type ListProjectsResponse,
  type StartProjectResponse,
  type StopProjectResponse,
} from '../contract/index.js';
import type { ProjectsService } from '../services/projects-service.js';
import { parseOrThrow } from './errors.js';

/**
 * `/api/projects` (api-reference "Project Management", "Container Control"). Thin: parse with the contract,
 * call the service, answer in the contract's shape; errors go to the API error handler.
 */
export function projectsRouter(projects: ProjectsService): Router {
  const router = Router();

  router.post('/create', async (req, res) => {
    const request = parseOrThrow(CreateProjectRequest, req.body ?? {});
    const result = await projects.create(request);
    const body: CreateProjectResponse = { success: true, project: result.project, ...(result.password ? { password: result.password } : {}) };
    res.status(201).json(body);
  });

  router.get('/', (_req, res) => {
    const list = projects.list();
    const body: ListProjectsResponse = { success: true, projects: list, count: list.length };
    res.json(body);
  });

  router.get('/:projectId', async (req, res) => {
    const body: GetProjectResponse = { success: true, project: await projects.get(req.params.projectId) };
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

  return router;
}
