/**
 * The sink and the recovery query against a real InfluxDB 1.x: a real partial write (a line it
 * cannot parse, and points whose shard already holds `value` as an integer), the refused points
 * named and the rest stored; the newest bucket per domain read back.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Point } from '../../src/kernel/schema.js';
import type { Clock } from '../../src/ports.js';
import { InfluxRecovery } from '../../src/sink/recovery.js';
import { InfluxSink } from '../../src/sink/sink.js';
import { writePoints } from '../support/fakes.js';
import { createDatabase, influxQuery } from '../support/servers.js';

const clock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

const p = (domain: string, tsSec: number, value: number, extra: Partial<Point> = {}): Point => ({ vendor: 'aliyun', account: 'default', domain, metric: 'traffic_bytes', intervalSec: 300, tsSec, value, ...extra });

describe('InfluxDB 1.x, for real', () => {
  const url = inject('influxV1Url');

  it('a partial write: the unparseable point and the type-conflicting points refused with the server reason, the rest stored', async () => {
    await createDatabase(url, 'sinkpartial');
    // Shards are weeks: an integer `value` in week A makes every float of week A conflict, not week B.
    const weekA = Math.floor(Date.now() / 1000 / 604_800) * 604_800 - 4 * 604_800;
    const weekB = weekA + 2 * 604_800;
    const r0 = await fetch(`${url}/write?db=sinkpartial&precision=s`, { method: 'POST', body: `cdn_origin,account=x,domain=z.example.com,interval=300,metric=m,vendor=aliyun value=1i ${weekA}` });
    expect(r0.status).toBe(204);
    const points = [
      ...Array.from({ length: 7 }, (_, i) => p('b.example.com', weekB + i * 300, i + 0.5)),
      ...Array.from({ length: 3 }, (_, i) => p('a.example.com', weekA + i * 300, i + 0.25)),
      p('b.example.com', 1e20, 1.5),
    ];
    const sink = new InfluxSink({ apiVersion: 1, url, database: 'sinkpartial' }, { measurement: 'cdn_origin', retryMaxMs: 5000 }, { clock });
    const r = await writePoints(sink, points);
    sink.close();
    expect(r.written).toBe(7);
    expect(r.refused.map((x) => x.point)).toEqual(expect.arrayContaining(points.slice(7)));
    expect(r.refused).toHaveLength(4);
    for (const x of r.refused.filter((x) => x.point.tsSec !== 1e20)) expect(x.reason).toMatch(/^HTTP 400: field type conflict: input field "value" on measurement "cdn_origin" is type float, already exists as type integer/);
    const bad = r.refused.find((x) => x.point.tsSec === 1e20)!;
    expect(bad.reason).toMatch(/^HTTP 400: /);
    expect(bad.reason).not.toContain('\n');
    const stored = await influxQuery(url, 'sinkpartial', `SELECT "value" FROM "cdn_origin" WHERE "domain" = 'b.example.com'`);
    expect(stored[0]!.values.map((v) => v[1])).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    expect(await influxQuery(url, 'sinkpartial', `SELECT "value" FROM "cdn_origin" WHERE "domain" = 'a.example.com'`)).toEqual([]);
  });

  it('a database that does not exist: sink_not_found', async () => {
    const sink = new InfluxSink({ apiVersion: 1, url, database: 'nosuchdb' }, { measurement: 'cdn_origin', retryMaxMs: 1000 }, { clock });
    await expect(writePoints(sink, [p('a.example.com', 1_790_000_000, 1)])).rejects.toMatchObject({ kind: 'sink_not_found', message: expect.stringMatching(/HTTP 404: database not found: "?nosuchdb"?/) });
    sink.close();
  });

  it('recovery: the newest bucket per domain of one stream (vendor, account, interval, area, metrics), within the retention', async () => {
    await createDatabase(url, 'sinkrecover');
    const now = Math.floor(Date.now() / 1000 / 300) * 300;
    const tc = (domain: string, tsSec: number, extra: Partial<Point> = {}) => p(domain, tsSec, 1, { vendor: 'tencent', account: "o'brien \"team\"", area: 'mainland', intervalSec: 60, ...extra });
    const points = [
      tc('a.example.com', now - 3600),
      tc('a.example.com', now - 600),
      tc('b.example.com', now - 1200, { metric: 'requests' }),
      // Not this stream: another area, account, interval, metric, or too old.
      tc('a.example.com', now - 60, { area: 'overseas' }),
      tc('a.example.com', now - 60, { account: 'other' }),
      tc('a.example.com', now - 60, { intervalSec: 300 }),
      tc('b.example.com', now - 60, { metric: 'status_2xx' }),
      tc('c.example.com', now - 40 * 86_400),
      tc('d.example.com', now - 300),
    ];
    const sink = new InfluxSink({ apiVersion: 1, url, database: 'sinkrecover' }, { measurement: 'cdn_origin', retryMaxMs: 5000 }, { clock });
    expect((await writePoints(sink, points)).written).toBe(points.length);
    sink.close();
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'sinkrecover' }, { measurement: 'cdn_origin' });
    const got = await rec.newestBuckets({ vendor: 'tencent', account: "o'brien \"team\"", area: 'mainland', intervalSec: 60, metrics: ['traffic_bytes', 'requests'], domains: ['a.example.com', 'b.example.com', 'c.example.com'], retentionSec: 30 * 86_400 });
    expect(got).toEqual(new Map([['a.example.com', now - 600], ['b.example.com', now - 1200]]));
    const missing = new InfluxRecovery({ apiVersion: 1, url, database: 'nosuchdb' }, { measurement: 'cdn_origin' });
    await expect(missing.newestBuckets({ vendor: 'tencent', account: 'a', intervalSec: 60, domains: ['a'] })).rejects.toMatchObject({ kind: 'sink_not_found' });
    rec.close();
    missing.close();
  });
});
