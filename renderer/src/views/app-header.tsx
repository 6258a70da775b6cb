import logoUrl from '../logo.svg';
import type { DockerState } from '../../../server/contract/index.js';
import type { ConnectionState } from '../api/event-stream.js';

/** Top-level views of the dashboard; `settings` is reserved. `whitelist` is the Network view (proxy whitelist); `git` the Git server view. */
export type DashboardView = 'workspaces' | 'workshop' | 'whitelist' | 'git' | 'settings';

export const DASHBOARD_VIEWS: { id: DashboardView; label: string; available: boolean }[] = [
  { id: 'workspaces', label: 'Workspaces', available: true },
  { id: 'workshop', label: 'Workshop', available: true },
  { id: 'whitelist', label: 'Network', available: true },
  { id: 'git', label: 'Git', available: true },
  { id: 'settings', label: 'Settings', available: false },
];

export interface AppHeaderProps {
  view: DashboardView;
  onNavigate: (view: DashboardView) => void;
  connection: ConnectionState;
  docker: DockerState | null;
  /** `null` hides the button (the desktop app signs in by itself). */
  onSignOut: (() => void) | null;
}

function ConnectionIndicator({ connection }: { connection: ConnectionState }) {
  const text =
    connection.phase === 'live'
      ? 'Live'
      : connection.phase === 'reconnecting'
        ? 'Reconnecting…'
        : connection.phase === 'connecting'
          ? 'Connecting…'
          : 'Offline';
  const title =
    connection.phase === 'reconnecting'
      ? `Live updates interrupted: ${connection.reason} Next attempt in ${Math.max(1, Math.round(connection.retryInMs / 1000))} s.`
      : 'Workspace status updates arrive live';
  return (
    <span className={`pill pill--connection pill--${connection.phase}`} role="status" aria-live="polite" title={title} data-testid="connection-status" data-phase={connection.phase}>
      <span className="pill__dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function DockerIndicator({ docker }: { docker: DockerState | null }) {
  if (docker === null) return null;
  return (
    <span className={`pill ${docker.available ? 'pill--ok' : 'pill--error'}`} data-testid="docker-status" data-available={docker.available}>
      <span className="pill__dot" aria-hidden="true" />
      {docker.available ? `Docker ${docker.version ?? ''}`.trim() : 'Docker unavailable'}
    </span>
  );
}

/** Product name, view tabs, live and engine indicators, sign-out. Pure. */
export function AppHeader({ view, onNavigate, connection, docker, onSignOut }: AppHeaderProps) {
  return (
    <header className="app-header">
      <div className="app-header__brand">
        <img src={logoUrl} alt="" width="28" height="28" />
        <span className="app-header__name">Xares Desktop</span>
      </div>
      <nav className="app-header__nav" aria-label="Dashboard sections">
        {DASHBOARD_VIEWS.map((entry) => (
          <button
            key={entry.id}
            type="button"
            className={`nav-tab${entry.id === view ? ' is-active' : ''}`}
            aria-current={entry.id === view ? 'page' : undefined}
            disabled={!entry.available}
            title={entry.available ? undefined : 'Coming in a later version'}
            onClick={() => onNavigate(entry.id)}
            data-testid={`nav-${entry.id}`}
          >
            {entry.label}
          </button>
        ))}
      </nav>
      <div className="app-header__status">
        <DockerIndicator docker={docker} />
        <ConnectionIndicator connection={connection} />
        {onSignOut ? (
          <button type="button" className="button button--ghost button--small" onClick={onSignOut} data-testid="sign-out">
            Sign out
          </button>
        ) : null}
      </div>
    </header>
  );
}
