/**
 * Checkpoint cost at 10,000 domains: commits of 32 changed domains (one chunk of calls) through the
 * journal store, against the old way (the whole stream state serialized, written, fsynced and
 * renamed at every commit, as src/state/store.ts did before). Run: npx tsx bench/state-journal.ts
 */
import { mkdtempSync, promises as fs, constants as fsc, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tail } from '../src/kernel/tail.js';
import type { DomainState, StreamRef, StreamState } from '../src/ports.js';
import { FileCheckpointStore } from '../src/state/store.js';

const DOMAINS = Number(process.env.DOMAINS ?? 10_000);
const CHANGED = 32;
/** Provisional tail per domain: 4 metrics × 10 five-minute buckets (the old format took ~1.7 KB a domain, 17 MB for 10,000). */
const METRICS = ['traffic_bytes', 'bandwidth_bps', 'requests', 'status_2xx'];
const TAIL_BUCKETS = 10;
const NEW_COMMITS = Number(process.env.NEW_COMMITS ?? 1_500);
const OLD_COMMITS = Number(process.env.OLD_COMMITS ?? 25);
const T0 = 1_800_000_000;

function makeState(): StreamState {
  const s: StreamState = new Map();
  for (let i = 0; i < DOMAINS; i++) {
    const tail = new Map<string, number>();
    for (const m of METRICS) for (let b = 0; b < TAIL_BUCKETS; b++) tail.set(`${m}|300|${T0 + b * 300}`, Math.round(Math.random() * 1e9) / 100);
    s.set(`d${i}.example-cdn-customer.com`, { finalEndSec: T0, tail, owed: new Map(), owedWindows: [] });
  }
  return s;
}

/** A pass moved the domain on by one bucket: its oldest provisional buckets became final, new ones arrived. */
function advance(s: DomainState): void {
  const end = s.finalEndSec;
  s.finalEndSec = end + 300;
  const tail = new Map(s.tail);
  for (const m of METRICS) {
    tail.delete(`${m}|300|${end}`);
    tail.set(`${m}|300|${end + TAIL_BUCKETS * 300}`, Math.round(Math.random() * 1e9) / 100);
  }
  s.tail = Tail.from(tail);
}

