import { useEffect, useId, useMemo, useState } from 'react';
import { MEMORY_LIMIT_MB, ProjectType, ProxyMode, type ConfigFeatures, type CreateProjectInput, type LimitsResponse } from '../../../server/contract/index.js';
import { ApiError, describeError, withHint } from '../api/api-error.js';
import {
  allowedCpuCores,
  allowedMemoryLimits,
  defaultCreateForm,
  unavailableOptions,
  validateCreateForm,
  withoutUnavailableChoices,
  type CreateFormField,
  type CreateFormValues,
} from '../stores/create-form.js';
import { Dialog } from './dialog.js';
import { PROXY_INFO, TEMPLATE_INFO } from './labels.js';

export interface CreateWorkspaceDialogProps {
  limits: LimitsResponse | null;
  limitsError: string | null;
  onRetryLimits: () => void;
  /**
   * `features` of `GET /api/config`: options needing a missing service are disabled with a note. `null` (not
   * loaded, or loading failed) disables nothing; the server still validates.
   */
  features: ConfigFeatures | null;
  /** Existing groups, offered as suggestions. */
  groups: readonly string[];
  dockerAvailable: boolean;
  /** Sends the request; rejects with an ApiError whose words and field details the dialog shows. */
  onCreate: (input: CreateProjectInput) => Promise<unknown>;
  onClose: () => void;
}

const FIELD_ORDER: CreateFormField[] = ['projectName', 'projectType', 'passwordProtected', 'password', 'proxyMode', 'memoryLimit', 'cpuCores', 'group', 'createGitRepo'];

/** Server-side failures in words, with a hint where the teacher can do something about it. */
function describeCreateError(error: unknown): string {
  if (!(error instanceof ApiError)) return describeError(error);
  switch (error.code) {
    case 'PROJECT_EXISTS':
      return withHint(error.message, 'Choose another name.');
    case 'SERVICE_UNAVAILABLE':
      return /docker/i.test(error.message)
        ? error.message
        : withHint(error.message, 'Is Docker running? Start Docker Desktop, or run “sudo systemctl start docker” on Linux.');
    case 'CONCURRENT_LIMIT_REACHED':
      return withHint(error.message, 'Stop a running workspace first, or raise MAX_CONCURRENT_WORKSPACES.');
    case 'WORKSPACE_LIMIT_EXCEEDED':
      return withHint(error.message, 'Delete a workspace you no longer need.');
    default:
      return error.message;
  }
}

/**
 * The "New workspace" dialog: every field of the contract's create request, checked as you type with the
 * server's own schema (`CreateProjectRequest`) and the configured limits; options the server cannot serve
 * (proxy modes, Git repository; from `features`) are disabled with a note; server errors appear in the
 * dialog, per field when the server names the field.
 */
