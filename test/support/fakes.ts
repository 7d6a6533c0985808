/** In-memory implementations of the core's ports (src/ports.ts), for unit tests. */
import pino from 'pino';
import { PacerRegistry } from '../../src/core/pacer.js';
import type { PassDeps } from '../../src/core/pass.js';
import { CollectorError } from '../../src/kernel/errors.js';
import type { HttpRequest, HttpResponse } from '../../src/kernel/http.js';
import type { Point, Sample } from '../../src/kernel/schema.js';
import type { AccountConfig, Credentials, VendorModule } from '../../src/kernel/vendor.js';
import { isKeySpec } from '../../src/config/schema.js';
import type { CheckpointStore, Clock, CredentialProvider, DomainState, EncodedPoints, GapEntry, HttpClient, PointOwner, SendOptions, Sink, StreamRef, StreamState, Telemetry, WriteResult } from '../../src/ports.js';
import type { EmuRequest, EmuResponse } from '../emulators/common.js';

/** Virtual time: sleeping advances the clock at once (abortable like the real one). */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Calls an emulator's handler in-process with the request as it would go over the wire, honouring
 * SendOptions as the real client does: an aborted signal rejects, a body longer than maxBodyBytes
 * fails with `BodyTooLarge`, and an answer that never finishes (`stall`) fails with `Timeout`.
 */
export function inProcessHttp(handle: (r: EmuRequest) => EmuResponse | Promise<EmuResponse>): HttpClient & { sent: HttpRequest[]; options: SendOptions[] } {
  const sent: HttpRequest[] = [];
  const options: SendOptions[] = [];
  return {
    sent,
    options,
    async send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
      if (opts.signal?.aborted) throw netError('ERR_CANCELED', 'canceled');
      sent.push(req);
      options.push(opts);
      const url = new URL(req.url);
      const headers: Record<string, string> = { host: url.host };
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
      const r = await handle({ method: req.method, url, headers, body: req.body ?? '' });
      if (r.stall) throw netError('Timeout', `no complete answer within ${opts.deadlineMs} ms`);
      const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      if (Buffer.byteLength(body) > opts.maxBodyBytes) throw netError('BodyTooLarge', `the answer is longer than ${opts.maxBodyBytes} bytes`);
      return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body };
    },
  };
}

export const pointId = (p: Point) => `${p.vendor}|${p.account}|${p.area ?? ''}|${p.domain}|${p.metric}|${p.intervalSec}|${p.tsSec}`;

/**
 * A Sink that keeps what it was given. `failNext` writes throw a CollectorError of kind
 * sink_unreachable (nothing acknowledged); `refuse(pred, reason)` makes it refuse matching points.
 */
export class MemorySink implements Sink {
  readonly points = new Map<string, Point>();
  readonly batches: Point[][] = [];
  failNext = 0;
  #refusals: { pred: (p: Point) => boolean; reason: string }[] = [];

  refuse(pred: (p: Point) => boolean, reason: string): void {
    this.#refusals.push({ pred, reason });
  }

  clearRefusals(): void {
    this.#refusals = [];
  }

  encode(owner: PointOwner, samples: readonly Sample[]): MemoryEncoded {
    return new MemoryEncoded(samples.map((s) => ({ ...s, vendor: owner.vendor, account: owner.account, ...(owner.area === undefined ? {} : { area: owner.area }) })));
  }

  async write(parts: readonly EncodedPoints[]): Promise<WriteResult> {
    const points = parts.flatMap((p) => {
      if (!(p instanceof MemoryEncoded)) throw new TypeError('MemorySink.write: parts must come from its own encode()');
      return p.points;
    });
    if (this.failNext > 0) {
      this.failNext--;
      throw new CollectorError('sink_unreachable', 'influx: http://sink:8086 unreachable: connect ECONNREFUSED');
    }
    this.batches.push([...points]);
    const refused: { point: Point; reason: string }[] = [];
    for (const p of points) {
      const r = this.#refusals.find((x) => x.pred(p));
      if (r) refused.push({ point: p, reason: r.reason });
      else this.points.set(pointId(p), p);
    }
    return { written: points.length - refused.length, refused };
  }

  /** Points sent in every write so far (refused ones included). */
  get sent(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }
}

class MemoryEncoded implements EncodedPoints {
  constructor(readonly points: readonly Point[]) {}
  get count(): number {
    return this.points.length;
  }
}

