/**
 * Write-path benchmark (issue 12 goal 3: the write path ≥ 0.9 × a raw POST of the same lines into
 * the same server). In one run, alternating the order each round:
 * - v1 into InfluxDB 1.x: raw `POST /write` of prebuilt line protocol vs InfluxSink.write of the
 *   same points as the pass hands them over: encoded per call as answers arrive (sink.encode, timed
 *   apart as "encode" since in a pass it overlaps the vendor calls), joined into batches of 5,000,
 *   each awaited, deadline and body cap on every request;
 * - v2 into VictoriaMetrics (`/api/v2/write?org&bucket&precision=s`, `Authorization: Token`): raw vs
 *   InfluxSink vs the same lines through @influxdata/influxdb-client's transport (the path the
 *   contract names; see src/sink/target.ts for why the sink does not use it).
 *   npx tsx bench/write-path.ts            (POINTS=500000 ROUNDS=7 by default)
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { Point } from '../src/kernel/schema.js';
import type { Clock } from '../src/ports.js';
import { exchange } from '../src/sink/http.js';
import { EncodedLines, LineEncoder } from '../src/sink/line.js';
import { connect } from '../src/sink/target.js';
import { InfluxSink, type InfluxTarget } from '../src/sink/sink.js';
import { createDatabase, startInfluxV1, startVictoriaMetrics } from '../test/support/servers.js';

const N = Number(process.env.POINTS ?? 500_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const BATCH = 5000;
const SERIES = 10_000;
const TOKEN = 'bench-token';
const clock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

const VENDORS = ['aliyun', 'tencent', 'huawei'] as const;

/** 10,000 series × N/10,000 buckets, in the order a pass yields them: the buckets of a series together. */
function makePoints(): Point[] {
  const out: Point[] = [];
  const base = 1_790_000_000;
  const perSeries = N / SERIES;
  for (let s = 0; s < SERIES; s++) {
    const vendor = VENDORS[s % 3]!;
    const series = { vendor, account: `acct${s % 4}`, ...(vendor === 'tencent' ? { area: 'mainland' } : {}), domain: `d${s % 1000}.example.com`, metric: `m${Math.floor(s / 1000)}`, intervalSec: 60 };
    for (let k = 0; k < perSeries; k++) {
      const i = s * perSeries + k;
      // Bytes are whole numbers, bit/s carry decimals: a mix of both.
      out.push({ ...series, tsSec: base + k * 60, value: i % 2 ? ((i * 7919) % 1_000_003) * 1000 : ((i * 7919) % 1_000_003) + 0.25 });
    }
  }
  return out;
}

async function raw(url: string, headers: Record<string, string>, batches: string[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(url);
  const t0 = performance.now();
  for (const body of batches) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const ms = performance.now() - t0;
  agent.destroy();
  return ms;
}

/** Encoded as a pass does: one part per call (here one series of N/10,000 buckets). */
function encodeParts(points: Point[]): EncodedLines[] {
  const enc = new LineEncoder('cdn_origin');
  const parts: EncodedLines[] = [];
  const per = N / SERIES;
  for (let i = 0; i < points.length; i += per) parts.push(enc.encode(points[i]!, points.slice(i, i + per)));
  return parts;
}

async function viaSink(target: InfluxTarget, parts: EncodedLines[]): Promise<number> {
  const s = new InfluxSink(target, { measurement: 'cdn_origin', batchSize: BATCH, retryMaxMs: 30_000, requestDeadlineMs: 60_000 }, { clock });
  const t0 = performance.now();
  const r = await s.write(parts);
  const ms = performance.now() - t0;
  s.close();
  if (r.written !== N) throw new Error(`wrote ${r.written} of ${N}`);
  return ms;
}

/** Encoding alone (sink.encode per call): in a pass it runs as each answer arrives. */
async function encodeOnly(): Promise<{ ms: number; cpuUs: number }> {
  const points = makePoints();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const parts = encodeParts(points);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (parts.length !== SERIES) throw new Error('parts');
  return { ms, cpuUs: (c.user + c.system) / N };
}

/**
 * The sink's request path alone (the same exchange(): deadline timer, body cap, keep-alive socket)
 * with the prebuilt lines raw uses: what the sink adds to a raw POST besides encoding.
 */
async function viaSinkSend(target: InfluxTarget, batches: string[]): Promise<number> {
  const c = connect(target);
  const headers = { 'content-type': 'text/plain; charset=utf-8', ...(c.authorization ? { authorization: c.authorization } : {}) };
  const t0 = performance.now();
  for (const body of batches) {
    const r = await exchange(c.endpoint, c.writeUrl, { method: 'POST', headers, body, deadlineMs: 60_000, maxBodyBytes: 65_536 });
    if (r.status !== 204) throw new Error(`HTTP ${r.status}`);
  }
  const ms = performance.now() - t0;
  c.endpoint.agent.destroy();
  return ms;
}

/** The same points through the official client's transport, encoded the same way, each batch awaited. */
async function viaClient(url: string, batches: string[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = new InfluxDB({ url, token: TOKEN, timeout: 60_000, transportOptions: { agent } });
  const path = `/api/v2/write?${new URLSearchParams({ org: 'org', bucket: 'cdn', precision: 's' })}`;
  const t0 = performance.now();
  for (const body of batches) {
    await client.transport.request(path, body, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, gzipThreshold: Number.MAX_SAFE_INTEGER });
  }
  const ms = performance.now() - t0;
  agent.destroy();
  return ms;
}

/** CPU seconds used so far by this process's children (InfluxDB, VictoriaMetrics), from /proc. */
function serversCpu(): number {
  let sec = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid) sec += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return sec;
}

