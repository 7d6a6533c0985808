/**
 * Drives one corpus case through the built CLI (dist/cli.js) as a user would: its own emulator
 * (one vendor, one or two accounts, one API/metric, a 15-minute range three hours back), its own
 * database on the real InfluxDB 1.x (or the fake InfluxDB), its own state.dir. Records everything
 * the run showed and wrote; `check` (in the test) compares it with the case's expectations.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { HuaweiCdnEmulator } from '../emulators/huaweicdn.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { runCli, type CliResult } from '../support/cli.js';
import { parseLine, startFakeInflux, type FakeInflux } from '../support/fake-influx.js';
import { createDatabase, influxQuery } from '../support/servers.js';
import type { Case, CaseContext, Secrets, VendorId } from './types.js';

export const STEP = 300;
export const BUCKETS = 3;

/** Fault names of faults.ts that the Alibaba emulator spells its own way. */
const ALIYUN_FAULT: Record<string, string> = {
  'error-200': 'error-object-200',
  'foreign-domain': 'other-domain',
  'zoneless-time': 'zoneless',
  'value-NaN': 'value-nan',
  'value-Infinity': 'value-infinity',
};

export const DOMAINS: Record<VendorId, [string, string]> = {
  aliyun: ['a.example.com', 'b.example.com'],
  tencent: ['a.example.cn', 'b.example.cn'],
  huawei: ['live-a.example.com', 'live-b.example.com'],
  huaweicdn: ['cdn-a.example.com', 'cdn-b.example.com'],
};
export const PRIMARY: Record<VendorId, { metric: string; stream: string; api: string }> = {
  aliyun: { metric: 'traffic_bytes', stream: 'DescribeDomainSrcTrafficData', api: 'DescribeDomainSrcTrafficData' },
  tencent: { metric: 'traffic_bytes', stream: 'flux-5min-mainland', api: 'DescribeOriginData' },
  huawei: { metric: 'play_traffic_bytes', stream: 'stats/traffic/detail', api: 'stats/traffic/detail' },
  huaweicdn: { metric: 'traffic_bytes', stream: 'ShowDomainStats', api: 'ShowDomainStats' },
};
const IDS: Record<VendorId, [string, string]> = {
  aliyun: ['LTAI5tCorpusMain0001', 'LTAI5tCorpusSecond002'],
  tencent: ['AKIDcorpusMain000000000000000001', 'AKIDcorpusSecond00000000000000002'],
  huawei: ['HWCORPUSMAIN0000001', 'HWCORPUSSECOND00002'],
  huaweicdn: ['HWCDNCORPUSMAIN0001', 'HWCDNCORPUSSECOND02'],
};
const PROJECT = '0123456789abcdef0123456789abcdef';

/** Distinctive secrets: random cores with characters that base64, URL and hex encodings all change. */
export function makeSecrets(): Secrets {
  const r = (tag: string) => `${tag}+${randomBytes(12).toString('base64url')}/${randomBytes(6).toString('hex')}=`;
  return { vendorSecret: r('Vs'), vendorSecret2: r('Vt'), stsToken: r('St'), influxPassword: r('Ip'), influxToken: r('It') };
}

/** Everything a secret may turn into on its way out. */
export function secretNeedles(secret: string): { needle: string; what: string }[] {
  const out: { needle: string; what: string }[] = [];
  const buf = Buffer.from(secret, 'utf8');
  out.push({ needle: buf.toString('base64').replace(/=+$/, ''), what: 'base64' });
  out.push({ needle: buf.toString('base64url'), what: 'base64url' });
  out.push({ needle: encodeURIComponent(secret), what: 'url-encoded' });
  out.push({ needle: buf.toString('hex'), what: 'hex' });
  // Any part of it: every 10-character window (the random cores are 16+ characters).
  for (let i = 0; i + 10 <= secret.length; i++) out.push({ needle: secret.slice(i, i + 10), what: `part ${i}..${i + 10}` });
  return out;
}

