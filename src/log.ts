import pino, { type Logger } from 'pino';

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = [
  '*.accessKeySecret',
  '*.securityToken',
  '*.secretKey',
  '*.sessionToken',
  '*.sk',
  '*.token',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
  'headers["x-acs-security-token"]',
  'headers["x-tc-token"]',
  'headers["x-security-token"]',
];

export function createLogger(level: string, destination: NodeJS.WritableStream | number = 1): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino({ level, base: { app: 'cdn-origin-collector' }, redact: { paths: REDACT, censor: '[redacted]' } }, dest);
}
