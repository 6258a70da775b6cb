import { memo } from 'react';
import type { ProjectSummary } from '../../../server/contract/index.js';
import type { PendingAction } from '../stores/projects-store.js';
import { StatusBadge } from './status-badge.js';
import { TEMPLATE_INFO, formatDateTime, safeHttpUrl } from './labels.js';
import { workspaceGit } from '../stores/git-logic.js';
import { Icon } from './icons.js';

export interface WorkspaceTableProps {
  projects: readonly ProjectSummary[];
  pending: Readonly<Record<string, PendingAction>>;
  /** Engine down: start is disabled (the server would answer 503). */
  dockerAvailable: boolean;
  onStart: (project: ProjectSummary) => void;
  onStop: (project: ProjectSummary) => void;
  onDelete: (project: ProjectSummary) => void;
  /** Opening the IDE; the desktop app routes it to the system browser. */
  onOpen: (project: ProjectSummary, url: string) => boolean;
  /** Opens the details panel of a workspace. */
  onDetails: (project: ProjectSummary) => void;
  /** Opens the clone dialog for a workspace (no Clone button when absent). */
  onClone?: (project: ProjectSummary) => void;
  /** Id of the workspace whose details panel is open, if any (its row is highlighted). */
  selectedId: string | null;
}

/**
 * The workspace list. Pure: renders what it gets, reports clicks. Rows are memoised and keyed by id: with
 * stable callbacks from the page, an event about one workspace re-renders that row only (200 rows stay fast).
 */
