/**
 * The write path. Exactly one layer retries writes: this one. Each batch is sent and awaited, so a
 * resolved `write()` means InfluxDB acknowledged every point in it (or rejected it as bad data,
 * which is reported and dropped: retrying bad data cannot help).
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { CollectorError, ErrorCodes } from '../core/errors.js';
import { backoffDelay } from '../core/pacer.js';
import { LineEncoder, type Point } from '../metrics/schema.js';

/** What a transport saw for one POST of line protocol. */
export type BatchResult =
  | { kind: 'ok' }
  | { kind: 'bad_data'; status: number; message: string }
  | { kind: 'too_large' }
  | { kind: 'retry'; message: string; retryAfterMs?: number }
  | { kind: 'fatal'; message: string };

export interface WriteTransport {
  /** `influx: http://host:8086` style label for messages. */
  readonly label: string;
  post(body: string, signal?: AbortSignal): Promise<BatchResult>;
}

export interface WriteResult {
  readonly written: number;
  readonly rejected: number;
}

export interface Sink {
  write(points: readonly Point[], signal?: AbortSignal): Promise<WriteResult>;
}

export interface SinkOptions {
  readonly measurement: string;
  readonly batchSize: number;
  /** How long one batch keeps being retried before the write fails. */
  readonly retryMaxMs: number;
  readonly retryBaseMs: number;
}

export interface SinkObserver {
  onBatch?(points: number, latencyMs: number, ok: boolean): void;
}

export class InfluxSink implements Sink {
  readonly #t: WriteTransport;
  readonly #opts: SinkOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #observer: SinkObserver;
  readonly #encoder: LineEncoder;

  constructor(
    transport: WriteTransport,
    opts: SinkOptions,
    deps: { clock: Clock; random: () => number; logger: Logger; observer?: SinkObserver },
  ) {
    this.#t = transport;
    this.#opts = opts;
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#log = deps.logger;
    this.#observer = deps.observer ?? {};
    this.#encoder = new LineEncoder(opts.measurement);
  }

  async write(points: readonly Point[], signal?: AbortSignal): Promise<WriteResult> {
    let written = 0;
    let rejected = 0;
    const size = this.#opts.batchSize;
    const encode = (i: number) => this.#encoder.body(points, i, Math.min(points.length, i + size));
    // One request in flight at a time (ordered writes, so the last value of a point wins); the
    // next body is encoded while the current one travels.
    let next: string | undefined = points.length ? encode(0) : undefined;
    for (let i = 0; next !== undefined; i += size) {
      const sending = this.#writeLines(next, Math.min(size, points.length - i), signal);
      next = i + size < points.length ? await new Promise<string>((resolve) => setImmediate(() => resolve(encode(i + size)))) : undefined;
      const r = await sending;
      written += r.written;
      rejected += r.rejected;
    }
    return { written, rejected };
  }

  async #writeLines(body: string, count: number, signal?: AbortSignal): Promise<WriteResult> {
    const started = this.#clock.now();
    for (let attempt = 0; ; attempt++) {
      const t0 = this.#clock.now();
      const r = await this.#t.post(body, signal);
      this.#observer.onBatch?.(count, this.#clock.now() - t0, r.kind === 'ok');
      switch (r.kind) {
        case 'ok':
          return { written: count, rejected: 0 };
        case 'too_large': {
          const lines = body.split('\n');
          if (lines.length === 1) {
            this.#log.error({ code: ErrorCodes.SINK_REJECTED }, `${this.#t.label}: a single point is too large; dropped`);
            return { written: 0, rejected: 1 };
          }
          const mid = Math.ceil(lines.length / 2);
          const a = await this.#writeLines(lines.slice(0, mid).join('\n'), mid, signal);
          const b = await this.#writeLines(lines.slice(mid).join('\n'), lines.length - mid, signal);
          return { written: a.written + b.written, rejected: a.rejected + b.rejected };
        }
        case 'bad_data': {
          // InfluxDB stores the good lines of a batch and rejects the bad ones (TSDB.md); the
          // message names them. Retrying the same bad data cannot succeed.
          const bad = countBadLines(r.message, count);
          this.#log.error(
            { code: ErrorCodes.SINK_REJECTED, status: r.status, rejected: bad },
            `${this.#t.label}: rejected bad points (HTTP ${r.status}): ${r.message.slice(0, 300)}`,
          );
          return { written: count - bad, rejected: bad };
        }
        case 'fatal':
          throw new CollectorError(ErrorCodes.SINK_AUTH, `${this.#t.label}: ${r.message}`);
        case 'retry': {
          const elapsed = this.#clock.now() - started;
          // Retry-After is honoured: when it points past the deadline, give up now rather than early-retry.
          if (elapsed >= this.#opts.retryMaxMs || elapsed + (r.retryAfterMs ?? 0) > this.#opts.retryMaxMs || signal?.aborted) {
            throw new CollectorError(ErrorCodes.SINK_UNREACHABLE, `${this.#t.label} ${r.message}`);
          }
          const delay = Math.min(
            backoffDelay({ maxAttempts: Infinity, baseDelayMs: this.#opts.retryBaseMs, maxDelayMs: 30_000 }, attempt, this.#random, r.retryAfterMs),
            Math.max(0, this.#opts.retryMaxMs - elapsed),
          );
          this.#log.warn({ code: ErrorCodes.SINK_RETRYABLE, delayMs: Math.round(delay) }, `${this.#t.label} ${r.message}; retrying`);
          await this.#clock.sleep(delay, signal);
        }
      }
    }
  }
}

/** InfluxDB 1.x says `partial write: ... dropped=N`; without a count, the whole batch is suspect. */
function countBadLines(message: string, total: number): number {
  const m = /dropped=(\d+)/.exec(message);
  if (m) return Math.min(total, Number(m[1]));
  return /partial write/.test(message) ? 1 : total;
}

export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export function classifyWriteStatus(status: number, body: string, retryAfterMs: number | undefined): BatchResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const message = extractMessage(body);
  if (status === 400 || status === 422) return { kind: 'bad_data', status, message };
  if (status === 413) return { kind: 'too_large' };
  if (status === 401 || status === 403) return { kind: 'fatal', message: `not authorized (HTTP ${status}): ${message}; check the token or username/password` };
  if (status === 404) return { kind: 'fatal', message: `not found (HTTP 404): ${message}; does the database or bucket exist?` };
  if (status === 429 || status >= 500) return { kind: 'retry', message: `answered HTTP ${status}: ${message}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  return { kind: 'fatal', message: `answered HTTP ${status}: ${message}` };
}

function extractMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: string; message?: string };
    return (j.error ?? j.message ?? body).trim();
  } catch {
    return body.trim().slice(0, 300);
  }
}
