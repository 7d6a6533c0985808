/**
 * `status`: what state.dir says, read from state.dir alone. It takes no lock and writes nothing,
 * so it runs while a collector owns the dir; a file replaced or appended to while it is read is
 * read again once.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CollectorError } from '../kernel/errors.js';
import { splitKey } from '../kernel/tail.js';
import { isoSeconds } from '../kernel/time.js';
import type { DomainState, GapEntry, StreamRef } from '../ports.js';
import { baseName, damaged, JOURNAL_SUFFIX, parseLine, readHeader, remedyFor, SNAPSHOT_SUFFIX } from './codec.js';
import { readGaps } from './ledger.js';
import { readLines } from './lines.js';
import { readStream, type LoadedStream } from './read.js';

export interface BucketStatus {
  readonly metric: string;
  readonly intervalSec: number;
  readonly bucket: string;
  readonly reason: string;
  readonly since: string;
}

export interface WindowStatus {
  readonly from: string;
  readonly to: string;
  readonly granularitySec: number;
  readonly reason: string;
  readonly since: string;
}

export interface GapStatus {
  readonly metric: string;
  readonly intervalSec: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly recorded: string;
}

export interface DomainStatus {
  readonly domain: string;
  /** End of the final buckets (ISO), null when the domain only appears in the gap ledger. */
  readonly checkpoint: string | null;
  /** Provisional buckets written and still watched for revisions: how many, first start to last end. */
  readonly provisional: { readonly buckets: number; readonly from?: string; readonly to?: string };
  readonly owed: readonly BucketStatus[];
  readonly owedWindows: readonly WindowStatus[];
  readonly gaps: readonly GapStatus[];
  readonly lastError?: { readonly at: string; readonly message: string };
}

export interface StreamStatus {
  readonly module: string;
  readonly account: string;
  readonly stream: string;
  readonly domains: readonly DomainStatus[];
}

export interface StatusReport {
  readonly stateDir: string;
  readonly streams: readonly StreamStatus[];
  /** Gap ledger entries (without repeats). */
  readonly gaps: number;
  /** Harmless findings (a torn last line dropped). */
  readonly notes: readonly string[];
}

/** Keys in a loaded state were checked by the codec. */
const bucketOf = (k: string) => splitKey(k)!;

function domainStatus(domain: string, s: DomainState | undefined, gaps: readonly GapEntry[]): DomainStatus {
  let from = Infinity;
  let to = -Infinity;
  for (const k of s?.tail.keys() ?? []) {
    const { intervalSec, tsSec } = bucketOf(k);
    from = Math.min(from, tsSec);
    to = Math.max(to, tsSec + intervalSec);
  }
  const owed: BucketStatus[] = [];
  for (const [k, o] of s?.owed ?? []) {
    const { metric, intervalSec, tsSec } = bucketOf(k);
    owed.push({ metric, intervalSec, bucket: isoSeconds(tsSec), reason: o.reason, since: isoSeconds(o.sinceSec) });
  }
  owed.sort((x, y) => (x.bucket < y.bucket ? -1 : x.bucket > y.bucket ? 1 : x.metric < y.metric ? -1 : x.metric > y.metric ? 1 : x.intervalSec - y.intervalSec));
  return {
    domain,
    checkpoint: s ? isoSeconds(s.finalEndSec) : null,
    provisional: s && s.tail.size > 0 ? { buckets: s.tail.size, from: isoSeconds(from), to: isoSeconds(to) } : { buckets: 0 },
    owed,
    owedWindows: (s?.owedWindows ?? []).map((w) => ({ from: isoSeconds(w.fromSec), to: isoSeconds(w.toSec), granularitySec: w.granularitySec, reason: w.reason, since: isoSeconds(w.sinceSec) })),
    gaps: gaps.map((g) => ({ metric: g.metric, intervalSec: g.intervalSec, from: isoSeconds(g.fromSec), to: isoSeconds(g.toSec), reason: g.reason, recorded: isoSeconds(g.recordedAtSec) })),
    ...(s?.lastError ? { lastError: { at: isoSeconds(s.lastError.atSec), message: s.lastError.message } } : {}),
  };
}

