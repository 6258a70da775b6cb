/**
 * Start-up of the desktop app without Electron: which port the embedded server gets, what the splash page shows
 * while the Docker engine is checked and the workspace image ensured, and what it says when Docker is missing.
 * `main/index.ts` feeds it the server's state (`XaresAppServer.system`: contract `DockerState`/`ImageState`) and
 * shows the page it renders in the main window until the dashboard can load.
 *
 * The splash page is a `data:` URL with no script at all and its own Content-Security-Policy
 * (`default-src 'none'`, inline styles only): nothing remote, nothing executable. Its buttons are in-page links
 * (`#retry`, `#continue`) that main sees as `did-navigate-in-page`; main re-renders the page on every change.
 */
import type { DockerState, ImageState } from '../server/contract/system.js';

// ---- port -----------------------------------------------------------------------------------------------

/** How many ports after the configured one are tried when it is taken. */
export const PORT_ATTEMPTS = 20;

/** The error `startOnFreePort` throws when every port tried was taken (code `EADDRINUSE`, like Node's). */
export function portsTakenError(first: number, last: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    first === last ? `Port ${first} is already in use.` : `Ports ${first} to ${last} are all in use.`,
  );
  error.code = 'EADDRINUSE';
  return error;
}

/**
 * Starts something on the preferred port or, when that is taken, the next free one (up to `attempts` ports,
 * never above 65535). Port 0 (the OS picks) is passed through. A port the probe calls free can still be taken a
 * moment later: `start` failing with `EADDRINUSE` moves on to the next port too. Other errors (`EACCES`, a bad
 * configuration) are thrown at once.
 * @param isFree quick probe (main: listen and close a socket on the same host).
 * @returns what `start` returned and the port it got.
 * @throws `portsTakenError` when every port tried was taken.
 */
export async function startOnFreePort<T>(options: {
  preferred: number;
  attempts?: number;
  isFree: (port: number) => Promise<boolean>;
  start: (port: number) => Promise<T>;
}): Promise<{ value: T; port: number }> {
  const { preferred } = options;
  if (preferred === 0) return { value: await options.start(0), port: 0 };
  const last = Math.min(65_535, preferred + (options.attempts ?? PORT_ATTEMPTS) - 1);
  for (let port = preferred; port <= last; port += 1) {
    if (!(await options.isFree(port))) continue;
    try {
      return { value: await options.start(port), port };
    } catch (error) {
      if ((error as NodeJS.ErrnoException | null)?.code !== 'EADDRINUSE') throw error;
    }
  }
  throw portsTakenError(preferred, last);
}

/**
 * One sentence for the UI when the server did not get the configured port (window title, splash, notification),
 * or null when it did (or when no port was configured: `0`).
 */
export function portNotice(configured: number, actual: number): string | null {
  if (configured === 0 || configured === actual) return null;
  return `Port ${configured} was in use, so the dashboard runs on port ${actual}.`;
}

// ---- Docker ---------------------------------------------------------------------------------------------

/** Why the engine cannot be used. */
export type DockerProblem = 'not-installed' | 'not-running' | 'no-permission';

/**
 * Classifies the engine error the server reports (`DockerState.error`, e.g. "Docker engine is not reachable
 * (ENOENT)"): permission errors on the socket → `no-permission`; otherwise `not-installed` when no Docker
 * program was found on this machine, else `not-running`.
 */
export function classifyDockerProblem(error: string | null, dockerFound: boolean): DockerProblem {
  if (error && /\b(EACCES|EPERM)\b|permission denied/i.test(error)) return 'no-permission';
  return dockerFound ? 'not-running' : 'not-installed';
}

/** What to tell the user about a Docker problem. */
export interface DockerHelp {
  headline: string;
  explanation: string;
  /** Steps in order; commands in backticks are shown as code. */
  steps: string[];
  /** A page with more help (opened in the system browser), or null. */
  link: { label: string; url: string } | null;
}

