/**
 * Checkpoints in `state.dir`: per stream (module, account, stream) a snapshot and an append-only
 * journal. A commit appends one line per changed domain (its whole state) and fsyncs: its cost
 * follows what changed, not the size of the stream. Compaction folds the journal into a new
 * snapshot (write tmp, fsync, rename, fsync dir) on load and once the journal outgrows the snapshot.
 *
 * Crash safety: every domain line is self-contained, so any prefix of a commit is a valid state
 * (the domains not yet recorded keep their older checkpoint and are fetched again). Only the last
 * journal line can be torn, and it was never acknowledged: it is dropped. A snapshot only ever
 * changes by rename. A journal is replayed only onto the snapshot generation it follows, so one left
 * behind by a compaction that crashed after its rename is recognised and ignored.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { CollectorError } from '../kernel/errors.js';
import type { CheckpointStore, DomainState, GapEntry, StreamRef, StreamState } from '../ports.js';
import { encodeDomain, encodeHeader, journalPath, snapshotPath } from './codec.js';
import { appendGaps } from './ledger.js';
import { readLines } from './lines.js';
import { lineDomain, readStream } from './read.js';

export interface FileCheckpointStoreDeps {
  /** Epoch seconds; checkpoints more than a day past it are refused as damage. */
  readonly nowSec: () => number;
  /** Lines worth telling that are not errors (a torn last journal line dropped after a crash). */
  readonly note?: (line: string) => void;
}

export interface FileCheckpointStoreOptions {
  /** Compact once the journal is larger than this many times the snapshot… */
  readonly compactRatio?: number;
  /** …and larger than this (bytes), so that small states are not rewritten at every commit. */
  readonly compactMinBytes?: number;
  /** Compact after this many domain records whatever the sizes: bounds the replay on load. */
  readonly compactMaxRecords?: number;
}

interface Open {
  gen: number;
  snapshotBytes: number;
  journalBytes: number;
  journalRecords: number;
  fh?: fs.FileHandle;
}

/**
 * Write buffer of the streamed snapshot writer. Every stream compacts as it loads, all at the start of
 * a pass: 20 streams × (1 MiB of text + its bytes) was 40 MB at once (issue 12).
 */
const FLUSH_BYTES = 1 << 18;

async function syncDir(dir: string): Promise<void> {
  const dh = await fs.open(dir, fsc.O_RDONLY);
  try {
    await dh.sync();
  } catch {
    // Some filesystems (and platforms) refuse fsync on a directory; the rename is then as durable as they make it.
  } finally {
    await dh.close();
  }
}

