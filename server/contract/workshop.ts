import { z } from 'zod';
import { INVISIBLE_FORMAT_CHARS, ProjectId, ProjectStatus } from './projects.js';

/**
 * Workshop seats (api-reference "Workshop", behaviour.md "Workshop", issue #4). A workshop is the group of
 * workspaces that is open for registration; each of its running workspaces is a seat. Public endpoints (no
 * credential): status, claim, me, and `GET /join/enter`. Everything else needs the admin credential.
 */

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Letters and marks that show as nothing: Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the braille blank
 * U+2800 and the combining grapheme joiner U+034F. A name of them looks empty on the board.
 */
const BLANK_LOOKING_CHARS = /[\u034F\u115F\u1160\u2800\u3164\uFFA0]/u;
/** Message of a participant name with a control character. */
export const NAME_CONTROL_CHARS_MESSAGE = 'Name must not contain control characters';
/** Message of a participant name with an invisible formatting character (Cf, U+2028/U+2029). */
export const NAME_FORMAT_CHARS_MESSAGE = 'Name must not contain invisible formatting characters';
/** Message of a participant name with a blank-looking character. */
export const NAME_BLANK_CHARS_MESSAGE = 'Name must not contain characters that show as blank';
/**
 * The messages of {@link ParticipantName} that mean "contains characters that cannot be used" (the claim route
 * words them for participants as such, not as "enter your name").
 */
export const NAME_CHARACTER_MESSAGES: readonly string[] = [NAME_CONTROL_CHARS_MESSAGE, NAME_FORMAT_CHARS_MESSAGE, NAME_BLANK_CHARS_MESSAGE];
/** Most characters of a participant name (ours; the contract sets none). */
export const PARTICIPANT_NAME_MAX = 100;
/** Longest e-mail address (RFC 5321 path limit). */
export const EMAIL_MAX = 254;
/** One `@`, a local part, a domain with a dot, no spaces or further `@`. */
const EMAIL_FORM = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

/**
 * Participant name: 1–100 characters after trimming, no control characters, no invisible formatting
 * characters (Unicode Cf, U+2028/U+2029: {@link INVISIBLE_FORMAT_CHARS}), no blank-looking letters
 * ({@link BLANK_LOOKING_CHARS}); stored as given (trimmed).
 */
export const ParticipantName = z
  .string({ error: 'Name is required' })
  .trim()
  .min(1, 'Name is required')
  .max(PARTICIPANT_NAME_MAX, `Name must be at most ${PARTICIPANT_NAME_MAX} characters`)
  .refine((value) => !CONTROL_CHARS.test(value), NAME_CONTROL_CHARS_MESSAGE)
  .refine((value) => !INVISIBLE_FORMAT_CHARS.test(value), NAME_FORMAT_CHARS_MESSAGE)
  .refine((value) => !BLANK_LOOKING_CHARS.test(value), NAME_BLANK_CHARS_MESSAGE);

/**
 * Participant e-mail: trimmed, at most 254 characters, the usual `local@domain.tld` form, no invisible
 * formatting characters (a zero-width space would make a second address that looks like the first). Stored as
 * given (trimmed); compared case-insensitively (behaviour.md "Workshop").
 */
export const ParticipantEmail = z
  .string({ error: 'E-mail address is required' })
  .trim()
  .min(1, 'E-mail address is required')
  .max(EMAIL_MAX, `E-mail address must be at most ${EMAIL_MAX} characters`)
  .regex(EMAIL_FORM, 'E-mail address must look like name@example.org')
  .refine((value) => !INVISIBLE_FORMAT_CHARS.test(value), 'E-mail address must not contain invisible formatting characters');

/** `POST /api/workshop/claim` body (api-reference "Claim Workspace"). */
export const ClaimRequest = z.object({ name: ParticipantName, email: ParticipantEmail });
export type ClaimRequest = z.output<typeof ClaimRequest>;

/**
 * `GET /api/workshop/status` (public): the contract's counts plus ours: whether registration is open and
 * which group is open (null: none). `total` counts the group's seats (its workspaces except its templates, the
 * workspaces the others were cloned from), `claimed` the claimed ones, `available` the running unclaimed ones (a
 * stopped workspace is no free seat).
 */
export const WorkshopStatusResponse = z.object({
  available: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  claimed: z.number().int().nonnegative(),
  registrationOpen: z.boolean(),
  group: z.string().nullable(),
});
export type WorkshopStatusResponse = z.infer<typeof WorkshopStatusResponse>;

/**
 * 200 answer of a claim (api-reference "Claim Workspace") plus ours: `enterUrl`, a same-origin path the
 * claiming browser opens to get into its seat without typing anything (`/join/enter`). `workspaceUrl` works
 * from the participant's machine (path seat on the host the participant used, e.g.
 * `http://192.168.1.20:8080/w/<id>/`), but only for this browser or with the seat's password.
 * The response also sets the participant cookie (HttpOnly).
 */
export const ClaimResponse = z.object({
  success: z.literal(true),
  workspaceUrl: z.string(),
  projectName: z.string(),
  enterUrl: z.string(),
});
export type ClaimResponse = z.infer<typeof ClaimResponse>;

/**
 * 409 answer when the e-mail already holds a seat, or the browser does (its participant cookie stands for an
 * active claim in the open group; ours: one seat per browser): our error shape (`code: ALREADY_CLAIMED`) plus
 * the contract's `workspaceUrl` and `projectName` of that seat. It sets no cookie: knowing an e-mail address is
 * not enough to enter (issue #4).
 */
