/**
 * Pure logic of the dashboard's Git view (issue #7): the settings body (write-only admin token), where the
 * server's refusals are shown (by field; 503 by the URL; 409 by the name), the create form's checks with the
 * contract's words, the status line, ordering and safe links.
 */
import { describe, expect, it } from 'vitest';
import { gitRepoNameProblem, type GitRepository } from '../../server/contract/index.js';
import { ApiError } from '../../renderer/src/api/api-error.js';
import {
  checkRepoForm,
  createRepoErrors,
  formFromSettings,
  initialMode,
  managedUnavailableNote,
  safeLink,
  savingLabel,
  settingsChanged,
  settingsErrors,
  settingsRequest,
  sortRepositories,
  statusLink,
  statusSummary,
  workspaceGit,
} from '../../renderer/src/stores/git-logic.js';

const settings = { enabled: true, mode: 'external' as const, url: 'http://git.example/', adminTokenSet: true, managedAvailable: false };

describe('Git settings form', () => {
  it('starts from the stored settings with an empty admin token field', () => {
    expect(formFromSettings(settings)).toEqual({ enabled: true, mode: 'external', url: 'http://git.example/', adminToken: '' });
  });

  it('sends the admin token only when one was typed (empty keeps the stored one)', () => {
    expect(settingsRequest({ enabled: true, mode: 'external', url: ' http://git.example/ ', adminToken: '' })).toEqual({ enabled: true, mode: 'external', url: 'http://git.example/' });
    expect(settingsRequest({ enabled: true, mode: 'external', url: 'http://git.example/', adminToken: ' abc ' })).toEqual({ enabled: true, mode: 'external', url: 'http://git.example/', adminToken: 'abc' });
  });

  it('is changed when a field differs or a token was typed', () => {
    expect(settingsChanged(settings, formFromSettings(settings))).toBe(false);
    expect(settingsChanged(settings, { ...formFromSettings(settings), enabled: false })).toBe(true);
    expect(settingsChanged(settings, { ...formFromSettings(settings), url: 'http://other/' })).toBe(true);
    expect(settingsChanged(settings, { ...formFromSettings(settings), adminToken: 'x' })).toBe(true);
    expect(settingsChanged(null, { enabled: true, mode: 'external', url: '', adminToken: '' })).toBe(false);
    expect(settingsChanged(settings, { ...formFromSettings(settings), mode: 'managed' })).toBe(true);
  });

  it('puts a 400 by its fields, a 503 by the URL and anything else above the form, in the server words', () => {
    const refused = new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'The admin token was refused', details: { adminToken: 'The Git server refused the admin token' } });
    expect(settingsErrors(refused)).toEqual({ adminToken: 'The Git server refused the admin token' });
    const unreachable = new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Cannot reach the Git server at http://x/: connection refused' });
    expect(settingsErrors(unreachable)).toEqual({ url: 'Cannot reach the Git server at http://x/: connection refused' });
    expect(settingsErrors(new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'Bad body', details: { other: 'odd' } }))).toEqual({ form: 'odd' });
    expect(settingsErrors(new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'Bad body' }))).toEqual({ form: 'Bad body' });
    expect(settingsErrors(new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'Cannot reach the Xares server.' }))).toEqual({ form: 'Cannot reach the Xares server.' });
  });

  it('sends only enabled and the mode for the managed server (no URL, no token), and ignores typed URL/token there', () => {
    const form = { enabled: true, mode: 'managed' as const, url: 'http://typed/', adminToken: 'typed-token' };
    expect(settingsRequest(form)).toEqual({ enabled: true, mode: 'managed' });
    expect(settingsRequest({ ...form, enabled: false })).toEqual({ enabled: false, mode: 'managed' });
    const managed = { ...settings, mode: 'managed' as const, url: '', adminTokenSet: false, managedAvailable: true };
    expect(settingsChanged(managed, { ...formFromSettings(managed), url: 'http://typed/', adminToken: 'x' })).toBe(false);
    expect(settingsChanged(managed, { ...formFromSettings(managed), mode: 'external' })).toBe(true);
  });

  it('starts on the stored mode, except a switched-off managed choice this computer cannot run', () => {
    expect(initialMode({ ...settings, mode: 'managed', managedAvailable: true })).toBe('managed');
    expect(initialMode({ ...settings, mode: 'managed', managedAvailable: false, enabled: true })).toBe('managed');
    expect(initialMode({ ...settings, mode: 'managed', managedAvailable: false, enabled: false })).toBe('external');
    expect(initialMode({ ...settings, mode: 'external', managedAvailable: true })).toBe('external');
    // Nothing configured yet: the server run by Xares where it is available.
    const blank = { enabled: false, mode: 'external' as const, url: '', adminTokenSet: false };
    expect(initialMode({ ...blank, managedAvailable: true })).toBe('managed');
    expect(initialMode({ ...blank, managedAvailable: false })).toBe('external');
    expect(initialMode({ ...blank, url: 'http://g/', managedAvailable: true })).toBe('external');
  });

  it('notes why the managed option is disabled only when it is not available', () => {
    expect(managedUnavailableNote(null)).toBeNull();
    expect(managedUnavailableNote({ ...settings, managedAvailable: true })).toBeNull();
    expect(managedUnavailableNote({ ...settings, managedAvailable: false })).toMatch(/^Not available on this computer/);
  });

  it('says the managed server is being started while it is switched on, otherwise that the server is checked', () => {
    expect(savingLabel({ enabled: true, mode: 'managed', url: '', adminToken: '' })).toBe('Starting the Git server…');
    expect(savingLabel({ enabled: false, mode: 'managed', url: '', adminToken: '' })).toBe('Checking the server…');
    expect(savingLabel({ enabled: true, mode: 'external', url: 'http://g/', adminToken: '' })).toBe('Checking the server…');
  });

  it('puts a 503 of the managed server (e.g. its container did not start) above the form: it has no URL field', () => {
    const failed = new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The Git server container did not start: image not found' });
    expect(settingsErrors(failed, 'managed')).toEqual({ form: 'The Git server container did not start: image not found' });
    expect(settingsErrors(failed, 'external')).toEqual({ url: 'The Git server container did not start: image not found' });
    expect(settingsErrors(new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'x', details: { mode: 'mode must be "external" or "managed"' } }), 'managed')).toEqual({
      mode: 'mode must be "external" or "managed"',
    });
  });

  it('links the status line to the server browser URL only while enabled and only for http(s)', () => {
    expect(statusLink(null)).toBeNull();
    expect(statusLink({ enabled: true, reachable: true, url: 'http://host.example:8080/git/', version: '11.0.1', error: null })).toBe('http://host.example:8080/git/');
    expect(statusLink({ enabled: true, reachable: false, url: 'javascript:alert(1)', version: null, error: 'x' })).toBeNull();
    expect(statusLink({ enabled: false, reachable: false, url: 'http://g/', version: null, error: null })).toBeNull();
  });

  it('describes the status: off, reachable with version, not reachable with the reason', () => {
    expect(statusSummary(null).tone).toBe('off');
    expect(statusSummary({ enabled: false, reachable: false, url: null, version: null, error: null })).toEqual({ tone: 'off', text: 'The Git server is off.' });
    expect(statusSummary({ enabled: true, reachable: true, url: 'http://g/', version: '11.0.1', error: null })).toEqual({ tone: 'ok', text: 'Reachable, version 11.0.1.' });
    expect(statusSummary({ enabled: true, reachable: false, url: 'http://g/', version: null, error: 'connection refused' })).toEqual({ tone: 'error', text: 'Not reachable: connection refused' });
  });
});

