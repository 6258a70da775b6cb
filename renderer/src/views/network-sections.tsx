import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { DocumentationType, LlmConversation, RecordedDomainsResponse } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import type { Reading } from '../pages/use-workspace-details.js';
import type { SquidLogFollow } from '../pages/use-network-activity.js';
import {
  categoriesInOrder,
  describeUsage,
  formatLogTime,
  isDeniedLogEntry,
  newestFirst,
  toggleAll,
  toggleSelection,
  toolInputText,
} from '../stores/network-activity.js';
import { Dialog } from './dialog.js';
import './network-view.css';

/**
 * The details panel's network sections (issue #5): the Security Proxy log that follows new lines, and for the
 * LLM Logging Proxy the recorded domains (choose and add to the whitelist), the recorded conversations (read,
 * delete) and the documentation download. Pure views: data and actions come in as props. Everything recorded
 * is shown as text.
 */

/** Formats an ISO time for the viewer (`2 Dec, 14:05:09`), or the text itself when it is not a time. */
function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export interface SquidLogSectionProps {
  follow: SquidLogFollow;
}

/**
 * The workspace's Security Proxy log, newest at the bottom, refused requests highlighted. Stays scrolled to the
 * bottom while new lines arrive, unless the teacher scrolled up to read (then a button jumps back down).
 */
export function SquidLogSection({ follow }: SquidLogSectionProps) {
  const listRef = useRef<HTMLOListElement>(null);
  const [pinned, setPinned] = useState(true);
  const { lines } = follow.log;
  const denied = useMemo(() => lines.filter((line) => isDeniedLogEntry(line.entry)).length, [lines]);
  const lastSeq = lines[lines.length - 1]?.seq ?? 0;

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && pinned) list.scrollTop = list.scrollHeight;
  }, [lastSeq, pinned]);

  return (
    <section className="details-section" aria-label="Security Proxy log" data-testid="squid-log-section">
      <h3 className="details-section__title">
        Security Proxy log{' '}
        <span className="field__optional">
          ({lines.length} {lines.length === 1 ? 'line' : 'lines'}
          {denied > 0 ? `, ${denied} refused` : ''}; updates every 2 s)
        </span>
      </h3>
      {follow.error ? (
        <div className="field__error" role="alert" data-testid="squid-log-error">
          {follow.error}
        </div>
      ) : null}
      {follow.log.gap ? (
        <p className="field__hint" data-testid="squid-log-gap">
          More lines arrived than one update reads; some in between are not shown.
        </p>
      ) : null}
      {!follow.loaded ? (
        <p className="muted" data-testid="squid-log-loading">
          Loading…
        </p>
      ) : lines.length === 0 && !follow.error ? (
        <p className="muted" data-testid="squid-log-empty">
          No requests through the Security Proxy yet.
        </p>
      ) : (
        <ol
          ref={listRef}
          className="squid-log"
          aria-live="off"
          data-testid="squid-log"
          data-count={lines.length}
          onScroll={(event) => {
            const list = event.currentTarget;
            setPinned(list.scrollHeight - list.scrollTop - list.clientHeight < 24);
          }}
        >
          {lines.map(({ seq, entry }) => {
            const refused = isDeniedLogEntry(entry);
            return (
              <li key={seq} className={`squid-log__line${refused ? ' is-denied' : ''}`} data-testid="squid-log-line" data-denied={refused} title={entry.rawLine}>
                <span className="squid-log__time">{formatLogTime(entry.timestamp)}</span>
                <span className="squid-log__status">{entry.status}</span>
                <span className="squid-log__method">{entry.method}</span>
                <span className="squid-log__url">{entry.url}</span>
              </li>
            );
          })}
        </ol>
      )}
      {!pinned && lines.length > 0 ? (
        <button type="button" className="link-button" onClick={() => setPinned(true)} data-testid="squid-log-follow">
          Jump to the newest lines
        </button>
      ) : null}
    </section>
  );
}

export interface RecordedDomainsSectionProps {
  reading: Reading<RecordedDomainsResponse>;
  onRefresh: () => void;
  /** Adds the chosen hosts to the whitelist; resolves with what happened, rejects with an ApiError. */
  onAddToWhitelist: (hosts: string[]) => Promise<{ added: string[]; alreadyCovered: string[]; rejected: { host: string; message: string }[] }>;
}

