/**
 * The one table of error codes. Every failure the collector reports carries one of these,
 * plus whether retrying can help. Vendor codes are kept beside it for the one-line report.
 */
export const ErrorCodes = {
  CONFIG: 'E_CONFIG',
  USAGE: 'E_USAGE',
  STATE_LOCKED: 'E_STATE_LOCKED',
  VENDOR_THROTTLED: 'E_VENDOR_THROTTLED',
  VENDOR_UNAVAILABLE: 'E_VENDOR_UNAVAILABLE',
  VENDOR_AUTH: 'E_VENDOR_AUTH',
  VENDOR_CLOCK: 'E_VENDOR_CLOCK',
  VENDOR_INVALID_REQUEST: 'E_VENDOR_INVALID_REQUEST',
  VENDOR_NOT_FOUND: 'E_VENDOR_NOT_FOUND',
  VENDOR_RESPONSE: 'E_VENDOR_RESPONSE',
  SINK_UNREACHABLE: 'E_SINK_UNREACHABLE',
  SINK_AUTH: 'E_SINK_AUTH',
  SINK_REJECTED: 'E_SINK_REJECTED',
  SINK_RETRYABLE: 'E_SINK_RETRYABLE',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** How a vendor answered, as adapters classify it (by vendor code first, HTTP status second). */
export type VendorErrorKind = 'throttled' | 'unavailable' | 'auth' | 'clock' | 'invalid' | 'not_found' | 'response';

/**
 * What the core does with each kind of vendor error, and the code it logs it under:
 * - backoff: retry with exponential backoff and jitter, up to collect.retryMaxAttempts;
 * - reload-credentials: re-read `*_FILE` secrets and try once more (rotated keys, refreshed STS tokens);
 * - rebuild: sign a fresh request (new timestamp and nonce) and try once more;
 * - never: report once and leave the window for the next pass.
 */
export const VENDOR_ERROR_POLICY: Readonly<Record<VendorErrorKind, { code: ErrorCode; retry: 'backoff' | 'reload-credentials' | 'rebuild' | 'never'; hint: string }>> = {
  throttled: { code: ErrorCodes.VENDOR_THROTTLED, retry: 'backoff', hint: '' },
  unavailable: { code: ErrorCodes.VENDOR_UNAVAILABLE, retry: 'backoff', hint: '' },
  auth: { code: ErrorCodes.VENDOR_AUTH, retry: 'reload-credentials', hint: '; check the credentials' },
  clock: { code: ErrorCodes.VENDOR_CLOCK, retry: 'rebuild', hint: "; the request time was refused: check this machine's clock (NTP)" },
  invalid: { code: ErrorCodes.VENDOR_INVALID_REQUEST, retry: 'never', hint: '' },
  not_found: { code: ErrorCodes.VENDOR_NOT_FOUND, retry: 'never', hint: '' },
  response: { code: ErrorCodes.VENDOR_RESPONSE, retry: 'never', hint: '' },
};

export class CollectorError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CollectorError';
    this.code = code;
  }
}

/** One plain line for stderr: never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof CollectorError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
