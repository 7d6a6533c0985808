/**
 * Shards end to end (issue 12, goals 5 and 6): the built CLI as several `once` processes at the same
 * time, each with its own state.dir, against the Alibaba, Tencent and Huawei CDN emulators (two
 * accounts each, 32 (vendor, account, domain) triples, one domain in both Alibaba accounts) and a real
 * InfluxDB 1.x. Then 3 → 4 → 2 shards, with one state.dir wiped in between.
 *
 * Which process made a call: every shard reaches the emulators through its own port (a second
 * server in front of the same emulator), and the emulator's call log is tagged with that port's
 * shard as each record is pushed (AsyncLocalStorage follows the request into the handler).
 *
 * The emulators settle at once (settleMs 0): every value they serve is final, so what InfluxDB must
 * hold is known exactly whichever shard wrote it and when.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shardOf } from '../../src/core/shard.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { EmuServer, type CallRecord, type Emulator } from '../emulators/common.js';
import { HuaweiCdnEmulator } from '../emulators/huaweicdn.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { startCli, type CliResult } from '../support/cli.js';
import { createDatabase, influxQuery } from '../support/servers.js';

const LOOKBACK_SEC = 3600;
const MAX_SHARDS = 4;
const SRC = 'DescribeDomainSrcTrafficData';
const RT = 'DescribeDomainRealTimeSrcTrafficData';

const ALIYUN = [
  { name: 'retail', ak: 'LTAI-shard-retail', sk: 'shard-secret-retail', domains: ['shared.example.com', ...[1, 2, 3, 4, 5].map((i) => `r${i}.example.com`)] },
  { name: 'media', ak: 'LTAI-shard-media', sk: 'shard-secret-media', domains: ['shared.example.com', ...[1, 2, 3, 4, 5].map((i) => `m${i}.example.com`)] },
];
const TENCENT = [
  { name: 'main', id: 'AKIDshardmain', key: 'shard-tencent-main', domains: [1, 2, 3, 4, 5, 6].map((i) => `t${i}.example.cn`) },
  { name: 'games', id: 'AKIDshardgames', key: 'shard-tencent-games', domains: [1, 2, 3, 4, 5].map((i) => `g${i}.example.cn`) },
];
const HUAWEICDN = [
  { name: 'video', ak: 'HWSHARDVIDEO', sk: 'shard-huawei-video', domains: [1, 2, 3, 4, 5].map((i) => `v${i}.example.net`) },
  { name: 'docs', ak: 'HWSHARDDOCS', sk: 'shard-huawei-docs', domains: [1, 2, 3, 4].map((i) => `d${i}.example.net`) },
];

/** The collector's settle times, set in the config so that the test knows each stream's horizon. */
const SETTLE_SEC = { aliyunRealtime: 300, aliyunSrc: 900, tencent: 600, huaweicdn: 10_800 };

/** One stream of one vendor as the test sees it: its granularity, metrics and settle time. */
interface StreamInfo {
  module: 'aliyun' | 'tencent' | 'huaweicdn';
  vendor: string;
  key: string;
  g: number;
  settleSec: number;
  metrics: string[];
}
const STREAMS: StreamInfo[] = [
  { module: 'aliyun', vendor: 'aliyun', key: SRC, g: 300, settleSec: SETTLE_SEC.aliyunSrc, metrics: ['traffic_bytes', 'https_traffic_bytes'] },
  { module: 'aliyun', vendor: 'aliyun', key: RT, g: 60, settleSec: SETTLE_SEC.aliyunRealtime, metrics: ['traffic_bytes'] },
  { module: 'tencent', vendor: 'tencent', key: 'flux', g: 300, settleSec: SETTLE_SEC.tencent, metrics: ['traffic_bytes'] },
  { module: 'tencent', vendor: 'tencent', key: 'request', g: 300, settleSec: SETTLE_SEC.tencent, metrics: ['requests'] },
  { module: 'huaweicdn', vendor: 'huawei', key: 'domain-stats', g: 300, settleSec: SETTLE_SEC.huaweicdn, metrics: ['traffic_bytes', 'requests'] },
];

