import { describe, expect, it } from 'vitest';
import { defaultResources, withDefaultResources } from '../../server/services/resource-defaults.js';

const roomy = { enableResourceLimits: true, memoryPerWorkspaceMB: 8192, cpuPerWorkspace: 4 };

describe('default resources of a create request', () => {
  it("are the contract's 2g and 2 cores when the maxima allow them", () => {
    expect(defaultResources(roomy)).toEqual({ memoryLimit: '2g', cpuCores: '2' });
  });

  it('are lowered to the largest allowed choice under small maxima', () => {
    expect(defaultResources({ ...roomy, cpuPerWorkspace: 1, memoryPerWorkspaceMB: 1536 })).toEqual({ memoryLimit: '1g', cpuCores: '1' });
    expect(defaultResources({ ...roomy, cpuPerWorkspace: 1.5 })).toEqual({ memoryLimit: '2g', cpuCores: '1' });
  });

  it("stay the contract's when limits are off", () => {
    expect(defaultResources({ enableResourceLimits: false, memoryPerWorkspaceMB: 512, cpuPerWorkspace: 0.5 })).toEqual({ memoryLimit: '2g', cpuCores: '2' });
  });

  it('replace only the fields the body left out; sent values are kept (and validated later)', () => {
    const parsed = { memoryLimit: '2g', cpuCores: '2' } as const;
    const small = { ...roomy, cpuPerWorkspace: 1, memoryPerWorkspaceMB: 1024 };
    expect(withDefaultResources(parsed, {}, small)).toEqual({ memoryLimit: '1g', cpuCores: '1' });
    expect(withDefaultResources(parsed, { cpuCores: '2' }, small)).toEqual({ memoryLimit: '1g', cpuCores: '2' });
    expect(withDefaultResources(parsed, null, small)).toEqual({ memoryLimit: '1g', cpuCores: '1' });
  });
});