/**
 * Waits until both servers are idle (under 0.02 s of CPU in 0.5 s, at most 20 s): after a run they
 * flush and merge what it wrote for a few seconds, and the run after it shared the 2 cores with
 * that work. The first v2 run of a round, after the v1 runs, always met an idle VictoriaMetrics;
 * the second (the sink in odd rounds) a busy one.
 */
async function settle(): Promise<void> {
  const until = Date.now() + 20_000;
  for (let last = serversCpu(); Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = serversCpu();
    if (now - last < 0.02) return;
    last = now;
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pps = (ms: number) => Math.round(N / (ms / 1000));

/** Wall time of a run, and this process's CPU per point (µs): the client side's cost, whatever else loads the machine. */
async function timed(run: () => Promise<number | { ms: number; cpuUs: number }>): Promise<{ ms: number; cpuUs: number }> {
  const c0 = process.cpuUsage();
  const r = await run();
  const c = process.cpuUsage(c0);
  return typeof r === 'number' ? { ms: r, cpuUs: (c.user + c.system) / N } : r;
}

const [influx, vm] = await Promise.all([startInfluxV1(), startVictoriaMetrics()]);
try {
  // The points are not kept: 500,000 objects alive in this process made every major collection
  // (which the sink's bodies trigger and raw's prebuilt ones do not) mark them all, a cost the
  // collector, which encodes each call's samples as they arrive, never has.
  const parts = encodeParts(makePoints());
  const batches: string[] = [];
  for (let i = 0; i < parts.length; i += BATCH / (N / SERIES)) batches.push(parts.slice(i, i + BATCH / (N / SERIES)).map((p) => p.text).join('\n'));
  const rows: Record<string, number | string>[] = [];
  const v2Target: InfluxTarget = { apiVersion: 2, url: vm.url, org: 'org', bucket: 'cdn', token: TOKEN };
  // VictoriaMetrics keeps one series store whatever the bucket: the first run to write a series pays
  // for creating it. A warm-up write of every line first, so that each measured run meets them all.
  await raw(`${vm.url}/api/v2/write?org=org&bucket=cdn&precision=s`, { authorization: `Token ${TOKEN}` }, batches);
  for (let round = 1; round <= ROUNDS; round++) {
    // Every v1 run writes into a database of its own: InfluxDB 1.x creates 10,000 series in each, and
    // a run into a database that already holds them (as `v1 send` once rewrote raw's) is ~1.5× faster,
    // which made raw look faster in the rounds where it ran second.
    for (const db of ['raw', 'sink', 'send']) await createDatabase(influx.url, `${db}${round}`);
    const v1Runs: [string, () => Promise<number | { ms: number; cpuUs: number }>][] = [
      ['v1 raw', () => raw(`${influx.url}/write?db=raw${round}&precision=s`, {}, batches)],
      ['v1 sink', () => viaSink({ apiVersion: 1, url: influx.url, database: `sink${round}` }, parts)],
      ['encode', () => encodeOnly()],
      ['v1 send', () => viaSinkSend({ apiVersion: 1, url: influx.url, database: `send${round}` }, batches)],
    ];
    const v2Runs: [string, () => Promise<number>][] = [
      ['v2 raw', () => raw(`${vm.url}/api/v2/write?org=org&bucket=cdn&precision=s`, { authorization: `Token ${TOKEN}` }, batches)],
      ['v2 sink', () => viaSink(v2Target, parts)],
      ['v2 send', () => viaSinkSend(v2Target, batches)],
      ['v2 client', () => viaClient(vm.url, batches)],
    ];
    // Alternate the order so that no side always meets a warmer server.
    const order = [...(round % 2 ? v1Runs : v1Runs.reverse()), ...(round % 2 ? v2Runs : v2Runs.reverse())];
    const row: Record<string, number | string> = { round };
    for (const [name, run] of order) {
      await settle();
      const t = await timed(run);
      row[name] = pps(t.ms);
      row[`${name} cpu µs/pt`] = Number(t.cpuUs.toFixed(2));
    }
    rows.push(row);
  }
  console.table(rows);
  const m = (k: string) => med(rows.map((r) => r[k] as number));
  const ratio = (a: string, b: string) => (m(a) / m(b)).toFixed(2);
  console.log(`points ${N}, batches of ${BATCH}, ${ROUNDS} rounds, medians in points/s:`);
  console.log(`  v1 InfluxDB 1.x: raw ${m('v1 raw')}, sink ${m('v1 sink')}: ratio ${ratio('v1 sink', 'v1 raw')} (target ≥ 0.90)`);
  console.log(`  v2 VictoriaMetrics: raw ${m('v2 raw')}, sink ${m('v2 sink')}: ratio ${ratio('v2 sink', 'v2 raw')} (target ≥ 0.90); influxdb-client transport ${m('v2 client')}: ratio ${ratio('v2 client', 'v2 raw')}`);
  const perRound = (a: string, b: string) => rows.map((r) => ((r[a] as number) / (r[b] as number)).toFixed(2)).join(' ');
  // Each round's ratio compares two runs minutes apart at most; their median is the paired view.
  const pairedMedian = (a: string, b: string) => med(rows.map((r) => (r[a] as number) / (r[b] as number))).toFixed(2);
  console.log(`  encoding (sink.encode per call, in a pass as answers arrive): ${m('encode')} points/s, ${m('encode cpu µs/pt')} µs CPU per point`);
  console.log(`  the sink's request path alone with the prebuilt lines: v1 ${m('v1 send')} (ratio ${ratio('v1 send', 'v1 raw')}), v2 ${m('v2 send')} (ratio ${ratio('v2 send', 'v2 raw')})`);
  console.log(`  client-side CPU per point (µs, median): v1 raw ${m('v1 raw cpu µs/pt')}, v1 sink ${m('v1 sink cpu µs/pt')}, v2 raw ${m('v2 raw cpu µs/pt')}, v2 sink ${m('v2 sink cpu µs/pt')}, v1 send ${m('v1 send cpu µs/pt')}, v2 send ${m('v2 send cpu µs/pt')}, v2 client ${m('v2 client cpu µs/pt')}`);
  console.log(`  load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  console.log(`  per-round ratios: v1 sink/raw ${perRound('v1 sink', 'v1 raw')}; v2 sink/raw ${perRound('v2 sink', 'v2 raw')}; v2 client/raw ${perRound('v2 client', 'v2 raw')}`);
  console.log(`  median of the per-round ratios: v1 sink/raw ${pairedMedian('v1 sink', 'v1 raw')}, v2 sink/raw ${pairedMedian('v2 sink', 'v2 raw')}`);
} finally {
  await Promise.all([influx.stop(), vm.stop()]);
}
