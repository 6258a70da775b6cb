import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import {
  DisplayName,
  GroupName,
  MAX_NOTES_BYTES,
  utf8ByteLength,
  type ContainerInfo,
  type DiskUsage,
  type ProjectSummary,
} from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';
import type { Reading } from '../pages/use-workspace-details.js';
import { formatNotesSize } from '../stores/project-filters.js';
import { Icon } from './icons.js';
import { STATUS_LABEL, TEMPLATE_INFO, safeHttpUrl } from './labels.js';
import { workspaceGit } from '../stores/git-logic.js';
import { PasswordSection, type PasswordChange } from './password-section.js';
import { StatusBadge } from './status-badge.js';

export interface WorkspaceDetailsDrawerProps {
  project: ProjectSummary;
  /** Existing groups, offered as suggestions. */
  groups: readonly string[];
  container: Reading<ContainerInfo | null>;
  disk: Reading<DiskUsage>;
  notes: Reading<string>;
  onRefreshDisk: () => void;
  /** Each resolves when saved, or rejects with an `ApiError` shown next to the field. */
  onRename: (name: string) => Promise<void>;
  onSetGroup: (group: string) => Promise<void>;
  onSaveNotes: (notes: string) => Promise<void>;
  onSetPassword: (change: PasswordChange) => Promise<void>;
  /** Opening the IDE; the desktop app routes it to the system browser (returns true when it did). */
  onOpen: (project: ProjectSummary, url: string) => boolean;
  /** Opens the clone dialog for this workspace (no Clone button when absent). */
  onClone?: () => void;
  onClose: () => void;
  /** The proxy sections (squid log, recordings) for `security`/`logging` workspaces; the panel widens for them. */
  network?: ReactNode;
}

/** The server's words for a failed save: its message, or the field's own one when the message is generic. */
function fieldError(error: unknown, field: string): string {
  if (error instanceof ApiError && error.code === 'VALIDATION_ERROR' && error.details[field]) return error.details[field];
  return describeError(error);
}

/** Puts text on the clipboard (async Clipboard API, or the older copy command where it is not allowed). */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not a secure context or no permission: fall back below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('The browser did not allow copying. Select the address and copy it by hand.');
}

/**
 * Side panel with everything about one workspace: inline rename, group (with suggestions), notes editor with a
 * 10 KB counter, live CPU/memory/uptime, disk use, and the IDE address to copy or open. Non-modal: the table
 * stays usable; Esc or the close button closes it. Form drafts live here; data and actions come in as props.
 */
export function WorkspaceDetailsDrawer(props: WorkspaceDetailsDrawerProps) {
  const { project, onClose } = props;
  const titleId = useId();
  const panelRef = useRef<HTMLElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    // Focus into the panel on open, and back to where it was (the row's name button) on close.
    const previouslyFocused = document.activeElement as HTMLElement | null;
    panelRef.current?.focus();
    return () => {
      if (previouslyFocused?.isConnected) previouslyFocused.focus();
    };
  }, [project.id]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !event.defaultPrevented) {
      event.preventDefault();
      onCloseRef.current();
    }
  };

  return (
    <aside
      ref={panelRef}
      className={props.network ? 'details-drawer details-drawer--wide' : 'details-drawer'}
      aria-labelledby={titleId}
      data-testid="details-drawer"
      data-project-id={project.id}
      tabIndex={-1}
      onKeyDown={onKeyDown}
    >
      <header className="details-drawer__header">
        <NameEditor titleId={titleId} project={project} onRename={props.onRename} />
        <button type="button" className="icon-button" aria-label="Close details" onClick={onClose} data-testid="details-close">
          <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
            <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
        </button>
      </header>
      <div className="details-drawer__body">
        <div className="details-drawer__meta">
          <StatusBadge status={project.status} testId="details-status" />
          <span>{TEMPLATE_INFO[project.type].label}</span>
          <span className="mono">{project.id}</span>
          {props.onClone ? (
            <button
              type="button"
              className="button button--small"
              onClick={props.onClone}
              disabled={project.status === 'creating'}
              title={project.status === 'creating' ? 'Available once the workspace is running or stopped' : 'Make copies of this workspace'}
              data-testid="details-clone"
            >
              Clone…
            </button>
          ) : null}
        </div>
        <UrlSection project={project} onOpen={props.onOpen} />
        <GitRepoSection project={project} />
        <ResourcesSection project={project} container={props.container} disk={props.disk} onRefreshDisk={props.onRefreshDisk} />
        {props.network ? (
          <div className="details-network" data-testid="details-network" data-proxy-mode={project.proxyMode}>
            {props.network}
          </div>
        ) : null}
        <GroupEditor project={project} groups={props.groups} onSetGroup={props.onSetGroup} />
        <NotesEditor notes={props.notes} onSaveNotes={props.onSaveNotes} />
        <PasswordSection key={project.id} project={project} onSetPassword={props.onSetPassword} />
      </div>
    </aside>
  );
}

