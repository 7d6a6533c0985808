/**
 * The on-disk form of stream state, and its validation. Snapshot and journal are both JSON Lines:
 * a header line naming the stream, then one line per domain holding that domain's whole state.
 * The two share the domain line format, so compaction copies lines without re-encoding them.
 *
 * A domain line: {"domain":"a.com","finalEndSec":1763600000,"tail":[["traffic_bytes|60",1763599940,[12.5,null,13]],…],
 *   "owed":[["requests|300|1763599800","value \"abc\"",1763600100],…],
 *   "owedWindows":[[fromSec,toSec,granularitySec,alignOffsetSec|null,"reason",sinceSec],…],
 *   "lastError":[atSec,"message"]}. Empty parts are left out.
 */
import path from 'node:path';
import { CollectorError } from '../kernel/errors.js';
import { NO_ENTRIES, NO_ITEMS, Tail, TailBuilder, type TailLayouts } from '../kernel/tail.js';
import { isoSeconds } from '../kernel/time.js';
import type { DomainState, Owed, OwedWindow, StreamRef } from '../ports.js';

export const FORMAT = 'cdn-origin-collector/state';
export const VERSION = 2;
/** A checkpoint may lead this machine's clock by this much (clock skew between hosts sharing a volume); more is damage. */
export const FUTURE_SLACK_SEC = 86_400;

export interface Header {
  readonly format: string;
  readonly version: number;
  readonly module: string;
  readonly account: string;
  readonly stream: string;
  /** Generation: a compaction writes snapshot gen+1; a journal is replayed only onto the snapshot of its own gen. */
  readonly gen: number;
}

