import { memo, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { loadFeatures } from '../actions/live-connection.js';
import { useSystemStore } from '../stores/system-store.js';
import { useWhitelistStore } from '../stores/whitelist-store.js';
import { filterDomains, hasUnsavedChanges, isBaseWhitelistDomain, previewEntry, whitelistChanges } from '../stores/whitelist-editor.js';
import { insertMultiLineTextAtOnce } from './multiline-insert.js';
import './network-view.css';
import { LoadFailedAlert, LoadingNote } from './load-state.js';

/** Ref of the pasted-list textarea: multi-line text goes in as one edit, not one re-render per line. */
function bulkTextRef(node: HTMLTextAreaElement | null): (() => void) | undefined {
  if (node === null) return undefined;
  const listener = (event: InputEvent) => void insertMultiLineTextAtOnce(event);
  node.addEventListener('beforeinput', listener);
  return () => node.removeEventListener('beforeinput', listener);
}

/** One row of the list: a domain of the draft, or a stored one marked for removal. */
interface DomainRow {
  domain: string;
  state: 'base' | 'kept' | 'new' | 'removed';
}

/**
 * The "Network" view (issue #5): the Security Proxy whitelist editor. Lists the stored list (base domains marked
 * as always included, not removable), adds entries checked as the teacher types with the server's own rules and
 * words, removes entries (undo until applied), and applies the draft with `PUT /api/whitelist`; a refused entry
 * is shown next to the field with the server's message. Unsaved changes are marked and survive view switches.
 */
export function WhitelistView() {
  const stored = useWhitelistStore((state) => state.stored);
  const draft = useWhitelistStore((state) => state.draft);
  const raw = useWhitelistStore((state) => state.raw);
  const loading = useWhitelistStore((state) => state.loading);
  const loadError = useWhitelistStore((state) => state.loadError);
  const applying = useWhitelistStore((state) => state.applying);
  const applyFailure = useWhitelistStore((state) => state.applyFailure);
  const appliedAt = useWhitelistStore((state) => state.appliedAt);
  const { load, add, addList, remove, discard, apply } = useWhitelistStore.getState();
  const [input, setInput] = useState('');
  const [listText, setListText] = useState('');
  const [listOutcome, setListOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [filter, setFilter] = useState('');
  const inputId = useId();
  const filterId = useId();

  const features = useSystemStore((state) => state.features);

  useEffect(() => {
    void load();
    if (!useSystemStore.getState().features) void loadFeatures();
  }, [load]);

  const preview = useMemo(() => previewEntry(draft, input), [draft, input]);
  const dirty = hasUnsavedChanges(stored, draft);
  const changes = useMemo(() => whitelistChanges(stored ?? [], draft), [stored, draft]);
  const rows = useMemo(() => {
    const added = new Set(changes.added);
    const all: DomainRow[] = draft.map((domain) => ({ domain, state: isBaseWhitelistDomain(domain) ? 'base' : added.has(domain) ? 'new' : 'kept' }));
    for (const domain of changes.removed) all.push({ domain, state: 'removed' });
    all.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    const visible = new Set(filterDomains(all.map((row) => row.domain), filter));
    return { all, visible: all.filter((row) => visible.has(row.domain)) };
  }, [draft, changes, filter]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (preview.kind !== 'new' || applying) return;
    if (add(input) === null) setInput('');
  };

  const failedEntry = applyFailure?.entry ?? null;
  const userCount = draft.filter((domain) => !isBaseWhitelistDomain(domain)).length;

  return (
    <main className="page network-page" aria-labelledby="network-title">
      <div className="page__header">
        <div>
          <h1 id="network-title" className="page__title">
            Network
          </h1>
          <p className="page__summary">
            Security Proxy whitelist: workspaces in Security mode reach only these domains and their subdomains. Changes take effect for all of them when applied.
          </p>
        </div>
      </div>

      {features && !features.securityProxy ? (
        <p className="form-note form-note--warning" data-testid="whitelist-proxy-unavailable">
          The Security Proxy is not set up on this machine yet: the list is stored and takes effect once it is.
        </p>
      ) : null}
      {loadError && stored === null ? (
        <LoadFailedAlert what="The whitelist" reason={loadError} onRetry={() => void load()} testId="whitelist-load-error" />
      ) : stored === null ? (
        <LoadingNote text="Loading the whitelist…" testId="whitelist-loading" />
      ) : (
        <div className="network-grid">
          <section className="network-card" aria-labelledby={`${inputId}-title`}>
            <h2 id={`${inputId}-title`} className="network-card__title">
              Add a domain
            </h2>
            <form className="network-add" onSubmit={submit} noValidate>
              <label className="field__label" htmlFor={inputId}>
                Host name
              </label>
              <div className="details-inline">
                <input
                  id={inputId}
                  className="input mono"
                  value={input}
                  placeholder="pypi.org"
                  maxLength={1000}
                  spellCheck={false}
                  autoCapitalize="off"
                  autoComplete="off"
                  aria-invalid={preview.kind === 'invalid'}
                  aria-describedby={`${inputId}-message`}
                  disabled={applying}
                  onChange={(event) => setInput(event.target.value)}
                  data-testid="whitelist-input"
                />
                <button type="submit" className="button button--primary" disabled={applying || preview.kind !== 'new'} data-testid="whitelist-add">
                  Add
                </button>
              </div>
              <div id={`${inputId}-message`} aria-live="polite">
                {preview.kind === 'invalid' ? (
                  <p className="field__error" data-testid="whitelist-input-error">
                    {preview.message}
                  </p>
                ) : preview.kind === 'present' ? (
                  <p className="field__hint" data-testid="whitelist-input-present">
                    {preview.covered ? `Already covered by ${preview.domain}.` : `${preview.domain} is already on the list.`}
                  </p>
                ) : preview.kind === 'new' ? (
                  <p className="field__hint" data-testid="whitelist-input-preview">
                    Adds <span className="mono">{preview.domain}</span> and all its subdomains
                    {preview.replaces.length > 0 ? `; replaces ${preview.replaces.join(', ')}` : ''}.
                  </p>
                ) : (
                  <p className="field__hint">A host name such as example.com (no scheme, path or port). It covers all its subdomains.</p>
                )}
              </div>
            </form>

            <details className="network-bulk">
              <summary>Add several at once</summary>
              <label className="visually-hidden" htmlFor={`${inputId}-list`}>
                Host names, one per line
              </label>
              <textarea
                ref={bulkTextRef}
                id={`${inputId}-list`}
                className="input mono network-bulk__text"
                rows={5}
                value={listText}
                placeholder={'pypi.org\nfiles.pythonhosted.org\ngithub.com'}
                spellCheck={false}
                disabled={applying}
                onChange={(event) => {
                  setListText(event.target.value);
                  setListOutcome(null);
                }}
                data-testid="whitelist-list-input"
              />
              <div className="network-bulk__footer">
                <span className="field__hint">One host name per line; nothing is added if a line is not a host name.</span>
                <button
                  type="button"
                  className="button button--small"
                  disabled={applying || listText.trim() === ''}
                  onClick={() => {
                    const result = addList(listText);
                    if (result.error !== null) setListOutcome({ kind: 'error', text: result.error });
                    else {
                      setListText('');
                      setListOutcome({ kind: 'ok', text: result.gained === 0 ? 'Everything was already on the list.' : `${result.gained} ${result.gained === 1 ? 'entry' : 'entries'} added (not applied yet).` });
                    }
                  }}
                  data-testid="whitelist-list-add"
                >
                  Add all
                </button>
              </div>
              {listOutcome ? (
                <p className={listOutcome.kind === 'error' ? 'field__error' : 'field__hint'} role={listOutcome.kind === 'error' ? 'alert' : 'status'} data-testid="whitelist-list-outcome">
                  {listOutcome.text}
                </p>
              ) : null}
            </details>

            <div className={`network-apply${dirty ? ' is-dirty' : ''}`} data-testid="whitelist-apply-bar" data-dirty={dirty}>
              {dirty ? (
                <p className="network-apply__state" role="status" data-testid="whitelist-unsaved">
                  <span className="pill network-unsaved">
                    <span className="pill__dot" aria-hidden="true" />
                    Unsaved changes
                  </span>{' '}
                  {changes.added.length} to add, {changes.removed.length} to remove
                </p>
              ) : appliedAt !== null ? (
                <p className="network-apply__state" role="status" data-testid="whitelist-applied">
                  Applied. The Security Proxy now uses this list.
                </p>
              ) : (
                <p className="network-apply__state muted">No unsaved changes.</p>
              )}
              <div className="network-apply__buttons">
                <button type="button" className="button" disabled={!dirty || applying} onClick={discard} data-testid="whitelist-discard">
                  Discard
                </button>
                <button type="button" className="button button--primary" disabled={!dirty || applying} onClick={() => void apply()} data-testid="whitelist-apply">
                  {applying ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
                  Apply
                </button>
              </div>
            </div>
            {applyFailure ? (
              <div className="form-alert" role="alert" data-testid="whitelist-apply-error" data-entry={failedEntry ?? ''}>
                <strong>Not applied.</strong> {applyFailure.message}
              </div>
            ) : null}

            {raw !== null ? (
              <details className="network-raw">
                <summary>Squid configuration of the stored list</summary>
                <pre className="network-raw__text" data-testid="whitelist-raw">
                  {raw}
                </pre>
              </details>
            ) : null}
          </section>

          <section className="network-card network-card--list" aria-labelledby={`${filterId}-title`}>
            <div className="network-list__head">
              <h2 id={`${filterId}-title`} className="network-card__title">
                Whitelist{' '}
                <span className="muted" data-testid="whitelist-count">
                  ({userCount} {userCount === 1 ? 'domain' : 'domains'} + {draft.length - userCount} always included)
                </span>
              </h2>
              <input
                id={filterId}
                className="input network-list__filter"
                type="search"
                value={filter}
                placeholder="Filter"
                aria-label="Filter the list"
                onChange={(event) => setFilter(event.target.value)}
                data-testid="whitelist-filter"
              />
            </div>
            {loading ? <span className="visually-hidden">Refreshing…</span> : null}
            <WhitelistRows rows={rows.visible} failedEntry={failedEntry} applying={applying} onRemove={remove} onKeep={add} />
            {rows.visible.length === 0 ? (
              <p className="muted network-list__empty" data-testid="whitelist-filter-empty">
                No entry matches “{filter}”.
              </p>
            ) : null}
          </section>
        </div>
      )}
    </main>
  );
}

/** Properties of {@link WhitelistRows}. */
interface WhitelistRowsProps {
  rows: readonly DomainRow[];
  /** The entry a refused Apply named (outlined), or null. */
  failedEntry: string | null;
  applying: boolean;
  onRemove(domain: string): void;
  onKeep(domain: string): void;
}

/**
 * The rows of the list. Memoised: with thousands of entries, re-rendering them on every key typed into the
 * fields above (which change none of these properties) would cost a frame per key.
 */
const WhitelistRows = memo(function WhitelistRows({ rows, failedEntry, applying, onRemove, onKeep }: WhitelistRowsProps) {
  return (
    <ul className="network-list" data-testid="whitelist-list">
      {rows.map((row) => (
        <li
          key={row.domain}
          className={`network-list__row network-list__row--${row.state}${row.domain === failedEntry ? ' is-failed' : ''}`}
          data-testid="whitelist-row"
          data-domain={row.domain}
          data-state={row.state}
        >
          <span className={`mono network-list__domain${row.state === 'removed' ? ' is-removed' : ''}`}>{row.domain}</span>
          {row.state === 'base' ? (
            <span className="tag network-list__tag" title="Package mirrors and the extension registry are always reachable">
              Always included
            </span>
          ) : row.state === 'new' ? (
            <span className="tag network-list__tag network-list__tag--new">Not applied</span>
          ) : row.state === 'removed' ? (
            <span className="tag network-list__tag network-list__tag--removed">To be removed</span>
          ) : null}
          <span className="network-list__action">
            {row.state === 'kept' || row.state === 'new' ? (
              <button
                type="button"
                className="button button--small button--danger-ghost"
                disabled={applying}
                onClick={() => onRemove(row.domain)}
                aria-label={`Remove ${row.domain}`}
                data-testid="whitelist-remove"
              >
                Remove
              </button>
            ) : row.state === 'removed' ? (
              <button
                type="button"
                className="button button--small button--ghost"
                disabled={applying}
                onClick={() => onKeep(row.domain)}
                aria-label={`Keep ${row.domain}`}
                data-testid="whitelist-undo-remove"
              >
                Undo
              </button>
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
});