function NameEditor({ titleId, project, onRename }: { titleId: string; project: ProjectSummary; onRename: (name: string) => Promise<void> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (draft !== null) inputRef.current?.focus();
  }, [draft !== null]); // eslint-disable-line react-hooks/exhaustive-deps

  if (draft === null) {
    return (
      <div className="details-name">
        <h2 id={titleId} className="details-name__text" data-testid="details-name">
          {project.name}
        </h2>
        <button
          type="button"
          className="button button--small button--ghost"
          onClick={() => {
            setError(null);
            setDraft(project.name);
          }}
          data-testid="details-rename"
        >
          Rename
        </button>
      </div>
    );
  }
  const check = DisplayName.safeParse(draft);
  const localError = check.success ? null : (check.error.issues[0]?.message ?? 'Invalid name');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!check.success || saving) return;
    if (check.data === project.name) {
      setDraft(null);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onRename(check.data);
      setDraft(null);
    } catch (caught) {
      setError(fieldError(caught, 'name'));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="details-name details-name--editing" onSubmit={(event) => void submit(event)} noValidate>
      <h2 id={titleId} className="visually-hidden">
        Rename {project.name}
      </h2>
      <div className="details-name__field">
        <input
          ref={inputRef}
          className="input"
          value={draft}
          maxLength={200}
          aria-label="Workspace name"
          aria-invalid={Boolean(localError || error)}
          onChange={(event) => {
            setDraft(event.target.value);
            setError(null);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault();
              setDraft(null);
            }
          }}
          disabled={saving}
          data-testid="details-name-input"
        />
        {localError || error ? (
          <div className="field__error" role="alert" data-testid="details-name-error">
            {error ?? localError}
          </div>
        ) : null}
      </div>
      <button type="submit" className="button button--small button--primary" disabled={saving || localError !== null} data-testid="details-name-save">
        {saving ? <span className="spinner spinner--small" aria-hidden="true" /> : null}Save
      </button>
      <button type="button" className="button button--small" onClick={() => setDraft(null)} disabled={saving} data-testid="details-name-cancel">
        Cancel
      </button>
    </form>
  );
}

/**
 * The workspace's Git facts, when it has any: its repository on the Git server (`gitRepoUrl`, the browser URL;
 * opens in a new tab), its branch, and why its git set-up failed (`gitError`; the workspace itself works).
 */
function GitRepoSection({ project }: { project: ProjectSummary }) {
  const git = workspaceGit(project);
  if (git === null) return null;
  return (
    <section className="details-section" aria-label="Git repository" data-testid="details-git">
      <h3 className="details-section__title">Git repository</h3>
      {git.link ? (
        <a className="mono" href={git.link} target="_blank" rel="noopener noreferrer" data-testid="details-git-repo">
          {project.gitRepoUrl}
        </a>
      ) : null}
      {git.branch ? (
        <p className="details-git__branch">
          Branch <span className="mono" data-testid="details-git-branch">{git.branch}</span>
        </p>
      ) : null}
      {git.error ? (
        <div className="git-warning" role="note" data-testid="details-git-error">
          <Icon name="alert" size={14} />
          <span>The Git set-up did not complete: {git.error}</span>
        </div>
      ) : null}
    </section>
  );
}

