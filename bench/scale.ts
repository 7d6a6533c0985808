/**
 * Scale benchmark (issue 12): `once` several times in a row through the CLI, against the four vendor
 * emulators in a separate process (limits raised so the vendors are not the bottleneck), into a real
 * InfluxDB 1.x, at 100, 1,000 and 10,000 domains: Alibaba 40% (its default APIs), Tencent 40% (all
 * metrics), Huawei Live 10% + Huawei CDN 10%. BEFORE (the previous release, built in a separate
 * worktree: it has no Huawei CDN module, so its Huawei Live collects all 20%) and AFTER (this tree,
 * dist/) in one run.
 *   npm run build && npx tsx bench/scale.ts [--sizes 100,1000,10000] [--passes 3] [--before /tmp/before-0ee558e] [--only after]
 *     [--node-flags "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--mode run --run-ms 90000]
 * Per pass: peak RSS read at exit (process.resourceUsage().maxRSS via bench/exit-report.mjs), CPU
 * seconds (user + system), wall time, points written (the collector's own pass summaries), CPU µs
 * per point, vendor data calls (counted by the emulators) against the minimum the vendors' batching
 * and span rules allow, and the state directory's size on disk.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { MODULES } from '../src/vendors/registry.js';
import { createDatabase, influxQuery, startInfluxV1 } from '../test/support/servers.js';
import { CREDS, splitDomains } from './scale-mix.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000' },
    passes: { type: 'string', default: '3' },
    before: { type: 'string', default: '/tmp/before-0ee558e' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    mode: { type: 'string', default: 'once' },
    'run-ms': { type: 'string', default: '90000' },
    json: { type: 'string' },
    /** Collect one vendor module only (AFTER only): bench/calls.ts. */
    vendor: { type: 'string' },
    /** Keep the last state directory here (bench/state-memory.ts reads it). */
    keep: { type: 'string' },
    /** Copy the collector's stdout here (e.g. with --node-flags=--trace-gc). */
    'stdout-file': { type: 'string' },
    /** Send SIGUSR2 this long after start (with --node-flags=--heapsnapshot-signal=SIGUSR2: a heap snapshot mid-pass). */
    'signal-at-ms': { type: 'string' },
  },
});
const SIZES = args.sizes!.split(',').map(Number);
const PASSES = Number(args.passes);
const RATE = 100_000;
const OLD_ALIYUN_APIS = ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'];
const DISCOVERY = new Set(['DescribeUserDomains', 'DescribeDomains', 'DescribeDomainsConfig', 'domain', 'ListDomains']);

interface Version {
  name: 'before' | 'after';
  cli: string;
  config(e: Endpoints, d: ReturnType<typeof splitDomains>, db: string, stateDir: string, influxUrl: string): unknown;
}
interface Endpoints {
  endpoints: Record<string, string>;
  control: string;
}

