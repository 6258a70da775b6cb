import { useEffect, useId, useRef, type ReactNode } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  title: string;
  /** Short line under the title. */
  description?: ReactNode;
  /** Esc, the close button and a click on the backdrop call this (unless `busy`). */
  onClose: () => void;
  /** While an action runs the dialog cannot be dismissed. */
  busy?: boolean;
  /** `data-testid` of the dialog element. */
  testId: string;
  size?: 'small' | 'large';
  children: ReactNode;
  footer: ReactNode;
  /** Message kept in view between the scrolling body and the footer (server errors), or nothing. */
  alert?: ReactNode;
  /** Submitting the form (Enter in a field, or a submit button in the footer). */
  onSubmit: () => void;
}

/**
 * Modal dialog: `role="dialog"` with `aria-modal`, labelled by its title; focus moves into it, Tab and
 * Shift+Tab cycle inside it, Esc closes it, and focus returns to where it was when it closes.
 */
export function Dialog({ title, description, onClose, busy = false, testId, size = 'small', children, footer, alert, onSubmit }: DialogProps) {
  const panelRef = useRef<HTMLFormElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useEffect(() => {
    const previouslyFocused = document.activeElement as HTMLElement | null;
    const panel = panelRef.current;
    const first = panel?.querySelector<HTMLElement>('[data-autofocus]') ?? panel?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? panel)?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        if (!busyRef.current) onCloseRef.current();
        return;
      }
      if (event.key !== 'Tab' || !panel) return;
      const focusable = [...panel.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.offsetParent !== null);
      if (focusable.length === 0) {
        event.preventDefault();
        return;
      }
      const firstElement = focusable[0]!;
      const lastElement = focusable[focusable.length - 1]!;
      const active = document.activeElement;
      if (event.shiftKey && (active === firstElement || !panel.contains(active))) {
        event.preventDefault();
        lastElement.focus();
      } else if (!event.shiftKey && (active === lastElement || !panel.contains(active))) {
        event.preventDefault();
        firstElement.focus();
      }
    };
    document.addEventListener('keydown', onKeyDown, true);
    document.body.classList.add('has-modal');
    return () => {
      document.removeEventListener('keydown', onKeyDown, true);
      document.body.classList.remove('has-modal');
      previouslyFocused?.focus?.();
    };
  }, []);

  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget && !busy) onClose();
      }}
    >
      <form
        ref={panelRef}
        className={`dialog dialog--${size}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descriptionId : undefined}
        aria-busy={busy}
        data-testid={testId}
        tabIndex={-1}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (!busy) onSubmit();
        }}
      >
        <header className="dialog__header">
          <div>
            <h2 id={titleId} className="dialog__title">
              {title}
            </h2>
            {description ? (
              <p id={descriptionId} className="dialog__description">
                {description}
              </p>
            ) : null}
          </div>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={busy} data-testid={`${testId}-close`}>
            <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
              <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </header>
        <div className="dialog__body">{children}</div>
        {alert ? <div className="dialog__alert">{alert}</div> : null}
        <footer className="dialog__footer">{footer}</footer>
      </form>
    </div>
  );
}