function ioError(what: string, file: string, err: unknown): CollectorError {
  if (err instanceof CollectorError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new CollectorError('state', `state: cannot ${what} ${file}: ${code}`, { cause: err });
}

/** Writes a snapshot piece by piece into `<file>.tmp`, then puts it in place atomically. */
class SnapshotWriter {
  #buf = '';
  #bytes = 0;
  private constructor(
    readonly file: string,
    readonly tmp: string,
    readonly fh: fs.FileHandle,
  ) {}

  static async open(file: string): Promise<SnapshotWriter> {
    const tmp = `${file}.tmp`;
    return new SnapshotWriter(file, tmp, await fs.open(tmp, 'w'));
  }

  async add(line: string): Promise<void> {
    this.#buf += line;
    if (this.#buf.length >= FLUSH_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#buf === '') return;
    const b = Buffer.from(this.#buf, 'utf8');
    this.#buf = '';
    await this.fh.write(b);
    this.#bytes += b.length;
  }

  /** Returns the snapshot's size. */
  async commit(dir: string): Promise<number> {
    try {
      await this.#flush();
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    await fs.rename(this.tmp, this.file);
    await syncDir(dir);
    return this.#bytes;
  }

  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.tmp, { force: true });
  }
}

export class FileCheckpointStore implements CheckpointStore {
  readonly #dir: string;
  readonly #deps: FileCheckpointStoreDeps;
  readonly #ratio: number;
  readonly #minBytes: number;
  readonly #maxRecords: number;
  readonly #open = new Map<string, Open>();
  /** Per stream, the tail of its chain of operations: loads, commits and compactions of one stream never overlap. */
  readonly #chains = new Map<string, Promise<unknown>>();
  /**
   * Loads (with their compaction) run one at a time across streams: every stream loads when its pass
   * starts, all at once, and 20 streams reading, decoding and rewriting together made the peak of a
   * pass over 10,000 domains (issue 12). One load takes tens of milliseconds.
   */
  #loading: Promise<unknown> = Promise.resolve();
  #bytesWritten = 0;
  #compactions = 0;
  /** One copy of each domain and metric name across every stream loaded (streams repeat the domains). */
  readonly #names = new Map<string, string>();
  readonly #intern = (s: string): string => {
    const had = this.#names.get(s);
    if (had !== undefined) return had;
    this.#names.set(s, s);
    return s;
  };

  constructor(dir: string, deps: FileCheckpointStoreDeps, opts: FileCheckpointStoreOptions = {}) {
    this.#dir = dir;
    this.#deps = deps;
    this.#ratio = opts.compactRatio ?? 2;
    this.#minBytes = opts.compactMinBytes ?? 256 * 1024;
    this.#maxRecords = opts.compactMaxRecords ?? 100_000;
  }

  /** Bytes written to state files since construction, and compactions run: for benchmarks and /metrics. */
  get stats(): { bytesWritten: number; compactions: number } {
    return { bytesWritten: this.#bytesWritten, compactions: this.#compactions };
  }

  #serial<T>(ref: StreamRef, op: () => Promise<T>): Promise<T> {
    const key = snapshotPath(this.#dir, ref);
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(op, op);
    const tail = run.catch(() => undefined);
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return run;
  }

  /**
   * Readies a stream for a pass without holding its state: validates its files whole (damage stops the
   * pass before anything is fetched) and folds the journal into the snapshot. The pass then reads its
   * domains' states a slab at a time (`loadSome`): every stream's whole state at once was the peak of
   * a later pass over 10,000 domains (issue 12).
   */
  prepare(ref: StreamRef): Promise<void> {
    return this.#serial(ref, () => this.#oneLoadAtATime(ref));
  }

  /** These domains' states as they stand on disk (a domain without a checkpoint is absent). */
  loadSome(ref: StreamRef, only: ReadonlySet<string>): Promise<StreamState> {
    return this.#serial(ref, async () => {
      if (!this.#open.has(snapshotPath(this.#dir, ref))) await this.#oneLoadAtATime(ref);
      return this.#read(ref, only);
    });
  }

  /** Every domain's state of a stream (prepared first). */
  load(ref: StreamRef): Promise<StreamState> {
    return this.#serial(ref, async () => {
      await this.#oneLoadAtATime(ref);
      return this.#read(ref);
    });
  }

  async #read(ref: StreamRef, only?: ReadonlySet<string>): Promise<StreamState> {
    return (await readStream(this.#dir, ref, this.#deps.nowSec(), this.#intern, only ? { only } : {})).domains;
  }

  #oneLoadAtATime(ref: StreamRef): Promise<void> {
    const run = this.#loading.then(() => this.#prepare(ref));
    this.#loading = run.catch(() => undefined);
    return run;
  }

  async #prepare(ref: StreamRef): Promise<void> {
    const key = snapshotPath(this.#dir, ref);
    await this.#closeJournal(this.#open.get(key));
    this.#open.delete(key);
    // Every record is validated; kept is only the journal's newest line per domain, for the compaction.
    const newer = new Map<string, string>();
    const s = await readStream(this.#dir, ref, this.#deps.nowSec(), this.#intern, {
      visit: (d, text, from) => {
        if (from === 'journal') newer.set(d, text);
      },
    });
    for (const n of s.notes) this.#deps.note?.(n);
    const o: Open = { gen: s.gen, snapshotBytes: s.snapshotBytes, journalBytes: 0, journalRecords: 0 };
    if (s.journalPresent) await this.#compact(ref, o, newer);
    this.#open.set(key, o);
  }

  commit(ref: StreamRef, changed: ReadonlyMap<string, DomainState>): Promise<void> {
    return this.#serial(ref, async () => {
      const key = snapshotPath(this.#dir, ref);
      if (!this.#open.has(key)) await this.#oneLoadAtATime(ref);
      const o = this.#open.get(key)!;
      if (changed.size === 0) return;
      let body = '';
      for (const [d, s] of changed) body += encodeDomain(d, s);
      const jour = journalPath(this.#dir, ref);
      try {
        if (!o.fh) {
          await fs.mkdir(this.#dir, { recursive: true });
          o.fh = await fs.open(jour, 'a');
          // Fresh journal (load and compaction remove it): its header and first records go in one write.
          if (o.journalBytes === 0) body = encodeHeader({ ...ref, gen: o.gen }) + body;
        }
        const b = Buffer.from(body, 'utf8');
        await o.fh.write(b);
        await o.fh.datasync();
        o.journalBytes += b.length;
        o.journalRecords += changed.size;
        this.#bytesWritten += b.length;
      } catch (err) {
        // What reached the disk, if anything, is a torn last line: forget the stream so that the next
        // load or commit reads it back from disk, dropping that line, instead of appending after it.
        await this.#closeJournal(o);
        this.#open.delete(key);
        throw ioError('append to', jour, err);
      }
      if (o.journalRecords >= this.#maxRecords || (o.journalBytes > this.#minBytes && o.journalBytes > this.#ratio * o.snapshotBytes)) await this.#compact(ref, o);
    });
  }

  /**
   * Folds the journal into a new snapshot, streaming from disk: memory holds only the journal's latest
   * line per domain (`read`: given when the caller has read them already, as `prepare` does, which
   * also drops a stale journal's records and a torn last line).
   */
  async #compact(ref: StreamRef, o: Open, read?: Map<string, string>): Promise<void> {
    const snap = snapshotPath(this.#dir, ref);
    const jour = journalPath(this.#dir, ref);
    await this.#closeJournal(o);
    const newer = read ?? new Map<string, string>();
    const jl = read ? undefined : await readLines(jour);
    let first = true;
    if (jl) {
      for await (const l of jl) {
        if (first) {
          first = false;
          continue;
        }
        newer.set(domainOf(l.text), l.text);
      }
    }
    const w = await SnapshotWriter.open(snap).catch((err: unknown) => Promise.reject(ioError('write', `${snap}.tmp`, err)));
    try {
      await w.add(encodeHeader({ ...ref, gen: o.gen + 1 }));
      const sl = await readLines(snap);
      if (sl) {
        first = true;
        for await (const l of sl) {
          if (first) {
            first = false;
            continue;
          }
          const d = domainOf(l.text);
          const n = newer.get(d);
          if (n !== undefined) newer.delete(d);
          await w.add(`${n ?? l.text}\n`);
        }
      }
      for (const line of newer.values()) await w.add(`${line}\n`);
      newer.clear();
      o.snapshotBytes = await w.commit(this.#dir);
    } catch (err) {
      await w.abandon();
      // The journal is intact: the stream stays loadable, and the next load compacts it.
      this.#open.delete(snap);
      throw ioError('compact', snap, err);
    }
    o.gen++;
    o.journalBytes = 0;
    o.journalRecords = 0;
    this.#bytesWritten += o.snapshotBytes;
    this.#compactions++;
    try {
      await fs.rm(jour, { force: true });
    } catch (err) {
      // Appending to the old journal would put new records under a stale header: reload first.
      this.#open.delete(snap);
      throw ioError('remove', jour, err);
    }
  }

  async #closeJournal(o: Open | undefined): Promise<void> {
    if (!o?.fh) return;
    const fh = o.fh;
    o.fh = undefined;
    await fh.close().catch(() => undefined);
  }

  recordGaps(entries: readonly GapEntry[]): Promise<void> {
    return appendGaps(this.#dir, entries);
  }

  /** Closes the journals; the state on disk is complete after every commit, so this is only tidiness. */
  async close(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
    for (const o of this.#open.values()) await this.#closeJournal(o);
    this.#open.clear();
  }
}

/** The domain of a line this store wrote (`{"domain":"…",…`): lines were validated when loaded or encoded. */
function domainOf(line: string): string {
  const d = lineDomain(line);
  if (d !== undefined) return d;
  const end = line.indexOf(',"finalEndSec":');
  return JSON.parse(line.slice(10, end)) as string;
}
