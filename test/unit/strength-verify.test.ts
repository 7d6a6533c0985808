/**
 * Test strength (issue 8): verify's comparison (core/verify.ts) against the in-process Alibaba
 * emulator and an InfluxDB stand-in fed by a real pass: missing, wrong, extra and provisional
 * buckets, failed calls and queries.
 */
import { describe, expect, it } from 'vitest';
import { runPass, type PassSettings } from '../../src/core/pass.js';
import { verifyRange } from '../../src/core/verify.js';
import { CollectorError } from '../../src/kernel/errors.js';
import type { Point } from '../../src/kernel/schema.js';
import type { PointSource } from '../../src/ports.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { ManualClock, MemorySink, MemoryStore, inProcessHttp, moduleAccount, moduleSettings, staticCredentials, testDeps } from '../support/fakes.js';

const AK = 'LTAI-test';
const SK = 'secret-test';
const API = 'DescribeDomainRealTimeSrcTrafficData';
const DOMAINS = ['a.example.com', 'b.example.com'];
const START = Date.parse('2026-11-20T10:00:20Z');
const H = (hm: string) => Date.parse(`2026-11-20T${hm}:00Z`) / 1000;
const settings: PassSettings = { concurrency: 4, requestTimeoutMs: 1000, maxBodyBytes: 1 << 20, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, initialLookbackMs: 3_600_000, giveUpAfterMs: 3_600_000, recoverFromInflux: false };

/** InfluxDB as verify reads it: the points a sink holds, by domain|metric|bucket. */
class SinkPoints implements PointSource {
  fail: CollectorError | undefined;
  readonly queries: unknown[] = [];
  constructor(readonly points: Map<string, Point>) {}
  async pointsIn(q: Parameters<PointSource['pointsIn']>[0]): Promise<Map<string, number>> {
    this.queries.push(q);
    if (this.fail) throw this.fail;
    const out = new Map<string, number>();
    for (const p of this.points.values()) {
      if (p.vendor !== q.vendor || p.account !== q.account || p.area !== q.area || p.intervalSec !== q.intervalSec) continue;
      if (!q.metrics.includes(p.metric) || !q.domains.includes(p.domain) || p.tsSec < q.fromSec || p.tsSec >= q.toSec) continue;
      out.set(`${p.domain}|${p.metric}|${p.tsSec}`, p.value);
    }
    return out;
  }
}

async function setup() {
  const clock = new ManualClock(START);
  const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, now: () => clock.now() });
  const sink = new MemorySink();
  const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink, store: new MemoryStore(), credentials: staticCredentials({ aliyun: { default: { accessKeyId: AK, accessKeySecret: SK } } }) });
  const adapter = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://cdn.emulator:8080', apis: [API] }), moduleAccount('default', DOMAINS));
  await runPass(deps, settings, adapter, adapter.streams[0]!, DOMAINS, { kind: 'collect' });
  const points = new SinkPoints(sink.points);
  const verify = (range = { fromSec: H('09:00'), toSec: H('10:00') }, domainsOf = async () => DOMAINS) => verifyRange({ ...deps, points }, { ...settings, concurrency: 4 }, [adapter], domainsOf, range);
  return { sink, points, verify, emu };
}

const key = (d: string, ts: number) => `aliyun|default||${d}|traffic_bytes|60|${ts}`;

