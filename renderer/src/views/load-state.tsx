/** The two states of a view whose data is still coming: loading (a spinner) and failed (the reason and a retry). */

/** `Loading …` with a spinner, announced politely (role `status`). */
export function LoadingNote({ text, testId }: { text: string; testId?: string }) {
  return (
    <div className="loading" role="status" {...(testId ? { 'data-testid': testId } : {})}>
      <span className="spinner" aria-hidden="true" /> {text}
    </div>
  );
}

/** `<what> could not be loaded.` with the server's reason as text and a **Try again** button (role `alert`). */
export function LoadFailedAlert({ what, reason, onRetry, testId }: { what: string; reason: string; onRetry: () => void; testId: string }) {
  return (
    <div className="form-alert" role="alert" data-testid={testId}>
      <strong>{what} could not be loaded.</strong> {reason}{' '}
      <button type="button" className="link-button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
