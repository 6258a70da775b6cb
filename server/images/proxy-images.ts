/**
 * The proxy images of the network control feature (issue 5), built from `resources/images/<name>/` like the
 * workspace image: cached by the tag in that folder's `image.json`, labelled `xares.managed=true` with the
 * context hash, FROM the same Debian base (`chooseBaseImage`), trusting the host's extra CA certificates.
 *
 * Squid (`resources/images/squid/`): whitelist-only forward proxy on `SQUID_PORT`; the app writes the ACL
 * file `SQUID_WHITELIST_FILE` (it must define the dstdomain ACL `SQUID_WHITELIST_ACL`) and applies it with
 * `SQUID_RECONFIGURE_COMMAND` (docker exec); the access log is `SQUID_ACCESS_LOG` in squid's native format.
 *
 * mitmproxy (`resources/images/mitmproxy/`): the LLM Logging Proxy on `MITMPROXY_PORT` with our addon
 * (xares_recorder.py): proxy users from `PROXY_USERS_FILE`, CA in `MITMPROXY_CONFDIR`, record files in
 * `MITMPROXY_RECORDS_DIR` (formats: the Dockerfile and the addon's docstring).
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


/** Port mitmproxy (the LLM Logging Proxy) listens on inside its container (regular forward-proxy mode). */
export const MITMPROXY_PORT = 8080;
/**
 * mitmproxy's confdir in its container: mount a named volume here so the CA survives re-creation. mitmproxy
 * generates the CA there on first start; the private key never leaves this folder.
 */
export const MITMPROXY_CONFDIR = '/var/lib/xares/mitmproxy';
/** Public CA certificate (PEM) in the mitmproxy container, for the workspaces' trust stores (read with getArchive). */
export const MITMPROXY_CA_CERT_FILE = '/var/lib/xares/mitmproxy/mitmproxy-ca-cert.pem';
/**
 * Folder (in the mitmproxy container) of the addon's record files `llm-<epochms>-<8hex>.json` and
 * `domains-<epochms>-<8hex>.json`, written atomically (`.tmp` then rename); the app reads `*.json` and deletes
 * what it stored.
 */
export const MITMPROXY_RECORDS_DIR = '/var/lib/xares/records';
/** Names of finished record files in `MITMPROXY_RECORDS_DIR` (anything else there is not ours to read). */
export const MITMPROXY_RECORD_FILE_PATTERN = /^(llm|domains)-[0-9]{13}-[0-9a-f]{8}\.json$/;
/**
 * htpasswd file of the proxy users (`<user>:$apr1$...` per line), in the squid and the mitmproxy container
 * alike. The mitmproxy addon re-reads it whenever it changes; it must be readable by the proxy's
 * unprivileged user (mode 0644).
 */
export const PROXY_USERS_FILE = '/etc/xares/proxy-users';
/**
 * Optional PEM bundle in the mitmproxy container: when present at start, upstream certificates are verified
 * against it instead of the system store (tests use it for their fake LLM API's own CA).
 */
export const MITMPROXY_UPSTREAM_CA_FILE = '/etc/xares/upstream-ca.pem';

/**
 * Our images besides the workspace image, each built from `resources/images/<name>/`: squid (Security Proxy),
 * mitmproxy (LLM Logging Proxy) and netguard (the firewall helper, server/proxies/netguard.ts).
 */
export const PROXY_IMAGE_NAMES = ['squid', 'mitmproxy', 'netguard'] as const;
export type ProxyImageName = (typeof PROXY_IMAGE_NAMES)[number];

/** Build context folder of one of them: `<resourcesDir>/images/<name>`. */
export function proxyImageContextDir(resourcesDir: string, name: ProxyImageName): string {
  return path.join(resourcesDir, 'images', name);
}

/**
 * Tag and context hash of one of them (`<resourcesDir>/images/<name>/image.json`).
 * @throws Error naming the file when it is missing or invalid.
 */
export function readProxyImageSpec(resourcesDir: string, name: ProxyImageName): WorkspaceImageSpec {
  return readImageSpec(proxyImageContextDir(resourcesDir, name), name);
}

/**
 * Makes sure one of them exists (tag from its image.json unless `options.tag` is given): `{built:false}` at once
 * when the tag is on the engine, else builds it and resolves `{built:true}` (cold, with a warm apt mirror: squid
 * and mitmproxy about 40 s, netguard a few seconds). Progress, abort and extra-CA options as `ensureWorkspaceImage`.
 * @throws ImageBuildError with the build's output on failure; the engine's error when Docker is unreachable.
 */
export async function ensureProxyImage(
  docker: Docker,
  name: ProxyImageName,
  options: Omit<BuildWorkspaceImageOptions, 'tag' | 'contextDir'> & { tag?: string },
): Promise<{ built: boolean; tag: string }> {
  const tag = options.tag ?? readProxyImageSpec(options.resourcesDir, name).tag;
  const result = await ensureWorkspaceImage(docker, { ...options, tag, contextDir: proxyImageContextDir(options.resourcesDir, name) });
  return { ...result, tag };
}
