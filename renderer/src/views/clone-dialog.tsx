import { useId, useMemo, useState } from 'react';
import { CloneProjectRequest, MAX_CLONES_PER_REQUEST, ProxyMode, type CloneProjectResponse, type ConfigFeatures, type ProjectSummary } from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';
import { unavailableOptions } from '../stores/create-form.js';
import { cloneRows } from './clone-rows.js';
import { Dialog } from './dialog.js';
import { PROXY_INFO } from './labels.js';
import './clone-dialog.css';

export interface CloneDialogProps {
  /** The workspace to clone (live from the store). */
  source: ProjectSummary;
  /** Every workspace by id, live: the progress of the clones is read from here. */
  projects: Readonly<Record<string, ProjectSummary>>;
  /** Sends the clone request; rejects with an ApiError whose words and field details the dialog shows. */
  onClone: (request: CloneProjectRequest) => Promise<CloneProjectResponse>;
  onClose: () => void;
  /**
   * `features` of `GET /api/config`: proxy modes needing a missing service are disabled with a note. `null`
   * (not loaded) disables nothing; the server still validates.
   */
  features?: ConfigFeatures | null;
}

/**
 * "Clone workspace" dialog (issue 4 "Clone"): how many copies (1–50), an optional password for all of them and
 * their network mode (issue #5; the source's by default, sent only when another one is chosen), then the new clones with a live progress bar each and one for the whole batch. Failed clones show the
 * server's reason. Closing the dialog does not stop the cloning; the table shows the clones too.
 */