const DOCKER_DESKTOP_URL = 'https://www.docker.com/products/docker-desktop/';
const DOCKER_ENGINE_LINUX_URL = 'https://docs.docker.com/engine/install/';

/**
 * Headline, explanation and fix for a Docker problem on a platform: Linux uses the distribution's Docker Engine
 * (`docker.io` on Debian/Ubuntu) as a system service; macOS and Windows use Docker Desktop.
 */
export function dockerHelp(problem: DockerProblem, platform: NodeJS.Platform): DockerHelp {
  const desktop = platform === 'darwin' || platform === 'win32';
  const explanation = 'Xares Desktop runs every workspace in a Docker container, so it needs a running Docker engine.';
  if (problem === 'not-installed') {
    return desktop
      ? {
          headline: 'Docker is not installed',
          explanation,
          steps: [
            'Install Docker Desktop (free for education and small organisations).',
            platform === 'win32' ? 'Start Docker Desktop and let it set up WSL 2 if it asks.' : 'Start Docker Desktop from the Applications folder.',
            'Wait until Docker Desktop says it is running; this screen continues by itself.',
          ],
          link: { label: 'Download Docker Desktop', url: DOCKER_DESKTOP_URL },
        }
      : {
          headline: 'Docker is not installed',
          explanation,
          steps: [
            'Install the Docker engine: `sudo apt install docker.io` on Debian and Ubuntu (other distributions: their `docker` package).',
            'Start it and start it at boot: `sudo systemctl enable --now docker`.',
            'Allow your user to use it: `sudo usermod -aG docker $USER`, then log out and in again.',
          ],
          link: { label: 'Docker Engine installation guide', url: DOCKER_ENGINE_LINUX_URL },
        };
  }
  if (problem === 'no-permission') {
    return desktop
      ? {
          headline: 'Docker does not let this user in',
          explanation,
          steps: [
            platform === 'win32'
              ? 'Add your user to the `docker-users` group (Computer Management → Local Users and Groups), then sign out and in again.'
              : 'Restart Docker Desktop; if that does not help, reinstall it for this user.',
          ],
          link: null,
        }
      : {
          headline: 'Docker does not let this user in',
          explanation,
          steps: ['Add your user to the docker group: `sudo usermod -aG docker $USER`.', 'Log out and in again (or restart), then press Retry.'],
          link: null,
        };
  }
  return desktop
    ? {
        headline: 'Docker is not running',
        explanation,
        steps: ['Start Docker Desktop.', 'Wait until it says Docker is running; this screen continues by itself.'],
        link: null,
      }
    : {
        headline: 'Docker is not running',
        explanation,
        steps: ['Start the Docker service: `sudo systemctl start docker`.', 'To have it start with the computer: `sudo systemctl enable docker`.'],
        link: null,
      };
}

/**
 * Whether a Docker program is installed, from the PATH and the usual install places (Docker Desktop's app bundle
 * on macOS, its program folder on Windows). `exists` is injected (node:fs `existsSync` in the app).
 */
export function dockerInstalled(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, exists: (file: string) => boolean): boolean {
  const separator = platform === 'win32' ? ';' : ':';
  const names = platform === 'win32' ? ['docker.exe'] : ['docker', 'dockerd'];
  const dirs = (env.PATH ?? env.Path ?? '').split(separator).filter(Boolean);
  if (platform !== 'win32') dirs.push('/usr/bin', '/usr/local/bin', '/usr/sbin');
  const join = (dir: string, name: string) => `${dir.replace(/[\\/]+$/, '')}${platform === 'win32' ? '\\' : '/'}${name}`;
  if (dirs.some((dir) => names.some((name) => exists(join(dir, name))))) return true;
  if (platform === 'darwin') return exists('/Applications/Docker.app');
  if (platform === 'win32') return exists(`${env.ProgramFiles ?? 'C:\\Program Files'}\\Docker\\Docker\\Docker Desktop.exe`);
  return false;
}

// ---- splash ---------------------------------------------------------------------------------------------

