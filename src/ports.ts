/**
 * The core's ports: what it needs from the world, as interfaces. Implementations live in http/,
 * sink/, state/ and status/, which import only these and the kernel; main.ts composes them.
 */
import type { HttpRequest, HttpResponse } from './kernel/http.js';
import type { Point, Sample } from './kernel/schema.js';
import type { Credentials } from './kernel/vendor.js';

/** The only source of "now" for the collector. Tests pass a manual clock. */
export interface Clock {
  /** Epoch milliseconds, UTC. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface SendOptions {
  /** Wall-clock deadline of the whole exchange: connect, headers and body. */
  readonly deadlineMs: number;
  /** Largest body read; a longer one fails the call. */
  readonly maxBodyBytes: number;
  readonly signal?: AbortSignal;
  /** Called once the request has been written to the connection (when the server can see it). */
  readonly onSent?: () => void;
}

export interface HttpClient {
  /** Rejects with a CollectorError-free Error carrying `code` (`Timeout`, `BodyTooLarge`, `ECONNREFUSED`, …). */
  send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse>;
}

/** A point InfluxDB refused, with the server's reason (one line). */
export interface RefusedPoint {
  readonly point: Point;
  readonly reason: string;
}

export interface WriteResult {
  /** Points acknowledged by InfluxDB. */
  readonly written: number;
  readonly refused: readonly RefusedPoint[];
}

/** Whose points: the same for every point of a stream's pass. */
export interface PointOwner {
  readonly vendor: string;
  readonly account: string;
  /** Tencent only: `mainland` | `overseas`. */
  readonly area?: string;
}

/** Points encoded by a sink as soon as they are known; opaque to the core, written later. */
export interface EncodedPoints {
  readonly count: number;
}

export interface Sink {
  /**
   * Encodes samples for writing, synchronously. The core calls it as each answer arrives, so that
   * what waits for the write is one compact value per call rather than an object per point.
   */
  encode(owner: PointOwner, samples: readonly Sample[]): EncodedPoints;
  /**
   * Writes what this sink encoded, in order (the last value of a point wins). Resolves once InfluxDB
   * acknowledged or refused every point; throws a CollectorError of a sink kind when it stays
   * unreachable or refuses the credentials (nothing may then be committed).
   */
  write(parts: readonly EncodedPoints[], signal?: AbortSignal): Promise<WriteResult>;
}

/** Which stream state: a vendor module, an account of it, one of its streams. */
export interface StreamRef {
  readonly module: string;
  readonly account: string;
  readonly stream: string;
}

/** A bucket (or a whole window) that was not written and is fetched again by later passes. */
export interface Owed {
  /** Why it is owed: the unusable value, InfluxDB's refusal, or the failed call. */
  readonly reason: string;
  /** When it was first found owed (epoch s). */
  readonly sinceSec: number;
}

export interface OwedWindow extends Owed {
  readonly fromSec: number;
  readonly toSec: number;
  readonly granularitySec: number;
  readonly alignOffsetSec?: number;
}

export interface DomainState {
  /** Every bucket that starts before this is final and written, owed, or in the gap ledger. Epoch s. */
  finalEndSec: number;
  /** Values written for provisional buckets (key: metric|interval|tsSec), so unchanged ones are not rewritten: a kernel/tail.ts Tail. */
  tail: ReadonlyMap<string, number>;
  /** Single buckets not written (key: metric|interval|tsSec): unusable values, points InfluxDB refused. */
  owed: ReadonlyMap<string, Owed>;
  /** Windows whose call failed for good in a pass. */
  owedWindows: readonly OwedWindow[];
  /** The last problem seen for this domain, for `status`. */
  lastError?: { readonly atSec: number; readonly message: string };
}

export type StreamState = Map<string, DomainState>;

/** A bucket range given up on: recorded in the gap ledger of state.dir and shown by `status`. */
export interface GapEntry {
  readonly module: string;
  readonly vendor: string;
  readonly account: string;
  readonly stream: string;
  readonly domain: string;
  /** `*` when a whole window's call failed. */
  readonly metric: string;
  readonly intervalSec: number;
  readonly fromSec: number;
  readonly toSec: number;
  readonly reason: string;
  readonly recordedAtSec: number;
}

export interface CheckpointStore {
  /** Readies a stream for a pass: its checkpoints are validated whole, so damage is found before anything is fetched. */
  prepare(ref: StreamRef): Promise<void>;
  /**
   * The states of these domains (absent: no checkpoint). A pass asks a slab at a time, so that what it
   * holds follows the slab, not the stream (issue 12).
   */
  loadSome(ref: StreamRef, domains: ReadonlySet<string>): Promise<StreamState>;
  /** Durably records the new state of the domains that changed (others keep theirs). */
  commit(ref: StreamRef, changed: ReadonlyMap<string, DomainState>): Promise<void>;
  /** Appends to the gap ledger, durably. */
  recordGaps(entries: readonly GapEntry[]): Promise<void>;
}

/** Credentials of one account, by module and account name. */
export interface CredentialProvider {
  get(module: string, account: string): Credentials;
  /** Reads `*_FILE` / `kFile` secrets again (rotated keys, refreshed STS tokens). */
  reload(module: string, account: string): void;
}

/** The newest bucket InfluxDB holds per domain of a stream (state.recoverFromInflux). */
export interface RecoverySource {
  newestBuckets(q: { vendor: string; account: string; area?: string; metrics?: readonly string[]; intervalSec: number; domains: readonly string[] }): Promise<Map<string, number>>;
}

/** Points InfluxDB holds, for `verify`: value by `domain|metric|tsSec`. */
export interface PointSource {
  pointsIn(q: { vendor: string; account: string; area?: string; intervalSec: number; metrics: readonly string[]; domains: readonly string[]; fromSec: number; toSec: number }): Promise<Map<string, number>>;
}

/** What readiness knows of one source: when it last completed a pass and its last error. */
export interface SourceHealth {
  readonly vendor: string;
  readonly account: string;
  readonly stream: string;
  readonly cadenceSec: number;
  readonly lastOkMs?: number;
  readonly lastError?: string;
}

export interface PassSummary {
  windows: number;
  calls: number;
  written: number;
  unchanged: number;
  refused: number;
  retries: number;
  failedCalls: number;
  unusable: number;
  owed: number;
  gaps: number;
  domains: number;
  /** Newest final bucket end over the stream's domains after the pass (epoch s), for lag metrics. */
  finalEndSec?: number;
}

/** What the core tells telemetry (metrics, progress); every hook optional. */
export interface Telemetry {
  onCall?(vendor: string, account: string, api: string, outcome: 'ok' | 'throttled' | 'retried' | 'failed'): void;
  /** A pass planned this many windows (calls before retries). */
  onPlanned?(module: string, stream: string, windows: number): void;
  /** Windows of a pass were fetched and written (or failed). */
  onWindowsDone?(module: string, stream: string, windows: number): void;
  onPass?(ref: StreamRef, vendor: string, r: PassSummary, durationMs: number): void;
  onWrite?(points: number, latencyMs: number, ok: boolean): void;
  onSinkState?(ok: boolean, error?: string): void;
}
