import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GroupName,
  NAME_CHARACTER_MESSAGES,
  ParticipantEmail,
  ParticipantName,
  UpdateWorkshopSettingsRequest,
  type ProjectStatus,
  type ProjectSummary,
  type ServerEvent,
} from '../../server/contract/index.js';
import { EventBus } from '../../server/events/event-bus.js';
import { ServiceError } from '../../server/services/service-error.js';
import { WORKSHOP_MESSAGES, languageFromAcceptLanguage, workshopMessage } from '../../server/services/workshop-messages.js';
import { AlreadyClaimedError, WorkshopService, csvCell, naturalKey, type WorkshopProjects } from '../../server/services/workshop-service.js';
import { ActiveClaimExistsError, openDatabase, openStore, schemaVersion, type Store } from '../../server/store/index.js';
import { MIGRATIONS } from '../../server/store/migrations.js';

/** A workspace as the workshop sees it: a summary plus the workspace it was cloned from. */
type Brief = ProjectSummary & { clonedFrom?: string | null };

function project(id: string, name: string, group: string | null, status: ProjectStatus = 'running', clonedFrom: string | null = null): Brief {
  return {
    clonedFrom,
    id,
    name,
    type: 'empty',
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    workspaceUrl: `http://${id}.localhost:8080/`,
    passwordProtected: false,
    hasGitRepo: false,
    proxyMode: 'none',
    memoryLimit: '2g',
    cpuCores: '2',
    group,
  };
}

/** Workspaces as ProjectsService would list them (memory), editable by the test. */
class FakeProjects implements WorkshopProjects {
  constructor(public items: Brief[]) {}
  briefs(): Brief[] {
    return this.items;
  }
  groups(): string[] {
    return [...new Set(this.items.map((p) => p.group).filter((g): g is string => g !== null))].sort();
  }
}