/** Everything but letters, digits, `_` and `-` is %-escaped, so names never collide and `.` separates the parts. */
function escapePart(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

export function baseName(ref: StreamRef): string {
  return `${escapePart(ref.module)}.${escapePart(ref.account)}.${escapePart(ref.stream)}`;
}

export const SNAPSHOT_SUFFIX = '.state.jsonl';
export const JOURNAL_SUFFIX = '.journal.jsonl';

export function snapshotPath(dir: string, ref: StreamRef): string {
  return path.join(dir, baseName(ref) + SNAPSHOT_SUFFIX);
}

export function journalPath(dir: string, ref: StreamRef): string {
  return path.join(dir, baseName(ref) + JOURNAL_SUFFIX);
}

export function encodeHeader(h: Omit<Header, 'format' | 'version'>): string {
  return `${JSON.stringify({ format: FORMAT, version: VERSION, module: h.module, account: h.account, stream: h.stream, gen: h.gen })}\n`;
}

function num(n: number, what: string): string {
  // JSON.stringify would turn NaN into null and make the file unloadable: refuse it here, at the source.
  if (!Number.isFinite(n)) throw new CollectorError('state', `state: refusing to record ${what} = ${String(n)}, not a finite number (a collector bug)`);
  return String(n);
}

/**
 * The tail as runs of one series on its grid: ["metric|intervalSec", firstBucketSec, [v, v, null, v]]
 * (null: no bucket). Keys repeat metric, interval and a ten-digit time per bucket; runs write them once.
 */
function encodeTail(domain: string, tail: ReadonlyMap<string, number>): string {
  if (!(tail instanceof Tail)) {
    for (const [k, v] of tail) {
      if (!BUCKET_KEY.test(k)) throw new CollectorError('state', `state: refusing to record ${domain} tail key ${JSON.stringify(k)}, not metric|intervalSec|bucketSec (a collector bug)`);
      num(v, `${domain} tail ${k}`);
    }
  }
  const t = tail instanceof Tail ? tail : Tail.from(tail);
  const runs: string[] = [];
  for (const r of t.runs()) {
    const name = `${r.metric}|${r.intervalSec}`;
    if (!SERIES.test(name) || !Number.isInteger(r.firstSec)) throw new CollectorError('state', `state: refusing to record ${domain} tail series ${JSON.stringify(name)} at ${r.firstSec}, not metric|intervalSec on whole seconds (a collector bug)`);
    runs.push(`[${JSON.stringify(name)},${r.firstSec},[${r.values.map((v) => (v === v ? num(v, `${domain} tail ${name}`) : 'null')).join(',')}]]`);
  }
  return `[${runs.join(',')}]`;
}

/** One domain as one line (with its newline), built piecewise: no intermediate object per commit. */
export function encodeDomain(domain: string, s: DomainState): string {
  let out = `{"domain":${JSON.stringify(domain)},"finalEndSec":${num(s.finalEndSec, `${domain} finalEndSec`)}`;
  if (s.tail.size > 0) out += `,"tail":${encodeTail(domain, s.tail)}`;
  if (s.owed.size > 0) {
    out += ',"owed":[';
    let first = true;
    for (const [k, o] of s.owed) {
      out += `${first ? '' : ','}[${JSON.stringify(k)},${JSON.stringify(o.reason)},${num(o.sinceSec, `${domain} owed ${k} sinceSec`)}]`;
      first = false;
    }
    out += ']';
  }
  if (s.owedWindows.length > 0) {
    out += ',"owedWindows":[';
    out += s.owedWindows
      .map(
        (w) =>
          `[${num(w.fromSec, 'owed window fromSec')},${num(w.toSec, 'owed window toSec')},${num(w.granularitySec, 'owed window granularitySec')},${
            w.alignOffsetSec === undefined ? 'null' : num(w.alignOffsetSec, 'owed window alignOffsetSec')
          },${JSON.stringify(w.reason)},${num(w.sinceSec, 'owed window sinceSec')}]`,
      )
      .join(',');
    out += ']';
  }
  if (s.lastError) out += `,"lastError":[${num(s.lastError.atSec, `${domain} lastError atSec`)},${JSON.stringify(s.lastError.message)}]`;
  return `${out}}\n`;
}

/** Where a line came from, and what the user should do about it, for the one error line. */
export interface Origin {
  readonly file: string;
  readonly line: number;
  /** "move … away to collect that stream afresh (…)" */
  readonly remedy: string;
}

export function remedyFor(files: readonly string[]): string {
  const what = files.length === 1 ? `the file ${files[0]}` : `${files.slice(0, -1).join(', ')} and ${files[files.length - 1]}`;
  return `move ${what} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`;
}

export function damaged(o: Origin, what: string, remedyLead = ''): CollectorError {
  return new CollectorError('state', `state: ${o.file} line ${o.line}: ${what}; ${remedyLead}${o.remedy}`);
}

/** How a wrong value reads in the error line: short, and never a JavaScript message. */
export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export function parseLine(text: string, o: Origin): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw damaged(o, 'is not JSON');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readHeader(v: unknown, o: Origin, expect?: StreamRef): Header {
  if (!isObject(v) || v.format !== FORMAT) throw damaged(o, `is ${v === null ? 'null' : 'not'} a collector state header (expected {"format":"${FORMAT}",…})`);
  if (v.version !== VERSION) {
    throw damaged(o, `format version ${show(v.version)} is not known to this collector (it reads version ${VERSION})`, 'upgrade the collector, or ');
  }
  for (const k of ['module', 'account', 'stream'] as const) if (typeof v[k] !== 'string' || v[k] === '') throw damaged(o, `header ${k} is ${show(v[k])}, not a name`);
  if (typeof v.gen !== 'number' || !Number.isSafeInteger(v.gen) || v.gen < 0) throw damaged(o, `header gen is ${show(v.gen)}, not a generation number`);
  const h = { format: FORMAT, version: VERSION, module: v.module as string, account: v.account as string, stream: v.stream as string, gen: v.gen };
  if (expect && (h.module !== expect.module || h.account !== expect.account || h.stream !== expect.stream)) {
    throw damaged(o, `holds the state of ${h.module}/${h.account}/${h.stream}, not of ${expect.module}/${expect.account}/${expect.stream} (a file copied from elsewhere?)`);
  }
  return h;
}

function time(v: unknown, o: Origin, what: string, nowSec: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !Number.isInteger(v)) throw damaged(o, `${what} is ${show(v)}, not a time`);
  if (v > nowSec + FUTURE_SLACK_SEC) throw damaged(o, `${what} is ${isoSeconds(v)}, in the future (now ${isoSeconds(nowSec)})`);
  return v;
}

function text(v: unknown, o: Origin, what: string): string {
  if (typeof v !== 'string') throw damaged(o, `${what} is ${show(v)}, not a text`);
  return v;
}

const BUCKET_KEY = /^[^|]+\|[1-9]\d*\|\d+$/;
const SERIES = /^[^|]+\|[1-9]\d*$/;

function bucketKey(v: unknown, o: Origin, what: string): string {
  if (typeof v !== 'string' || !BUCKET_KEY.test(v)) throw damaged(o, `${what} key is ${show(v)}, not metric|intervalSec|bucketSec`);
  return v;
}