function UrlSection({ project, onOpen }: { project: ProjectSummary; onOpen: (project: ProjectSummary, url: string) => boolean }) {
  const url = safeHttpUrl(project.workspaceUrl);
  const [copyState, setCopyState] = useState<{ kind: 'copied' } | { kind: 'error'; message: string } | null>(null);
  useEffect(() => {
    if (copyState?.kind !== 'copied') return;
    const timer = setTimeout(() => setCopyState(null), 2_000);
    return () => clearTimeout(timer);
  }, [copyState]);
  const running = project.status === 'running' && url !== null;
  return (
    <section className="details-section" aria-label="IDE address">
      <h3 className="details-section__title">IDE address</h3>
      <div className="details-url">
        <code className="details-url__text" data-testid="details-url">
          {project.workspaceUrl}
        </code>
        <button
          type="button"
          className="button button--small"
          onClick={() =>
            void copyText(project.workspaceUrl).then(
              () => setCopyState({ kind: 'copied' }),
              (error: unknown) => setCopyState({ kind: 'error', message: describeError(error) }),
            )
          }
          data-testid="details-copy-url"
        >
          {copyState?.kind === 'copied' ? <Icon name="check" /> : null}
          {copyState?.kind === 'copied' ? 'Copied' : 'Copy'}
        </button>
        {running ? (
          <a
            className="button button--small button--primary"
            href={url}
            target="_blank"
            rel="noopener noreferrer"
            data-testid="details-open-url"
            onClick={(event) => {
              if (onOpen(project, url)) event.preventDefault();
            }}
          >
            Open <Icon name="external" />
          </a>
        ) : (
          <span
            className="button button--small button--primary is-disabled"
            role="link"
            aria-disabled="true"
            title="Available while the workspace is running"
            data-testid="details-open-url"
          >
            Open <Icon name="external" />
          </span>
        )}
      </div>
      {copyState?.kind === 'copied' ? (
        <div className="field__hint" role="status" data-testid="details-url-copied">
          Address copied to the clipboard.
        </div>
      ) : copyState?.kind === 'error' ? (
        <div className="field__error" role="alert" data-testid="details-url-copy-error">
          {copyState.message}
        </div>
      ) : null}
    </section>
  );
}

function ResourcesSection({
  project,
  container,
  disk,
  onRefreshDisk,
}: {
  project: ProjectSummary;
  container: Reading<ContainerInfo | null>;
  disk: Reading<DiskUsage>;
  onRefreshDisk: () => void;
}) {
  const info = container.value;
  const live = info !== null && info.status === 'running';
  const dash = <span className="muted">—</span>;
  return (
    <section className="details-section" aria-label="Resources">
      <h3 className="details-section__title">
        Resources{' '}
        <span className="field__optional">
          ({project.memoryLimit.toUpperCase()}B memory, {project.cpuCores} {project.cpuCores === '1' ? 'core' : 'cores'})
        </span>
      </h3>
      <dl className="details-stats" data-testid="details-resources" data-loaded={container.value !== null || container.error !== null}>
        <div>
          <dt>CPU</dt>
          <dd data-testid="details-cpu">{live ? info.resources.cpu : dash}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd data-testid="details-memory">{live ? info.resources.memory : dash}</dd>
        </div>
        <div>
          <dt>Uptime</dt>
          <dd data-testid="details-uptime">{live ? info.uptime : dash}</dd>
        </div>
        <div>
          <dt>Container</dt>
          <dd data-testid="details-health">
            {info ? `${info.status}${live ? ` · ${info.health}` : ''}` : container.loading ? '…' : `none (${STATUS_LABEL[project.status].toLowerCase()})`}
          </dd>
        </div>
        <div>
          <dt>Disk (changes)</dt>
          <dd data-testid="details-disk">{disk.value ? disk.value.readable : disk.loading ? '…' : dash}</dd>
        </div>
        <div>
          <dt>Disk (total)</dt>
          <dd data-testid="details-disk-total">{disk.value ? disk.value.totalReadable : disk.loading ? '…' : dash}</dd>
        </div>
      </dl>
      {container.error ? (
        <div className="field__error" role="alert" data-testid="details-resources-error">
          {container.error}
        </div>
      ) : null}
      {disk.error ? (
        <div className="field__error" role="alert" data-testid="details-disk-error">
          {disk.error}
        </div>
      ) : null}
      <button type="button" className="link-button" onClick={onRefreshDisk} data-testid="details-disk-refresh">
        Measure disk use again
      </button>
    </section>
  );
}

