/**
 * The fake Forgejo's answers and ForgejoClient's request bodies against Forgejo's published API description
 * (subset copied to tests/fake-forgejo/forgejo-api-subset.json): every field sent is documented with its JSON type,
 * and every documented field of the answers is sent (except those Forgejo omits when empty).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgejoClient } from '../../server/git/forgejo-client.js';
import { FAKE_FORGEJO_ADMIN, fakeForgejoDir, startFakeForgejo, type FakeForgejo } from '../helpers/fake-forgejo.js';

interface Schema {
  type?: string;
  format?: string;
  $ref?: string;
  items?: Schema;
  enum?: string[];
  required?: string[];
  properties?: Record<string, Schema>;
}
const subset = JSON.parse(readFileSync(path.join(fakeForgejoDir, 'forgejo-api-subset.json'), 'utf8')) as {
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, { body?: Schema }>>;
};
const defs = subset.definitions;

/** Fields Forgejo leaves out when empty (`omitempty` pointers), so the fake may too. */
const OMITTED_WHEN_EMPTY: Record<string, string[]> = { Repository: ['parent', 'external_tracker', 'external_wiki', 'repo_transfer'] };

/** Problems of `value` against `schema` (empty = conforms). Definitions in the subset are checked field by field, exactly. */
function check(value: unknown, schema: Schema, at: string): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/definitions/', '');
    const def = defs[name];
    if (value === null && name !== 'User') return [];
    if (!def) return typeof value === 'object' ? [] : [`${at}: expected object (${name})`];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: expected ${name} object`];
    const props = def.properties ?? {};
    const problems: string[] = [];
    for (const key of Object.keys(value)) {
      if (!props[key]) problems.push(`${at}.${key}: not in ${name}`);
      else problems.push(...check((value as Record<string, unknown>)[key], props[key], `${at}.${key}`));
    }
    for (const key of Object.keys(props)) {
      if (!(key in value) && !(OMITTED_WHEN_EMPTY[name] ?? []).includes(key)) problems.push(`${at}.${key}: missing (${name})`);
    }
    return problems;
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected string`];
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) return [`${at}: not a date-time`];
      if (schema.enum && !schema.enum.includes(value)) return [`${at}: not one of ${schema.enum.join(',')}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected boolean`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: expected integer`];
    case 'array':
      // Go's nil slices are sent as null.
      if (value === null) return [];
      return Array.isArray(value) ? value.flatMap((v, i) => check(v, schema.items ?? {}, `${at}[${i}]`)) : [`${at}: expected array`];
    default:
      return [];
  }
}
const shape = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

let fake: FakeForgejo;
let adminToken: string;
const bodies: Array<{ method: string; path: string; body: Record<string, unknown> }> = [];

async function call(method: string, apiPath: string, options: { token?: string; basic?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `token ${options.token}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic).toString('base64')}`;
  const response = await fetch(new URL(`api/v1${apiPath}`, fake.baseUrl), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  fake = await startFakeForgejo();
  const token = await call('POST', `/users/${FAKE_FORGEJO_ADMIN.username}/tokens`, { basic: `${FAKE_FORGEJO_ADMIN.username}:${FAKE_FORGEJO_ADMIN.password}`, body: { name: 'shape', scopes: ['all'] } });
  adminToken = (token.json as { sha1: string }).sha1;
});
afterAll(async () => {
  await fake?.stop();
});

describe('fake-forgejo answers match the Forgejo API subset', () => {
  it('the checker itself catches extra, missing and mistyped fields', () => {
    expect(check({ version: '1', extra: true }, shape('ServerVersion'), 'v')).toEqual(['v.extra: not in ServerVersion']);
    expect(check({}, shape('APIError'), 'e')).toEqual(['e.message: missing (APIError)', 'e.url: missing (APIError)']);
    expect(check({ message: 1, url: 'u' }, shape('APIError'), 'e')).toEqual(['e.message: expected string']);
  });

  it('ServerVersion, AccessToken, User (created and current)', async () => {
    expect(check((await call('GET', '/version')).json, shape('ServerVersion'), 'version')).toEqual([]);
    const token = await call('POST', `/users/${FAKE_FORGEJO_ADMIN.username}/tokens`, { basic: `${FAKE_FORGEJO_ADMIN.username}:${FAKE_FORGEJO_ADMIN.password}`, body: { name: 'shape-2', scopes: ['read:user'] } });
    expect(token.status).toBe(201);
    expect(check(token.json, shape('AccessToken'), 'token')).toEqual([]);
    const user = await call('POST', '/admin/users', { token: adminToken, body: { username: 'shape-user', email: 'shape@example.com', password: 'shape-password', must_change_password: false } });
    expect(user.status).toBe(201);
    expect(check(user.json, shape('User'), 'user')).toEqual([]);
    expect(check((await call('GET', '/user', { token: adminToken })).json, shape('User'), 'me')).toEqual([]);
  });

  it('Repository (created empty, created with auto_init, listed) and Branch (created, listed)', async () => {
    const empty = await call('POST', '/user/repos', { token: adminToken, body: { name: 'shape-empty', private: true } });
    expect(empty.status).toBe(201);
    expect(check(empty.json, shape('Repository'), 'repo')).toEqual([]);
    const init = await call('POST', '/user/repos', { token: adminToken, body: { name: 'shape-init', auto_init: true, default_branch: 'trunk', description: 'd' } });
    expect(check(init.json, shape('Repository'), 'repo')).toEqual([]);
    const list = await call('GET', '/user/repos', { token: adminToken });
    expect(check(list.json, { type: 'array', items: shape('Repository') }, 'list')).toEqual([]);
    const branch = await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-init/branches`, { token: adminToken, body: { new_branch_name: 'b1', old_branch_name: 'trunk' } });
    expect(branch.status).toBe(201);
    expect(check(branch.json, shape('Branch'), 'branch')).toEqual([]);
    const limited = await call('POST', `/users/${FAKE_FORGEJO_ADMIN.username}/tokens`, {
      basic: `${FAKE_FORGEJO_ADMIN.username}:${FAKE_FORGEJO_ADMIN.password}`,
      body: { name: 'limited', scopes: ['write:repository'], repositories: [{ owner: FAKE_FORGEJO_ADMIN.username, name: 'shape-init' }] },
    });
    expect(limited.status).toBe(201);
    expect(check(limited.json, shape('AccessToken'), 'limited')).toEqual([]);
    expect((limited.json as { repositories: unknown[] }).repositories).toHaveLength(1);
    expect(check((await call('GET', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-init/branches`, { token: adminToken })).json, { type: 'array', items: shape('Branch') }, 'branches')).toEqual([]);
  });

  it('User[] (admin list), BranchProtection (created, listed), protected Branch, admin delete', async () => {
    const listed = await call('GET', '/admin/users?page=1&limit=50', { token: adminToken });
    expect(listed.status).toBe(200);
    expect(check(listed.json, { type: 'array', items: shape('User') }, 'users')).toEqual([]);
    await call('POST', '/admin/users', { token: adminToken, body: { username: 'shape-writer', email: 'writer@example.com', password: 'shape-password', must_change_password: false } });
    await call('POST', '/user/repos', { token: adminToken, body: { name: 'shape-protected', auto_init: true } });
    await call('PUT', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/collaborators/shape-writer`, { token: adminToken, body: { permission: 'write' } });
    const option = {
      rule_name: 'main', enable_push: true, enable_push_whitelist: true, push_whitelist_usernames: ['shape-writer'],
      enable_status_check: true, status_check_contexts: ['ci'], required_approvals: 1, protected_file_patterns: '',
    };
    for (const [key, value] of Object.entries(option)) expect(check(value, defs.CreateBranchProtectionOption!.properties![key]!, key)).toEqual([]);
    const created = await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken, body: option });
    expect(created.status).toBe(201);
    expect(check(created.json, shape('BranchProtection'), 'protection')).toEqual([]);
    expect(created.json).toMatchObject({ rule_name: 'main', branch_name: 'main', push_whitelist_usernames: ['shape-writer'], status_check_contexts: ['ci'], required_approvals: 1 });
    const glob = await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken, body: { rule_name: 'release/*' } });
    expect(glob.json).toMatchObject({ rule_name: 'release/*', branch_name: '', enable_push: false });
    const list = await call('GET', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken });
    expect(check(list.json, { type: 'array', items: shape('BranchProtection') }, 'protections')).toEqual([]);
    expect((list.json as Array<{ rule_name: string }>).map((r) => r.rule_name)).toEqual(['main', 'release/*']);
    const branches = await call('GET', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branches`, { token: adminToken });
    expect(check(branches.json, { type: 'array', items: shape('Branch') }, 'branches')).toEqual([]);
    // The admin is not whitelisted: Forgejo's user_can_push is false for them on the protected branch.
    expect((branches.json as unknown[])[0]).toMatchObject({ name: 'main', protected: true, effective_branch_protection_name: 'main', user_can_push: false, required_approvals: 1 });
    expect((await call('DELETE', '/admin/users/shape-writer', { token: adminToken })).status).toBe(204);
    const after = await call('GET', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken });
    expect((after.json as Array<{ push_whitelist_usernames: string[] }>)[0]!.push_whitelist_usernames).toEqual([]);
    const errors = [
      await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken, body: { rule_name: 'main' } }), // 403 exists
      await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken, body: { rule_name: 'x', push_whitelist_usernames: ['nobody-here'] } }), // 422
      await call('POST', `/repos/${FAKE_FORGEJO_ADMIN.username}/shape-protected/branch_protections`, { token: adminToken, body: {} }), // 400 no name
      await call('DELETE', '/admin/users/shape-writer', { token: adminToken }), // 404
      await call('DELETE', `/admin/users/${FAKE_FORGEJO_ADMIN.username}`, { token: adminToken }), // 422 yourself
    ];
    expect(errors.map((c) => c.status)).toEqual([403, 422, 400, 404, 422]);
    for (const c of errors) expect(check(c.json, shape('APIError'), 'error')).toEqual([]);
  });

  it('errors are APIError {message, url} with Forgejo\'s statuses', async () => {
    const cases = [
      await call('GET', '/user/repos'), // 401 no credentials
      await call('GET', '/user/repos', { token: 'f'.repeat(40) }), // 401 unknown token
      await call('POST', '/user/repos', { token: adminToken, body: { name: 'shape-init' } }), // 409
      await call('POST', '/user/repos', { token: adminToken, body: { name: 'bad name' } }), // 422
      await call('PUT', '/repos/nobody/none/collaborators/x', { token: adminToken, body: { permission: 'write' } }), // 404
    ];
    expect(cases.map((c) => c.status)).toEqual([401, 401, 409, 422, 404]);
    for (const c of cases) expect(check(c.json, shape('APIError'), 'error')).toEqual([]);
  });
});

describe('ForgejoClient request bodies use only documented option fields', () => {
  it('CreateUserOption, CreateAccessTokenOption, CreateRepoOption, AddCollaboratorOption, CreateBranchRepoOption', async () => {
    const recordingFetch: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string') bodies.push({ method: init.method ?? 'GET', path: new URL(String(input)).pathname, body: JSON.parse(init.body) as Record<string, unknown> });
      return fetch(input, init);
    };
    const client = new ForgejoClient({ baseUrl: fake.baseUrl, token: adminToken, fetch: recordingFetch });
    await client.createUser({ username: 'body-user', password: 'body-password', email: 'body@example.com' });
    await client.createUserToken('body-user', 'body-password', { name: 't', scopes: ['write:repository'] });
    await client.createRepository({ name: 'body-repo', description: 'x', private: false, autoInit: true, defaultBranch: 'main' });
    await client.addCollaborator(FAKE_FORGEJO_ADMIN.username, 'body-repo', 'body-user', 'write');
    await client.createBranch(FAKE_FORGEJO_ADMIN.username, 'body-repo', { newBranch: 'clone/x', from: 'main' });
    const optionOf = (p: string, method: string): string => {
      const route = Object.entries(subset.paths).find(([template]) => new RegExp(`^/api/v1${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(p));
      const ref = route?.[1][method.toLowerCase()]?.body?.$ref;
      if (!ref) throw new Error(`no documented body for ${method} ${p}`);
      return ref.replace('#/definitions/', '');
    };
    expect(bodies.map((b) => optionOf(b.path, b.method))).toEqual(['CreateUserOption', 'CreateAccessTokenOption', 'CreateRepoOption', 'AddCollaboratorOption', 'CreateBranchRepoOption']);
    for (const b of bodies) {
      const def = defs[optionOf(b.path, b.method)]!;
      for (const key of Object.keys(b.body)) expect(def.properties, `${b.path} ${key}`).toHaveProperty([key]);
      for (const key of def.required ?? []) expect(b.body, `${b.path} required ${key}`).toHaveProperty([key]);
      for (const [key, value] of Object.entries(b.body)) expect(check(value, def.properties![key]!, key)).toEqual([]);
    }
  });
});
