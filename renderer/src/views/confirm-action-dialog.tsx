import { useId, useState } from 'react';
import type { ProjectSummary } from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';
import { Dialog } from './dialog.js';

export type ConfirmableAction = 'stop' | 'delete';

export interface ConfirmActionDialogProps {
  action: ConfirmableAction;
  project: ProjectSummary;
  /** Runs the action; rejects with an ApiError shown in the dialog (e.g. a wrong workspace password). */
  onConfirm: (password: string | undefined) => Promise<void>;
  onClose: () => void;
}

const TEXT: Record<ConfirmableAction, { title: string; button: string; busy: string; explain: string }> = {
  stop: {
    title: 'Stop workspace?',
    button: 'Stop workspace',
    busy: 'Stopping…',
    explain: 'Anyone working in it is disconnected. Files are kept; you can start it again later.',
  },
  delete: {
    title: 'Delete workspace?',
    button: 'Delete workspace',
    busy: 'Deleting…',
    explain: 'The container and every file in it are removed for good. This cannot be undone.',
  },
};

/** Confirmation for stop and delete, asking for the workspace password when the workspace is protected. */
export function ConfirmActionDialog({ action, project, onConfirm, onClose }: ConfirmActionDialogProps) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const passwordId = useId();
  const text = TEXT[action];

  const submit = async () => {
    if (project.passwordProtected && password === '') {
      setError('Enter the workspace password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onConfirm(project.passwordProtected ? password : undefined);
      onClose();
    } catch (caught) {
      setBusy(false);
      setError(
        caught instanceof ApiError && caught.code === 'INVALID_WORKSPACE_PASSWORD'
          ? 'That is not the password of this workspace.'
          : describeError(caught),
      );
    }
  };

  return (
    <Dialog
      title={text.title}
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
          <button type="button" className="button" onClick={onClose} disabled={busy} data-testid="confirm-cancel" data-autofocus={project.passwordProtected ? undefined : true}>
            Cancel
          </button>
          <button type="submit" className={`button ${action === 'delete' ? 'button--danger' : 'button--primary'}`} disabled={busy} data-testid="confirm-submit">
            {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
            {busy ? text.busy : text.button}
          </button>
        </>
      }
    >
      <p className="confirm-text">
        <strong data-testid="confirm-project-name">{project.name}</strong> — {text.explain}
      </p>
      {project.passwordProtected ? (
        <div className="field">
          <label className="field__label" htmlFor={passwordId}>
            Workspace password
          </label>
          <input
            id={passwordId}
            className="input"
            type="password"
            autoComplete="off"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={error ? true : undefined}
            data-testid="confirm-password"
            data-autofocus
          />
          <p className="field__hint">This workspace is password protected.</p>
        </div>
      ) : null}
    </Dialog>
  );
}
