import type { ProjectStatus, ProjectType, ProxyMode } from '../../../server/contract/index.js';

/** Display names and one-line descriptions of the templates (contract `ProjectType`). */
export const TEMPLATE_INFO: Record<ProjectType, { label: string; description: string }> = {
  empty: { label: 'Empty', description: 'A blank folder with a README and editor settings.' },
  'python-flask': { label: 'Python · Flask', description: 'A small Flask web app with a virtual environment.' },
  'nodejs-react': { label: 'Node.js · React', description: 'A React app with Vite, served on port 3000.' },
  'java-spring': { label: 'Java · Spring Boot', description: 'A Maven Spring Boot app with a controller and a test.' },
};

/** Display names and explanations of the proxy modes (contract `ProxyMode`). */
export const PROXY_INFO: Record<ProxyMode, { label: string; description: string }> = {
  none: { label: 'No proxy', description: 'Direct internet access, nothing recorded.' },
  logging: { label: 'Logging proxy', description: 'Internet access as usual; visited sites and AI requests are recorded for review.' },
  security: { label: 'Security proxy', description: 'Only sites on the whitelist can be reached; everything else is blocked.' },
};

/** Status badge words (contract `ProjectStatus`). */
export const STATUS_LABEL: Record<ProjectStatus, string> = {
  creating: 'Creating',
  running: 'Running',
  stopped: 'Stopped',
  error: 'Error',
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO time in the teacher's locale, or the raw text when it is not a valid date. */
export function formatDateTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : dateFormat.format(time);
}

/** The workspace URL when it is safe to use as a link target (http or https), otherwise `null`. */
export function safeHttpUrl(url: string): string | null {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}
