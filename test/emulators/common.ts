/** Pieces every vendor emulator shares: an HTTP server, call log, sliding-window throttle, data. */
import { createHash } from 'node:crypto';
import http from 'node:http';

export interface EmuRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface EmuResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** Send the headers and the first bytes of the body, then never finish it (a fault the collector's deadline must catch). */
  readonly stall?: boolean;
}

export interface CallRecord {
  readonly api: string;
  readonly domains: readonly string[];
  readonly status: number;
  readonly code?: string;
  readonly params: Record<string, string>;
  readonly atMs: number;
}

export class EmuServer {
  #server: http.Server | undefined;
  url = '';

  constructor(private readonly handle: (req: EmuRequest) => EmuResponse | Promise<EmuResponse>) {}

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        const url = new URL(req.url ?? '/', `http://${headers.host ?? 'localhost'}`);
        Promise.resolve(this.handle({ method: req.method ?? 'GET', url, headers, body: Buffer.concat(chunks).toString('utf8') }))
          .then((r) => {
            const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
            res.writeHead(r.status, { 'content-type': typeof r.body === 'string' ? 'text/xml' : 'application/json', ...(r.headers ?? {}) });
            if (r.stall) res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
            else res.end(body);
          })
          .catch((err: unknown) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ Code: 'InternalError', Message: String(err) }));
          });
      });
    });
    this.#server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.#server!.listen(port, host, () => resolve()));
    const addr = this.#server.address();
    this.url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Counts accepted calls per key in the last second; above the limit the call is throttled. */
export class SlidingLimiter {
  readonly #hits = new Map<string, number[]>();
  throttled = 0;

  admit(key: string, limit: number, nowMs: number): boolean {
    const list = (this.#hits.get(key) ?? []).filter((t) => t > nowMs - 1000);
    if (list.length >= limit) {
      this.#hits.set(key, list);
      this.throttled++;
      return false;
    }
    list.push(nowMs);
    this.#hits.set(key, list);
    return true;
  }
}

export interface Fault {
  readonly api?: string;
  readonly status: number;
  readonly body: unknown;
  remaining: number;
}

/** Deterministic bytes for one minute of one domain: the basis of every emulated series. */
export function minuteBytes(domain: string, minuteStartSec: number, salt = ''): number {
  const h = createHash('sha256').update(`${salt}|${domain}|${minuteStartSec}`).digest();
  return 1_000_000 + (h.readUInt32BE(0) % 50_000_000);
}

/**
 * A bucket's value as served at `nowMs`: the final value once the bucket's end is older than the
 * settle time, and a smaller, growing value before that (the vendor revises recent data).
 */
export function revised(finalValue: number, bucketEndMs: number, settleMs: number, nowMs: number): number {
  const age = nowMs - bucketEndMs;
  if (age >= settleMs) return finalValue;
  const steps = Math.max(1, Math.ceil(settleMs / 60_000));
  const step = Math.max(0, Math.floor(age / 60_000));
  return Math.floor((finalValue * (steps + step)) / (2 * steps));
}

export function sha256hex(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

export interface EmulatorClock {
  /** The emulator's idea of now (epoch ms); real time unless a test moves it. */
  readonly now?: () => number;
  /** Added to every answer, to make passes take a while. */
  readonly latencyMs?: number;
}

/** What every vendor emulator shares: its server, call log, throttle and clock. */
export abstract class Emulator {
  readonly server: EmuServer;
  readonly calls: CallRecord[] = [];
  readonly limiter = new SlidingLimiter();
  readonly faults: Fault[] = [];
  readonly #clock: EmulatorClock;

  constructor(clock: EmulatorClock) {
    this.#clock = clock;
    this.server = new EmuServer(async (r) => {
      if (clock.latencyMs) await new Promise((res) => setTimeout(res, clock.latencyMs));
      return this.handle(r);
    });
  }

  abstract handle(req: EmuRequest): EmuResponse | Promise<EmuResponse>;

  now(): number {
    return this.#clock.now?.() ?? Date.now();
  }

  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
