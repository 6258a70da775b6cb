import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { CreateGitRepositoryRequest, GitRepository, GitServerStatus, GitSettings, GitSettingsResponse, UpdateGitSettingsRequest } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { createRepoErrors, settingsErrors, sortRepositories, type GitRepoField, type GitSettingsField } from './git-logic.js';

/** The calls of the admin API the Git view needs (a subset of `ApiClient`; a stub in unit tests). */
export interface GitApi {
  getGitSettings(): Promise<GitSettingsResponse>;
  updateGitSettings(change: UpdateGitSettingsRequest): Promise<GitSettingsResponse>;
  listGitRepositories(): Promise<GitRepository[]>;
  createGitRepository(request: CreateGitRepositoryRequest): Promise<GitRepository>;
}

export interface GitState {
  /** Stored settings (never a token); `null` until loaded. */
  settings: GitSettings | null;
  /** The server's state as last checked; `null` until loaded. */
  status: GitServerStatus | null;
  /** Message of the last failed settings load. */
  loadError: string | null;
  saving: boolean;
  /** Messages of the last refused save, by field (the server's words). */
  saveErrors: Partial<Record<GitSettingsField, string>>;
  /** Set after a successful save (ms since epoch). */
  savedAt: number | null;
  /** Repositories, newest first; `null` until loaded (or while the server is off). */
  repositories: GitRepository[] | null;
  repositoriesLoading: boolean;
  /** Why the list could not be loaded (e.g. the server's 503 reason). */
  repositoriesError: string | null;
  creating: boolean;
  /** Messages of the last refused creation, by field. */
  createErrors: Partial<Record<GitRepoField, string>>;
  /** Loads settings and status, then the repositories when the server is enabled. */
  load(): Promise<void>;
  /** Loads the repository list. */
  loadRepositories(): Promise<void>;
  /** Saves the settings; true when stored. Afterwards `onSettingsSaved` runs (e.g. to re-read the features). */
  save(change: UpdateGitSettingsRequest): Promise<boolean>;
  /** Creates a repository; the new one when created, else null with `createErrors` set. */
  createRepository(request: CreateGitRepositoryRequest): Promise<GitRepository | null>;
  /** Clears the messages of a field the teacher edits again. */
  clearCreateError(field: GitRepoField): void;
  clearSaveError(field: GitSettingsField): void;
}

/**
 * A Git view store over `gitApi`. `onSettingsSaved` is called after every successful save (the dashboard
 * re-reads `GET /api/config` so the create dialog's "Create Git repository" option follows).
 */
export function createGitStore(gitApi: GitApi, onSettingsSaved: () => void = () => undefined): UseBoundStore<StoreApi<GitState>> {
  return create<GitState>()((set, get) => ({
    settings: null,
    status: null,
    loadError: null,
    saving: false,
    saveErrors: {},
    savedAt: null,
    repositories: null,
    repositoriesLoading: false,
    repositoriesError: null,
    creating: false,
    createErrors: {},
    async load() {
      try {
        const { settings, status } = await gitApi.getGitSettings();
        set({ settings, status, loadError: null });
      } catch (error) {
        set({ loadError: describeError(error) });
        return;
      }
      if (get().settings?.enabled) await get().loadRepositories();
      else set({ repositories: null, repositoriesError: null });
    },
    async loadRepositories() {
      set({ repositoriesLoading: true });
      try {
        const repositories = await gitApi.listGitRepositories();
        set({ repositories: sortRepositories(repositories), repositoriesLoading: false, repositoriesError: null });
      } catch (error) {
        set({ repositoriesLoading: false, repositoriesError: describeError(error) });
      }
    },
    async save(change) {
      if (get().saving) return false;
      set({ saving: true, saveErrors: {}, savedAt: null });
      try {
        const { settings, status } = await gitApi.updateGitSettings(change);
        set({ settings, status, saving: false, savedAt: Date.now() });
      } catch (error) {
        set({ saving: false, saveErrors: settingsErrors(error, change.mode ?? get().settings?.mode ?? 'external') });
        return false;
      }
      onSettingsSaved();
      if (get().settings?.enabled) await get().loadRepositories();
      else set({ repositories: null, repositoriesError: null });
      return true;
    },
    async createRepository(request) {
      if (get().creating) return null;
      set({ creating: true, createErrors: {} });
      try {
        const repository = await gitApi.createGitRepository(request);
        const others = (get().repositories ?? []).filter((entry) => entry.fullName !== repository.fullName);
        set({ creating: false, repositories: sortRepositories([repository, ...others]) });
        return repository;
      } catch (error) {
        set({ creating: false, createErrors: createRepoErrors(error) });
        return null;
      }
    },
    clearCreateError(field) {
      const { [field]: _removed, ...rest } = get().createErrors;
      set({ createErrors: rest });
    },
    clearSaveError(field) {
      const { [field]: _removed, ...rest } = get().saveErrors;
      set({ saveErrors: rest });
    },
  }));
}
