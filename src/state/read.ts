/**
 * Reading one stream's state from disk: the snapshot, then the journal replayed over it. Shared by
 * the store (which then compacts) and by `status` (which only reads, while another process may write).
 */
import { promises as fs } from 'node:fs';
import type { DomainState, StreamRef } from '../ports.js';
import { TailLayouts } from '../kernel/tail.js';
import { damaged, journalPath, parseLine, readDomain, readHeader, remedyFor, snapshotPath, type Origin } from './codec.js';
import { readLines, unreadable, type Line } from './lines.js';

export interface LoadedStream {
  readonly domains: Map<string, DomainState>;
  /** Generation of the snapshot (0 when there is none yet). */
  readonly gen: number;
  readonly snapshotBytes: number;
  /** A journal file is present (replayed, stale or torn): the store compacts it away. */
  readonly journalPresent: boolean;
  readonly journalRecords: number;
  /** Things worth a line that are not errors (a torn last journal line dropped). */
  readonly notes: string[];
}

async function size(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, err);
  }
}

/** What a read keeps of each domain record, after validating it. */
export interface ReadOptions {
  /**
   * Only these domains' records are read; the others' lines are skipped unparsed (a slab of a pass,
   * issue 12: its state is read when the slab is planned, not every domain's when the pass starts).
   * Skipped lines are not validated: the pass validated the whole stream when it started (`prepare`).
   */
  readonly only?: ReadonlySet<string>;
  /** Every record is validated, then handed here instead of being kept (a compaction that streams). */
  readonly visit?: (domain: string, text: string, from: 'snapshot' | 'journal') => void;
}

/**
 * The domain of a line as encodeDomain writes it (`{"domain":"a.com",…`), read without parsing the
 * line; undefined when the line is not in that form, or the name holds an escape: it is then parsed.
 */
export function lineDomain(text: string): string | undefined {
  const head = '{"domain":"';
  if (!text.startsWith(head)) return undefined;
  const end = text.indexOf('"', head.length);
  if (end < 0) return undefined;
  const d = text.slice(head.length, end);
  return d.includes('\\') ? undefined : d;
}

/**
 * Reads and validates a stream's state. Throws CollectorError('state') with one line on any damage.
 * `intern` returns one copy of equal strings (domain and metric names): each stream holds every
 * domain, and a string per domain per stream is most of a compact state (issue 12).
 */
export async function readStream(dir: string, ref: StreamRef, nowSec: number, intern: (s: string) => string = (s) => s, opts: ReadOptions = {}): Promise<LoadedStream> {
  const { only, visit } = opts;
  const skip = (text: string): boolean => {
    if (!only) return false;
    const d = lineDomain(text);
    return d !== undefined && !only.has(d);
  };
  // Per load: the tails of one stream's domains mostly share a layout (kernel/tail.ts).
  const layouts = new TailLayouts();
  const snap = snapshotPath(dir, ref);
  const jour = journalPath(dir, ref);
  const [snapSize, jourSize] = await Promise.all([size(snap), size(jour)]);
  const remedy = remedyFor([snap, jour].filter((_, i) => (i === 0 ? snapSize : jourSize) !== undefined));
  const domains = new Map<string, DomainState>();
  /** Visited, the states are not kept: the names seen find a domain written twice. */
  const seen = visit ? new Set<string>() : undefined;
  const notes: string[] = [];
  let gen = 0;

  const snapLines = snapSize === undefined ? undefined : await readLines(snap);
  if (snapLines) {
    let header = false;
    for await (const l of snapLines) {
      const o: Origin = { file: snap, line: l.no, remedy };
      // A snapshot is renamed into place whole: a line without its newline means the file was cut or edited.
      if (!l.terminated) throw damaged(o, 'ends in the middle of a line (the file was cut short)');
      if (header && skip(l.text)) continue;
      const v = parseLine(l.text, o);
      if (!header) {
        gen = readHeader(v, o, ref).gen;
        header = true;
        continue;
      }
      const [d, s] = readDomain(v, o, nowSec, intern, layouts);
      if (seen ? seen.has(d) : domains.has(d)) throw damaged(o, `domain ${JSON.stringify(d)} appears twice`);
      if (visit) {
        seen!.add(d);
        visit(d, l.text, 'snapshot');
      } else if (!only || only.has(d)) domains.set(d, s);
    }
    if (!header) throw damaged({ file: snap, line: 1, remedy }, 'the file is empty');
  }

  let journalRecords = 0;
  const jourLines = jourSize === undefined ? undefined : await readLines(jour);
  if (jourLines) {
    let header: 'none' | 'current' | 'stale' = 'none';
    const take = (l: Line, final: boolean): void => {
      if (header === 'stale') return;
      const o: Origin = { file: jour, line: l.no, remedy };
      if (final) {
        // The last append was cut short by a crash: it was never acknowledged, so nothing relied on it.
        let v: unknown;
        try {
          v = l.terminated ? JSON.parse(l.text) : undefined;
        } catch {
          v = undefined;
        }
        if (v === undefined) {
          notes.push(`state: ${jour} line ${l.no}: an unfinished last write (a crash while committing) was dropped; it had not been acknowledged`);
          return;
        }
      }
      if (header !== 'none' && skip(l.text)) {
        journalRecords++;
        return;
      }
      const v = parseLine(l.text, o);
      if (header === 'none') {
        const h = readHeader(v, o, ref);
        // Without a snapshot gen is 0, so any later generation is caught here too.
        if (h.gen > gen) {
          throw damaged(o, `the journal follows snapshot generation ${h.gen}, but ${snapSize === undefined ? 'the snapshot is missing' : `the snapshot is generation ${gen}`} (replaced or restored from elsewhere?)`);
        }
        // Older: a compaction finished its rename but not the journal's removal; the snapshot holds it all.
        header = h.gen === gen ? 'current' : 'stale';
        return;
      }
      const [d, s] = readDomain(v, o, nowSec, intern, layouts);
      if (visit) visit(d, l.text, 'journal');
      else if (!only || only.has(d)) domains.set(d, s);
      journalRecords++;
    };
    let pending: Line | undefined;
    for await (const l of jourLines) {
      // Only the last line can lack its newline (lines.ts): every earlier one is whole.
      if (pending) take(pending, false);
      pending = l;
    }
    if (pending) take(pending, true);
  }
  return { domains, gen, snapshotBytes: snapSize ?? 0, journalPresent: jourSize !== undefined, journalRecords, notes };
}
