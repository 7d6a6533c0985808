import pino, { type Logger } from 'pino';

/** Paths that carry secrets whatever the vendor: pino replaces them before a line is written. */
const ALWAYS = ['*.token', '*.password', '*.authorization', '*.headers.authorization', '*.headers["x-acs-security-token"]', '*.headers["x-tc-token"]', '*.headers["x-security-token"]'];

/** The JSON logger. `secretKeys` are the vendors' secret config keys (from their modules), redacted one level deep. */
export function createLogger(level: string, secretKeys: readonly string[] = [], destination?: { write(s: string): unknown }): Logger {
  const dest = destination ?? pino.destination({ fd: 1, sync: true });
  const paths = [...new Set([...ALWAYS, ...secretKeys.map((k) => `*.${k}`)])];
  return pino({ level, base: { app: 'cdn-origin-collector' }, redact: { paths, censor: '[redacted]' } }, dest as pino.DestinationStream);
}
