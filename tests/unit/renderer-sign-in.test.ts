import { describe, expect, it } from 'vitest';
import { readSignInCode } from '../../renderer/src/auth/sign-in.js';

describe('readSignInCode', () => {
  it('reads the one-time code from the fragment of a sign-in link', () => {
    expect(readSignInCode('#code=JqasOrHICObbiBaNCBORWLmZO8J4ja8gz2yoLX1K5RE')).toBe('JqasOrHICObbiBaNCBORWLmZO8J4ja8gz2yoLX1K5RE');
    expect(readSignInCode('code=abc&other=1')).toBe('abc');
  });

  it('returns null when there is no usable code', () => {
    expect(readSignInCode('')).toBeNull();
    expect(readSignInCode('#')).toBeNull();
    expect(readSignInCode('#code=')).toBeNull();
    expect(readSignInCode('#/workspaces')).toBeNull();
  });
});
