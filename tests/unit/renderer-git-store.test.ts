/**
 * The Git view's store (issue #7) over a stub of the admin API: loading settings then repositories while
 * enabled, saving (errors by field, features re-read after a save), creating (new one listed, 409 by the name).
 */
import { describe, expect, it, vi } from 'vitest';
import type { GitRepository, GitSettingsResponse } from '../../server/contract/index.js';
import { ApiError } from '../../renderer/src/api/api-error.js';
import { createGitStore, type GitApi } from '../../renderer/src/stores/git-store.js';

const off: GitSettingsResponse = {
  success: true,
  settings: { enabled: false, mode: 'external', url: '', adminTokenSet: false, managedAvailable: false },
  status: { enabled: false, reachable: false, url: null, version: null, error: null },
};
const on: GitSettingsResponse = {
  success: true,
  settings: { enabled: true, mode: 'external', url: 'http://g/', adminTokenSet: true, managedAvailable: false },
  status: { enabled: true, reachable: true, url: 'http://g/', version: '11.0.1', error: null },
};
const repo = (name: string, createdAt = '2026-01-01T00:00:00Z'): GitRepository => ({ name, fullName: `o/${name}`, description: '', url: `http://g/o/${name}`, cloneUrl: `http://g/o/${name}.git`, private: false, createdAt });

function stubApi(overrides: Partial<GitApi> = {}): GitApi {
  return {
    getGitSettings: vi.fn(async () => off),
    updateGitSettings: vi.fn(async () => on),
    listGitRepositories: vi.fn(async () => [repo('old')]),
    createGitRepository: vi.fn(async (request) => repo(request.name, '2026-03-01T00:00:00Z')),
    ...overrides,
  };
}

describe('Git store', () => {
  it('loads the settings and lists repositories only while enabled', async () => {
    const api = stubApi();
    const store = createGitStore(api);
    await store.getState().load();
    expect(store.getState().settings).toEqual(off.settings);
    expect(api.listGitRepositories).not.toHaveBeenCalled();
    expect(store.getState().repositories).toBeNull();

    const enabled = createGitStore(stubApi({ getGitSettings: async () => on }));
    await enabled.getState().load();
    expect(enabled.getState().repositories?.map((entry) => entry.name)).toEqual(['old']);
  });

  it('keeps a load failure in words', async () => {
    const store = createGitStore(stubApi({ getGitSettings: async () => Promise.reject(new ApiError({ status: 500, code: 'INTERNAL_ERROR', message: 'Broken' })) }));
    await store.getState().load();
    expect(store.getState().loadError).toBe('Broken');
    expect(store.getState().settings).toBeNull();
  });

  it('saves, re-reads the features and lists the repositories; a refusal is kept by its field', async () => {
    const onSaved = vi.fn();
    const api = stubApi();
    const store = createGitStore(api, onSaved);
    expect(await store.getState().save({ enabled: true, url: 'http://g/', adminToken: 't' })).toBe(true);
    expect(api.updateGitSettings).toHaveBeenCalledWith({ enabled: true, url: 'http://g/', adminToken: 't' });
    expect(onSaved).toHaveBeenCalledTimes(1);
    expect(store.getState().status?.version).toBe('11.0.1');
    expect(store.getState().repositories?.map((entry) => entry.name)).toEqual(['old']);
    expect(store.getState().savedAt).not.toBeNull();

    const refusing = createGitStore(stubApi({ updateGitSettings: async () => Promise.reject(new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Cannot reach it' })) }), onSaved);
    expect(await refusing.getState().save({ enabled: true, url: 'http://x/' })).toBe(false);
    expect(refusing.getState().saveErrors).toEqual({ url: 'Cannot reach it' });
    expect(onSaved).toHaveBeenCalledTimes(1);
    refusing.getState().clearSaveError('url');
    expect(refusing.getState().saveErrors).toEqual({});
  });

  it('creates a repository (listed first) and keeps a 409 by the name', async () => {
    const store = createGitStore(stubApi({ getGitSettings: async () => on }));
    await store.getState().load();
    const created = await store.getState().createRepository({ name: 'new', private: false });
    expect(created?.name).toBe('new');
    expect(store.getState().repositories?.map((entry) => entry.name)).toEqual(['new', 'old']);

    const duplicate = createGitStore(stubApi({ createGitRepository: async () => Promise.reject(new ApiError({ status: 409, code: 'GIT_REPO_EXISTS', message: 'Repository "new" already exists' })) }));
    expect(await duplicate.getState().createRepository({ name: 'new' })).toBeNull();
    expect(duplicate.getState().createErrors).toEqual({ name: 'Repository "new" already exists' });
  });
  it('saves the managed server: only enabled and the mode are sent; a 503 while starting it is shown above the form', async () => {
    const managedOn: GitSettingsResponse = {
      success: true,
      settings: { enabled: true, mode: 'managed', url: '', adminTokenSet: false, managedAvailable: true },
      status: { enabled: true, reachable: true, url: 'http://host.example:8080/git/', version: '11.0.1', error: null },
    };
    let finish: (value: GitSettingsResponse) => void = () => undefined;
    const api = stubApi({ updateGitSettings: vi.fn(() => new Promise<GitSettingsResponse>((resolve) => (finish = resolve))) });
    const store = createGitStore(api);
    const saving = store.getState().save({ enabled: true, mode: 'managed' });
    // Starting the container takes a while: the store says it is saving until the server answers.
    expect(store.getState().saving).toBe(true);
    expect(await store.getState().save({ enabled: true, mode: 'managed' })).toBe(false);
    finish(managedOn);
    expect(await saving).toBe(true);
    expect(api.updateGitSettings).toHaveBeenCalledTimes(1);
    expect(api.updateGitSettings).toHaveBeenCalledWith({ enabled: true, mode: 'managed' });
    expect(store.getState().saving).toBe(false);
    expect(store.getState().status?.url).toBe('http://host.example:8080/git/');

    const failing = createGitStore(
      stubApi({ updateGitSettings: async () => Promise.reject(new ApiError({ status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The Git server did not start: no such image' })) }),
    );
    expect(await failing.getState().save({ enabled: true, mode: 'managed' })).toBe(false);
    expect(failing.getState().saveErrors).toEqual({ form: 'The Git server did not start: no such image' });
    expect(failing.getState().saving).toBe(false);
  });
});
