// Log redaction: credentials never reach a log line.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';

describe('createLogger', () => {
  it('redacts authorization headers, passwords, tokens and hashes', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ req: { headers: { authorization: 'Bearer secret-token-1' } } }, 'request');
    logger.info({ headers: { authorization: 'Bearer secret-token-2', cookie: 'sid=secret-cookie' } }, 'headers');
    logger.info({ password: 'secret-password', body: { password: 'secret-body-password', code: 'secret-code' } }, 'body');
    logger.info({ token: 'secret-token-3', adminToken: 'secret-token-4', project: { passwordHash: '$argon2id$secret-hash' } }, 'tokens');
    logger.info({ projectId: 'abcdefghijkl' }, 'harmless');
    await new Promise((resolve) => setImmediate(resolve));
    const all = lines.join('');
    expect(lines).toHaveLength(5);
    expect(all).not.toMatch(/secret/);
    expect(all).toContain('[redacted]');
    expect(all).toContain('abcdefghijkl');
  });
});
