import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { Claim, ReleasedClaim } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { api } from '../services.js';
import { useNotificationsStore } from '../stores/notifications-store.js';
import { useProjectsStore } from '../stores/projects-store.js';
import { describeClaimTime, seatRows, useWorkshopStore, type SeatRow } from '../stores/workshop-store.js';
import { Dialog } from './dialog.js';
import { StatusBadge } from './status-badge.js';
import { qrShape } from './workshop-qr.js';
import './workshop-view.css';
import { LoadFailedAlert, LoadingNote } from './load-state.js';

/** How often the "since" column is re-rendered, ms (minutes are shown). */
const CLOCK_TICK_MS = 30_000;

function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The join URL's QR code as an inline SVG (drawn from the `qrcode` package's module matrix). */
function QrCode({ text, className, testId }: { text: string; className: string; testId: string }) {
  const shape = useMemo(() => {
    try {
      return qrShape(text);
    } catch {
      return null;
    }
  }, [text]);
  if (shape === null) return null;
  return (
    <svg
      className={className}
      viewBox={`0 0 ${shape.size} ${shape.size}`}
      role="img"
      aria-label={`QR code of ${text}`}
      shapeRendering="crispEdges"
      data-testid={testId}
      data-text={text}
    >
      <rect width={shape.size} height={shape.size} fill="#fff" />
      <path d={shape.path} fill="#000" />
    </svg>
  );
}

/** The join URL and its QR code filling the screen, for the projector; Esc, a click or the button closes it. */
function QrFullScreen({ url, onClose }: { url: string; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  useEffect(() => {
    const element = ref.current;
    const previouslyFocused = document.activeElement as HTMLElement | null;
    element?.focus();
    // Real full screen where the browser allows it; the overlay alone covers the window otherwise.
    if (element && typeof element.requestFullscreen === 'function') element.requestFullscreen().catch(() => undefined);
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onCloseRef.current();
    };
    const onFullscreenChange = () => {
      if (document.fullscreenElement === null) onCloseRef.current();
    };
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('fullscreenchange', onFullscreenChange);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('fullscreenchange', onFullscreenChange);
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
      previouslyFocused?.focus?.();
    };
  }, []);
  return (
    <div ref={ref} className="qr-fullscreen" role="dialog" aria-modal="true" aria-label="Join QR code" tabIndex={-1} onClick={onClose} data-testid="workshop-qr-fullscreen">
      <QrCode text={url} className="qr-fullscreen__code" testId="workshop-qr-large" />
      <p className="qr-fullscreen__url">{url}</p>
      <button type="button" className="button" onClick={onClose} data-testid="workshop-qr-fullscreen-close">
        Close
      </button>
    </div>
  );
}

/** What the release dialog names: the workspace and who holds it. */
interface ReleaseTarget {
  projectName: string;
  claim: { name: string; email: string } | null;
}

/** Confirmation of a release: who loses the seat, what stays. */
function ReleaseDialog({ seat, onConfirm, onClose }: { seat: ReleaseTarget; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (caught) {
      setBusy(false);
      setError(describeError(caught));
    }
  };
  return (
    <Dialog
      title="Release seat?"
      onClose={onClose}
      busy={busy}
      testId="confirm-dialog"
      onSubmit={() => void submit()}
      alert={
        error ? (
          <div className="form-alert" role="alert" data-testid="confirm-error">
            {error}
          </div>
        ) : null
      }
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-testid="confirm-cancel" data-autofocus>
            Cancel
          </button>
          <button type="submit" className="button button--danger" disabled={busy} data-testid="confirm-submit">
            {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
            {busy ? 'Releasing…' : 'Release seat'}
          </button>
        </>
      }
    >
      <p className="confirm-text">
        <strong data-testid="confirm-project-name">{seat.projectName}</strong> — <span data-testid="confirm-participant">{seat.claim?.name}</span>
        {seat.claim ? <span className="muted"> ({seat.claim.email})</span> : null} loses this seat: their browser no longer gets in. The workspace
        and its files stay as they are, and the next participant who joins may get it.
      </p>
    </Dialog>
  );
}

function SeatStateLabel({ row }: { row: SeatRow }) {
  if (row.state === 'template') {
    return (
      <span className="seat-state seat-state--template" title="The workspace the seats were cloned from: participants never get it">
        Template
      </span>
    );
  }
  if (row.state === 'claimed') return <span className="seat-state seat-state--claimed">Claimed</span>;
  if (row.state === 'free') return <span className="seat-state seat-state--free">Free</span>;
  return (
    <span className="seat-state seat-state--unavailable" title="Only running workspaces can be claimed">
      Not available
    </span>
  );
}

