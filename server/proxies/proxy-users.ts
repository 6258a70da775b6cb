/**
 * Per-workspace proxy credentials (issue #5). The proxies attribute traffic by the user of HTTP proxy
 * authentication (squid `basic_ncsa_auth`, our mitmproxy addon), never by a workspace's address, which is
 * reused: user = project id, secret = 32 random bytes (hex), known only to that workspace's container.
 * Both proxies read the same htpasswd file (`PROXY_USERS_FILE`) with `$apr1$` (Apache MD5) hashes, the format
 * both understand; the secret's entropy, not the hash, is what protects it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

// apache-md5 is CommonJS (`module.exports = fn`); its typings declare an ES default export.
const md5 = createRequire(import.meta.url)('apache-md5') as (password: string, salt?: string) => string;

/** A fresh proxy secret: 64 lower-case hex digits (256 bits). */
export function newProxySecret(): string {
  return randomBytes(32).toString('hex');
}

const USER = /^[a-z0-9]{12}$/;
const SECRET = /^[0-9a-f]{64}$/;

/**
 * The htpasswd text for `users` (`<id>:$apr1$<salt>$<hash>` per line, sorted by id).
 * @throws Error for a user that is not a project id or a secret that is not ours (nothing else may reach the file).
 */
export function renderHtpasswd(users: ReadonlyArray<{ user: string; secret: string }>): string {
  const lines = [...users]
    .sort((a, b) => a.user.localeCompare(b.user))
    .map(({ user, secret }) => {
      if (!USER.test(user)) throw new Error(`Not a proxy user name: ${JSON.stringify(user)}`);
      if (!SECRET.test(secret)) throw new Error(`Malformed proxy secret for ${user}`);
      return `${user}:${md5(secret)}`;
    });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * The proxy URL a workspace uses: `http://<user>:<secret>@xares-proxy:<port>` (both parts are URL-safe).
 * @throws Error for a malformed user or secret.
 */
export function proxyUrl(user: string, secret: string, host: string, port: number): string {
  if (!USER.test(user) || !SECRET.test(secret)) throw new Error('Malformed proxy credential');
  return `http://${user}:${secret}@${host}:${port}`;
}
