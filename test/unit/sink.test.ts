import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { InfluxSink, classifyWriteStatus, parseRetryAfterMs, type BatchResult } from '../../src/sink/sink.js';
import { toLine, type Point } from '../../src/metrics/schema.js';
import { ManualClock } from '../support/fakes.js';

const points = (n: number): Point[] => Array.from({ length: n }, (_, i) => ({ vendor: 'aliyun', domain: `d${i % 7}.example.com`, metric: 'traffic_bytes', intervalSec: 60, tsSec: 1_790_000_000 + i * 60, value: i + 0.5 }));

function sink(results: (body: string) => BatchResult, retryMaxMs = 30_000) {
  const clock = new ManualClock(0);
  const posts: string[] = [];
  const s = new InfluxSink(
    { label: 'influx: http://x', post: async (b) => (posts.push(b), results(b)) },
    { measurement: 'cdn_origin', batchSize: 5000, retryMaxMs, retryBaseMs: 500 },
    { clock, random: () => 0.5, logger: pino({ level: 'silent' }) },
  );
  return { s, posts, clock };
}

describe('line protocol', () => {
  it('tags sorted, escaped; the value always a float; second precision', () => {
    expect(toLine('cdn origin', { vendor: 'tencent', domain: 'a,b= c.com', metric: 'status_404', intervalSec: 300, tsSec: 1_790_000_000, value: 12 })).toBe(
      'cdn\\ origin,domain=a\\,b\\=\\ c.com,interval=300,metric=status_404,vendor=tencent value=12 1790000000',
    );
  });
});

describe('the write path', () => {
  it('batches of 5,000, each awaited', async () => {
    const { s, posts } = sink(() => ({ kind: 'ok' }));
    expect(await s.write(points(12_001))).toEqual({ written: 12_001, rejected: 0 });
    expect(posts.map((p) => p.split('\n').length)).toEqual([5000, 5000, 2001]);
  });

  it('413 splits the batch until it fits', async () => {
    const { s, posts } = sink((b) => (b.split('\n').length > 1200 ? { kind: 'too_large' } : { kind: 'ok' }));
    expect(await s.write(points(5000))).toEqual({ written: 5000, rejected: 0 });
    expect(posts.filter((p) => p.split('\n').length <= 1200).reduce((n, p) => n + p.split('\n').length, 0)).toBe(5000);
  });

  it('400 bad data: reported and the bad points dropped, no retry', async () => {
    const { s, posts } = sink(() => ({ kind: 'bad_data', status: 400, message: 'partial write: field type conflict: input field "value" on measurement "cdn_origin" is type integer, already exists as type float dropped=2' }));
    expect(await s.write(points(10))).toEqual({ written: 8, rejected: 2 });
    expect(posts).toHaveLength(1);
  });

  it('429/5xx retried honouring Retry-After, then written', async () => {
    let n = 0;
    const { s, posts, clock } = sink(() => (++n <= 2 ? { kind: 'retry', message: 'answered HTTP 429', retryAfterMs: 7000 } : { kind: 'ok' }));
    expect(await s.write(points(3))).toEqual({ written: 3, rejected: 0 });
    expect(posts).toHaveLength(3);
    expect(clock.now()).toBeGreaterThanOrEqual(14_000);
  });

  it('a Retry-After beyond the deadline ends the write at once', async () => {
    const { s, posts, clock } = sink(() => ({ kind: 'retry', message: 'answered HTTP 429', retryAfterMs: 60_000 }));
    await expect(s.write(points(1))).rejects.toThrow(/429/);
    expect(posts).toHaveLength(1);
    expect(clock.now()).toBe(0);
  });

  it('gives up after writeRetryMaxMs with the reason', async () => {
    const { s, clock } = sink(() => ({ kind: 'retry', message: 'unreachable: connect ECONNREFUSED' }), 30_000);
    await expect(s.write(points(1))).rejects.toThrow('influx: http://x unreachable: connect ECONNREFUSED');
    expect(clock.now()).toBeLessThanOrEqual(30_000);
  });

  it('401/403 stop with a clear message', async () => {
    const { s, posts } = sink(() => classifyWriteStatus(401, '{"message":"unauthorized access"}', undefined));
    await expect(s.write(points(1))).rejects.toThrow(/not authorized \(HTTP 401\): unauthorized access/);
    expect(posts).toHaveLength(1);
  });

  it('classifies statuses and reads Retry-After in seconds or as a date', () => {
    expect(classifyWriteStatus(204, '', undefined)).toEqual({ kind: 'ok' });
    expect(classifyWriteStatus(422, '{"code":"unprocessable entity","message":"failure writing points"}', undefined).kind).toBe('bad_data');
    expect(classifyWriteStatus(503, 'busy', 2000)).toEqual({ kind: 'retry', message: 'answered HTTP 503: busy', retryAfterMs: 2000 });
    expect(parseRetryAfterMs('3', 0)).toBe(3000);
    expect(parseRetryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
  });
});
