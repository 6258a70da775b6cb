/**
 * The proxy images of the network control feature (issue 5), built from `resources/images/<name>/` like the
 * workspace image: cached by the tag in that folder's `image.json`, labelled `xares.managed=true` with the
 * context hash, FROM the same Debian base (`chooseBaseImage`), trusting the host's extra CA certificates.
 *
 * Squid (`resources/images/squid/`): whitelist-only forward proxy on `SQUID_PORT`; the app writes the ACL
 * file `SQUID_WHITELIST_FILE` (it must define the dstdomain ACL `SQUID_WHITELIST_ACL`) and applies it with
 * `SQUID_RECONFIGURE_COMMAND` (docker exec); the access log is `SQUID_ACCESS_LOG` in squid's native format.
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureWorkspaceImage, readImageSpec, type BuildWorkspaceImageOptions, type WorkspaceImageSpec } from './image-builder.js';

/** Port squid listens on inside its container. */
export const SQUID_PORT = 3128;
/** Name of the dstdomain ACL that squid.conf allows (`http_access allow xares_whitelist`). */
export const SQUID_WHITELIST_ACL = 'xares_whitelist';
/** Absolute path (in the squid container) of the included file that defines `SQUID_WHITELIST_ACL`. */
export const SQUID_WHITELIST_FILE = '/etc/squid/conf.d/xares-whitelist.conf';
/** Absolute path (in the squid container) of the access log, squid's native `squid` logformat. */
export const SQUID_ACCESS_LOG = '/var/log/squid/access.log';
/** Command (docker exec, as root) that re-reads squid.conf and the whitelist file without dropping connections. */
export const SQUID_RECONFIGURE_COMMAND = ['squid', '-k', 'reconfigure', '-f', '/etc/squid/squid.conf'] as const;

/** Build context folder of the squid image: `<resourcesDir>/images/squid`. */
export function squidContextDir(resourcesDir: string): string {
  return path.join(resourcesDir, 'images', 'squid');
}

/**
 * Tag and context hash of the squid image (`<resourcesDir>/images/squid/image.json`).
 * @throws Error naming the file when it is missing or invalid.
 */
export function readSquidImageSpec(resourcesDir: string): WorkspaceImageSpec {
  return readImageSpec(squidContextDir(resourcesDir), 'squid');
}

/**
 * Makes sure the squid image exists (tag from its image.json unless `options.tag` is given): `{built:false}`
 * at once when the tag is on the engine, else builds it (about 20 s with a warm apt mirror) and resolves
 * `{built:true}`. Progress, abort and extra-CA options as `ensureWorkspaceImage`.
 * @throws ImageBuildError with the build's output on failure; the engine's error when Docker is unreachable.
 */
export async function ensureSquidImage(
  docker: Docker,
  options: Omit<BuildWorkspaceImageOptions, 'tag' | 'contextDir'> & { tag?: string },
): Promise<{ built: boolean; tag: string }> {
  const tag = options.tag ?? readSquidImageSpec(options.resourcesDir).tag;
  const result = await ensureWorkspaceImage(docker, { ...options, tag, contextDir: squidContextDir(options.resourcesDir) });
  return { ...result, tag };
}
