import pino from 'pino';
import type { Clock } from '../../src/core/clock.js';
import type { CollectDeps, CredentialProvider, HttpClient } from '../../src/core/collect.js';
import { PacerRegistry } from '../../src/core/pacer.js';
import type { Point } from '../../src/metrics/schema.js';
import type { Sink, WriteResult } from '../../src/sink/sink.js';
import { decodeState, encodeState, type StateStore, type StreamState } from '../../src/state/store.js';
import type { HttpRequest, HttpResponse } from '../../src/vendors/types.js';
import type { EmuRequest, EmuResponse } from '../emulators/common.js';

/** Virtual time: sleeping advances the clock at once. */
export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Calls an emulator's handler in-process, with the request as it would go over the wire. */
export function inProcessHttp(handle: (r: EmuRequest) => EmuResponse | Promise<EmuResponse>): HttpClient & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    async send(req: HttpRequest): Promise<HttpResponse> {
      sent.push(req);
      const url = new URL(req.url);
      const headers: Record<string, string> = { host: url.host };
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
      const r = await handle({ method: req.method, url, headers, body: req.body ?? '' });
      return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) };
    },
  };
}

export class MemorySink implements Sink {
  readonly points = new Map<string, Point>();
  readonly batches: Point[][] = [];
  failNext = 0;
  async write(points: readonly Point[]): Promise<WriteResult> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('influx: http://sink unreachable: connect ECONNREFUSED');
    }
    this.batches.push([...points]);
    for (const p of points) this.points.set(`${p.vendor}|${p.domain}|${p.metric}|${p.intervalSec}|${p.tsSec}`, p);
    return { written: points.length, rejected: 0 };
  }
  get written(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }
}

export class MemoryStore implements StateStore {
  readonly files = new Map<string, string>();
  async load(v: string, a: string, s: string): Promise<StreamState> {
    const t = this.files.get(`${v}/${a}/${s}`);
    return t ? decodeState(JSON.parse(t) as Parameters<typeof decodeState>[0]) : new Map();
  }
  async save(v: string, a: string, s: string, state: StreamState): Promise<void> {
    this.files.set(`${v}/${a}/${s}`, JSON.stringify(encodeState(state)));
  }
}

export function staticCredentials(creds: Record<string, Record<string, string>>): CredentialProvider & { reloads: number } {
  const p = { reloads: 0, get: (v: string) => creds[v] ?? {}, reload: () => void p.reloads++ };
  return p;
}

export function testDeps(o: { clock: ManualClock; http: HttpClient; sink?: Sink; store?: StateStore; credentials: CredentialProvider; reports?: string[] }): CollectDeps & { reports: string[] } {
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
    report: (l) => reports.push(l),
    reported: new Set(),
    reports,
  };
}
