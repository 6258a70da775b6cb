import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import express from 'express';
import type { Logger } from 'pino';
import { APP_ROOT, parseConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { EventBus } from './events/event-bus.js';
import { EventStreamHub } from './events/sse.js';
import { AdminAuth, RateLimiter, loadOrCreateAdminToken } from './http/auth.js';
import { dashboardRouter, securityHeaders } from './http/dashboard.js';
import { errorHandler, requireJsonContentType, sendError } from './http/errors.js';
import { HostGuard } from './http/host-guard.js';
import { joinDirFor, joinPageRouter } from './http/join-page.js';
import { openLinkRouter } from './http/open-link.js';
import { projectsRouter } from './http/projects-router.js';
import { joinEnterHandler, workshopAdminRouter, workshopPublicRouter } from './http/workshop-router.js';
import { authRouter, healthRouter, systemRouter } from './http/system-router.js';
import { whitelistRouter } from './http/whitelist-router.js';
import { recordingsRouter } from './http/recordings-router.js';
import { gitRouter } from './http/git-router.js';
import { GitService, type GitClientFactory } from './services/git-service.js';
import { ForgejoClient } from './git/forgejo-client.js';
import { ManagedGitServer } from './git/managed-git-server.js';
import { createGitProxy } from './http/git-proxy.js';
import type { XaresServer } from './index.js';
import { createLogger } from './logger.js';
import { loopbackHostFilter, participantHostFilter } from './routing/participant-access.js';
import { classifyRequestHost, joinUrl } from './routing/public-urls.js';
import { deriveTeacherKey, loadOrCreateGateSecret } from './routing/workspace-gate.js';
import { createWorkspaceRouter, type WorkspaceRouter } from './routing/workspace-router.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import type { WorkspaceRuntime } from './runtime/workspace-runtime.js';
import { ImageService, resolveWorkspaceImageTag } from './services/image-service.js';
import { ProjectsService } from './services/projects-service.js';
import { SystemState } from './services/system-state.js';
import { WorkshopService } from './services/workshop-service.js';
import { WhitelistService } from './services/whitelist.js';
import { RecordingsService, type RecordingsSource } from './services/recordings-service.js';
import type { SquidLogSource } from './services/squid-log.js';
import { openStore } from './store/index.js';
import { acquireDataFolderLock } from './store/data-lock.js';
import { NetworkControl } from './proxies/network-control.js';
import { ensureProxyImages, proxyImageTags } from './proxies/proxy-image-setup.js';
import { JOIN_ENTER_PATH } from './contract/index.js';

/** How often the Git server is checked (ms): status, and the managed server made again when it is gone. */
const GIT_CHECK_INTERVAL_MS = 15_000;

/** Max JSON body on `/api` (64 KiB; our rule: no API request needs more). */
export const API_BODY_LIMIT = '64kb';

/**
 * How often the logging proxy's records are taken in even when nobody looks (ms); every recordings query also
 * takes them in first. Keeps the proxy's records directory small.
 */
export const RECORDINGS_INGEST_INTERVAL_MS = 15_000;

/** The backend as `startServer` returns it: `XaresServer` plus handles for the CLI and tests. */
export interface XaresAppServer extends XaresServer {
  readonly events: EventBus;
  readonly logger: Logger;
  readonly projects: ProjectsService;
  readonly system: SystemState;
  readonly workshop: WorkshopService;
  /** The Security Proxy whitelist (issue #5). */
  readonly whitelist: WhitelistService;
  /** What the LLM Logging Proxy recorded (issue #5). */
  readonly recordings: RecordingsService;
  /** Proxies, networks and firewall rules of the proxy modes (issue #5); null when off. */
  readonly network: NetworkControl | null;
  /** The Git server integration (issue #7). */
  readonly git: GitService;
  /** The managed Git server (issue #7); null when this app cannot run one (no network control). */
  readonly managedGit: ManagedGitServer | null;
}

/** Options of {@link startServer} beside the configuration (tests, benchmarks). */
export interface StartServerOptions {
  /** The engine to run workspaces on; default the Docker engine of `config.dockerHost`. */
  runtime?: WorkspaceRuntime;
  /** Workshop claims per client address per minute (default `CLAIM_RATE_LIMIT`). */
  claimRateLimit?: number;
  /** The logging proxy's record files (issue #5); tests pass a fake. Default: none (only stored recordings are served). */
  recordingsSource?: RecordingsSource;
  /** Squid's access log (issue #5); tests pass a fake. Default: none (squid-logs answers 503). */
  squidLogSource?: SquidLogSource;
  /** A workspace's address on its proxy network, or '' (shown as `ipAddress`); default always ''. */
  proxyAddressOf?: (projectId: string) => Promise<string> | string;
  /**
   * Network control of the proxy modes (issue #5). Default: on with the real Docker runtime, off with a
   * `runtime` given (then only `proxyMode: "none"` is offered). `false` turns it off; an object tunes it (tests).
   */
  /** Makes Forgejo REST clients (issue #7); tests may pass a fake. Default: {@link ForgejoClient}. */
  gitClientFactory?: GitClientFactory;
  /** The managed Git server (issue #7): its image (default the official Forgejo image; tests pass the fake's) and start timeout. */
  gitServer?: { image?: string; readyTimeoutMs?: number; checkIntervalMs?: number };
  networkControl?: false | { upstreamCaPem?: string; healthIntervalMs?: number; images?: { squid: string; mitmproxy: string; netguard: string } };
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Builds and starts the backend (see `createServer` in index.ts): one HTTP server where the workspace router
 * sees every request first (workspace hosts), and Express serves `/api` and `/admin/` for our own hosts.
 * @throws ConfigError for a bad configuration; DataFolderLockedError (code `DATA_FOLDER_LOCKED`) when another
 *   server uses the same data folder; the listen error (e.g. EADDRINUSE) when the port cannot be bound.
 */
export async function startServer(input: ServerConfigInput | ServerConfig, options: StartServerOptions = {}): Promise<XaresAppServer> {
  const config = parseConfig(input);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // One server per data folder (store/data-lock.ts): throws DataFolderLockedError naming the other one.
  const lock = acquireDataFolderLock(config.dataDir);
  let started: XaresAppServer;
  try {
    started = await startLockedServer(config, options);
  } catch (error) {
    lock.release();
    throw error;
  }
  lock.describe({ dashboardUrl: started.dashboardUrl });
  const closeServer = started.close;
  return { ...started, close: () => closeServer().finally(() => lock.release()) };
}

/** `startServer` once the data folder's lock is held. */
async function startLockedServer(config: ServerConfig, options: StartServerOptions): Promise<XaresAppServer> {
  const logger = createLogger(config.logLevel);
  const startedAt = Date.now();
  const version = readVersion();
  const adminToken = loadOrCreateAdminToken(config.dataDir, config.adminToken);
  const store = openStore(config.dataDir);

  let boundPort = config.port;
  const urlHost = !config.host || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const baseUrl = () => `http://${urlHost}:${boundPort}`;
  const dashboardUrl = () => `${baseUrl()}/admin/`;

  const dockerRuntime = new DockerRuntime({ dockerHost: config.dockerHost, instanceId: config.instanceId });
  const runtime = options.runtime ?? dockerRuntime;
  const bus = new EventBus();
  const imageTag = resolveWorkspaceImageTag(config.workspaceImage, config.resourcesDir);
  const state = new SystemState(bus, imageTag);
  const images = new ImageService({
    tag: imageTag,
    resourcesDir: config.resourcesDir,
    buildIfMissing: config.buildImageIfMissing,
    runtime,
    docker: dockerRuntime.streamingDocker,
    state,
    logger,
  });
  // The workshop is built after the projects it seats; the route table asks it for claim keys through this.
  let workshop: WorkshopService | null = null;
  // The router is built after the services; until then there is no connection to end.
  let endConnections: (projectId: string) => void = () => {};
  // Proxy modes need the real engine: networks, proxy containers and firewall rules (issue #5).
  let whitelistSection: () => string = () => '';
  const networkControl =
    options.networkControl === false || (options.runtime && options.networkControl === undefined)
      ? null
      : new NetworkControl({
          docker: dockerRuntime.streamingDocker,
          instanceId: config.instanceId,
          images: proxyImageTags(config.resourcesDir),
          ensureImages: () => ensureProxyImages(dockerRuntime.streamingDocker, config.resourcesDir, logger),
          credentials: store.projects,
          whitelistSection: () => whitelistSection(),
          logger,
          workspaceNetwork: runtime instanceof DockerRuntime ? runtime.networkName : dockerRuntime.networkName,
          ...(options.networkControl ? options.networkControl : {}),
        });
  // The managed Git server needs the real engine and the proxy networks (issue #7); ROOT_URL = participant base + git/.
  const managedGit = networkControl
    ? new ManagedGitServer({
        docker: dockerRuntime.streamingDocker,
        instanceId: config.instanceId,
        networks: networkControl.networks,
        workspaceNetwork: { name: dockerRuntime.networkName, ensure: () => dockerRuntime.ensureNetwork() },
        ...((options.gitServer?.image ?? config.gitServerImage) ? { image: (options.gitServer?.image ?? config.gitServerImage)! } : {}),
        ...(options.gitServer?.readyTimeoutMs ? { readyTimeoutMs: options.gitServer.readyTimeoutMs } : {}),
        rootUrl: () => `${joinUrl(config, boundPort)}git/`,
        logger,
        // Workspaces reach it through the firewall rules, which carry its (new) addresses.
        onStarted: () => networkControl.refreshRules(),
      })
    : null;
  if (networkControl && managedGit) {
    networkControl.setGitServer({
      active: () => {
        const settings = store.git.get();
        return settings.enabled && settings.mode === 'managed';
      },
      addresses: () => managedGit.addresses(),
    });
  }
  const git = new GitService({
    repository: store.git,
    clientFactory: options.gitClientFactory ?? ((client) => new ForgejoClient(client)),
    logger,
    ...(managedGit ? { managed: managedGit } : {}),
  });
  const projects = new ProjectsService({
    config,
    store,
    runtime,
    bus,
    state,
    images,
    logger,
    publicPort: () => boundPort,
    claimKeyOf: (projectId) => workshop?.claimKeyOf(projectId),
    onSessionsInvalidated: (projectId) => endConnections(projectId),
    ...(networkControl ? { network: networkControl } : {}),
    capabilities: () => ({ securityProxy: networkControl !== null, loggingProxy: networkControl !== null, gitServer: git.available() }),
    git: {
      // Empty: the workspace pushes its template's files as the first commit (workspace-git.ts).
      createRepositoryFor: (projectName: string) => git.createRepositoryFor(projectName, { autoInit: false }),
      workspaceAccess: (projectId: string, repoFullName: string) => git.workspaceAccess(projectId, repoFullName),
      branchNames: (repoFullName: string) => git.branchNames(repoFullName),
      claimBranch: (projectId: string, repoFullName: string, branch: string) => git.claimBranch(projectId, repoFullName, branch),
      revokeWorkspaceAccess: (projectId: string) => git.revokeWorkspaceAccess(projectId),
    },
  });
  workshop = new WorkshopService({
    repository: store.workshop,
    projects,
    bus,
    defaultGroup: config.workshopGroup,
    secret: loadOrCreateGateSecret(config.dataDir),
    logger,
    onSeatReleased: (projectId) => {
      endConnections(projectId);
      // The next participant gets a credential the one before never saw.
      void projects.renewGitCredential(projectId);
    },
  });
  // A changed whitelist is applied to a running squid at once (and written into a new one before it starts).
  const whitelist = new WhitelistService({
    repository: store.whitelist,
    ...(networkControl ? { onWhitelistChanged: () => networkControl.applyWhitelist() } : {}),
  });
  whitelistSection = () => whitelist.squidSection();
  const recordings = new RecordingsService({
    repository: store.recordings,
    ...(options.recordingsSource
      ? { source: options.recordingsSource }
      : networkControl
        ? { source: { collect: () => networkControl.collectRecords(), acknowledge: (names: string[]) => networkControl.acknowledgeRecords(names) } }
        : {}),
    logger,
    isProject: (projectId) => projects.list().some((project) => project.id === projectId),
  });
  // A deleted workspace's recordings go with it.
  bus.subscribe((event) => {
    if (event.type === 'project.removed') recordings.deleteProject(event.projectId);
  });
  const workshopDeps = {
    workshop,
    baseDomain: config.baseDomain,
    publicHost: config.publicHost,
    port: () => boundPort,
    logError: (error: unknown) => logger.error({ err: error }, 'unexpected workshop error'),
  };
  const auth = new AdminAuth(adminToken);
  const hostGuard = new HostGuard(config.baseDomain, () => boundPort, config.publicHost === undefined ? [] : [config.publicHost]);
  /**
   * Participant hosts (issue #4 "LAN access"): names of ours other than loopback and the base domain (LAN
   * addresses, the machine's name, `publicHost`). Only the join page, the public workshop API and path seats
   * are served there; never the dashboard or the admin API (origin separation).
   */
  const isParticipantHost = (host: string | undefined): boolean => hostGuard.isOurHost(host) && classifyRequestHost(host, { baseDomain: config.baseDomain }) === 'participant';
  const hub = new EventStreamHub(bus, () => ({ type: 'hello', projects: projects.list(), docker: state.docker, image: state.image }));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    // Method, path (no query string: it could carry a code) and outcome only; never headers or bodies.
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });
  app.use(hostGuard.checkHost);
  app.use(loopbackHostFilter);
  // `/git/`: the managed Git server on participant hosts (a redirect there from admin hosts), before the filter
  // that keeps participant hosts to the join page.
  const gitProxy = createGitProxy({ isParticipantHost, participantBaseUrl: () => joinUrl(config, boundPort), target: () => git.managedTarget(), onUnreachable: () => managedGit?.forget(), logger });
  app.use(gitProxy.middleware);
  app.use(participantHostFilter(isParticipantHost));
  app.use(securityHeaders);
  // `/` is the join page on participant hosts; on the host computer (admin hosts) it leads to the dashboard.
  const joinPage = joinPageRouter(joinDirFor(config.rendererDir));
  app.use((req, res, next) => (isParticipantHost(req.headers.host) ? joinPage(req, res, next) : next()));
  app.get('/', (_req, res) => res.redirect(302, '/admin/'));
  app.use((req, res, next) => (req.path === '/admin' ? res.redirect(301, '/admin/') : next()));

  const api = express.Router();
  // 415 for bodies that are not declared JSON, before the parser would silently skip them.
  const json = [requireJsonContentType, express.json({ limit: API_BODY_LIMIT })];
  api.use(hostGuard.checkOrigin);
  api.use(healthRouter(version, startedAt));
  api.use('/auth', json);
  api.use(authRouter(auth, new RateLimiter(10, 60_000)));
  // Workshop: public participant routes, then admin routes with their own check (bearer or `?password=`).
  api.use(workshopPublicRouter({ ...workshopDeps, ...(options.claimRateLimit !== undefined ? { claimRateLimit: options.claimRateLimit } : {}) }));
  api.use(workshopAdminRouter({ ...workshopDeps, auth }));
  api.use(auth.requireAdmin);
  // Before the shared JSON parser: the whitelist has its own, larger body limit.
  api.use(whitelistRouter(whitelist));
  api.use(json);
  api.use(gitRouter(git));
  api.get('/events', hub.handler);
  api.use(openLinkRouter({ routeTable: projects, gate: () => router.gate, baseDomain: config.baseDomain, port: () => boundPort }));
  api.use(
    '/projects',
    recordingsRouter({
      recordings,
      projects,
      logger,
      ...(options.squidLogSource
        ? { squidLog: options.squidLogSource }
        : networkControl
          ? { squidLog: { readAccessLog: (maxBytes: number) => networkControl.readSquidAccessLog(maxBytes) } }
          : {}),
      ...(options.proxyAddressOf
        ? { addressOf: options.proxyAddressOf }
        : networkControl
          ? { addressOf: (projectId: string) => networkControl.addressOf(projectId) }
          : {}),
    }),
  );
  api.use('/projects', projectsRouter(projects));
  api.use(systemRouter({ config, version, startedAt, projects, state, imageTag, dashboardUrl, gitServer: () => git.status() }));
  api.use((req, res) => sendError(res, 'NOT_FOUND', `No API route ${req.method} ${req.path}`));
  api.use(errorHandler((error) => logger.error({ err: error }, 'unexpected API error')));
  app.use('/api', api);
  app.get(JOIN_ENTER_PATH, joinEnterHandler({ ...workshopDeps, gate: () => router.gate }));
  app.use('/admin', dashboardRouter(config.rendererDir));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  app.use(errorHandler((error) => logger.error({ err: error }, 'unexpected error')));

  const gateSecret = loadOrCreateGateSecret(config.dataDir);
  const router: WorkspaceRouter = createWorkspaceRouter({
    baseDomain: config.baseDomain,
    routeTable: projects,
    logger,
    gate: { secret: gateSecret, teacherKey: deriveTeacherKey(gateSecret, adminToken), verifyPassword: (projectId, password) => projects.verifyGatePassword(projectId, password) },
    isParticipantHost,
  });
  endConnections = (projectId) => router.disconnect(projectId);

  const sockets = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    if (router.handleRequest(req, res)) return;
    app(req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (router.handleUpgrade(req, socket, head)) return;
    if (gitProxy.handleUpgrade(req, socket, head)) return;
    socket.destroy();
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  // Idle WebSockets and long uploads through the router must not be cut by Node's server timeouts.
  server.requestTimeout = 0;
  server.timeout = 0;
  server.headersTimeout = 120_000;
  server.keepAliveTimeout = 75_000;

  // Know which workspaces run (and on which ports) before the first request arrives.
  await projects.initialSync();
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen({ port: config.port, ...(config.host ? { host: config.host } : {}) }, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } catch (error) {
    router.close();
    images.close();
    await projects.close();
    store.close();
    throw error;
  }
  boundPort = (server.address() as AddressInfo).port;
  logger.info({ port: boundPort, dataDir: config.dataDir, image: imageTag, instance: config.instanceId }, 'Xares server listening');
  projects.attachEngine();
  recordings.startPeriodicIngest(RECORDINGS_INGEST_INTERVAL_MS);
  // Reachability of a Git server enabled before this start (capability `gitServer` waits for it), then every
  // 15 s: the status stays truthful, and a managed server whose container vanished or stopped is made again.
  void git.check().catch((error: unknown) => logger.warn({ err: error }, 'git server check failed'));
  let gitChecking = false;
  const gitTimer = setInterval(() => {
    if (gitChecking || !store.git.get().enabled) return;
    gitChecking = true;
    void git
      .check()
      // Accounts of workspaces deleted while the server could not be reached go now.
      .then(() => git.reconcileWorkspaceAccounts((projectId) => store.projects.get(projectId) !== null))
      .catch((error: unknown) => logger.warn({ err: error }, 'git server check failed'))
      .finally(() => {
        gitChecking = false;
      });
  }, options.gitServer?.checkIntervalMs ?? GIT_CHECK_INTERVAL_MS);
  gitTimer.unref();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(gitTimer);
      images.close();
      networkControl?.close();
      hub.closeAll();
      router.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      // Operations already running (a create, a stop) finish before the store closes.
      await projects.close();
      await closed;
      workshop?.close();
      await recordings.close();
      store.close();
      logger.info('Xares server stopped');
    })();
    return closing;
  };

  return {
    config,
    url: baseUrl(),
    port: boundPort,
    dashboardUrl: dashboardUrl(),
    adminToken,
    createSignInUrl: () => `http://localhost:${boundPort}/admin/#code=${auth.issueCode()}`,
    close,
    events: bus,
    logger,
    projects,
    system: state,
    workshop,
    whitelist,
    recordings,
    network: networkControl,
    git,
    managedGit,
  };
}