/** The stream a state file belongs to, from its header (the snapshot's, else the journal's). */
async function refOf(dir: string, base: string, files: Set<string>): Promise<StreamRef | undefined> {
  for (const suffix of [SNAPSHOT_SUFFIX, JOURNAL_SUFFIX]) {
    if (!files.has(base + suffix)) continue;
    const file = path.join(dir, base + suffix);
    const lines = await readLines(file);
    if (!lines) continue;
    const remedy = remedyFor([file]);
    for await (const l of lines) {
      // A journal whose only line is an unfinished header holds nothing yet.
      if (!l.terminated && suffix === JOURNAL_SUFFIX) break;
      const h = readHeader(parseLine(l.text, { file, line: 1, remedy }), { file, line: 1, remedy });
      if (baseName(h) !== base) throw damaged({ file, line: 1, remedy }, `holds the state of ${h.module}/${h.account}/${h.stream}, which belongs in ${baseName(h)}${suffix} (renamed or copied?)`);
      await lines.return(undefined);
      return { module: h.module, account: h.account, stream: h.stream };
    }
    if (suffix === SNAPSHOT_SUFFIX) throw damaged({ file, line: 1, remedy }, 'the file is empty');
  }
  return undefined;
}

async function identity(file: string): Promise<string> {
  try {
    const s = await fs.stat(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

/** Reads a stream, once more if a compaction or commit changed its files meanwhile. */
async function readSteady(dir: string, ref: StreamRef, nowSec: number): Promise<LoadedStream> {
  const files = [SNAPSHOT_SUFFIX, JOURNAL_SUFFIX].map((s) => path.join(dir, baseName(ref) + s));
  for (let attempt = 0; ; attempt++) {
    const before = await Promise.all(files.map(identity));
    try {
      const s = await readStream(dir, ref, nowSec);
      const after = await Promise.all(files.map(identity));
      if (attempt === 0 && before.join() !== after.join()) continue;
      return s;
    } catch (err) {
      if (attempt === 0 && err instanceof CollectorError) continue;
      throw err;
    }
  }
}

/**
 * Everything state.dir holds, per module/account/stream/domain. Throws CollectorError('state') with
 * one line when a file is damaged (exit 2); a missing dir reads as empty.
 */
export async function readStatus(dir: string, opts: { nowSec: number }): Promise<StatusReport> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
    else throw new CollectorError('state', `state: cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const files = new Set(names);
  const bases = new Set<string>();
  for (const n of names) for (const s of [SNAPSHOT_SUFFIX, JOURNAL_SUFFIX]) if (n.endsWith(s)) bases.add(n.slice(0, -s.length));
  const notes: string[] = [];
  let gaps: GapEntry[];
  try {
    gaps = await readGaps(dir, notes);
  } catch (err) {
    if (!(err instanceof CollectorError)) throw err;
    notes.length = 0;
    gaps = await readGaps(dir, notes);
  }

  const streams = new Map<string, { ref: StreamRef; domains: Map<string, DomainState> }>();
  const key = (r: StreamRef) => `${r.module}\u0000${r.account}\u0000${r.stream}`;
  for (const base of [...bases].sort()) {
    let ref: StreamRef | undefined;
    try {
      ref = await refOf(dir, base, files);
    } catch (err) {
      if (!(err instanceof CollectorError)) throw err;
      ref = await refOf(dir, base, new Set(await fs.readdir(dir)));
    }
    if (!ref) continue;
    const s = await readSteady(dir, ref, opts.nowSec);
    notes.push(...s.notes);
    streams.set(key(ref), { ref, domains: s.domains });
  }

  const gapsBy = new Map<string, Map<string, GapEntry[]>>();
  for (const g of gaps) {
    const k = key(g);
    if (!streams.has(k)) streams.set(k, { ref: { module: g.module, account: g.account, stream: g.stream }, domains: new Map() });
    let m = gapsBy.get(k);
    if (!m) gapsBy.set(k, (m = new Map()));
    const list = m.get(g.domain) ?? [];
    list.push(g);
    m.set(g.domain, list);
  }

  const out: StreamStatus[] = [];
  for (const [k, { ref, domains }] of [...streams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const g = gapsBy.get(k) ?? new Map<string, GapEntry[]>();
    const names = [...new Set([...domains.keys(), ...g.keys()])].sort();
    out.push({ ...ref, domains: names.map((d) => domainStatus(d, domains.get(d), g.get(d) ?? [])) });
  }
  return { stateDir: dir, streams: out, gaps: gaps.length, notes };
}

/** The exit code of `status`: 1 while the ledger holds a gap (unreadable state is a CollectorError: 2). */
export function statusExitCode(r: StatusReport): 0 | 1 {
  return r.gaps > 0 ? 1 : 0;
}

/** Streams with more domains than this list only the domains with something to say. */
const FULL_LISTING = 20;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function domainLine(d: DomainStatus): string[] {
  const parts = [d.domain, d.checkpoint ? `checkpoint ${d.checkpoint}` : 'no checkpoint'];
  if (d.provisional.buckets > 0) parts.push(`provisional ${plural(d.provisional.buckets, 'bucket')} ${d.provisional.from}..${d.provisional.to}`);
  if (d.owed.length > 0) parts.push(`owed ${plural(d.owed.length, 'bucket')}`);
  if (d.owedWindows.length > 0) parts.push(`owed ${plural(d.owedWindows.length, 'window')}`);
  if (d.gaps.length > 0) parts.push(plural(d.gaps.length, 'gap'));
  const lines = [`  ${parts.join('  ')}`];
  for (const o of d.owed) lines.push(`    owed ${o.metric} ${o.intervalSec}s ${o.bucket} since ${o.since}: ${o.reason}`);
  for (const w of d.owedWindows) lines.push(`    owed window ${w.from}..${w.to} (${w.granularitySec}s) since ${w.since}: ${w.reason}`);
  for (const g of d.gaps) lines.push(`    GAP ${g.metric} ${g.intervalSec}s ${g.from}..${g.to} (recorded ${g.recorded}): ${g.reason}`);
  if (d.lastError) lines.push(`    last error ${d.lastError.at}: ${d.lastError.message}`);
  return lines;
}

/** `status` output: human text (one block per stream, one line per domain), or `--json`: one document. */
export function formatStatus(r: StatusReport, opts: { json?: boolean } = {}): string {
  if (opts.json) return `${JSON.stringify(r, null, 2)}\n`;
  const domains = r.streams.reduce((n, s) => n + s.domains.length, 0);
  const out = [
    `state.dir ${r.stateDir}: ${plural(r.streams.length, 'stream')}, ${plural(domains, 'domain')}, ${r.gaps === 0 ? 'no gap in the ledger' : `${plural(r.gaps, 'gap')} in the ledger`}`,
  ];
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const s of r.streams) {
    const cps = s.domains.map((d) => d.checkpoint).filter((c): c is string => c !== null).sort();
    const range = cps.length === 0 ? 'no checkpoint' : cps[0] === cps[cps.length - 1] ? `checkpoint ${cps[0]}` : `checkpoints ${cps[0]}..${cps[cps.length - 1]}`;
    const owed = s.domains.reduce((n, d) => n + d.owed.length + d.owedWindows.length, 0);
    const gaps = s.domains.reduce((n, d) => n + d.gaps.length, 0);
    const errors = s.domains.filter((d) => d.lastError).length;
    out.push('');
    out.push(
      `${s.module} / ${s.account} / ${s.stream}: ${plural(s.domains.length, 'domain')}, ${range}` +
        `${owed ? `, ${owed} owed` : ''}${gaps ? `, ${plural(gaps, 'gap')}` : ''}${errors ? `, ${plural(errors, 'domain')} with an error` : ''}`,
    );
    const notable = (d: DomainStatus) => d.owed.length > 0 || d.owedWindows.length > 0 || d.gaps.length > 0 || d.lastError !== undefined || d.checkpoint === null;
    const shown = s.domains.length <= FULL_LISTING ? s.domains : s.domains.filter(notable);
    for (const d of shown) out.push(...domainLine(d));
    const rest = s.domains.length - shown.length;
    if (rest > 0) out.push(`  … ${plural(rest, 'more domain')}: nothing owed, no gap, no error (--json lists them all)`);
  }
  return `${out.join('\n')}\n`;
}
