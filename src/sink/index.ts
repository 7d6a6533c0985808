/** What main needs of the sink: the writer and the recovery query, built from influx.* settings. */
import type { Clock, PointSource, RecoverySource, Sink, Telemetry } from '../ports.js';
import { InfluxPoints } from './query.js';
import { InfluxRecovery } from './recovery.js';
import { InfluxSink } from './sink.js';
import type { InfluxTarget } from './target.js';

export interface InfluxSettings {
  readonly url: string;
  readonly apiVersion: 1 | 2;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  readonly database: string;
  readonly retentionPolicy: string;
  readonly username: string;
  readonly password: string;
  readonly measurement: string;
  readonly batchSize: number;
  readonly requestTimeoutMs: number;
}

export function targetOf(s: InfluxSettings): InfluxTarget {
  return s.apiVersion === 1
    ? { apiVersion: 1, url: s.url, database: s.database, ...(s.retentionPolicy ? { retentionPolicy: s.retentionPolicy } : {}), ...(s.username ? { username: s.username, password: s.password } : {}) }
    : { apiVersion: 2, url: s.url, org: s.org, bucket: s.bucket, ...(s.token ? { token: s.token } : {}) };
}

export function createSink(s: InfluxSettings, deps: { clock: Clock; random: () => number; telemetry: Telemetry; retryMaxMs: number; report?: (line: string) => void }): Sink {
  return new InfluxSink(
    targetOf(s),
    { measurement: s.measurement, batchSize: s.batchSize, retryMaxMs: deps.retryMaxMs, requestDeadlineMs: s.requestTimeoutMs },
    { clock: deps.clock, random: deps.random, telemetry: deps.telemetry, ...(deps.report ? { report: deps.report } : {}) },
  );
}

export function createRecovery(s: InfluxSettings): RecoverySource {
  return new InfluxRecovery(targetOf(s), { measurement: s.measurement, requestDeadlineMs: s.requestTimeoutMs });
}

export function createPointSource(s: InfluxSettings): PointSource {
  return new InfluxPoints(targetOf(s), { measurement: s.measurement, requestDeadlineMs: s.requestTimeoutMs });
}