type AnyEmu = AliyunEmulator | TencentEmulator | HuaweiEmulator | HuaweiCdnEmulator;

function makeEmulator(v: VendorId, s: Secrets, second: boolean, extra: Record<string, unknown>): AnyEmu {
  const [d1, d2] = DOMAINS[v];
  const [id1, id2] = IDS[v];
  switch (v) {
    case 'aliyun':
      return new AliyunEmulator({ accounts: { [id1]: { secret: s.vendorSecret, securityToken: s.stsToken, domains: [d1] }, ...(second ? { [id2]: { secret: s.vendorSecret2, domains: [d2] } } : {}) }, ...extra } as never);
    case 'tencent':
      return new TencentEmulator({ accounts: { [id1]: { secretKey: s.vendorSecret, token: s.stsToken, domains: [{ domain: d1, area: 'mainland' }] }, ...(second ? { [id2]: { secretKey: s.vendorSecret2, domains: [{ domain: d2, area: 'mainland' }] } } : {}) }, ...extra } as never);
    case 'huawei':
      return new HuaweiEmulator({ accounts: { [id1]: { sk: s.vendorSecret, projectId: PROJECT, securityToken: s.stsToken, domains: [{ domain: d1 }] }, ...(second ? { [id2]: { sk: s.vendorSecret2, projectId: PROJECT, domains: [{ domain: d2 }] } } : {}) }, ...extra } as never);
    case 'huaweicdn':
      return new HuaweiCdnEmulator({ accounts: { [id1]: { sk: s.vendorSecret, securityToken: s.stsToken, domains: [{ domain: d1 }] }, ...(second ? { [id2]: { sk: s.vendorSecret2, domains: [{ domain: d2 }] } } : {}) }, ...extra } as never);
  }
}

function vendorConfig(v: VendorId, endpoint: string, s: Secrets, second: 'ok' | 'wrong' | undefined, secondFile: string): Record<string, unknown> {
  const [d1, d2] = DOMAINS[v];
  const [id1, id2] = IDS[v];
  const wrong = second === 'wrong';
  if (second) writeFileSync(secondFile, `${wrong ? s.vendorSecret2.split('').reverse().join('') : s.vendorSecret2}\n`);
  switch (v) {
    case 'aliyun':
      return {
        enabled: true, endpoint, apis: ['DescribeDomainSrcTrafficData'],
        accounts: [{ name: 'main', accessKeyId: id1, accessKeySecret: s.vendorSecret, securityToken: s.stsToken, domains: [d1] }, ...(second ? [{ name: 'second', accessKeyId: id2, accessKeySecretFile: secondFile, domains: [d2] }] : [])],
      };
    case 'tencent':
      return {
        enabled: true, endpoint, metrics: ['flux'], interval: '5min', areas: ['mainland'],
        accounts: [{ name: 'main', secretId: id1, secretKey: s.vendorSecret, sessionToken: s.stsToken, domains: [d1] }, ...(second ? [{ name: 'second', secretId: id2, secretKeyFile: secondFile, domains: [d2] }] : [])],
      };
    case 'huawei':
      return {
        enabled: true, endpoint, apis: ['stats/traffic/detail'],
        accounts: [{ name: 'main', ak: id1, sk: s.vendorSecret, securityToken: s.stsToken, projectId: PROJECT, domains: [d1] }, ...(second ? [{ name: 'second', ak: id2, skFile: secondFile, projectId: PROJECT, domains: [d2] }] : [])],
      };
    case 'huaweicdn':
      return {
        enabled: true, endpoint, metrics: ['bs_flux'],
        accounts: [{ name: 'main', ak: id1, sk: s.vendorSecret, securityToken: s.stsToken, domains: [d1] }, ...(second ? [{ name: 'second', ak: id2, skFile: secondFile, domains: [d2] }] : [])],
      };
  }
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

export interface Point {
  readonly domain: string;
  readonly account: string;
  readonly metric: string;
  readonly sec: number;
  readonly value: number;
}

export interface StatusDomain {
  domain: string;
  checkpoint?: string;
  owed?: unknown[];
  owedWindows?: unknown[];
  gaps?: unknown[];
}
export interface StatusDoc {
  streams?: { module: string; account: string; stream: string; domains: StatusDomain[] }[];
  gaps?: number;
}

export interface CaseRun {
  readonly ctx: CaseContext;
  readonly first: CliResult;
  readonly firstMs: number;
  readonly userLines: string[];
  readonly calls: number;
  readonly influxRequests: number;
  /** Points in [from, to) after the command, and every point anywhere (for invented ones). */
  readonly points: Point[];
  readonly allPoints: Point[];
  readonly status?: CliResult;
  readonly statusDoc?: StatusDoc;
  readonly followUp?: CliResult;
  readonly followUpLines?: string[];
  readonly followUpPoints?: Point[];
  readonly followUpStatus?: CliResult;
  readonly followUpStatusDoc?: StatusDoc;
  /** Every text the run showed or wrote (stdout, stderr, files), for the secrets scan. */
  readonly texts: { where: string; text: string }[];
  readonly fake?: FakeInflux;
}

/** Lines meant for a person: not JSON log lines, not progress lines. */
export function userLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('{') && !/^(backfill|once|verify): \d+\/\d+ windows/.test(l));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    try {
      const st = statSync(p);
      if (st.isDirectory()) out.push(...listFiles(p));
      else if (st.isFile() && st.size < 8 * 1024 * 1024) out.push(p);
    } catch {
      /* unreadable on purpose */
    }
  }
  return out;
}