const TRIPLES: { module: StreamInfo['module']; account: string; domain: string }[] = [
  ...ALIYUN.flatMap((a) => a.domains.map((domain) => ({ module: 'aliyun' as const, account: a.name, domain }))),
  ...TENCENT.flatMap((a) => a.domains.map((domain) => ({ module: 'tencent' as const, account: a.name, domain }))),
  ...HUAWEICDN.flatMap((a) => a.domains.map((domain) => ({ module: 'huaweicdn' as const, account: a.name, domain }))),
];
const tripleKey = (module: string, account: string, domain: string) => `${module}|${account}|${domain}`;

const alignDown = (t: number, g: number) => Math.floor(t / g) * g;
const alignUp = (t: number, g: number) => Math.ceil(t / g) * g;

/** A data call of one pass, with the shard that made it and where its window starts. */
interface Tagged {
  module: StreamInfo['module'];
  stream: StreamInfo;
  shard: number;
  account: string;
  domains: readonly string[];
  startSec: number;
}

interface Tag {
  shard: number;
  authorization: string;
}

describe('shards: three collector processes, then 3 → 4 → 2 with a wiped state.dir', () => {
  const als = new AsyncLocalStorage<Tag>();
  const tags = new Map<CallRecord, Tag>();
  let aliyun: AliyunEmulator;
  let tencent: TencentEmulator;
  let huaweicdn: HuaweiCdnEmulator;
  const proxies: EmuServer[] = [];
  /** endpoints[module][shard] */
  const endpoints: Record<string, string[]> = { aliyun: [], tencent: [], huaweicdn: [] };
  let root: string;

  beforeAll(async () => {
    aliyun = new AliyunEmulator({ accounts: Object.fromEntries(ALIYUN.map((a) => [a.ak, { secret: a.sk, domains: a.domains }])), realTimeSettleMs: 0, srcSettleMs: 0 });
    tencent = new TencentEmulator({ accounts: Object.fromEntries(TENCENT.map((a) => [a.id, { secretKey: a.key, domains: a.domains.map((domain) => ({ domain })) }])), settleMs: 0 });
    huaweicdn = new HuaweiCdnEmulator({ accounts: Object.fromEntries(HUAWEICDN.map((a) => [a.ak, { sk: a.sk, domains: a.domains.map((domain) => ({ domain })) }])), settleMs: 0 });
    for (const [module, emu] of [['aliyun', aliyun], ['tencent', tencent], ['huaweicdn', huaweicdn]] as [string, Emulator][]) {
      const push = emu.calls.push.bind(emu.calls);
      emu.calls.push = (...records: CallRecord[]) => {
        const tag = als.getStore();
        if (tag) for (const r of records) tags.set(r, tag);
        return push(...records);
      };
      for (let shard = 0; shard < MAX_SHARDS; shard++) {
        const proxy = new EmuServer((req) => als.run({ shard, authorization: req.headers.authorization ?? '' }, () => emu.handle(req)));
        proxies.push(proxy);
        endpoints[module]!.push(await proxy.start());
      }
    }
    root = mkdtempSync(path.join(os.tmpdir(), 'cdn-shard-'));
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** The data calls recorded since `from` (indexes into each emulator's log), tagged. */
  function dataCallsSince(from: Record<string, number>): Tagged[] {
    const out: Tagged[] = [];
    for (const c of aliyun.calls.slice(from.aliyun)) {
      if (c.status !== 200 || c.code || (c.api !== SRC && c.api !== RT)) continue;
      const account = ALIYUN.find((a) => a.ak === c.params.__ak)!.name;
      out.push({ module: 'aliyun', stream: STREAMS.find((s) => s.key === c.api)!, shard: tags.get(c)!.shard, account, domains: c.domains, startSec: Date.parse(c.params.StartTime!) / 1000 });
    }
    for (const c of tencent.calls.slice(from.tencent)) {
      if (c.api !== 'DescribeOriginData' || c.code) continue;
      const tag = tags.get(c)!;
      const id = /Credential=([^/]+)\//.exec(tag.authorization)![1];
      const p = c.params as Record<string, string>;
      const tz = /^UTC([+-])(\d{2}):(\d{2})$/.exec(p.TimeZone ?? 'UTC+08:00')!;
      const off = (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 3600 + Number(tz[3]) * 60);
      const startSec = Date.parse(`${p.StartTime!.replace(' ', 'T')}Z`) / 1000 - off;
      out.push({ module: 'tencent', stream: STREAMS.find((s) => s.module === 'tencent' && s.key === p.Metric)!, shard: tag.shard, account: TENCENT.find((a) => a.id === id)!.name, domains: c.domains, startSec });
    }
    for (const c of huaweicdn.calls.slice(from.huaweicdn)) {
      if (c.api !== 'ShowDomainStats' || c.status !== 200 || c.code) continue;
      const tag = tags.get(c)!;
      const ak = /Access=([^,]+),/.exec(tag.authorization)![1];
      out.push({ module: 'huaweicdn', stream: STREAMS.find((s) => s.module === 'huaweicdn')!, shard: tag.shard, account: HUAWEICDN.find((a) => a.ak === ak)!.name, domains: c.domains, startSec: Number(c.params.start_time) / 1000 });
    }
    return out;
  }

  /** Newest bucket InfluxDB holds per stream, account and domain: `stream.key|account|domain` → start. */
  async function newestBuckets(db: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const s of STREAMS) {
      const series = await influxQuery(
        inject('influxV1Url'),
        db,
        `SELECT last("value") FROM "cdn_origin" WHERE "vendor" = '${s.vendor}' AND "interval" = '${s.g}' AND "metric" =~ /^(${s.metrics.join('|')})$/ GROUP BY "account", "domain"`,
      );
      for (const x of series) out.set(`${s.key}|${x.tags!.account}|${x.tags!.domain}`, Number(x.values[0]![0]));
    }
    return out;
  }

  /** What InfluxDB must hold over [from, to) of each stream: `vendor|account|domain|metric|interval|t` → value. */
  function expected(fromSec: number, toSec: number): Map<string, number> {
    const want = new Map<string, number>();
    const range = (g: number) => {
      const ts: number[] = [];
      for (let t = alignUp(fromSec, g); t < alignDown(toSec, g); t += g) ts.push(t);
      return ts;
    };
    for (const a of ALIYUN) {
      for (const d of a.domains) {
        for (const t of range(300)) for (const m of ['traffic_bytes', 'https_traffic_bytes']) want.set(`aliyun|${a.name}|${d}|${m}|300|${t}`, aliyun.finalValue(SRC, d, m, t, 300, a.ak));
        for (const t of range(60)) want.set(`aliyun|${a.name}|${d}|traffic_bytes|60|${t}`, aliyun.finalValue(RT, d, 'traffic_bytes', t, 60, a.ak));
      }
    }
    for (const a of TENCENT) {
      for (const d of a.domains) {
        for (const t of range(300)) {
          const b = tencent.bucket(d, t, 300, Date.now());
          want.set(`tencent|${a.name}|${d}|traffic_bytes|300|${t}`, b.flux!);
          want.set(`tencent|${a.name}|${d}|requests|300|${t}`, b.request!);
        }
      }
    }
    for (const a of HUAWEICDN) {
      const account = { sk: a.sk, domains: a.domains.map((domain) => ({ domain })) };
      for (const d of a.domains) {
        for (const t of range(300)) {
          want.set(`huawei|${a.name}|${d}|traffic_bytes|300|${t}`, huaweicdn.finalValue(d, 'bs_flux', t, 300, account));
          want.set(`huawei|${a.name}|${d}|requests|300|${t}`, huaweicdn.finalValue(d, 'bs_num', t, 300, account));
        }
      }
    }
    return want;
  }

  async function stored(db: string, fromSec: number, toSec: number): Promise<Map<string, number[]>> {
    const series = await influxQuery(inject('influxV1Url'), db, `SELECT "value" FROM "cdn_origin" WHERE time >= ${fromSec}s AND time < ${toSec}s GROUP BY *`);
    const got = new Map<string, number[]>();
    for (const s of series) {
      const tg = s.tags!;
      for (const [t, v] of s.values as [number, number][]) {
        const k = `${tg.vendor}|${tg.account}|${tg.domain}|${tg.metric}|${tg.interval}|${t}`;
        got.set(k, [...(got.get(k) ?? []), v]);
      }
    }
    return got;
  }

  it('every triple is collected by exactly one shard per pass; every bucket exact; a moved domain resumes from InfluxDB, re-reading only the provisional tail', async () => {
    const influx = inject('influxV1Url');
    const db = `shard_${process.pid}`;
    await createDatabase(influx, db);
    const dirs = Array.from({ length: MAX_SHARDS }, (_, i) => path.join(root, `state-${i}`));
    // shard.count/index through the config file: SHARD_COUNT/SHARD_INDEX are refused (the test below).
    const configFor = (shard: number, count: number): string => {
      const file = path.join(root, `config-${shard}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          influx: { url: influx, apiVersion: 1, database: db },
          collect: { initialLookbackMs: LOOKBACK_SEC * 1000 },
          shard: { count, index: shard },
          log: { level: 'warn' },
          vendors: {
            aliyun: { enabled: true, endpoint: endpoints.aliyun![shard], apis: [SRC, RT], realTimeSettleMs: SETTLE_SEC.aliyunRealtime * 1000, srcSettleMs: SETTLE_SEC.aliyunSrc * 1000, accounts: ALIYUN.map((a) => ({ name: a.name, accessKeyId: a.ak, accessKeySecret: a.sk })) },
            tencent: { enabled: true, endpoint: endpoints.tencent![shard], metrics: ['flux', 'request'], settleMs: SETTLE_SEC.tencent * 1000, accounts: TENCENT.map((a) => ({ name: a.name, secretId: a.id, secretKey: a.key })) },
            huaweicdn: { enabled: true, endpoint: endpoints.huaweicdn![shard], metrics: ['bs_flux', 'bs_num'], settleMs: SETTLE_SEC.huaweicdn * 1000, accounts: HUAWEICDN.map((a) => ({ name: a.name, ak: a.ak, sk: a.sk })) },
          },
        }),
      );
      return file;
    };
    /** Which triples each state.dir has ever collected (forgotten when the dir is wiped). */
    const held: Set<string>[] = dirs.map(() => new Set());
    const owners: Map<string, number>[] = [];
    let firstPassStartSec = 0;

    const pass = async (count: number) => {
      const newest = await newestBuckets(db);
      const from = { aliyun: aliyun.calls.length, tencent: tencent.calls.length, huaweicdn: huaweicdn.calls.length };
      const throttledBefore = aliyun.limiter.throttled + tencent.limiter.throttled + huaweicdn.limiter.throttled;
      const startSec = Date.now() / 1000;
      const results: CliResult[] = await Promise.all(
        Array.from({ length: count }, (_, shard) => startCli(['once', '--config', configFor(shard, count)], { STATE_DIR: dirs[shard]! }).done),
      );
      const endSec = Date.now() / 1000;
      results.forEach((r, shard) => {
        expect(r.stderr, `shard ${shard}/${count} stderr`).toBe('');
        expect(r.code, `shard ${shard}/${count} exit`).toBe(0);
      });
      // Each replica paces at its share of the account's limit: together they stay under it.
      expect(aliyun.limiter.throttled + tencent.limiter.throttled + huaweicdn.limiter.throttled - throttledBefore, 'throttled calls').toBe(0);
      const calls = dataCallsSince(from);

      // Every triple by exactly one shard (the one rendezvous hashing names), and none left out.
      const byTriple = new Map<string, Set<number>>();
      for (const c of calls) for (const d of c.domains) {
        const k = tripleKey(c.module, c.account, d);
        byTriple.set(k, (byTriple.get(k) ?? new Set()).add(c.shard));
      }
      const owner = new Map<string, number>();
      for (const t of TRIPLES) {
        const k = tripleKey(t.module, t.account, t.domain);
        expect([...(byTriple.get(k) ?? [])], `${k} fetched by`).toEqual([shardOf(count, t.module, t.account, t.domain)]);
        owner.set(k, shardOf(count, t.module, t.account, t.domain));
      }
      expect(byTriple.size).toBe(TRIPLES.length);
      // No window of any stream fetched twice in one pass (by one shard or two).
      const windows = new Map<string, number>();
      for (const c of calls) for (const d of c.domains) {
        const k = `${c.stream.key}|${c.account}|${d}|${c.startSec}`;
        windows.set(k, (windows.get(k) ?? 0) + 1);
      }
      expect([...windows].filter(([, n]) => n > 1), 'windows fetched twice').toEqual([]);

      // Where each stream of a domain started: a domain new to its shard's state.dir starts after the
      // newest bucket InfluxDB holds for it, or at the provisional horizon if that is earlier; with
      // nothing in InfluxDB, collect.initialLookbackMs back.
      const firstStart = new Map<string, number>();
      for (const c of calls) for (const d of c.domains) {
        const k = `${c.stream.key}|${c.account}|${d}`;
        firstStart.set(k, Math.min(firstStart.get(k) ?? Infinity, c.startSec));
      }
      let recovered = 0;
      for (const t of TRIPLES) {
        const shard = owner.get(tripleKey(t.module, t.account, t.domain))!;
        if (held[shard]!.has(tripleKey(t.module, t.account, t.domain))) continue;
        for (const s of STREAMS.filter((x) => x.module === t.module)) {
          const k = `${s.key}|${t.account}|${t.domain}`;
          const got = firstStart.get(k);
          const n = newest.get(k);
          // `now` inside the collector lies between the start and the end of the pass.
          const allowed = new Set<number>();
          for (const now of [startSec, endSec]) {
            const horizon = alignDown(Math.floor(now) - s.settleSec - s.g, s.g);
            allowed.add(n === undefined ? alignDown(Math.floor(now) - LOOKBACK_SEC, s.g) : Math.min(n + s.g, horizon));
          }
          expect([...allowed], `${k} on shard ${shard}/${count}: first window ${got}, newest in InfluxDB ${n}`).toContain(got);
          if (n !== undefined) {
            recovered++;
            expect(got, `${k}: not the initial look-back`).not.toBe(alignDown(Math.floor(startSec) - LOOKBACK_SEC, s.g));
          }
        }
      }
      for (const [k, shard] of owner) held[shard]!.add(k);
      owners.push(owner);

      // Every bucket from the first pass's look-back to this pass: present once, exact.
      const fromSec = Math.floor(firstPassStartSec || startSec) - LOOKBACK_SEC + 60;
      const toSec = Math.floor(startSec);
      const want = expected(fromSec, toSec);
      const got = await stored(db, fromSec, alignDown(toSec, 60));
      const wrong = [...want].filter(([k, v]) => JSON.stringify(got.get(k)) !== JSON.stringify([v])).slice(0, 5).map(([k, v]) => `${k}: want ${v}, got ${JSON.stringify(got.get(k))}`);
      expect(wrong, `shards ${count}: missing or wrong buckets`).toEqual([]);
      // Nothing beyond what the vendors serve (a bucket at `toSec`'s edge may already be there).
      const extra = [...got.keys()].filter((k) => !want.has(k) && Number(k.split('|').at(-1)) < alignDown(toSec, 300));
      expect(extra, 'extra points').toEqual([]);
      if (!firstPassStartSec) firstPassStartSec = startSec;
      return { owner, recovered };
    };

    const p3 = await pass(3);
    const p4 = await pass(4);
    // Rendezvous hashing: going from 3 to 4 shards only moves triples to the new shard.
    const moved34 = TRIPLES.map((t) => tripleKey(t.module, t.account, t.domain)).filter((k) => p3.owner.get(k) !== p4.owner.get(k));
    expect(moved34.length).toBeGreaterThan(0);
    for (const k of moved34) expect(p4.owner.get(k), k).toBe(3);
    expect(p4.recovered).toBeGreaterThan(0);

    // A lost volume: shard 0 starts from nothing, then 4 → 2.
    rmSync(dirs[0]!, { recursive: true, force: true });
    held[0]!.clear();
    const p2 = await pass(2);
    const moved42 = TRIPLES.map((t) => tripleKey(t.module, t.account, t.domain)).filter((k) => p4.owner.get(k) !== p2.owner.get(k));
    // Going from 4 to 2 moves what shards 2 and 3 held, and nothing between 0 and 1.
    for (const k of moved42) expect([2, 3], k).toContain(p4.owner.get(k));
    expect(p2.recovered).toBeGreaterThan(0);
  });

  // CONTRACT.md: `shard.count` / `shard.index` have the env vars SHARD_COUNT / SHARD_INDEX (the
  // StatefulSet sets SHARD_COUNT). src/config/load.ts applyEnv converts an env value to a number only
  // when the value already in the schema is a number, but convict has already stored the env var as a
  // string for the custom formats positive-int / non-negative-int, so the value stays "3" and is refused.
  it('SHARD_COUNT and SHARD_INDEX from the environment are accepted (check-config exits 0)', async () => {
    const file = path.join(root, 'env-config.json');
    writeFileSync(file, JSON.stringify({ influx: { url: inject('influxV1Url'), apiVersion: 1 }, vendors: { tencent: { enabled: true, secretId: 'AKIDx', secretKey: 'k' } } }));
    const r = await startCli(['check-config', '--config', file], { SHARD_COUNT: '3', SHARD_INDEX: '1' }).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"count": 3/);
  });
});
