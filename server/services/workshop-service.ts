import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  ClaimRequest,
  ProjectSummary,
  Seat,
  UpdateWorkshopSettingsRequest,
  WorkshopSettings,
  WorkshopStatusResponse,
} from '../contract/index.js';
import type { EventBus } from '../events/event-bus.js';
import { ActiveClaimExistsError, normalizeEmail, type ClaimRecord, type WorkshopRepository } from '../store/index.js';
import { ServiceError } from './service-error.js';

/**
 * What the workshop needs to know about one workspace. `clonedFrom`: id of the workspace it was cloned from
 * (null or absent: not a clone); it makes that source the group's template.
 */
export type SeatProject = Pick<ProjectSummary, 'id' | 'name' | 'group' | 'status'> & { clonedFrom?: string | null };

/** What the workshop needs to know about workspaces (ProjectsService provides it, from memory). */
export interface WorkshopProjects {
  /** Every workspace with its current status, group and clone source; called on every claim, so it must be cheap. */
  briefs(): SeatProject[];
  /** Distinct non-empty groups, sorted. */
  groups(): string[];
}

/** Options of {@link WorkshopService}. */
export interface WorkshopServiceOptions {
  repository: WorkshopRepository;
  projects: WorkshopProjects;
  bus: EventBus;
  /** Group open for registration until the teacher saves settings (`WORKSHOP_GROUP`); undefined or '' for none. */
  defaultGroup?: string | undefined;
  /**
   * Server secret (at least 32 bytes, kept in the data dir) from which the participant cookie's signing key
   * is derived.
   */
  secret: Buffer;
  logger?: Logger;
  /** Clock (tests). */
  now?: () => Date;
  /**
   * Called (synchronously, after the claim key left memory) when a seat's active claim ends while we run: a
   * release by the teacher, or the workspace deleted. The server ends the seat's open connections with it
   * (`WorkspaceRouter.disconnect`), since the gate only refuses the old seat cookie on new requests.
   * Exceptions are logged, never thrown to the caller.
   */
  onSeatReleased?: (projectId: string) => void;
}

/**
 * A claim with the workspace's current name (the stored name when the workspace is gone). Still holds the
 * claim key: for the server only, never for a response.
 */
export interface ClaimView {
  claim: ClaimRecord;
  projectName: string;
}

/**
 * 409 ALREADY_CLAIMED: the e-mail already holds a seat. Carries that seat so the answer can name it (the
 * contract's `workspaceUrl`, `projectName`); the caller sets no cookie for it.
 */
export class AlreadyClaimedError extends ServiceError {
  constructor(
    readonly projectId: string,
    readonly projectName: string,
  ) {
    super('ALREADY_CLAIMED', 'This e-mail address is already registered.');
  }
}

/** State of one batch of claims: the group's free seats in natural order (listed on first need) and a cursor. */
interface ClaimBatch {
  free: SeatProject[] | null;
  next: number;
}

/** Version prefix of the participant cookie value. */
const PARTICIPANT_COOKIE_VERSION = 'p1';
/** Lifetime of the participant cookie (seconds): 7 days, a workshop week, like the seat session. */
export const PARTICIPANT_COOKIE_SECONDS = 7 * 24 * 3600;

/** Remembered natural keys (names repeat on every claim); cleared when it grows past this many names. */
const NATURAL_KEY_CACHE_LIMIT = 10_000;
const naturalKeys = new Map<string, string>();

/**
 * A key whose plain string order is the natural order of names: case and accents ignored, and every run of
 * digits compared by its number ("Seat 2" before "Seat 10", "seat 02" equal to "Seat 2" up to the tie-break).
 * Digit runs become their digit count (one character) followed by the digits without leading zeros, so
 * numbers of any length compare correctly. Cached: a claim compares every seat's name, and
 * `Intl.Collator` with `numeric` costs about ten times more per comparison.
 */
