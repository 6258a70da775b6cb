import { z } from 'zod';
import { ProjectId, ProjectSummary } from './projects.js';
import { DockerState, ImageState } from './system.js';

/**
 * Events pushed to dashboards over `GET /api/events` (Server-Sent Events, one JSON object per `data:` line).
 * The first event after connecting is `hello` with the full state, so a client never needs a separate fetch
 * to be consistent.
 */
export const ServerEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    projects: z.array(ProjectSummary),
    docker: DockerState,
    image: ImageState,
  }),
  z.object({ type: z.literal('project.updated'), project: ProjectSummary }),
  z.object({ type: z.literal('project.removed'), projectId: ProjectId }),
  z.object({ type: z.literal('docker'), docker: DockerState }),
  z.object({ type: z.literal('image'), image: ImageState }),
  /** Ours (issue #4): a claim, release or workshop setting changed; dashboards refetch `GET /api/workshop/board`. */
  z.object({ type: z.literal('workshop.changed') }),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;