/** Hosts the LLM Logging Proxy saw, by category, with checkboxes and one action: add the chosen ones to the whitelist. */
export function RecordedDomainsSection({ reading, onRefresh, onAddToWhitelist }: RecordedDomainsSectionProps) {
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const categories = useMemo(() => (reading.value ? categoriesInOrder(reading.value) : []), [reading.value]);

  const add = async () => {
    if (selected.size === 0 || busy) return;
    setBusy(true);
    setOutcome(null);
    try {
      const result = await onAddToWhitelist([...selected].sort());
      const parts: string[] = [];
      if (result.added.length > 0) parts.push(`Added to the whitelist: ${result.added.join(', ')}.`);
      if (result.alreadyCovered.length > 0) parts.push(`Already on it: ${result.alreadyCovered.join(', ')}.`);
      for (const refused of result.rejected) parts.push(`${refused.message}.`);
      setOutcome({ kind: result.rejected.length > 0 && result.added.length === 0 ? 'error' : 'ok', text: parts.join(' ') });
      setSelected(new Set());
    } catch (error) {
      setOutcome({ kind: 'error', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="details-section" aria-label="Recorded domains" data-testid="recorded-domains-section">
      <div className="network-section__head">
        <h3 className="details-section__title">
          Recorded domains {reading.value ? <span className="field__optional">({reading.value.totalDomains})</span> : null}
        </h3>
        <button type="button" className="link-button" onClick={onRefresh} disabled={reading.loading} data-testid="recorded-domains-refresh">
          Refresh
        </button>
      </div>
      {reading.error ? (
        <div className="field__error" role="alert" data-testid="recorded-domains-error">
          {reading.error}
        </div>
      ) : null}
      {reading.value === null ? (
        reading.loading ? (
          <p className="muted">Loading…</p>
        ) : null
      ) : categories.length === 0 ? (
        <p className="muted" data-testid="recorded-domains-empty">
          Nothing recorded yet.
        </p>
      ) : (
        <div className="recorded-domains" data-testid="recorded-domains">
          {categories.map(({ category, domains }) => {
            const names = domains.map((entry) => entry.domain);
            const allOn = names.every((name) => selected.has(name));
            return (
              <fieldset key={category} className="recorded-domains__category" data-testid="recorded-domains-category" data-category={category}>
                <legend className="recorded-domains__legend">
                  <label className="checkbox">
                    <input type="checkbox" checked={allOn} onChange={() => setSelected((current) => toggleAll(current, names))} disabled={busy} aria-label={`Choose all of ${category}`} />
                    {category} <span className="muted">({domains.length})</span>
                  </label>
                </legend>
                <ul className="recorded-domains__list">
                  {domains.map((entry) => (
                    <li key={entry.domain} className="recorded-domains__row">
                      <label className="checkbox recorded-domains__label">
                        <input
                          type="checkbox"
                          checked={selected.has(entry.domain)}
                          onChange={(event) => setSelected((current) => toggleSelection(current, entry.domain, event.target.checked))}
                          disabled={busy}
                          data-testid="recorded-domain-checkbox"
                          data-domain={entry.domain}
                        />
                        <span className="mono recorded-domains__name">{entry.domain}</span>
                      </label>
                      <span className="muted recorded-domains__count" title={`First seen ${formatTime(entry.first_seen)}, last seen ${formatTime(entry.last_seen)}`}>
                        {entry.count}× · {formatTime(entry.last_seen)}
                      </span>
                    </li>
                  ))}
                </ul>
              </fieldset>
            );
          })}
        </div>
      )}
      {categories.length > 0 ? (
        <div className="network-section__actions">
          <button type="button" className="button button--small button--primary" disabled={busy || selected.size === 0} onClick={() => void add()} data-testid="recorded-domains-add">
            {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
            Add to whitelist{selected.size > 0 ? ` (${selected.size})` : ''}
          </button>
        </div>
      ) : null}
      {outcome ? (
        <div className={outcome.kind === 'error' ? 'field__error' : 'field__hint'} role={outcome.kind === 'error' ? 'alert' : 'status'} data-testid="recorded-domains-outcome">
          {outcome.text}
        </div>
      ) : null}
    </section>
  );
}

export interface ConversationsSectionProps {
  reading: Reading<LlmConversation[]>;
  onRefresh: () => void;
  /** Each rejects with an ApiError shown in the confirmation. */
  onDelete: (conversationId: string) => Promise<void>;
  onDeleteAll: () => Promise<void>;
}

/** How many conversations are rendered at first; "Show more" adds this many (hundreds stay quick). */
const CONVERSATIONS_PAGE = 50;

/** One conversation, collapsed to a summary line; opened it shows prompt, answer, tool calls and errors. */
function ConversationItem({ conversation, onDelete }: { conversation: LlmConversation; onDelete: () => void }) {
  const lastUser = [...conversation.messages].reverse().find((message) => message.role === 'user');
  return (
    <li className="conversation" data-testid="conversation" data-id={conversation.timestamp}>
      <details>
        <summary className="conversation__summary">
          <span className="conversation__model mono" data-testid="conversation-model">
            {conversation.model || 'unknown model'}
          </span>
          <span className="muted">{formatTime(conversation.startedAt)}</span>
          <span className="muted" data-testid="conversation-tokens">
            {describeUsage(conversation)}
          </span>
          {conversation.error ? <span className="conversation__flag">error</span> : null}
          <span className="conversation__preview" data-testid="conversation-preview">
            {lastUser ? lastUser.content.slice(0, 140) : conversation.answer.slice(0, 140)}
          </span>
        </summary>
        <div className="conversation__body">
          <p className="muted conversation__meta">
            {conversation.host}
            {conversation.path} · {conversation.provider}
            {conversation.status !== null ? ` · HTTP ${conversation.status}` : ' · no response'}
            {conversation.durationMs !== null ? ` · ${(conversation.durationMs / 1000).toFixed(1)} s` : ''}
            {conversation.streamed ? ' · streamed' : ''}
            {conversation.truncated ? ' · cut at the size limit' : ''}
          </p>
          <h4 className="conversation__heading">Prompt</h4>
          {conversation.messages.length === 0 ? <p className="muted">No messages.</p> : null}
          {conversation.messages.map((message, index) => (
            <div key={index} className={`conversation__message conversation__message--${message.role === 'user' ? 'user' : 'other'}`} data-testid="conversation-message" data-role={message.role}>
              <span className="conversation__role">{message.role}</span>
              <pre className="conversation__text">{message.content}</pre>
            </div>
          ))}
          <h4 className="conversation__heading">Answer</h4>
          <pre className="conversation__text conversation__answer" data-testid="conversation-answer">
            {conversation.answer || '—'}
          </pre>
          {conversation.toolCalls.length > 0 ? (
            <>
              <h4 className="conversation__heading">Tool calls</h4>
              {conversation.toolCalls.map((call, index) => (
                <div key={index} className="conversation__message" data-testid="conversation-tool-call">
                  <span className="conversation__role mono">{call.name}</span>
                  <pre className="conversation__text">{toolInputText(call.input)}</pre>
                </div>
              ))}
            </>
          ) : null}
          {conversation.error ? (
            <p className="field__error" data-testid="conversation-error">
              {conversation.error}
            </p>
          ) : null}
          <button type="button" className="button button--small button--danger-ghost" onClick={onDelete} data-testid="conversation-delete">
            Delete this conversation
          </button>
        </div>
      </details>
    </li>
  );
}

/** Recorded LLM conversations, newest first, with delete (one or all, each confirmed). */
export function ConversationsSection({ reading, onRefresh, onDelete, onDeleteAll }: ConversationsSectionProps) {
  const [shown, setShown] = useState(CONVERSATIONS_PAGE);
  const [confirm, setConfirm] = useState<{ kind: 'one'; conversation: LlmConversation } | { kind: 'all' } | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const sorted = useMemo(() => newestFirst(reading.value ?? []), [reading.value]);

  const runConfirmed = async () => {
    if (!confirm || busy) return;
    setBusy(true);
    setConfirmError(null);
    try {
      if (confirm.kind === 'one') await onDelete(confirm.conversation.timestamp);
      else await onDeleteAll();
      setConfirm(null);
      onRefresh();
    } catch (error) {
      setConfirmError(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="details-section" aria-label="LLM conversations" data-testid="conversations-section">
      <div className="network-section__head">
        <h3 className="details-section__title">
          LLM conversations {reading.value ? <span className="field__optional" data-testid="conversations-count">({reading.value.length})</span> : null}
        </h3>
        <span className="network-section__links">
          <button type="button" className="link-button" onClick={onRefresh} disabled={reading.loading} data-testid="conversations-refresh">
            Refresh
          </button>
          {sorted.length > 0 ? (
            <button type="button" className="link-button link-button--danger" onClick={() => setConfirm({ kind: 'all' })} data-testid="conversations-delete-all">
              Delete all
            </button>
          ) : null}
        </span>
      </div>
      {reading.error ? (
        <div className="field__error" role="alert" data-testid="conversations-error">
          {reading.error}
        </div>
      ) : null}
      {reading.value === null ? (
        reading.loading ? (
          <p className="muted">Loading…</p>
        ) : null
      ) : sorted.length === 0 ? (
        <p className="muted" data-testid="conversations-empty">
          No LLM conversations recorded.
        </p>
      ) : (
        <ul className="conversations" data-testid="conversations">
          {sorted.slice(0, shown).map((conversation) => (
            <ConversationItem key={conversation.timestamp} conversation={conversation} onDelete={() => setConfirm({ kind: 'one', conversation })} />
          ))}
        </ul>
      )}
      {sorted.length > shown ? (
        <button type="button" className="link-button" onClick={() => setShown((current) => current + CONVERSATIONS_PAGE)} data-testid="conversations-more">
          Show {Math.min(CONVERSATIONS_PAGE, sorted.length - shown)} more of {sorted.length - shown}
        </button>
      ) : null}
      {confirm ? (
        <Dialog
          title={confirm.kind === 'all' ? 'Delete all conversations?' : 'Delete this conversation?'}
          description={
            confirm.kind === 'all'
              ? `All ${sorted.length} recorded conversations of this workspace are deleted. This cannot be undone.`
              : `${confirm.conversation.model || 'Unknown model'}, ${formatTime(confirm.conversation.startedAt)}. This cannot be undone.`
          }
          onClose={() => setConfirm(null)}
          busy={busy}
          testId="conversation-delete-dialog"
          onSubmit={() => void runConfirmed()}
          alert={
            confirmError ? (
              <div className="form-alert" role="alert" data-testid="conversation-delete-error">
                {confirmError}
              </div>
            ) : null
          }
          footer={
            <>
              <button type="button" className="button" onClick={() => setConfirm(null)} disabled={busy} data-testid="conversation-delete-cancel">
                Cancel
              </button>
              <button type="submit" className="button button--danger" disabled={busy} data-testid="conversation-delete-confirm" data-autofocus>
                {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
                Delete
              </button>
            </>
          }
        >
          {null}
        </Dialog>
      ) : null}
    </section>
  );
}

export interface DocumentationSectionProps {
  /** Generates and saves the `.md` file; resolves with its name, rejects with an ApiError. */
  onDownload: (type: DocumentationType) => Promise<{ fileName: string; conversationCount: number }>;
}

/** "Download documentation": clean (prompts and answers) or detailed (with models, times and tokens), as a `.md` file. */
export function DocumentationSection({ onDownload }: DocumentationSectionProps) {
  const [type, setType] = useState<DocumentationType>('clean');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  useEffect(() => setOutcome(null), [type]);
  const download = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const result = await onDownload(type);
      setOutcome({ kind: 'ok', text: `Saved ${result.fileName} (${result.conversationCount} ${result.conversationCount === 1 ? 'conversation' : 'conversations'}).` });
    } catch (error) {
      setOutcome({ kind: 'error', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="details-section" aria-label="Documentation" data-testid="documentation-section">
      <h3 className="details-section__title">Documentation</h3>
      <div className="details-inline">
        <select className="input documentation__type" value={type} onChange={(event) => setType(event.target.value as DocumentationType)} disabled={busy} aria-label="Kind of documentation" data-testid="documentation-type">
          <option value="clean">Clean: prompts and answers</option>
          <option value="detailed">Detailed: with models, times and tokens</option>
        </select>
        <button type="button" className="button button--small" onClick={() => void download()} disabled={busy} data-testid="documentation-download">
          {busy ? <span className="spinner spinner--small" aria-hidden="true" /> : null}
          Download .md
        </button>
      </div>
      {outcome ? (
        <div className={outcome.kind === 'error' ? 'field__error' : 'field__hint'} role={outcome.kind === 'error' ? 'alert' : 'status'} data-testid="documentation-outcome">
          {outcome.text}
        </div>
      ) : null}
    </section>
  );
}