function GroupEditor({ project, groups, onSetGroup }: { project: ProjectSummary; groups: readonly string[]; onSetGroup: (group: string) => Promise<void> }) {
  const [draft, setDraft] = useState(project.group ?? '');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const listId = useId();
  const inputId = useId();
  const check = GroupName.safeParse(draft);
  const localError = check.success ? null : (check.error.issues[0]?.message ?? 'Invalid group');
  const unchanged = check.success && check.data === (project.group ?? '');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!check.success || saving || unchanged) return;
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      await onSetGroup(check.data);
      setDraft(check.data);
      setSaved(true);
    } catch (caught) {
      setError(fieldError(caught, 'group'));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="details-section" aria-label="Group" onSubmit={(event) => void submit(event)} noValidate>
      <label className="details-section__title" htmlFor={inputId}>
        Group
      </label>
      <div className="details-inline">
        <input
          id={inputId}
          className="input"
          list={listId}
          value={draft}
          placeholder="No group"
          maxLength={100}
          aria-invalid={Boolean(localError || error)}
          onChange={(event) => {
            setDraft(event.target.value);
            setError(null);
            setSaved(false);
          }}
          disabled={saving}
          data-testid="details-group-input"
        />
        <datalist id={listId} data-testid="details-group-suggestions">
          {groups.map((group) => (
            <option key={group} value={group} />
          ))}
        </datalist>
        <button type="submit" className="button button--small" disabled={saving || unchanged || localError !== null} data-testid="details-group-save">
          {saving ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
          {check.success && check.data === '' && project.group ? 'Remove' : 'Save'}
        </button>
      </div>
      {localError || error ? (
        <div className="field__error" role="alert" data-testid="details-group-error">
          {error ?? localError}
        </div>
      ) : saved ? (
        <div className="field__hint" role="status" data-testid="details-group-saved">
          Group saved.
        </div>
      ) : (
        <div className="field__hint">Pick an existing group or type a new one; leave empty for none.</div>
      )}
    </form>
  );
}

function NotesEditor({ notes, onSaveNotes }: { notes: Reading<string>; onSaveNotes: (notes: string) => Promise<void> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [savedText, setSavedText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const inputId = useId();
  const base = savedText ?? notes.value;
  const text = draft ?? base ?? '';
  const bytes = utf8ByteLength(text);
  const over = bytes > MAX_NOTES_BYTES;
  const loaded = base !== null;
  const unchanged = text === (base ?? '');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!loaded || over || saving || unchanged) return;
    setSaving(true);
    setError(null);
    setJustSaved(false);
    try {
      await onSaveNotes(text);
      setSavedText(text);
      setDraft(null);
      setJustSaved(true);
    } catch (caught) {
      setError(fieldError(caught, 'notes'));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="details-section" aria-label="Notes" onSubmit={(event) => void submit(event)} noValidate>
      <label className="details-section__title" htmlFor={inputId}>
        Notes
      </label>
      <textarea
        id={inputId}
        className="input details-notes"
        rows={8}
        value={text}
        placeholder={notes.loading ? 'Loading…' : 'Instructions, progress, anything to remember about this seat.'}
        disabled={!loaded || saving}
        aria-invalid={over || Boolean(error)}
        aria-describedby={`${inputId}-counter`}
        onChange={(event) => {
          setDraft(event.target.value);
          setError(null);
          setJustSaved(false);
        }}
        data-testid="details-notes"
      />
      <div className="details-notes__footer">
        <span
          id={`${inputId}-counter`}
          className={over ? 'details-notes__counter is-over' : 'details-notes__counter'}
          data-testid="details-notes-counter"
          data-bytes={bytes}
          data-over={over}
        >
          {formatNotesSize(bytes)} of {formatNotesSize(MAX_NOTES_BYTES)}
        </span>
        <button type="submit" className="button button--small button--primary" disabled={!loaded || over || saving || unchanged} data-testid="details-notes-save">
          {saving ? <span className="spinner spinner--small" aria-hidden="true" /> : null}Save notes
        </button>
      </div>
      {over ? (
        <div className="field__error" role="alert" data-testid="details-notes-error">
          The notes are {bytes - MAX_NOTES_BYTES} bytes too long: at most 10 KB can be saved. Shorten them before saving.
        </div>
      ) : error || notes.error ? (
        <div className="field__error" role="alert" data-testid="details-notes-error">
          {error ?? `The notes could not be loaded: ${notes.error}`}
        </div>
      ) : justSaved ? (
        <div className="field__hint" role="status" data-testid="details-notes-saved">
          Notes saved.
        </div>
      ) : null}
    </form>
  );
}
