import { useEffect, useId, useState, type FormEvent } from 'react';
import { loadFeatures } from '../actions/live-connection.js';
import { api } from '../services.js';
import {
  checkRepoForm,
  formFromSettings,
  managedUnavailableNote,
  safeLink,
  savingLabel,
  settingsChanged,
  settingsRequest,
  statusLink,
  statusSummary,
  type GitRepoField,
  type GitRepoForm,
  type GitServerMode,
  type GitSettingsForm,
} from '../stores/git-logic.js';
import { createGitStore } from '../stores/git-store.js';
import { formatDateTime } from './labels.js';
import './network-view.css';
import './git-view.css';
import { LoadFailedAlert, LoadingNote } from './load-state.js';

/** The dashboard's Git view state; a save re-reads the server features (the create dialog's Git option follows). */
export const useGitStore = createGitStore(api, () => void loadFeatures());

function FieldError({ id, message, testId }: { id: string; message: string | undefined; testId: string }) {
  return message ? (
    <p id={id} className="field__error" role="alert" data-testid={testId}>
      {message}
    </p>
  ) : null;
}

const MODE_INFO: Record<GitServerMode, { label: string; description: string }> = {
  managed: {
    label: 'Run a Git server on this computer (Forgejo)',
    description: 'Xares runs Forgejo in a container and sets it up itself. Participants open it under /git/ of this server.',
  },
  external: {
    label: 'Use an existing Forgejo or Gitea server',
    description: 'Give its URL and an admin token. Xares keeps the token (never shown again) to create its own service user, which owns the repositories, and one account per workspace.',
  },
};

/** The status line: reachable or not (with the reason), the version, and the server's browser URL as a link. */
function GitStatusLine() {
  const status = useGitStore((state) => state.status);
  const summary = statusSummary(status);
  const link = statusLink(status);
  return (
    <div className="git-status" data-testid="git-status" data-tone={summary.tone} data-reachable={status?.reachable ?? false} role="status" aria-live="polite">
      <span className={`pill ${summary.tone === 'ok' ? 'pill--ok' : summary.tone === 'error' ? 'pill--error' : ''}`}>
        <span className="pill__dot" aria-hidden="true" />
        {summary.tone === 'ok' ? 'Reachable' : summary.tone === 'error' ? 'Not reachable' : 'Off'}
      </span>{' '}
      <span data-testid="git-status-text">{summary.text}</span>
      {link ? (
        <a className="mono git-status__link" href={link} target="_blank" rel="noopener noreferrer" data-testid="git-status-link">
          {link}
        </a>
      ) : null}
    </div>
  );
}

/**
 * Settings card: enabled switch, the choice between the managed server (Forgejo run by Xares; disabled with a
 * note when this computer cannot run it) and an existing server (URL, write-only admin token), Save with the
 * server's words by the field, status.
 */