export function CloneDialog({ source, projects, onClone, onClose, features = null }: CloneDialogProps) {
  const idPrefix = useId();
  const [count, setCount] = useState('1');
  const [password, setPassword] = useState('');
  const [proxyMode, setProxyMode] = useState<ProxyMode>(source.proxyMode);
  const unavailable = useMemo(() => unavailableOptions(features), [features]);
  const proxyNote = unavailable.proxyMode[proxyMode];
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'count' | 'password' | 'proxyMode', string>>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CloneProjectResponse | null>(null);
  const sourceBusy = source.status === 'creating';

  const submit = async () => {
    if (result) {
      onClose();
      return;
    }
    setServerError(null);
    const parsed = CloneProjectRequest.safeParse({
      count: count.trim() === '' ? Number.NaN : Number(count),
      ...(password !== '' ? { password } : {}),
      ...(proxyMode !== source.proxyMode ? { proxyMode } : {}),
    });
    if (!parsed.success || proxyNote !== undefined) {
      const errors: Partial<Record<'count' | 'password' | 'proxyMode', string>> = {};
      for (const issue of parsed.success ? [] : parsed.error.issues) {
        const field = issue.path[0];
        if ((field === 'count' || field === 'password' || field === 'proxyMode') && !errors[field]) errors[field] = issue.message;
      }
      if (proxyNote !== undefined) errors.proxyMode ??= proxyNote;
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    setBusy(true);
    try {
      setResult(await onClone(parsed.data));
    } catch (error) {
      if (error instanceof ApiError) {
        const details: Partial<Record<'count' | 'password' | 'proxyMode', string>> = {};
        if (error.details['count'] && error.details['count'] !== error.message) details.count = error.details['count'];
        if (error.details['password']) details.password = error.details['password'];
        if (error.details['proxyMode']) details.proxyMode = error.details['proxyMode'];
        setFieldErrors(details);
      }
      setServerError(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  if (result) {
    const rows = cloneRows(result.clones, projects);
    const total = rows.length;
    const running = rows.filter((row) => row.state === 'running').length;
    const failed = rows.filter((row) => row.state === 'failed').length;
    const finished = rows.filter((row) => row.state !== 'working').length;
    const gitFailed = rows.filter((row) => row.gitError !== undefined).length;
    const overall = total === 0 ? 1 : rows.reduce((sum, row) => sum + row.fraction, 0) / total;
    const percent = Math.round(overall * 100);
    return (
      <Dialog
        title={`Cloning “${result.sourceProjectName}”`}
        description="The clones keep being made when you close this dialog; the table shows them too."
        onClose={onClose}
        testId="clone-dialog"
        size="large"
        onSubmit={onClose}
        footer={
          <button type="submit" className="button button--primary" data-testid="clone-done" data-autofocus>
            {finished === total ? 'Done' : 'Close'}
          </button>
        }
      >
        <div className="clone-progress" data-testid="clone-progress" data-finished={finished === total ? 'true' : 'false'}>
          <p className="clone-progress__summary" data-testid="clone-progress-summary" aria-live="polite">
            {running} of {total} running{failed > 0 ? ` · ${failed} failed` : ''}
            {gitFailed > 0 ? ` · ${gitFailed} without ${gitFailed === 1 ? 'its' : 'their'} Git branch` : ''}
            {finished === total ? '' : ` · ${percent} %`}
          </p>
          <div
            className="progress"
            role="progressbar"
            aria-label="All clones"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            data-testid="clone-progress-overall"
          >
            <div className={`progress__bar${failed > 0 ? ' progress__bar--warning' : ''}`} style={{ width: `${percent}%` }} />
          </div>
          <ul className="clone-list" data-testid="clone-list">
            {rows.map((row) => (
              <li key={row.projectId} className={`clone-list__item clone-list__item--${row.state}`} data-testid={`clone-row-${row.projectId}`} data-state={row.state}>
                <div className="clone-list__head">
                  <span className="clone-list__name">{row.name}</span>
                  <span className="clone-list__label" data-testid={`clone-row-label-${row.projectId}`}>
                    {row.label}
                  </span>
                </div>
                <div
                  className="progress progress--small"
                  role="progressbar"
                  aria-label={`Progress of ${row.name}`}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(row.fraction * 100)}
                >
                  <div className={`progress__bar${row.state === 'failed' ? ' progress__bar--error' : ''}`} style={{ width: `${Math.round(row.fraction * 100)}%` }} />
                </div>
                {row.reason ? (
                  <p className="clone-list__reason" role="alert" data-testid={`clone-row-reason-${row.projectId}`}>
                    {row.reason}
                  </p>
                ) : null}
                {row.gitBranch && !row.gitError ? (
                  <p className="clone-list__branch" data-testid={`clone-row-branch-${row.projectId}`}>
                    Branch <span className="mono">{row.gitBranch}</span>
                  </p>
                ) : null}
                {row.gitError ? (
                  <p className="git-warning" role="note" data-testid={`clone-row-git-error-${row.projectId}`}>
                    Its Git branch could not be set up (it works on the default branch): {row.gitError}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      </Dialog>
    );
  }

  const errorId = (field: 'count' | 'password' | 'proxyMode') => `${idPrefix}-${field}-error`;
  return (
    <Dialog
      title={`Clone “${source.name}”`}
      description="Each copy gets the source's files, installed packages and settings, and is named after it with the next free number."
      onClose={onClose}
      busy={busy}
      testId="clone-dialog"
      size="large"
      onSubmit={() => void submit()}
      alert={
        serverError ? (
          <div className="form-alert" role="alert" data-testid="clone-error">
            {serverError}
          </div>
        ) : null
      }
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-testid="clone-cancel">
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy || sourceBusy} data-testid="clone-submit">
            {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
            Clone
          </button>
        </>
      }
    >
      {sourceBusy ? (
        <p className="form-alert" data-testid="clone-source-busy">
          “{source.name}” is still being created. It can be cloned once it is running or stopped.
        </p>
      ) : null}
      <div className="field-row">
        <div className="field">
          <label className="field__label" htmlFor={`${idPrefix}-count`}>
            Number of copies
          </label>
          <input
            id={`${idPrefix}-count`}
            className="input"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_CLONES_PER_REQUEST}
            step={1}
            value={count}
            onChange={(event) => setCount(event.target.value)}
            aria-invalid={fieldErrors.count ? true : undefined}
            aria-describedby={fieldErrors.count ? errorId('count') : undefined}
            data-testid="clone-count"
            data-autofocus
          />
          {fieldErrors.count ? (
            <p className="field__error" id={errorId('count')} data-testid="clone-count-error">
              {fieldErrors.count}
            </p>
          ) : (
            <p className="field__hint">1 to {MAX_CLONES_PER_REQUEST}.</p>
          )}
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${idPrefix}-password`}>
            Password for the copies (optional)
          </label>
          <input
            id={`${idPrefix}-password`}
            className="input"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={fieldErrors.password ? true : undefined}
            aria-describedby={fieldErrors.password ? errorId('password') : undefined}
            data-testid="clone-password"
          />
          {fieldErrors.password ? (
            <p className="field__error" id={errorId('password')} data-testid="clone-password-error">
              {fieldErrors.password}
            </p>
          ) : (
            <p className="field__hint">8–50 characters. Empty: the copies open without a password. The source's password is never copied.</p>
          )}
        </div>
      </div>
      <fieldset className="field" data-testid="clone-proxy-mode" aria-describedby={fieldErrors.proxyMode ? errorId('proxyMode') : undefined}>
        <legend className="field__label">Network of the copies</legend>
        <div className="choice-grid choice-grid--3">
          {ProxyMode.options.map((mode) => {
            const note = unavailable.proxyMode[mode];
            const noteId = `${idPrefix}-clone-proxy-${mode}-note`;
            return (
              <label key={mode} className={`choice-card${proxyMode === mode ? ' is-selected' : ''}${note ? ' is-disabled' : ''}`} data-testid={`clone-proxy-card-${mode}`}>
                <input
                  type="radio"
                  name={`${idPrefix}-clone-proxy`}
                  value={mode}
                  checked={proxyMode === mode}
                  disabled={note !== undefined || busy}
                  aria-describedby={note ? noteId : undefined}
                  onChange={() => {
                    setProxyMode(mode);
                    setFieldErrors(({ proxyMode: _cleared, ...rest }) => rest);
                  }}
                  data-testid={`clone-proxy-${mode}`}
                />
                <span className="choice-card__title">
                  {PROXY_INFO[mode].label}
                  {mode === source.proxyMode ? <span className="muted"> (as the source)</span> : null}
                </span>
                <span className="choice-card__description">{PROXY_INFO[mode].description}</span>
                {note ? (
                  <span className="choice-card__note" id={noteId} data-testid={`clone-proxy-${mode}-unavailable`}>
                    {note}
                  </span>
                ) : null}
              </label>
            );
          })}
        </div>
        {fieldErrors.proxyMode ? (
          <p className="field__error" id={errorId('proxyMode')} data-testid="clone-proxy-error">
            {fieldErrors.proxyMode}
          </p>
        ) : null}
      </fieldset>
    </Dialog>
  );
}
