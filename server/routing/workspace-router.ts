import http from 'node:http';
import { createRequire } from 'node:module';
import type stream from 'node:stream';
import httpProxy from 'http-proxy';
import type pino from 'pino';
import type { RouteTable, RouteTarget } from './route-table.js';
import { classifyHost, normalizeBaseDomain, type HostClass } from './workspace-host.js';
import { appPortNotListeningPage, sendStatusPage, writeSocketStatus, type StatusPage } from './status-pages.js';
import { ProjectId } from '../contract/index.js';
import { isLoopbackAddress, seatPathPrefix } from './public-urls.js';
import { createWorkspaceGate, upstreamCookieHeader, type GateKeys, type GateRoute, type WorkspaceGate, type WorkspaceGateOptions } from './workspace-gate.js';

export { parseWorkspaceHost, type WorkspaceHost } from './workspace-host.js';

/**
 * Proxies every request whose Host names a workspace (`<id>.<baseDomain>`, `<id>-<appPort>.<baseDomain>`)
 * to that workspace's code-server, and answers the rest of the base domain's subdomains with a page.
 *
 * Routing rules (issue #2 "Workspace router", issue #3 "App ports"):
 * - IDE host `<id>.<base>` → `http://127.0.0.1:<code-server port>` with the request path unchanged.
 * - App host `<id>-<port>.<base>` → the same code-server, path `/proxy/<port><path>`: code-server's own port
 *   proxy strips `/proxy/<port>` before forwarding, so the app sees its real path and works at the root of
 *   its own host (see docs in `README.md` of this folder for why not `/absproxy/`).
 * - `Host` and `Origin` go through exactly as the browser sent them (code-server compares them for
 *   WebSockets); `X-Forwarded-For/-Proto/-Host/-Port` are set by us (we are the edge: client-sent values are
 *   replaced, never trusted); `Forwarded` from the client is dropped.
 * - Bodies stream both ways; nothing is buffered or parsed, with one narrow exception: on an app host, a 500
 *   without Content-Type (the shape of code-server's port-proxy error) is held back up to 256 bytes to tell
 *   "nothing listens on the port" (answered with our own 502 page) from an app's own 500 (passed on as is).
 * - `Set-Cookie` from a workspace loses every `Domain` attribute, so a workspace can only set host-only
 *   cookies for its own host (not for the base domain the dashboard uses, nor for other workspaces).
 * - Path seats (issue #4 "LAN access"): on participant hosts (`isParticipantHost`), `/w/<id>/<rest>` goes to
 *   the same code-server as `/<rest>` (prefix stripped; `/w/<id>` answers 301 to `/w/<id>/`); `Set-Cookie`
 *   paths are moved under `/w/<id>/` and absolute-path redirects get the prefix back. Only gated workspaces
 *   (claimed or password-protected) are served there; an open one gets a 403 page ({@link NOT_SHARED_PAGE}).
 */
export interface WorkspaceRouter {
  /**
   * Handles the request when its Host lies under the base domain: proxied to the workspace, or answered
   * with a page (404 unknown workspace or non-workspace subdomain, 503 not running, 502 unreachable).
   * @returns true when handled (the caller must not touch `res` any more); false when the Host is not a
   *   subdomain of the base domain (the dashboard and `/api` are the caller's).
   */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Same for WebSocket upgrades: proxied, or answered with an HTTP error response and closed. */
  handleUpgrade(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer): boolean;
  /**
   * The gate (sessions, seat cookies, enter tickets), shared with the routes that start sessions (workshop
   * claims, the dashboard's open link); null when the router was built without one.
   */
  readonly gate: WorkspaceGate | null;
  /**
   * Ends every connection currently bound to workspace `projectId`, on its host routes (`<id>.<base>`,
   * `<id>-<port>.<base>`) and its path seat (`/w/<id>/`): both ends of each proxied WebSocket (and of upgrades
   * in flight), and each client connection that carried a request to it (kept-alive connections, responses in
   * flight). For when the sessions of a workspace change hands or end (a workshop seat released, its password
   * changed or removed): the gate refuses the old session on the next request, but an open connection would
   * otherwise keep the editor alive. Clients that reconnect go through the gate again. Unknown ids: no-op.
   * @returns how many sockets were destroyed.
   */
  disconnect(projectId: string): number;
  /**
   * Closes the proxy: destroys pooled and in-use upstream sockets and every proxied WebSocket (both ends).
   * Later requests on workspace hosts get a 503 page. Idempotent.
   */
  close(): void;
}

/** Options of {@link createWorkspaceRouter}. */
export interface WorkspaceRouterOptions {
  /** Base domain of workspace hosts, e.g. `localhost` (case and one trailing dot are ignored). */
  baseDomain: string;
  /** Resolves a project id to its route, synchronously from memory, per request. */
  routeTable: RouteTable;
  logger: pino.Logger;
  /**
   * Password gate of protected workspaces (`workspace-gate.ts`). Without it, a protected workspace (a route
   * with `passwordHash`) is never proxied: it gets a 503 page (fail closed).
   */
  gate?: WorkspaceGateOptions | WorkspaceGate;
  /**
   * True for Host headers of participant hosts (LAN address, machine name, `publicHost`; see
   * `classifyRequestHost` in public-urls.ts) that the server answers for: only there are `/w/<id>/…` path seats
   * routed. Absent: no path seats.
   */
  isParticipantHost?: (host: string | undefined) => boolean;
}