const rate = (apis: string[]) => Object.fromEntries(apis.map((a) => [a, RATE]));
const common = (db: string, stateDir: string, influxUrl: string) => ({
  influx: { url: influxUrl, apiVersion: 1, database: db },
  state: { dir: stateDir },
  log: { level: 'info' },
});
const VERSIONS: Version[] = [
  {
    name: 'before',
    cli: path.join(args.before!, 'dist', 'cli.js'),
    // The previous release: one account per vendor at the top level, `area` (one) for Tencent.
    config: (e, d, db, stateDir, influxUrl) => ({
      ...common(db, stateDir, influxUrl),
      vendors: {
        aliyun: { enabled: true, endpoint: e.endpoints.aliyun, accessKeyId: CREDS.aliyun.id, accessKeySecret: CREDS.aliyun.secret, domains: d.aliyun, ratePerSec: rate([...OLD_ALIYUN_APIS, 'DescribeUserDomains']) },
        tencent: { enabled: true, endpoint: e.endpoints.tencent, secretId: CREDS.tencent.id, secretKey: CREDS.tencent.secret, domains: d.tencent, ratePerSec: RATE },
        huawei: { enabled: true, endpoint: e.endpoints.huawei, ak: CREDS.huawei.id, sk: CREDS.huawei.secret, projectId: CREDS.huawei.projectId, domains: [...d.huawei, ...d.huaweicdn], ratePerSec: RATE },
      },
    }),
  },
  {
    name: 'after',
    cli: path.join(ROOT, 'dist', 'cli.js'),
    config: (e, d, db, stateDir, influxUrl) => onlyVendor({
      ...common(db, stateDir, influxUrl),
      vendors: {
        aliyun: { enabled: true, endpoint: e.endpoints.aliyun, accessKeyId: CREDS.aliyun.id, accessKeySecret: CREDS.aliyun.secret, domains: d.aliyun, ratePerSec: rate(Object.keys(aliyunDefaults())) },
        tencent: { enabled: true, endpoint: e.endpoints.tencent, secretId: CREDS.tencent.id, secretKey: CREDS.tencent.secret, domains: d.tencent, ratePerSec: RATE },
        huawei: { enabled: true, endpoint: e.endpoints.huawei, ak: CREDS.huawei.id, sk: CREDS.huawei.secret, projectId: CREDS.huawei.projectId, domains: d.huawei, ratePerSec: RATE },
        // Huawei CDN: the config refuses rates above the documented 15/s.
        huaweicdn: { enabled: true, endpoint: e.endpoints.huaweicdn, ak: CREDS.huawei.id, sk: CREDS.huawei.secret, domains: d.huaweicdn, ratePerSec: { ShowDomainStats: 15, ListDomains: 5 } },
      },
    }) as unknown,
  },
];

function onlyVendor<T extends { vendors: Record<string, unknown> }>(c: T): T {
  if (!args.vendor) return c;
  return { ...c, vendors: { [args.vendor]: c.vendors[args.vendor] } };
}

function aliyunDefaults(): Record<string, number> {
  const d = JSON.parse(readFileSync(path.join(ROOT, 'config', 'default.json'), 'utf8')) as { vendors: { aliyun: { ratePerSec: Record<string, number> } } };
  return d.vendors.aliyun.ratePerSec;
}

/**
 * The fewest data calls a pass can make, from the vendor modules' own batching and span rules:
 * per stream, ceil(domains ÷ domains per call) × ceil(span ÷ longest window). Every pass here wants at
 * most the initial hour or the provisional tail, which fits one window of every API.
 */
function minimumCalls(d: ReturnType<typeof splitDomains>, version: Version['name']): number {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'scale-min-')), 'c.json');
  const huaweiDomains = version === 'before' ? [...d.huawei, ...d.huaweicdn] : d.huawei;
  writeFileSync(
    file,
    JSON.stringify({
      influx: { apiVersion: 1 },
      vendors: {
        aliyun: { enabled: d.aliyun.length > 0, accessKeyId: 'x', accessKeySecret: 'x', domains: d.aliyun, ...(version === 'before' ? { apis: OLD_ALIYUN_APIS } : {}) },
        tencent: { enabled: d.tencent.length > 0, secretId: 'x', secretKey: 'x', domains: d.tencent },
        huawei: { enabled: huaweiDomains.length > 0, ak: 'x', sk: 'x', projectId: 'x', domains: huaweiDomains },
        huaweicdn: { enabled: version === 'after' && d.huaweicdn.length > 0, ak: 'x', sk: 'x', domains: d.huaweicdn },
      },
    }),
  );
  if (args.vendor) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { vendors: Record<string, { enabled: boolean }> };
    for (const [k, v] of Object.entries(c.vendors)) v.enabled &&= k === args.vendor;
    writeFileSync(file, JSON.stringify(c));
  }
  const l = loadConfig({ files: [file], env: {}, readFile: (p) => readFileSync(p, 'utf8'), modules: MODULES });
  if (l.problems.length) throw new Error(l.problems.join('; '));
  let n = 0;
  for (const v of l.vendors) {
    for (const a of v.accounts) {
      const ad = v.module.createAdapter(v.settings, a);
      for (const s of ad.streams) {
        const span = Math.max(3600, s.rules.settleSec + 2 * s.rules.tiers[0].granularitySec);
        n += Math.ceil(a.domains.length / s.maxDomainsPerCall) * Math.ceil(span / s.rules.tiers[0].maxSpanSec);
      }
    }
  }
  return n;
}

function dirBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  if (!existsSync(dir)) return { files, bytes };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const s = dirBytes(p);
      files += s.files;
      bytes += s.bytes;
    } else {
      files++;
      bytes += statSync(p).size;
    }
  }
  return { files, bytes };
}

interface PassRow {
  size: number;
  version: string;
  pass: number;
  exit: number | null;
  wallS: number;
  cpuS: number;
  maxRssMb: number;
  written: number;
  unchanged: number;
  collectorCalls: number;
  dataCalls: number;
  minCalls: number;
  throttled: number;
  failedAtVendor: number;
  stateBytes: number;
  stateFiles: number;
}

async function runCli(v: Version, cfg: string, extraFlags: string[], mode: string): Promise<{ exit: number | null; wallS: number; report: { maxRssKb: number; userUs: number; systemUs: number }; written: number; unchanged: number; calls: number; stderr: string }> {
  const reportFile = path.join(os.tmpdir(), `scale-report-${process.pid}.json`);
  rmSync(reportFile, { force: true });
  const t0 = performance.now();
  // As installed: the variables and node flags of the CLI's shebang (`#!/usr/bin/env -S VAR=1 node --flag`) apply.
  const bang = /^#!\S*env -S ((?:\w+=\S+ )*)node (.*)$/.exec(readFileSync(v.cli, 'utf8').split('\n', 1)[0]!);
  const shebang = bang?.[2]?.split(' ').filter(Boolean) ?? [];
  const shebangEnv = Object.fromEntries((bang?.[1] ?? '').split(' ').filter(Boolean).map((a) => a.split('=', 2) as [string, string]));
  const child = spawn(process.execPath, [...shebang, ...extraFlags, '--import', path.join(ROOT, 'bench', 'exit-report.mjs'), v.cli, mode, '--config', cfg], {
    env: { PATH: process.env.PATH ?? '', BENCH_REPORT: reportFile, ...shebangEnv, ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let written = 0;
  let unchanged = 0;
  let calls = 0;
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    if (args['stdout-file']) appendFileSync(args['stdout-file'], s);
    buf += s;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.includes('"pass ')) continue;
      try {
        const o = JSON.parse(line) as { written?: number; unchanged?: number; calls?: number; msg?: string };
        if (o.msg?.startsWith('pass ')) {
          written += o.written ?? 0;
          unchanged += o.unchanged ?? 0;
          calls += o.calls ?? 0;
        }
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 4000) stderr += s;
  });
  if (args['signal-at-ms']) setTimeout(() => child.kill('SIGUSR2'), Number(args['signal-at-ms'])).unref();
  let timer: NodeJS.Timeout | undefined;
  if (mode === 'run') timer = setTimeout(() => child.kill('SIGTERM'), Number(args['run-ms']));
  // 'close': the pass summaries are read from stdout, which may still be unread at 'exit'.
  const exit = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  if (timer) clearTimeout(timer);
  const wallS = (performance.now() - t0) / 1000;
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { maxRssKb: number; userUs: number; systemUs: number };
  return { exit, wallS, report, written, unchanged, calls, stderr };
}