function list(v: unknown, o: Origin, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw damaged(o, `${what} is ${show(v)}, not a list`);
  return v;
}

/** A domain line, checked field by field: every value a number where a number belongs, no time in the future. */
export function readDomain(v: unknown, o: Origin, nowSec: number, intern: (s: string) => string = (s) => s, layouts?: TailLayouts): [string, DomainState] {
  if (!isObject(v)) throw damaged(o, `is ${show(v)}, not a domain record`);
  const d0 = v.domain;
  if (typeof d0 !== 'string' || d0 === '') throw damaged(o, `domain is ${show(d0)}, not a domain name`);
  const d = intern(d0);
  const q = `domain ${JSON.stringify(d)}`;
  const finalEndSec = time(v.finalEndSec, o, `${q} finalEndSec`, nowSec);
  const tail = new TailBuilder();
  for (const e of list(v.tail, o, `${q} tail`)) {
    if (!Array.isArray(e) || e.length !== 3 || !Array.isArray(e[2])) throw damaged(o, `${q} tail entry ${show(e)} is not ["metric|intervalSec", firstBucketSec, [values]]`);
    const name: unknown = e[0];
    if (typeof name !== 'string' || !SERIES.test(name)) throw damaged(o, `${q} tail series is ${show(name)}, not metric|intervalSec`);
    const g = Number(name.slice(name.lastIndexOf('|') + 1));
    const first = time(e[1], o, `${q} tail ${name} first bucket`, nowSec);
    const metric = intern(name.slice(0, name.lastIndexOf('|')));
    (e[2] as unknown[]).forEach((val, i) => {
      if (val === null) return;
      const k = `${name}|${first + i * g}`;
      if (typeof val !== 'number' || !Number.isFinite(val) || val < 0) throw damaged(o, `${q} tail ${k} is ${show(val)}, not a written value`);
      tail.set(metric, g, first + i * g, val);
    });
  }
  const owed = new Map<string, Owed>();
  for (const e of list(v.owed, o, `${q} owed`)) {
    if (!Array.isArray(e) || e.length !== 3) throw damaged(o, `${q} owed entry ${show(e)} is not a [key, reason, sinceSec] triple`);
    const k = bucketKey(e[0], o, `${q} owed`);
    owed.set(k, { reason: text(e[1], o, `${q} owed ${k} reason`), sinceSec: time(e[2], o, `${q} owed ${k} sinceSec`, nowSec) });
  }
  const owedWindows: OwedWindow[] = [];
  for (const e of list(v.owedWindows, o, `${q} owedWindows`)) {
    if (!Array.isArray(e) || e.length !== 6) throw damaged(o, `${q} owed window ${show(e)} is not [fromSec, toSec, granularitySec, alignOffsetSec, reason, sinceSec]`);
    const fromSec = time(e[0], o, `${q} owed window fromSec`, nowSec);
    const toSec = time(e[1], o, `${q} owed window toSec`, nowSec);
    if (toSec <= fromSec) throw damaged(o, `${q} owed window ends (${isoSeconds(toSec)}) before it starts (${isoSeconds(fromSec)})`);
    const g: unknown = e[2];
    if (typeof g !== 'number' || !Number.isInteger(g) || g <= 0) throw damaged(o, `${q} owed window granularitySec is ${show(g)}, not a bucket length`);
    const off: unknown = e[3];
    if (off !== null && (typeof off !== 'number' || !Number.isInteger(off))) throw damaged(o, `${q} owed window alignOffsetSec is ${show(off)}, not whole seconds`);
    const w: OwedWindow = { fromSec, toSec, granularitySec: g, reason: text(e[4], o, `${q} owed window reason`), sinceSec: time(e[5], o, `${q} owed window sinceSec`, nowSec) };
    owedWindows.push(off === null ? w : { ...w, alignOffsetSec: off });
  }
  const s: DomainState = { finalEndSec, tail: tail.build(-Infinity, layouts), owed: owed.size ? owed : NO_ENTRIES, owedWindows: owedWindows.length ? owedWindows : NO_ITEMS };
  if (v.lastError !== undefined) {
    const e = v.lastError;
    if (!Array.isArray(e) || e.length !== 2) throw damaged(o, `${q} lastError is ${show(e)}, not [atSec, message]`);
    s.lastError = { atSec: time(e[0], o, `${q} lastError atSec`, nowSec), message: text(e[1], o, `${q} lastError message`) };
  }
  return [d, s];
}
