/**
 * Test strength (issue 8): the readiness rule (healthReport) at its edges, and what each endpoint of
 * the status server answers.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, SourceHealth } from '../../src/ports.js';
import { CollectorMetrics } from '../../src/status/metrics.js';
import { healthReport, STALE_CADENCES, startStatusServer, type StatusServer } from '../../src/status/server.js';

const src = (o: Partial<SourceHealth> = {}): SourceHealth => ({ vendor: 'aliyun', account: 'ops', stream: 'S1', cadenceSec: 60, ...o });
const T0 = 1_800_000_000_000;

describe('healthReport', () => {
  it('stale only past STALE_CADENCES cadences since the last pass (or the start): the edge itself is fresh', () => {
    expect(STALE_CADENCES).toBe(3);
    const edge = healthReport([src({ lastOkMs: T0 })], { ok: true, error: undefined }, T0 + 180_000, T0 - 1);
    expect(edge.healthy).toBe(true);
    expect(edge.body).toEqual({ status: 'ok', problems: [], sources: [{ vendor: 'aliyun', account: 'ops', stream: 'S1', ok: true, lastPassAt: new Date(T0).toISOString(), lastError: null }], sink: { ok: true, error: null } });
    const late = healthReport([src({ lastOkMs: T0, lastError: 'Throttling' })], { ok: true, error: undefined }, T0 + 180_001, T0);
    expect(late.healthy).toBe(false);
    expect(late.body.status).toBe('unhealthy');
    expect(late.body.problems).toEqual(['aliyun S1 (account ops): no completed pass for 180 s (Throttling)']);
    expect((late.body.sources as { ok: boolean; lastError: string }[])[0]).toMatchObject({ ok: false, lastError: 'Throttling' });
  });

  it('a source that never completed counts from the start, and shows no last pass', () => {
    const r = healthReport([src()], { ok: true, error: undefined }, T0 + 200_000, T0);
    expect(r.body.problems).toEqual(['aliyun S1 (account ops): no completed pass for 200 s']);
    expect((r.body.sources as { lastPassAt: unknown }[])[0]!.lastPassAt).toBeNull();
    expect(healthReport([src()], { ok: true, error: undefined }, T0 + 180_000, T0).healthy).toBe(true);
  });

  it('a failing sink is a problem of its own, with its error or a default', () => {
    expect(healthReport([], { ok: false, error: 'influx: down' }, T0, T0).body).toEqual({ status: 'unhealthy', problems: ['sink: influx: down'], sources: [], sink: { ok: false, error: 'influx: down' } });
    expect(healthReport([], { ok: false, error: undefined }, T0, T0).body.problems).toEqual(['sink: writes failing']);
  });
});

describe('status server endpoints', () => {
  let server: StatusServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(sources: SourceHealth[] = []) {
    let now = T0;
    const clock: Clock = { now: () => now, sleep: async () => {} };
    const metrics = new CollectorMetrics({ version: '1', node: 'n' });
    server = await startStatusServer({ host: '127.0.0.1', port: 0, health: () => sources, metrics, clock, logger: pino({ level: 'silent' }) });
    const get = async (path: string, method = 'GET') => {
      const r = await fetch(`http://127.0.0.1:${server!.port}${path}`, { method });
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    };
    return { metrics, get, advance: (ms: number) => (now += ms) };
  }

  it('/livez: ok while the loop ticks (query strings ignored); stuck after 30 s without a tick', async () => {
    const s = await start();
    const ok = await s.get('/livez?probe=1');
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('application/json');
    expect(JSON.parse(ok.text)).toEqual({ status: 'ok', eventLoopLagMs: 0 });
    s.advance(29_999);
    expect((await s.get('/livez')).status).toBe(200);
    s.advance(1);
    const stuck = await s.get('/livez');
    expect(stuck.status).toBe(503);
    expect(JSON.parse(stuck.text)).toEqual({ status: 'stuck', eventLoopLagMs: 29_000 });
  });

  it('/readyz and /healthz: refused points and a sink error are named together, 503; clean again, 200', async () => {
    const s = await start([src({ lastOkMs: T0 })]);
    expect((await s.get('/readyz')).status).toBe(200);
    s.metrics.refusing.set('aliyun S1 (account ops)', 3);
    s.metrics.sinkError = 'influx: http://x:8086 unreachable';
    for (const path of ['/readyz', '/healthz']) {
      const r = await s.get(path);
      expect(r.status).toBe(503);
      expect(r.type).toBe('application/json');
      const body = JSON.parse(r.text) as { problems: string[]; sink: { ok: boolean; error: string } };
      expect(body.sink).toEqual({ ok: false, error: 'influx: http://x:8086 unreachable; InfluxDB refused 3 points in the last pass of aliyun S1 (account ops)' });
    }
    s.metrics.sinkError = undefined;
    const onlyRefused = JSON.parse((await s.get('/readyz')).text) as { sink: { error: string } };
    expect(onlyRefused.sink.error).toBe('InfluxDB refused 3 points in the last pass of aliyun S1 (account ops)');
    s.metrics.refusing.clear();
    s.metrics.sinkOk = false;
    expect(JSON.parse((await s.get('/readyz')).text)).toMatchObject({ sink: { ok: false, error: null }, problems: ['sink: writes failing'] });
    s.metrics.sinkOk = true;
    expect((await s.get('/healthz')).status).toBe(200);
  });

  it('/metrics in the registry\'s format; other paths 404, other methods 405', async () => {
    const s = await start();
    const m = await s.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toBe(s.metrics.registry.contentType);
    expect(m.text).toContain('cdn_collector_build_info{version="1",node="n"} 1');
    expect((await s.get('/nothing')).status).toBe(404);
    expect((await s.get('/livez', 'POST')).status).toBe(405);
    expect((await s.get('/metrics', 'DELETE')).text).toBe('');
  });
});
