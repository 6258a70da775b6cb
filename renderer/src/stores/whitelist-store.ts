import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { UpdateWhitelistResponse, WhitelistResponse } from '../../../server/contract/index.js';
import { describeError } from '../api/api-error.js';
import { api } from '../services.js';
import { addEntries, addEntryList, describeApplyFailure, domainsToSend, hasUnsavedChanges, removeEntry, type ApplyFailure } from './whitelist-editor.js';

/** The calls of the admin API the whitelist editor needs (a subset of `ApiClient`; a stub in unit tests). */
export interface WhitelistApi {
  getWhitelist(): Promise<WhitelistResponse>;
  updateWhitelist(domains: readonly string[]): Promise<UpdateWhitelistResponse>;
}

export interface WhitelistState {
  /** The list as stored on the server (squid form, base domains included); `null` until loaded. */
  stored: string[] | null;
  /** The list being edited (same form); equals `stored` when nothing is changed. */
  draft: string[];
  /** The squid configuration section of the stored list (`raw` of `GET /api/whitelist`); `null` until loaded. */
  raw: string | null;
  loading: boolean;
  /** Message of the last failed load. */
  loadError: string | null;
  /** Apply is on its way (editing is disabled meanwhile). */
  applying: boolean;
  /** The last refused Apply (the entry the server named, and its words); cleared by editing. */
  applyFailure: ApplyFailure | null;
  /** Set after a successful Apply (time, ms since epoch), cleared by the next edit. */
  appliedAt: number | null;
  /** Loads the stored list. With unsaved changes only `stored` is refreshed (the draft is kept). */
  load(): Promise<void>;
  /**
   * Adds an entry typed by the teacher.
   * @returns null when added (or already covered), else the message why not (the server's wording).
   */
  add(input: string): string | null;
  /** Adds several host names at once (e.g. recorded domains); returns the first refusal or null. */
  addMany(inputs: readonly string[]): string | null;
  /**
   * Adds a pasted list (one host name per line), all or nothing.
   * @returns how many entries the list gained, or the first bad line in words.
   */
  addList(text: string): { gained: number; error: null } | { gained: 0; error: string };
  /** Removes an entry (base domains cannot be removed). */
  remove(domain: string): void;
  /** Throws the draft away (back to the stored list). */
  discard(): void;
  /** Sends the draft (`PUT /api/whitelist`); success replaces `stored` and `draft` with the server's list. */
  apply(): Promise<boolean>;
}

/** A whitelist editor store over `api` (the dashboard's own one is {@link useWhitelistStore}). */
export function createWhitelistStore(whitelistApi: WhitelistApi): UseBoundStore<StoreApi<WhitelistState>> {
  return create<WhitelistState>()((set, get) => ({
    stored: null,
    draft: [],
    raw: null,
    loading: false,
    loadError: null,
    applying: false,
    applyFailure: null,
    appliedAt: null,
    async load() {
      set({ loading: true });
      try {
        const { domains, raw } = await whitelistApi.getWhitelist();
        const { stored, draft } = get();
        const keepDraft = stored !== null && hasUnsavedChanges(stored, draft);
        set({ stored: domains, raw, draft: keepDraft ? draft : domains, loading: false, loadError: null });
      } catch (error) {
        set({ loading: false, loadError: describeError(error) });
      }
    },
    add(input) {
      return get().addMany([input]);
    },
    addMany(inputs) {
      const result = addEntries(get().draft, inputs);
      if (result.error !== null) return result.error;
      set({ draft: result.domains, applyFailure: null, appliedAt: null });
      return null;
    },
    addList(text) {
      const result = addEntryList(get().draft, text);
      if (result.error !== null) return { gained: 0, error: result.error };
      set({ draft: result.domains, applyFailure: null, appliedAt: null });
      return { gained: result.gained, error: null };
    },
    remove(domain) {
      set({ draft: removeEntry(get().draft, domain), applyFailure: null, appliedAt: null });
    },
    discard() {
      const { stored } = get();
      if (stored !== null) set({ draft: stored, applyFailure: null });
    },
    async apply() {
      const { draft, applying } = get();
      if (applying) return false;
      const sent = domainsToSend(draft);
      set({ applying: true, applyFailure: null, appliedAt: null });
      try {
        const { domains } = await whitelistApi.updateWhitelist(sent);
        set({ stored: domains, draft: domains, applying: false, appliedAt: Date.now() });
        // The squid section shown is re-read; a failure there leaves the applied list as it is.
        whitelistApi.getWhitelist().then(
          (response) => set({ raw: response.raw }),
          () => undefined,
        );
        return true;
      } catch (error) {
        set({ applying: false, applyFailure: describeApplyFailure(error, sent) });
        return false;
      }
    },
  }));
}

/** The dashboard's whitelist editor state (kept while the teacher switches views, so unsaved edits survive). */
export const useWhitelistStore = createWhitelistStore(api);
