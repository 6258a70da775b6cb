/**
 * Whitelist API on the real server (issue #5 "Security Proxy", first slice: stored and rendered, not yet applied
 * to a running squid). Real HTTP, auth and SQLite; no workspace is started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody, UpdateWhitelistResponse, WhitelistErrorDetails, WhitelistResponse } from '../../server/contract/index.js';
import { BASE_WHITELIST_DOMAINS } from '../../server/services/whitelist.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BASE = [...BASE_WHITELIST_DOMAINS].sort();

describe('GET/PUT /api/whitelist', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('answers 401 without the admin token, for reading and writing', async () => {
    const read = await t.api('GET', '/api/whitelist', undefined, { token: null });
    expect(read.status).toBe(401);
    expect(ApiErrorBody.parse(read.body).code).toBe('UNAUTHORIZED');
    const write = await t.api('PUT', '/api/whitelist', { domains: ['evil.example'] }, { token: null });
    expect(write.status).toBe(401);
    const wrongToken = await t.api('PUT', '/api/whitelist', { domains: ['evil.example'] }, { token: 'not-the-token' });
    expect(wrongToken.status).toBe(401);
    const after = WhitelistResponse.parse((await t.api('GET', '/api/whitelist')).body);
    expect(after.domains).not.toContain('.evil.example');
  });

  it('starts with the base domains and their squid section', async () => {
    const res = await t.api('GET', '/api/whitelist');
    expect(res.status).toBe(200);
    const body = WhitelistResponse.parse(res.body);
    expect(body.domains).toEqual(BASE);
    expect(body.raw).toContain(`acl xares_whitelist dstdomain -n ${BASE.join(' ')}\n`);
    expect(body.raw).toContain('http_access deny !xares_whitelist\n');
  });

  it('replaces the list: normalised, base domains merged, then GET shows it', async () => {
    const put = await t.api('PUT', '/api/whitelist', { domains: ['pypi.org', 'API.Anthropic.com', 'anthropic.com', 'github.com.', 'münchen.de', 'deb.debian.org', 'xexample.com', 'example.com'] });
    expect(put.status).toBe(200);
    const body = UpdateWhitelistResponse.parse(put.body);
    const expected = [...BASE, '.anthropic.com', '.example.com', '.github.com', '.pypi.org', '.xexample.com', '.xn--mnchen-3ya.de'].sort();
    expect(body.domains).toEqual(expected);
    expect(body.domainCount).toBe(expected.length);
    const get = WhitelistResponse.parse((await t.api('GET', '/api/whitelist')).body);
    expect(get.domains).toEqual(expected);
    expect(get.raw).toContain('.xn--mnchen-3ya.de');
  });

  it('answers 400 naming the entry and keeps the previous list', async () => {
    const before = WhitelistResponse.parse((await t.api('GET', '/api/whitelist')).body);
    for (const bad of ['evil.com\nhttp_access allow all', 'exa mple.com', 'a.com#x', 'http://a.com', 'a.com:443', '*.a.com', '1.2.3.4', '[::1]', '']) {
      const res = await t.api('PUT', '/api/whitelist', { domains: ['fine.example', bad] });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const error = ApiErrorBody.parse(res.body);
      expect(error.code).toBe('VALIDATION_ERROR');
      const details = WhitelistErrorDetails.parse(error.details);
      expect(details.domains.startsWith(`${JSON.stringify(bad)}: `)).toBe(true);
      expect(details.index).toBe('1');
    }
    const after = WhitelistResponse.parse((await t.api('GET', '/api/whitelist')).body);
    expect(after).toEqual(before);
    expect(after.raw).not.toContain('allow all');
  });

  it('answers 400 for a body of the wrong shape and 415 for a body that is not JSON', async () => {
    for (const body of [{}, { domains: 'github.com' }, { domains: [42] }, []]) {
      const res = await t.api('PUT', '/api/whitelist', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(ApiErrorBody.parse(res.body).code).toBe('VALIDATION_ERROR');
    }
    const text = await t.api('PUT', '/api/whitelist', undefined, { rawBody: 'github.com', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('accepts an empty list (base domains only) and a list of 2,000 domains', async () => {
    const empty = UpdateWhitelistResponse.parse((await t.api('PUT', '/api/whitelist', { domains: [] })).body);
    expect(empty.domains).toEqual(BASE);
    const many = Array.from({ length: 2000 }, (_, i) => `workstation-${i}.department-${i % 40}.university-example.org`);
    const res = await t.api('PUT', '/api/whitelist', { domains: [...many, ...Array.from({ length: 40 }, (_, i) => `department-${i}.university-example.org`)] });
    expect(res.status).toBe(200);
    expect(JSON.stringify({ domains: many }).length).toBeGreaterThan(64 * 1024);
    const body = UpdateWhitelistResponse.parse(res.body);
    expect(body.domainCount).toBe(BASE.length + 40);
  });

  it('keeps the list across a restart', async () => {
    const put = UpdateWhitelistResponse.parse((await t.api('PUT', '/api/whitelist', { domains: ['crates.io', 'github.com'] })).body);
    t = await t.restart();
    const get = WhitelistResponse.parse((await t.api('GET', '/api/whitelist')).body);
    expect(get.domains).toEqual(put.domains);
    expect(get.domains).toContain('.crates.io');
  });
});
