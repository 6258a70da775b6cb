import { z } from 'zod';

/** Template types (api-reference "Create Project"). */
export const ProjectType = z.enum(['empty', 'python-flask', 'nodejs-react', 'java-spring']);
export type ProjectType = z.infer<typeof ProjectType>;

/** Network proxy mode of a workspace (api-reference "Create Project", `proxyMode`). */
export const ProxyMode = z.enum(['none', 'logging', 'security']);
export type ProxyMode = z.infer<typeof ProxyMode>;

/** Allowed memory limits (behaviour.md "Resource limits"); `2g` is the contract's default. */
export const MemoryLimit = z.enum(['1g', '2g', '4g', '8g', '16g']);
export type MemoryLimit = z.infer<typeof MemoryLimit>;

/** Allowed CPU core counts as strings (behaviour.md); `2` is the contract's default. */
export const CpuCores = z.enum(['1', '2', '4', '8']);
export type CpuCores = z.infer<typeof CpuCores>;

/** Workspace life-cycle status (api-reference "Status Values"). */
export const ProjectStatus = z.enum(['creating', 'running', 'stopped', 'error']);
export type ProjectStatus = z.infer<typeof ProjectStatus>;

/** Project id: 12 lowercase letters/digits, so it is a valid DNS label inside `<id>.<baseDomain>`. */
export const ProjectId = z.string().regex(/^[a-z0-9]{12}$/, 'Project id must be 12 lowercase letters or digits');
export type ProjectId = z.infer<typeof ProjectId>;

/** Megabytes of each memory limit choice (1024-based). */
export const MEMORY_LIMIT_MB: Record<MemoryLimit, number> = { '1g': 1024, '2g': 2048, '4g': 4096, '8g': 8192, '16g': 16384 };

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Invisible formatting characters: Unicode category Cf (zero-width spaces and joiners, bidi overrides such as
 * U+202E) and the line/paragraph separators U+2028/U+2029. In a label they make one look like another, reverse
 * the text around it, or break lines where none should be.
 */
export const INVISIBLE_FORMAT_CHARS = /[\p{Cf}\u2028\u2029]/u;

/**
 * Project name on create: 3–50 characters after trimming (api-reference "Validation Errors"), letters, digits,
 * spaces, dots, hyphens and underscores, starting with a letter or digit. Spaces are allowed because clone
 * names have the form `<source> <n>`.
 */
export const ProjectName = z
  .string({ error: (issue) => (issue.input === undefined ? 'Project name is required' : 'Project name must be text (a JSON string)') })
  .trim()
  .min(3, 'Project name must be 3-50 characters')
  .max(50, 'Project name must be 3-50 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, 'Project name may contain letters, digits, spaces, dots, hyphens and underscores');

/** Workspace password: 8–50 characters, no control characters (behaviour.md "Password"). */
export const WorkspacePassword = z
  .string({ error: 'Password must be a string' })
  .min(8, 'Password must be at least 8 characters')
  .max(50, 'Password must be at most 50 characters')
  .refine((value) => !CONTROL_CHARS.test(value), 'Password must not contain control characters');

/**
 * Group name: 1–50 printable characters, trimmed, no control or invisible formatting characters
 * ({@link INVISIBLE_FORMAT_CHARS}); empty string means "no group".
 */
export const GroupName = z
  .string()
  .trim()
  .max(50, 'Group must be at most 50 characters')
  .refine((value) => !CONTROL_CHARS.test(value), 'Group must not contain control characters')
  .refine((value) => !INVISIBLE_FORMAT_CHARS.test(value), 'Group must not contain invisible formatting characters');

/**
 * `POST /api/projects/create` body (api-reference "Create Project"). `password` is required when
 * `passwordProtected` is true and refused (VALIDATION_ERROR, via the issue's `params.errorCode`) when it is not.
 */
export const CreateProjectRequest = z
  .object({
    projectName: ProjectName,
    projectType: ProjectType,
    passwordProtected: z.boolean().optional().default(false),
    password: WorkspacePassword.optional(),
    createGitRepo: z.boolean().optional().default(false),
    proxyMode: ProxyMode.optional().default('none'),
    memoryLimit: MemoryLimit.optional().default('2g'),
    cpuCores: CpuCores.optional().default('2'),
    group: GroupName.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.passwordProtected && value.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'Password is required when passwordProtected is true' });
    }
    if (!value.passwordProtected && value.password !== undefined) {
      // A password on an unprotected workspace would be dropped silently; refuse it instead. The password
      // itself is fine, the combination is not: VALIDATION_ERROR rather than INVALID_PASSWORD.
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'Set passwordProtected to true to protect the workspace with this password (or leave the password out)',
        params: { errorCode: 'VALIDATION_ERROR' },
      });
    }
  });
