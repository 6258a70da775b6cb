import argon2 from 'argon2';

/**
 * Workspace passwords are stored only as argon2id hashes (behaviour.md "Password": slow salted hash).
 * Parameters: OWASP's argon2id recommendation (19 MiB, 2 iterations, 1 lane).
 */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password into a PHC string (`$argon2id$v=19$...`). */
export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** True when `password` matches the stored hash; false for any malformed hash or non-string input. */
export async function verifyPassword(hash: string, password: unknown): Promise<boolean> {
  if (typeof password !== 'string' || password.length === 0 || password.length > 200) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
