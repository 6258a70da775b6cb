import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import logoUrl from '../logo.svg';
import { fetchMySeat, fetchSeatStatus, postClaim } from './join-api.js';
import {
  enterPath,
  parseMySeat,
  parseSeatStatus,
  type MySeat,
  LANGUAGE_STORAGE_KEY,
  NAME_MAX_LENGTH,
  EMAIL_MAX_LENGTH,
  availabilityOf,
  claimOutcome,
  hasFieldErrors,
  safeLink,
  validateJoinForm,
  type FieldErrors,
  type SeatStatus,
} from './join-logic.js';
import { JOIN_TEXTS, type JoinLanguage, type JoinTexts } from './join-text.js';

/** How often the seat count is re-read while the page is visible, ms (a room fills within minutes). */
const STATUS_REFRESH_MS = 10_000;

/** The 409 answer kept on screen. */
interface Conflict {
  message: string;
  projectName: string;
  workspaceUrl: string | null;
}

function rememberLanguage(language: JoinLanguage): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}

function LanguageSwitch({ language, onChange, text }: { language: JoinLanguage; onChange: (language: JoinLanguage) => void; text: JoinTexts }) {
  return (
    <div className="lang-switch" role="group" aria-label={text.languageLabel} data-testid="join-language">
      {(['de', 'en'] as const).map((option) => (
        <button
          key={option}
          type="button"
          className={`lang-switch__option${option === language ? ' is-active' : ''}`}
          aria-pressed={option === language}
          lang={option}
          onClick={() => onChange(option)}
          data-testid={`join-language-${option}`}
        >
          {option.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

function SeatPill({ status, failed, text }: { status: SeatStatus | null; failed: boolean; text: JoinTexts }) {
  if (status === null) {
    return (
      <p className="seat-pill seat-pill--muted" data-testid="join-seats" data-state={failed ? 'error' : 'loading'}>
        {failed ? text.statusError : text.seatsLoading}
      </p>
    );
  }
  const state = availabilityOf(status);
  return (
    <p className={`seat-pill seat-pill--${state}`} data-testid="join-seats" data-state={state} data-available={status.available} data-total={status.total}>
      <span className="seat-pill__dot" aria-hidden="true" />
      {text.seatsFree(status.available, status.total)}
    </p>
  );
}

/** The participant page: join form, seat count, closed/full states, returning participant, 409 explanation. */
export function JoinApp({ initialLanguage }: { initialLanguage: JoinLanguage }) {
  const [language, setLanguage] = useState<JoinLanguage>(initialLanguage);
  const text = JOIN_TEXTS[language];
  const [status, setStatus] = useState<SeatStatus | null>(null);
  const [statusFailed, setStatusFailed] = useState(false);
  const [mine, setMine] = useState<MySeat | null>(null);
  const [meChecked, setMeChecked] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const [entering, setEntering] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const ids = { name: useId(), email: useId(), nameHint: useId(), emailHint: useId(), nameError: useId(), emailError: useId() };
  const languageRef = useRef(language);
  languageRef.current = language;

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = text.pageTitle;
  }, [language, text]);

  const refreshStatus = useCallback(async (signal?: AbortSignal) => {
    try {
      const answer = await fetchSeatStatus(languageRef.current, signal);
      const parsed = answer.status === 200 ? parseSeatStatus(answer.body) : null;
      if (parsed) {
        setStatus(parsed);
        setStatusFailed(false);
      } else {
        setStatusFailed(true);
      }
    } catch {
      // Aborted: the page went away.
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    void fetchMySeat(languageRef.current, controller.signal)
      .then((answer) => {
        if (answer.status === 200) setMine(parseMySeat(answer.body));
        setMeChecked(true);
      })
      .catch(() => undefined);
    void refreshStatus(controller.signal);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refreshStatus(controller.signal);
    }, STATUS_REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refreshStatus(controller.signal);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      controller.abort();
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refreshStatus]);

  const changeLanguage = (next: JoinLanguage) => {
    setLanguage(next);
    rememberLanguage(next);
    // Our own checks re-run in the new language; server messages stay as sent until the next attempt.
    if (hasFieldErrors(fieldErrors)) setFieldErrors(validateJoinForm(name, email, JOIN_TEXTS[next]));
  };

  const enter = (path: string) => {
    setEntering(true);
    window.location.assign(path);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setFormError(null);
    setConflict(null);
    const errors = validateJoinForm(name, email, text);
    setFieldErrors(errors);
    if (hasFieldErrors(errors)) {
      (errors.name ? nameRef : emailRef).current?.focus();
      return;
    }
    setBusy(true);
    const answer = await postClaim(language, name, email);
    const outcome = claimOutcome(answer.status, answer.body, text);
    switch (outcome.kind) {
      case 'claimed':
        enter(outcome.enterPath);
        return;
      case 'conflict': {
        // This browser itself holds that seat (claimed in another tab, say): welcome it back to its seat rather
        // than explain the other-browser case, which would send it to the seat's password page.
        const me = await fetchMySeat(language).catch(() => null);
        const seat = me?.status === 200 ? parseMySeat(me.body) : null;
        if (seat && seat.workspaceUrl === outcome.workspaceUrl) {
          setMine(seat);
          break;
        }
        setConflict({ message: outcome.message, projectName: outcome.projectName, workspaceUrl: safeLink(outcome.workspaceUrl, window.location.href) });
        break;
      }
      case 'unavailable':
        setFormError(outcome.message);
        void refreshStatus();
        break;
      case 'invalid':
        if (hasFieldErrors(outcome.fields)) {
          setFieldErrors(outcome.fields);
          (outcome.fields.name ? nameRef : emailRef).current?.focus();
        } else {
          setFormError(outcome.message);
        }
        break;
      case 'error':
        setFormError(outcome.message);
        break;
    }
    setBusy(false);
  };

  const availability = availabilityOf(status);
  const describedBy = (hint: string, error: string | undefined, errorId: string) => (error ? `${errorId} ${hint}` : hint);

  let body;
  if (entering) {
    body = (
      <div className="join-state" role="status" data-testid="join-entering">
        <span className="join-spinner" aria-hidden="true" /> {text.entering}
      </div>
    );
  } else if (mine) {
    body = (
      <section className="join-welcome" data-testid="join-welcome" aria-labelledby="join-welcome-title">
        <h2 id="join-welcome-title" className="join-welcome__title" data-testid="join-welcome-name">
          {text.welcomeBack(mine.name)}
        </h2>
        <p className="join-text">{text.welcomeText(mine.projectName)}</p>
        <button type="button" className="join-button" onClick={() => enter(enterPath(mine.enterUrl))} data-testid="join-continue">
          {text.continue}
        </button>
      </section>
    );
  } else if (conflict) {
    body = (
      <section className="join-notice join-notice--warning" role="alert" data-testid="join-conflict">
        <h2 className="join-notice__title">{text.conflictTitle}</h2>
        <p className="join-text" data-testid="join-conflict-project">
          {text.conflictText(conflict.projectName)}
        </p>
        <p className="join-text">{text.conflictPassword}</p>
        {conflict.workspaceUrl ? (
          <a className="join-button join-button--secondary" href={conflict.workspaceUrl} data-testid="join-conflict-link">
            {text.conflictLink}
          </a>
        ) : null}
        <button type="button" className="join-link-button" onClick={() => setConflict(null)} data-testid="join-conflict-back">
          {text.useOtherEmail}
        </button>
      </section>
    );
  } else if (availability === 'closed' || availability === 'full') {
    const closed = availability === 'closed';
    body = (
      <section className="join-notice" data-testid={closed ? 'join-closed' : 'join-full'}>
        <h2 className="join-notice__title">{closed ? text.closedTitle : text.fullTitle}</h2>
        <p className="join-text">{closed ? text.closedText : text.fullText}</p>
        <button type="button" className="join-button join-button--secondary" onClick={() => void refreshStatus()} data-testid="join-check-again">
          {text.checkAgain}
        </button>
      </section>
    );
  } else {
    body = (
      <form className="join-form" onSubmit={(event) => void submit(event)} noValidate data-testid="join-form" aria-busy={busy}>
        <div className="join-field">
          <label className="join-field__label" htmlFor={ids.name}>
            {text.nameLabel}
          </label>
          <input
            ref={nameRef}
            id={ids.name}
            className="join-input"
            type="text"
            name="name"
            autoComplete="name"
            maxLength={NAME_MAX_LENGTH * 2}
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={fieldErrors.name ? true : undefined}
            aria-describedby={describedBy(ids.nameHint, fieldErrors.name, ids.nameError)}
            disabled={busy}
            data-testid="join-name"
          />
          {fieldErrors.name ? (
            <p id={ids.nameError} className="join-field__error" role="alert" data-testid="join-name-error">
              {fieldErrors.name}
            </p>
          ) : null}
          <p id={ids.nameHint} className="join-field__hint">
            {text.nameHint}
          </p>
        </div>
        <div className="join-field">
          <label className="join-field__label" htmlFor={ids.email}>
            {text.emailLabel}
          </label>
          <input
            ref={emailRef}
            id={ids.email}
            className="join-input"
            type="email"
            name="email"
            inputMode="email"
            autoComplete="email"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={EMAIL_MAX_LENGTH * 2}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={fieldErrors.email ? true : undefined}
            aria-describedby={describedBy(ids.emailHint, fieldErrors.email, ids.emailError)}
            disabled={busy}
            data-testid="join-email"
          />
          {fieldErrors.email ? (
            <p id={ids.emailError} className="join-field__error" role="alert" data-testid="join-email-error">
              {fieldErrors.email}
            </p>
          ) : null}
          <p id={ids.emailHint} className="join-field__hint">
            {text.emailHint}
          </p>
        </div>
        <button type="submit" className="join-button" disabled={busy || !meChecked} data-testid="join-submit">
          {busy ? <span className="join-spinner join-spinner--light" aria-hidden="true" /> : null}
          {busy ? text.joining : text.join}
        </button>
      </form>
    );
  }

  return (
    <div className="join-page">
      <header className="join-top">
        <div className="join-brand">
          <img src={logoUrl} alt="" width="28" height="28" />
          <span className="join-brand__name">Xares Desktop</span>
        </div>
        <LanguageSwitch language={language} onChange={changeLanguage} text={text} />
      </header>
      <main className="join-card" aria-labelledby="join-title">
        <h1 id="join-title" className="join-title">
          {text.heading}
        </h1>
        {status?.group ? (
          <p className="join-group" data-testid="join-group">
            {text.groupLabel(status.group)}
          </p>
        ) : null}
        {mine || entering ? null : <SeatPill status={status} failed={statusFailed} text={text} />}
        {mine || conflict || entering || availability === 'closed' || availability === 'full' ? null : <p className="join-text join-intro">{text.intro}</p>}
        <div aria-live="assertive" className="join-live">
          {formError ? (
            <p className="join-alert" role="alert" data-testid="join-error">
              {formError}
            </p>
          ) : null}
        </div>
        {body}
      </main>
      <p className="join-footnote">{text.privacy}</p>
    </div>
  );
}
