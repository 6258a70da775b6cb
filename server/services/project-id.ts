import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A new project id: 12 characters from [a-z0-9] (contract `ProjectId`, a valid DNS label), from the crypto RNG
 * (36^12 ≈ 4.7e18 possibilities; callers still check for collisions).
 */
export function newProjectId(): string {
  let id = '';
  for (let i = 0; i < 12; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
