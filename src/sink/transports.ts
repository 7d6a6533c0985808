import { InfluxDB, HttpError } from '@influxdata/influxdb-client';
import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../core/clock.js';
import { classifyWriteStatus, parseRetryAfterMs, type BatchResult, type WriteTransport } from './sink.js';

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.message || e.cause?.message || String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * InfluxDB 1.x: `POST /write` with database, retention policy and second precision. Plain node:http
 * on one keep-alive connection: the write path is measured against a raw POST (bench/RESULTS.md), and
 * axios' per-request work cost a tenth of the throughput there.
 */
export class V1Transport implements WriteTransport {
  readonly label: string;
  readonly #url: URL;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #auth: string | undefined;

  constructor(clock: Clock, o: { url: string; database: string; retentionPolicy?: string; username?: string; password?: string; timeoutMs: number }) {
    this.#clock = clock;
    this.label = `influx: ${o.url}`;
    this.#url = new URL(`${o.url.replace(/\/+$/, '')}/write`);
    this.#url.searchParams.set('db', o.database);
    this.#url.searchParams.set('precision', 's');
    if (o.retentionPolicy) this.#url.searchParams.set('rp', o.retentionPolicy);
    // Credentials go in a header, not the URL, so that they never show up in a logged URL.
    this.#auth = o.username ? `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}` : undefined;
    this.#timeoutMs = o.timeoutMs;
    const tls = this.#url.protocol === 'https:';
    this.#agent = tls ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.#request = tls ? https.request : http.request;
  }

  post(body: string, signal?: AbortSignal): Promise<BatchResult> {
    const data = Buffer.from(body, 'utf8');
    return new Promise<BatchResult>((resolve) => {
      const req = this.#request(
        this.#url,
        {
          method: 'POST',
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': data.length, ...(this.#auth ? { authorization: this.#auth } : {}) },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ra = parseRetryAfterMs(res.headers['retry-after'], this.#clock.now());
            resolve(classifyWriteStatus(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), ra));
          });
          res.on('error', (err) => resolve({ kind: 'retry', message: `unreachable: ${networkMessage(err)}` }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.#timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => resolve({ kind: 'retry', message: `unreachable: ${networkMessage(err)}` }));
      req.end(data);
    });
  }
}

/**
 * InfluxDB 2.x/3.x/Cloud through the official client. Its WriteApi does not wait for background
 * batches and swallows their errors (TSDB.md), so each batch goes through the client's transport
 * and is awaited; the client's own retries stay off.
 */
export class V2Transport implements WriteTransport {
  readonly label: string;
  readonly #client: InfluxDB;
  readonly #path: string;
  readonly #clock: Clock;

  constructor(clock: Clock, o: { url: string; token?: string; org: string; bucket: string; timeoutMs: number }) {
    this.#clock = clock;
    this.label = `influx: ${o.url}`;
    this.#client = new InfluxDB({ url: o.url, ...(o.token ? { token: o.token } : {}), timeout: o.timeoutMs });
    const q = new URLSearchParams({ org: o.org, bucket: o.bucket, precision: 's' });
    this.#path = `/api/v2/write?${q.toString()}`;
  }

  async post(body: string, signal?: AbortSignal): Promise<BatchResult> {
    try {
      await this.#client.transport.request(this.#path, body, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        gzipThreshold: Number.MAX_SAFE_INTEGER,
        ...(signal ? { signal } : {}),
      });
      return { kind: 'ok' };
    } catch (err) {
      if (err instanceof HttpError) {
        const h = err.headers?.['retry-after'];
        const ra = parseRetryAfterMs(Array.isArray(h) ? h[0] : h, this.#clock.now());
        return classifyWriteStatus(err.statusCode, err.body ?? err.message, ra);
      }
      return { kind: 'retry', message: `unreachable: ${networkMessage(err)}` };
    }
  }
}
