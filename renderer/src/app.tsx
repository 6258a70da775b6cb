import { useEffect, useState } from 'react';
import { startLiveData } from './actions/live-connection.js';
import { signInWithToken, signOut } from './auth/sign-in.js';
import { WorkspacesPage } from './pages/workspaces-page.js';
import { useNotificationsStore } from './stores/notifications-store.js';
import { useSessionStore } from './stores/session-store.js';
import { useSystemStore } from './stores/system-store.js';
import { AppHeader, type DashboardView } from './views/app-header.js';
import { GitView } from './views/git-view.js';
import { SignInView } from './views/sign-in-view.js';
import { SystemBanners } from './views/system-banners.js';
import { Toasts } from './views/toasts.js';
import { WhitelistView } from './views/whitelist-view.js';
import { WorkshopView } from './views/workshop-view.js';

/** Signed-in layout: header, banners, the current view, notifications. Owns the live connection. */
function Dashboard({ canSignOut }: { canSignOut: boolean }) {
  const [view, setView] = useState<DashboardView>('workspaces');
  const connection = useSystemStore((state) => state.connection);
  const docker = useSystemStore((state) => state.docker);
  const image = useSystemStore((state) => state.image);

  useEffect(() => startLiveData(), []);

  return (
    <div className="app">
      <AppHeader view={view} onNavigate={setView} connection={connection} docker={docker} onSignOut={canSignOut ? () => signOut(null) : null} />
      <SystemBanners docker={docker} image={image} />
      {view === 'workspaces' ? <WorkspacesPage /> : null}
      {view === 'workshop' ? <WorkshopView /> : null}
      {view === 'whitelist' ? <WhitelistView /> : null}
      {view === 'git' ? <GitView /> : null}
    </div>
  );
}

/** Root: chooses between start-up, sign-in and the dashboard; notifications float above all. */
export function App() {
  const session = useSessionStore((state) => state.session);
  const notices = useNotificationsStore((state) => state.notices);
  const dismiss = useNotificationsStore((state) => state.dismiss);
  return (
    <>
      {session.phase === 'signed-in' ? (
        <Dashboard key={session.token} canSignOut={session.source !== 'desktop'} />
      ) : session.phase === 'signed-out' ? (
        <SignInView message={session.message} onSubmitToken={signInWithToken} />
      ) : (
        <div className="splash" role="status" data-testid="splash">
          <span className="spinner" aria-hidden="true" /> Signing in…
        </div>
      )}
      <Toasts notices={notices} onDismiss={dismiss} />
    </>
  );
}
