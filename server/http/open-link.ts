import { Router } from 'express';
import { ProjectId, type OpenLinkResponse } from '../contract/index.js';
import type { RouteTable } from '../routing/route-table.js';
import { GATE_ENTER_PATH, type WorkspaceGate } from '../routing/workspace-gate.js';
import { normalizeBaseDomain } from '../routing/workspace-host.js';
import { ServiceError } from '../services/service-error.js';

/** What the open-link route needs from the server. */
export interface OpenLinkDeps {
  /** Resolves a project id to its route (the router's own table: running, port, gate keys). */
  routeTable: RouteTable;
  /** The router's gate; teacher tickets need its teacher key. Null: no links (503 SERVICE_UNAVAILABLE). */
  gate: () => WorkspaceGate | null;
  /** Base domain of workspace hosts (`BASE_DOMAIN`). */
  baseDomain: string;
  /** Port the server listens on. */
  port: () => number;
}

/**
 * `POST /projects/:projectId/open-link` (admin, mount under the admin-only `/api`; issue #4 "the teacher opens
 * any seat"): a one-time teacher link to the running workspace on its own origin,
 * `http://<id>.<baseDomain>:<port>/__xares/enter?ticket=…` (see {@link OpenLinkResponse}). The ticket is made
 * by the gate (signed with the teacher key, single use, 2 minutes), so the dashboard opens protected and
 * claimed workspaces without their password and without ever holding a session cookie itself. Errors:
 * 404 PROJECT_NOT_FOUND (unknown or malformed id), 409 INVALID_STATE (not running).
 */
export function openLinkRouter(deps: OpenLinkDeps): Router {
  const router = Router();
  router.post('/projects/:projectId/open-link', (req, res) => {
    const projectId = req.params.projectId;
    if (!ProjectId.safeParse(projectId).success) throw new ServiceError('PROJECT_NOT_FOUND', `Project ${projectId} not found`);
    const target = deps.routeTable.resolve(projectId);
    if (target.kind === 'unknown') throw new ServiceError('PROJECT_NOT_FOUND', `Project ${projectId} not found`);
    if (target.kind !== 'running') throw new ServiceError('INVALID_STATE', 'The workspace is not running; start it first');
    const gate = deps.gate();
    if (gate === null) throw new ServiceError('SERVICE_UNAVAILABLE', 'Workspace links are not available on this server');
    const ticket = gate.createTeacherTicket(projectId);
    const url = `http://${projectId}.${normalizeBaseDomain(deps.baseDomain)}:${deps.port()}${GATE_ENTER_PATH}?ticket=${encodeURIComponent(ticket)}`;
    res.setHeader('cache-control', 'no-store');
    const body: OpenLinkResponse = { success: true, url };
    res.json(body);
  });
  return router;
}