/**
 * Upstream connection pool (one pool per code-server port; Node keys pools by host:port).
 * - `maxSockets` 256 per workspace: far above what one browser opens (6 per host), bounded so a runaway
 *   client cannot exhaust file descriptors through one workspace; requests beyond it queue.
 * - `maxFreeSockets` 32: idle connections kept per workspace.
 * - `timeout` 30 s closes idle pooled sockets; Node shortens it to the upstream's `Keep-Alive: timeout=N`
 *   hint minus one second (code-server runs on Node, which announces 5 s), so we never reuse a socket the
 *   upstream is about to close. In-use sockets are not affected (Node only destroys free sockets on it).
 * - `scheduling: 'lifo'` reuses the most recently used socket, letting surplus ones expire.
 */
function createUpstreamAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, keepAliveMsecs: 15_000, maxSockets: 256, maxFreeSockets: 32, timeout: 30_000, scheduling: 'lifo' });
}

/** Most hosts we remember classifications of; the cache is cleared when full (Host is client-controlled). */
const HOST_CACHE_LIMIT = 2048;
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The upstream connection is ours (pooled), whatever the client asked for its own connection. */
const UPSTREAM_KEEP_ALIVE = Object.freeze({ connection: 'keep-alive' });

/** Per-request facts the proxy event handlers need, kept on the request object under a symbol. */
interface ProxyState {
  projectId: string;
  appPort: number | undefined;
  /** `''` on workspace hosts, `/w/<id>` on path seats. */
  base: string;
  workspaceName: string;
  /** The current upstream request went out on a pooled (reused) socket. */
  reusedSocket: boolean;
  /** The request was already retried once after a stale pooled socket. */
  retried: boolean;
  /** WebSocket only: the upstream answered 101 and the two sockets are piped. */
  upgraded: boolean;
}
const STATE = Symbol('xares.workspaceRouter.state');
type StatefulRequest = http.IncomingMessage & { [STATE]?: ProxyState };

interface ProxyCallOptions {
  target: { protocol: 'http:'; host: string; hostname: string; port: number };
  headers?: Readonly<Record<string, string>>;
  agent?: false;
  /** http-proxy neither writes the head nor pipes the body; our 'proxyRes' listener does. */
  selfHandleResponse?: true;
}