export function CreateWorkspaceDialog({ limits, limitsError, onRetryLimits, features, groups, dockerAvailable, onCreate, onClose }: CreateWorkspaceDialogProps) {
  const [values, setValues] = useState<CreateFormValues>(() => defaultCreateForm(limits));
  const [touched, setTouched] = useState<Partial<Record<CreateFormField, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [serverFieldErrors, setServerFieldErrors] = useState<Partial<Record<string, string>>>({});
  const idPrefix = useId();
  const groupListId = `${idPrefix}-groups`;

  const unavailable = useMemo(() => unavailableOptions(features), [features]);
  // Features may arrive after the teacher picked an option they rule out: fall back to the default choice.
  useEffect(() => setValues((current) => withoutUnavailableChoices(current, unavailable)), [unavailable]);
  const validation = useMemo(() => validateCreateForm(values, limits, features), [values, limits, features]);
  const memoryChoices = allowedMemoryLimits(limits);
  const coreChoices = allowedCpuCores(limits);

  const update = <K extends CreateFormField>(field: K, value: CreateFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    setTouched((current) => ({ ...current, [field]: true }));
    setServerFieldErrors((current) => {
      if (!(field in current)) return current;
      const { [field]: _cleared, ...rest } = current;
      return rest;
    });
  };

  const errorFor = (field: CreateFormField): string | undefined => {
    const local = submitted || touched[field] ? validation.errors[field] : undefined;
    return local ?? serverFieldErrors[field];
  };

  const submit = async () => {
    setSubmitted(true);
    setServerError(null);
    if (!validation.input) {
      const firstInvalid = FIELD_ORDER.find((field) => validation.errors[field]);
      if (firstInvalid) document.getElementById(`${idPrefix}-${firstInvalid}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await onCreate(validation.input);
      onClose();
    } catch (error) {
      setBusy(false);
      setServerError(describeCreateError(error));
      if (error instanceof ApiError) {
        const fieldErrors: Partial<Record<string, string>> = { ...error.details };
        if (error.code === 'PROJECT_EXISTS') fieldErrors['projectName'] ??= 'A workspace with this name already exists';
        setServerFieldErrors(fieldErrors);
      }
    }
  };

  const fieldProps = (field: CreateFormField) => {
    const error = errorFor(field);
    return {
      id: `${idPrefix}-${field}`,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? `${idPrefix}-${field}-error` : undefined,
    } as const;
  };
  const renderFieldError = (field: CreateFormField) => {
    const error = errorFor(field);
    return error ? (
      <p className="field__error" id={`${idPrefix}-${field}-error`} data-testid={`create-${field}-error`}>
        {error}
      </p>
    ) : null;
  };
  const unknownDetails = Object.entries(serverFieldErrors).filter(([field]) => !FIELD_ORDER.includes(field as CreateFormField));

  return (
    <Dialog
      title="New workspace"
      description="A VS Code workspace in its own container. You can open it as soon as it is running."
      onClose={onClose}
      busy={busy}
      testId="create-dialog"
      size="large"
      onSubmit={() => void submit()}
      alert={serverError ? (
        <div className="form-alert" role="alert" data-testid="create-error">
          <strong>The workspace was not created.</strong> {serverError}
          {unknownDetails.length > 0 ? (
            <ul>
              {unknownDetails.map(([field, message]) => (
                <li key={field}>
                  {field}: {message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-testid="create-cancel">
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy} data-testid="create-submit">
            {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
            {busy ? 'Creating…' : 'Create workspace'}
          </button>
        </>
      }
    >
      {!dockerAvailable ? (
        <div className="form-note form-note--warning" data-testid="create-docker-warning">
          Docker is not running, so the server will refuse new workspaces until it is started.
        </div>
      ) : null}

      <div className="field">
        <label className="field__label" htmlFor={`${idPrefix}-projectName`}>
          Name
        </label>
        <input
          {...fieldProps('projectName')}
          className="input"
          type="text"
          autoComplete="off"
          spellCheck={false}
          maxLength={80}
          placeholder="e.g. python-basics-1"
          value={values.projectName}
          onChange={(event) => update('projectName', event.target.value)}
          data-testid="create-name"
          data-autofocus
        />
        <p className="field__hint">3–50 characters: letters, digits, spaces, dots, hyphens, underscores.</p>
        {renderFieldError('projectName')}
      </div>

      <fieldset className="field" data-testid="create-template" aria-describedby={errorFor('projectType') ? `${idPrefix}-projectType-error` : undefined}>
        <legend className="field__label">Template</legend>
        <div className="choice-grid choice-grid--4">
          {ProjectType.options.map((type, index) => (
            <label key={type} className={`choice-card${values.projectType === type ? ' is-selected' : ''}`}>
              <input
                type="radio"
                name={`${idPrefix}-template`}
                id={index === 0 ? `${idPrefix}-projectType` : undefined}
                value={type}
                checked={values.projectType === type}
                onChange={() => update('projectType', type)}
                data-testid={`create-template-${type}`}
              />
              <span className="choice-card__title">{TEMPLATE_INFO[type].label}</span>
              <span className="choice-card__description">{TEMPLATE_INFO[type].description}</span>
            </label>
          ))}
        </div>
        {renderFieldError('projectType')}
      </fieldset>

      <div className="field-row">
        <div className="field">
          <label className="toggle">
            <input
              {...fieldProps('passwordProtected')}
              type="checkbox"
              checked={values.passwordProtected}
              onChange={(event) => update('passwordProtected', event.target.checked)}
              data-testid="create-password-protected"
            />
            <span className="toggle__track" aria-hidden="true" />
            <span>Protect with a password</span>
          </label>
          <p className="field__hint">Whoever opens the workspace must type it. Stop and delete also ask for it.</p>
          {renderFieldError('passwordProtected')}
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${idPrefix}-password`}>
            Password
          </label>
          <input
            {...fieldProps('password')}
            className="input"
            type="password"
            autoComplete="new-password"
            disabled={!values.passwordProtected}
            placeholder={values.passwordProtected ? '8–50 characters' : 'No password'}
            value={values.password}
            onChange={(event) => update('password', event.target.value)}
            data-testid="create-password"
          />
          {renderFieldError('password')}
        </div>
      </div>

      <fieldset className="field" data-testid="create-proxy-mode">
        <legend className="field__label">Network</legend>
        <div className="choice-grid choice-grid--3">
          {ProxyMode.options.map((mode, index) => {
            const note = unavailable.proxyMode[mode];
            const noteId = `${idPrefix}-proxy-${mode}-note`;
            return (
              <label
                key={mode}
                className={`choice-card${values.proxyMode === mode ? ' is-selected' : ''}${note ? ' is-disabled' : ''}`}
                data-testid={`create-proxy-card-${mode}`}
              >
                <input
                  type="radio"
                  name={`${idPrefix}-proxy`}
                  id={index === 0 ? `${idPrefix}-proxyMode` : undefined}
                  value={mode}
                  checked={values.proxyMode === mode}
                  disabled={note !== undefined}
                  aria-describedby={note ? noteId : undefined}
                  onChange={() => update('proxyMode', mode)}
                  data-testid={`create-proxy-${mode}`}
                />
                <span className="choice-card__title">{PROXY_INFO[mode].label}</span>
                <span className="choice-card__description">{PROXY_INFO[mode].description}</span>
                {note ? (
                  <span className="choice-card__note" id={noteId} data-testid={`create-proxy-${mode}-unavailable`}>
                    {note}
                  </span>
                ) : null}
              </label>
            );
          })}
        </div>
        {renderFieldError('proxyMode')}
      </fieldset>

      <div className="field-row field-row--4">
        <div className="field">
          <label className="field__label" htmlFor={`${idPrefix}-memoryLimit`}>
            Memory
          </label>
          <select
            {...fieldProps('memoryLimit')}
            className="input"
            value={values.memoryLimit}
            onChange={(event) => update('memoryLimit', event.target.value as CreateFormValues['memoryLimit'])}
            data-testid="create-memory"
          >
            {memoryChoices.map((memory) => (
              <option key={memory} value={memory}>
                {MEMORY_LIMIT_MB[memory] / 1024} GB
              </option>
            ))}
          </select>
          {renderFieldError('memoryLimit')}
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${idPrefix}-cpuCores`}>
            CPU cores
          </label>
          <select
            {...fieldProps('cpuCores')}
            className="input"
            value={values.cpuCores}
            onChange={(event) => update('cpuCores', event.target.value as CreateFormValues['cpuCores'])}
            data-testid="create-cores"
          >
            {coreChoices.map((cores) => (
              <option key={cores} value={cores}>
                {cores} {cores === '1' ? 'core' : 'cores'}
              </option>
            ))}
          </select>
          {renderFieldError('cpuCores')}
        </div>
        <div className="field field--span-2">
          <label className="field__label" htmlFor={`${idPrefix}-group`}>
            Group <span className="field__optional">(optional)</span>
          </label>
          <input
            {...fieldProps('group')}
            className="input"
            type="text"
            autoComplete="off"
            list={groupListId}
            placeholder="e.g. workshop-monday"
            value={values.group}
            onChange={(event) => update('group', event.target.value)}
            data-testid="create-group"
          />
          <datalist id={groupListId}>
            {groups.map((group) => (
              <option key={group} value={group} />
            ))}
          </datalist>
          {renderFieldError('group')}
        </div>
      </div>
      {limitsError ? (
        <p className="form-note form-note--warning" data-testid="create-limits-error">
          {limitsError}{' '}
          <button type="button" className="link-button" onClick={onRetryLimits}>
            Try again
          </button>
        </p>
      ) : limits ? (
        <p className="field__hint limits-hint" data-testid="create-limits-hint">
          This server allows up to {limits.memoryPerWorkspaceMB >= 1024 ? `${Math.round((limits.memoryPerWorkspaceMB / 1024) * 10) / 10} GB` : `${limits.memoryPerWorkspaceMB} MB`} and{' '}
          {limits.cpuPerWorkspace} {limits.cpuPerWorkspace === 1 ? 'core' : 'cores'} per workspace
          {limits.enableResourceLimits ? '' : ' (limits are not enforced)'}.
        </p>
      ) : null}

      <div className="field">
        <label className="checkbox">
          <input
            {...fieldProps('createGitRepo')}
            {...(unavailable.createGitRepo ? { 'aria-describedby': `${idPrefix}-createGitRepo-note` } : {})}
            type="checkbox"
            checked={values.createGitRepo}
            disabled={unavailable.createGitRepo !== null}
            onChange={(event) => update('createGitRepo', event.target.checked)}
            data-testid="create-git-repo"
          />
          <span>Create a Git repository for this workspace</span>
        </label>
        {unavailable.createGitRepo ? (
          <p className="field__hint field__hint--unavailable" id={`${idPrefix}-createGitRepo-note`} data-testid="create-git-repo-unavailable">
            {unavailable.createGitRepo}
          </p>
        ) : (
          <p className="field__hint">Needs the optional Git server on this machine.</p>
        )}
        {renderFieldError('createGitRepo')}
      </div>
    </Dialog>
  );
}