export function naturalKey(name: string): string {
  let key = naturalKeys.get(name);
  if (key !== undefined) return key;
  key = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\d+/g, (digits) => {
      const value = digits.replace(/^0+(?=\d)/, '');
      return `${String.fromCharCode(0x30 + Math.min(value.length, 0xffcf))}${value}`;
    });
  if (naturalKeys.size >= NATURAL_KEY_CACHE_LIMIT) naturalKeys.clear();
  naturalKeys.set(name, key);
  return key;
}

/** Natural order of names (see {@link naturalKey}); ids break ties, so the order is total and stable. */
function byNaturalName(a: { name: string; id: string }, b: { name: string; id: string }): number {
  const ka = naturalKey(a.name);
  const kb = naturalKey(b.name);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The rules of workshop seats (issue #4 "Workshop", behaviour.md "Workshop"):
 * - the open group (settings) is the workshop; each of its `running` workspaces is a seat, except the group's
 *   templates: a workspace that another workspace of the same group was cloned from (the teacher's prepared
 *   source; clones copy its group) is never a seat, never claimed and not counted;
 * - a claim gives the next free seat (natural name order) in one synchronous SQLite transaction, so two
 *   claims never get the same seat (and the database's partial unique indexes would refuse it anyway);
 * - a claim belongs to the group open when it was made; one active claim per e-mail (trimmed,
 *   case-insensitive) within that group: a second claim gets 409 with the first seat;
 * - a release ends a claim (kept as history with `releasedAt`); deleting a workspace releases its claim.
 * Keeps `projectId → claimKey` of active claims in memory for the router (no database call per request).
 * Publishes `workshop.changed` after every change. Errors: `ServiceError` with the contract's codes.
 */
export class WorkshopService {
  /** Claim keys of the active claims, by workspace id: the route table reads this on every proxied request. */
  private readonly keys = new Map<string, string>();
  private readonly cookieKey: Buffer;
  private cachedSettings: WorkshopSettings | null = null;
  private readonly unsubscribe: () => void;
  private changeQueued = false;
  private keyPool = Buffer.alloc(0);
  private keyPoolOffset = 0;
  /** Template ids of one group (see {@link WorkshopService.templateIds}); dropped on every workspace event. */
  private templates: { group: string; ids: ReadonlySet<string> } | null = null;
  /** Claims waiting for the next group commit (see {@link WorkshopService.claimSoon}). */
  private readonly pendingClaims: { request: ClaimRequest; resolve: (view: ClaimView) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly options: WorkshopServiceOptions) {
    if (options.secret.length < 32) throw new Error('The workshop secret must be at least 32 bytes');
    this.cookieKey = createHmac('sha256', options.secret).update('xares-participant-cookie').digest();
    for (const claim of options.repository.active()) this.keys.set(claim.projectId, claim.claimKey);
    // Claims of workspaces deleted while we were not running end now (their history stays).
    const existing = new Set(options.projects.briefs().map((p) => p.id));
    for (const projectId of [...this.keys.keys()]) if (!existing.has(projectId)) this.releaseQuietly(projectId);
    this.unsubscribe = options.bus.subscribe((event) => {
      // A workspace was created (clone), regrouped or deleted: which ones are templates may have changed.
      if (event.type === 'project.updated' || event.type === 'project.removed') this.templates = null;
      if (event.type === 'project.removed') {
        if (this.releaseQuietly(event.projectId)) {
          options.logger?.info({ projectId: event.projectId }, 'workspace deleted: its workshop claim was released');
          this.seatReleased(event.projectId);
        }
        this.changed();
      } else if (event.type === 'project.updated' && event.project.group !== null && event.project.group === this.settings().group) {
        // A seat started, stopped or was renamed: the board and the free-seat count change.
        this.changedSoon();
      }
    });
  }

  /** Stops listening to the event bus. */
  close(): void {
    this.unsubscribe();
  }

  /** The claim key of `projectId`'s active claim, or undefined (not claimed). Memory only. */
  claimKeyOf(projectId: string): string | undefined {
    return this.keys.get(projectId);
  }

  // ---------------------------------------------------------------- settings

  /**
   * The settings in force: the saved ones, else the configured default group (open when set). Without a
   * group, registration is never open.
   */
  settings(): WorkshopSettings {
    if (this.cachedSettings) return this.cachedSettings;
    const saved = this.options.repository.settings();
    let settings: WorkshopSettings;
    if (saved) settings = { group: saved.group, registrationOpen: saved.group !== null && saved.registrationOpen };
    else {
      const group = this.options.defaultGroup ? this.options.defaultGroup : null;
      settings = { group, registrationOpen: group !== null };
    }
    this.cachedSettings = settings;
    return settings;
  }

  /**
   * Changes the settings (either field or both) and saves them. `group` `''` or null closes the workshop.
   * Choosing a group while none was open opens registration unless `registrationOpen` says otherwise.
   * @throws ServiceError VALIDATION_ERROR when registration is to be opened without a group.
   */
  updateSettings(request: UpdateWorkshopSettingsRequest): WorkshopSettings {
    const current = this.settings();
    const group = request.group === undefined ? current.group : request.group === null || request.group === '' ? null : request.group;
    if (group === null && request.registrationOpen === true) {
      throw new ServiceError('VALIDATION_ERROR', 'Choose a group before opening registration', { registrationOpen: 'No group is open for registration' });
    }
    const registrationOpen = group === null ? false : (request.registrationOpen ?? (current.group === null ? true : current.registrationOpen));
    this.options.repository.saveSettings({ group, registrationOpen });
    this.cachedSettings = null;
    this.changed();
    return this.settings();
  }

  // ---------------------------------------------------------------- participants

  /**
   * Counts of the open group (all zero when none): its seats (workspaces other than templates), their active
   * claims and the free running ones.
   */
  status(): WorkshopStatusResponse {
    const settings = this.settings();
    const counts = this.counts(settings.group);
    return { ...counts, registrationOpen: settings.registrationOpen, group: settings.group };
  }

  /**
   * Claims the next free seat for a participant, in one synchronous transaction (no await between choosing
   * the seat and storing the claim). Order of the checks: the e-mail's existing claim in the open group (409,
   * even when registration has closed since), registration open (403), a free seat (503).
   * @returns the new claim and the seat's name.
   * @throws AlreadyClaimedError (409 ALREADY_CLAIMED); ServiceError REGISTRATION_CLOSED (403),
   *   NO_SEATS_AVAILABLE (503).
   */
  claim(request: ClaimRequest): ClaimView {
    const [outcome] = this.claimBatch([request]);
    if (!outcome || 'error' in outcome) throw outcome?.error;
    return outcome.view;
  }

  /**
   * {@link claim} with group commit, for the HTTP route: claims that arrive in the same turn of the event loop
   * (a room registering at once) are decided one after the other inside ONE synchronous transaction, so the
   * database commits once for all of them instead of once each (the commit is most of a claim's cost). Each
   * claim still sees the seats and e-mails taken by the ones before it; a failing claim does not affect the
   * others. Resolves or rejects exactly as {@link claim} returns or throws.
   */
  claimSoon(request: ClaimRequest): Promise<ClaimView> {
    return new Promise((resolve, reject) => {
      this.pendingClaims.push({ request, resolve, reject });
      if (this.pendingClaims.length === 1) setImmediate(() => this.flushPendingClaims());
    });
  }

  private flushPendingClaims(): void {
    const batch = this.pendingClaims.splice(0);
    const outcomes = this.claimBatch(batch.map((item) => item.request));
    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome && 'view' in outcome) item.resolve(outcome.view);
      else item.reject(outcome?.error);
    });
  }

  /**
   * Decides `requests` in order in one transaction. The claim keys of new claims enter the memory map as they
   * are decided (so later requests of the batch skip those seats) and leave it again if the commit fails.
   */
  private claimBatch(requests: ClaimRequest[]): ({ view: ClaimView } | { error: unknown })[] {
    const added: string[] = [];
    let outcomes: ({ view: ClaimView } | { error: unknown })[];
    const batch: ClaimBatch = { free: null, next: 0 };
    try {
      outcomes = this.options.repository.transaction(() =>
        requests.map((request) => {
          try {
            const view = this.claimInTransaction(request, batch);
            this.keys.set(view.claim.projectId, view.claim.claimKey);
            added.push(view.claim.projectId);
            return { view };
          } catch (error) {
            return { error };
          }
        }),
      );
    } catch (error) {
      for (const projectId of added) this.keys.delete(projectId);
      return requests.map(() => ({ error }));
    }
    let claimed = false;
    for (const outcome of outcomes) {
      if (!('view' in outcome)) continue;
      claimed = true;
      this.options.logger?.info({ projectId: outcome.view.claim.projectId, claimId: outcome.view.claim.id }, 'workshop seat claimed');
    }
    if (claimed) this.changed();
    return outcomes;
  }

  /** One claim's rules; runs inside the caller's transaction. Throws as {@link claim} does. */
  private claimInTransaction(request: ClaimRequest, batch: ClaimBatch): ClaimView {
    const emailNorm = normalizeEmail(request.email);
    const settings = this.settings();
    // Claims made while another group was open do not count: that was another workshop.
    const existing = settings.group === null ? null : this.options.repository.activeByEmail(settings.group, emailNorm);
    if (existing) {
      const view = this.view(existing);
      throw new AlreadyClaimedError(view.claim.projectId, view.projectName);
    }
    if (!settings.registrationOpen || settings.group === null) {
      throw new ServiceError('REGISTRATION_CLOSED', 'Registration is closed at the moment. Please ask the workshop leader.');
    }
    const seat = this.nextFreeSeat(settings.group, batch);
    if (!seat) throw new ServiceError('NO_SEATS_AVAILABLE', 'Sorry, no workspaces are available any more. Please ask the workshop leader.');
    try {
      const claim = this.options.repository.insert({
        projectId: seat.id,
        group: settings.group,
        projectName: seat.name,
        name: request.name.trim(),
        email: request.email.trim(),
        emailNorm,
        claimKey: this.newClaimKey(),
        claimedAt: this.now(),
      });
      return { claim, projectName: seat.name };
    } catch (error) {
      // Only reachable if memory and database disagree; the index has the last word.
      if (error instanceof ActiveClaimExistsError && error.conflict === 'email') {
        const again = this.options.repository.activeByEmail(settings.group, emailNorm);
        if (again) {
          const view = this.view(again);
          throw new AlreadyClaimedError(view.claim.projectId, view.projectName);
        }
      }
      throw error;
    }
  }

  /** The value of the participant cookie for `claim`: `p1.<claim id>.<HMAC over id and claim key>`. */
  participantCookieValue(claim: ClaimRecord): string {
    return `${PARTICIPANT_COOKIE_VERSION}.${claim.id}.${this.cookieMac(claim.id, claim.claimKey).toString('base64url')}`;
  }

  /**
   * The active claim a participant cookie value stands for, or null: malformed, forged, or its claim was
   * released (the signature covers the claim key, so a released claim's cookie is worthless).
   */
  claimFromCookie(value: string | undefined): ClaimView | null {
    if (typeof value !== 'string' || value.length > 200) return null;
    const parts = value.split('.');
    if (parts.length !== 3 || parts[0] !== PARTICIPANT_COOKIE_VERSION || !/^[1-9]\d{0,15}$/.test(parts[1] as string)) return null;
    const claim = this.options.repository.get(Number(parts[1]));
    if (!claim || claim.releasedAt !== null) return null;
    const given = Buffer.from(parts[2] as string, 'base64url');
    const expected = this.cookieMac(claim.id, claim.claimKey);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return this.view(claim);
  }

  // ---------------------------------------------------------------- admin

  /**
   * Ends the active claim of a seat; the claim stays in the history with `releasedAt`, and the seat's
   * sessions end at once (its claim key is gone from the route).
   * @returns the released claim.
   * @throws ServiceError NOT_FOUND when the seat has no active claim.
   */
  release(projectId: string): ClaimView {
    const claim = this.options.repository.activeByProject(projectId);
    if (!claim) throw new ServiceError('NOT_FOUND', `The workspace "${projectId}" has no active claim`);
    const releasedAt = this.now();
    this.options.repository.release(claim.id, releasedAt);
    this.keys.delete(projectId);
    this.options.logger?.info({ projectId, claimId: claim.id }, 'workshop seat released');
    this.seatReleased(projectId);
    this.changed();
    return this.view({ ...claim, releasedAt });
  }

  /** Active claims (oldest first) and the release history (newest first), with current workspace names. */
  claims(): { active: ClaimView[]; history: ClaimView[] } {
    const names = new Map(this.options.projects.briefs().map((project) => [project.id, project.name]));
    const view = (claim: ClaimRecord): ClaimView => ({ claim, projectName: names.get(claim.projectId) ?? claim.projectName });
    return { active: this.options.repository.active().map(view), history: this.options.repository.history().map(view) };
  }

  /**
   * Everything the dashboard's seat board shows, except the join URL (the HTTP layer knows the port): the open
   * group's templates (role `template`, never with a claim) and then its seats, and `otherClaims`, the active
   * claims no seat row shows (made for another group, or on a workspace that is a template now), oldest first.
   */
  board(): {
    settings: WorkshopSettings;
    groups: string[];
    counts: { available: number; total: number; claimed: number };
    seats: Seat[];
    otherClaims: ClaimView[];
  } {
    const settings = this.settings();
    const groups = this.options.projects.groups();
    if (settings.group !== null && !groups.includes(settings.group)) groups.push(settings.group);
    groups.sort((a, b) => a.localeCompare(b));
    const activeClaims = this.options.repository.active();
    const active = new Map(activeClaims.map((claim) => [claim.projectId, claim]));
    const templates = settings.group === null ? new Set<string>() : this.templateIds(settings.group);
    const projects = settings.group === null ? [] : this.groupProjects(settings.group);
    const rows = [...projects.filter((p) => templates.has(p.id)), ...projects.filter((p) => !templates.has(p.id))];
    const shown = new Set<string>();
    const seats: Seat[] = rows.map((project) => {
      const role = templates.has(project.id) ? 'template' : 'seat';
      const claim = role === 'seat' ? active.get(project.id) : undefined;
      if (claim) shown.add(claim.projectId);
      return {
        projectId: project.id,
        projectName: project.name,
        status: project.status,
        claim: claim ? { name: claim.name, email: claim.email, claimedAt: claim.claimedAt } : null,
        role,
      };
    });
    const names = new Map(this.options.projects.briefs().map((project) => [project.id, project.name]));
    const otherClaims = activeClaims
      .filter((claim) => !shown.has(claim.projectId))
      .map((claim) => ({ claim, projectName: names.get(claim.projectId) ?? claim.projectName }));
    return { settings, groups, counts: this.counts(settings.group), seats, otherClaims };
  }

  /**
   * The claims and their history as CSV for spreadsheets: UTF-8 with BOM, CRLF line ends, every field quoted
   * (RFC 4180), and every cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
   * tab or carriage return) prefixed with `'` (OWASP "CSV Injection"). Columns: status, group (open when the
   * claim was made), workspace id, workspace, name, e-mail, claimed at, released at.
   */
  csv(): string {
    const { active, history } = this.claims();
    const rows: string[][] = [['Status', 'Group', 'Workspace ID', 'Workspace', 'Name', 'E-mail', 'Claimed at', 'Released at']];
    for (const { claim, projectName } of [...active, ...history]) {
      rows.push([
        claim.releasedAt === null ? 'active' : 'released',
        claim.group,
        claim.projectId,
        projectName,
        claim.name,
        claim.email,
        claim.claimedAt,
        claim.releasedAt ?? '',
      ]);
    }
    return `\uFEFF${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
  }

  // ---------------------------------------------------------------- internals

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private cookieMac(id: number, claimKey: string): Buffer {
    return createHmac('sha256', this.cookieKey).update(`${PARTICIPANT_COOKIE_VERSION}\n${id}\n${claimKey}`).digest();
  }

  /** The group's workspaces in natural name order. */
  private groupProjects(group: string): SeatProject[] {
    return this.options.projects
      .briefs()
      .filter((project) => project.group === group)
      .sort(byNaturalName);
  }

  /**
   * The first running, unclaimed workspace of the group in natural name order, or undefined. The free seats
   * are listed and sorted once per batch (nothing else runs while a batch is decided); each claim of the
   * batch then takes the next one that is still free.
   */
  private nextFreeSeat(group: string, batch: ClaimBatch): SeatProject | undefined {
    if (batch.free === null) {
      const templates = this.templateIds(group);
      batch.free = this.options.projects
        .briefs()
        .filter((project) => project.group === group && project.status === 'running' && !this.keys.has(project.id) && !templates.has(project.id))
        .sort(byNaturalName);
    }
    while (batch.next < batch.free.length) {
      const seat = batch.free[batch.next] as SeatProject;
      batch.next += 1;
      if (!this.keys.has(seat.id)) return seat;
    }
    return undefined;
  }

  /**
   * A new claim key: 32 random bytes, base64url. Taken from a buffer of 64 keys' worth of CSPRNG output
   * refilled when used up (one system call per 64 claims instead of one each; the bytes are the same
   * quality). Each slice is used once.
   */
  private newClaimKey(): string {
    if (this.keyPoolOffset + 32 > this.keyPool.length) {
      this.keyPool = randomBytes(32 * 64);
      this.keyPoolOffset = 0;
    }
    const key = this.keyPool.subarray(this.keyPoolOffset, this.keyPoolOffset + 32).toString('base64url');
    this.keyPool.fill(0, this.keyPoolOffset, this.keyPoolOffset + 32);
    this.keyPoolOffset += 32;
    return key;
  }

  /**
   * Ids of `group`'s templates: workspaces of the group that another workspace of the same group was cloned
   * from. Cached until the next workspace event (creation, change of group, deletion), so claims and status
   * polls do not recompute it; one pass over the workspaces when they do.
   */
  private templateIds(group: string): ReadonlySet<string> {
    if (this.templates?.group === group) return this.templates.ids;
    const briefs = this.options.projects.briefs();
    const members = new Set<string>();
    for (const project of briefs) if (project.group === group) members.add(project.id);
    const ids = new Set<string>();
    for (const project of briefs) {
      const source = project.clonedFrom;
      if (project.group === group && source && source !== project.id && members.has(source)) ids.add(source);
    }
    this.templates = { group, ids };
    return ids;
  }

  private counts(group: string | null): { available: number; total: number; claimed: number } {
    if (group === null) return { available: 0, total: 0, claimed: 0 };
    const templates = this.templateIds(group);
    let total = 0;
    let claimed = 0;
    let available = 0;
    for (const project of this.options.projects.briefs()) {
      if (project.group !== group || templates.has(project.id)) continue;
      total += 1;
      if (this.keys.has(project.id)) claimed += 1;
      else if (project.status === 'running') available += 1;
    }
    return { available, total, claimed };
  }

  private view(claim: ClaimRecord): ClaimView {
    const project = this.options.projects.briefs().find((p) => p.id === claim.projectId);
    return { claim, projectName: project?.name ?? claim.projectName };
  }

  /** Releases the active claim of a seat without an error when there is none. @returns true when one was released. */
  private releaseQuietly(projectId: string): boolean {
    const claim = this.options.repository.activeByProject(projectId);
    this.keys.delete(projectId);
    if (!claim) return false;
    return this.options.repository.release(claim.id, this.now());
  }

  /** Runs the `onSeatReleased` option; a failing callback must not undo or fail a committed release. */
  private seatReleased(projectId: string): void {
    try {
      this.options.onSeatReleased?.(projectId);
    } catch (error) {
      this.options.logger?.error({ projectId, err: error }, 'ending the sessions of a released seat failed');
    }
  }

  private changed(): void {
    this.options.bus.publish({ type: 'workshop.changed' });
  }

  /** One `workshop.changed` for a burst of workspace updates (a clone batch starts many seats at once). */
  private changedSoon(): void {
    if (this.changeQueued) return;
    this.changeQueued = true;
    setImmediate(() => {
      this.changeQueued = false;
      this.changed();
    });
  }
}

/** One CSV field: formula-looking cells defused with a leading `'`, then quoted with inner quotes doubled. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}