function SeatBoard({ rows, releasing, now, onRelease }: { rows: SeatRow[]; releasing: Readonly<Record<string, true>>; now: number; onRelease: (row: SeatRow) => void }) {
  return (
    <div className="table-card">
      <table className="workspace-table seat-table" data-testid="seat-board">
        <thead>
          <tr>
            <th scope="col">Seat</th>
            <th scope="col">Workspace</th>
            <th scope="col">Participant</th>
            <th scope="col">Since</th>
            <th scope="col" className="workspace-table__actions-head">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const since = row.claim ? describeClaimTime(row.claim.claimedAt, now) : null;
            return (
              <tr key={row.projectId} data-testid="seat-row" data-project-id={row.projectId} data-state={row.state} aria-busy={releasing[row.projectId] ? true : undefined}>
                <td>
                  <div className="workspace-name">
                    <span className="workspace-name__text" title={row.projectName} data-testid="seat-name">
                      {row.projectName}
                    </span>
                  </div>
                  <SeatStateLabel row={row} />
                </td>
                <td>
                  <StatusBadge status={row.status} testId="seat-status" />
                </td>
                <td>
                  {row.claim ? (
                    <div className="seat-participant">
                      <span className="seat-participant__name" data-testid="seat-participant">
                        {row.claim.name}
                      </span>
                      <span className="seat-participant__email" data-testid="seat-email">
                        {row.claim.email}
                      </span>
                    </div>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="nowrap">
                  {since ? (
                    <span title={row.claim?.claimedAt}>
                      {since.time} <span className="muted">· {since.ago}</span>
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  <div className="row-actions">
                    {row.state === 'template' ? (
                      <span className="muted" data-testid="seat-template">
                        Template (not a seat)
                      </span>
                    ) : row.claim ? (
                      <button
                        type="button"
                        className="button button--small button--danger-ghost"
                        onClick={() => onRelease(row)}
                        disabled={Boolean(releasing[row.projectId])}
                        aria-label={`Release ${row.projectName} (${row.claim.name})`}
                        data-testid="seat-release"
                      >
                        Release
                      </button>
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Active claims no seat row shows: made while another group was open (they still let their participant in
 * and keep their e-mail registered in that group), or on a workspace that became a template.
 */
function OtherClaimsTable({ claims, releasing, now, onRelease }: { claims: readonly Claim[]; releasing: Readonly<Record<string, true>>; now: number; onRelease: (claim: Claim) => void }) {
  return (
    <div className="table-card">
      <table className="workspace-table" data-testid="other-claims">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Workspace</th>
            <th scope="col">Participant</th>
            <th scope="col">Since</th>
            <th scope="col" className="workspace-table__actions-head">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {claims.map((claim) => {
            const since = describeClaimTime(claim.claimedAt, now);
            return (
              <tr key={claim.projectId} data-testid="other-claim-row" data-project-id={claim.projectId} aria-busy={releasing[claim.projectId] ? true : undefined}>
                <td data-testid="other-claim-group">{claim.group === '' ? <span className="muted">unknown</span> : claim.group}</td>
                <td>{claim.projectName}</td>
                <td>
                  <div className="seat-participant">
                    <span className="seat-participant__name">{claim.name}</span>
                    <span className="seat-participant__email">{claim.email}</span>
                  </div>
                </td>
                <td className="nowrap">
                  <span title={claim.claimedAt}>
                    {since.time} <span className="muted">· {since.ago}</span>
                  </span>
                </td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      className="button button--small button--danger-ghost"
                      onClick={() => onRelease(claim)}
                      disabled={Boolean(releasing[claim.projectId])}
                      aria-label={`Release ${claim.projectName} (${claim.name})`}
                      data-testid="other-claim-release"
                    >
                      Release
                    </button>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function HistoryTable({ history }: { history: readonly ReleasedClaim[] }) {
  const format = (iso: string) => {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? iso : new Date(at).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  };
  return (
    <div className="table-card">
      <table className="workspace-table" data-testid="workshop-history">
        <thead>
          <tr>
            <th scope="col">Participant</th>
            <th scope="col">E-mail</th>
            <th scope="col">Workspace</th>
            <th scope="col">Claimed</th>
            <th scope="col">Released</th>
          </tr>
        </thead>
        <tbody>
          {history.map((entry) => (
            <tr key={`${entry.projectId}:${entry.claimedAt}`} data-testid="history-row">
              <td className="seat-participant__name">{entry.name}</td>
              <td>{entry.email}</td>
              <td>{entry.projectName}</td>
              <td className="nowrap" title={entry.claimedAt}>
                {format(entry.claimedAt)}
              </td>
              <td className="nowrap" title={entry.releasedAt}>
                {format(entry.releasedAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Saves a Blob under `fileName` through a temporary object URL (the token never appears in any URL). */
function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The Workshop view: which group is open for registration, registration on/off, the join URL with its QR code
 * (and a full-screen mode for the projector), the live seat board with release, the release history and the
 * CSV export. Data: `useWorkshopStore` (refetched on `workshop.changed`), live workspace status from the
 * projects store.
 */
export function WorkshopView() {
  const board = useWorkshopStore((state) => state.board);
  const history = useWorkshopStore((state) => state.history);
  const loadError = useWorkshopStore((state) => state.loadError);
  const historyError = useWorkshopStore((state) => state.historyError);
  const savingSettings = useWorkshopStore((state) => state.savingSettings);
  const settingsError = useWorkshopStore((state) => state.settingsError);
  const releasing = useWorkshopStore((state) => state.releasing);
  const projects = useProjectsStore((state) => state.projects);
  const now = useNow();
  const [releaseId, setReleaseId] = useState<string | null>(null);
  const [fullScreen, setFullScreen] = useState(false);
  const [copied, setCopied] = useState(false);
  const [exporting, setExporting] = useState(false);
  const groupId = useId();
  const joinUrlId = useId();
  const joinUrlRef = useRef<HTMLInputElement>(null);

  useEffect(() => useWorkshopStore.getState().start(), []);
  const rows = useMemo(() => seatRows(board, projects), [board, projects]);
  const liveGroups = useMemo(() => Object.values(projects).flatMap((project) => (project.group ? [project.group] : [])), [projects]);
  const otherClaims = board?.otherClaims ?? [];
  const otherRelease = releaseId ? otherClaims.find((claim) => claim.projectId === releaseId) : undefined;
  const releaseRow: ReleaseTarget | undefined = releaseId
    ? (rows.find((row) => row.projectId === releaseId && row.claim !== null) ??
      (otherRelease ? { projectName: otherRelease.projectName, claim: { name: otherRelease.name, email: otherRelease.email } } : undefined))
    : undefined;
  const notify = useNotificationsStore((state) => state.notify);

  const copyJoinUrl = async () => {
    if (!board) return;
    try {
      await navigator.clipboard.writeText(board.joinUrl);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      joinUrlRef.current?.select();
    }
  };

  const exportCsv = async () => {
    setExporting(true);
    try {
      const { blob, fileName } = await api.downloadWorkshopClaimsCsv();
      saveBlob(blob, fileName);
    } catch (error) {
      notify({ kind: 'error', title: 'Could not export the claims', message: describeError(error) });
    } finally {
      setExporting(false);
    }
  };

  if (board === null) {
    return (
      <main className="page" aria-labelledby="page-title">
        <div className="page__header">
          <h1 id="page-title" className="page__title">
            Workshop
          </h1>
        </div>
        {loadError ? (
          <LoadFailedAlert what="The workshop" reason={loadError} onRetry={() => void useWorkshopStore.getState().refresh()} testId="workshop-load-error" />
        ) : (
          <LoadingNote text="Loading the workshop…" testId="workshop-loading" />
        )}
      </main>
    );
  }

  const { settings, counts, joinUrl } = board;
  // The board's groups plus those of workspaces created since (the live list knows them first).
  const groups = [...new Set([...board.groups, ...(settings.group !== null ? [settings.group] : []), ...liveGroups])].sort((a, b) => a.localeCompare(b));
  const open = settings.group !== null && settings.registrationOpen;

  return (
    <main className="page workshop" aria-labelledby="page-title" data-testid="workshop-view">
      <div className="page__header">
        <div>
          <h1 id="page-title" className="page__title">
            Workshop
          </h1>
          <p className="page__summary" data-testid="workshop-summary" data-available={counts.available} data-claimed={counts.claimed} data-total={counts.total}>
            {settings.group === null
              ? 'No group is open for registration.'
              : `${counts.available} free · ${counts.claimed} claimed · ${counts.total} ${counts.total === 1 ? 'workspace' : 'workspaces'} in “${settings.group}”`}
          </p>
        </div>
        <button type="button" className="button" onClick={() => void exportCsv()} disabled={exporting} data-testid="workshop-export">
          {exporting ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
          Export claims (CSV)
        </button>
      </div>

      {loadError ? (
        <div className="form-alert" role="alert" data-testid="workshop-load-error">
          The board could not be refreshed: {loadError}
        </div>
      ) : null}

      <div className="workshop__top">
        <section className="workshop-card" aria-labelledby="workshop-registration-title">
          <h2 id="workshop-registration-title" className="workshop-card__title">
            Registration
          </h2>
          <div className="field">
            <label className="field__label" htmlFor={groupId}>
              Group open for registration
            </label>
            <select
              id={groupId}
              className="input"
              value={settings.group ?? ''}
              disabled={savingSettings}
              onChange={(event) => void useWorkshopStore.getState().setGroup(event.target.value === '' ? null : event.target.value)}
              data-testid="workshop-group-select"
            >
              <option value="">No workshop (nobody can join)</option>
              {groups.map((group) => (
                <option key={group} value={group}>
                  {group}
                </option>
              ))}
            </select>
            <p className="field__hint">
              {groups.length === 0
                ? 'No workspace has a group yet. Give the workshop’s workspaces a group on the Workspaces page.'
                : 'Participants get one running workspace of this group each.'}
            </p>
          </div>
          <label className="toggle workshop__toggle">
            <input
              type="checkbox"
              checked={settings.registrationOpen}
              disabled={savingSettings || settings.group === null}
              onChange={(event) => void useWorkshopStore.getState().setRegistrationOpen(event.target.checked)}
              data-testid="workshop-registration-toggle"
            />
            <span className="toggle__track" aria-hidden="true" />
            Registration open
          </label>
          <p className={`workshop-state ${open ? 'workshop-state--open' : 'workshop-state--closed'}`} role="status" data-testid="workshop-registration-state" data-open={open}>
            {open ? 'Participants can join now.' : settings.group === null ? 'Choose a group to start the workshop.' : 'Registration is closed: the join page says so.'}
          </p>
          {settingsError ? (
            <div className="form-alert" role="alert" data-testid="workshop-settings-error">
              {settingsError}
            </div>
          ) : null}
        </section>

        <section className="workshop-card workshop-join" aria-labelledby="workshop-join-title">
          <h2 id="workshop-join-title" className="workshop-card__title">
            Join link
          </h2>
          <div className="workshop-join__body">
            <QrCode text={joinUrl} className="workshop-join__qr" testId="workshop-qr" />
            <div className="workshop-join__details">
              <label className="field__label" htmlFor={joinUrlId}>
                Participants open
              </label>
              <div className="workshop-join__url">
                <input
                  ref={joinUrlRef}
                  id={joinUrlId}
                  className="input mono"
                  readOnly
                  value={joinUrl}
                  onFocus={(event) => event.target.select()}
                  data-testid="workshop-join-url"
                />
                <button type="button" className="button" onClick={() => void copyJoinUrl()} data-testid="workshop-copy" aria-live="polite">
                  {copied ? 'Copied' : 'Copy'}
                </button>
              </div>
              <p className="field__hint">Any device on this network can open it: no account, no set-up. Or scan the code.</p>
              <button type="button" className="button button--primary" onClick={() => setFullScreen(true)} data-testid="workshop-qr-show">
                Show full screen
              </button>
            </div>
          </div>
        </section>
      </div>

      <section className="workshop__section" aria-labelledby="workshop-seats-title">
        <h2 id="workshop-seats-title" className="workshop__heading">
          Seats
        </h2>
        {settings.group === null ? (
          <p className="table-card table-card--empty" data-testid="seat-board-empty">
            Choose the group of workspaces the participants may claim.
          </p>
        ) : rows.length === 0 ? (
          <p className="table-card table-card--empty" data-testid="seat-board-empty">
            The group “{settings.group}” has no workspaces yet. Create or clone workspaces into it on the Workspaces page.
          </p>
        ) : (
          <SeatBoard rows={rows} releasing={releasing} now={now} onRelease={(row) => setReleaseId(row.projectId)} />
        )}
      </section>

      {otherClaims.length > 0 ? (
        <section className="workshop__section" aria-labelledby="workshop-other-claims-title">
          <h2 id="workshop-other-claims-title" className="workshop__heading">
            Claims in other groups
          </h2>
          <p className="field__hint">
            These participants registered while another group was open (or their workspace is a template now). They still get into
            their workspace until you release the claim.
          </p>
          <OtherClaimsTable claims={otherClaims} releasing={releasing} now={now} onRelease={(claim) => setReleaseId(claim.projectId)} />
        </section>
      ) : null}

      <section className="workshop__section" aria-labelledby="workshop-history-title">
        <h2 id="workshop-history-title" className="workshop__heading">
          Released seats
        </h2>
        {historyError ? (
          <div className="form-alert" role="alert" data-testid="workshop-history-error">
            The history could not be loaded: {historyError}
          </div>
        ) : null}
        {history === null ? null : history.length === 0 ? (
          <p className="table-card table-card--empty" data-testid="workshop-history-empty">
            No seat has been released yet.
          </p>
        ) : (
          <HistoryTable history={history} />
        )}
      </section>

      {releaseRow ? (
        <ReleaseDialog
          seat={releaseRow}
          onConfirm={async () => {
            const released = await useWorkshopStore.getState().release(releaseId as string);
            notify({ kind: 'success', title: 'Seat released', message: `${released.projectName} is free for the next participant.` });
          }}
          onClose={() => setReleaseId(null)}
        />
      ) : null}
      {fullScreen ? <QrFullScreen url={joinUrl} onClose={() => setFullScreen(false)} /> : null}
    </main>
  );
}