export function WorkspaceTable({ projects, pending, dockerAvailable, onStart, onStop, onDelete, onOpen, onDetails, onClone, selectedId }: WorkspaceTableProps) {
  return (
    <div className="table-card">
      <table className="workspace-table" data-testid="workspace-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Template</th>
            <th scope="col">Status</th>
            <th scope="col">Group</th>
            <th scope="col">Created</th>
            <th scope="col" className="workspace-table__actions-head">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {projects.map((project) => (
            <WorkspaceRow
              key={project.id}
              project={project}
              pending={pending[project.id]}
              dockerAvailable={dockerAvailable}
              onStart={onStart}
              onStop={onStop}
              onDelete={onDelete}
              onOpen={onOpen}
              onDetails={onDetails}
              {...(onClone ? { onClone } : {})}
              selected={selectedId === project.id}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface WorkspaceRowProps extends Omit<WorkspaceTableProps, 'projects' | 'pending' | 'selectedId'> {
  project: ProjectSummary;
  pending: PendingAction | undefined;
  selected: boolean;
}

const WorkspaceRow = memo(function WorkspaceRow({ project, pending, dockerAvailable, onStart, onStop, onDelete, onOpen, onDetails, onClone, selected }: WorkspaceRowProps) {
  const id = project.id;
  const url = safeHttpUrl(project.workspaceUrl);
  const canOpen = project.status === 'running' && url !== null;
  const git = workspaceGit(project);
  const showReason = (project.status === 'error' || project.status === 'creating') && project.statusReason;
  const busy = pending !== undefined;
  return (
    <tr data-testid={`workspace-row-${id}`} data-status={project.status} aria-busy={busy} className={selected ? 'is-selected' : undefined}>
      <td>
        <div className="workspace-name">
          <button
            type="button"
            className="workspace-name__button"
            onClick={() => onDetails(project)}
            aria-expanded={selected}
            aria-label={`Details of ${project.name}`}
            data-testid={`workspace-details-${id}`}
          >
            <span className="workspace-name__text" title={project.name} data-testid={`workspace-name-${id}`}>
              {project.name}
            </span>
          </button>
          {project.passwordProtected ? (
            <span className="workspace-name__lock" title="Password protected" aria-label="Password protected">
              <Icon name="lock" />
            </span>
          ) : null}
        </div>
        <div className="workspace-name__meta">
          <span className="mono">{id}</span>
          {project.proxyMode !== 'none' ? <span className="tag">{project.proxyMode === 'logging' ? 'Logging proxy' : 'Security proxy'}</span> : null}
          {git?.link ? (
            <a className="tag" href={git.link} target="_blank" rel="noopener noreferrer" title={`Git repository: ${git.link}`} data-testid={`workspace-git-${id}`}>
              Git repository
            </a>
          ) : null}
          {git?.branch ? (
            <span className="tag tag--branch mono" title={`Git branch: ${git.branch}`} data-testid={`workspace-git-branch-${id}`}>
              {git.branch}
            </span>
          ) : null}
          <span>
            {project.memoryLimit.toUpperCase()}B · {project.cpuCores} {project.cpuCores === '1' ? 'core' : 'cores'}
          </span>
        </div>
        {git?.error ? (
          <div className="git-warning" role="note" data-testid={`workspace-git-error-${id}`}>
            <Icon name="alert" size={14} />
            <span>Git: {git.error}</span>
          </div>
        ) : null}
      </td>
      <td>{TEMPLATE_INFO[project.type].label}</td>
      <td>
        <StatusBadge status={project.status} testId={`workspace-status-${id}`} />
        {showReason ? (
          <div className={`status-reason status-reason--${project.status}`} data-testid={`workspace-reason-${id}`}>
            {project.statusReason}
          </div>
        ) : null}
      </td>
      <td>{project.group ? <span className="group-chip">{project.group}</span> : <span className="muted">—</span>}</td>
      <td className="nowrap">
        <time dateTime={project.createdAt}>{formatDateTime(project.createdAt)}</time>
      </td>
      <td>
        <div className="row-actions">
          {canOpen ? (
            <a
              className="button button--primary button--small"
              href={url}
              target="_blank"
              rel="noopener noreferrer"
              data-testid={`workspace-open-${id}`}
              aria-label={`Open ${project.name} in a new tab`}
              onClick={(event) => {
                if (onOpen(project, url)) event.preventDefault();
              }}
            >
              Open <Icon name="external" />
            </a>
          ) : (
            <span
              className="button button--primary button--small is-disabled"
              role="link"
              aria-disabled="true"
              data-testid={`workspace-open-${id}`}
              title="Available while the workspace is running"
            >
              Open <Icon name="external" />
            </span>
          )}
          {project.status === 'running' || project.status === 'creating' ? (
            <button
              type="button"
              className="button button--small"
              onClick={() => onStop(project)}
              disabled={busy || project.status === 'creating'}
              data-testid={`workspace-stop-${id}`}
              aria-label={`Stop ${project.name}`}
            >
              {pending === 'stopping' ? <span className="spinner spinner--small" aria-hidden="true" /> : <Icon name="stop" />}
              Stop
            </button>
          ) : (
            <button
              type="button"
              className="button button--small"
              onClick={() => onStart(project)}
              disabled={busy || !dockerAvailable}
              title={dockerAvailable ? undefined : 'Docker is not running'}
              data-testid={`workspace-start-${id}`}
              aria-label={`Start ${project.name}`}
            >
              {pending === 'starting' ? <span className="spinner spinner--small" aria-hidden="true" /> : <Icon name="play" />}
              Start
            </button>
          )}
          {onClone ? (
            <button
              type="button"
              className="button button--small"
              onClick={() => onClone(project)}
              disabled={busy || project.status === 'creating' || !dockerAvailable}
              title={project.status === 'creating' ? 'Available once the workspace is running or stopped' : 'Make copies of this workspace'}
              data-testid={`workspace-clone-${id}`}
              aria-label={`Clone ${project.name}`}
            >
              Clone
            </button>
          ) : null}
          <button
            type="button"
            className="button button--small button--danger-ghost"
            onClick={() => onDelete(project)}
            disabled={busy}
            data-testid={`workspace-delete-${id}`}
            aria-label={`Delete ${project.name}`}
          >
            {pending === 'deleting' ? <span className="spinner spinner--small" aria-hidden="true" /> : <Icon name="trash" />}
            <span className="visually-hidden-narrow">Delete</span>
          </button>
        </div>
      </td>
    </tr>
  );
});
