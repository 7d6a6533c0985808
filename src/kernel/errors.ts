/**
 * The one table of error kinds. Every failure the collector reports carries a kind; every decision
 * (retry, give up, stop `run`, exit code, health) is taken on the kind, never on message text.
 */

/** How a vendor answered, as adapters classify it (by vendor code first, HTTP status second). */
export type VendorErrorKind =
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  /** The answer cannot be trusted: unparseable, an error object, a missing container, rows for another domain or grid. */
  | 'malformed'
  | 'auth'
  | 'clock'
  | 'invalid'
  | 'not_found';

/**
 * What the core does with each kind of vendor error:
 * - retry: backoff (exponential with jitter, up to collect.retryMaxAttempts); reload-credentials (re-read
 *   `*_FILE` secrets and try once more: rotated keys, refreshed STS tokens); rebuild (sign afresh, once); never.
 * - scope of a failure that stays: `window` (its buckets stay owed and are fetched again by later passes),
 *   `domain` (the domain waits for the next pass; its checkpoint stays), `account` (every call of the
 *   account's stream stops for this pass: a refused key fails once, not once per window).
 */
export const VENDOR_ERROR_POLICY: Readonly<
  Record<VendorErrorKind, { readonly retry: 'backoff' | 'reload-credentials' | 'rebuild' | 'never'; readonly scope: 'window' | 'domain' | 'account'; readonly hint: string }>
> = {
  throttled: { retry: 'backoff', scope: 'window', hint: '' },
  unavailable: { retry: 'backoff', scope: 'window', hint: '' },
  timeout: { retry: 'backoff', scope: 'window', hint: '' },
  malformed: { retry: 'backoff', scope: 'window', hint: '' },
  auth: { retry: 'reload-credentials', scope: 'account', hint: '; check the credentials' },
  clock: { retry: 'rebuild', scope: 'account', hint: "; the request time was refused: check this machine's clock (NTP)" },
  invalid: { retry: 'never', scope: 'window', hint: '' },
  not_found: { retry: 'never', scope: 'domain', hint: '' },
};

export interface VendorError {
  readonly kind: VendorErrorKind;
  /** The vendor's own code (`Throttling.User`, `CDN.0202`) or ours (`Malformed`, `Timeout`). */
  readonly vendorCode: string;
  readonly message: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
}

/** Failures of the collector itself and of InfluxDB, with what follows from each. */
export type ErrorKind =
  | 'usage'
  | 'config'
  | 'state'
  | 'state_locked'
  | 'sink_unreachable'
  | 'sink_timeout'
  | 'sink_server'
  | 'sink_auth'
  | 'sink_not_found'
  | 'sink_refused'
  | 'vendor'
  | 'stopped';

export const ERROR_POLICY: Readonly<Record<ErrorKind, { readonly exitCode: 1 | 2; readonly stopsRun: boolean }>> = {
  usage: { exitCode: 2, stopsRun: true },
  config: { exitCode: 2, stopsRun: true },
  state: { exitCode: 2, stopsRun: true },
  state_locked: { exitCode: 2, stopsRun: true },
  sink_unreachable: { exitCode: 1, stopsRun: false },
  sink_timeout: { exitCode: 1, stopsRun: false },
  sink_server: { exitCode: 1, stopsRun: false },
  // Retrying cannot help: a refused credential or a missing database stops `run`.
  sink_auth: { exitCode: 1, stopsRun: true },
  sink_not_found: { exitCode: 1, stopsRun: true },
  sink_refused: { exitCode: 1, stopsRun: false },
  vendor: { exitCode: 1, stopsRun: false },
  stopped: { exitCode: 1, stopsRun: false },
};

export class CollectorError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CollectorError';
    this.kind = kind;
  }
}

export function isKind(err: unknown, ...kinds: ErrorKind[]): err is CollectorError {
  return err instanceof CollectorError && kinds.includes(err.kind);
}

/** One plain line for stderr: never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!;
  return String(err).split('\n')[0]!;
}
