import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/core/runner.js';
import type { CollectDeps } from '../../src/core/collect.js';
import { PacerRegistry } from '../../src/core/pacer.js';
import { healthReport } from '../../src/status/server.js';
import { CollectorMetrics } from '../../src/status/metrics.js';
import { createAliyunAdapter } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { InfluxSink } from '../../src/sink/sink.js';
import { ManualClock, MemoryStore, inProcessHttp, staticCredentials } from '../support/fakes.js';

const AK = 'LTAI-status';
const DOMAINS = ['a.example.com', 'b.example.com'];

function setup(rateLimit = 10) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:20Z'));
  const emu = new AliyunEmulator({ accounts: { [AK]: { secret: 's', domains: DOMAINS } }, now: () => clock.now(), rateLimits: { DescribeDomainRealTimeSrcTrafficData: rateLimit } });
  const memory = { written: 0 };
  let sinkDown = false;
  const metrics = new CollectorMetrics();
  metrics.now = () => clock.now();
  const transport = {
    label: 'influx: http://127.0.0.1:8086',
    post: async (body: string) => {
      if (sinkDown) return { kind: 'retry' as const, message: 'unreachable: connect ECONNREFUSED' };
      memory.written += body.split('\n').length;
      return { kind: 'ok' as const };
    },
  };
  const sink = metrics.wrapSink(
    new InfluxSink(transport, { measurement: 'cdn_origin', batchSize: 5000, retryMaxMs: 2000, retryBaseMs: 100 }, { clock, random: () => 0.5, logger: pino({ level: 'silent' }), observer: metrics.sinkObserver() }),
  );
  const deps: CollectDeps = {
    clock,
    http: inProcessHttp((r) => emu.handle(r)),
    sink,
    store: new MemoryStore(),
    logger: pino({ level: 'silent' }),
    pacers: new PacerRegistry(clock),
    credentials: staticCredentials({ aliyun: { accessKeyId: AK, accessKeySecret: 's' } }),
    nonce: (() => {
      let n = 0;
      return () => `n${++n}`;
    })(),
    random: () => 0.5,
    observer: metrics.collectObserver(),
    report: () => {},
    reported: new Set(),
  };
  const adapter = createAliyunAdapter({
    endpoint: 'http://emu', accessKeyId: AK, domains: DOMAINS, apis: ['DescribeDomainRealTimeSrcTrafficData'], signatureVersion: 'acs3',
    ratePerSec: { DescribeDomainRealTimeSrcTrafficData: 10 }, realTimeSettleMs: 300_000, srcTrafficSettleMs: 900_000,
  });
  const runner = new Runner(deps, { concurrency: 1, requestTimeoutMs: 1000, retry: { maxAttempts: 8, baseDelayMs: 300, maxDelayMs: 5000 }, initialLookbackMs: 3 * 3600_000 }, [adapter], { discoveryIntervalMs: 3600_000 });
  return { clock, emu, memory, metrics, runner, setSinkDown: (v: boolean) => (sinkDown = v) };
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (want.every((w) => line.includes(w))) return Number(line.split(' ').pop());
  }
  return NaN;
}

describe('/metrics', () => {
  it('counts calls, throttles and points as they happened', async () => {
    const { runner, metrics, emu, memory } = setup(1);
    expect(await runner.runAll({ kind: 'collect' })).toBe(true);
    const text = await metrics.registry.metrics();
    const api = 'DescribeDomainRealTimeSrcTrafficData';
    expect(metricValue(text, 'cdn_collector_api_calls_total', { vendor: 'aliyun', api, outcome: 'ok' })).toBe(emu.dataCalls().length);
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    expect(metricValue(text, 'cdn_collector_throttled_calls_total', { vendor: 'aliyun', api })).toBe(emu.limiter.throttled);
    expect(metricValue(text, 'cdn_collector_retries_total', { vendor: 'aliyun', api })).toBe(emu.limiter.throttled);
    expect(metricValue(text, 'cdn_collector_points_total', { vendor: 'aliyun', result: 'written' })).toBe(memory.written);
    expect(memory.written).toBe(2 * 180);
    expect(metricValue(text, 'cdn_collector_write_duration_seconds_count', {})).toBeGreaterThan(0);
    expect(metricValue(text, 'cdn_collector_pass_duration_seconds_count', { vendor: 'aliyun' })).toBe(1);
    // Lag: now (10:00:20 plus the virtual time the pass slept) minus the final end (09:54).
    expect(metricValue(text, 'cdn_collector_checkpoint_lag_seconds', { vendor: 'aliyun' })).toBeGreaterThanOrEqual(380);
    await runner.runAll({ kind: 'collect' });
    const again = await metrics.registry.metrics();
    expect(metricValue(again, 'cdn_collector_points_total', { vendor: 'aliyun', result: 'unchanged' })).toBeGreaterThan(0);
  });
});

describe('/healthz', () => {
  it('unhealthy when the sink is down or a source stalls; healthy again after recovery', async () => {
    const { runner, metrics, clock, setSinkDown } = setup();
    const started = clock.now();
    const report = () => healthReport(runner.health(), { ok: metrics.sinkOk, error: metrics.sinkError }, clock.now(), started);
    expect(report().healthy).toBe(true); // starting: within its first cadences
    expect(await runner.runAll({ kind: 'collect' })).toBe(true);
    expect(report().healthy).toBe(true);

    setSinkDown(true);
    clock.advance(60_000);
    expect(await runner.runAll({ kind: 'collect' })).toBe(false);
    const down = report();
    expect(down.healthy).toBe(false);
    expect(down.body.problems).toEqual([expect.stringMatching(/^sink: influx: .* unreachable/)]);

    setSinkDown(false);
    clock.advance(60_000);
    expect(await runner.runAll({ kind: 'collect' })).toBe(true);
    expect(report().healthy).toBe(true);

    // No completed pass for more than three cadences: stalled.
    clock.advance(4 * 60_000);
    const stalled = report();
    expect(stalled.healthy).toBe(false);
    expect(stalled.body.problems).toEqual([expect.stringMatching(/^aliyun DescribeDomainRealTimeSrcTrafficData: no completed pass for \d+ s/)]);
    await runner.runAll({ kind: 'collect' });
    expect(report().healthy).toBe(true);
  });
});