/** Seconds between automatic Docker retries on the Docker screen. */
export const DOCKER_RETRY_SECONDS = 5;
/** How long an image check may stay `unknown` with a reachable engine before the dashboard opens anyway, ms. */
export const IMAGE_CHECK_GRACE_MS = 60_000;

/** One line of the progress list. */
export interface StartupStep {
  label: string;
  state: 'done' | 'active' | 'waiting' | 'failed';
  detail: string | null;
}

/** What the main window shows during start-up. */
export type StartupView =
  | { screen: 'progress'; steps: StartupStep[]; progress: number | null; notice: string | null }
  | { screen: 'docker'; help: DockerHelp; error: string | null; retrySeconds: number; notice: string | null }
  | { screen: 'image-error'; message: string; notice: string | null }
  | { screen: 'already-running'; dataDir: string; pid: number | null; dashboardUrl: string | null; notice: null }
  | { screen: 'ready' };

/**
 * The start-up screen for a start refused because another Xares server (the headless `npm run serve`, or the app
 * under another user-data folder) already uses the data folder (`DataFolderLockedError`, code
 * `DATA_FOLDER_LOCKED`), or null for any other error. Moving to another port would make a second owner of the
 * same database and containers, so the app says where the running one is instead.
 */
export function alreadyRunningView(error: unknown): Extract<StartupView, { screen: 'already-running' }> | null {
  const locked = error as { code?: unknown; dataDir?: unknown; holder?: { pid?: unknown; dashboardUrl?: unknown } | null } | null;
  if (!locked || typeof locked !== 'object' || locked.code !== 'DATA_FOLDER_LOCKED') return null;
  const holder = locked.holder ?? null;
  return {
    screen: 'already-running',
    dataDir: typeof locked.dataDir === 'string' ? locked.dataDir : '',
    pid: typeof holder?.pid === 'number' ? holder.pid : null,
    dashboardUrl: typeof holder?.dashboardUrl === 'string' && /^https?:\/\//.test(holder.dashboardUrl) ? holder.dashboardUrl : null,
    notice: null,
  };
}

/** Shortest time between two loads of the start-up page, ms (an image build reports progress many times a second). */
export const STARTUP_PAGE_MIN_INTERVAL_MS = 1_000;

/**
 * Decides when the start-up page is loaded again: only when its HTML (what it shows) changed, and at most once per
 * `minIntervalMs`, except that a change of screen (progress → Docker help, …) shows at once. A change held back is
 * not lost: the caller re-offers the current page every second (the start-up ticker).
 */
export class StartupPageThrottle {
  private shown: string | null = null;
  private shownScreen: string | null = null;
  private shownAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly minIntervalMs = STARTUP_PAGE_MIN_INTERVAL_MS) {}

  /** Whether to load `html` (of screen `screen`) now; when true it counts as shown at `now` (ms). */
  offer(html: string, screen: string, now: number): boolean {
    if (html === this.shown) return false;
    if (screen === this.shownScreen && now - this.shownAt < this.minIntervalMs) return false;
    this.shown = html;
    this.shownScreen = screen;
    this.shownAt = now;
    return true;
  }
}

/** What start-up knows so far. */
export interface StartupInput {
  /** Whether `createServer` finished. */
  serverStarted: boolean;
  /** Port note from `portNotice`, or null. */
  notice: string | null;
  docker: DockerState | null;
  image: ImageState | null;
  /** Whether a Docker program is installed here (`dockerInstalled`). */
  dockerFound: boolean;
  platform: NodeJS.Platform;
  /** The user pressed "Open the dashboard anyway". */
  continued: boolean;
  /** Milliseconds since the engine was first seen reachable (for `IMAGE_CHECK_GRACE_MS`); 0 before. */
  engineUpForMs: number;
}

/** Docker's initial state in `SystemState` before the first check. */
const NOT_CHECKED = 'Not checked yet';