describe('verifyRange', () => {
  it('clean after a pass: every bucket compared, the provisional tail named as such, no difference', async () => {
    const { verify } = await setup();
    const r = await verify({ fromSec: H('09:00'), toSec: H('09:54') });
    expect(r.failures).toEqual([]);
    expect(r.differs).toBe(false);
    expect(r.lines).toEqual(['summary aliyun default traffic_bytes: 108 buckets compared, 0 missing, 0 wrong, 0 extra, 0 provisional']);
  });

  it('missing, wrong and extra buckets are each named once and counted; provisional ones do not make a difference', async () => {
    const { verify, sink } = await setup();
    sink.points.delete(key('a.example.com', H('09:10')));
    const wrong = sink.points.get(key('b.example.com', H('09:20')))!;
    sink.points.set(key('b.example.com', H('09:20')), { ...wrong, value: wrong.value + 1 });
    const prov = sink.points.get(key('a.example.com', H('09:58')))!;
    sink.points.set(key('a.example.com', H('09:58')), { ...prov, value: prov.value + 5 });
    // An extra bucket: one the vendor has no row for (after the newest bucket it serves).
    sink.points.set('x', { ...wrong, domain: 'b.example.com', tsSec: H('09:59') + 60 * 60 });
    const r = await verify({ fromSec: H('09:00'), toSec: H('11:00') });
    expect(r.differs).toBe(true);
    const missing = r.lines.filter((l) => l.startsWith('missing '));
    expect(missing).toEqual([expect.stringMatching(/^missing aliyun account=default domain=a\.example\.com metric=traffic_bytes interval=60 2026-11-20T09:10:00Z: vendor [\d.]+, InfluxDB none$/)]);
    expect(r.lines.filter((l) => l.startsWith('wrong '))).toEqual([`wrong aliyun account=default domain=b.example.com metric=traffic_bytes interval=60 2026-11-20T09:20:00Z: vendor ${wrong.value}, InfluxDB ${wrong.value + 1}`]);
    expect(r.lines.filter((l) => l.startsWith('provisional '))).toEqual([`provisional aliyun account=default domain=a.example.com metric=traffic_bytes interval=60 2026-11-20T09:58:00Z: vendor ${prov.value}, InfluxDB ${prov.value + 5} (the vendor may still revise it)`]);
    expect(r.lines.filter((l) => l.startsWith('extra '))).toEqual([`extra aliyun account=default domain=b.example.com metric=traffic_bytes interval=60 2026-11-20T10:59:00Z: InfluxDB ${wrong.value}, the vendor has no such bucket`]);
    expect(r.lines.at(-1)).toMatch(/^summary aliyun default traffic_bytes: \d+ buckets compared, 1 missing, 1 wrong, 1 extra, 1 provisional$/);
  });

  it('a value within float rounding is the same; a query that fails or a discovery that fails is a failure line', async () => {
    const { verify, sink, points } = await setup();
    const p = sink.points.get(key('a.example.com', H('09:30')))!;
    sink.points.set(key('a.example.com', H('09:30')), { ...p, value: p.value * (1 + 1e-12) });
    expect((await verify({ fromSec: H('09:00'), toSec: H('09:54') })).differs).toBe(false);
    points.fail = new CollectorError('sink_unreachable', 'influx: http://x:8086 unreachable: ECONNREFUSED');
    const r = await verify({ fromSec: H('09:00'), toSec: H('09:54') });
    expect(r).toMatchObject({ differs: true, failures: ['verify: influx: http://x:8086 unreachable: ECONNREFUSED'] });
    points.fail = undefined;
    const d = await verify({ fromSec: H('09:00'), toSec: H('09:54') }, async () => {
      throw new CollectorError('vendor', 'aliyun DescribeUserDomains: Throttling');
    });
    expect(d.differs).toBe(true);
    expect(d.failures).toEqual([expect.stringMatching(/^aliyun \(account default\): domain discovery failed: .*Throttling/)]);
    expect(d.lines).toEqual([]);
    // No domains: nothing to compare, nothing asked.
    const n = points.queries.length;
    expect(await verify(undefined, async () => [])).toEqual({ lines: [], failures: [], differs: false });
    expect(points.queries.length).toBe(n);
  });

  it('a failed vendor call: its window is not verified (a failure line) and InfluxDB points in it are not called extra', async () => {
    const { verify, emu } = await setup();
    emu.inject({ fault: 'html-500', count: 1000 });
    const r = await verify({ fromSec: H('09:00'), toSec: H('09:54') });
    expect(r.differs).toBe(true);
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]).toMatch(/^verify: aliyun DescribeDomainRealTimeSrcTrafficData .*; 2026-11-20T09:00:00Z to .* not verified$/);
    expect(r.lines.filter((l) => l.startsWith('extra '))).toEqual([]);
  });
});