function parseStatus(r: CliResult): StatusDoc | undefined {
  try {
    return JSON.parse(r.stdout) as StatusDoc;
  } catch {
    return undefined;
  }
}

export function owedIn(doc: StatusDoc | undefined, fromSec = -Infinity, toSec = Infinity): number {
  let n = 0;
  for (const s of doc?.streams ?? [])
    for (const d of s.domains ?? []) {
      for (const o of (d.owed ?? []) as { bucket?: string }[]) {
        const t = o.bucket ? Date.parse(o.bucket) / 1000 : NaN;
        if (Number.isNaN(t) || (t >= fromSec && t < toSec)) n++;
      }
      n += (d.owedWindows ?? []).length;
    }
  return n;
}

export interface HarnessEnv {
  readonly influxUrl: string;
  readonly nowSec: number;
}

let seq = 0;

export async function runCase(c: Case, env: HarnessEnv, secrets: Secrets = makeSecrets()): Promise<CaseRun> {
  const v: VendorId = c.vendor ?? 'aliyun';
  const n = ++seq;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'corpus-'));
  const stateDir = path.join(dir, 'state');
  mkdirSync(stateDir, { recursive: true });
  // Old enough to be final for every vendor whatever the minute: Huawei CDN revises buckets for 3 h
  // (settle + one bucket), and a series cut short where buckets are still provisional is legitimate.
  // 3 h back was final only after 25 minutes past the hour (the short-series case flickered).
  const fromSec = Math.floor(env.nowSec / 3600) * 3600 - 4 * 3600;
  const toSec = fromSec + BUCKETS * STEP;
  const domains = c.secondAccount === 'ok' ? [...DOMAINS[v]] : [DOMAINS[v][0]];
  const ctx: CaseContext = { dir, stateDir, fromSec, toSec, secrets, domains, vendor: v, metric: c.metric ?? PRIMARY[v].metric, streamPrefix: `${v}.main.${PRIMARY[v].stream.replace(/[^A-Za-z0-9_-]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}` };
  const texts: { where: string; text: string }[] = [];

  const second = c.secondAccount !== undefined;
  let emu = makeEmulator(v, secrets, second, c.emulator ?? {});
  const endpoint = await emu.start();
  const port = Number(new URL(endpoint).port);
  const fake = c.fakeInflux ? await startFakeInflux(c.fakeInflux.flavor, c.fakeInflux.mode) : undefined;
  if (fake && c.fakeInflux?.refuseFirstBucket) fake.refuseSec = fromSec;
  const db = `corpus_${process.pid}_${n}`;
  if (!fake) await createDatabase(env.influxUrl, db);

  const influx = fake
    ? fake.flavor === '1.x'
      ? { url: fake.url, apiVersion: 1, database: db, username: 'corpus', password: secrets.influxPassword }
      : { url: fake.url, apiVersion: 2, token: secrets.influxToken, org: 'corpus', bucket: db }
    : { url: env.influxUrl, apiVersion: 1, database: db, username: 'corpus', password: secrets.influxPassword };
  const base = {
    influx: { ...influx, writeRetryMaxMs: 600, requestTimeoutMs: 2000 },
    state: { dir: stateDir, recoverFromInflux: false },
    log: { level: 'warn' },
    collect: { retryMaxAttempts: 2, retryBaseMs: 10, retryMaxDelayMs: 50, requestTimeoutMs: 8000, initialLookbackMs: 3_600_000 },
    vendors: { [v]: vendorConfig(v, endpoint, secrets, c.secondAccount, path.join(dir, 'second.secret')) },
  };
  const config = deepMerge(base, c.config ?? {});
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const configArgs = ['--config', configFile];
  if (c.rawConfig) {
    const extra = path.join(dir, 'extra.json');
    writeFileSync(extra, c.rawConfig(ctx));
    configArgs.push('--config', extra);
  }
  const cliEnv = c.env ? c.env(ctx) : {};
  c.damage?.(ctx);

  for (const f of c.inject ?? []) {
    const spec = v === 'aliyun' ? { ...f, fault: ALIYUN_FAULT[f.fault as string] ?? f.fault } : f;
    (emu as { inject(x: unknown): void }).inject(spec);
  }
  for (const f of c.fail ?? []) (emu as unknown as { fail(x: unknown): void }).fail(f);

  const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  const cmd = (c.command ?? ['backfill', '--from', '{from}', '--to', '{to}']).map((a) => a.replaceAll('{from}', iso(fromSec)).replaceAll('{to}', iso(toSec)));
  const t0 = Date.now();
  const first = await runCli([...cmd, ...configArgs], cliEnv);
  const firstMs = Date.now() - t0;
  texts.push({ where: 'command stdout', text: first.stdout }, { where: 'command stderr', text: first.stderr });
  const calls = emu.calls.length;
  const influxRequests = fake?.requests.length ?? 0;

  const readPoints = async (): Promise<Point[]> => {
    if (fake) {
      return fake.points.map((l) => {
        const p = parseLine(l);
        return { domain: p.tags.domain ?? '', account: p.tags.account ?? '', metric: p.tags.metric ?? '', sec: p.sec, value: p.value };
      });
    }
    const series = await influxQuery(env.influxUrl, db, 'SELECT "value", "domain", "account", "metric" FROM "cdn_origin"').catch(() => []);
    return series.flatMap((s) => s.values.map((r) => ({ sec: Number(r[0]), value: Number(r[1]), domain: String(r[2]), account: String(r[3]), metric: String(r[4]) })));
  };
  const allPoints = await readPoints();
  const inRange = (ps: Point[]) => ps.filter((p) => p.sec >= fromSec && p.sec < toSec);

  const run: { -readonly [K in keyof CaseRun]: CaseRun[K] } = {
    ctx, first, firstMs, userLines: userLines(first.stderr), calls, influxRequests, points: inRange(allPoints), allPoints, texts, ...(fake ? { fake } : {}),
  };

  const statusArgs = ['status', '--json', ...configArgs];
  if (c.expect.owed !== undefined || c.expect.statusExit !== undefined || c.expect.followUp) {
    run.status = await runCli(statusArgs, cliEnv);
    run.statusDoc = parseStatus(run.status);
    texts.push({ where: 'status stdout', text: run.status.stdout }, { where: 'status stderr', text: run.status.stderr });
  }

  if (c.expect.followUp) {
    // The healthy pass: the same vendor without faults (a fresh emulator on the same port), InfluxDB answering.
    await emu.stop();
    emu = makeEmulator(v, secrets, second, {});
    await emu.start(port);
    if (fake) fake.mode = 'ok';
    c.repair?.(ctx);
    run.followUp = await runCli(c.expect.followUpSame ? [...cmd, ...configArgs] : ['once', ...configArgs], cliEnv);
    run.followUpLines = userLines(run.followUp.stderr);
    texts.push({ where: 'follow-up stdout', text: run.followUp.stdout }, { where: 'follow-up stderr', text: run.followUp.stderr });
    run.followUpPoints = inRange(await readPoints());
    run.followUpStatus = await runCli(statusArgs, cliEnv);
    run.followUpStatusDoc = parseStatus(run.followUpStatus);
    texts.push({ where: 'follow-up status', text: run.followUpStatus.stdout + run.followUpStatus.stderr });
  }

  await emu.stop();
  await fake?.stop();
  // Every file the runs wrote (state.dir and anything else under the case's dir), but not the
  // files this harness wrote the secrets into.
  for (const f of listFiles(dir)) {
    const b = path.basename(f);
    if (b === 'config.json' || b === 'extra.json' || b === 'second.secret' || b.startsWith('harness-')) continue;
    try {
      texts.push({ where: f, text: readFileSync(f, 'utf8') });
    } catch {
      /* an unreadable file the case made */
    }
  }
  return run;
}

