// The generated Markdown documentation keeps recorded text inert (issue #5, QA round): the downloaded .md is
// rendered with a CommonMark renderer that lets inline HTML through (markdown-it with `html: true`, as many
// viewers do), and hostile prompts, answers, errors, hosts and names must come out as text: no element of
// theirs, no heading, no link, and the document's own structure unchanged.
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { LlmConversation } from '../../server/contract/index.js';
import { fenced, generateDocumentation, inlineText } from '../../server/services/recordings-documentation.js';

const markdown = new MarkdownIt({ html: true, linkify: true });

/** Hostile texts: live HTML, fence break-outs of every length, heading and list injection, links and images. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  'before\n```\n<script>alert("out of the fence")</script>\n```\nafter',
  '`````\n<img src=x onerror=alert(5)>\n`````',
  '```` `` ` ```````\n<iframe src="javascript:alert(2)"></iframe>',
  '~~~\n<script>alert(3)</script>\n~~~',
  'ok\n# Fake heading\n## Session 99: fake\n- Tool call: `fake`',
  '\n\n    indented <b>code</b>\n\t<details open>',
  '[click](javascript:alert(4)) ![x](http://tracker.example/p.png) <http://example.com> www.example.com',
  '&lt;script&gt; stays an entity &amp; <!-- comment --> <?php ?> <![CDATA[x]]>',
  'ends in a fence ```',
  '```',
  '\r\n<svg onload=alert(6)>\r# Fake after CR\r\n',
];

function exchange(index: number, prompt: string, answer: string, extra: Partial<LlmConversation> = {}): LlmConversation {
  const startedAt = new Date(Date.UTC(2026, 1, 14, 10, 0, index)).toISOString();
  return {
    timestamp: `${Date.parse(startedAt)}-${String(index).padStart(8, '0')}`,
    provider: 'openai',
    host: 'api.openai.com',
    path: '/v1/chat/completions',
    model: 'gpt-4o-mini',
    startedAt,
    durationMs: 100,
    status: 200,
    streamed: false,
    messages: [{ role: 'user', content: prompt }],
    answer,
    toolCalls: [],
    usage: null,
    error: null,
    truncated: false,
    ...extra,
  };
}

/** The element names in rendered HTML (lower-case, each once). */
function elementsOf(html: string): string[] {
  return [...new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => (match[1] as string).toLowerCase()))].sort();
}

/** Decodes the HTML entities markdown-it writes in text. */
function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** Texts of the `<pre><code>` blocks of rendered HTML, decoded, without the final line break. */
function codeBlocks(html: string): string[] {
  return [...html.matchAll(/<pre><code[^>]*>([\s\S]*?)<\/code><\/pre>/g)].map((match) => decode(match[1] as string).replace(/\n$/, ''));
}

/** The text the documentation keeps of a prompt or answer (line ends as \n, blank lines at the start and white space at the end dropped). */
function kept(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();
}

describe('documentation markdown with hostile recorded text', () => {
  it.each(HOSTILE.map((text, index) => [index, text] as const))('fenced() keeps text %i verbatim inside one code block', (_, text) => {
    const html = markdown.render(fenced(text));
    expect(elementsOf(html)).toEqual(['code', 'pre']);
    expect(codeBlocks(html)).toEqual([kept(text)]);
  });

  it('prompts and answers render as code, never as elements, headings or links of their own', () => {
    const conversations = HOSTILE.map((text, index) => exchange(index, text, `answer ${index}: ${text}`));
    for (const type of ['clean', 'detailed'] as const) {
      const doc = generateDocumentation(conversations, { projectId: 'abcdefabcdef', type });
      const html = markdown.render(doc);
      // Only the document's own elements: headings, paragraphs, lists, emphasis, code.
      expect(elementsOf(html)).toEqual(['code', 'h1', 'h2', 'h3', 'li', 'p', 'pre', 'strong', 'ul']);
      expect(html).not.toMatch(/<(script|img|iframe|svg|details|a|b)\b/i);
      // The headings are the document's: title, one session, one per exchange.
      expect([...html.matchAll(/<h1>/g)]).toHaveLength(1);
      expect([...html.matchAll(/<h2>/g)]).toHaveLength(1);
      expect([...html.matchAll(/<h3>/g)]).toHaveLength(HOSTILE.length);
      // Every prompt and answer is there verbatim, each in its own code block, in order.
      expect(codeBlocks(html)).toEqual(HOSTILE.flatMap((text, index) => [kept(text), kept(`answer ${index}: ${text}`)]));
    }
  });

  it('errors, hosts, providers, model and tool names stay text in running Markdown', () => {
    const evil = '<img src=x onerror=alert(1)> *bold* [link](javascript:x) `code` ~~gone~~ | a | b |\n# Fake';
    const failed = exchange(0, 'p', '', { error: evil, host: '<b>api</b>.example', provider: '<i>x</i>' as LlmConversation['provider'], model: '<script>m</script>`', status: 500 });
    const tools = exchange(1, 'q', '', { toolCalls: [{ name: '<img src=y onerror=alert(2)>`', input: {} }] });
    for (const type of ['clean', 'detailed'] as const) {
      const html = markdown.render(generateDocumentation([failed, tools], { projectId: 'abcdefabcdef', type }));
      expect(html).not.toMatch(/<(script|img|a|b|i|del|s|table)\b/i);
      expect(html).not.toContain('<strong>bold');
      expect([...html.matchAll(/<h1>/g)]).toHaveLength(1);
      // The error reads as written.
      expect(decode(html.replace(/<[^>]+>/g, ''))).toContain('<img src=x onerror=alert(1)> *bold* [link](javascript:x) `code` ~~gone~~ | a | b | # Fake');
    }
    expect(inlineText('a <b> & *c* _d_ `e` [f](g) ~h~ | i \\ j\nk')).toBe('a &lt;b&gt; &amp; \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) \\~h\\~ \\| i \\\\ j k');
  });

  it('picks a fence longer than the longest backtick run and keeps ordinary text readable', () => {
    expect(fenced('print("hi")')).toBe('```text\nprint("hi")\n```');
    expect(fenced('a ``` b')).toBe('````text\na ``` b\n````');
    expect(fenced('x\n``````\ny')).toBe('```````text\nx\n``````\ny\n```````');
    expect(fenced('\n\n  indented\r\nnext  \n\n')).toBe('```text\n  indented\nnext\n```');
  });
});
