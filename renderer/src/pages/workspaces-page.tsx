import { useCallback, useMemo, useState } from 'react';
import type { ProjectSummary } from '../../../server/contract/index.js';
import { loadFeatures, loadLimits, loadProjects } from '../actions/live-connection.js';
import { renameWorkspace, saveWorkspaceNotes, setWorkspaceGroup } from '../actions/details-actions.js';
import { setWorkspacePassword } from '../actions/password-actions.js';
import { createWorkspace, deleteWorkspace, startWorkspace, stopWorkspace } from '../actions/workspace-actions.js';
import { cloneWorkspace } from '../actions/clone-actions.js';
import { getDesktopBridge } from '../desktop-bridge.js';
import { api } from '../services.js';
import { distinctGroups, sortProjects } from '../stores/live-reducer.js';
import { useNotificationsStore } from '../stores/notifications-store.js';
import { GROUP_FILTER_ALL, GROUP_FILTER_NONE, effectiveGroupFilter, filterByGroup } from '../stores/project-filters.js';
import { useProjectsStore } from '../stores/projects-store.js';
import { useSystemStore } from '../stores/system-store.js';
import { CloneDialog } from '../views/clone-dialog.js';
import { ConfirmActionDialog, type ConfirmableAction } from '../views/confirm-action-dialog.js';
import { CreateWorkspaceDialog } from '../views/create-workspace-dialog.js';
import { EmptyState } from '../views/empty-state.js';
import { Icon } from '../views/icons.js';
import { WorkspaceDetailsDrawer } from '../views/workspace-details-drawer.js';
import { WorkspaceTable } from '../views/workspace-table.js';
import { useWorkspaceDetails } from './use-workspace-details.js';
import { WorkspaceNetworkPanel } from './workspace-network-panel.js';
import { LoadFailedAlert, LoadingNote } from '../views/load-state.js';

type OpenDialog = { kind: 'create' } | { kind: 'confirm'; action: ConfirmableAction; projectId: string } | { kind: 'clone'; projectId: string } | null;

/**
 * Opens a workspace through a one-time teacher link (`POST /api/projects/:id/open-link`), so protected and
 * claimed workspaces open without their password; the plain `url` when no link can be had. In the desktop app
 * through the system browser; in a browser in a new tab, opened at once (a tab opened after the request would
 * be blocked as a popup) and cut from this page (`opener = null`) before it leaves for the workspace origin.
 * @returns true when handled (the caller suppresses the link's own navigation).
 */
function openWorkspace(project: ProjectSummary, url: string): boolean {
  const link = api.createOpenLink(project.id).catch(() => url);
  const bridge = getDesktopBridge();
  if (bridge) {
    void link
      .then((target) => bridge.invoke('shell:open-external', { url: target }))
      .then((result) => {
        if (!result.ok) useNotificationsStore.getState().notify({ kind: 'error', title: 'Could not open the browser', message: result.error.message });
      });
    return true;
  }
  const tab = window.open('about:blank', '_blank');
  if (tab === null) return false;
  tab.opener = null;
  void link.then((target) => {
    tab.location.href = target;
  });
  return true;
}

/** The details panel of one workspace: live reads while it is mounted (see `useWorkspaceDetails`), actions wired. */
function WorkspaceDetailsPanel({ project, groups, onClone, onClose }: { project: ProjectSummary; groups: readonly string[]; onClone: (project: ProjectSummary) => void; onClose: () => void }) {
  const { container, disk, refreshDisk, notes } = useWorkspaceDetails(project.id);
  return (
    <WorkspaceDetailsDrawer
      project={project}
      groups={groups}
      container={container}
      disk={disk}
      notes={notes}
      onRefreshDisk={refreshDisk}
      onRename={(name) => renameWorkspace(project.id, name)}
      onSetGroup={(group) => setWorkspaceGroup(project.id, group)}
      onSetPassword={(change) => setWorkspacePassword(project.id, change)}
      onSaveNotes={(text) => saveWorkspaceNotes(project.id, text)}
      onOpen={openWorkspace}
      onClone={() => onClone(project)}
      onClose={onClose}
      network={project.proxyMode === 'none' ? undefined : <WorkspaceNetworkPanel project={project} />}
    />
  );
}

