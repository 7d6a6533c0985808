/**
 * Reading one stream's state from disk: the snapshot, then the journal replayed over it. Shared by
 * the store (which then compacts) and by `status` (which only reads, while another process may write).
 */
import { promises as fs } from 'node:fs';
import type { DomainState, StreamRef } from '../ports.js';
import { TailLayouts } from '../kernel/tail.js';
import { damaged, journalPath, parseLine, readDomain, readHeader, remedyFor, snapshotPath, type Origin } from './codec.js';
import { readLines, type Line } from './lines.js';

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
    throw err;
  }
}

/**
 * Reads and validates a stream's state. Throws CollectorError('state') with one line on any damage.
 * `intern` returns one copy of equal strings (domain and metric names): each stream holds every
 * domain, and a string per domain per stream is most of a compact state (issue 12).
 */
export async function readStream(dir: string, ref: StreamRef, nowSec: number, intern: (s: string) => string = (s) => s): Promise<LoadedStream> {
  // Per load: the tails of one stream's domains mostly share a layout (kernel/tail.ts).
  const layouts = new TailLayouts();
  const snap = snapshotPath(dir, ref);
  const jour = journalPath(dir, ref);
  const [snapSize, jourSize] = await Promise.all([size(snap), size(jour)]);
  const remedy = remedyFor([snap, jour].filter((_, i) => (i === 0 ? snapSize : jourSize) !== undefined));
  const domains = new Map<string, DomainState>();
  const notes: string[] = [];
  let gen = 0;

  const snapLines = snapSize === undefined ? undefined : await readLines(snap);
  if (snapLines) {
    let header = false;
    for await (const l of snapLines) {
      const o: Origin = { file: snap, line: l.no, remedy };
      // A snapshot is renamed into place whole: a line without its newline means the file was cut or edited.
      if (!l.terminated) throw damaged(o, 'ends in the middle of a line (the file was cut short)');
      const v = parseLine(l.text, o);
      if (!header) {
        gen = readHeader(v, o, ref).gen;
        header = true;
        continue;
      }
      const [d, s] = readDomain(v, o, nowSec, intern, layouts);
      if (domains.has(d)) throw damaged(o, `domain ${JSON.stringify(d)} appears twice`);
      domains.set(d, s);
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
      domains.set(d, s);
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