describe('create-repository form', () => {
  it('checks the name with the contract rules and words; trims; omits an empty description', () => {
    for (const name of ['', 'bad name', 'x.git', '..', 'a'.repeat(101)]) {
      const result = checkRepoForm({ name, description: '', private: false });
      expect(result.errors?.name).toBe(gitRepoNameProblem(name.trim()));
    }
    expect(checkRepoForm({ name: ' my-repo ', description: '  ', private: true })).toEqual({ request: { name: 'my-repo', private: true }, errors: null });
    expect(checkRepoForm({ name: 'r', description: ' Notes ', private: false }).request).toEqual({ name: 'r', description: 'Notes', private: false });
    expect(checkRepoForm({ name: 'r', description: 'x'.repeat(2049), private: false }).errors).toEqual({ description: 'A description has at most 2048 characters' });
  });

  it('shows a 409 by the name and 400 details by their fields', () => {
    expect(createRepoErrors(new ApiError({ status: 409, code: 'GIT_REPO_EXISTS', message: 'A repository named "r" already exists' }))).toEqual({ name: 'A repository named "r" already exists' });
    expect(createRepoErrors(new ApiError({ status: 400, code: 'VALIDATION_ERROR', message: 'x', details: { name: 'bad', description: 'long' } }))).toEqual({ name: 'bad', description: 'long' });
    expect(createRepoErrors(new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The Git server is disabled' }))).toEqual({ form: 'The Git server is disabled' });
  });
});

describe('repository list helpers', () => {
  const repo = (name: string, createdAt: string): GitRepository => ({ name, fullName: `o/${name}`, description: '', url: `http://g/o/${name}`, cloneUrl: `http://g/o/${name}.git`, private: false, createdAt });

  it('sorts newest first, then by name', () => {
    const sorted = sortRepositories([repo('b', '2026-01-01T00:00:00Z'), repo('c', '2026-02-01T00:00:00Z'), repo('a', '2026-01-01T00:00:00Z')]);
    expect(sorted.map((entry) => entry.name)).toEqual(['c', 'a', 'b']);
  });

  it('links only to absolute http(s) URLs', () => {
    expect(safeLink('http://g/o/r')).toBe('http://g/o/r');
    expect(safeLink('https://g.example/o/r')).toBe('https://g.example/o/r');
    expect(safeLink('javascript:alert(1)')).toBeNull();
    expect(safeLink('/relative')).toBeNull();
    expect(safeLink(undefined)).toBeNull();
    expect(safeLink('')).toBeNull();
  });
});

describe('workspace Git facts', () => {
  it('has none for a workspace without repository, branch or error', () => {
    expect(workspaceGit({})).toBeNull();
    expect(workspaceGit({ gitRepoUrl: '', gitBranch: '', gitError: '' })).toBeNull();
  });

  it('gives the safe repository link, the branch and the set-up error as given', () => {
    expect(workspaceGit({ gitRepoUrl: 'http://h/git/xares/seat', gitBranch: 'clone/alice', gitError: '<b>push</b> refused' })).toEqual({
      link: 'http://h/git/xares/seat',
      branch: 'clone/alice',
      error: '<b>push</b> refused',
    });
    // A link that is not http(s) is dropped; the error still shows.
    expect(workspaceGit({ gitRepoUrl: 'javascript:alert(1)', gitError: 'no repository' })).toEqual({ link: null, branch: null, error: 'no repository' });
  });
});
