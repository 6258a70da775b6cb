import { useId, useState, type FormEvent } from 'react';
import { WorkspacePassword, type ProjectSummary } from '../../../server/contract/index.js';
import { ApiError, describeError } from '../api/api-error.js';

/** What the password form asks the server to do (api-reference "Set or Change Password"). */
export type PasswordChange = { currentPassword?: string; newPassword: string } | { currentPassword?: string; removePassword: true };

export interface PasswordSectionProps {
  project: ProjectSummary;
  /** Resolves when saved; rejects with an `ApiError` (401 wrong current password, 400 invalid new one…). */
  onSetPassword: (change: PasswordChange) => Promise<void>;
}

/** The server's words for a failed change, with plain wording for the two common cases. */
function passwordError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'INVALID_WORKSPACE_PASSWORD') return 'The current password is wrong. Nothing was changed.';
    if (error.code === 'INVALID_PASSWORD') return error.details['newPassword'] ?? error.message;
  }
  return describeError(error);
}

/**
 * Password of a workspace, in the details panel (issue #3 "Passwords"): set one on an open workspace, or
 * change / remove it on a protected one (the current password is asked first). The new password is checked
 * with the server's own rule (8–50 characters, no control characters) before it is sent. Takes effect at once
 * on a running workspace (everyone signed in must sign in again), at the next start on a stopped one.
 */
export function PasswordSection({ project, onSetPassword }: PasswordSectionProps) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const currentId = useId();
  const nextId = useId();
  const isProtected = project.passwordProtected;
  const check = WorkspacePassword.safeParse(next);
  const nextError = next === '' || check.success ? null : (check.error.issues[0]?.message ?? 'Invalid password');
  const currentMissing = isProtected && current === '';

  const run = async (change: PasswordChange, done: string) => {
    setSaving(true);
    setError(null);
    setSaved(null);
    try {
      await onSetPassword(change);
      setCurrent('');
      setNext('');
      setSaved(done);
    } catch (caught) {
      setError(passwordError(caught));
    } finally {
      setSaving(false);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (saving || !check.success || currentMissing) return;
    void run(
      { ...(isProtected ? { currentPassword: current } : {}), newPassword: check.data },
      isProtected ? 'Password changed. Everyone signed in to this workspace must sign in again.' : 'Password set. The workspace now asks for it.',
    );
  };
  const remove = () => {
    if (saving || currentMissing) return;
    void run({ currentPassword: current, removePassword: true }, 'Password removed. The workspace opens without one.');
  };

  return (
    <form className="details-section" aria-label="Password" onSubmit={submit} noValidate data-testid="details-password">
      <div className="details-section__title">Password</div>
      <div className="field__hint" data-testid="details-password-state" data-protected={isProtected}>
        {isProtected ? 'This workspace asks for a password.' : 'This workspace is open to anyone with its address.'}
      </div>
      {isProtected ? (
        <>
          <label className="field__label" htmlFor={currentId}>
            Current password
          </label>
          <input
            id={currentId}
            className="input"
            type="password"
            autoComplete="off"
            value={current}
            maxLength={50}
            disabled={saving}
            onChange={(event) => {
              setCurrent(event.target.value);
              setError(null);
              setSaved(null);
            }}
            data-testid="details-password-current"
          />
        </>
      ) : null}
      <label className="field__label" htmlFor={nextId}>
        {isProtected ? 'New password' : 'Set a password'}
      </label>
      <input
        id={nextId}
        className="input"
        type="password"
        autoComplete="new-password"
        value={next}
        maxLength={60}
        aria-invalid={nextError !== null}
        disabled={saving}
        onChange={(event) => {
          setNext(event.target.value);
          setError(null);
          setSaved(null);
        }}
        data-testid="details-password-new"
      />
      <div className="details-inline">
        <button type="submit" className="button button--small" disabled={saving || !check.success || currentMissing} data-testid="details-password-save">
          {saving ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
          {isProtected ? 'Change password' : 'Set password'}
        </button>
        {isProtected ? (
          <button type="button" className="button button--small" onClick={remove} disabled={saving || currentMissing} data-testid="details-password-remove">
            Remove password
          </button>
        ) : null}
      </div>
      {error || nextError ? (
        <div className="field__error" role="alert" data-testid="details-password-error">
          {error ?? nextError}
        </div>
      ) : saved ? (
        <div className="field__hint" role="status" data-testid="details-password-saved">
          {saved}
        </div>
      ) : (
        <div className="field__hint">8–50 characters. A running workspace takes the change at once; a stopped one at its next start.</div>
      )}
    </form>
  );
}