/**
 * The start-up screen for a state. Rules: progress while the server starts and the engine is being checked;
 * the Docker screen while the engine is unreachable; progress (with the build's fraction) while the image is
 * checked or built; the image error screen when that failed; `ready` (load the dashboard) once the image is
 * there, when the user chose to continue, or when the image check has not answered within
 * `IMAGE_CHECK_GRACE_MS` (the dashboard shows the image state itself).
 */
export function startupView(input: StartupInput): StartupView {
  if (input.continued) return { screen: 'ready' };
  const { notice } = input;
  const serverStep: StartupStep = input.serverStarted
    ? { label: 'Start the server', state: 'done', detail: notice }
    : { label: 'Start the server', state: 'active', detail: null };
  const dockerChecking = !input.docker || (!input.docker.available && input.docker.error === NOT_CHECKED);
  if (!input.serverStarted || dockerChecking) {
    return {
      screen: 'progress',
      notice,
      progress: null,
      steps: [
        serverStep,
        { label: 'Check the Docker engine', state: input.serverStarted ? 'active' : 'waiting', detail: null },
        { label: 'Prepare the workspace image', state: 'waiting', detail: null },
      ],
    };
  }
  const docker = input.docker!;
  if (!docker.available) {
    return {
      screen: 'docker',
      help: dockerHelp(classifyDockerProblem(docker.error, input.dockerFound), input.platform),
      error: docker.error,
      retrySeconds: DOCKER_RETRY_SECONDS,
      notice,
    };
  }
  const dockerStep: StartupStep = { label: 'Check the Docker engine', state: 'done', detail: docker.version ? `Docker ${docker.version}` : null };
  const image = input.image;
  if (image?.state === 'present') return { screen: 'ready' };
  if (image?.state === 'error') return { screen: 'image-error', message: image.message, notice };
  if (!image || image.state === 'unknown') {
    if (input.engineUpForMs >= IMAGE_CHECK_GRACE_MS) return { screen: 'ready' };
    return { screen: 'progress', notice, progress: null, steps: [serverStep, dockerStep, { label: 'Prepare the workspace image', state: 'active', detail: 'Checking…' }] };
  }
  // building: the first start on a machine builds the image, which takes minutes.
  return {
    screen: 'progress',
    notice,
    progress: Math.floor(image.progress * 100) / 100,
    steps: [serverStep, dockerStep, { label: 'Build the workspace image (first start only)', state: 'active', detail: image.message }],
  };
}

/** In-page links of the splash page, seen by main as `did-navigate-in-page`. */
export type SplashAction = 'retry' | 'continue' | 'quit';

/** The splash action a URL's fragment asks for, or null (`data:…#retry` → `retry`). */
export function splashActionOf(url: string): SplashAction | null {
  const hash = url.slice(url.lastIndexOf('#') + 1);
  if (url.lastIndexOf('#') < 0) return null;
  return hash === 'retry' || hash === 'continue' || hash === 'quit' ? hash : null;
}

/** Content-Security-Policy of the splash page: no script, no remote anything, inline styles only. */
export const SPLASH_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

