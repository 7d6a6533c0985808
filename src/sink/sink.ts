/**
 * The write path. Exactly one layer retries writes: this one (backoff from kernel/retry.ts, a
 * server's Retry-After honoured). Points are encoded to bytes when the core hands them over
 * (encode), so a write only groups encoded parts into bodies of about batchSize lines; batches go one
 * at a time, in order (the last value of a point wins), each awaited, the next one grouped while the
 * previous is on the wire.
 *
 * A refusal is a failure, never a success: the points InfluxDB refused come back in
 * `WriteResult.refused` with the server's reason, and only acknowledged points count as written.
 *
 * Stopping: the caller's signal means "start no new request or retry". A request already sent is
 * never abandoned: it runs to its end (bounded by its deadline) so that what InfluxDB acknowledged
 * can be committed. Then write() throws a SinkStopped (kind `stopped`) that says how many points were
 * not sent; everything else was written or refused.
 */
import { backoffDelay } from '../kernel/retry.js';
import { CollectorError, type ErrorKind } from '../kernel/errors.js';
import type { Sample } from '../kernel/schema.js';
import type { Clock, EncodedPoints, PointOwner, RefusedPoint, Sink, Telemetry, WriteResult } from '../ports.js';
import { exchange, ExchangeError, oneLine, parseRetryAfterMs, type Exchange } from './http.js';
import { decodeLine, EncodedLines, LineEncoder } from './line.js';
import { readRefusal } from './refusals.js';
import { connect, type Connection, type InfluxTarget } from './target.js';

export type { InfluxTarget } from './target.js';

export interface SinkOptions {
  readonly measurement: string;
  /** Points per request. Default 5,000. */
  readonly batchSize?: number;
  /** How long one request keeps being retried before the write fails (influx.writeRetryMaxMs). */
  readonly retryMaxMs: number;
  /** Default 500 ms. */
  readonly retryBaseMs?: number;
  /** Default 30 s. */
  readonly retryMaxDelayMs?: number;
  /** Wall-clock deadline of one request: connect, headers and body. Default 30 s. */
  readonly requestDeadlineMs?: number;
  /** Largest response body read. Default 64 KiB. */
  readonly maxResponseBytes?: number;
}

export interface SinkDeps {
  readonly clock: Clock;
  /** For the backoff jitter. Default Math.random. */
  readonly random?: () => number;
  /** Notices (a retry and why), one line each, never a secret. Refused points are returned, not reported. */
  readonly report?: (line: string) => void;
  readonly telemetry?: Pick<Telemetry, 'onWrite' | 'onSinkState'>;
}

/** write() was stopped by its signal before every point was sent. */
export class SinkStopped extends CollectorError {
  constructor(
    /** What InfluxDB acknowledged or refused before the stop. */
    readonly result: WriteResult,
    /** Points never sent (or whose request was not acknowledged): nothing is known of them. */
    readonly unsent: number,
  ) {
    super('stopped', `influx: stopped before ${unsent} points were sent`);
    this.name = 'SinkStopped';
  }
}

const STOP = Symbol('stop');
const NEWLINE = Buffer.from('\n');

type Answer = { kind: 'ok' } | { kind: 'refused'; status: number; ex: Exchange } | { kind: 'too_large'; message: string };

interface Acc {
  written: number;
  readonly refused: RefusedPoint[];
  /** Points written or refused so far. */
  settled: number;
  /** Single points refused in a row by a 400 that named no line, and its reason. */
  blind: number;
  blindReason: string;
}

/**
 * A 400 that names no line and refuses point after point alone is about the request, not the data
 * (a setting the server rejects): after this many in a row the search stops and the rest of the
 * batch is refused with that reason, instead of two requests per point.
 */
const BLIND_LIMIT = 16;

export class InfluxSink implements Sink {
  readonly #conn: Connection;
  readonly #encoder: LineEncoder;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #report: (line: string) => void;
  readonly #telemetry: Pick<Telemetry, 'onWrite' | 'onSinkState'>;
  readonly #batchSize: number;
  readonly #retryMaxMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxDelayMs: number;
  readonly #deadlineMs: number;
  readonly #maxBody: number;
  readonly #headers: Record<string, string>;

  constructor(target: InfluxTarget, opts: SinkOptions, deps: SinkDeps) {
    this.#conn = connect(target);
    this.#encoder = new LineEncoder(opts.measurement);
    this.#clock = deps.clock;
    this.#random = deps.random ?? Math.random;
    this.#report = deps.report ?? (() => {});
    this.#telemetry = deps.telemetry ?? {};
    this.#batchSize = opts.batchSize ?? 5000;
    this.#retryMaxMs = opts.retryMaxMs;
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
    this.#retryMaxDelayMs = opts.retryMaxDelayMs ?? 30_000;
    this.#deadlineMs = opts.requestDeadlineMs ?? 30_000;
    this.#maxBody = opts.maxResponseBytes ?? 64 * 1024;
    this.#headers = { 'content-type': 'text/plain; charset=utf-8', ...(this.#conn.authorization ? { authorization: this.#conn.authorization } : {}) };
  }