/** Builds the router. Creates one http-proxy instance and one keep-alive agent; no sockets until used. */
export function createWorkspaceRouter(opts: WorkspaceRouterOptions): WorkspaceRouter {
  const baseDomain = normalizeBaseDomain(opts.baseDomain);
  const routeTable = opts.routeTable;
  const log = opts.logger.child({ component: 'workspace-router' });
  const agent = createUpstreamAgent();
  // toProxy: http-proxy then forwards req.url verbatim instead of re-serialising it through the legacy
  // url.parse (which turns `\` into `/` and costs time per request); we only accept origin-form targets.
  const proxy = httpProxy.createProxyServer({ agent, xfwd: false, changeOrigin: false, ws: true, toProxy: true });
  const gate: WorkspaceGate | null = opts.gate === undefined ? null : 'hasSession' in opts.gate ? opts.gate : createWorkspaceGate(opts.gate);
  const isParticipantHost = opts.isParticipantHost ?? (() => false);
  // With a loopback-only base domain (`localhost`), workspace hosts are for this machine's browsers only; a
  // non-loopback peer sending `Host: <id>.localhost` crafted it (see LOCAL_ONLY_PAGE).
  const localOnlyHosts = baseDomain === 'localhost' || baseDomain.endsWith('.localhost');
  const hostCache = new Map<string, HostClass | null>();
  const webOptionsByPort = new Map<number, ProxyCallOptions>();
  const appWebOptionsByPort = new Map<number, ProxyCallOptions>();
  const wsOptionsByPort = new Map<number, ProxyCallOptions>();
  /** Both ends of every proxied WebSocket (and of upgrades in flight), for close(). */
  const openSockets = new Set<stream.Duplex>();
  /** Client connections and WebSocket ends per workspace (for disconnect()), and the reverse, for clean-up. */
  const socketsByProject = new Map<string, Set<stream.Duplex>>();
  const projectsOfSocket = new WeakMap<stream.Duplex, Set<string>>();
  let closed = false;

  /** Remembers that `socket` carries traffic of `projectId` until it closes. One 'close' listener per socket. */
  function bind(projectId: string, socket: stream.Duplex): void {
    // Already gone: its 'close' may have fired, so it would never leave the map.
    if (socket.destroyed) return;
    let projects = projectsOfSocket.get(socket);
    if (projects === undefined) {
      projects = new Set();
      projectsOfSocket.set(socket, projects);
      socket.once('close', unbindOnClose);
    } else if (projects.has(projectId)) {
      return;
    }
    projects.add(projectId);
    let sockets = socketsByProject.get(projectId);
    if (sockets === undefined) {
      sockets = new Set();
      socketsByProject.set(projectId, sockets);
    }
    sockets.add(socket);
  }
  function unbindOnClose(this: stream.Duplex): void {
    const projects = projectsOfSocket.get(this);
    if (projects === undefined) return;
    projectsOfSocket.delete(this);
    for (const projectId of projects) {
      const sockets = socketsByProject.get(projectId);
      if (sockets === undefined) continue;
      sockets.delete(this);
      if (sockets.size === 0) socketsByProject.delete(projectId);
    }
  }

  function classify(host: string | undefined): HostClass | null {
    if (host === undefined) return null;
    let result = hostCache.get(host);
    if (result === undefined) {
      result = classifyHost(host, baseDomain);
      if (hostCache.size >= HOST_CACHE_LIMIT) hostCache.clear();
      hostCache.set(host, result);
    }
    return result;
  }

  function target(port: number) {
    return { protocol: 'http:' as const, host: '127.0.0.1', hostname: '127.0.0.1', port };
  }
  function webOptions(port: number): ProxyCallOptions {
    let options = webOptionsByPort.get(port);
    if (options === undefined) {
      options = { target: target(port), headers: UPSTREAM_KEEP_ALIVE };
      webOptionsByPort.set(port, options);
    }
    return options;
  }
  // App hosts: we write the upstream response ourselves ('proxyRes' → forwardAppResponse), to catch
  // code-server's port-proxy error before it reaches the browser.
  function appWebOptions(port: number): ProxyCallOptions {
    let options = appWebOptionsByPort.get(port);
    if (options === undefined) {
      options = { target: target(port), headers: UPSTREAM_KEEP_ALIVE, selfHandleResponse: true };
      appWebOptionsByPort.set(port, options);
    }
    return options;
  }
  // Each WebSocket gets a fresh upstream connection (agent: false): an upgraded socket leaves the pool
  // anyway, and a pooled socket the upstream has meanwhile closed would fail the first WebSocket.
  function wsOptions(port: number): ProxyCallOptions {
    let options = wsOptionsByPort.get(port);
    if (options === undefined) {
      options = { target: target(port), agent: false };
      wsOptionsByPort.set(port, options);
    }
    return options;
  }

  // --- proxy events -------------------------------------------------------------------------------------

  proxy.on('proxyReq', (proxyReq, req, res) => {
    const state = (req as StatefulRequest)[STATE];
    if (state !== undefined) state.reusedSocket = proxyReq.reusedSocket;
    // The client went away before the response finished: release the upstream request too (http-proxy
    // only does so while the request body is still arriving). One shared listener, no closure per request.
    const response = res as ResponseWithUpstream;
    if (response[UPSTREAM_REQUEST] === undefined) response.on('close', releaseUpstreamOnClientClose);
    response[UPSTREAM_REQUEST] = proxyReq;
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    // The upstream died mid-response: http-proxy's pipe would leave the client waiting forever; cut the
    // client connection so it sees a truncated response.
    (proxyRes as UpstreamResponseWithClient)[CLIENT_RESPONSE] = res;
    proxyRes.on('close', cutClientOnIncompleteUpstream);
    const headers = proxyRes.headers;
    const cookies = headers['set-cookie'];
    const state = (req as StatefulRequest)[STATE];
    const base = state?.base ?? '';
    if (cookies !== undefined) headers['set-cookie'] = base === '' ? cookies.map(stripCookieDomain) : cookies.map((cookie) => moveCookiePath(stripCookieDomain(cookie), base));
    if (base !== '' && headers.location !== undefined) headers.location = prefixLocation(headers.location, base);
    const appPort = state?.appPort;
    if (appPort !== undefined) {
      if (headers.location !== undefined) headers.location = stripPortProxyPrefix(headers.location, appPort);
      forwardAppResponse(proxyRes, req, res, appPort);
    }
  });

  proxy.on('proxyReqWs', (proxyReq, req, socket) => {
    const state = (req as StatefulRequest)[STATE];
    // Client gone (before or after the upgrade): drop the upstream side.
    socket.once('close', () => proxyReq.destroy());
    proxyReq.on('upgrade', (_proxyRes, proxySocket) => {
      if (state !== undefined) state.upgraded = true;
      if (closed || socket.destroyed) {
        proxySocket.destroy();
        return;
      }
      openSockets.add(proxySocket);
      if (state !== undefined) bind(state.projectId, proxySocket);
      proxySocket.once('close', () => {
        openSockets.delete(proxySocket);
        socket.destroy();
      });
    });
  });

  // Safety net: every proxy call passes its own callback, so this only fires on an http-proxy path we
  // did not foresee; an 'error' event without listener would crash the process.
  proxy.on('error', (err) => log.warn({ err: errorSummary(err) }, 'workspace proxy error'));

  // --- error handling -----------------------------------------------------------------------------------

  function onWebError(err: Error, req: http.IncomingMessage, res: http.ServerResponse | stream.Duplex): void {
    const response = res as http.ServerResponse;
    const state = (req as StatefulRequest)[STATE];
    if (response.headersSent || response.destroyed || response.writableEnded) {
      // Failed mid-response: cut the client connection so it sees a truncated response, not a complete one.
      response.destroy();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (state !== undefined && !state.retried && !closed && state.reusedSocket && code === 'ECONNRESET' && isBodyless(req)) {
      // A pooled socket the upstream had closed just before we reused it: safe to send once more.
      state.retried = true;
      state.reusedSocket = false;
      const again = safeResolve(state.projectId);
      if (again?.kind === 'running') {
        proxyWeb(req, response, again.port);
        return;
      }
    }
    log.warn({ projectId: state?.projectId, appPort: state?.appPort, err: errorSummary(err) }, 'workspace did not answer');
    sendStatusPage(req, response, upstreamFailedPage(state));
  }

  function onWsError(err: Error, req: http.IncomingMessage, socket: http.ServerResponse | stream.Duplex): void {
    const state = (req as StatefulRequest)[STATE];
    const duplex = socket as stream.Duplex;
    if (state?.upgraded) {
      duplex.destroy();
      return;
    }
    log.warn({ projectId: state?.projectId, appPort: state?.appPort, err: errorSummary(err) }, 'workspace refused a WebSocket');
    writeSocketStatus(duplex, upstreamFailedPage(state));
  }

  // --- routing --------------------------------------------------------------------------------------------

  /** The route table's answer, or null when it threw (logged; the caller answers with a page). */
  function safeResolve(projectId: string): RouteTarget | null {
    try {
      return routeTable.resolve(projectId);
    } catch (err) {
      log.error({ projectId, err: errorSummary(err) }, 'route table failed');
      return null;
    }
  }

  function proxyWeb(req: http.IncomingMessage, res: http.ServerResponse, port: number): void {
    try {
      const appPort = (req as StatefulRequest)[STATE]?.appPort;
      proxy.web(req, res, appPort === undefined ? webOptions(port) : appWebOptions(port), onWebError);
    } catch (err) {
      // Node refused to build the upstream request (e.g. a header it will not send): the client's fault.
      log.warn({ err: errorSummary(err) }, 'request could not be forwarded');
      sendStatusPage(req, res, BAD_REQUEST_PAGE);
    }
  }

  /** Resolves the route, or the page to answer with instead. */
  function route(hostClass: HostClass | PathSeat): { target: Extract<RouteTarget, { kind: 'running' }>; state: ProxyState } | StatusPage {
    if (closed) return SHUTTING_DOWN_PAGE;
    if (hostClass.kind === 'foreign-subdomain') return NO_WORKSPACE_PAGE;
    const { projectId, appPort } = hostClass.host;
    const base = hostClass.kind === 'path-seat' ? seatPathPrefix(projectId) : '';
    const resolved = safeResolve(projectId);
    if (resolved === null) return ROUTE_FAILED_PAGE;
    switch (resolved.kind) {
      case 'running':
        return {
          target: resolved,
          state: { projectId, appPort, base, workspaceName: resolved.name, reusedSocket: false, retried: false, upgraded: false },
        };
      case 'not-running':
        return notRunningPage(resolved);
      case 'unknown':
        return unknownWorkspacePage(projectId);
    }
  }

  /** Rewrites the request in place for the upstream: app-port path prefix and forwarding headers. */
  function prepareRequest(req: http.IncomingMessage, state: ProxyState, websocket: boolean): boolean {
    const url = req.url;
    // Only origin-form targets (`/path?query`); absolute-form or `*` have no business on a workspace host.
    if (url === undefined || url.charCodeAt(0) !== 47 /* / */) return false;
    if (state.appPort !== undefined) req.url = `/proxy/${state.appPort}${url}`;
    const headers = req.headers;
    const socket = req.socket;
    const encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    headers['x-forwarded-for'] = socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = encrypted ? 'https' : 'http';
    headers['x-forwarded-host'] = headers.host ?? '';
    headers['x-forwarded-port'] = hostPort(headers.host) ?? String(socket.localPort ?? (encrypted ? 443 : 80));
    if (headers.forwarded !== undefined) delete headers.forwarded;
    if (!websocket) {
      if (headers['proxy-connection'] !== undefined) delete headers['proxy-connection'];
      if (headers['keep-alive'] !== undefined) delete headers['keep-alive'];
    }
    (req as StatefulRequest)[STATE] = state;
    return true;
  }

  /**
   * Path seat of a request on a participant host: `/w/<id>/<rest>` → the seat with `req.url` rewritten to
   * `/<rest>`; `/w/<id>` (no slash) → a redirect to `/w/<id>/`; any other `/w/…` → a seat that resolves to
   * the 404 page. Null when the host is not a participant host or the path is not under `/w/`.
   */
  function pathSeat(req: http.IncomingMessage): PathSeat | { kind: 'foreign-subdomain' } | { kind: 'redirect'; location: string } | null {
    const url = req.url;
    if (url === undefined || !url.startsWith('/w/') || !isParticipantHost(req.headers.host)) return null;
    const end = url.slice(3).search(/[/?#]/);
    const idText = end === -1 ? url.slice(3) : url.slice(3, 3 + end);
    if (!ProjectId.safeParse(idText).success) return { kind: 'foreign-subdomain' };
    const prefix = seatPathPrefix(idText);
    const rest = url.slice(prefix.length);
    if (rest === '' || rest.charCodeAt(0) === 63 /* ? */) return { kind: 'redirect', location: `${prefix}/${rest}` };
    if (rest.charCodeAt(0) !== 47 /* / */) return { kind: 'foreign-subdomain' };
    req.url = rest;
    return { kind: 'path-seat', host: { projectId: idText } };
  }

  return {
    gate,

    handleRequest(req, res) {
      let hostClass: HostClass | PathSeat | null = classify(req.headers.host);
      if (hostClass === null) {
        const seat = pathSeat(req);
        if (seat === null) return false;
        if (seat.kind === 'redirect') {
          if (!res.headersSent) {
            res.writeHead(301, { location: seat.location, 'cache-control': 'no-store', 'content-length': 0 });
            res.end();
          }
          return true;
        }
        hostClass = seat;
      } else if (localOnlyHosts && !isLoopbackAddress(req.socket.remoteAddress)) {
        sendStatusPage(req, res, LOCAL_ONLY_PAGE);
        return true;
      }
      const routed = route(hostClass);
      if (!('target' in routed)) {
        sendStatusPage(req, res, routed);
        return true;
      }
      const keys = gateKeys(routed.target);
      const gated = keys.passwordHash !== undefined || keys.claimKey !== undefined;
      if (!gated && routed.state.base !== '') {
        sendStatusPage(req, res, NOT_SHARED_PAGE);
        return true;
      }
      if (gate !== null && gate.isEnterPath(req.url)) {
        gate.handleEnter(req, res, gateRoute(routed.state, keys));
        return true;
      }
      if (gated) {
        if (gate === null) {
          sendStatusPage(req, res, GATE_UNAVAILABLE_PAGE);
          return true;
        }
        if (gate.isLoginPath(req.url)) {
          gate.handleLogin(req, res, gateRoute(routed.state, keys));
          return true;
        }
        if (!gate.hasSession(req, routed.state.projectId, keys)) {
          gate.sendLoginPage(req, res, gateRoute(routed.state, keys));
          return true;
        }
      }
      setUpstreamCookie(req, keys.passwordHash);
      if (!prepareRequest(req, routed.state, false)) {
        sendStatusPage(req, res, BAD_REQUEST_PAGE);
        return true;
      }
      // Defend long responses (streams, long polls) against a server-wide socket timeout.
      if (req.socket.timeout) req.socket.setTimeout(0);
      bind(routed.state.projectId, req.socket);
      proxyWeb(req, res, routed.target.port);
      return true;
    },

    handleUpgrade(req, socket, head) {
      let hostClass: HostClass | PathSeat | null = classify(req.headers.host);
      if (hostClass === null) {
        const seat = pathSeat(req);
        if (seat === null) return false;
        socket.on('error', ignoreSocketError);
        if (seat.kind === 'redirect') {
          writeSocketStatus(socket, NO_WORKSPACE_PAGE);
          return true;
        }
        hostClass = seat;
      }
      // Node's server removed its own error listener when it handed the socket over: without ours, a
      // client reset would be an unhandled 'error' event.
      socket.on('error', ignoreSocketError);
      if (hostClass.kind !== 'path-seat' && localOnlyHosts && !isLoopbackAddress(req.socket.remoteAddress)) {
        writeSocketStatus(socket, LOCAL_ONLY_PAGE);
        return true;
      }
      const routed = route(hostClass);
      if (!('target' in routed)) {
        writeSocketStatus(socket, routed);
        return true;
      }
      const keys = gateKeys(routed.target);
      if (keys.passwordHash === undefined && keys.claimKey === undefined && routed.state.base !== '') {
        writeSocketStatus(socket, NOT_SHARED_PAGE);
        return true;
      }
      if (keys.passwordHash !== undefined || keys.claimKey !== undefined) {
        // No login form over a WebSocket: without a valid session the upgrade is refused with 401.
        if (gate === null || !gate.hasSession(req, routed.state.projectId, keys)) {
          writeSocketStatus(socket, gate === null ? GATE_UNAVAILABLE_PAGE : SIGN_IN_REQUIRED_PAGE);
          return true;
        }
      }
      setUpstreamCookie(req, keys.passwordHash);
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET' || !prepareRequest(req, routed.state, true)) {
        writeSocketStatus(socket, BAD_REQUEST_PAGE);
        return true;
      }
      openSockets.add(socket);
      socket.once('close', () => openSockets.delete(socket));
      bind(routed.state.projectId, socket);
      try {
        proxy.ws(req, socket, head, wsOptions(routed.target.port), onWsError);
      } catch (err) {
        log.warn({ err: errorSummary(err) }, 'WebSocket could not be forwarded');
        writeSocketStatus(socket, BAD_REQUEST_PAGE);
      }
      return true;
    },

    disconnect(projectId) {
      const sockets = socketsByProject.get(projectId);
      if (sockets === undefined) return 0;
      socketsByProject.delete(projectId);
      const count = sockets.size;
      // Copy first: each destroy() runs the 'close' clean-up later, but a pipe may destroy the other end at once.
      for (const socket of [...sockets]) socket.destroy();
      log.info({ projectId, sockets: count }, 'workspace connections ended');
      return count;
    },

    close() {
      if (closed) return;
      closed = true;
      for (const socket of openSockets) socket.destroy();
      openSockets.clear();
      agent.destroy();
      proxy.close();
    },
  };
}

// --- helpers --------------------------------------------------------------------------------------------

/** One of http-proxy's outgoing passes (status, headers, connection handling of the client response). */
type OutgoingPass = (req: http.IncomingMessage, res: http.ServerResponse, proxyRes: http.IncomingMessage, options: object) => boolean | void;
/**
 * http-proxy 1.18.1's own passes (`lib/http-proxy/passes/web-outgoing.js`), run in its order, so responses we
 * forward ourselves (app hosts, `selfHandleResponse`) get exactly the head http-proxy would have written.
 */
const WEB_OUTGOING_PASSES: OutgoingPass[] = Object.values(
  createRequire(import.meta.url)('http-proxy/lib/http-proxy/passes/web-outgoing.js') as Record<string, OutgoingPass>,
);
/** Options seen by the passes: none of ours affect them (no cookie/host rewriting, no header case keeping). */
const PASS_OPTIONS = Object.freeze({});

function writeUpstreamHead(req: http.IncomingMessage, res: http.ServerResponse, proxyRes: http.IncomingMessage): void {
  for (const pass of WEB_OUTGOING_PASSES) if (pass(req, res, proxyRes, PASS_OPTIONS)) break;
}

/** Longest body of a suspected port-proxy error we hold back (code-server's message is about 40 bytes). */
const PORT_PROXY_ERROR_MAX_BYTES = 256;
/**
 * code-server 4.100.3 `out/node/proxy.js`: when its port proxy cannot connect, it answers `writeHead(500)`
 * (no other headers) and `end(error.message)`; its target is `http://0.0.0.0:<port>`
 * (`out/node/routes/pathProxy.js`), so nothing listening gives Node's `connect ECONNREFUSED 0.0.0.0:<port>`.
 */
const PORT_PROXY_REFUSED = /^connect ECONNREFUSED [0-9A-Fa-f.:[\]]+:(\d+)$/;

/** True when a response might be code-server's port-proxy error: 500, no Content-Type, small or unsized body. */
function mayBePortProxyError(proxyRes: http.IncomingMessage): boolean {
  if (proxyRes.statusCode !== 500 || proxyRes.headers['content-type'] !== undefined) return false;
  const length = proxyRes.headers['content-length'];
  return length === undefined || Number(length) <= PORT_PROXY_ERROR_MAX_BYTES;
}

/**
 * True when a complete upstream response is code-server's "nothing listens on `appPort`" error: status 500,
 * no Content-Type, body exactly `connect ECONNREFUSED <address>:<appPort>`. An app's own 500 (with a content
 * type, or any other body) is not.
 */
export function isPortProxyRefusal(statusCode: number | undefined, headers: http.IncomingHttpHeaders, body: string, appPort: number): boolean {
  if (statusCode !== 500 || headers['content-type'] !== undefined) return false;
  const match = PORT_PROXY_REFUSED.exec(body);
  return match !== null && Number(match[1]) === appPort;
}

/**
 * Forwards an app host's upstream response (http-proxy's `selfHandleResponse`): streams it like http-proxy
 * would, except that a possible port-proxy error is read first (at most {@link PORT_PROXY_ERROR_MAX_BYTES})
 * and, when it is one, answered with our 502 page instead.
 */
function forwardAppResponse(proxyRes: http.IncomingMessage, req: http.IncomingMessage, res: http.ServerResponse, appPort: number): void {
  if (!mayBePortProxyError(proxyRes)) {
    writeUpstreamHead(req, res, proxyRes);
    proxyRes.pipe(res);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    if (size <= PORT_PROXY_ERROR_MAX_BYTES) return;
    // Too long for code-server's message: the app's own 500. Stream on from here.
    proxyRes.off('data', onData);
    proxyRes.off('end', onEnd);
    proxyRes.pause();
    writeUpstreamHead(req, res, proxyRes);
    res.write(Buffer.concat(chunks));
    proxyRes.pipe(res);
  };
  const onEnd = (): void => {
    const body = Buffer.concat(chunks);
    if (isPortProxyRefusal(proxyRes.statusCode, proxyRes.headers, body.toString('utf8'), appPort)) {
      sendStatusPage(req, res, appPortNotListeningPage(appPort));
      return;
    }
    writeUpstreamHead(req, res, proxyRes);
    res.end(body);
  };
  proxyRes.on('data', onData);
  proxyRes.on('end', onEnd);
}

const UPSTREAM_REQUEST = Symbol('xares.workspaceRouter.upstreamRequest');
const CLIENT_RESPONSE = Symbol('xares.workspaceRouter.clientResponse');
type ResponseWithUpstream = http.ServerResponse & { [UPSTREAM_REQUEST]?: http.ClientRequest };
type UpstreamResponseWithClient = http.IncomingMessage & { [CLIENT_RESPONSE]?: http.ServerResponse };

/** 'close' listener of a client response: destroys the upstream request when the response did not finish. */
function releaseUpstreamOnClientClose(this: ResponseWithUpstream): void {
  if (!this.writableFinished) this[UPSTREAM_REQUEST]?.destroy();
}

/** 'close' listener of an upstream response: cuts the client connection when the upstream one broke off. */
function cutClientOnIncompleteUpstream(this: UpstreamResponseWithClient): void {
  if (!this.complete) this[CLIENT_RESPONSE]?.destroy();
}

/**
 * Replaces the request's cookies for the upstream: our own cookies (`xares_*`: gate sessions, the participant
 * cookie) and any client-sent code-server session go; for a password-protected workspace code-server's
 * session for the current hash comes in (code-server accepts the hash itself as session, see
 * server/services/code-server-auth.ts). The workspace never sees a cookie of ours.
 */
function setUpstreamCookie(req: http.IncomingMessage, passwordHash: string | undefined): void {
  const header = req.headers.cookie;
  if (header === undefined && passwordHash === undefined) return;
  const cookie = upstreamCookieHeader(header, passwordHash === undefined ? undefined : `${CODE_SERVER_SESSION_COOKIE}=${passwordHash}`);
  if (cookie === undefined) delete req.headers.cookie;
  else req.headers.cookie = cookie;
}

/** A workspace reached by path on a participant host (`/w/<id>/…`). */
interface PathSeat {
  kind: 'path-seat';
  host: { projectId: string; appPort?: undefined };
}

function gateKeys(target: Extract<RouteTarget, { kind: 'running' }>): GateKeys {
  return { passwordHash: target.passwordHash, claimKey: target.claimKey };
}

function gateRoute(state: ProxyState, keys: GateKeys): GateRoute {
  return { projectId: state.projectId, workspaceName: state.workspaceName, base: state.base, keys };
}

const COOKIE_PATH_ATTRIBUTE = /;\s*path\s*=([^;]*)/gi;

/**
 * Moves a path seat's `Set-Cookie` under its prefix: `Path=/` → `Path=<base>/`, `Path=/x` → `Path=<base>/x`,
 * no (or a relative) Path → `Path=<base>/`. Every Path attribute is removed and one is appended (browsers use
 * the last one), so a workspace's cookies never reach the join page or another seat's path.
 */
export function moveCookiePath(setCookie: string, base: string): string {
  let last: string | undefined;
  const without = setCookie.replace(COOKIE_PATH_ATTRIBUTE, (_match, value: string) => {
    last = value.trim();
    return '';
  });
  const path = last !== undefined && last.startsWith('/') ? `${base}${last}` : `${base}/`;
  return `${without}; Path=${path}`;
}

/** Redirects from a path seat's upstream: absolute paths (`/x`, not `//x`) get the seat prefix back. */
export function prefixLocation(location: string, base: string): string {
  if (location.charCodeAt(0) !== 47 /* / */ || location.charCodeAt(1) === 47 || location.charCodeAt(1) === 92) return location;
  if (location === base || location.startsWith(`${base}/`)) return location;
  return `${base}${location}`;
}

/** code-server's session cookie (code-server 4.100.3 `CookieKeys.Session`). */
const CODE_SERVER_SESSION_COOKIE = 'code-server-session';

function ignoreSocketError(): void {
  // Client sockets fail for ordinary reasons (reset, tab closed); the 'close' that follows cleans up.
}

/** Port part of a Host header (`name:8080` → `8080`), or undefined. */
function hostPort(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.indexOf(']', colon) !== -1) return undefined;
  return host.slice(colon + 1);
}

function isBodyless(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return RETRYABLE_METHODS.has(req.method ?? '') && (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}

const COOKIE_DOMAIN_ATTRIBUTE = /;\s*domain\s*=[^;]*/gi;

/**
 * Removes every `Domain` attribute from one `Set-Cookie` value, making the cookie host-only. All of them,
 * because browsers honour the last one (RFC 6265 §5.3 step 6 uses the last Domain attribute); http-proxy's
 * `cookieDomainRewrite` only rewrites the first.
 */
export function stripCookieDomain(setCookie: string): string {
  return setCookie.replace(COOKIE_DOMAIN_ATTRIBUTE, '');
}

/**
 * code-server's `/proxy/<port>/` prefixes redirects from the app with `/proxy/<port>`; on the app's own
 * host that prefix must go again (`/proxy/5000/login` → `/login`). Other locations are returned unchanged.
 */
export function stripPortProxyPrefix(location: string, appPort: number): string {
  const prefix = `/proxy/${appPort}`;
  if (!location.startsWith(prefix)) return location;
  const rest = location.slice(prefix.length);
  if (rest === '') return '/';
  const next = rest.charCodeAt(0);
  if (next === 47 /* / */) return rest;
  if (next === 63 /* ? */ || next === 35 /* # */) return `/${rest}`;
  return location;
}

function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? { message: err.message } : { code, message: err.message };
  }
  return { message: String(err) };
}

