/**
 * Write-path benchmark: 1M points through the collector's sink (line protocol built from points,
 * batches of 5,000, each awaited) into a local InfluxDB 1.x, beside a raw `POST /write` of the same
 * prebuilt line protocol in the same run. Target: sink ≥ 0.8 × raw.
 *   npx tsx bench/write-path.ts
 */
import http from 'node:http';
import pino from 'pino';
import { systemClock } from '../src/core/clock.js';
import { toLine, type Point } from '../src/metrics/schema.js';
import { InfluxSink } from '../src/sink/sink.js';
import { V1Transport } from '../src/sink/transports.js';
import { createDatabase, startInfluxV1 } from '../test/support/servers.js';

const N = Number(process.env.POINTS ?? 1_000_000);
const BATCH = 5000;
const SERIES = 10_000;

const VENDORS = ['aliyun', 'tencent', 'huawei'] as const;

/** 10,000 series × 100 buckets, in the order a pass yields them: the buckets of a series together. */
function makePoints(): Point[] {
  const out: Point[] = [];
  const base = 1_790_000_000;
  const perSeries = N / SERIES;
  for (let s = 0; s < SERIES; s++) {
    const series = { vendor: VENDORS[s % 3]!, domain: `d${s % 1000}.example.com`, metric: `m${Math.floor(s / 1000)}`, intervalSec: 60 };
    for (let k = 0; k < perSeries; k++) {
      const i = s * perSeries + k;
      // Bytes are whole numbers, bit/s carry decimals: a mix of both.
      out.push({ ...series, tsSec: base + k * 60, value: i % 2 ? ((i * 7919) % 1_000_003) * 1000 : ((i * 7919) % 1_000_003) + 0.25 });
    }
  }
  return out;
}

async function raw(url: string, db: string, batches: string[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(`${url}/write?db=${db}&precision=s`);
  const t0 = performance.now();
  for (const body of batches) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  agent.destroy();
  return performance.now() - t0;
}

async function sink(url: string, db: string, points: Point[]): Promise<number> {
  const transport = new V1Transport(systemClock, { url, database: db, timeoutMs: 60_000 });
  const s = new InfluxSink(transport, { measurement: 'cdn_origin', batchSize: BATCH, retryMaxMs: 30_000, retryBaseMs: 500 }, { clock: systemClock, random: Math.random, logger: pino({ level: 'silent' }) });
  const t0 = performance.now();
  const r = await s.write(points);
  if (r.written !== points.length) throw new Error(`wrote ${r.written} of ${points.length}`);
  return performance.now() - t0;
}

const influx = await startInfluxV1();
try {
  const points = makePoints();
  const lines: string[] = [];
  for (let i = 0; i < N; i += BATCH) lines.push(points.slice(i, i + BATCH).map((p) => toLine('cdn_origin', p)).join('\n'));
  const results: { round: number; rawPps: number; sinkPps: number }[] = [];
  for (let round = 1; round <= 3; round++) {
    await createDatabase(influx.url, `raw${round}`);
    await createDatabase(influx.url, `sink${round}`);
    // Alternate the order so that neither side always meets a warmer server.
    const order = round % 2 ? ['raw', 'sink'] : ['sink', 'raw'];
    const ms: Record<string, number> = {};
    for (const o of order) ms[o] = o === 'raw' ? await raw(influx.url, `raw${round}`, lines) : await sink(influx.url, `sink${round}`, points);
    results.push({ round, rawPps: Math.round(N / (ms.raw! / 1000)), sinkPps: Math.round(N / (ms.sink! / 1000)) });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawMed = med(results.map((r) => r.rawPps));
  const sinkMed = med(results.map((r) => r.sinkPps));
  console.table(results);
  console.log(`points ${N}, batches of ${BATCH}: raw median ${rawMed} points/s, sink median ${sinkMed} points/s, ratio ${(sinkMed / rawMed).toFixed(2)} (target ≥ 0.80)`);
} finally {
  await influx.stop();
}
