/** /livez, /readyz, /healthz and /metrics, over HTTP, fed by a runner against the emulator. */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { PassSettings } from '../../src/core/pass.js';
import { Runner } from '../../src/core/runner.js';
import { CollectorMetrics } from '../../src/status/metrics.js';
import { healthReport, startStatusServer, type StatusServer } from '../../src/status/server.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { ManualClock, MemorySink, inProcessHttp, moduleAccount, moduleSettings, staticCredentials, testDeps } from '../support/fakes.js';

const API = 'DescribeDomainRealTimeSrcTrafficData';
const DOMAINS = ['a.example.com', 'b.example.com'];
const settings: PassSettings = { concurrency: 1, requestTimeoutMs: 1000, maxBodyBytes: 1 << 20, retry: { maxAttempts: 8, baseDelayMs: 300, maxDelayMs: 5000 }, initialLookbackMs: 3600_000, giveUpAfterMs: 86_400_000, recoverFromInflux: false };

function setup(rateLimit = 10) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:20Z'));
  const emu = new AliyunEmulator({ accounts: { AK: { secret: 's', domains: DOMAINS } }, now: () => clock.now(), rateLimits: { [API]: rateLimit } });
  const metrics = new CollectorMetrics({ version: '9.9.9-test', node: 'v20.1.2' });
  metrics.now = () => clock.now();
  const telemetry = metrics.telemetry();
  const memory = new MemorySink();
  // The sink reports its state to telemetry as the real one does.
  const sink = {
    down: false,
    encode: memory.encode.bind(memory),
    async write(points: Parameters<MemorySink['write']>[0]) {
      try {
        if (this.down) memory.failNext = 1;
        const r = await memory.write(points);
        telemetry.onSinkState?.(true);
        return r;
      } catch (err) {
        telemetry.onSinkState?.(false, (err as Error).message);
        throw err;
      }
    },
  };
  const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink, telemetry, credentials: staticCredentials({ aliyun: { default: { accessKeyId: 'AK', accessKeySecret: 's' } } }) });
  const adapter = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://emu', apis: [API], ratePerSec: { ...(moduleSettings(aliyunModule).ratePerSec as object), [API]: 10 } }), moduleAccount('default', DOMAINS));
  const runner = new Runner(deps, settings, [adapter], { discoveryIntervalMs: 3600_000, stopGraceMs: 100 });
  return { clock, emu, memory, metrics, runner, sink };
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (want.every((w) => line.includes(w))) return Number(line.split(' ').pop());
  }
  return NaN;
}

let server: StatusServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the status server', () => {
  it('/livez stays 200 while /readyz and /healthz are 503 with the sink down; ready again after recovery', async () => {
    const { runner, metrics, clock, sink } = setup();
    // The manual clock stands still here: /livez measures event-loop ticks on the same clock.
    server = await startStatusServer({ host: '127.0.0.1', port: 0, health: () => runner.health(), metrics, clock, logger: pino({ level: 'silent' }) });
    const get = async (p: string) => {
      const r = await fetch(`http://127.0.0.1:${server!.port}${p}`);
      return { status: r.status, body: await r.text() };
    };
    expect((await runner.runAll({ kind: 'collect' })).ok).toBe(true);
    expect((await get('/readyz')).status).toBe(200);
    sink.down = true;
    expect((await runner.runAll({ kind: 'collect' })).ok).toBe(false);
    expect((await get('/livez')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).problems).toEqual([expect.stringMatching(/^sink: influx: .* unreachable/)]);
    expect((await get('/healthz')).status).toBe(503);
    sink.down = false;
    expect((await runner.runAll({ kind: 'collect' })).ok).toBe(true);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/nope')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/livez`, { method: 'POST' })).status).toBe(405);
  });

  it('/metrics: build info, process metrics, calls, throttles and points as they happened', async () => {
    const { runner, metrics, emu, memory, clock } = setup(1);
    server = await startStatusServer({ host: '127.0.0.1', port: 0, health: () => runner.health(), metrics, clock, logger: pino({ level: 'silent' }) });
    expect((await runner.runAll({ kind: 'collect' })).ok).toBe(true);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(metricValue(text, 'cdn_collector_build_info', { version: '9.9.9-test', node: 'v20.1.2' })).toBe(1);
    expect(text).toMatch(/^cdn_collector_process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^cdn_collector_process_resident_memory_bytes /m);
    expect(text).toMatch(/^cdn_collector_nodejs_eventloop_lag_seconds /m);
    expect(metricValue(text, 'cdn_collector_api_calls_total', { vendor: 'aliyun', api: API, outcome: 'ok' })).toBe(emu.dataCalls().length);
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    expect(metricValue(text, 'cdn_collector_throttled_calls_total', { vendor: 'aliyun', api: API })).toBe(emu.limiter.throttled);
    expect(metricValue(text, 'cdn_collector_points_total', { vendor: 'aliyun', result: 'written' })).toBe(memory.points.size);
    expect(memory.points.size).toBe(2 * 60);
    expect(metricValue(text, 'cdn_collector_owed_buckets', { vendor: 'aliyun', stream: API })).toBe(0);
    expect(metricValue(text, 'cdn_collector_checkpoint_lag_seconds', { vendor: 'aliyun', stream: API })).toBeGreaterThanOrEqual(380);
  });
});

describe('healthReport', () => {
  const src = { vendor: 'aliyun', account: 'default', stream: API, cadenceSec: 60 };
  it.each([
    ['starting, within three cadences', [src], true, 179_000, true],
    ['starting, no pass for more than three cadences', [src], true, 181_000, false],
    ['a recent pass', [{ ...src, lastOkMs: 100_000 }], true, 200_000, true],
    ['a stale source', [{ ...src, lastOkMs: 0, lastError: 'boom' }], true, 181_000, false],
    ['sink down', [{ ...src, lastOkMs: 100_000 }], false, 100_000, false],
  ] as const)('%s', (_n, sources, sinkOk, now, healthy) => {
    const r = healthReport(sources, { ok: sinkOk, error: sinkOk ? undefined : 'influx: down' }, now, 0);
    expect(r.healthy).toBe(healthy);
    if (!healthy) expect((r.body.problems as string[]).length).toBeGreaterThan(0);
  });
});
