import type { DocumentationType, LlmConversation, TokenUsage } from '../contract/index.js';

/**
 * Markdown documentation of a workspace's recorded LLM conversations (api-reference "Generate Documentation",
 * behaviour.md "LLM Logging Proxy"). Exchanges are grouped into sessions: a pause of more than
 * {@link SESSION_GAP_MS} between the end of one exchange and the start of the next starts a new session.
 * `clean` shows each exchange's prompt (the last user message of the request: chat clients resend the whole
 * history each time) and answer; `detailed` adds model, time, duration and token counts per exchange, totals
 * per session and for the whole document. The result is markdown text for download (nothing is turned into
 * HTML here).
 *
 * Recorded text is inert in any Markdown viewer, also in those that render inline HTML: prompts and answers
 * are fenced code blocks whose fence is longer than any backtick run inside (so no line of the text can close
 * the block, start a heading or become HTML); other recorded words in running text (errors, host, provider)
 * have `&`, `<`, `>` as entities and Markdown punctuation backslash-escaped; names in code spans (model,
 * tool) lose their backticks and line breaks.
 */

/** Pause that ends a session: 30 minutes. */
export const SESSION_GAP_MS = 30 * 60 * 1000;

/** Options of {@link generateDocumentation}. */
export interface DocumentationOptions {
  projectId: string;
  type: DocumentationType;
  /** Time of generation, shown in the header (default now). */
  now?: Date;
}

/**
 * The exchanges worth documenting: those with an answer (text or tool calls) or an error. Requests to an LLM
 * host that are not model calls (telemetry, model lists, token counting) have neither and are left out.
 */
export function documentableConversations(conversations: readonly LlmConversation[]): LlmConversation[] {
  return conversations.filter((c) => c.answer.trim() !== '' || c.toolCalls.length > 0 || c.error !== null);
}

/** Exchanges grouped into sessions, each oldest first; sessions oldest first. Exchanges are sorted by start time. */
export function groupIntoSessions(conversations: readonly LlmConversation[]): LlmConversation[][] {
  const sorted = [...conversations].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.timestamp < b.timestamp ? -1 : 1));
  const sessions: LlmConversation[][] = [];
  let lastEnd = -Infinity;
  for (const conversation of sorted) {
    const start = Date.parse(conversation.startedAt);
    const current = sessions.at(-1);
    if (!current || start - lastEnd > SESSION_GAP_MS) sessions.push([conversation]);
    else current.push(conversation);
    lastEnd = Math.max(lastEnd === -Infinity ? start : lastEnd, start + (conversation.durationMs ?? 0));
  }
  return sessions;
}

/** The prompt of an exchange: its last `user` message (else its last message), or `''`. */
export function promptOf(conversation: LlmConversation): string {
  const users = conversation.messages.filter((message) => message.role === 'user');
  return (users.at(-1) ?? conversation.messages.at(-1))?.content ?? '';
}

/**
 * Builds the markdown document (see the module comment) from the exchanges given; pass them through
 * {@link documentableConversations} first to leave out requests that were not model calls.
 */
