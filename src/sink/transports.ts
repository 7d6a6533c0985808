import { InfluxDB, HttpError } from '@influxdata/influxdb-client';
import type { AxiosInstance } from 'axios';
import type { Clock } from '../core/clock.js';
import { classifyWriteStatus, parseRetryAfterMs, type BatchResult, type WriteTransport } from './sink.js';

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.message || e.cause?.message || String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** InfluxDB 1.x: `POST /write` with database, retention policy and second precision. */
export class V1Transport implements WriteTransport {
  readonly label: string;
  readonly #http: AxiosInstance;
  readonly #url: string;
  readonly #params: Record<string, string>;
  readonly #clock: Clock;

  constructor(http: AxiosInstance, clock: Clock, o: { url: string; database: string; retentionPolicy?: string; username?: string; password?: string; timeoutMs: number }) {
    this.#http = http;
    this.#clock = clock;
    this.#url = `${o.url.replace(/\/+$/, '')}/write`;
    this.label = `influx: ${o.url}`;
    this.#params = { db: o.database, precision: 's' };
    if (o.retentionPolicy) this.#params.rp = o.retentionPolicy;
    if (o.username) this.#params.u = o.username;
    if (o.password) this.#params.p = o.password;
    this.#timeoutMs = o.timeoutMs;
  }
  readonly #timeoutMs: number;

  async post(body: string, signal?: AbortSignal): Promise<BatchResult> {
    try {
      const res = await this.#http.post(this.#url, body, {
        params: this.#params,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        timeout: this.#timeoutMs,
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: (x: unknown) => x,
        ...(signal ? { signal } : {}),
      });
      const ra = parseRetryAfterMs(res.headers['retry-after'] as string | undefined, this.#clock.now());
      return classifyWriteStatus(res.status, String(res.data ?? ''), ra);
    } catch (err) {
      return { kind: 'retry', message: `unreachable: ${networkMessage(err)}` };
    }
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
