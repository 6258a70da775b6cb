import {
  CpuCores,
  CreateProjectRequest,
  MEMORY_LIMIT_MB,
  MemoryLimit,
  type ConfigFeatures,
  type CreateProjectInput,
  type LimitsResponse,
  type ProjectType,
  type ProxyMode,
} from '../../../server/contract/index.js';

/** The create dialog's fields as the teacher edits them (all strings/booleans, as form controls hold them). */
export interface CreateFormValues {
  projectName: string;
  projectType: ProjectType;
  passwordProtected: boolean;
  password: string;
  proxyMode: ProxyMode;
  memoryLimit: MemoryLimit;
  cpuCores: CpuCores;
  group: string;
  createGitRepo: boolean;
}

/** Field names of the form, which are also the request's property names (so server `details` map 1:1). */
export type CreateFormField = keyof CreateFormValues;

/** Memory choices (contract `MemoryLimit`) not above the configured maximum (`GET /api/limits` memoryPerWorkspaceMB). */
export function allowedMemoryLimits(limits: LimitsResponse | null): MemoryLimit[] {
  return MemoryLimit.options.filter((value) => limits === null || MEMORY_LIMIT_MB[value] <= limits.memoryPerWorkspaceMB);
}

/** Core choices (contract `CpuCores`) not above the configured maximum (`GET /api/limits` cpuPerWorkspace). */
export function allowedCpuCores(limits: LimitsResponse | null): CpuCores[] {
  return CpuCores.options.filter((value) => limits === null || Number(value) <= limits.cpuPerWorkspace);
}

/**
 * Default form values: the contract's defaults (2g, 2 cores, no proxy, empty template) lowered to the largest
 * allowed choice when the configured maximum is smaller.
 */
export function defaultCreateForm(limits: LimitsResponse | null): CreateFormValues {
  const memory = allowedMemoryLimits(limits);
  const cores = allowedCpuCores(limits);
  return {
    projectName: '',
    projectType: 'empty',
    passwordProtected: false,
    password: '',
    proxyMode: 'none',
    memoryLimit: memory.includes('2g') ? '2g' : (memory.at(-1) ?? '1g'),
    cpuCores: cores.includes('2') ? '2' : (cores.at(-1) ?? '1'),
    group: '',
    createGitRepo: false,
  };
}

/** The request body the form stands for: the password only when protection is on, the group only when given. */
export function toCreateInput(values: CreateFormValues): CreateProjectInput {
  const input: CreateProjectInput = {
    projectName: values.projectName,
    projectType: values.projectType,
    passwordProtected: values.passwordProtected,
    createGitRepo: values.createGitRepo,
    proxyMode: values.proxyMode,
    memoryLimit: values.memoryLimit,
    cpuCores: values.cpuCores,
  };
  if (values.passwordProtected) input.password = values.password;
  if (values.group.trim() !== '') input.group = values.group;
  return input;
}

/** Words shown next to an option the server cannot serve yet (one sentence each, for a teacher). */
export const UNAVAILABLE_NOTE = {
  security: 'Needs the Security Proxy, which is not set up on this machine yet.',
  logging: 'Needs the LLM Logging Proxy, which is not set up on this machine yet.',
  createGitRepo: 'Needs the Git server, which is not set up on this machine yet.',
} as const;

/** Options of the form the server cannot serve now, each with the note to show; absent means available. */
export interface UnavailableOptions {
  proxyMode: Partial<Record<ProxyMode, string>>;
  createGitRepo: string | null;
}

/**
 * Which options the server would refuse, from the `features` of `GET /api/config` (`securityProxy`,
 * `loggingProxy`, `gitServer`; the server's create validation reads the same source). Unknown features
 * (`null`: not loaded or failed) disable nothing, so the server's own validation decides.
 */
export function unavailableOptions(features: ConfigFeatures | null): UnavailableOptions {
  const result: UnavailableOptions = { proxyMode: {}, createGitRepo: null };
  if (!features) return result;
  if (!features.securityProxy) result.proxyMode.security = UNAVAILABLE_NOTE.security;
  if (!features.loggingProxy) result.proxyMode.logging = UNAVAILABLE_NOTE.logging;
  if (!features.gitServer) result.createGitRepo = UNAVAILABLE_NOTE.createGitRepo;
  return result;
}

/**
 * The values with unavailable choices put back to their defaults (`proxyMode` `none`, no Git repository), for
 * when the features arrive after the teacher already picked one. Returns `values` itself when nothing changes.
 */
export function withoutUnavailableChoices(values: CreateFormValues, unavailable: UnavailableOptions): CreateFormValues {
  const proxyBlocked = unavailable.proxyMode[values.proxyMode] !== undefined;
  const gitBlocked = values.createGitRepo && unavailable.createGitRepo !== null;
  if (!proxyBlocked && !gitBlocked) return values;
  return { ...values, ...(proxyBlocked ? { proxyMode: 'none' as const } : {}), ...(gitBlocked ? { createGitRepo: false } : {}) };
}

/** Outcome of validating the form: the body to send when valid, and the first message per field. */
export interface CreateFormValidation {
  input: CreateProjectInput | null;
  errors: Partial<Record<CreateFormField, string>>;
}

/**
 * Validates the form with the server's own schema (`CreateProjectRequest`), so the dialog and the API agree
 * on every rule, plus the configured limits and the server's features (which the schema cannot know).
 */
export function validateCreateForm(values: CreateFormValues, limits: LimitsResponse | null, features: ConfigFeatures | null = null): CreateFormValidation {
  const input = toCreateInput(values);
  const errors: Partial<Record<CreateFormField, string>> = {};
  const parsed = CreateProjectRequest.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'projectName') as CreateFormField;
      errors[field] ??= issue.message;
    }
  }
  if (!allowedMemoryLimits(limits).includes(values.memoryLimit)) {
    errors.memoryLimit ??= `Memory may be at most ${limits?.memoryPerWorkspaceMB ?? 0} MB per workspace on this server`;
  }
  if (!allowedCpuCores(limits).includes(values.cpuCores)) {
    errors.cpuCores ??= `At most ${limits?.cpuPerWorkspace ?? 0} cores per workspace on this server`;
  }
  const unavailable = unavailableOptions(features);
  const proxyNote = unavailable.proxyMode[values.proxyMode];
  if (proxyNote !== undefined) errors.proxyMode ??= proxyNote;
  if (values.createGitRepo && unavailable.createGitRepo !== null) errors.createGitRepo ??= unavailable.createGitRepo;
  return { input: Object.keys(errors).length === 0 ? input : null, errors };
}