{
  console.log(`scale: ${new Date().toISOString()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average at start ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; mode ${args.mode}, sizes ${SIZES.join(',')}, ${PASSES} passes`);
}
const influx = await startInfluxV1();
const rows: PassRow[] = [];
try {
  for (const size of SIZES) {
    const d = splitDomains(size);
    const emu = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bench', 'emulators.ts'), String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const e = await new Promise<Endpoints>((resolve, reject) => {
      let b = '';
      emu.stdout.setEncoding('utf8').on('data', (s: string) => {
        b += s;
        if (b.includes('\n')) resolve(JSON.parse(b.slice(0, b.indexOf('\n'))) as Endpoints);
      });
      emu.on('exit', (c) => reject(new Error(`emulators exited ${c}`)));
    });
    try {
      for (const v of VERSIONS) {
        if (args.only && args.only !== v.name) continue;
        const db = `scale_${v.name}_${size}`;
        await createDatabase(influx.url, db);
        const dir = mkdtempSync(path.join(os.tmpdir(), `scale-${v.name}-${size}-`));
        const stateDir = path.join(dir, 'state');
        const cfg = path.join(dir, 'config.json');
        writeFileSync(cfg, JSON.stringify(v.config(e, d, db, stateDir, influx.url)));
        const min = minimumCalls(d, v.name);
        const passes = args.mode === 'run' ? 1 : PASSES;
        for (let p = 1; p <= passes; p++) {
          await fetch(`${e.control}/reset`, { method: 'POST' });
          const flags = args['node-flags'] ? args['node-flags'].split(' ').filter(Boolean) : [];
          const r = await runCli(v, cfg, flags, args.mode!);
          const stats = (await (await fetch(`${e.control}/stats`)).json()) as Record<string, { calls: Record<string, number>; failed: number; throttled: number }>;
          let dataCalls = 0;
          let throttled = 0;
          let failed = 0;
          for (const s of Object.values(stats)) {
            for (const [api, c] of Object.entries(s.calls)) if (!DISCOVERY.has(api)) dataCalls += c;
            throttled += s.throttled;
            failed += s.failed;
          }
          const st = dirBytes(stateDir);
          const row: PassRow = {
            size,
            version: v.name,
            pass: p,
            exit: r.exit,
            wallS: r.wallS,
            cpuS: (r.report.userUs + r.report.systemUs) / 1e6,
            maxRssMb: r.report.maxRssKb / 1024,
            written: r.written,
            unchanged: r.unchanged,
            collectorCalls: r.calls,
            dataCalls,
            minCalls: min,
            throttled,
            failedAtVendor: failed,
            stateBytes: st.bytes,
            stateFiles: st.files,
          };
          rows.push(row);
          console.log(
            `${size} ${v.name} ${args.mode} ${p}: exit ${r.exit}, wall ${row.wallS.toFixed(1)} s, CPU ${row.cpuS.toFixed(1)} s (user ${(r.report.userUs / 1e6).toFixed(1)}, sys ${(r.report.systemUs / 1e6).toFixed(1)}; ${((row.cpuS * 1e6) / Math.max(1, r.calls)).toFixed(0)} µs per collector call), peak RSS ${row.maxRssMb.toFixed(1)} MB, written ${row.written} (unchanged ${row.unchanged}), ` +
              `CPU/point ${row.written ? ((row.cpuS * 1e6) / row.written).toFixed(1) : '-'} µs (per fetched point ${((row.cpuS * 1e6) / Math.max(1, row.written + row.unchanged)).toFixed(1)}), ` +
              `data calls ${dataCalls} vs minimum ${min} (${(dataCalls / min).toFixed(3)}×), throttled ${throttled}, vendor errors ${failed}, state ${(st.bytes / 1e6).toFixed(2)} MB in ${st.files} files`,
          );
          if (r.exit !== 0) console.log(`   stderr: ${r.stderr.split('\n').slice(0, 5).join(' | ')}`);
        }
        if (size <= 1000) {
          const c = await influxQuery(influx.url, db, 'SELECT count("value") FROM "cdn_origin"');
          console.log(`   ${v.name} ${size}: InfluxDB holds ${JSON.stringify(c[0]?.values[0]?.[1])} points`);
        }
        if (args.keep) cpSync(stateDir, args.keep, { recursive: true });
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      emu.stdin.end();
      emu.kill('SIGTERM');
    }
  }
} finally {
  await influx.stop();
}
if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));