/** Parsed create request (defaults applied). */
export type CreateProjectRequest = z.output<typeof CreateProjectRequest>;
/** Create request as a client writes it (defaults optional). */
export type CreateProjectInput = z.input<typeof CreateProjectRequest>;

/** Body of `stop` and `DELETE` for protected workspaces (api-reference "Password-Protected Operations"). */
export const WorkspacePasswordBody = z.object({ password: z.string().max(200).optional() }).default({});
export type WorkspacePasswordBody = z.infer<typeof WorkspacePasswordBody>;

/**
 * Phase of a clone that is still `creating` (ours, for progress bars; absent on every other workspace):
 * `snapshot` waiting for the source's snapshot, `creating` its container is being made, `starting` its
 * container runs and code-server is not answering yet. Gone once the clone is `running` or `error`.
 */
export const CloneProgress = z.enum(['snapshot', 'creating', 'starting']);
export type CloneProgress = z.infer<typeof CloneProgress>;

/** One row of `GET /api/projects/` (api-reference "List All Projects"), plus our settings fields. */
export const ProjectSummary = z.object({
  id: ProjectId,
  name: z.string(),
  type: ProjectType,
  status: ProjectStatus,
  /** Why the workspace is in `error` (or what it is doing while `creating`); absent otherwise. */
  statusReason: z.string().optional(),
  createdAt: z.string(),
  lastActivity: z.string().optional(),
  workspaceUrl: z.string(),
  passwordProtected: z.boolean(),
  hasGitRepo: z.boolean(),
  gitRepoUrl: z.string().optional(),
  /** Ours (issue #7): the branch the workspace's repository is checked out on (`main`, or `clone/<name>` for clones). */
  gitBranch: z.string().optional(),
  /** Ours (issue #7): why the workspace's git set-up (first push, clone branch) failed; absent when it worked. */
  gitError: z.string().optional(),
  proxyMode: ProxyMode,
  memoryLimit: MemoryLimit,
  cpuCores: CpuCores,
  group: z.string().nullable(),
  /** Only while a clone is being made: see {@link CloneProgress}. */
  progress: CloneProgress.optional(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

/** Container block of `GET /api/projects/:id` (api-reference "Get Project Details"). */
export const ContainerInfo = z.object({
  status: z.string(),
  health: z.string(),
  uptime: z.string(),
  resources: z.object({ cpu: z.string(), memory: z.string() }),
});
export type ContainerInfo = z.infer<typeof ContainerInfo>;

export const ProjectDetail = ProjectSummary.extend({ container: ContainerInfo.nullable() });
export type ProjectDetail = z.infer<typeof ProjectDetail>;

export const CreateProjectResponse = z.object({
  success: z.literal(true),
  project: ProjectSummary,
  /** Echo of the password that was set, only in this response (api-reference "Create Project"). */
  password: z.string().optional(),
});
export type CreateProjectResponse = z.infer<typeof CreateProjectResponse>;

export const ListProjectsResponse = z.object({ success: z.literal(true), projects: z.array(ProjectSummary), count: z.number().int() });
export type ListProjectsResponse = z.infer<typeof ListProjectsResponse>;

export const GetProjectResponse = z.object({ success: z.literal(true), project: ProjectDetail });
export type GetProjectResponse = z.infer<typeof GetProjectResponse>;

export const DeleteProjectResponse = z.object({ success: z.literal(true), message: z.string(), projectId: ProjectId });
export type DeleteProjectResponse = z.infer<typeof DeleteProjectResponse>;

export const StartProjectResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  project: z.object({ id: ProjectId, status: ProjectStatus, workspaceUrl: z.string() }),
});
export type StartProjectResponse = z.infer<typeof StartProjectResponse>;

export const StopProjectResponse = z.object({ success: z.literal(true), message: z.string(), projectId: ProjectId });
export type StopProjectResponse = z.infer<typeof StopProjectResponse>;

// ---------------------------------------------------------------- metadata (issue 3)

/** Largest notes text in bytes of UTF-8 (api-reference "Update Project Notes": at most 10 KB = 10 240 bytes). */
export const MAX_NOTES_BYTES = 10 * 1024;

/** Size of `text` in bytes of UTF-8, the unit of {@link MAX_NOTES_BYTES}. Works in Node and in the browser. */
export function utf8ByteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * `PUT /api/projects/:id/notes` body. Any string, stored exactly as given; the size limit is checked by the
 * route (413 PAYLOAD_TOO_LARGE above {@link MAX_NOTES_BYTES}), a wrong type is 400 VALIDATION_ERROR.
 */
export const UpdateNotesRequest = z.object({ notes: z.string({ error: 'Notes must be a string' }) });
export type UpdateNotesRequest = z.infer<typeof UpdateNotesRequest>;

/** `GET /api/projects/:id/notes` answer (api-reference "Get Project Notes"); `''` when none were written. */
export const GetNotesResponse = z.object({ success: z.literal(true), notes: z.string() });
export type GetNotesResponse = z.infer<typeof GetNotesResponse>;

/**
 * Display name on rename (api-reference "Rename Project": 1–100 characters), trimmed, no control characters.
 * Wider than {@link ProjectName} on create: any printable text; it is only ever shown escaped.
 */
export const DisplayName = z
  .string({ error: 'Name must be a string' })
  .trim()
  .min(1, 'Name must be 1-100 characters')
  .max(100, 'Name must be 1-100 characters')
  .refine((value) => !CONTROL_CHARS.test(value), 'Name must not contain control characters');

/** `PUT /api/projects/:id/name` body. */
export const RenameProjectRequest = z.object({ name: DisplayName });
export type RenameProjectRequest = z.output<typeof RenameProjectRequest>;

/** `PUT /api/projects/:id/group` body; `''` (after trimming) or `null` removes the group. */
export const UpdateGroupRequest = z.object({ group: GroupName.nullable() });
export type UpdateGroupRequest = z.output<typeof UpdateGroupRequest>;

/** Answer of the metadata writes (notes, name, group): `{success, message}` (api-reference "Project Metadata"). */
export const MessageResponse = z.object({ success: z.literal(true), message: z.string() });
export type MessageResponse = z.infer<typeof MessageResponse>;

/** `GET /api/projects/groups` answer (api-reference "List Groups"): distinct non-empty groups, sorted. */
export const ListGroupsResponse = z.object({ success: z.literal(true), groups: z.array(z.string()) });
export type ListGroupsResponse = z.infer<typeof ListGroupsResponse>;

/**
 * Disk use of a workspace container (api-reference "Get Disk Usage"; behaviour.md "Disk usage"): `bytes` is
 * the writable layer (`SizeRw`), `totalBytes` the whole root file system (`SizeRootFs`); the readable forms
 * use 1024 steps with one decimal, e.g. `1.1 GB`.
 */
export const DiskUsage = z.object({
  bytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  readable: z.string(),
  totalReadable: z.string(),
});
export type DiskUsage = z.infer<typeof DiskUsage>;

export const DiskUsageResponse = z.object({ success: z.literal(true), diskUsage: DiskUsage });
export type DiskUsageResponse = z.infer<typeof DiskUsageResponse>;

/**
 * `PUT /api/projects/:projectId/password` body (api-reference "Set or Change Password"): exactly one of
 * `newPassword` (8–50 characters, no control characters) or `removePassword: true`; `currentPassword` is
 * checked by the server when the workspace is protected (401 INVALID_WORKSPACE_PASSWORD).
 */
export const SetPasswordRequest = z
  .object({
    currentPassword: z.string({ error: 'Current password must be a string' }).max(200, 'Current password is too long').optional(),
    newPassword: WorkspacePassword.optional(),
    removePassword: z.boolean({ error: 'removePassword must be true or false' }).optional(),
  })
  .superRefine((value, ctx) => {
    const setting = value.newPassword !== undefined;
    const removing = value.removePassword === true;
    if (setting === removing) {
      ctx.addIssue({ code: 'custom', path: [], message: 'Give either newPassword or removePassword: true (exactly one)' });
    }
  });
export type SetPasswordRequest = z.output<typeof SetPasswordRequest>;

/** Answer of `PUT /api/projects/:projectId/password`. */
export const SetPasswordResponse = z.object({ success: z.literal(true), message: z.string(), passwordProtected: z.boolean() });
export type SetPasswordResponse = z.infer<typeof SetPasswordResponse>;

// ---------------------------------------------------------------- cloning (issue 4)

/** Most clones one request may ask for (api-reference "Clone Workspace": count 1–50). */
export const MAX_CLONES_PER_REQUEST = 50;

/**
 * `POST /api/projects/:projectId/clone` body (api-reference "Clone Workspace"): `count` an integer 1–50,
 * optional `password` for every clone (same rules as a workspace password). No source password is asked:
 * cloning is an admin action, like creating.
 */
export const CloneProjectRequest = z.object({
  count: z
    .number({ error: 'Count must be a whole number from 1 to 50' })
    .int('Count must be a whole number from 1 to 50')
    .min(1, 'Count must be a whole number from 1 to 50')
    .max(MAX_CLONES_PER_REQUEST, 'Count must be a whole number from 1 to 50'),
  password: WorkspacePassword.optional(),
  /** Ours (issue #5): the clones' proxy mode; absent = the source's (the contract's behaviour). */
  proxyMode: ProxyMode.optional(),
});
export type CloneProjectRequest = z.output<typeof CloneProjectRequest>;

/** One clone in the answer of a clone request: new id and name, always `creating` at that moment. */
export const CloneEntry = z.object({ projectId: ProjectId, projectName: z.string(), status: z.literal('creating') });
export type CloneEntry = z.infer<typeof CloneEntry>;

/** 202 answer of `POST /api/projects/:projectId/clone`; progress then shows in the projects list and events. */
export const CloneProjectResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  sourceProjectId: ProjectId,
  sourceProjectName: z.string(),
  clones: z.array(CloneEntry),
  totalCount: z.number().int(),
});
export type CloneProjectResponse = z.infer<typeof CloneProjectResponse>;

// ---------------------------------------------------------------- teacher open link (issue 4)

/**
 * Answer of `POST /api/projects/:projectId/open-link` (admin, ours): `url` opens the running workspace on its
 * own origin (`http://<id>.<baseDomain>:<port>/__xares/enter?ticket=…`) without its password or the claiming
 * browser's cookie. The ticket works once and for 2 minutes; open it at once. 409 INVALID_STATE when the workspace
 * is not running, 404 PROJECT_NOT_FOUND for an unknown id.
 */
export const OpenLinkResponse = z.object({ success: z.literal(true), url: z.string() });
export type OpenLinkResponse = z.infer<typeof OpenLinkResponse>;