// --- pages ----------------------------------------------------------------------------------------------

const NO_WORKSPACE_PAGE: StatusPage = {
  status: 404,
  title: 'No workspace here',
  message: 'This address does not name a workspace. Check the link you were given.',
};
const BAD_REQUEST_PAGE: StatusPage = { status: 400, title: 'Bad request', message: 'This request cannot be sent to a workspace.' };
const SHUTTING_DOWN_PAGE: StatusPage = { status: 503, title: 'Server is stopping', message: 'The Xares server is shutting down. Try again when it is back.', refreshSeconds: 10 };
const GATE_UNAVAILABLE_PAGE: StatusPage = { status: 503, title: 'Workspace unavailable', message: 'This workspace is password-protected and its sign-in is not available on this server.' };
const SIGN_IN_REQUIRED_PAGE: StatusPage = { status: 401, title: 'Sign-in required', message: 'This workspace is password-protected. Open it in the browser and sign in first.' };
/**
 * Path seats of workspaces that are neither claimed nor password-protected are not served on participant
 * hosts: every page on a participant origin then belongs to a seat the browser has a session for, so a page
 * from one seat cannot run in another participant's browser and use that browser's seat cookie (all path seats
 * of a host share one origin). Unclaimed, open workspaces stay reachable on the host computer.
 */