/** Workspaces page: reads the stores, runs the actions, hosts the dialogs; rendering is done by the views. */
export function WorkspacesPage() {
  const projects = useProjectsStore((state) => state.projects);
  const projectsLoaded = useProjectsStore((state) => state.projectsLoaded);
  const pending = useProjectsStore((state) => state.pending);
  const loadError = useProjectsStore((state) => state.loadError);
  const docker = useSystemStore((state) => state.docker);
  const limits = useSystemStore((state) => state.limits);
  const limitsError = useSystemStore((state) => state.limitsError);
  const features = useSystemStore((state) => state.features);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [groupFilterChoice, setGroupFilter] = useState<string>(GROUP_FILTER_ALL);

  const sorted = useMemo(() => sortProjects(projects), [projects]);
  const groups = useMemo(() => distinctGroups(projects), [projects]);
  const groupFilter = effectiveGroupFilter(groupFilterChoice, groups);
  const visible = useMemo(() => filterByGroup(sorted, groupFilter), [sorted, groupFilter]);
  const selectedProject = selectedId ? projects[selectedId] : undefined;
  // Stable callbacks, so memoised rows re-render only when their own workspace changes.
  const onStart = useCallback((project: ProjectSummary) => void startWorkspace(project), []);
  const onStop = useCallback((project: ProjectSummary) => setDialog({ kind: 'confirm', action: 'stop', projectId: project.id }), []);
  const onDelete = useCallback((project: ProjectSummary) => setDialog({ kind: 'confirm', action: 'delete', projectId: project.id }), []);
  const onClone = useCallback((project: ProjectSummary) => {
    if (!useSystemStore.getState().features) void loadFeatures();
    setDialog({ kind: 'clone', projectId: project.id });
  }, []);
  const onDetails = useCallback((project: ProjectSummary) => setSelectedId((current) => (current === project.id ? null : project.id)), []);
  const closeDetails = useCallback(() => setSelectedId(null), []);
  const counts = useMemo(() => {
    const result = { running: 0, creating: 0, stopped: 0, error: 0 };
    for (const project of sorted) result[project.status]++;
    return result;
  }, [sorted]);
  const dockerAvailable = docker?.available ?? true;
  const confirmProject = dialog?.kind === 'confirm' ? projects[dialog.projectId] : undefined;
  const cloneSource = dialog?.kind === 'clone' ? projects[dialog.projectId] : undefined;
  const openCreate = () => {
    if (!limits) void loadLimits();
    if (!features) void loadFeatures();
    setDialog({ kind: 'create' });
  };

  return (
    <main className={selectedProject ? 'page page--with-details' : 'page'} aria-labelledby="page-title">
      <div className="page__header">
        <div>
          <h1 id="page-title" className="page__title">
            Workspaces
          </h1>
          {projectsLoaded && sorted.length > 0 ? (
            <p className="page__summary" data-testid="workspace-summary">
              {sorted.length} {sorted.length === 1 ? 'workspace' : 'workspaces'} · {counts.running} running
              {counts.creating > 0 ? ` · ${counts.creating} starting` : ''} · {counts.stopped} stopped
              {counts.error > 0 ? ` · ${counts.error} with errors` : ''}
            </p>
          ) : null}
        </div>
        <button type="button" className="button button--primary" onClick={openCreate} data-testid="new-workspace-button">
          <Icon name="plus" /> New workspace
        </button>
      </div>

      {!projectsLoaded && loadError ? (
        <LoadFailedAlert what="The workspaces" reason={loadError} onRetry={() => void loadProjects()} testId="load-error" />
      ) : !projectsLoaded ? (
        <LoadingNote text="Loading workspaces…" testId="loading" />
      ) : sorted.length === 0 ? (
        <EmptyState onCreate={openCreate} dockerAvailable={dockerAvailable} />
      ) : (
        <>
          <div className="table-toolbar">
            <label className="table-toolbar__filter">
              <span>Group</span>
              <select className="input" value={groupFilter} onChange={(event) => setGroupFilter(event.target.value)} data-testid="group-filter">
                <option value={GROUP_FILTER_ALL}>All groups</option>
                <option value={GROUP_FILTER_NONE}>No group</option>
                {groups.map((group) => (
                  <option key={group} value={group}>
                    {group}
                  </option>
                ))}
              </select>
            </label>
            {groupFilter !== GROUP_FILTER_ALL ? (
              <span className="muted" data-testid="group-filter-count">
                {visible.length} of {sorted.length} shown
              </span>
            ) : null}
          </div>
          {visible.length === 0 ? (
            <p className="table-card table-card--empty" data-testid="group-filter-empty">
              No workspace matches this group.{' '}
              <button type="button" className="link-button" onClick={() => setGroupFilter(GROUP_FILTER_ALL)}>
                Show all
              </button>
            </p>
          ) : (
            <WorkspaceTable
              projects={visible}
              pending={pending}
              dockerAvailable={dockerAvailable}
              onStart={onStart}
              onStop={onStop}
              onDelete={onDelete}
              onOpen={openWorkspace}
              onDetails={onDetails}
              onClone={onClone}
              selectedId={selectedProject ? selectedProject.id : null}
            />
          )}
        </>
      )}
      {selectedProject ? <WorkspaceDetailsPanel key={selectedProject.id} project={selectedProject} groups={groups} onClone={onClone} onClose={closeDetails} /> : null}

      {dialog?.kind === 'create' ? (
        <CreateWorkspaceDialog
          limits={limits}
          limitsError={limitsError}
          onRetryLimits={() => void loadLimits()}
          features={features}
          groups={groups}
          dockerAvailable={dockerAvailable}
          onCreate={createWorkspace}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog?.kind === 'clone' && cloneSource ? (
        <CloneDialog source={cloneSource} projects={projects} features={features} onClone={(request) => cloneWorkspace(cloneSource.id, request)} onClose={() => setDialog(null)} />
      ) : null}
      {dialog?.kind === 'confirm' && confirmProject ? (
        <ConfirmActionDialog
          action={dialog.action}
          project={confirmProject}
          onConfirm={(password) => (dialog.action === 'stop' ? stopWorkspace(confirmProject, password) : deleteWorkspace(confirmProject, password))}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </main>
  );
}