/** The buckets of [from, to) of every domain of the case (primary metric) that are missing. */
export function missingBuckets(run: CaseRun, points: Point[], domains = run.ctx.domains): string[] {
  const metric = run.ctx.metric;
  const have = new Set(points.filter((p) => p.metric === metric).map((p) => `${p.domain}@${p.sec}`));
  const out: string[] = [];
  for (const d of domains) for (let t = run.ctx.fromSec; t < run.ctx.toSec; t += STEP) if (!have.has(`${d}@${t}`)) out.push(`${d}@${t}`);
  return out;
}

/** Points nobody asked for: another domain, off the grid, not a finite non-negative value. */
export function inventedPoints(run: CaseRun, points: Point[]): Point[] {
  const asked = new Set<string>(DOMAINS[run.ctx.vendor]);
  return points.filter((p) => !asked.has(p.domain) || p.sec % 60 !== 0 || !Number.isFinite(p.value) || p.value < 0);
}

/** Each secret, in each encoding, found anywhere the run showed or wrote. */
export function leaks(run: CaseRun): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(run.ctx.secrets)) {
    for (const { needle, what } of [{ needle: secret, what: 'raw' }, ...secretNeedles(secret)]) {
      for (const t of run.texts) if (t.text.includes(needle)) found.push(`${name} (${what}) in ${t.where}`);
    }
  }
  return [...new Set(found)];
}

/** Writes a state file for the case's stream (header + lines) — the shape src/state/codec.ts reads. */
export function writeStream(ctx: CaseContext, kind: 'state' | 'journal', lines: string[], prefix = ctx.streamPrefix): void {
  writeFileSync(path.join(ctx.stateDir, `${prefix}.${kind}.jsonl`), lines.join('\n') + (lines.length ? '\n' : ''));
}

export function header(ctx: CaseContext, over: Record<string, unknown> = {}): string {
  return JSON.stringify({ format: 'cdn-origin-collector/state', version: 2, module: ctx.vendor, account: 'main', stream: PRIMARY[ctx.vendor].stream, gen: 1, ...over });
}

export function statSafe(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
