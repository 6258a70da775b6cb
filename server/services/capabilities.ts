import type { ServerConfig } from '../config.js';
import type { CreateProjectRequest, ProxyMode } from '../contract/index.js';

/**
 * Optional services this server can use right now. One answer feeds both `GET /api/config` (`features`) and
 * the create validation (`POST /api/projects/create`), so the dashboard never offers what the server refuses.
 */
export interface ServerCapabilities {
  /** The Security Proxy (whitelist-only egress) exists; needed by `proxyMode: "security"` (issue #5). */
  securityProxy: boolean;
  /** The LLM Logging Proxy (recording egress) exists; needed by `proxyMode: "logging"` (issue #5). */
  loggingProxy: boolean;
  /** The Git server exists; needed by `createGitRepo: true` (issue #7). */
  gitServer: boolean;
}

/**
 * What this build can do under `config`. Today neither proxy service nor the Git server is built, so every
 * capability is `false`; the issues that add them make this read their state.
 */
export function capabilitiesFromConfig(_config: ServerConfig): ServerCapabilities {
  return { securityProxy: false, loggingProxy: false, gitServer: false };
}

/** Which capability each non-direct proxy mode needs (contract `ProxyMode`). */
export const PROXY_MODE_CAPABILITY: Record<Exclude<ProxyMode, 'none'>, 'securityProxy' | 'loggingProxy'> = {
  security: 'securityProxy',
  logging: 'loggingProxy',
};

/** Words for a refused option, as the `details` of a 400 `VALIDATION_ERROR`. */
const MISSING_MESSAGE = {
  securityProxy: 'The Security Proxy is not set up on this server yet',
  loggingProxy: 'The LLM Logging Proxy is not set up on this server yet',
  gitServer: 'The Git server is off or cannot be reached right now; turn it on (or check it) in the Git tab',
} as const satisfies Record<keyof ServerCapabilities, string>;

/**
 * Per-field messages for the options of a create request that need a capability the server lacks
 * (`proxyMode`, `createGitRepo`); empty when everything asked for is available. Never throws.
 */
export function unavailableOptionDetails(
  request: Pick<CreateProjectRequest, 'proxyMode' | 'createGitRepo'>,
  capabilities: ServerCapabilities,
): Record<string, string> {
  const details: Record<string, string> = {};
  if (request.proxyMode !== 'none') {
    const needed = PROXY_MODE_CAPABILITY[request.proxyMode];
    if (!capabilities[needed]) details['proxyMode'] = MISSING_MESSAGE[needed];
  }
  if (request.createGitRepo && !capabilities.gitServer) details['createGitRepo'] = MISSING_MESSAGE.gitServer;
  return details;
}