const NOT_SHARED_PAGE: StatusPage = {
  status: 403,
  title: 'Not open to the network',
  message: 'This workspace is not a claimed seat and has no password, so it is not served to other computers. Claim a seat on the join page, or ask your workshop leader for a password.',
};
/**
 * Workspace hosts under a loopback-only base domain (`<id>.localhost`) requested by a peer on another machine:
 * browsers resolve those names to their own machine, so the request was crafted to reach a workspace (an
 * unclaimed, open one above all) past the path-seat rules. Other computers use path seats.
 */
const LOCAL_ONLY_PAGE: StatusPage = {
  status: 403,
  title: 'Only on the host computer',
  message: 'Workspace addresses under localhost only work on the host computer. From another computer, use the link from the join page.',
};
const ROUTE_FAILED_PAGE: StatusPage = { status: 503, title: 'Workspace unavailable', message: 'The server could not look up this workspace. Try again in a moment.', refreshSeconds: 10 };

function unknownWorkspacePage(projectId: string): StatusPage {
  return {
    status: 404,
    title: 'Workspace not found',
    message: `There is no workspace with the id "${projectId}". It may have been deleted; ask your workshop leader for the current link.`,
  };
}

/** 503 pages for workspaces that exist but are not running (creating: reloads by itself until ready). */
function notRunningPage(target: Extract<RouteTarget, { kind: 'not-running' }>): StatusPage {
  switch (target.status) {
    case 'creating':
      return {
        status: 503,
        title: 'Workspace is starting',
        message: `The workspace "${target.name}" is being prepared. This page opens it as soon as it is ready.`,
        refreshSeconds: 3,
      };
    case 'stopped':
      return {
        status: 503,
        title: 'Workspace is stopped',
        message: `The workspace "${target.name}" is stopped. Start it from the dashboard, then reload this page.`,
      };
    case 'error':
      return {
        status: 503,
        title: 'Workspace has a problem',
        message: `The workspace "${target.name}" could not be started.`,
        detail: target.reason ?? 'No reason was recorded.',
      };
  }
}

function upstreamFailedPage(state: ProxyState | undefined): StatusPage {
  if (state?.appPort !== undefined) {
    return {
      status: 502,
      title: 'App not reachable',
      message: `Nothing answered for port ${state.appPort} in the workspace "${state.workspaceName}". Start the app, then reload.`,
    };
  }
  return {
    status: 502,
    title: 'Workspace is not answering',
    message: `The workspace "${state?.workspaceName ?? ''}" is running but its editor did not answer. It may still be starting; this page retries by itself.`,
    refreshSeconds: 5,
  };
}