/** The old store's save, verbatim in effect: whole state, one JSON document, tmp + fsync + rename + fsync dir. */
async function oldSave(dir: string, state: StreamState): Promise<number> {
  const file = path.join(dir, 'aliyun-0123456789ab-DescribeDomainSrcTrafficData.json');
  const tmp = `${file}.${process.pid}.tmp`;
  const domains: Record<string, { finalEndSec: number; tail: [string, number][] }> = {};
  for (const [d, s] of state) domains[d] = { finalEndSec: s.finalEndSec, tail: [...s.tail] };
  const body = JSON.stringify({ version: 1, vendor: 'aliyun', stream: 'DescribeDomainSrcTrafficData', domains });
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  const dh = await fs.open(dir, fsc.O_RDONLY);
  await dh.sync();
  await dh.close();
  return Buffer.byteLength(body);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const fmt = (n: number, d = 2) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const kb = (n: number) => `${fmt(n / 1024, 1)} KiB`;
const mb = (n: number) => `${fmt(n / 1024 / 1024, 1)} MiB`;

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(process.env.BENCH_DIR ?? tmpdir(), 'state-bench-'));
  const ref: StreamRef = { module: 'aliyun', account: 'default', stream: 'DescribeDomainSrcTrafficData' };
  const names = [...makeState().keys()];
  try {
    // Old way.
    const oldDir = path.join(root, 'old');
    await fs.mkdir(oldDir);
    const oldState = makeState();
    await oldSave(oldDir, oldState);
    const oldWall: number[] = [];
    let oldBytes = 0;
    const oldCpu0 = cpuMs();
    for (let c = 0; c < OLD_COMMITS; c++) {
      for (let k = 0; k < CHANGED; k++) advance(oldState.get(names[(c * CHANGED + k) % DOMAINS]!)!);
      const t = performance.now();
      oldBytes += await oldSave(oldDir, oldState);
      oldWall.push(performance.now() - t);
    }
    const oldCpu = (cpuMs() - oldCpu0) / OLD_COMMITS;
    const oldFile = statSync(path.join(oldDir, readdirSync(oldDir)[0]!)).size;

    // Journal store.
    const newDir = path.join(root, 'new');
    const state = makeState();
    const store = new FileCheckpointStore(newDir, { nowSec: () => T0 + 86400 * 30 });
    await store.load(ref);
    await store.commit(ref, state); // the first pass: every domain
    await store.close();
    const s2 = new FileCheckpointStore(newDir, { nowSec: () => T0 + 86400 * 30 });
    const tl = performance.now();
    const loadCpu0 = cpuMs();
    await s2.load(ref);
    const loadMs = performance.now() - tl;
    const loadCpu = cpuMs() - loadCpu0;
    const snapFile = path.join(newDir, 'aliyun.default.DescribeDomainSrcTrafficData.state.jsonl');
    const jourFile = path.join(newDir, 'aliyun.default.DescribeDomainSrcTrafficData.journal.jsonl');
    const snapSize = statSync(snapFile).size;
    const newWall: number[] = [];
    const b0 = s2.stats.bytesWritten;
    const c0 = s2.stats.compactions;
    let maxJournal = 0;
    let maxOnDisk = 0;
    const newCpu0 = cpuMs();
    for (let c = 0; c < NEW_COMMITS; c++) {
      const changed = new Map<string, DomainState>();
      for (let k = 0; k < CHANGED; k++) {
        const d = names[(c * CHANGED + k) % DOMAINS]!;
        const s = state.get(d)!;
        advance(s);
        changed.set(d, s);
      }
      const t = performance.now();
      await s2.commit(ref, changed);
      newWall.push(performance.now() - t);
      if (c % 50 === 0) {
        let j = 0;
        try {
          j = statSync(jourFile).size;
        } catch {
          j = 0;
        }
        maxJournal = Math.max(maxJournal, j);
        maxOnDisk = Math.max(maxOnDisk, j + statSync(snapFile).size);
      }
    }
    const newCpu = (cpuMs() - newCpu0) / NEW_COMMITS;
    const newBytes = (s2.stats.bytesWritten - b0) / NEW_COMMITS;
    const compactions = s2.stats.compactions - c0;
    await s2.close();
    const reloaded = await new FileCheckpointStore(newDir, { nowSec: () => T0 + 86400 * 30 }).load(ref);
    let equal = reloaded.size === state.size;
    for (const [d, s] of state) {
      const r = reloaded.get(d);
      if (!r || r.finalEndSec !== s.finalEndSec || r.tail.size !== s.tail.size) equal = false;
    }

    const rows = [
      `${DOMAINS.toLocaleString('en-US')} domains, ${METRICS.length * TAIL_BUCKETS} provisional buckets each; commits of ${CHANGED} changed domains. Node ${process.version}, ${path.dirname(root)}.`,
      '',
      '| | old: whole state per commit | journal store |',
      '|---|---|---|',
      `| commits measured | ${OLD_COMMITS} | ${NEW_COMMITS.toLocaleString('en-US')} (${compactions} compactions included) |`,
      `| bytes written per commit | ${mb(oldBytes / OLD_COMMITS)} | ${kb(newBytes)} (amortized, compactions included) |`,
      `| wall time per commit, median / p99 | ${fmt(quantile(oldWall, 0.5))} / ${fmt(quantile(oldWall, 0.99))} ms | ${fmt(quantile(newWall, 0.5))} / ${fmt(quantile(newWall, 0.99))} ms |`,
      `| wall time per commit, mean | ${fmt(oldWall.reduce((a, b) => a + b, 0) / OLD_COMMITS)} ms | ${fmt(newWall.reduce((a, b) => a + b, 0) / NEW_COMMITS)} ms |`,
      `| CPU per commit (mean) | ${fmt(oldCpu)} ms | ${fmt(newCpu)} ms |`,
      `| state on disk | ${mb(oldFile)} (one JSON file) | snapshot ${mb(snapSize)}; journal up to ${mb(maxJournal)}; both up to ${mb(maxOnDisk)} |`,
      `| load of the whole stream | | ${fmt(loadMs, 0)} ms wall, ${fmt(loadCpu, 0)} ms CPU |`,
      '',
      `Reload after the run equals the state in memory: ${equal ? 'yes' : 'NO'}.`,
    ];
    process.stdout.write(`${rows.join('\n')}\n`);
    if (!equal) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