function GitSettingsCard() {
  const settings = useGitStore((state) => state.settings);
  const saving = useGitStore((state) => state.saving);
  const saveErrors = useGitStore((state) => state.saveErrors);
  const savedAt = useGitStore((state) => state.savedAt);
  const { save, clearSaveError } = useGitStore.getState();
  const [form, setForm] = useState<GitSettingsForm | null>(null);
  const id = useId();

  // The form follows the stored settings until the teacher edits it.
  const current = form ?? (settings ? formFromSettings(settings) : { enabled: false, mode: 'external' as const, url: '', adminToken: '' });
  const edit = (change: Partial<GitSettingsForm>, field: 'enabled' | 'mode' | 'url' | 'adminToken') => {
    setForm({ ...current, ...change });
    clearSaveError(field);
    clearSaveError('form');
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await save(settingsRequest(current))) setForm(null);
  };
  const dirty = settingsChanged(settings, current);
  const managedNote = managedUnavailableNote(settings);
  const modeNoteId = `${id}-managed-note`;

  return (
    <section className="network-card" aria-labelledby={`${id}-title`} data-testid="git-settings" data-mode={settings?.mode ?? ''}>
      <h2 id={`${id}-title`} className="network-card__title">
        Git server
      </h2>
      <GitStatusLine />
      <form onSubmit={(event) => void submit(event)} noValidate aria-busy={saving}>
        <div className="field">
          <label className="checkbox">
            <input type="checkbox" checked={current.enabled} disabled={saving} onChange={(event) => edit({ enabled: event.target.checked }, 'enabled')} data-testid="git-enabled" />
            <span>Use a Git server</span>
          </label>
          <FieldError id={`${id}-enabled-error`} message={saveErrors.enabled} testId="git-enabled-error" />
        </div>
        <fieldset className="field" data-testid="git-mode">
          <legend className="field__label">Which server</legend>
          <div className="choice-grid git-mode-grid">
            {(['managed', 'external'] as const).map((mode) => {
              const note = mode === 'managed' ? managedNote : null;
              return (
                <label key={mode} className={`choice-card${current.mode === mode ? ' is-selected' : ''}${note ? ' is-disabled' : ''}`} data-testid={`git-mode-card-${mode}`}>
                  <input
                    type="radio"
                    name={`${id}-mode`}
                    value={mode}
                    checked={current.mode === mode}
                    disabled={saving || note !== null}
                    aria-describedby={note ? modeNoteId : undefined}
                    onChange={() => edit({ mode }, 'mode')}
                    data-testid={`git-mode-${mode}`}
                  />
                  <span className="choice-card__title">{MODE_INFO[mode].label}</span>
                  <span className="choice-card__description">{MODE_INFO[mode].description}</span>
                  {note ? (
                    <span className="choice-card__note" id={modeNoteId} data-testid="git-mode-managed-unavailable">
                      {note}
                    </span>
                  ) : null}
                </label>
              );
            })}
          </div>
          <FieldError id={`${id}-mode-error`} message={saveErrors.mode} testId="git-mode-error" />
        </fieldset>
        {current.mode === 'external' ? (
          <>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-url`}>
                Server URL
              </label>
              <input
                id={`${id}-url`}
                className="input mono"
                type="url"
                value={current.url}
                placeholder="https://git.example.org/"
                maxLength={2048}
                spellCheck={false}
                autoComplete="off"
                disabled={saving}
                aria-invalid={saveErrors.url !== undefined}
                aria-describedby={`${id}-url-error`}
                onChange={(event) => edit({ url: event.target.value }, 'url')}
                data-testid="git-url"
              />
              <FieldError id={`${id}-url-error`} message={saveErrors.url} testId="git-url-error" />
            </div>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-token`}>
                Admin token
              </label>
              <input
                id={`${id}-token`}
                className="input mono"
                type="password"
                value={current.adminToken}
                placeholder={settings?.adminTokenSet ? 'set (leave empty to keep it)' : 'not set'}
                maxLength={1024}
                autoComplete="new-password"
                spellCheck={false}
                disabled={saving}
                aria-invalid={saveErrors.adminToken !== undefined}
                aria-describedby={`${id}-token-hint ${id}-token-error`}
                onChange={(event) => edit({ adminToken: event.target.value }, 'adminToken')}
                data-testid="git-admin-token"
              />
              <p id={`${id}-token-hint`} className="field__hint" data-testid="git-admin-token-state">
                {settings?.adminTokenSet ? 'An admin token is set. It is never shown; type a new one to replace it.' : 'No admin token is set.'}
              </p>
              <FieldError id={`${id}-token-error`} message={saveErrors.adminToken} testId="git-admin-token-error" />
            </div>
          </>
        ) : null}
        <FieldError id={`${id}-form-error`} message={saveErrors.form} testId="git-settings-error" />
        <div className="details-inline">
          <button type="submit" className="button button--primary" disabled={saving || !dirty} data-testid="git-save">
            {saving ? (
              <>
                <span className="spinner spinner--small" aria-hidden="true" /> {savingLabel(current)}
              </>
            ) : (
              'Save'
            )}
          </button>
          {saving && current.enabled && current.mode === 'managed' ? (
            <span className="field__hint" role="status" data-testid="git-starting">
              The first start downloads and sets up Forgejo; this can take a minute.
            </span>
          ) : null}
          {savedAt !== null && !dirty && !saving ? (
            <span className="field__hint" role="status" data-testid="git-saved">
              Saved.
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

const EMPTY_REPO_FORM: GitRepoForm = { name: '', description: '', private: false };

/** Create-repository form with the contract's checks as typed and the server's 400/409 words by the field. */
function CreateRepositoryForm() {
  const creating = useGitStore((state) => state.creating);
  const createErrors = useGitStore((state) => state.createErrors);
  const { createRepository, clearCreateError } = useGitStore.getState();
  const [form, setForm] = useState<GitRepoForm>(EMPTY_REPO_FORM);
  const [localErrors, setLocalErrors] = useState<Partial<Record<GitRepoField, string>>>({});
  const id = useId();
  const edit = (change: Partial<GitRepoForm>, field: GitRepoField) => {
    setForm({ ...form, ...change });
    setLocalErrors({});
    clearCreateError(field);
    clearCreateError('form');
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkRepoForm(form);
    if (checked.request === null) {
      setLocalErrors(checked.errors);
      return;
    }
    if (await createRepository(checked.request)) setForm(EMPTY_REPO_FORM);
  };
  const errors = { ...createErrors, ...localErrors };
  return (
    <form className="git-create" onSubmit={(event) => void submit(event)} noValidate aria-labelledby={`${id}-title`} data-testid="git-create-form">
      <h3 id={`${id}-title`} className="details-section__title">
        New repository
      </h3>
      <div className="field">
        <label className="field__label" htmlFor={`${id}-name`}>
          Name
        </label>
        <input
          id={`${id}-name`}
          className="input mono"
          value={form.name}
          maxLength={200}
          spellCheck={false}
          autoComplete="off"
          disabled={creating}
          aria-invalid={errors.name !== undefined}
          aria-describedby={`${id}-name-error`}
          onChange={(event) => edit({ name: event.target.value }, 'name')}
          data-testid="git-repo-name"
        />
        <FieldError id={`${id}-name-error`} message={errors.name} testId="git-repo-name-error" />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={`${id}-description`}>
          Description (optional)
        </label>
        <input
          id={`${id}-description`}
          className="input"
          value={form.description}
          disabled={creating}
          aria-invalid={errors.description !== undefined}
          aria-describedby={`${id}-description-error`}
          onChange={(event) => edit({ description: event.target.value }, 'description')}
          data-testid="git-repo-description"
        />
        <FieldError id={`${id}-description-error`} message={errors.description} testId="git-repo-description-error" />
      </div>
      <div className="field">
        <label className="checkbox">
          <input type="checkbox" checked={form.private} disabled={creating} onChange={(event) => edit({ private: event.target.checked }, 'private')} data-testid="git-repo-private" />
          <span>Private</span>
        </label>
      </div>
      <FieldError id={`${id}-form-error`} message={errors.form} testId="git-create-error" />
      <button type="submit" className="button button--primary" disabled={creating || form.name.trim() === ''} data-testid="git-repo-create">
        {creating ? 'Creating…' : 'Create repository'}
      </button>
    </form>
  );
}

/** The repository list (newest first) and the create form; shown while the Git server is enabled. */
function RepositoriesCard() {
  const repositories = useGitStore((state) => state.repositories);
  const loading = useGitStore((state) => state.repositoriesLoading);
  const error = useGitStore((state) => state.repositoriesError);
  const { loadRepositories } = useGitStore.getState();
  const id = useId();
  return (
    <section className="network-card" aria-labelledby={`${id}-title`} data-testid="git-repositories">
      <h2 id={`${id}-title`} className="network-card__title">
        Repositories
      </h2>
      {error ? (
        <LoadFailedAlert what="The repositories" reason={error} onRetry={() => void loadRepositories()} testId="git-repositories-error" />
      ) : null}
      {repositories === null ? (
        loading ? (
          <LoadingNote text="Loading the repositories…" />
        ) : null
      ) : repositories.length === 0 ? (
        <p className="field__hint" data-testid="git-repositories-empty">
          No repositories yet.
        </p>
      ) : (
        <div className="table-card">
          <table className="workspace-table" data-testid="git-repository-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Visibility</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {repositories.map((repository) => {
                const link = safeLink(repository.url);
                return (
                  <tr key={repository.fullName} data-testid="git-repository-row" data-name={repository.name}>
                    <td className="mono git-repository-name">
                      {link ? (
                        <a href={link} target="_blank" rel="noopener noreferrer" data-testid="git-repository-link">
                          {repository.fullName}
                        </a>
                      ) : (
                        repository.fullName
                      )}
                    </td>
                    <td className="git-repository-description" data-testid="git-repository-description">{repository.description}</td>
                    <td data-testid="git-repository-private">{repository.private ? 'Private' : 'Public'}</td>
                    <td>{formatDateTime(repository.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <CreateRepositoryForm />
    </section>
  );
}

/**
 * The "Git" view (issue #7): the Git server settings (enabled; the managed Forgejo run by Xares, or an existing
 * server's URL and write-only admin token) with its status (reachable, version, browser URL, the reason when not), and while enabled the repositories of Xares' service user with a
 * small create form. Refusals are shown by their field in the server's words.
 */
export function GitView() {
  const settings = useGitStore((state) => state.settings);
  const loadError = useGitStore((state) => state.loadError);
  const { load } = useGitStore.getState();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <main className="page network-page" aria-labelledby="git-title" data-testid="git-view">
      <div className="page__header">
        <div>
          <h1 id="git-title" className="page__title">
            Git
          </h1>
          <p className="page__summary">A Git server gives each workspace created with “Create Git repository” its own repository, and each clone its own branch.</p>
        </div>
      </div>
      {loadError && settings === null ? (
        <LoadFailedAlert what="The Git settings" reason={loadError} onRetry={() => void load()} testId="git-load-error" />
      ) : settings === null ? (
        <LoadingNote text="Loading the Git settings…" testId="git-loading" />
      ) : (
        <div className="network-grid">
          <GitSettingsCard />
          {settings.enabled ? <RepositoriesCard /> : null}
        </div>
      )}
    </main>
  );
}