export const ClaimConflictResponse = z.object({
  success: z.literal(false),
  error: z.string(),
  code: z.literal('ALREADY_CLAIMED'),
  workspaceUrl: z.string(),
  projectName: z.string(),
});
export type ClaimConflictResponse = z.infer<typeof ClaimConflictResponse>;

/** `GET /api/workshop/me` (public, by participant cookie): this browser's active seat; 404 NOT_FOUND when none. */
export const MySeatResponse = z.object({
  success: z.literal(true),
  name: z.string(),
  projectName: z.string(),
  workspaceUrl: z.string(),
  enterUrl: z.string(),
  claimedAt: z.string(),
});
export type MySeatResponse = z.infer<typeof MySeatResponse>;

/**
 * An active claim (api-reference "List Claims") plus ours: `group`, the group that was open for registration
 * when it was made ('' for claims older than that record). Times are ISO 8601 UTC.
 */
export const Claim = z.object({
  projectId: ProjectId,
  group: z.string(),
  name: z.string(),
  email: z.string(),
  projectName: z.string(),
  workspaceUrl: z.string(),
  claimedAt: z.string(),
});
export type Claim = z.infer<typeof Claim>;

/** A released claim of the history: a {@link Claim} plus `releasedAt`. */
export const ReleasedClaim = Claim.extend({ releasedAt: z.string() });
export type ReleasedClaim = z.infer<typeof ReleasedClaim>;

/** `GET /api/workshop/claims` (admin): active claims (oldest first) and the release history (newest first). */
export const ClaimsResponse = z.object({ claims: z.array(Claim), history: z.array(ReleasedClaim) });
export type ClaimsResponse = z.infer<typeof ClaimsResponse>;

/** `POST /api/workshop/claims/:projectId/release` (admin); 404 NOT_FOUND when the seat has no active claim. */
export const ReleaseResponse = z.object({ success: z.literal(true), released: ReleasedClaim });
export type ReleaseResponse = z.infer<typeof ReleaseResponse>;

/**
 * Workshop settings (admin, `GET`/`PUT /api/workshop/settings`), kept in the database: `group` open for
 * registration (null: none; the `WORKSHOP_GROUP` environment variable is the default until the teacher
 * chooses), `registrationOpen` whether claims are accepted (default: true when a group is set).
 */
export const WorkshopSettings = z.object({ group: z.string().nullable(), registrationOpen: z.boolean() });
export type WorkshopSettings = z.infer<typeof WorkshopSettings>;

/** `PUT /api/workshop/settings` body: either field or both; `group` "" or null closes the workshop. */
export const UpdateWorkshopSettingsRequest = z
  .object({
    group: z
      .string()
      .trim()
      .max(50, 'Group must be at most 50 characters')
      .refine((value) => !CONTROL_CHARS.test(value), 'Group must not contain control characters')
      .refine((value) => !INVISIBLE_FORMAT_CHARS.test(value), 'Group must not contain invisible formatting characters')
      .nullable()
      .optional(),
    registrationOpen: z.boolean().optional(),
  })
  .strict();
export type UpdateWorkshopSettingsRequest = z.output<typeof UpdateWorkshopSettingsRequest>;

/**
 * One row of the board: a workspace of the open group, with its active claim if any. `role` (ours):
 * `template` for the group's template, the workspace the others were cloned from (it is never a seat: never
 * claimed, not counted); `seat` (also when absent) otherwise.
 */
export const Seat = z.object({
  projectId: ProjectId,
  projectName: z.string(),
  status: ProjectStatus,
  claim: z.object({ name: z.string(), email: z.string(), claimedAt: z.string() }).nullable(),
  role: z.enum(['seat', 'template']).optional(),
});
export type Seat = z.infer<typeof Seat>;

/**
 * `GET /api/workshop/board` (admin): everything the dashboard's Workshop view shows. `joinUrl` is the
 * participant page's address for other machines (configured public host, else the detected LAN address);
 * `groups` the existing groups to choose from; seats ordered by name (natural order: "Seat 2" before "Seat 10"),
 * the group's templates first. `otherClaims` (ours): active claims not shown on a seat row (made while another
 * group was open, or on a workspace that is now a template), oldest first, so the teacher can release them.
 */
export const WorkshopBoardResponse = z.object({
  success: z.literal(true),
  settings: WorkshopSettings,
  joinUrl: z.string(),
  groups: z.array(z.string()),
  counts: WorkshopStatusResponse.pick({ available: true, total: true, claimed: true }),
  seats: z.array(Seat),
  otherClaims: z.array(Claim).optional(),
});
export type WorkshopBoardResponse = z.infer<typeof WorkshopBoardResponse>;

/** `GET/PUT /api/workshop/settings` answer. */
export const WorkshopSettingsResponse = z.object({ success: z.literal(true), settings: WorkshopSettings });
export type WorkshopSettingsResponse = z.infer<typeof WorkshopSettingsResponse>;

/** Name of the participant cookie (HttpOnly, SameSite=Lax, Path=/, signed claim reference). */
export const PARTICIPANT_COOKIE = 'xares_participant';
/** Same-origin path that enters the claiming browser's seat (303 to the seat). */
export const JOIN_ENTER_PATH = '/join/enter';