function expectServiceError(fn: () => unknown, code: string): ServiceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(code);
    return error as ServiceError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('WorkshopService (real SQLite file)', () => {
  let dataDir: string;
  let store: Store;
  let bus: EventBus;
  let events: ServerEvent[];
  let projects: FakeProjects;
  const secret = randomBytes(32);
  const services: WorkshopService[] = [];

  /** `defaultGroup` null: no `WORKSHOP_GROUP` configured. */
  function service(defaultGroup: string | null = 'room-1'): WorkshopService {
    const created = new WorkshopService({ repository: store.workshop, projects, bus, defaultGroup: defaultGroup ?? undefined, secret });
    services.push(created);
    return created;
  }

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'xares-workshop-unit-'));
    store = openStore(dataDir);
    bus = new EventBus();
    events = [];
    bus.subscribe((event) => events.push(event));
    projects = new FakeProjects([
      project('aaaaaaaaaaaa', 'Seat 10', 'room-1'),
      project('bbbbbbbbbbbb', 'Seat 2', 'room-1'),
      project('cccccccccccc', 'Seat 1', 'room-1', 'stopped'),
      project('dddddddddddd', 'Other 1', 'room-2'),
      project('eeeeeeeeeeee', 'Seat 3', 'room-1', 'creating'),
    ]);
  });

  afterEach(() => {
    for (const created of services.splice(0)) created.close();
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates to v4 with partial unique indexes on the active seat and on the e-mail within a group', () => {
    expect(schemaVersion(store.db)).toBeGreaterThanOrEqual(4);
    const base = { group: 'room-1', projectName: 'Seat 2', name: 'A', email: 'a@example.org', emailNorm: 'a@example.org', claimKey: 'k', claimedAt: '2026-01-01T00:00:00.000Z' };
    const first = store.workshop.insert({ ...base, projectId: 'bbbbbbbbbbbb' });
    expect(() => store.workshop.insert({ ...base, projectId: 'aaaaaaaaaaaa' })).toThrow(ActiveClaimExistsError);
    expect(() => store.workshop.insert({ ...base, projectId: 'bbbbbbbbbbbb', email: 'b@example.org', emailNorm: 'b@example.org' })).toThrow(ActiveClaimExistsError);
    // Once released, both the seat and the e-mail can be claimed again; the old row stays.
    expect(store.workshop.release(first.id, '2026-01-01T01:00:00.000Z')).toBe(true);
    store.workshop.insert({ ...base, projectId: 'bbbbbbbbbbbb' });
    expect(store.workshop.active()).toHaveLength(1);
    expect(store.workshop.history()).toHaveLength(1);
    // The same e-mail may hold one seat per group, never two in one group.
    const other = store.workshop.insert({ ...base, group: 'room-2', projectId: 'dddddddddddd' });
    expect(other).toMatchObject({ group: 'room-2', releasedAt: null });
    expect(() => store.workshop.insert({ ...base, group: 'room-2', projectId: 'aaaaaaaaaaaa' })).toThrow(ActiveClaimExistsError);
    expect(store.workshop.activeByEmail('room-2', 'a@example.org')?.projectId).toBe('dddddddddddd');
    expect(store.workshop.activeByEmail('room-3', 'a@example.org')).toBeNull();
  });

  it('v4 keeps v3 claims: they get the group saved in the settings then; clone sources are stored', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xares-workshop-v3-'));
    try {
      // A v3 database with saved settings and one active claim, reopened by the current code (migrates to v4).
      const v3 = openDatabase(dir, MIGRATIONS.filter((m) => m.version <= 3));
      expect(schemaVersion(v3)).toBe(3);
      v3.prepare("INSERT INTO workshop_settings (id, group_name, registration_open) VALUES (1, 'monday', 1)").run();
      v3.prepare(
        "INSERT INTO workshop_claims (project_id, project_name, name, email, email_norm, claim_key, claimed_at) VALUES ('aaaaaaaaaaaa', 'Seat 1', 'A', 'a@x.org', 'a@x.org', 'k', '2026-01-01T00:00:00.000Z')",
      ).run();
      v3.close();
      const migrated = openStore(dir);
      const db = migrated.db;
      expect(schemaVersion(db)).toBeGreaterThanOrEqual(4);
      expect(migrated.workshop.active()).toMatchObject([{ projectId: 'aaaaaaaaaaaa', group: 'monday' }]);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'workshop_claims_active%' ORDER BY name").all()).toEqual([
        { name: 'workshop_claims_active_group_email' },
        { name: 'workshop_claims_active_project' },
      ]);
      expect(db.prepare("SELECT name FROM pragma_table_info('projects') WHERE name = 'cloned_from'").get()).toEqual({ name: 'cloned_from' });
      migrated.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The repository stores and reads the clone source.
    const record = { id: 'ffffffffffff', name: 'Copy', type: 'empty', status: 'stopped', statusReason: null, createdAt: '2026-01-01T00:00:00.000Z', lastActivity: null, passwordHash: null, proxyMode: 'none', memoryLimit: '2g', cpuCores: '2', group: 'g', createGitRepo: false, gitRepoUrl: null, containerId: null, image: 'i' } as const;
    store.projects.insert({ ...record, clonedFrom: 'aaaaaaaaaaaa' });
    store.projects.insert({ ...record, id: 'eeeeeeeeeeee', name: 'Plain' });
    expect(store.projects.get('ffffffffffff')?.clonedFrom).toBe('aaaaaaaaaaaa');
    expect(store.projects.get('eeeeeeeeeeee')?.clonedFrom).toBeNull();
  });

  it('never gives out the group template (the clones\' source in the same group), nor counts it', () => {
    // "Seat 1" is the teacher's prepared source; "Seat 1 (2)" … are its clones (same group, as cloning does).
    projects.items = [
      project('tttttttttttt', 'Seat 1', 'room-1'),
      project('aaaaaaaaaaaa', 'Seat 1 (2)', 'room-1', 'running', 'tttttttttttt'),
      project('bbbbbbbbbbbb', 'Seat 1 (3)', 'room-1', 'running', 'tttttttttttt'),
      // A clone into another group does not make its source a template there or here.
      project('dddddddddddd', 'Other 1', 'room-2', 'running', 'cccccccccccc'),
      project('cccccccccccc', 'Other source', 'room-3'),
    ];
    const workshop = service();
    expect(workshop.status()).toMatchObject({ available: 2, total: 2, claimed: 0 });
    expect(workshop.claim({ name: 'A', email: 'a@example.org' }).claim.projectId).toBe('aaaaaaaaaaaa');
    expect(workshop.claim({ name: 'B', email: 'b@example.org' }).claim.projectId).toBe('bbbbbbbbbbbb');
    expectServiceError(() => workshop.claim({ name: 'C', email: 'c@example.org' }), 'NO_SEATS_AVAILABLE');
    expect(workshop.claimKeyOf('tttttttttttt')).toBeUndefined();
    expect(workshop.status()).toMatchObject({ available: 0, total: 2, claimed: 2 });
    const board = workshop.board();
    expect(board.seats.map((s) => [s.projectName, s.role])).toEqual([
      ['Seat 1', 'template'],
      ['Seat 1 (2)', 'seat'],
      ['Seat 1 (3)', 'seat'],
    ]);
    expect(board.seats[0]?.claim).toBeNull();
    expect(board.counts).toEqual({ available: 0, total: 2, claimed: 2 });

    // Another group whose source lives elsewhere: every workspace is a seat.
    workshop.updateSettings({ group: 'room-2' });
    expect(workshop.status()).toMatchObject({ available: 1, total: 1 });
    expect(workshop.board().seats.map((s) => s.role)).toEqual(['seat']);

    // The cache follows workspace events: the clones leave the group, so the source is a seat again.
    workshop.updateSettings({ group: 'room-1' });
    for (const id of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb']) {
      workshop.release(id);
      const moved = projects.items.find((p) => p.id === id) as Brief;
      moved.group = 'room-9';
      bus.publish({ type: 'project.updated', project: moved });
    }
    expect(workshop.status()).toMatchObject({ available: 1, total: 1 });
    expect(workshop.claim({ name: 'T', email: 't@example.org' }).claim.projectId).toBe('tttttttttttt');
  });

  it('claims of another group: no 409 in the open group, listed apart on the board, releasable, in the CSV with their group', () => {
    const workshop = service();
    const monday = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    expect(monday.claim.group).toBe('room-1');
    workshop.updateSettings({ group: 'room-2' });
    // The same e-mail may join the new group; in it, a second claim is 409 again.
    const tuesday = workshop.claim({ name: 'Ada', email: 'ADA@example.org' });
    expect(tuesday.claim).toMatchObject({ projectId: 'dddddddddddd', group: 'room-2' });
    expect(() => workshop.claim({ name: 'Ada', email: 'ada@example.org' })).toThrow(AlreadyClaimedError);
    const board = workshop.board();
    expect(board.seats.map((s) => s.claim?.email)).toEqual(['ADA@example.org']);
    expect(board.otherClaims.map((v) => [v.claim.projectId, v.claim.group, v.projectName])).toEqual([['bbbbbbbbbbbb', 'room-1', 'Seat 2']]);
    expect(workshop.claims().active.map((v) => v.claim.group)).toEqual(['room-1', 'room-2']);
    const csv = workshop.csv();
    expect(csv.split('\r\n')[0]).toBe('\uFEFF"Status","Group","Workspace ID","Workspace","Name","E-mail","Claimed at","Released at"');
    expect(csv).toContain('"active","room-1","bbbbbbbbbbbb","Seat 2","Ada","ada@example.org"');
    workshop.release('bbbbbbbbbbbb');
    expect(workshop.board().otherClaims).toEqual([]);
    // Back in the first group, the e-mail is free there now.
    workshop.updateSettings({ group: 'room-1' });
    expect(workshop.claim({ name: 'Ada', email: 'ada@example.org' }).claim.group).toBe('room-1');
  });

  it('participant names refuse invisible format characters (Unicode Cf)', () => {
    for (const bad of ['Ad\u200Ba', '\u202Egnp.exe', 'A\u2066B', 'A\uFEFFda', 'A\u00ADda', 'Ada\u200D']) {
      const result = ParticipantName.safeParse(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('Name must not contain invisible formatting characters');
    }
    for (const good of ['Ada Lovelace', 'Jürgen Ößwald', 'محمد', '李小龙', 'Zoë 😀']) expect(ParticipantName.safeParse(good).success, good).toBe(true);
  });

  it('participant names refuse U+2028/U+2029 and blank-looking letters; the claim route calls them characters that cannot be used', () => {
    for (const [bad, message] of [
      ['Ada\u2028Lovelace', 'Name must not contain invisible formatting characters'],
      ['Ada\u2029Lovelace', 'Name must not contain invisible formatting characters'],
      ['\u3164', 'Name must not contain characters that show as blank'],
      ['A\u115Fda', 'Name must not contain characters that show as blank'],
      ['\u1160\u1160', 'Name must not contain characters that show as blank'],
      ['\u2800', 'Name must not contain characters that show as blank'],
      ['A\u034Fda', 'Name must not contain characters that show as blank'],
    ] as const) {
      const result = ParticipantName.safeParse(bad);
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.message, JSON.stringify(bad)).toBe(message);
      expect(NAME_CHARACTER_MESSAGES).toContain(message);
    }
    expect(NAME_CHARACTER_MESSAGES).toContain('Name must not contain control characters');
    expect(NAME_CHARACTER_MESSAGES).not.toContain(ParticipantName.safeParse('').error?.issues[0]?.message);
    expect(WORKSHOP_MESSAGES.en.nameCharacters).toMatch(/contains characters that cannot be used/);
    expect(WORKSHOP_MESSAGES.de.nameCharacters).toMatch(/enthält Zeichen, die nicht verwendet werden können/);
    // Korean names with real jamo and braille-free text stay fine.
    for (const good of ['한국어', 'Ada Lovelace', 'Anne-Marie O\'Neil']) expect(ParticipantName.safeParse(good).success, good).toBe(true);
  });

  it('e-mail addresses and group names refuse invisible formatting characters (Cf, U+2028/U+2029)', () => {
    for (const bad of ['ada\u200B@example.org', 'ada@exa\u202Emple.org', 'ad\u2060a@example.org', 'a\uFEFFda@example.org']) {
      expect(ParticipantEmail.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(ParticipantEmail.safeParse('Ada@Example.org').success).toBe(true);
    for (const bad of ['room\u200B1', '\u202Eroom', 'room\u20281', 'room\u20291', 'ro\u00ADom']) {
      expect(GroupName.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
      expect(GroupName.safeParse(bad).error?.issues[0]?.message).toBe('Group must not contain invisible formatting characters');
      expect(UpdateWorkshopSettingsRequest.safeParse({ group: bad }).success, JSON.stringify(bad)).toBe(false);
    }
    for (const good of ['room 1', 'Raum ü', '教室']) {
      expect(GroupName.safeParse(good).success, good).toBe(true);
      expect(UpdateWorkshopSettingsRequest.safeParse({ group: good }).success, good).toBe(true);
    }
  });

  it('gives the next running, unclaimed seat of the open group in natural name order', () => {
    const workshop = service();
    expect(workshop.status()).toEqual({ available: 2, total: 4, claimed: 0, registrationOpen: true, group: 'room-1' });
    const first = workshop.claim({ name: '  Ada  ', email: 'ada@example.org' });
    expect(first.projectName).toBe('Seat 2');
    expect(first.claim).toMatchObject({ projectId: 'bbbbbbbbbbbb', name: 'Ada', email: 'ada@example.org' });
    expect(workshop.claimKeyOf('bbbbbbbbbbbb')).toBe(first.claim.claimKey);
    expect(first.claim.claimKey.length).toBeGreaterThanOrEqual(43);
    const second = workshop.claim({ name: 'Bob', email: 'bob@example.org' });
    expect(second.projectName).toBe('Seat 10');
    // Stopped, creating and other groups' workspaces are no seats.
    expectServiceError(() => workshop.claim({ name: 'Cy', email: 'cy@example.org' }), 'NO_SEATS_AVAILABLE');
    expect(workshop.status()).toEqual({ available: 0, total: 4, claimed: 2, registrationOpen: true, group: 'room-1' });
    expect(events.filter((e) => e.type === 'workshop.changed')).toHaveLength(2);
  });

  it('treats the e-mail case-insensitively and trimmed: the same person gets their seat back with 409', () => {
    const workshop = service();
    const first = workshop.claim({ name: 'Max', email: 'Max.Mustermann@Example.org' });
    const again = (() => {
      try {
        workshop.claim({ name: 'Someone else', email: '  max.mustermann@EXAMPLE.ORG ' });
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(again).toBeInstanceOf(AlreadyClaimedError);
    expect(again).toMatchObject({ code: 'ALREADY_CLAIMED', status: 409, projectId: first.claim.projectId, projectName: 'Seat 2' });
    expect(store.workshop.active()).toHaveLength(1);
    // Stored as given (trimmed), compared normalized.
    expect(store.workshop.active()[0]).toMatchObject({ email: 'Max.Mustermann@Example.org', emailNorm: 'max.mustermann@example.org' });
    // Even once registration has closed, the same e-mail still learns its seat.
    workshop.updateSettings({ registrationOpen: false });
    expect(() => workshop.claim({ name: 'Max', email: 'MAX.MUSTERMANN@example.org' })).toThrow(AlreadyClaimedError);
  });

  it('group commit: claims of one event-loop turn share a transaction and still never share a seat or an e-mail', async () => {
    projects.items = Array.from({ length: 5 }, (_, i) => project(`seat${String(i).padStart(8, '0')}`, `Seat ${i + 1}`, 'room-1'));
    const workshop = service();
    const requests = [
      ...Array.from({ length: 8 }, (_, i) => ({ name: `P${i}`, email: `p${i}@example.org` })),
      { name: 'Twice', email: 'P0@EXAMPLE.org' },
    ];
    events.length = 0;
    const outcomes = await Promise.allSettled(requests.map((request) => workshop.claimSoon(request)));
    const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<WorkshopService['claimSoon']>>> => o.status === 'fulfilled');
    expect(won.map((o) => o.value.projectName)).toEqual(['Seat 1', 'Seat 2', 'Seat 3', 'Seat 4', 'Seat 5']);
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => (o.reason as ServiceError).code);
    expect(lost).toEqual(['NO_SEATS_AVAILABLE', 'NO_SEATS_AVAILABLE', 'NO_SEATS_AVAILABLE', 'ALREADY_CLAIMED']);
    expect(store.workshop.active()).toHaveLength(5);
    expect(new Set(store.workshop.active().map((c) => c.projectId)).size).toBe(5);
    for (const { value } of won) expect(workshop.claimKeyOf(value.claim.projectId)).toBe(value.claim.claimKey);
    // One event for the whole batch.
    expect(events.filter((e) => e.type === 'workshop.changed')).toHaveLength(1);
  });

  it('refuses claims while registration is closed or no group is open', () => {
    const none = service(null);
    expect(none.settings()).toEqual({ group: null, registrationOpen: false });
    expect(none.status()).toEqual({ available: 0, total: 0, claimed: 0, registrationOpen: false, group: null });
    expectServiceError(() => none.claim({ name: 'A', email: 'a@example.org' }), 'REGISTRATION_CLOSED');
    // Choosing a group opens registration unless told otherwise.
    expect(none.updateSettings({ group: 'room-2' })).toEqual({ group: 'room-2', registrationOpen: true });
    expect(none.claim({ name: 'A', email: 'a@example.org' }).projectName).toBe('Other 1');
    expect(none.updateSettings({ registrationOpen: false })).toEqual({ group: 'room-2', registrationOpen: false });
    expectServiceError(() => none.claim({ name: 'B', email: 'b@example.org' }), 'REGISTRATION_CLOSED');
    expect(none.updateSettings({ group: 'room-1' })).toEqual({ group: 'room-1', registrationOpen: false });
    expect(none.updateSettings({ group: '' })).toEqual({ group: null, registrationOpen: false });
    expectServiceError(() => none.updateSettings({ registrationOpen: true }), 'VALIDATION_ERROR');
    expect(none.updateSettings({ group: 'room-1', registrationOpen: true })).toEqual({ group: 'room-1', registrationOpen: true });
  });

  it('saved settings win over the configured default group, across restarts', () => {
    const workshop = service('room-1');
    workshop.updateSettings({ group: 'room-2', registrationOpen: false });
    workshop.close();
    store.close();
    store = openStore(dataDir);
    expect(service('room-1').settings()).toEqual({ group: 'room-2', registrationOpen: false });
  });

  it('releases a seat into the history and frees it; 404 when the seat has no active claim', () => {
    const workshop = service();
    const first = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    const cookie = workshop.participantCookieValue(first.claim);
    expect(workshop.claimFromCookie(cookie)?.claim.id).toBe(first.claim.id);
    const released = workshop.release('bbbbbbbbbbbb');
    expect(released.claim.releasedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(workshop.claimKeyOf('bbbbbbbbbbbb')).toBeUndefined();
    // The released claim's cookie is worthless now.
    expect(workshop.claimFromCookie(cookie)).toBeNull();
    expectServiceError(() => workshop.release('bbbbbbbbbbbb'), 'NOT_FOUND');
    expectServiceError(() => workshop.release('nonexistent0'), 'NOT_FOUND');
    // The seat is free for the next participant, and the same e-mail may claim again.
    const next = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    expect(next.claim.projectId).toBe('bbbbbbbbbbbb');
    expect(next.claim.claimKey).not.toBe(first.claim.claimKey);
    const { active, history } = workshop.claims();
    expect(active.map((v) => v.claim.id)).toEqual([next.claim.id]);
    expect(history).toHaveLength(1);
    expect(history[0]?.claim).toMatchObject({ id: first.claim.id, name: 'Ada', projectId: 'bbbbbbbbbbbb' });
  });

  it('keeps claims, keys and cookies across a restart (store reopened)', () => {
    const workshop = service();
    const first = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    workshop.claim({ name: 'Bob', email: 'bob@example.org' });
    workshop.release('aaaaaaaaaaaa');
    const cookie = workshop.participantCookieValue(first.claim);
    workshop.close();
    store.close();

    store = openStore(dataDir);
    const reopened = service();
    expect(reopened.claimKeyOf('bbbbbbbbbbbb')).toBe(first.claim.claimKey);
    expect(reopened.claimKeyOf('aaaaaaaaaaaa')).toBeUndefined();
    expect(reopened.claims().active.map((v) => v.claim.email)).toEqual(['ada@example.org']);
    expect(reopened.claims().history.map((v) => v.claim.email)).toEqual(['bob@example.org']);
    expect(reopened.claimFromCookie(cookie)?.claim.name).toBe('Ada');
    expect(() => reopened.claim({ name: 'Ada', email: 'ADA@example.org' })).toThrow(AlreadyClaimedError);
  });

  it('refuses forged, tampered and malformed participant cookies', () => {
    const workshop = service();
    const { claim } = workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    const good = workshop.participantCookieValue(claim);
    const [version, id, mac] = good.split('.') as [string, string, string];
    expect(workshop.claimFromCookie(good)).not.toBeNull();
    for (const bad of [
      undefined,
      '',
      'garbage',
      `${version}.${id}`,
      `${version}.${Number(id) + 1}.${mac}`,
      `${version}.${id}.${mac.slice(0, -2)}AA`,
      `p2.${id}.${mac}`,
      `${version}.0${id}.${mac}`,
      `${version}.${id}.${mac}.x`,
    ]) {
      expect(workshop.claimFromCookie(bad)).toBeNull();
    }
    // Another server secret: the same cookie is not valid.
    const other = new WorkshopService({ repository: store.workshop, projects, bus, defaultGroup: 'room-1', secret: randomBytes(32) });
    services.push(other);
    expect(other.claimFromCookie(good)).toBeNull();
  });

  it('releases the claim of a deleted workspace (event, or gone while stopped) and keeps it in the history', () => {
    const workshop = service();
    workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    workshop.claim({ name: 'Bob', email: 'bob@example.org' });
    projects.items = projects.items.filter((p) => p.id !== 'bbbbbbbbbbbb');
    bus.publish({ type: 'project.removed', projectId: 'bbbbbbbbbbbb' });
    expect(workshop.claimKeyOf('bbbbbbbbbbbb')).toBeUndefined();
    expect(workshop.claims().history[0]?.projectName).toBe('Seat 2');
    expect(workshop.claims().active).toHaveLength(1);

    // Deleted while the server was down: released at the next start.
    workshop.close();
    projects.items = projects.items.filter((p) => p.id !== 'aaaaaaaaaaaa');
    const restarted = service();
    expect(restarted.claims().active).toHaveLength(0);
    expect(restarted.claims().history.map((v) => v.projectName).sort()).toEqual(['Seat 10', 'Seat 2']);
  });

  it('builds the board of the open group with claims, counts and groups', () => {
    const workshop = service();
    workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    const board = workshop.board();
    expect(board.settings).toEqual({ group: 'room-1', registrationOpen: true });
    expect(board.groups).toEqual(['room-1', 'room-2']);
    expect(board.counts).toEqual({ available: 1, total: 4, claimed: 1 });
    expect(board.seats.map((s) => s.projectName)).toEqual(['Seat 1', 'Seat 2', 'Seat 3', 'Seat 10']);
    expect(board.seats[1]?.claim).toMatchObject({ name: 'Ada', email: 'ada@example.org' });
    expect(board.seats[0]).toMatchObject({ status: 'stopped', claim: null });
    workshop.updateSettings({ group: 'new-room' });
    expect(workshop.board().groups).toEqual(['new-room', 'room-1', 'room-2']);
    expect(workshop.board().seats).toEqual([]);
  });

  it('exports claims and history as CSV safe against formula injection', () => {
    const workshop = service();
    projects.items.push(project('ffffffffffff', '=HYPERLINK("http://evil")', 'room-1'));
    const nasty = [
      { name: '=1+1', email: 'a@example.org' },
      { name: '+SUM(A1)', email: 'b@example.org' },
      { name: '-2+3', email: 'c@example.org' },
    ];
    for (const participant of nasty) workshop.claim(participant);
    workshop.release('aaaaaaaaaaaa');
    workshop.claim({ name: '@cmd|"/c calc"!A1', email: '@x@example.org' });
    const csv = workshop.csv();
    expect(csv.startsWith('\uFEFF"Status","Group","Workspace ID","Workspace","Name","E-mail","Claimed at","Released at"\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain(`"'=1+1"`);
    expect(csv).toContain(`"'+SUM(A1)"`);
    expect(csv).toContain(`"'-2+3"`);
    expect(csv).toContain(`"'@cmd|""/c calc""!A1"`);
    expect(csv).toContain(`"'@x@example.org"`);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).toContain('"released"');
    // Every cell is quoted, so no cell starts with a formula character outside quotes.
    const lines = csv.slice(1).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^"[^=+\-@\t\r]/);

    expect(csvCell('\tx')).toBe(`"'\tx"`);
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('a,b\nc')).toBe('"a,b\nc"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('Müller')).toBe('"Müller"');
    expect(csvCell('')).toBe('""');
  });

  it('publishes workshop.changed on settings, claims, releases and seat updates of the open group', async () => {
    const workshop = service();
    events.length = 0;
    workshop.updateSettings({ registrationOpen: true });
    workshop.claim({ name: 'Ada', email: 'ada@example.org' });
    workshop.release('bbbbbbbbbbbb');
    expect(events.filter((e) => e.type === 'workshop.changed')).toHaveLength(3);
    events.length = 0;
    // A burst of updates of the group's workspaces becomes one event.
    for (const id of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc']) {
      bus.publish({ type: 'project.updated', project: projects.items.find((p) => p.id === id) as ProjectSummary });
    }
    bus.publish({ type: 'project.updated', project: projects.items.find((p) => p.id === 'dddddddddddd') as ProjectSummary });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.filter((e) => e.type === 'workshop.changed')).toHaveLength(1);
  });
});

describe('natural name order', () => {
  it('orders numbers by value, ignores case and accents', () => {
    const names = ['Seat 10', 'seat 9', 'Seat 1', 'Seat 100', 'Seat 2', 'Seat 02b', 'Ärger 1', 'Apfel 3', 'Seat 12345678901234567890', 'Seat 99999', 'Raum 2 Platz 10', 'Raum 2 Platz 9'];
    const sorted = [...names].sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : naturalKey(a) > naturalKey(b) ? 1 : 0));
    expect(sorted).toEqual(['Apfel 3', 'Ärger 1', 'Raum 2 Platz 9', 'Raum 2 Platz 10', 'Seat 1', 'Seat 2', 'Seat 02b', 'seat 9', 'Seat 10', 'Seat 100', 'Seat 99999', 'Seat 12345678901234567890']);
    // Same order as a numeric, accent- and case-insensitive collator for these names.
    const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    expect([...names].sort(collator.compare)).toEqual(sorted);
  });
});

describe('workshop messages', () => {
  it('has the contract German texts for "already registered" and "no seats"', () => {
    expect(workshopMessage('alreadyClaimed', 'de')).toBe('Diese E-Mail-Adresse ist bereits registriert.');
    expect(workshopMessage('noSeatsAvailable', 'de')).toBe('Leider sind keine Workspaces mehr verfügbar. Bitte wenden Sie sich an den Workshop-Leiter.');
    expect(workshopMessage('noSeatsAvailable', 'en')).toMatch(/no workspaces are available/);
  });

  it('has every message in both languages, and they differ', () => {
    const keys = Object.keys(WORKSHOP_MESSAGES.en).sort();
    expect(Object.keys(WORKSHOP_MESSAGES.de).sort()).toEqual(keys);
    for (const key of keys as (keyof typeof WORKSHOP_MESSAGES.en)[]) {
      expect(WORKSHOP_MESSAGES.de[key]).not.toBe(WORKSHOP_MESSAGES.en[key]);
      expect(WORKSHOP_MESSAGES.de[key].length).toBeGreaterThan(10);
    }
  });

  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['de-DE,de;q=0.9,en;q=0.8', 'de'],
    ['de-AT', 'de'],
    ['en-US,en;q=0.9,de;q=0.8', 'en'],
    ['en;q=0.5, de;q=0.8', 'de'],
    ['fr-FR, de;q=0.7, en;q=0.5', 'de'],
    ['fr-FR, en;q=0.7, de;q=0.5', 'en'],
    ['fr, it', 'en'],
    ['de;q=0, en', 'en'],
    ['*', 'en'],
    ['DE', 'de'],
    ['deu', 'en'],
    [';;;,,,q=1', 'en'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(languageFromAcceptLanguage(header)).toBe(expected);
  });
});