  /** `influx: http://host:8086`: how messages name this InfluxDB. */
  get label(): string {
    return this.#conn.label;
  }

  encode(owner: PointOwner, samples: readonly Sample[]): EncodedLines {
    return this.#encoder.encode(owner, samples);
  }

  async write(parts: readonly EncodedPoints[], signal?: AbortSignal): Promise<WriteResult> {
    for (const p of parts) if (!(p instanceof EncodedLines)) throw new TypeError('InfluxSink.write: parts must come from its own encode()');
    const acc: Acc = { written: 0, refused: [], settled: 0, blind: 0, blindReason: '' };
    try {
      const bodies = this.#bodies(parts);
      for (let b = bodies.next(); !b.done; ) {
        const sent = this.#batch(b.value.body, b.value.count, signal, acc);
        // The next body is grouped (and an oversized part cut) while this one is on the wire: the
        // event loop's time then overlaps the server's.
        b = bodies.next();
        await sent;
      }
    } catch (err) {
      if (err === STOP) {
        let all = 0;
        for (const p of parts) all += p.count;
        throw new SinkStopped({ written: acc.written, refused: acc.refused }, all - acc.settled);
      }
      throw err;
    }
    return { written: acc.written, refused: acc.refused };
  }

  /**
   * Bodies of about batchSize lines: whole parts one after the other (their bytes as they are, a
   * newline between), a part larger than that cut at line ends.
   */
  *#bodies(parts: readonly EncodedPoints[]): IterableIterator<{ body: Buffer[]; count: number }> {
    const size = this.#batchSize;
    let body: Buffer[] = [];
    let count = 0;
    const add = (b: Buffer) => {
      if (body.length) body.push(NEWLINE);
      body.push(b);
    };
    for (const p of parts as readonly EncodedLines[]) {
      if (p.count === 0) continue;
      if (count > 0 && count + p.count > size) {
        yield { body, count };
        body = [];
        count = 0;
      }
      if (p.count <= size) {
        add(p.bytes);
        count += p.count;
        continue;
      }
      // Cut at every size-th newline of the bytes themselves (a newline inside a value is escaped).
      const b = p.bytes;
      for (let at = 0, left = p.count; left > 0; ) {
        const n = Math.min(size, left);
        let end = at - 1;
        for (let k = 0; k < n; k++) {
          const nl = b.indexOf(10, end + 1);
          end = nl < 0 ? b.length : nl;
        }
        const slice = b.subarray(at, end);
        at = end + 1;
        left -= n;
        if (n === size) yield { body: [slice], count: size };
        else {
          body = [slice];
          count = n;
        }
      }
    }
    if (count > 0) yield { body, count };
  }

  async #batch(body: readonly Buffer[], count: number, signal: AbortSignal | undefined, acc: Acc): Promise<void> {
    const a = await this.#post(body, count, signal);
    if (a.kind === 'ok') {
      acc.written += count;
      acc.settled += count;
      return;
    }
    await this.#resolve(Buffer.concat(body).toString('utf8').split('\n'), a, signal, acc);
  }

  /**
   * Settles the points of an answer that was not a plain success: the lines the server named are
   * refused and the others sent again; when it names none, halves are sent until each refused line
   * stands alone (a binary search: about log2(n) requests per refused point). 413: halves until a
   * body fits; a single point still too large is refused.
   */
  async #resolve(lines: readonly string[], first: Answer | undefined, signal: AbortSignal | undefined, acc: Acc): Promise<void> {
    const refuse = (k: number, reason: string) => {
      const point = decodeLine(lines[k]!);
      // Every line was written by this sink's encoder, so it decodes; a line that did not would be a bug here.
      if (!point) throw new CollectorError('sink_server', `influx: cannot name the point of a refused line (${reason})`);
      acc.refused.push({ point, reason });
      acc.settled++;
    };
    if (first === undefined && acc.blind >= BLIND_LIMIT) {
      for (let k = 0; k < lines.length; k++) refuse(k, acc.blindReason);
      return;
    }
    const a = first ?? (await this.#post(lines.join('\n'), lines.length, signal));
    const halves = async () => {
      const mid = Math.ceil(lines.length / 2);
      await this.#resolve(lines.slice(0, mid), undefined, signal, acc);
      await this.#resolve(lines.slice(mid), undefined, signal, acc);
    };
    if (a.kind === 'ok') {
      acc.written += lines.length;
      acc.settled += lines.length;
      acc.blind = 0;
      return;
    }
    if (a.kind === 'too_large') {
      if (lines.length === 1) refuse(0, a.message);
      else await halves();
      return;
    }
    const r = readRefusal(a.ex.body, lines, this.#conn.secrets);
    const why = (reason: string) => `HTTP ${a.status}: ${reason}`;
    if (r.all) {
      for (let k = 0; k < lines.length; k++) refuse(k, why(r.lines.get(k) ?? r.message));
    } else if (r.lines.size > 0) {
      const rest: string[] = [];
      for (let k = 0; k < lines.length; k++) {
        const reason = r.lines.get(k);
        if (reason !== undefined) refuse(k, why(reason));
        else rest.push(lines[k]!);
      }
      if (rest.length) await this.#resolve(rest, undefined, signal, acc);
    } else if (lines.length === 1) {
      acc.blindReason = why(r.message || 'refused without a reason');
      acc.blind++;
      refuse(0, acc.blindReason);
    } else {
      await halves();
    }
  }

  /** One request, retried while InfluxDB is unreachable, slow or failing, within retryMaxMs. */
  async #post(body: string | readonly Buffer[], count: number, signal: AbortSignal | undefined): Promise<Answer> {
    const started = this.#clock.now();
    const label = this.#conn.label;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw STOP;
      const t0 = this.#clock.now();
      let failure: { kind: ErrorKind; line: string; retryAfterMs?: number };
      try {
        const ex = await exchange(this.#conn.endpoint, this.#conn.writeUrl, { method: 'POST', headers: this.#headers, body, deadlineMs: this.#deadlineMs, maxBodyBytes: this.#maxBody });
        const s = ex.status;
        this.#telemetry.onWrite?.(count, this.#clock.now() - t0, s >= 200 && s < 300);
        const said = () => `${oneLine(ex.body, this.#conn.secrets) || '(no body)'}${ex.truncated ? ` (answer cut at ${this.#maxBody} bytes)` : ''}`;
        if (s >= 200 && s < 300) {
          this.#telemetry.onSinkState?.(true);
          return { kind: 'ok' };
        }
        if (s === 400 || s === 422) return { kind: 'refused', status: s, ex };
        if (s === 413) return { kind: 'too_large', message: `HTTP 413: the point alone is too large for the server: ${said()}` };
        if (s === 401 || s === 403) throw this.#fatal('sink_auth', `${label} refused the credentials (HTTP ${s}): ${said()}; check influx.token or influx.username/password`);
        if (s === 404) throw this.#fatal('sink_not_found', `${label} answered HTTP 404: ${said()}; does the database or bucket exist?`);
        if (s !== 408 && s !== 429 && s < 500) throw this.#fatal('sink_server', `${label} answered HTTP ${s}: ${said()}`);
        const ra = parseRetryAfterMs(ex.headers['retry-after'], this.#clock.now());
        failure = { kind: 'sink_server', line: `${label} answered HTTP ${s}: ${said()}`, ...(ra === undefined ? {} : { retryAfterMs: ra }) };
      } catch (err) {
        if (!(err instanceof ExchangeError)) throw err;
        this.#telemetry.onWrite?.(count, this.#clock.now() - t0, false);
        failure = err.code === 'Timeout' ? { kind: 'sink_timeout', line: `${label} timed out: ${err.message}` } : { kind: 'sink_unreachable', line: `${label} unreachable: ${err.message}` };
      }
      const elapsed = this.#clock.now() - started;
      // A Retry-After that points past the deadline ends the write now rather than retrying early.
      if (elapsed >= this.#retryMaxMs || elapsed + (failure.retryAfterMs ?? 0) > this.#retryMaxMs) throw this.#fatal(failure.kind, failure.line);
      const delay = Math.min(
        backoffDelay({ maxAttempts: Infinity, baseDelayMs: this.#retryBaseMs, maxDelayMs: this.#retryMaxDelayMs }, attempt, this.#random, failure.retryAfterMs),
        this.#retryMaxMs - elapsed,
      );
      if (signal?.aborted) throw STOP;
      this.#report(`${failure.line}; retrying in ${(delay / 1000).toFixed(1)} s`);
      try {
        await this.#clock.sleep(delay, signal);
      } catch (err) {
        if (signal?.aborted) throw STOP;
        throw err;
      }
    }
  }

  #fatal(kind: ErrorKind, line: string): CollectorError {
    this.#telemetry.onSinkState?.(false, line);
    return new CollectorError(kind, line);
  }

  /** Closes the keep-alive socket. */
  close(): void {
    this.#conn.endpoint.agent.destroy();
  }
}
