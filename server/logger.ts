import { pino, type Logger } from 'pino';

/** Paths pino blanks out wherever they appear (credentials must never reach a log). */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'token',
  'adminToken',
  'passwordHash',
  'currentPassword',
  'newPassword',
  '*.authorization',
  '*.password',
  '*.token',
  '*.adminToken',
  '*.passwordHash',
  '*.currentPassword',
  '*.newPassword',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'body.password',
  'body.code',
];

/** The server's logger: JSON lines to stdout at `level`, with credential redaction. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { app: 'xares' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination as pino.DestinationStream | undefined,
  );
}
