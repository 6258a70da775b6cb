import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  alreadyRunningView,
  StartupPageThrottle,
  classifyDockerProblem,
  dockerHelp,
  dockerInstalled,
  IMAGE_CHECK_GRACE_MS,
  portNotice,
  renderStartupPage,
  SPLASH_CSP,
  splashActionOf,
  startOnFreePort,
  startupPageUrl,
  startupView,
  type StartupInput,
} from '../../main/startup.js';

const inUse = (): NodeJS.ErrnoException => Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });

describe('startOnFreePort', () => {
  it('uses the preferred port when it is free', async () => {
    const tried: number[] = [];
    const result = await startOnFreePort({ preferred: 8080, isFree: async () => true, start: async (port) => (tried.push(port), `on ${port}`) });
    expect(result).toEqual({ value: 'on 8080', port: 8080 });
    expect(tried).toEqual([8080]);
  });

  it('skips ports the probe finds taken and ports taken in the race after the probe', async () => {
    const started: number[] = [];
    const result = await startOnFreePort({
      preferred: 8080,
      isFree: async (port) => port !== 8080,
      start: async (port) => {
        started.push(port);
        if (port === 8081) throw inUse();
        return port;
      },
    });
    expect(result.port).toBe(8082);
    expect(started).toEqual([8081, 8082]);
  });

  it('does not move to another port when another Xares server owns the data folder', async () => {
    const started: number[] = [];
    const locked = Object.assign(new Error('already used'), { code: 'DATA_FOLDER_LOCKED' });
    // 8080 is taken by the other Xares (headless on 8080): the probe skips it, the start on 8081 is refused.
    const attempt = startOnFreePort({
      preferred: 8080,
      isFree: async (port) => port !== 8080,
      start: async (port) => {
        started.push(port);
        throw locked;
      },
    });
    await expect(attempt).rejects.toBe(locked);
    expect(started).toEqual([8081]);
  });

  it('passes port 0 through and throws other errors at once', async () => {
    expect((await startOnFreePort({ preferred: 0, isFree: async () => false, start: async (port) => port })).port).toBe(0);
    const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    await expect(startOnFreePort({ preferred: 80, isFree: async () => true, start: async () => { throw denied; } })).rejects.toBe(denied);
  });

  it('gives up after the attempts with an EADDRINUSE error naming the range, never above 65535', async () => {
    const probed: number[] = [];
    const failure = startOnFreePort({ preferred: 65_530, attempts: 20, isFree: async (port) => (probed.push(port), false), start: async () => 1 });
    await expect(failure).rejects.toMatchObject({ code: 'EADDRINUSE', message: 'Ports 65530 to 65535 are all in use.' });
    expect(probed.at(-1)).toBe(65_535);
  });

  it('moves on from a port a real socket holds', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await startOnFreePort({
        preferred: taken,
        attempts: 5,
        isFree: async () => true, // the probe lies: start itself must hit EADDRINUSE and move on
        start: (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer();
            server.once('error', reject);
            server.listen(port, () => resolve(server));
          }),
      });
      expect(result.port).toBeGreaterThan(taken);
      await new Promise((resolve) => result.value.close(resolve));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('portNotice', () => {
  it('says so only when the port differs from a configured one', () => {
    expect(portNotice(8080, 8080)).toBeNull();
    expect(portNotice(0, 41234)).toBeNull();
    expect(portNotice(8080, 8081)).toBe('Port 8080 was in use, so the dashboard runs on port 8081.');
  });
});

describe('Docker problems', () => {
  it('classifies the server error with what is installed', () => {
    expect(classifyDockerProblem('Docker engine is not reachable (ENOENT)', false)).toBe('not-installed');
    expect(classifyDockerProblem('Docker engine is not reachable (ENOENT)', true)).toBe('not-running');
    expect(classifyDockerProblem('Docker engine is not reachable (ECONNREFUSED)', true)).toBe('not-running');
    expect(classifyDockerProblem('Docker engine is not reachable (EACCES)', true)).toBe('no-permission');
  });

  it('tells Linux users to install docker.io and start the service, others to use Docker Desktop', () => {
    expect(dockerHelp('not-installed', 'linux').steps.join(' ')).toContain('sudo apt install docker.io');
    expect(dockerHelp('not-running', 'linux').steps.join(' ')).toContain('sudo systemctl start docker');
    expect(dockerHelp('no-permission', 'linux').steps.join(' ')).toContain('usermod -aG docker');
    expect(dockerHelp('not-installed', 'darwin').link?.url).toMatch(/^https:\/\/www\.docker\.com\//);
    expect(dockerHelp('not-running', 'win32').steps[0]).toBe('Start Docker Desktop.');
  });

  it('finds Docker on the PATH or in its usual install place', () => {
    const files = new Set(['/opt/bin/docker', '/Applications/Docker.app', 'C:\\Tools\\docker.exe']);
    const exists = (file: string) => files.has(file);
    expect(dockerInstalled('linux', { PATH: '/opt/bin:/bin' }, exists)).toBe(true);
    expect(dockerInstalled('linux', { PATH: '/bin' }, exists)).toBe(false);
    expect(dockerInstalled('darwin', { PATH: '/bin' }, exists)).toBe(true);
    expect(dockerInstalled('win32', { Path: 'C:\\Windows;C:\\Tools\\' }, exists)).toBe(true);
    expect(dockerInstalled('win32', { Path: 'C:\\Windows' }, exists)).toBe(false);
  });
});

describe('startupView', () => {
  const base: StartupInput = {
    serverStarted: true,
    notice: null,
    docker: { available: true, version: '20.10.24', error: null },
    image: { tag: 'xares/workspace:5', state: 'present', progress: 1, message: 'ready' },
    dockerFound: true,
    platform: 'linux',
    continued: false,
    engineUpForMs: 1000,
  };

  it('shows progress while the server starts and the engine is not checked yet', () => {
    const starting = startupView({ ...base, serverStarted: false, docker: null, image: null });
    expect(starting).toMatchObject({ screen: 'progress', steps: [{ state: 'active' }, { state: 'waiting' }, { state: 'waiting' }] });
    const checking = startupView({ ...base, docker: { available: false, version: null, error: 'Not checked yet' } });
    expect(checking).toMatchObject({ screen: 'progress', steps: [{ state: 'done' }, { state: 'active' }, { state: 'waiting' }] });
  });

  it('shows the Docker screen while the engine is unreachable, and goes on once it is back', () => {
    const down = startupView({ ...base, docker: { available: false, version: null, error: 'Docker engine is not reachable (ENOENT)' }, dockerFound: false });
    expect(down).toMatchObject({ screen: 'docker', help: { headline: 'Docker is not installed' }, retrySeconds: 5 });
    expect(startupView(base)).toEqual({ screen: 'ready' });
  });

  it('shows the image build with its fraction, and an image error with its message', () => {
    const building = startupView({ ...base, image: { tag: 't', state: 'building', progress: 0.426, message: 'Step 3/9' } });
    expect(building).toMatchObject({ screen: 'progress', progress: 0.42, steps: [{}, { state: 'done', detail: 'Docker 20.10.24' }, { state: 'active', detail: 'Step 3/9' }] });
    expect(startupView({ ...base, image: { tag: 't', state: 'error', progress: 0, message: 'Image build failed: x' } })).toEqual({
      screen: 'image-error',
      message: 'Image build failed: x',
      notice: null,
    });
  });

  it('opens the dashboard when the user continues, or when the image check never answers', () => {
    const down = { ...base, docker: { available: false, version: null, error: 'x' } };
    expect(startupView({ ...down, continued: true })).toEqual({ screen: 'ready' });
    const unknown = { ...base, image: { tag: 't', state: 'unknown' as const, progress: 0, message: '' } };
    expect(startupView(unknown).screen).toBe('progress');
    expect(startupView({ ...unknown, engineUpForMs: IMAGE_CHECK_GRACE_MS })).toEqual({ screen: 'ready' });
  });

  it('carries the port notice to every screen', () => {
    const notice = 'Port 8080 was in use, so the dashboard runs on port 8081.';
    expect(startupView({ ...base, notice, serverStarted: false })).toMatchObject({ notice });
    expect(startupView({ ...base, notice, docker: { available: false, version: null, error: 'x' } })).toMatchObject({ notice });
  });
});

describe('the splash page', () => {
  it('has a strict CSP, no script and no remote resource; Docker help escapes and shows commands as code', () => {
    const view = startupView({
      serverStarted: true,
      notice: 'Port <8080> was in use',
      docker: { available: false, version: null, error: '<img src=x onerror=alert(1)>' },
      image: null,
      dockerFound: false,
      platform: 'linux',
      continued: false,
      engineUpForMs: 0,
    });
    if (view.screen === 'ready') throw new Error('expected a page');
    const html = renderStartupPage(view);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${SPLASH_CSP}">`);
    expect(SPLASH_CSP).toContain("default-src 'none'");
    expect(SPLASH_CSP).not.toMatch(/script-src/);
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('Port &lt;8080&gt; was in use');
    expect(html).toContain('<code>sudo apt install docker.io</code>');
    expect(html).toContain('href="#retry"');
    expect(html).toContain('href="#continue"');
    // The only absolute link is the help page, opened in the system browser by main.
    expect([...html.matchAll(/href="([^"#][^"]*)"/g)].map((match) => match[1])).toEqual(['https://docs.docker.com/engine/install/']);
  });

  it('shows a progress bar while the image builds', () => {
    const html = renderStartupPage({ screen: 'progress', notice: null, progress: 0.5, steps: [{ label: 'Build', state: 'active', detail: null }] });
    expect(html).toContain('<progress max="100" value="50">');
  });

  it('is loaded as a base64 data: URL whose in-page links main recognises', () => {
    const url = startupPageUrl('<p>#ä</p>');
    expect(url.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString('utf8')).toBe('<p>#ä</p>');
    expect(splashActionOf(`${url}#retry`)).toBe('retry');
    expect(splashActionOf(`${url}#continue`)).toBe('continue');
    expect(splashActionOf(`${url}#other`)).toBeNull();
    expect(splashActionOf(url)).toBeNull();
  });
});

describe('another Xares server owns the data folder', () => {
  const locked = Object.assign(new Error('The data folder /home/ana/.local/share/xares is already used by another Xares server (process 4242).'), {
    code: 'DATA_FOLDER_LOCKED',
    dataDir: '/home/ana/.local/share/xares',
    holder: { pid: 4242, hostname: 'host', startedAt: '', dashboardUrl: 'http://localhost:8080/admin/' },
  });

  it('is recognised by its code; other errors (a taken port) are not', () => {
    expect(alreadyRunningView(locked)).toEqual({
      screen: 'already-running',
      dataDir: '/home/ana/.local/share/xares',
      pid: 4242,
      dashboardUrl: 'http://localhost:8080/admin/',
      notice: null,
    });
    expect(alreadyRunningView(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }))).toBeNull();
    expect(alreadyRunningView('nope')).toBeNull();
    // Only an http(s) dashboard URL becomes a link.
    expect(alreadyRunningView({ ...locked, code: 'DATA_FOLDER_LOCKED', holder: { pid: 1, dashboardUrl: 'javascript:alert(1)' } })!.dashboardUrl).toBeNull();
  });

  it('says "Xares is already running (dashboard at …)" with the folder, a browser link and Quit, without script', () => {
    const html = renderStartupPage(alreadyRunningView(locked)!);
    expect(html).toContain('<h1>Xares is already running (dashboard at <code>http://localhost:8080/admin/</code>)</h1>');
    expect(html).toContain('process 4242');
    expect(html).toContain('<code>/home/ana/.local/share/xares</code>');
    expect(html).toContain('href="http://localhost:8080/admin/"');
    expect(html).toContain('href="#quit"');
    expect(html).not.toMatch(/<script/i);
    expect(splashActionOf(`${startupPageUrl(html)}#quit`)).toBe('quit');
  });

  it('escapes the folder name', () => {
    const html = renderStartupPage(alreadyRunningView({ ...locked, code: 'DATA_FOLDER_LOCKED', dataDir: '/tmp/<b>x</b>' })!);
    expect(html).toContain('/tmp/&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('StartupPageThrottle', () => {
  it('loads a changed page at most once a second within a screen, an unchanged one never, a new screen at once', () => {
    const throttle = new StartupPageThrottle(1_000);
    expect(throttle.offer('building 1%', 'progress', 0)).toBe(true);
    expect(throttle.offer('building 1%', 'progress', 5_000)).toBe(false); // same text: no reload
    // An image build reporting ten times a second: one load per second.
    let loads = 0;
    for (let t = 5_000; t < 8_000; t += 100) if (throttle.offer(`building ${t}`, 'progress', t)) loads += 1;
    expect(loads).toBe(3);
    // A different screen (the engine went away) shows at once.
    expect(throttle.offer('docker help', 'docker', 7_950)).toBe(true);
  });
});
