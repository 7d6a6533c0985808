/**
 * Test strength (issue 8): what /metrics reports for each telemetry event, read back from the
 * registry's Prometheus text, and the readiness state the server reads.
 */
import { describe, expect, it } from 'vitest';
import type { PassSummary, StreamRef } from '../../src/ports.js';
import { CollectorMetrics } from '../../src/status/metrics.js';

const ref: StreamRef = { module: 'aliyun', account: 'ops', stream: 'S1' };
const summary = (o: Partial<PassSummary> = {}): PassSummary => ({ windows: 1, calls: 1, written: 0, unchanged: 0, refused: 0, retries: 0, failedCalls: 0, unusable: 0, owed: 0, gaps: 0, domains: 1, ...o });

async function sample(m: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await m.registry.metrics();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('CollectorMetrics', () => {
  it('starts healthy, with a clock that says 0, and build_info 1 with its labels', async () => {
    const m = new CollectorMetrics({ version: '9.9.9', node: 'v0' });
    expect(m.sinkOk).toBe(true);
    expect(m.sinkError).toBeUndefined();
    expect(m.now()).toBe(0);
    expect(m.refusing.size).toBe(0);
    expect(await sample(m, 'cdn_collector_build_info', { version: '9.9.9', node: 'v0' })).toBe(1);
  });

  it('calls by outcome; throttled counts as throttled and retried, retried as retried only, ok and failed as neither', async () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    const t = m.telemetry();
    const l = { vendor: 'aliyun', account: 'ops', api: 'A' };
    t.onCall!('aliyun', 'ops', 'A', 'ok');
    t.onCall!('aliyun', 'ops', 'A', 'failed');
    t.onCall!('aliyun', 'ops', 'A', 'throttled');
    t.onCall!('aliyun', 'ops', 'A', 'retried');
    t.onCall!('aliyun', 'ops', 'A', 'retried');
    expect(await sample(m, 'cdn_collector_api_calls_total', { ...l, outcome: 'ok' })).toBe(1);
    expect(await sample(m, 'cdn_collector_api_calls_total', { ...l, outcome: 'failed' })).toBe(1);
    expect(await sample(m, 'cdn_collector_api_calls_total', { ...l, outcome: 'throttled' })).toBe(1);
    expect(await sample(m, 'cdn_collector_api_calls_total', { ...l, outcome: 'retried' })).toBe(2);
    expect(await sample(m, 'cdn_collector_throttled_calls_total', l)).toBe(1);
    expect(await sample(m, 'cdn_collector_retries_total', l)).toBe(3);
  });

  it('a pass: points by result, owed, gaps into both gap metrics, duration, and the lag from its newest final bucket', async () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    const t = m.telemetry();
    m.setGapEntries(new Map([['aliyun|ops', { vendor: 'aliyun', account: 'ops', n: 4 }]]));
    t.onPass!(ref, 'aliyun', summary({ written: 7, unchanged: 5, refused: 0, unusable: 2, owed: 3, gaps: 2, finalEndSec: 1000 }), 2500);
    const l = { vendor: 'aliyun', account: 'ops', stream: 'S1' };
    expect(await sample(m, 'cdn_collector_points_total', { ...l, result: 'written' })).toBe(7);
    expect(await sample(m, 'cdn_collector_points_total', { ...l, result: 'unchanged' })).toBe(5);
    expect(await sample(m, 'cdn_collector_points_total', { ...l, result: 'refused' })).toBe(0);
    expect(await sample(m, 'cdn_collector_points_total', { ...l, result: 'unusable' })).toBe(2);
    expect(await sample(m, 'cdn_collector_owed_buckets', l)).toBe(3);
    expect(await sample(m, 'cdn_collector_gaps_recorded_total', l)).toBe(2);
    expect(await sample(m, 'cdn_collector_gap_buckets', { vendor: 'aliyun', account: 'ops' })).toBe(6);
    expect(await sample(m, 'cdn_collector_pass_duration_seconds_sum', l)).toBe(2.5);
    expect(await sample(m, 'cdn_collector_pass_duration_seconds_count', l)).toBe(1);
    m.now = () => 1_600_000;
    expect(await sample(m, 'cdn_collector_checkpoint_lag_seconds', l)).toBe(600);
    // A checkpoint ahead of the clock is no lag, never a negative one.
    m.now = () => 500_000;
    expect(await sample(m, 'cdn_collector_checkpoint_lag_seconds', l)).toBe(0);
    // No gaps: the gap metrics stay as they were; no final end: the lag keeps the last one.
    t.onPass!(ref, 'aliyun', summary({ owed: 0 }), 1000);
    expect(await sample(m, 'cdn_collector_gaps_recorded_total', l)).toBe(2);
    expect(await sample(m, 'cdn_collector_gap_buckets', { vendor: 'aliyun', account: 'ops' })).toBe(6);
    expect(await sample(m, 'cdn_collector_owed_buckets', l)).toBe(0);
    m.now = () => 1_600_000;
    expect(await sample(m, 'cdn_collector_checkpoint_lag_seconds', l)).toBe(600);
  });

  it('refusing: a pass with refused points names its stream until a pass without', () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    const t = m.telemetry();
    t.onPass!(ref, 'aliyun', summary({ refused: 3 }), 1);
    t.onPass!({ ...ref, stream: 'S2' }, 'aliyun', summary({ refused: 1 }), 1);
    expect([...m.refusing]).toEqual([
      ['aliyun S1 (account ops)', 3],
      ['aliyun S2 (account ops)', 1],
    ]);
    t.onPass!(ref, 'aliyun', summary({ refused: 0 }), 1);
    expect([...m.refusing]).toEqual([['aliyun S2 (account ops)', 1]]);
  });

  it('sink state: an error is kept while failing and cleared by the next success', () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    const t = m.telemetry();
    t.onSinkState!(false, 'influx: http://x:8086 unreachable: ECONNREFUSED');
    expect([m.sinkOk, m.sinkError]).toEqual([false, 'influx: http://x:8086 unreachable: ECONNREFUSED']);
    t.onSinkState!(true, 'ignored when ok');
    expect([m.sinkOk, m.sinkError]).toEqual([true, undefined]);
  });

  it('progress hooks are forwarded with their arguments when set, and harmless when not', () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    const t = m.telemetry();
    expect(() => t.onPlanned!('aliyun', 'S1', 3)).not.toThrow();
    const seen: string[] = [];
    m.onPlanned = (mod, s, n) => seen.push(`planned ${mod} ${s} ${n}`);
    m.onWindowsDone = (mod, s, n) => seen.push(`done ${mod} ${s} ${n}`);
    t.onPlanned!('aliyun', 'S1', 3);
    t.onWindowsDone!('aliyun', 'S1', 2);
    expect(seen).toEqual(['planned aliyun S1 3', 'done aliyun S1 2']);
  });

  it('write latency in seconds; expected freshness per rate key', async () => {
    const m = new CollectorMetrics({ version: '1', node: 'n' });
    m.telemetry().onWrite!(10, 250, true);
    expect(await sample(m, 'cdn_collector_write_duration_seconds_sum')).toBe(0.25);
    expect(await sample(m, 'cdn_collector_write_duration_seconds_bucket', { le: '0.25' })).toBe(1);
    expect(await sample(m, 'cdn_collector_write_duration_seconds_bucket', { le: '0.1' })).toBe(0);
    m.setExpectedFreshness('tencent', 'ops', 'DescribeOriginData', 420);
    expect(await sample(m, 'cdn_collector_expected_freshness_seconds', { vendor: 'tencent', account: 'ops', rate_key: 'DescribeOriginData' })).toBe(420);
  });
});
