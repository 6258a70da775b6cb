import express, { Router } from 'express';
import { UpdateWhitelistRequest, type UpdateWhitelistResponse, type WhitelistResponse } from '../contract/index.js';
import { renderSquidWhitelistAcl, type WhitelistService } from '../services/whitelist.js';
import { parseOrThrow, requireJsonContentType } from './errors.js';

/**
 * Largest `PUT /api/whitelist` body (ours): above the API's general 64 KiB, so a list of a few thousand
 * domains fits (2,000 long names are about 80 KB).
 */
export const WHITELIST_BODY_LIMIT = '1mb';

/**
 * `GET /api/whitelist` and `PUT /api/whitelist` (api-reference "Whitelist Management"). Admin-only: mount it
 * behind the admin check. Brings its own JSON parser (415 for a body that is not JSON, 413 above
 * {@link WHITELIST_BODY_LIMIT}); bad entries answer 400 VALIDATION_ERROR naming the entry, and leave the stored
 * list as it was.
 */
export function whitelistRouter(whitelist: WhitelistService): Router {
  const router = Router();
  router.get('/whitelist', (_req, res) => {
    const domains = whitelist.domains();
    const body: WhitelistResponse = { success: true, domains, raw: renderSquidWhitelistAcl(domains) };
    res.json(body);
  });
  router.put('/whitelist', requireJsonContentType, express.json({ limit: WHITELIST_BODY_LIMIT }), async (req, res) => {
    const { domains: entries } = parseOrThrow(UpdateWhitelistRequest, req.body ?? {});
    const domains = await whitelist.replace(entries);
    const body: UpdateWhitelistResponse = { success: true, domainCount: domains.length, domains };
    res.json(body);
  });
  return router;
}