export function generateDocumentation(conversations: readonly LlmConversation[], options: DocumentationOptions): string {
  const detailed = options.type === 'detailed';
  const sessions = groupIntoSessions(conversations);
  const out: string[] = ['# AI Session Documentation', ''];
  out.push(`- Workspace: \`${options.projectId}\``);
  out.push(`- Generated: ${formatTime(options.now ?? new Date())}`);
  out.push(`- Sessions: ${sessions.length}`);
  out.push(`- Exchanges: ${conversations.length}`);
  if (detailed) {
    out.push(`- Models: ${modelsOf(conversations) || 'unknown'}`);
    out.push(`- Tokens: ${formatUsage(sumUsage(conversations))}`);
  }
  out.push('');
  if (conversations.length === 0) {
    out.push('No LLM conversations were recorded for this workspace.', '');
    return out.join('\n');
  }
  sessions.forEach((session, sessionIndex) => {
    const first = session[0] as LlmConversation;
    const last = session.at(-1) as LlmConversation;
    out.push(`## Session ${sessionIndex + 1}: ${formatTime(new Date(first.startedAt))} to ${formatTime(new Date(endOf(last)))}`, '');
    if (detailed) {
      out.push(`- Exchanges: ${session.length}`);
      out.push(`- Models: ${modelsOf(session) || 'unknown'}`);
      out.push(`- Tokens: ${formatUsage(sumUsage(session))}`);
      out.push(`- Time waiting for answers: ${formatDuration(session.reduce((sum, c) => sum + (c.durationMs ?? 0), 0))}`);
      out.push('');
    }
    session.forEach((conversation, index) => {
      out.push(`### ${sessionIndex + 1}.${index + 1} ${formatClock(new Date(conversation.startedAt))}`, '');
      if (detailed) {
        out.push(`- Model: ${conversation.model ? `\`${inlineCode(conversation.model)}\`` : 'unknown'} (${inlineText(conversation.provider)}, ${inlineText(conversation.host)})`);
        out.push(`- Started: ${formatTime(new Date(conversation.startedAt))}`);
        out.push(`- Duration: ${conversation.durationMs === null ? 'unfinished' : formatDuration(conversation.durationMs)}`);
        out.push(`- Tokens: ${conversation.usage ? formatUsage(conversation.usage) : 'not reported'}`);
        if (conversation.status !== null) out.push(`- HTTP status: ${conversation.status}`);
        if (conversation.error) out.push(`- Error: ${inlineText(conversation.error)}`);
        if (conversation.truncated) out.push('- Note: the recording was cut at the size limit; text may be incomplete.');
        out.push('');
      }
      const prompt = promptOf(conversation);
      out.push('**Prompt**', '', prompt.trim() ? fenced(prompt) : '_(no prompt text)_', '');
      out.push('**Answer**', '');
      const answer = conversation.answer.trim();
      if (answer) out.push(fenced(conversation.answer), '');
      for (const call of conversation.toolCalls) out.push(`- Tool call: \`${inlineCode(call.name || 'unnamed')}\``);
      if (conversation.toolCalls.length > 0) out.push('');
      if (!answer && conversation.toolCalls.length === 0) out.push(conversation.error ? `_(no answer: ${inlineText(conversation.error)})_` : '_(no answer text)_', '');
    });
  });
  return out.join('\n');
}

function endOf(conversation: LlmConversation): number {
  return Date.parse(conversation.startedAt) + (conversation.durationMs ?? 0);
}

function sumUsage(conversations: readonly LlmConversation[]): TokenUsage {
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const { usage } of conversations) {
    if (!usage) continue;
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    total.totalTokens += usage.totalTokens;
  }
  return total;
}

function modelsOf(conversations: readonly LlmConversation[]): string {
  const models = [...new Set(conversations.map((c) => c.model).filter(Boolean))].sort();
  return models.map((model) => `\`${inlineCode(model)}\``).join(', ');
}

function formatUsage(usage: TokenUsage): string {
  return `${usage.inputTokens} in, ${usage.outputTokens} out, ${usage.totalTokens} total`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `2026-02-14 10:00:05 UTC`. */
function formatTime(date: Date): string {
  return Number.isFinite(date.getTime()) ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : 'unknown time';
}

/** `10:00:05 UTC`. */
function formatClock(date: Date): string {
  return Number.isFinite(date.getTime()) ? `${date.toISOString().slice(11, 19)} UTC` : 'unknown time';
}

/**
 * `text` as a fenced code block (CommonMark): shown as written, never read as Markdown or HTML. The fence is
 * backticks, one more than the longest backtick run in the text (at least three), so no line inside can close
 * it. Line ends become `\n`; blank lines at the start and white space at the end are dropped (indentation of
 * the first line is kept). Exported for tests.
 */
export function fenced(text: string): string {
  const body = text.replace(/\r\n?/g, '\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();
  // A loop, not Math.max(...runs): a long answer can have more runs than a call takes arguments.
  let longestRun = 0;
  for (const run of body.match(/`+/g) ?? []) longestRun = Math.max(longestRun, run.length);
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${body}\n${fence}`;
}

/**
 * `text` on one line for running Markdown text (never at the start of a line, so no heading or list marker
 * can begin): white space runs become one space; `&`, `<`, `>` become entities (no HTML, no autolinks) and the
 * inline Markdown punctuation is backslash-escaped (no emphasis, links, images, code spans, tables or
 * strikethrough). Exported for tests.
 */
export function inlineText(text: string): string {
  return oneLine(text)
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** Text for inside single backticks: no backticks or line breaks. */
function inlineCode(text: string): string {
  return text.replace(/[`\r\n]/g, ' ');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