/** Writes points through a sink's encode and write, one encoded part per run of one owner (as a pass does per call). */
export function writePoints(sink: Sink, points: readonly Point[], signal?: AbortSignal): Promise<WriteResult> {
  const parts: EncodedPoints[] = [];
  let run: Point[] = [];
  const flush = () => {
    if (run.length) parts.push(sink.encode(run[0]!, run));
    run = [];
  };
  for (const p of points) {
    const o = run[0];
    if (o && (o.vendor !== p.vendor || o.account !== p.account || o.area !== p.area)) flush();
    run.push(p);
  }
  flush();
  return sink.write(parts, signal);
}

function cloneDomain(s: DomainState): DomainState {
  return { finalEndSec: s.finalEndSec, tail: s.tail, owed: new Map(s.owed), owedWindows: s.owedWindows.map((w) => ({ ...w })), ...(s.lastError ? { lastError: { ...s.lastError } } : {}) };
}

/** A CheckpointStore in memory: commits merge the changed domains; the gap ledger is a list. */
export class MemoryStore implements CheckpointStore {
  readonly streams = new Map<string, StreamState>();
  readonly gaps: GapEntry[] = [];
  commits = 0;

  static key(ref: StreamRef): string {
    return `${ref.module}/${ref.account}/${ref.stream}`;
  }

  /** Streams prepared, and every loadSome with its domains, in order: what a pass held when. */
  readonly prepared: string[] = [];
  readonly loads: { ref: string; domains: string[] }[] = [];

  async load(ref: StreamRef): Promise<StreamState> {
    const s = this.streams.get(MemoryStore.key(ref));
    return new Map([...(s ?? new Map<string, DomainState>())].map(([d, st]) => [d, cloneDomain(st)]));
  }

  async prepare(ref: StreamRef): Promise<void> {
    this.prepared.push(MemoryStore.key(ref));
  }

  async loadSome(ref: StreamRef, domains: ReadonlySet<string>): Promise<StreamState> {
    this.loads.push({ ref: MemoryStore.key(ref), domains: [...domains] });
    const s = this.streams.get(MemoryStore.key(ref));
    const out: StreamState = new Map();
    for (const d of domains) {
      const st = s?.get(d);
      if (st) out.set(d, cloneDomain(st));
    }
    return out;
  }

  async commit(ref: StreamRef, changed: ReadonlyMap<string, DomainState>): Promise<void> {
    this.commits++;
    const k = MemoryStore.key(ref);
    const s = this.streams.get(k) ?? new Map<string, DomainState>();
    for (const [d, st] of changed) s.set(d, cloneDomain(st));
    this.streams.set(k, s);
  }

  async recordGaps(entries: readonly GapEntry[]): Promise<void> {
    this.gaps.push(...entries);
  }

  domain(ref: StreamRef, domain: string): DomainState | undefined {
    return this.streams.get(MemoryStore.key(ref))?.get(domain);
  }
}

/** Credentials by module id, then account name (`default` for top-level credentials). */
export function staticCredentials(creds: Record<string, Record<string, Credentials>>): CredentialProvider & { reloads: string[] } {
  const reloads: string[] = [];
  return {
    reloads,
    get: (m, a) => creds[m]?.[a] ?? {},
    reload: (m, a) => void reloads.push(`${m}/${a}`),
  };
}

export function testDeps(o: { clock: ManualClock; http: HttpClient; sink?: Sink; store?: CheckpointStore; credentials: CredentialProvider; telemetry?: Telemetry; reports?: string[] }): PassDeps & { reports: string[]; sink: Sink; store: CheckpointStore } {
  const reports = o.reports ?? [];
  let n = 0;
  return {
    clock: o.clock,
    http: o.http,
    sink: o.sink ?? new MemorySink(),
    store: o.store ?? new MemoryStore(),
    logger: pino({ level: 'silent' }),
    pacers: new PacerRegistry(o.clock),
    credentials: o.credentials,
    nonce: () => `nonce-${++n}-${o.clock.now()}`,
    random: () => 0.5,
    ...(o.telemetry ? { telemetry: o.telemetry } : {}),
    report: (l) => void reports.push(l),
    reported: new Set(),
    reports,
  };
}

/** A vendor module's defaults (as the config schema would give them), with overrides. */
export function moduleSettings(m: VendorModule, over: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { enabled: true, domains: [], accounts: [] };
  for (const [k, v] of Object.entries(m.config)) out[k] = isKeySpec(v) ? v.default : Object.fromEntries(Object.entries(v).map(([kk, s]) => [kk, s.default]));
  return { ...out, ...over };
}

export function moduleAccount(name: string, domains: readonly string[], values: Record<string, unknown> = {}): AccountConfig {
  return { name, domains, values };
}
