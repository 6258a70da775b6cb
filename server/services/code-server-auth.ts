import { CODE_SERVER_PORT, type WorkspaceRuntime } from '../runtime/workspace-runtime.js';
import { packEntries, ROOT_OWNER } from './templates.js';

/**
 * Folder and file of the code-server configuration we write into every workspace container (issue #3
 * "Passwords", defence in depth on the direct 127.0.0.1 port). Owned by root and read-only for the workspace
 * user (uid 1000 can read it, as code-server must, but cannot change it), outside `/home/coder` and `/workspace`.
 */
export const CODE_SERVER_CONFIG_DIR = '/etc/xares';
export const CODE_SERVER_CONFIG_FILE = 'code-server.yaml';
export const CODE_SERVER_CONFIG_PATH = `${CODE_SERVER_CONFIG_DIR}/${CODE_SERVER_CONFIG_FILE}`;

/**
 * Name of code-server's session cookie (code-server 4.100.3 `out/common/http.js`, `CookieKeys.Session`). With
 * `hashed-password` set to an argon2 hash, code-server accepts a request when this cookie equals that hash
 * (`out/node/util.js` `isCookieValid`, method `ARGON2`: `safeCompare(cookieKey, hashedPasswordFromArgs)`).
 * The router adds it upstream for requests that passed our own gate; clients never see it.
 */
export const CODE_SERVER_SESSION_COOKIE = 'code-server-session';

/** File with the workspace's proxy variables (`KEY=value` lines), sourced before code-server starts. */
const PROXY_ENV_FILE = '/etc/xares/proxy.env';

/**
 * Container command of a workspace: a small supervising shell loop around code-server, so that code-server can
 * be restarted inside the same container (files, processes of the terminal aside, stay) when its password
 * changes: SIGHUP to the container (tini forwards it to this shell) ends code-server and the loop starts it
 * again with the new configuration. SIGTERM/SIGINT (docker stop) end code-server and the loop.
 * The command holds no secret: authentication lives in {@link CODE_SERVER_CONFIG_PATH}.
 * A crashing code-server is restarted after half a second (no busy loop).
 */
export function workspaceCommand(): string[] {
  const codeServer = [
    '/usr/local/bin/code-server',
    '--config',
    CODE_SERVER_CONFIG_PATH,
    '--bind-addr',
    `0.0.0.0:${CODE_SERVER_PORT}`,
    '--disable-telemetry',
    '--disable-update-check',
    '/workspace',
  ].join(' ');
  const script = [
    'child=',
    `trap 'kill -TERM "$child" 2>/dev/null' HUP`,
    `trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT`,
    'while :; do',
    // The proxy settings of the workspace's mode (issue #5), written by the app before every start.
    `  if [ -r ${PROXY_ENV_FILE} ]; then set -a; . ${PROXY_ENV_FILE}; set +a; fi`,
    `  ${codeServer} &`,
    '  child=$!',
    '  while kill -0 "$child" 2>/dev/null; do wait "$child"; done',
    '  sleep 0.5',
    'done',
  ].join('\n');
  return ['/bin/sh', '-c', script];
}

/**
 * The YAML of code-server's configuration: `auth: none` for an open workspace, or `auth: password` with the
 * workspace's argon2id hash as `hashed-password` (code-server verifies its own login form with argon2 against
 * it). The hash is a PHC string (`$argon2id$v=19$m=…$salt$hash`): only `[A-Za-z0-9$=,+/.-]`, checked here
 * before it is written, and written JSON-quoted (valid YAML).
 * @throws Error for a hash that is not a plain argon2 PHC string.
 */
export function codeServerConfigYaml(passwordHash: string | null): string {
  if (passwordHash === null) return 'auth: none\n';
  if (!/^\$argon2(id|i|d)\$[A-Za-z0-9$=,+/.-]+$/.test(passwordHash)) throw new Error('Refusing to write a password hash that is not an argon2 PHC string');
  return `auth: password\nhashed-password: ${JSON.stringify(passwordHash)}\n`;
}

/**
 * Writes code-server's configuration into the container (created, running or stopped) with the engine's
 * archive upload: never through the environment, labels or command. Root-owned, mode 0644 (code-server runs
 * as uid 1000 and must read it; the participant may read their own workspace's hash, which only opens their
 * own workspace).
 * @throws ContainerNotFoundError / RuntimeUnavailableError from the runtime.
 */
export async function writeCodeServerConfig(runtime: WorkspaceRuntime, projectId: string, passwordHash: string | null): Promise<void> {
  const archive = await packRootOwned(Buffer.from(codeServerConfigYaml(passwordHash), 'utf8'));
  await runtime.putArchive(projectId, '/etc', archive);
}

/** Tar of `xares/` (0755) and `xares/code-server.yaml` (0644), both root-owned, for extraction at `/etc`. */
function packRootOwned(content: Buffer): Promise<Buffer> {
  return packEntries(
    [
      { name: 'xares', type: 'directory', mode: 0o755, content: Buffer.alloc(0) },
      { name: `xares/${CODE_SERVER_CONFIG_FILE}`, type: 'file', mode: 0o644, content },
    ],
    new Date(),
    ROOT_OWNER,
  );
}
