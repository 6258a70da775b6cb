import type { Notice } from '../stores/notifications-store.js';
import { Icon } from './icons.js';

/** Corner notifications; errors use `role="alert"` so screen readers announce them. Pure. */
export function Toasts({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  return (
    <div className="toasts" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`toast toast--${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="toast" data-kind={notice.kind}>
          <Icon name={notice.kind === 'error' ? 'alert' : notice.kind === 'success' ? 'check' : 'info'} size={18} />
          <div className="toast__content">
            <div className="toast__title">{notice.title}</div>
            {notice.message ? <div className="toast__message">{notice.message}</div> : null}
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss notification" onClick={() => onDismiss(notice.id)} data-testid="toast-dismiss">
            <svg viewBox="0 0 20 20" width="14" height="14" aria-hidden="true">
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </div>
      ))}
    </div>
  );
}
