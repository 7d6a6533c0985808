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
  NETWORK: 'E_NETWORK',
  SINK_UNREACHABLE: 'E_SINK_UNREACHABLE',
  SINK_AUTH: 'E_SINK_AUTH',
  SINK_REJECTED: 'E_SINK_REJECTED',
  SINK_RETRYABLE: 'E_SINK_RETRYABLE',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.VENDOR_THROTTLED,
  ErrorCodes.VENDOR_UNAVAILABLE,
  ErrorCodes.NETWORK,
  ErrorCodes.SINK_UNREACHABLE,
  ErrorCodes.SINK_RETRYABLE,
]);

export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

export class CollectorError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** The vendor's own code (`Throttling.User`, `AuthFailure.SignatureFailure`, `APIGW.0301`…). */
  readonly vendorCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryAfterMs?: number; vendorCode?: string; requestId?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CollectorError';
    this.code = code;
    this.retryable = opts.retryable ?? isRetryableCode(code);
    this.retryAfterMs = opts.retryAfterMs;
    this.vendorCode = opts.vendorCode;
    this.requestId = opts.requestId;
  }
}

/** One plain line for stderr: never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof CollectorError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
