/**
 * Backfill at the documented limits: `backfill` through the CLI against an emulator that throttles
 * above the vendor's documented rate, into InfluxDB 1.x. Target: elapsed ≤ 1.1 × calls ÷ limit, and
 * zero throttled calls, also for point-heavy APIs whose writes must overlap the fetching.
 *   npm run build && npx tsx bench/backfill-rate.ts [--case aliyun|tencent-min|huaweicdn|all] [--runs N]
 *     [--cpu-prof DIR] [--no-raw] [--scale F (domains × F)] [--emulator-nice=-10] [--smoke]
 *
 * Sizes. A case can only be met if the points per second needed to keep up with the vendor's limit
 * stay under what the InfluxDB server takes from a raw POST (InfluxDB 1.6.7 on the 2-core bench
 * machine: ~76,000 points/s, bench/write-path.ts); the point-heavy cases aim at ~30,000 points/s at
 * the limit, with ≥ 300 calls and ≥ 20 s of calls ÷ limit. The first sizing (1 day × 100 domains of
 * Tencent `min`, ~110,000 points/s; 80 days × 100 domains of Huawei 300 s, ~680,000 points/s) asked
 * more than the server takes, so it measured InfluxDB, not the collector.
 * - aliyun: 6 days 23 hours of 1-minute DescribeDomainRealTimeSrcTrafficData, 10 domains, 10/s
 *   (~1,700 calls of 60 points: the light case).
 * - tencent-min: 6 hours of 1-minute data, all ten metrics, 100 domains, DescribeOriginData at 20/s:
 *   520 calls (5 metrics × 4 calls of 30 domains with Detail, 5 status metrics × 100 calls of one
 *   domain), 23 points per domain and minute (19 series: `statusCode` and the `2xx`… metrics both
 *   carry the classes), ~830,000 points written, ~1,600 points a call (10,800 with Detail).
 * - huaweicdn: 2 hours of 300 s ShowDomainStats, all eight bs_* metrics, 3,600 domains, 15/s: 360
 *   calls (180 groups of 20 domains × 2 groups of ≤ 5 metrics), ~690,000 points, 1,920 points a call.
 *   A Huawei call holds 20 domains × ≤ 5 metrics × its buckets, so a full 7-day window of 300 s is
 *   201,600 points: at 15 calls/s no InfluxDB 1.x keeps up with a long Huawei backfill, and only a
 *   short range over many domains keeps the points per second under the server's.
 *
 * The emulators' data generators are memoized here (a Tencent `min` bucket costs ~13 SHA-256, a
 * Huawei value a scan of the account's domains): only the data is cached; signatures, parameters and
 * the throttle are checked per call as always. Without it the emulator, in this process, takes a good
 * part of the 2 cores the collector and InfluxDB share. The Tencent emulator also serves every answer
 * shape once before the timing (warmTencent), and a full GC runs before each timed run: its throttle
 * stamps a request when its event loop reads it, so any stall of this process (compiling the first
 * answers, a major GC, or simply not being scheduled on a busy machine) stamps the requests read after
 * it together, and the throttle refuses calls that the collector spaced correctly. On a shared
 * machine use --emulator-nice=-10 (root), and read the "emulator event loop" line of each run before
 * blaming the collector for a throttled call. Per case the script also POSTs lines of the
 * same shape (series, buckets, batches of 5,000) raw into a fresh database of the same server: the
 * rate the server takes, so that the reader sees whether the server or the collector set the pace.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AliyunEmulator } from '../test/emulators/aliyun.js';
import { HuaweiCdnEmulator, type HuaweiCdnAccount } from '../test/emulators/huaweicdn.js';
import { TencentEmulator, type Area, type TencentEmulatorOptions } from '../test/emulators/tencent.js';
import { originDataBody, signedPost, TENCENT_METRIC_IDS, type TencentMetric } from '../src/vendors/tencent/api.js';
import type { CallSpec } from '../src/kernel/vendor.js';
import type { Emulator } from '../test/emulators/common.js';
import { CLI, isoSec, tempConfig } from '../test/support/cli.js';
import { createDatabase, influxQuery, startInfluxV1 } from '../test/support/servers.js';

const { values } = parseArgs({ options: { case: { type: 'string', default: 'all' }, runs: { type: 'string', default: '1' }, 'cpu-prof': { type: 'string' }, 'no-raw': { type: 'boolean', default: false }, smoke: { type: 'boolean', default: false }, scale: { type: 'string', default: '1' }, 'emulator-nice': { type: 'string' } } });
/** --smoke: a tenth of the domains, to check the script (not a measurement); --scale 2: twice the domains (and calls). */
const SCALE = values.smoke ? 0.1 : Number(values.scale);
const RUNS = Number(values.runs);
const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}.example.com`);

/** Per domain, per `tsSec × 2 + (overseas ? 1 : 0)`, for one granularity: number keys, no string built per lookup (~1 µs each, 10,800 per Detail answer). */
type TencentMemo = Map<string, Map<number, Record<string, number>>>;

/** Tencent emulator whose buckets are computed once (they are final: the range ends an hour ago); instances may share the memo. */
class MemoTencent extends TencentEmulator {
  readonly #memo: TencentMemo;
  constructor(o: TencentEmulatorOptions, memo: TencentMemo = new Map()) {
    super(o);
    this.#memo = memo;
  }
  override bucket(domain: string, tsSec: number, g: number, nowMs: number, area: Area = 'mainland'): Record<string, number> {
    if (g !== 60) return super.bucket(domain, tsSec, g, nowMs, area);
    let perDomain = this.#memo.get(domain);
    if (!perDomain) this.#memo.set(domain, (perDomain = new Map()));
    const k = tsSec * 2 + (area === 'overseas' ? 1 : 0);
    let v = perDomain.get(k);
    if (!v) perDomain.set(k, (v = super.bucket(domain, tsSec, g, nowMs, area)));
    return v;
  }
}

/**
 * Serves a few answers of each shape the backfill asks for (Detail calls of 30 domains, status
 * calls of one domain, the whole 6-hour range) from a throwaway emulator that shares the timed one's
 * data memo, with the collector's own signed requests, and serializes them as the server would.
 * Without this the timed emulator compiles its answer path on the first Detail calls: 130-280 ms
 * stalls of its event loop (it shares this process), during which requests that arrive are read late
 * and stamped together by its throttle, which then refuses evenly paced calls (RESULTS.md, fifth session).
 */
function warmTencent(warm: TencentEmulator): void {
  for (let round = 0; round < 4; round++) {
    for (const metric of TENCENT_METRIC_IDS as readonly TencentMetric[]) {
      const detail = !['statusCode', '2xx', '3xx', '4xx', '5xx'].includes(metric);
      const domains = detail ? TENCENT_DOMAINS.slice(0, 30) : TENCENT_DOMAINS.slice(round, round + 1);
      const call = { domains, window: { fromSec: TENCENT_FROM, toSec: TENCENT_TO, granularitySec: 60 } } as unknown as CallSpec;
      const req = signedPost('https://cdn.tencentcloudapi.com', 'DescribeOriginData', originDataBody(metric, 'min', 'mainland', call), { nowMs: Date.now(), nonce: '', credentials: { secretId: 'AKIDbench', secretKey: 'bench' } } as never);
      const res = warm.handle({ method: 'POST', url: new URL(req.url), headers: req.headers as Record<string, string>, body: req.body ?? '' }) as { body: { Response: { Error?: { Code: string } } } };
      if (res.body.Response.Error) throw new Error(`tencent warm-up: ${metric}: ${res.body.Response.Error.Code}`);
      JSON.stringify(res.body);
    }
  }
}

/** Huawei CDN emulator that finds a domain in O(1) instead of scanning the account's list per value. */
class MemoHuaweiCdn extends HuaweiCdnEmulator {
  readonly #one = new Map<string, HuaweiCdnAccount>();
  constructor(private readonly acct: HuaweiCdnAccount, ak: string) {
    super({ accounts: { [ak]: acct } });
    for (const d of acct.domains) this.#one.set(d.domain, { ...acct, domains: [d] });
  }
  override finalValue(domain: string, stat: string, tsSec: number, g: number, account?: HuaweiCdnAccount): number {
    return super.finalValue(domain, stat, tsSec, g, this.#one.get(domain) ?? account ?? this.acct);
  }
}

interface Shape {
  /** Tags besides domain and metric, in line-protocol key order around them. */
  vendor: string;
  area?: string;
  domains: string[];
  metrics: string[];
  intervalSec: number;
  fromSec: number;
  buckets: number;
}

interface Case {
  name: string;
  limit: number;
  fromSec: number;
  toSec: number;
  shape?: Shape;
  setup(): Promise<{ emu: Emulator; vendors: Record<string, unknown>; env: Record<string, string>; dataCalls: () => number[]; throttledAt: () => number[] }>;
}

const nowMin = Math.floor(Date.now() / 60_000) * 60;
const ok200 = (emu: Emulator, api: string) => () => emu.calls.filter((c) => c.api === api && c.status === 200 && !c.code).map((c) => c.atMs);
const throttled = (emu: Emulator, code: string) => () => emu.calls.filter((c) => c.code === code).map((c) => c.atMs);

const TENCENT_TO = nowMin - 3600;
const TENCENT_FROM = TENCENT_TO - 6 * 3600;
const TENCENT_DOMAINS = names('t', 100 * SCALE);
/** The series a pass writes per domain, in stream order: `statusCode` and the `2xx`… streams both write the classes. */
const TENCENT_SERIES = [
  'traffic_bytes', 'bandwidth_bps', 'requests', 'failed_requests', 'fail_rate_pct', 'status_2xx', 'status_3xx', 'status_4xx', 'status_5xx',
  'status_2xx', 'status_200', 'status_206', 'status_3xx', 'status_301', 'status_302', 'status_304', 'status_4xx', 'status_403', 'status_404', 'status_5xx', 'status_500', 'status_502', 'status_504',
];
const HW_TO = Math.floor((nowMin - 4 * 3600) / 300) * 300;
const HW_FROM = HW_TO - 2 * 3600;
const HW_DOMAINS = names('c', 3600 * SCALE);

const CASES: Case[] = [
  {
    name: 'aliyun',
    limit: 10,
    fromSec: nowMin - (6 * 24 + 23) * 3600,
    toSec: nowMin,
    async setup() {
      const domains = names('bench', 10);
      const emu = new AliyunEmulator({ accounts: { LTAIbench: { secret: 'bench', domains } } });
      const url = await emu.start();
      return {
        emu,
        vendors: { aliyun: { enabled: true, endpoint: url, domains, apis: ['DescribeDomainRealTimeSrcTrafficData'] } },
        env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIbench', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bench' },
        dataCalls: () => emu.dataCalls().map((c) => c.atMs),
        throttledAt: throttled(emu, 'Throttling.User'),
      };
    },
  },
  {
    name: 'tencent-min',
    limit: 20,
    fromSec: TENCENT_FROM,
    toSec: TENCENT_TO,
    shape: { vendor: 'tencent', area: 'mainland', domains: TENCENT_DOMAINS, metrics: TENCENT_SERIES, intervalSec: 60, fromSec: TENCENT_FROM, buckets: (TENCENT_TO - TENCENT_FROM) / 60 },
    async setup() {
      const accounts = { AKIDbench: { secretKey: 'bench', domains: TENCENT_DOMAINS.map((domain) => ({ domain })) } };
      const memo: TencentMemo = new Map();
      const emu = new MemoTencent({ accounts }, memo);
      // Warm the data cache outside the timing.
      for (const d of TENCENT_DOMAINS) for (let t = TENCENT_FROM; t <= TENCENT_TO; t += 60) emu.bucket(d, t, 60, Date.now());
      warmTencent(new MemoTencent({ accounts, rateLimit: 1e9 }, memo));
      const url = await emu.start();
      return {
        emu,
        vendors: { tencent: { enabled: true, endpoint: url, domains: TENCENT_DOMAINS, interval: 'min' } },
        env: { TENCENTCLOUD_SECRET_ID: 'AKIDbench', TENCENTCLOUD_SECRET_KEY: 'bench' },
        dataCalls: ok200(emu, 'DescribeOriginData'),
        throttledAt: throttled(emu, 'RequestLimitExceeded'),
      };
    },
  },
  {
    name: 'huaweicdn',
    limit: 15,
    fromSec: HW_FROM,
    toSec: HW_TO,
    shape: { vendor: 'huawei', domains: HW_DOMAINS, metrics: ['traffic_bytes', 'bandwidth_bps', 'requests', 'failed_requests', 'status_2xx', 'status_3xx', 'status_4xx', 'status_5xx'], intervalSec: 300, fromSec: HW_FROM, buckets: (HW_TO - HW_FROM) / 300 },
    async setup() {
      const emu = new MemoHuaweiCdn({ sk: 'bench', domains: HW_DOMAINS.map((domain) => ({ domain })) }, 'HWBENCHAK');
      const url = await emu.start();
      return {
        emu,
        vendors: { huaweicdn: { enabled: true, endpoint: url, domains: HW_DOMAINS } },
        env: { HUAWEICLOUD_SDK_AK: 'HWBENCHAK', HUAWEICLOUD_SDK_SK: 'bench' },
        dataCalls: ok200(emu, 'ShowDomainStats'),
        throttledAt: throttled(emu, 'APIGW.0308'),
      };
    },
  },
];

/** A full garbage collection, without starting node with --expose-gc. */
function fullGc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** Machine-wide busy fraction between two reads of /proc/stat. */
function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds (user + system) of this process's children named `comm` (the influxd it started). */
function childCpu(comm: string): number {
  let sec = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const name = st.slice(st.indexOf('(') + 1, close);
      const f = st.slice(close + 2).split(' ');
      if (name === comm && Number(f[1]) === process.pid) sec += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return sec;
}

/** Raw POST of lines shaped like the case's (series-major, as a pass yields them), 5,000 a request. */
async function rawRate(url: string, db: string, s: Shape): Promise<{ points: number; sec: number }> {
  await createDatabase(url, db);
  const batches: string[] = [];
  let cur: string[] = [];
  for (const d of s.domains) {
    for (const m of s.metrics) {
      const head = `cdn_origin,account=default${s.area ? `,area=${s.area}` : ''},domain=${d},interval=${s.intervalSec},metric=${m},vendor=${s.vendor} value=`;
      for (let i = 0; i < s.buckets; i++) {
        cur.push(`${head}${(i * 7919) % 1_000_003} ${s.fromSec + i * s.intervalSec}`);
        if (cur.length === 5000) batches.push(cur.splice(0).join('\n'));
      }
    }
  }
  if (cur.length) batches.push(cur.join('\n'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(`${url}/write?db=${db}&precision=s`);
  const t0 = performance.now();
  for (const body of batches) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const sec = (performance.now() - t0) / 1000;
  agent.destroy();
  return { points: s.domains.length * s.metrics.length * s.buckets, sec };
}

/** Gaps between successful call arrivals at the emulator, and the most calls in any one second. */
function callTiming(at: number[], limit: number): string {
  if (at.length < 2) return '';
  const t = [...at].sort((a, b) => a - b);
  const spacing = 1000 / limit;
  let idle = 0;
  let maxGap = 0;
  let maxIn1s = 0;
  for (let i = 1, j = 0; i < t.length; i++) {
    const gap = t[i]! - t[i - 1]!;
    maxGap = Math.max(maxGap, gap);
    if (gap > 2 * spacing) idle += gap - spacing;
    while (t[j]! <= t[i]! - 1000) j++;
    maxIn1s = Math.max(maxIn1s, i - j + 1);
  }
  return `calls from ${(t[0]! / 1000).toFixed(1)} s to ${(t.at(-1)! / 1000).toFixed(1)} s after the start; gaps > 2× spacing add ${(idle / 1000).toFixed(1)} s, longest gap ${maxGap.toFixed(0)} ms; most calls in 1 s ${maxIn1s}`;
}

interface Row {
  name: string;
  calls: number;
  limit: number;
  ideal: number;
  elapsed: number;
  ratio: number;
  throttled: number;
  points: number;
  cpuSec: number;
  rssMb: number;
  busy: number;
  /** Seconds from the start to the first call, and from the last call to the exit. */
  head: number;
  tail: number;
}

const influx = await startInfluxV1();
const rows: Row[] = [];
const raws: string[] = [];
try {
  for (const c of CASES) {
    if (values.case !== 'all' && values.case !== c.name) continue;
    if (c.shape && !values['no-raw']) {
      const r = await rawRate(influx.url, `raw_${c.name.replace(/\W/g, '_')}`, c.shape);
      const line = `${c.name} raw POST reference: ${r.points} points of the same shape in ${r.sec.toFixed(1)} s = ${Math.round(r.points / r.sec)} points/s`;
      raws.push(line);
      console.log(line);
    }
    for (let run = 1; run <= RUNS; run++) {
      const db = `bf_${c.name.replace(/\W/g, '_')}_${run}`;
      await createDatabase(influx.url, db);
      const { emu, vendors, env, dataCalls, throttledAt } = await c.setup();
      try {
        const { file, dir } = tempConfig({
          influx: { url: influx.url, apiVersion: 1, database: db },
          vendors,
          state: { dir: path.join(tempConfig({}).dir, 'state') },
          // Info: one line per pass on stdout, whose `written` is the points the collector sent.
          log: { level: 'info' },
        });
        const timeFile = path.join(dir, 'time.txt');
        const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`, `--cpu-prof-name=${c.name}-${run}.cpuprofile`] : [];
        // A full collection of the set-up's garbage (the memo's hashing, the warm-up answers) before
        // the timing: otherwise the emulator's old generation fills during the run and its collector
        // pauses this process's loop for 100-170 ms, stamping the requests read after it together.
        fullGc();
        const wall0 = Date.now();
        const t0 = performance.now();
        // The emulator's own event-loop stalls (it runs in this process): a stalled emulator reads
        // requests late and in a bunch, and its throttle counts them by when it reads them.
        const stalls: [number, number][] = [];
        let last = performance.now();
        const lag = setInterval(() => {
          const now = performance.now();
          if (now - last > 25) stalls.push([Date.now() - wall0, now - last - 5]);
          last = now;
        }, 5);
        const ticks0 = cpuTicks();
        const self0 = process.cpuUsage();
        const influx0 = childCpu('influxd');
        let stderr = '';
        let stdout = '';
        const code = await new Promise<number | null>((resolve) => {
          // --emulator-nice=-10 (root): the emulator (this process) ahead of the collector and InfluxDB
          // for the CPU, as a vendor's servers would be; the children are spawned at the usual priority.
          if (values['emulator-nice'] !== undefined) os.setPriority(0);
          const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S %M', process.execPath, ...prof, CLI, 'backfill', '--from', isoSec(c.fromSec), '--to', isoSec(c.toSec), '--config', file], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
          if (values['emulator-nice'] !== undefined) os.setPriority(Number(values['emulator-nice']));
          child.stdout.setEncoding('utf8').on('data', (x: string) => (stdout += x));
          child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
          child.on('close', (x) => resolve(x));
        });
        const elapsed = (performance.now() - t0) / 1000;
        clearInterval(lag);
        const ticks1 = cpuTicks();
        const self1 = process.cpuUsage(self0);
        const influxCpu = childCpu('influxd') - influx0;
        const [u, s, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
        const at = dataCalls();
        const calls = at.length;
        const ideal = calls / c.limit;
        let points = 0;
        for (const l of stdout.split('\n')) if (l.includes('"msg":"pass ')) points += Number((JSON.parse(l) as { written?: number }).written ?? 0);
        const [{ values: v = [] } = { values: [] }] = await influxQuery(influx.url, db, 'SELECT count(value) FROM cdn_origin');
        const stored = Number(v[0]?.[1] ?? 0);
        const first = Math.min(...at) - wall0;
        const lastCall = Math.max(...at) - wall0;
        const row: Row = { name: c.name, calls, limit: c.limit, ideal, elapsed, ratio: elapsed / ideal, throttled: emu.limiter.throttled, points, cpuSec: u! + s!, rssMb: rssKb! / 1024, busy: (ticks1.busy - ticks0.busy) / (ticks1.total - ticks0.total), head: first / 1000, tail: elapsed - lastCall / 1000 };
        rows.push(row);
        console.log(
          `${c.name} run ${run}: exit ${code}; ${calls} calls at ${c.limit}/s, ideal ${ideal.toFixed(1)} s, elapsed ${elapsed.toFixed(1)} s, ratio ${row.ratio.toFixed(3)} (target ≤ 1.10), throttled ${row.throttled}; ` +
            `${points} points written (${stored} distinct in InfluxDB) = ${Math.round(points / elapsed)} points/s; collector CPU ${row.cpuSec.toFixed(1)} s, peak RSS ${row.rssMb.toFixed(0)} MB; machine busy ${(row.busy * 100).toFixed(0)}% of ${os.cpus().length} cores; CPU s: influxd ${influxCpu.toFixed(1)}, emulator (this process) ${((self1.user + self1.system) / 1e6).toFixed(1)}`,
        );
        console.log(`  ${callTiming(at.map((x) => x - wall0), c.limit)}`);
        const worst = [...stalls].sort((a, b) => b[1] - a[1]).slice(0, 5);
        console.log(`  emulator event loop: ${stalls.length} stalls over 25 ms${worst.length ? `, longest ${worst.map(([at, ms]) => `${ms.toFixed(0)} ms at ${(at / 1000).toFixed(2)} s`).join(', ')}` : ''}`);
        const th = throttledAt();
        if (th.length) {
          // When the calls the throttle counted arrived: evenly spaced, or in a bunch (whose bunch: an emulator stall above, or the sender's).
          const x = th[0]!;
          console.log(`  first throttle at ${((x - wall0) / 1000).toFixed(3)} s; the admitted calls of the second before, ms before it: ${at.filter((a) => a > x - 1000 && a <= x).map((a) => x - a).sort((a, b) => b - a).join(' ')}`);
        }
        if (th.length) console.log(`  throttled at ${th.map((x) => `${((x - wall0) / 1000).toFixed(2)} s (${at.filter((a) => a > x - 1000 && a <= x).length} admitted in the second before)`).slice(0, 10).join(', ')}`);
        if (code !== 0) console.log(`  stderr: ${stderr.slice(0, 600)}`);
      } finally {
        await emu.stop();
      }
    }
  }
} finally {
  await influx.stop();
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`\nnode ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
console.log('| case | calls | limit | ideal s | elapsed s (min / median) | ratio (min / median) | throttled | points | points/s at elapsed (median) | start to 1st call / last call to exit s (median) | collector CPU s | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const name of new Set(rows.map((r) => r.name))) {
  const rs = rows.filter((r) => r.name === name);
  const r0 = rs[0]!;
  const fmt = (f: (r: Row) => number, d: number) => `${Math.min(...rs.map(f)).toFixed(d)} / ${med(rs.map(f)).toFixed(d)}`;
  console.log(`| ${name} | ${rs.map((r) => r.calls).join(', ')} | ${r0.limit}/s | ${r0.ideal.toFixed(1)} | ${fmt((r) => r.elapsed, 1)} | ${fmt((r) => r.ratio, 3)} | ${rs.map((r) => r.throttled).join(', ')} | ${rs.map((r) => r.points).join(', ')} | ${Math.round(med(rs.map((r) => r.points / r.elapsed)))} | ${med(rs.map((r) => r.head)).toFixed(2)} / ${med(rs.map((r) => r.tail)).toFixed(2)} | ${fmt((r) => r.cpuSec, 1)} | ${fmt((r) => r.rssMb, 0)} |`);
}
for (const r of raws) console.log(r);
