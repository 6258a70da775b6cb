import { DOMAIN_CATEGORIES, type CategorizedDomain, type DomainCategory, type DomainStats, type RecordedDomainsResponse } from '../contract/index.js';

/**
 * Categories of recorded destination hosts (behaviour.md "Domain categories, first match wins"): each
 * category has a list of domains; a host belongs to the first category (in {@link DOMAIN_CATEGORIES} order)
 * with a pattern it equals or ends with after a dot (`files.pythonhosted.org` matches `pythonhosted.org`,
 * `xpypi.org` does not match `pypi.org`). Hosts matching nothing are `Other`. The lists are ours.
 */
export const DOMAIN_CATEGORY_PATTERNS: Record<Exclude<DomainCategory, 'Other'>, readonly string[]> = {
  'Package Managers': [
    // Python, JavaScript, Rust, Ruby, PHP, Java, .NET, Go, Dart, Elixir, Perl, R, conda
    'pypi.org',
    'pythonhosted.org',
    'npmjs.org',
    'npmjs.com',
    'yarnpkg.com',
    'jsr.io',
    'deno.land',
    'bun.sh',
    'jsdelivr.net',
    'unpkg.com',
    'crates.io',
    'rubygems.org',
    'packagist.org',
    'maven.org',
    'maven.apache.org',
    'gradle.org',
    'nuget.org',
    'proxy.golang.org',
    'sum.golang.org',
    'pub.dev',
    'hex.pm',
    'cpan.org',
    'r-project.org',
    'anaconda.org',
    'anaconda.com',
    'conda.io',
    // operating system packages and editor extensions (the whitelist's base domains)
    'debian.org',
    'ubuntu.com',
    'nodesource.com',
    'alpinelinux.org',
    'fedoraproject.org',
    'open-vsx.org',
    'openvsx.org',
    'eclipsecontent.org',
  ],
  'AI APIs': [
    // the hosts the logging proxy records exchanges of
    'openai.com',
    'anthropic.com',
    'generativelanguage.googleapis.com',
    'openrouter.ai',
    'deepseek.com',
    'mistral.ai',
    'z.ai',
    'huggingface.co',
    'hf.co',
    'opencode.ai',
    'chatgpt.com',
    // other model APIs and coding assistants
    'claude.ai',
    'aiplatform.googleapis.com',
    'x.ai',
    'groq.com',
    'cohere.com',
    'cohere.ai',
    'together.xyz',
    'together.ai',
    'perplexity.ai',
    'fireworks.ai',
    'replicate.com',
    'ollama.com',
    'githubcopilot.com',
    'codeium.com',
    'cursor.sh',
    'moonshot.cn',
    'bigmodel.cn',
  ],
  Documentation: [
    'developer.mozilla.org',
    'docs.python.org',
    'python.org',
    'readthedocs.io',
    'readthedocs.org',
    'docs.rs',
    'rust-lang.org',
    'nodejs.org',
    'react.dev',
    'reactjs.org',
    'typescriptlang.org',
    'docs.oracle.com',
    'spring.io',
    'docs.github.com',
    'stackoverflow.com',
    'stackexchange.com',
    'w3schools.com',
    'devdocs.io',
    'wikipedia.org',
    'learn.microsoft.com',
    'flask.palletsprojects.com',
    'palletsprojects.com',
    'docs.docker.com',
  ],
  'Version Control': [
    'github.com',
    'githubusercontent.com',
    'githubassets.com',
    'ghcr.io',
    'gitlab.com',
    'bitbucket.org',
    'codeberg.org',
    'sourceforge.net',
    'git-scm.com',
    'sr.ht',
    'gitea.com',
  ],
  System: [
    // editor updates and marketplace, certificates, time, container and cloud infrastructure
    'visualstudio.com',
    'vscode-cdn.net',
    'vsassets.io',
    'vscode-unpkg.net',
    'microsoft.com',
    'letsencrypt.org',
    'digicert.com',
    'pki.goog',
    'ntp.org',
    'docker.io',
    'docker.com',
    'googleapis.com',
    'gstatic.com',
    'amazonaws.com',
    'cloudflare.com',
    'akamaihd.net',
    'localhost',
  ],
};

/** Whether `host` equals `pattern` or ends with `.` + `pattern` (never a plain substring). */
export function domainMatches(host: string, pattern: string): boolean {
  return host === pattern || host.endsWith(`.${pattern}`);
}

/** The category of `host` (lower-cased, trailing dot ignored); `Other` when no list matches. */
export function categorizeDomain(host: string): DomainCategory {
  const name = host.toLowerCase().replace(/\.$/, '');
  for (const category of DOMAIN_CATEGORIES) {
    if (category === 'Other') break;
    if (DOMAIN_CATEGORY_PATTERNS[category].some((pattern) => domainMatches(name, pattern))) return category;
  }
  return 'Other';
}

/** One stored host counter (as the repository returns it). */
export interface DomainRow extends DomainStats {
  domain: string;
}

/**
 * The body of `GET .../recorded-domains` from stored rows: `domains` keyed by host in name order,
 * `categorized` only the non-empty categories (most requests first, then by name), `totalDomains` the host count.
 */
export function recordedDomainsBody(projectId: string, ipAddress: string, rows: readonly DomainRow[]): RecordedDomainsResponse {
  const sorted = [...rows].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  // No prototype: a host could be named `__proto__`.
  const domains = Object.create(null) as Record<string, DomainStats>;
  const categorized: Partial<Record<DomainCategory, CategorizedDomain[]>> = {};
  for (const row of sorted) {
    domains[row.domain] = { count: row.count, first_seen: row.first_seen, last_seen: row.last_seen };
    const category = categorizeDomain(row.domain);
    (categorized[category] ??= []).push({ domain: row.domain, count: row.count, first_seen: row.first_seen, last_seen: row.last_seen });
  }
  // Keys in the categories' own order, each list busiest first.
  const ordered: Partial<Record<DomainCategory, CategorizedDomain[]>> = {};
  for (const category of DOMAIN_CATEGORIES) {
    const list = categorized[category];
    if (list) ordered[category] = list.sort((a, b) => b.count - a.count || (a.domain < b.domain ? -1 : 1));
  }
  return { success: true, projectId, ipAddress, domains, categorized: ordered, totalDomains: sorted.length };
}
