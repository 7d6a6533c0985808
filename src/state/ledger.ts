/**
 * The gap ledger: buckets given up on, one JSON line each in `<state.dir>/gaps.jsonl`. Append-only
 * and fsynced, so a gap once recorded is never forgotten; `status` reads it and exits 1 while it holds one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CollectorError } from '../kernel/errors.js';
import type { GapEntry } from '../ports.js';
import { show } from './codec.js';
import { readLines } from './lines.js';

export const LEDGER_FILE = 'gaps.jsonl';
/** A gap record is well under this: how far back an append looks for the end of the last whole line. */
const TAIL_SCAN = 64 * 1024;

export function ledgerPath(dir: string): string {
  return path.join(dir, LEDGER_FILE);
}

function encodeGap(g: GapEntry): string {
  // Fixed key order: the ledger is read by people too.
  return `${JSON.stringify({
    recordedAtSec: g.recordedAtSec,
    module: g.module,
    vendor: g.vendor,
    account: g.account,
    stream: g.stream,
    domain: g.domain,
    metric: g.metric,
    intervalSec: g.intervalSec,
    fromSec: g.fromSec,
    toSec: g.toSec,
    reason: g.reason,
  })}\n`;
}

export async function appendGaps(dir: string, entries: readonly GapEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const file = ledgerPath(dir);
  const body = entries.map(encodeGap).join('');
  try {
    await fs.mkdir(dir, { recursive: true });
    const fh = await fs.open(file, 'a+');
    try {
      // A torn last line left by a crash was never acknowledged: cut it off rather than bury it under this one.
      const { size } = await fh.stat();
      if (size > 0) {
        const span = Math.min(size, TAIL_SCAN);
        const tail = Buffer.alloc(span);
        await fh.read(tail, 0, span, size - span);
        if (tail[span - 1] !== 0x0a) {
          const nl = tail.lastIndexOf(0x0a);
          if (nl < 0 && span < size) throw new Error(`its last ${span} bytes hold no line end`);
          await fh.truncate(size - span + nl + 1);
        }
      }
      await fh.write(body);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new CollectorError('state', `state: cannot append to the gap ledger ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

const TEXT_KEYS = ['module', 'vendor', 'account', 'stream', 'domain', 'metric', 'reason'] as const;
const NUM_KEYS = ['intervalSec', 'fromSec', 'toSec', 'recordedAtSec'] as const;

/**
 * Every gap recorded, in order, without repeats (a crash between recording a gap and committing the
 * state that drops it records it again on the next pass). A torn last line is dropped with a note;
 * damage elsewhere throws CollectorError('state').
 */
export async function readGaps(dir: string, notes: string[] = []): Promise<GapEntry[]> {
  const file = ledgerPath(dir);
  const lines = await readLines(file);
  if (!lines) return [];
  const out: GapEntry[] = [];
  const seen = new Set<string>();
  const bad = (no: number, what: string) =>
    new CollectorError('state', `state: ${file} line ${no}: ${what}; the gap ledger is written by the collector only: restore it, or move it away (the gaps it recorded are then no longer reported)`);
  let pending: { text: string; no: number; terminated: boolean } | undefined;
  const take = (l: { text: string; no: number; terminated: boolean }, final: boolean) => {
    if (l.text === '' && l.terminated) return;
    let v: unknown;
    try {
      v = JSON.parse(l.text);
    } catch {
      // Only the last line can be unterminated (lines.ts).
      if (final) {
        notes.push(`state: ${file} line ${l.no}: an unfinished last write (a crash while recording) was dropped`);
        return;
      }
      throw bad(l.no, 'is not JSON');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(l.no, `is ${show(v)}, not a gap record`);
    const r = v as Record<string, unknown>;
    for (const k of TEXT_KEYS) if (typeof r[k] !== 'string') throw bad(l.no, `${k} is ${show(r[k])}, not a text`);
    for (const k of NUM_KEYS) if (typeof r[k] !== 'number' || !Number.isSafeInteger(r[k]) || (r[k] as number) < 0) throw bad(l.no, `${k} is ${show(r[k])}, not a whole number`);
    const g = Object.fromEntries([...TEXT_KEYS, ...NUM_KEYS].map((k) => [k, r[k]])) as unknown as GapEntry;
    const id = `${g.module}\u0000${g.account}\u0000${g.stream}\u0000${g.domain}\u0000${g.metric}\u0000${g.intervalSec}\u0000${g.fromSec}\u0000${g.toSec}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(g);
  };
  for await (const l of lines) {
    if (pending) take(pending, false);
    pending = l;
  }
  if (pending) take(pending, true);
  return out;
}