/** Escapes a help step and shows `backticked` parts as code. */
function formatStep(step: string): string {
  return step
    .split('`')
    .map((part, index) => (index % 2 === 1 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part)))
    .join('');
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:620px;margin:48px auto;padding:32px;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 8px}p{margin:8px 0}code{background:#eef0f4;padding:1px 5px;border-radius:4px;font-size:13px}
ol.steps{list-style:none;padding:0}ol.steps li{padding:6px 0}.state{display:inline-block;width:1.6em}
.done{color:#1a7f37}.active{font-weight:600}.waiting{color:#8a93a3}.failed{color:#c62828}
.detail{display:block;margin-left:1.6em;color:#5b6475;font-size:13px}.notice{background:#fff8e1;border-left:4px solid #f2b600;padding:8px 12px}
.error{color:#5b6475;font-size:13px}progress{width:100%;height:12px}
.actions{margin-top:24px;display:flex;gap:12px;flex-wrap:wrap}
.actions a{padding:8px 16px;border-radius:6px;text-decoration:none;border:1px solid #c5cbd6;color:#1d2330}
.actions a.primary{background:#2457c5;border-color:#2457c5;color:#fff}
@media (prefers-color-scheme:dark){body{background:#16191f;color:#e6e9ef}main{background:#1f232b}code{background:#2b303a}
.actions a{color:#e6e9ef;border-color:#434a57}.notice{background:#3a3217}}`;

const STATE_MARK: Record<StartupStep['state'], string> = { done: '✓', active: '…', waiting: '·', failed: '✗' };

/** The splash page's HTML for a view (not for `ready`, which loads the dashboard). All text is escaped. */
export function renderStartupPage(view: Exclude<StartupView, { screen: 'ready' }>): string {
  const notice = view.notice ? `<p class="notice">${escapeHtml(view.notice)}</p>` : '';
  let body: string;
  switch (view.screen) {
    case 'progress': {
      const steps = view.steps
        .map(
          (step) =>
            `<li class="${step.state}"><span class="state">${STATE_MARK[step.state]}</span>${escapeHtml(step.label)}` +
            (step.detail ? `<span class="detail">${escapeHtml(step.detail)}</span>` : '') +
            '</li>',
        )
        .join('');
      const bar = view.progress === null ? '' : `<progress max="100" value="${Math.round(view.progress * 100)}">${Math.round(view.progress * 100)}%</progress>`;
      body = `<h1>Starting Xares Desktop</h1>${notice}<ol class="steps">${steps}</ol>${bar}`;
      break;
    }
    case 'docker': {
      const steps = view.help.steps.map((step) => `<li>${formatStep(step)}</li>`).join('');
      const link = view.help.link ? `<a href="${escapeHtml(view.help.link.url)}">${escapeHtml(view.help.link.label)}</a>` : '';
      body =
        `<h1>${escapeHtml(view.help.headline)}</h1>${notice}<p>${escapeHtml(view.help.explanation)}</p><ol>${steps}</ol>` +
        `<p class="error">Trying again every ${view.retrySeconds} seconds.${view.error ? ` Last answer: ${escapeHtml(view.error)}` : ''}</p>` +
        `<div class="actions"><a class="primary" href="#retry">Retry now</a>${link}<a href="#continue">Open the dashboard without Docker</a></div>`;
      break;
    }
    case 'image-error':
      body =
        `<h1>The workspace image is not ready</h1>${notice}<p>${escapeHtml(view.message)}</p>` +
        '<p>Workspaces cannot start without it. Retry builds it again; the dashboard also works meanwhile.</p>' +
        '<div class="actions"><a class="primary" href="#retry">Retry</a><a href="#continue">Open the dashboard</a></div>';
      break;
    case 'already-running': {
      // The dashboard link is http(s) only (alreadyRunningView): the window's navigation guard opens it in the
      // system browser.
      const where = view.dashboardUrl ? ` (dashboard at <code>${escapeHtml(view.dashboardUrl)}</code>)` : '';
      const who = view.pid !== null ? `process ${view.pid}` : 'another process';
      const open = view.dashboardUrl ? `<a class="primary" href="${escapeHtml(view.dashboardUrl)}">Open it in the browser</a>` : '';
      body =
        `<h1>Xares is already running${where}</h1>` +
        `<p>Another Xares server (${escapeHtml(who)}) uses the data folder <code>${escapeHtml(view.dataDir)}</code>. ` +
        'Two servers on one folder would both change the same workspaces, so this one did not start.</p>' +
        '<p>Use the one that runs, or stop it (Ctrl+C in its terminal, or quit that app) and start Xares Desktop again. ' +
        'To run both, give one of them another folder with <code>XARES_DATA_DIR</code>.</p>' +
        `<div class="actions">${open}<a href="#quit">Quit</a></div>`;
      break;
    }
  }
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${SPLASH_CSP}">` +
    `<title>Xares Desktop</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}

/** The page as a `data:` URL for `loadURL` (base64: no character of the page can end the URL early). */
export function startupPageUrl(html: string): string {
  return `data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`;
}
