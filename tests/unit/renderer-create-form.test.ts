import { describe, expect, it } from 'vitest';
import { CreateProjectRequest, type ConfigFeatures, type LimitsResponse } from '../../server/contract/index.js';
import {
  UNAVAILABLE_NOTE,
  allowedCpuCores,
  allowedMemoryLimits,
  defaultCreateForm,
  toCreateInput,
  unavailableOptions,
  validateCreateForm,
  withoutUnavailableChoices,
} from '../../renderer/src/stores/create-form.js';

const limits: LimitsResponse = { maxConcurrentWorkspaces: 5, cpuPerWorkspace: 2, memoryPerWorkspaceMB: 4096, enableResourceLimits: true };

describe('create form', () => {
  it('offers only choices within the configured maxima', () => {
    expect(allowedMemoryLimits(limits)).toEqual(['1g', '2g', '4g']);
    expect(allowedCpuCores(limits)).toEqual(['1', '2']);
    expect(allowedCpuCores({ ...limits, cpuPerWorkspace: 1.5 })).toEqual(['1']);
    expect(allowedMemoryLimits(null)).toEqual(['1g', '2g', '4g', '8g', '16g']);
  });

  it('starts from the contract defaults, lowered when the server allows less', () => {
    expect(defaultCreateForm(limits)).toMatchObject({ memoryLimit: '2g', cpuCores: '2', proxyMode: 'none', projectType: 'empty' });
    expect(defaultCreateForm({ ...limits, memoryPerWorkspaceMB: 1024, cpuPerWorkspace: 1 })).toMatchObject({ memoryLimit: '1g', cpuCores: '1' });
  });

  it('reports the same messages as the server schema, per field', () => {
    const values = { ...defaultCreateForm(limits), projectName: 'a', passwordProtected: true, password: 'short' };
    const result = validateCreateForm(values, limits);
    expect(result.input).toBeNull();
    const serverView = CreateProjectRequest.safeParse(toCreateInput(values));
    expect(serverView.success).toBe(false);
    for (const issue of serverView.error!.issues) expect(Object.values(result.errors)).toContain(issue.message);
    expect(result.errors.projectName).toBe('Project name must be 3-50 characters');
    expect(result.errors.password).toBe('Password must be at least 8 characters');
  });

  it('requires a password only when protection is on, and never sends it otherwise', () => {
    const unprotected = { ...defaultCreateForm(limits), projectName: 'python-basics', password: 'left over text' };
    const ok = validateCreateForm(unprotected, limits);
    expect(ok.errors).toEqual({});
    expect(ok.input).not.toHaveProperty('password');
    const missing = validateCreateForm({ ...unprotected, passwordProtected: true, password: '' }, limits);
    expect(missing.errors.password).toBeDefined();
  });

  it('rejects values above the configured limits even though the schema allows them', () => {
    const result = validateCreateForm({ ...defaultCreateForm(limits), projectName: 'big-one', memoryLimit: '16g', cpuCores: '8' }, limits);
    expect(result.errors.memoryLimit).toMatch(/4096 MB/);
    expect(result.errors.cpuCores).toMatch(/2 cores/);
  });

  it('builds a body the server schema accepts, with the group only when given', () => {
    const values = { ...defaultCreateForm(limits), projectName: ' Seat 1 ', projectType: 'python-flask' as const, group: 'workshop', createGitRepo: true, proxyMode: 'security' as const };
    const { input } = validateCreateForm(values, limits);
    expect(input).toMatchObject({ projectName: ' Seat 1 ', group: 'workshop', createGitRepo: true, proxyMode: 'security', projectType: 'python-flask' });
    expect(CreateProjectRequest.parse(input).projectName).toBe('Seat 1');
    expect(validateCreateForm({ ...values, group: '   ' }, limits).input).not.toHaveProperty('group');
  });

  describe('options the server cannot serve (GET /api/config features)', () => {
    const nothingExtra: ConfigFeatures = { gitServer: false, passwordProtection: true, multipleTemplates: true, securityProxy: false, loggingProxy: false };
    const everything: ConfigFeatures = { ...nothingExtra, gitServer: true, securityProxy: true, loggingProxy: true };

    it('marks each missing service with its note, and never the direct mode', () => {
      const unavailable = unavailableOptions(nothingExtra);
      expect(unavailable.proxyMode).toEqual({ security: UNAVAILABLE_NOTE.security, logging: UNAVAILABLE_NOTE.logging });
      expect(unavailable.proxyMode.none).toBeUndefined();
      expect(unavailable.createGitRepo).toBe(UNAVAILABLE_NOTE.createGitRepo);
      expect(unavailableOptions({ ...nothingExtra, loggingProxy: true }).proxyMode).toEqual({ security: UNAVAILABLE_NOTE.security });
      expect(unavailableOptions(everything)).toEqual({ proxyMode: {}, createGitRepo: null });
    });

    it('disables nothing when the features are unknown, so the server decides', () => {
      expect(unavailableOptions(null)).toEqual({ proxyMode: {}, createGitRepo: null });
      const values = { ...defaultCreateForm(limits), projectName: 'seat-1', proxyMode: 'logging' as const, createGitRepo: true };
      expect(validateCreateForm(values, limits, null).input).not.toBeNull();
    });

    it('refuses a chosen option the server lacks, with the same note, and accepts it once the server has it', () => {
      const values = { ...defaultCreateForm(limits), projectName: 'seat-1', proxyMode: 'security' as const, createGitRepo: true };
      const refused = validateCreateForm(values, limits, nothingExtra);
      expect(refused.input).toBeNull();
      expect(refused.errors).toEqual({ proxyMode: UNAVAILABLE_NOTE.security, createGitRepo: UNAVAILABLE_NOTE.createGitRepo });
      expect(validateCreateForm(values, limits, everything).input).toMatchObject({ proxyMode: 'security', createGitRepo: true });
      expect(validateCreateForm(defaultCreateForm(limits), limits, nothingExtra).errors.proxyMode).toBeUndefined();
    });

    it('puts unavailable choices back to the defaults when the features arrive late, and leaves the rest alone', () => {
      const picked = { ...defaultCreateForm(limits), projectName: 'seat-1', proxyMode: 'logging' as const, createGitRepo: true, group: 'mon' };
      expect(withoutUnavailableChoices(picked, unavailableOptions(nothingExtra))).toEqual({ ...picked, proxyMode: 'none', createGitRepo: false });
      expect(withoutUnavailableChoices(picked, unavailableOptions(everything))).toBe(picked);
      expect(withoutUnavailableChoices(picked, unavailableOptions({ ...nothingExtra, loggingProxy: true }))).toEqual({ ...picked, createGitRepo: false });
    });
  });
});
