/** FileCheckpointStore: exact file contents, compaction thresholds, byte accounting and I/O failures. */
import { constants as fsc, existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { DomainState, StreamRef } from '../../src/ports.js';
import { encodeDomain, encodeHeader, journalPath, snapshotPath } from '../../src/state/codec.js';
import { readGaps } from '../../src/state/ledger.js';
import { caught } from '../support/caught.js';
import { FileCheckpointStore } from '../../src/state/store.js';
import { lineDomain } from '../../src/state/read.js';

const NOW = 1_800_000_000;
const ref: StreamRef = { module: 'tencent', account: 'acc', stream: 'flux' };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'strength-store-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

interface Tracked {
  path: string;
  flags: unknown;
  writes: number[];
  syncs: number;
  closed: boolean;
}
/** Every file handle the store opens, what is written through it, and whether it is synced and closed. */
function trackHandles(): Tracked[] {
  const handles: Tracked[] = [];
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (p, flags, mode) => {
    const fh = await open(p, flags, mode);
    const t: Tracked = { path: String(p), flags, writes: [], syncs: 0, closed: false };
    handles.push(t);
    const write = fh.write.bind(fh) as (...a: unknown[]) => Promise<unknown>;
    const sync = fh.sync.bind(fh);
    const datasync = fh.datasync.bind(fh);
    const close = fh.close.bind(fh);
    Object.assign(fh, {
      write: (b: Buffer | string, ...rest: unknown[]) => {
        t.writes.push(Buffer.byteLength(b));
        return write(b, ...rest);
      },
      sync: () => {
        t.syncs++;
        return sync();
      },
      datasync: () => {
        t.syncs++;
        return datasync();
      },
      close: () => {
        t.closed = true;
        return close();
      },
    });
    return fh;
  });
  return handles;
}

const st = (finalEndSec: number, o: Partial<DomainState> = {}): DomainState => ({ finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...o });
const deps = (notes: string[] = []) => ({ nowSec: () => NOW, note: (l: string) => notes.push(l) });
const snap = () => snapshotPath(dir, ref);
const jour = () => journalPath(dir, ref);
const H = (gen: number) => encodeHeader({ ...ref, gen });
const D = (d: string, s: number) => encodeDomain(d, st(s));
const read = (f: string) => readFileSync(f, 'utf8');


describe('journal', () => {
  it('the first commit writes the header of the loaded generation with its records; later commits append records only', async () => {
    writeFileSync(snap(), H(4) + D('a.com', NOW - 900));
    const store = new FileCheckpointStore(dir, deps(), { compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map());
    expect(existsSync(jour())).toBe(false);
    await store.commit(ref, new Map([['b.com', st(NOW - 600)], ['a.com', st(NOW - 600)]]));
    await store.commit(ref, new Map([['a.com', st(NOW - 300)]]));
    expect(read(jour())).toBe(H(4) + D('b.com', NOW - 600) + D('a.com', NOW - 600) + D('a.com', NOW - 300));
    expect(store.stats).toEqual({ bytesWritten: statSync(jour()).size, compactions: 0 });
    await store.close();
    expect(read(snap())).toBe(H(4) + D('a.com', NOW - 900));
  });

  it('load folds a journal into snapshot gen+1, in snapshot order, new domains after, and counts it', async () => {
    writeFileSync(snap(), H(2) + D('a.com', NOW - 900) + D('b.com', NOW - 900) + D('c.com', NOW - 900));
    writeFileSync(jour(), H(2) + D('d.com', NOW - 600) + D('b.com', NOW - 300));
    const notes: string[] = [];
    const store = new FileCheckpointStore(dir, deps(notes));
    const got = await store.load(ref);
    expect([...got.keys()]).toEqual(['a.com', 'b.com', 'c.com', 'd.com']);
    const expected = H(3) + D('a.com', NOW - 900) + D('b.com', NOW - 300) + D('c.com', NOW - 900) + D('d.com', NOW - 600);
    expect(read(snap())).toBe(expected);
    expect(existsSync(jour())).toBe(false);
    expect(existsSync(`${snap()}.tmp`)).toBe(false);
    expect(store.stats).toEqual({ bytesWritten: Buffer.byteLength(expected), compactions: 1 });
    expect(notes).toEqual([]);
    // Later commits follow the new generation.
    await store.commit(ref, new Map([['e.com', st(NOW)]]));
    expect(read(jour())).toBe(H(3) + D('e.com', NOW));
  });

  it('notes of the load (a torn last line) go to note', async () => {
    writeFileSync(jour(), `${H(0)}${D('a.com', NOW)}{"dom`);
    const notes: string[] = [];
    await new FileCheckpointStore(dir, deps(notes)).load(ref);
    expect(notes).toEqual([`state: ${jour()} line 3: an unfinished last write (a crash while committing) was dropped; it had not been acknowledged`]);
    writeFileSync(jour(), `${H(1)}${D('a.com', NOW)}{"dom`);
    await new FileCheckpointStore(dir, { nowSec: () => NOW }).load(ref);
  });
});

describe('compaction thresholds', () => {
  it('by size: only once the journal is over compactMinBytes AND over compactRatio × the snapshot', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW - 900));
    const snapBytes = statSync(snap()).size;
    const line = Buffer.byteLength(D('a.com', NOW - 600));
    const header = Buffer.byteLength(H(1));
    // ratio 1: compacts on the first commit whose journal exceeds the snapshot (and minBytes 0)
    const store = new FileCheckpointStore(dir, deps(), { compactRatio: 1, compactMinBytes: 0, compactMaxRecords: 1000 });
    await store.load(ref);
    let commits = 0;
    while (store.stats.compactions === 0 && commits < 100) {
      await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
      commits++;
    }
    expect(header + commits * line).toBeGreaterThan(snapBytes);
    expect(header + (commits - 1) * line).toBeLessThanOrEqual(snapBytes);
    await store.close();
  });

  it('by size: minBytes holds compaction back while the ratio alone would allow it', async () => {
    writeFileSync(snap(), H(1));
    const line = Buffer.byteLength(D('a.com', NOW - 600));
    const header = Buffer.byteLength(H(1));
    const min = header + 3 * line;
    const store = new FileCheckpointStore(dir, deps(), { compactRatio: 1, compactMinBytes: min });
    await store.load(ref);
    for (let k = 0; k < 3; k++) await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    expect(store.stats.compactions).toBe(0); // journal == minBytes: not over it
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    expect(store.stats.compactions).toBe(1);
    expect(existsSync(jour())).toBe(false);
    expect(read(snap())).toBe(H(2) + D('a.com', NOW - 600));
    await store.close();
  });

  it('by ratio: a journal exactly ratio × the snapshot is not compacted, one byte more is', async () => {
    writeFileSync(snap(), H(1) + D('b.com', NOW - 600));
    const store = new FileCheckpointStore(dir, deps(), { compactRatio: 1, compactMinBytes: 0 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    expect(statSync(jour()).size).toBe(statSync(snap()).size);
    expect(store.stats.compactions).toBe(0);
    await store.close();
    rmSync(jour());
    const s2 = new FileCheckpointStore(dir, deps(), { compactRatio: 1, compactMinBytes: 0 });
    await s2.load(ref);
    await s2.commit(ref, new Map([['aa.com', st(NOW - 600)]]));
    expect(s2.stats.compactions).toBe(1);
    await s2.close();
  });

  it('by records: at compactMaxRecords domain lines, counted per domain, whatever the sizes', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 3, compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)], ['b.com', st(NOW - 600)]]));
    expect(store.stats.compactions).toBe(0);
    const before = store.stats.bytesWritten;
    await store.commit(ref, new Map([['c.com', st(NOW - 600)]]));
    expect(store.stats.compactions).toBe(1);
    expect(store.stats.bytesWritten).toBe(before + Buffer.byteLength(D('c.com', NOW - 600)) + statSync(snap()).size);
    // the counts start again after a compaction
    await store.commit(ref, new Map([['a.com', st(NOW - 300)], ['b.com', st(NOW - 300)]]));
    expect(store.stats.compactions).toBe(1);
    expect(read(jour())).toBe(H(1) + D('a.com', NOW - 300) + D('b.com', NOW - 300));
    await store.commit(ref, new Map([['d.com', st(NOW - 300)]]));
    expect(store.stats.compactions).toBe(2);
    expect(read(snap())).toBe(H(2) + D('a.com', NOW - 300) + D('b.com', NOW - 300) + D('c.com', NOW - 600) + D('d.com', NOW - 300));
    await store.close();
  });

  it('defaults: ratio 2 over 256 KiB, or 100,000 records', async () => {
    const store = new FileCheckpointStore(dir, deps());
    await store.load(ref);
    const big = new Map<string, DomainState>();
    for (let i = 0; i < 3000; i++) big.set(`d${i}.example.com`, st(NOW - 600));
    const bodyBytes = [...big].reduce((n, [d, s]) => n + Buffer.byteLength(encodeDomain(d, s)), 0);
    expect(bodyBytes).toBeLessThan(256 * 1024);
    expect(bodyBytes).toBeGreaterThan(128 * 1024);
    await store.commit(ref, big);
    expect(store.stats.compactions).toBe(0);
    const more = new Map<string, DomainState>();
    for (let i = 0; i < 3000; i++) more.set(`d${i}.example.com`, st(NOW - 300));
    await store.commit(ref, more);
    expect(store.stats.compactions).toBe(1);
    await store.close();
  });
});

describe('durability and handles', () => {
  it('every snapshot is synced, renamed, then its directory synced; every journal append synced; every handle closed', async () => {
    const handles = trackHandles();
    writeFileSync(jour(), H(0) + D('a.com', NOW - 900));
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 2, compactMinBytes: 1e9 });
    await store.load(ref); // compaction 1
    await store.commit(ref, new Map([['b.com', st(NOW - 600)]]));
    await store.commit(ref, new Map([['c.com', st(NOW - 600)]])); // compaction 2
    await store.commit(ref, new Map([['d.com', st(NOW - 300)]]));
    await store.close();
    expect(store.stats.compactions).toBe(2);
    const tmp = handles.filter((h) => h.path === `${snap()}.tmp`);
    const dirs = handles.filter((h) => h.path === dir);
    const journals = handles.filter((h) => h.path === jour());
    expect(tmp).toHaveLength(2);
    expect(tmp.every((h) => h.syncs === 1)).toBe(true);
    expect(dirs.map((h) => [h.flags, h.syncs])).toEqual([
      [fsc.O_RDONLY, 1],
      [fsc.O_RDONLY, 1],
    ]);
    // one handle per journal between compactions, synced once per commit
    expect(journals.filter((h) => h.flags === 'a').map((h) => h.syncs)).toEqual([2, 1]);
    expect(handles.filter((h) => !h.closed).map((h) => h.path)).toEqual([]);
  });

  it('a snapshot larger than the writer’s 256 KiB buffer: written whole in about 256 KiB pieces, counted to the byte', async () => {
    const m = new Map<string, DomainState>();
    for (let i = 0; i < 9000; i++) m.set(`domain-${i}.example.com`, st(NOW - 600, { lastError: { atSec: NOW, message: 'x'.repeat(100) } }));
    writeFileSync(jour(), H(0) + [...m].map(([d, s]) => encodeDomain(d, s)).join(''));
    const handles = trackHandles();
    const store = new FileCheckpointStore(dir, deps());
    await store.load(ref);
    const size = statSync(snap()).size;
    expect(size).toBeGreaterThan(1 << 20);
    expect(store.stats).toEqual({ bytesWritten: size, compactions: 1 });
    vi.restoreAllMocks();
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(m);
    const writes = handles.find((h) => h.path === `${snap()}.tmp`)!.writes;
    expect(writes.reduce((a, b) => a + b, 0)).toBe(size);
    expect(writes.length).toBe(Math.ceil(size / (1 << 18)));
    for (const w of writes.slice(0, -1)) expect(w).toBeGreaterThanOrEqual(1 << 18);
    for (const w of writes) expect(w).toBeLessThan((1 << 18) + 300);
  });
});

describe('failures', () => {
  it('a journal that cannot be opened: one line; the stream is read back from disk on the next commit', async () => {
    const store = new FileCheckpointStore(dir, deps());
    await store.load(ref);
    mkdirSync(jour());
    const e = await caught(store.commit(ref, new Map([['a.com', st(NOW)]])));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot append to ${jour()}: EISDIR`]);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
    rmSync(jour(), { recursive: true });
    writeFileSync(snap(), H(5) + D('z.com', NOW - 60));
    await store.commit(ref, new Map([['a.com', st(NOW)]]));
    expect(read(jour())).toBe(H(5) + D('a.com', NOW));
    await store.close();
  });

  it('a snapshot that cannot be written on load: one line naming the tmp file; nothing lost', async () => {
    writeFileSync(jour(), H(0) + D('a.com', NOW));
    mkdirSync(`${snap()}.tmp`);
    const e = await caught(new FileCheckpointStore(dir, deps()).load(ref));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot write ${snap()}.tmp: EISDIR`]);
    expect(read(jour())).toBe(H(0) + D('a.com', NOW));
  });

  it('a compaction that cannot write: one line; the journal intact and reloaded by the next commit', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 2, compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    mkdirSync(`${snap()}.tmp`);
    const e = await caught(store.commit(ref, new Map([['b.com', st(NOW - 600)]])));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot write ${snap()}.tmp: EISDIR`]);
    expect(read(jour())).toBe(H(0) + D('a.com', NOW - 600) + D('b.com', NOW - 600));
    rmSync(`${snap()}.tmp`, { recursive: true });
    // the journal stays open for appends (its header is current): the next commit compacts all three
    await store.commit(ref, new Map([['c.com', st(NOW - 600)]]));
    expect(read(snap())).toBe(H(1) + D('a.com', NOW - 600) + D('b.com', NOW - 600) + D('c.com', NOW - 600));
    expect(existsSync(jour())).toBe(false);
    await store.close();
  });

  it('a compaction that fails reading the snapshot: its line, the tmp file removed, the stream read back from disk', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 2, compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    mkdirSync(snap());
    const e = await caught(store.commit(ref, new Map([['b.com', st(NOW - 600)]])));
    expect(e.message).toBe(`state: ${snap()} cannot be read (EISDIR); move it away to collect that stream afresh (its domains resume from InfluxDB or collect.initialLookbackMs back)`);
    expect(existsSync(`${snap()}.tmp`)).toBe(false);
    rmSync(snap(), { recursive: true });
    await store.commit(ref, new Map([['c.com', st(NOW - 600)]]));
    expect(read(snap())).toBe(H(1) + D('a.com', NOW - 600) + D('b.com', NOW - 600));
    expect(read(jour())).toBe(H(1) + D('c.com', NOW - 600));
    await store.close();
  });

  /** Makes the next call of fs.promises.<name> on `file` fail with `code`. */
  function failOnce(name: 'rm' | 'rename', file: () => string, code: string): void {
    const real = (fsp[name] as (...a: unknown[]) => Promise<void>).bind(fsp);
    let done = false;
    vi.spyOn(fsp, name).mockImplementation((async (...a: unknown[]) => {
      if (!done && String(a[name === 'rename' ? 1 : 0]) === file()) {
        done = true;
        throw Object.assign(new Error(`${code}: injected`), { code });
      }
      return real(...a);
    }) as never);
  }

  it('a snapshot rename that fails on load: one line, the tmp file removed, the journal kept', async () => {
    writeFileSync(jour(), H(0) + D('a.com', NOW));
    failOnce('rename', snap, 'EXDEV');
    const e = await caught(new FileCheckpointStore(dir, deps()).load(ref));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot compact ${snap()}: EXDEV`]);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('EXDEV');
    expect(existsSync(`${snap()}.tmp`)).toBe(false);
    expect(read(jour())).toBe(H(0) + D('a.com', NOW));
  });

  it('a journal that cannot be removed after the load compacted it: one line', async () => {
    writeFileSync(jour(), H(0) + D('a.com', NOW));
    failOnce('rm', jour, 'EBUSY');
    const e = await caught(new FileCheckpointStore(dir, deps()).load(ref));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot remove ${jour()}: EBUSY`]);
    // the snapshot holds it all; the leftover journal is of an older generation and ignored
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(new Map([['a.com', st(NOW)]]));
  });

  it('a compaction whose rename fails: one line; the journal intact, the stream read back on the next commit', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 2, compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    failOnce('rename', snap, 'EXDEV');
    const e = await caught(store.commit(ref, new Map([['b.com', st(NOW - 600)]])));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot compact ${snap()}: EXDEV`]);
    expect(existsSync(`${snap()}.tmp`)).toBe(false);
    await store.commit(ref, new Map([['c.com', st(NOW - 600)]]));
    expect(read(snap())).toBe(H(1) + D('a.com', NOW - 600) + D('b.com', NOW - 600));
    expect(read(jour())).toBe(H(1) + D('c.com', NOW - 600));
    await store.close();
  });

  it('a journal that cannot be removed after a compaction: one line; the next commit reloads, not appending under a stale header', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 2, compactMinBytes: 1e9 });
    await store.load(ref);
    await store.commit(ref, new Map([['a.com', st(NOW - 600)]]));
    failOnce('rm', jour, 'EBUSY');
    const e = await caught(store.commit(ref, new Map([['b.com', st(NOW - 600)]])));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot remove ${jour()}: EBUSY`]);
    expect(read(snap())).toBe(H(1) + D('a.com', NOW - 600) + D('b.com', NOW - 600));
    await store.commit(ref, new Map([['c.com', st(NOW - 300)]]));
    await store.close();
    expect(read(jour())).toBe(H(2) + D('c.com', NOW - 300));
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(new Map([['a.com', st(NOW - 600)], ['b.com', st(NOW - 600)], ['c.com', st(NOW - 300)]]));
  });

  it('a failed operation does not stop the next one on the same stream', async () => {
    const store = new FileCheckpointStore(dir, deps());
    writeFileSync(snap(), 'garbage\n');
    const failing = store.load(ref);
    const next = store.commit({ ...ref }, new Map([['a.com', st(NOW)]]));
    await expect(failing).rejects.toMatchObject({ kind: 'state' });
    await expect(next).rejects.toMatchObject({ kind: 'state' });
    writeFileSync(snap(), H(1));
    await store.commit(ref, new Map([['a.com', st(NOW)]]));
    await store.close();
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(new Map([['a.com', st(NOW)]]));
  });

  it('close waits for the operations in flight', async () => {
    const store = new FileCheckpointStore(dir, deps());
    let done = false;
    void store.commit(ref, new Map([['a.com', st(NOW)]])).then(() => (done = true));
    await store.close();
    expect(done).toBe(true);
    expect(read(jour())).toBe(H(0) + D('a.com', NOW));
  });

  it('gaps go to the ledger of the same dir', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const g = { recordedAtSec: NOW, module: 'm', vendor: 'v', account: 'a', stream: 's', domain: 'd', metric: 'x', intervalSec: 60, fromSec: 0, toSec: 60, reason: 'r' };
    await store.recordGaps([g]);
    expect(await readGaps(dir)).toEqual([g]);
  });
});

describe('loads across streams', () => {
  it('run one at a time, compaction included, in the order asked; a damaged stream does not hold up the next', async () => {
    const refs: StreamRef[] = ['a', 'b', 'c'].map((s) => ({ ...ref, stream: s }));
    for (const r of refs) {
      writeFileSync(snapshotPath(dir, r), encodeHeader({ ...r, gen: 1 }) + encodeDomain('x.com', st(NOW - 900)));
      writeFileSync(journalPath(dir, r), encodeHeader({ ...r, gen: 1 }) + encodeDomain('y.com', st(NOW - 600)));
    }
    writeFileSync(snapshotPath(dir, refs[1]!), 'not json\n');
    const events: string[] = [];
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (p, flags, mode) => {
      const fh = await open(p, flags, mode);
      const name = path.basename(String(p)).split('.').slice(2).join('.');
      // The directory itself (opened to fsync a rename) names no stream.
      if (name) events.push(`open ${name}`);
      const close = fh.close.bind(fh);
      return Object.assign(fh, { close: () => (name && events.push(`close ${name}`), close()) });
    });
    const store = new FileCheckpointStore(dir, deps(), { compactMinBytes: 0 });
    const got = await Promise.allSettled(refs.map((r) => store.prepare(r)));
    vi.restoreAllMocks();
    expect(got.map((g) => g.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([...(await store.loadSome(refs[2]!, new Set(['x.com', 'y.com', 'z.com']))).keys()].sort()).toEqual(['x.com', 'y.com']);
    const stream = (e: string) => e.split(' ')[1]!.split('.')[0];
    // Each stream's files are opened and closed before the next stream's first one is opened.
    const order = events.map(stream);
    expect(order).toEqual([...order].sort());
    // Validated whole (snapshot, journal), then compacted: the snapshot's lines copied into the new one, the journal's after them.
    expect(events.filter((e) => stream(e) === 'a')).toEqual(['open a.state.jsonl', 'close a.state.jsonl', 'open a.journal.jsonl', 'close a.journal.jsonl', 'open a.state.jsonl.tmp', 'open a.state.jsonl', 'close a.state.jsonl', 'close a.state.jsonl.tmp']);
  });
});

describe('a pass reads its state a slab at a time (issue 12)', () => {
  it('prepare validates the whole stream: damage on the last line stops the pass before any slab is read', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW) + D('b.com', NOW) + '{"domain":"z.com","finalEndSec":"soon"}\n');
    const e = await caught(new FileCheckpointStore(dir, deps()).prepare(ref));
    expect(e.kind).toBe('state');
    expect(e.message).toMatch(/state\.jsonl line 4: .*finalEndSec/);
  });

  it('prepare compacts without loading: the journal\'s newest line per domain replaces the snapshot\'s, a stale journal\'s records are dropped', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW - 900) + D('b.com', NOW - 900));
    writeFileSync(jour(), H(1) + D('b.com', NOW - 600) + D('c.com', NOW - 600) + D('b.com', NOW - 300));
    const store = new FileCheckpointStore(dir, deps());
    await store.prepare(ref);
    expect(existsSync(jour())).toBe(false);
    expect(read(snap())).toBe(H(2) + D('a.com', NOW - 900) + D('b.com', NOW - 300) + D('c.com', NOW - 600));
    // A journal of an older generation (a compaction cut short before it removed it): the snapshot has it all.
    writeFileSync(jour(), H(1) + D('a.com', NOW));
    await new FileCheckpointStore(dir, deps()).prepare(ref);
    expect(read(snap())).toBe(H(3) + D('a.com', NOW - 900) + D('b.com', NOW - 300) + D('c.com', NOW - 600));
  });

  it('prepare drops a torn last journal line and says so, and does not compact it in', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW - 900));
    writeFileSync(jour(), H(1) + D('a.com', NOW - 600) + D('b.com', NOW).slice(0, 20));
    const notes: string[] = [];
    await new FileCheckpointStore(dir, deps(notes)).prepare(ref);
    expect(notes).toEqual([expect.stringMatching(/journal\.jsonl line 3: an unfinished last write/)]);
    expect(read(snap())).toBe(H(2) + D('a.com', NOW - 600));
  });

  it('loadSome: only the domains asked for, with what this pass committed since, and names that need escapes', async () => {
    const odd = 'x"\\y.com';
    writeFileSync(snap(), H(1) + D('a.com', NOW - 900) + D('b.com', NOW - 900) + D(odd, NOW - 900));
    const store = new FileCheckpointStore(dir, deps(), { compactMinBytes: 1e9 });
    await store.prepare(ref);
    await store.commit(ref, new Map([['b.com', st(NOW - 300)]]));
    expect(await store.loadSome(ref, new Set(['b.com', 'c.com']))).toEqual(new Map([['b.com', st(NOW - 300)]]));
    expect(await store.loadSome(ref, new Set([odd]))).toEqual(new Map([[odd, st(NOW - 900)]]));
    expect(await store.loadSome(ref, new Set())).toEqual(new Map());
  });

  it('loadSome does not parse the lines of other domains', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW - 900) + D('b.com', NOW - 900));
    const store = new FileCheckpointStore(dir, deps());
    await store.prepare(ref);
    const parse = vi.spyOn(JSON, 'parse');
    await store.loadSome(ref, new Set(['b.com']));
    const parsed = parse.mock.calls.map((c) => String(c[0]));
    vi.restoreAllMocks();
    expect(parsed.some((t) => t.includes('"a.com"'))).toBe(false);
    expect(parsed.some((t) => t.includes('"b.com"'))).toBe(true);
  });

  it('loadSome on a stream not prepared yet prepares it first (its damage is found)', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW) + 'not json\n');
    const e = await caught(new FileCheckpointStore(dir, deps()).loadSome(ref, new Set(['a.com'])));
    expect(e.message).toMatch(/state\.jsonl line 3: is not JSON/);
  });
});

describe('a state file that cannot even be looked at', () => {
  it('stat failing other than "not there" (state.dir is a file): one state line naming the file, not the raw error', async () => {
    const f = path.join(dir, 'plain-file');
    writeFileSync(f, 'x');
    const e = await caught(new FileCheckpointStore(f, deps()).prepare(ref));
    expect(e).toBeInstanceOf(CollectorError);
    // Snapshot and journal are looked at together: whichever answers first is named.
    expect([snapshotPath(f, ref), journalPath(f, ref)].map((file) => `state: ${file} cannot be read (ENOTDIR); move it away to collect that stream afresh (its domains resume from InfluxDB or collect.initialLookbackMs back)`)).toContain(e.message);
    expect(e.kind).toBe('state');
  });
});

describe('lineDomain: the domain of a line read from its head', () => {
  it('the form encodeDomain writes', () => {
    expect(lineDomain(D('a.example.com', NOW).trimEnd())).toBe('a.example.com');
  });
  it('anything else is left to the parser: another head, an unterminated name, an escape', () => {
    expect(lineDomain('{"finalEndSec":1,"domain":"a.com"}')).toBeUndefined();
    expect(lineDomain('["a.com"]')).toBeUndefined();
    expect(lineDomain('{"domain":"a.com')).toBeUndefined();
    expect(lineDomain('{"domain":"x\\"y.com","finalEndSec":1}')).toBeUndefined();
    expect(lineDomain('{"domain":"a\\u0041.com","finalEndSec":1}')).toBeUndefined();
  });
  it('a line whose domain is not in that form is still read when asked for, and skipped when not', async () => {
    writeFileSync(snap(), H(1) + `{"finalEndSec":${NOW},"domain":"b.com"}\n` + D('a.com', NOW));
    const store = new FileCheckpointStore(dir, deps());
    await store.prepare(ref);
    expect([...(await store.loadSome(ref, new Set(['b.com']))).keys()]).toEqual(['b.com']);
    expect([...(await store.loadSome(ref, new Set(['a.com']))).keys()]).toEqual(['a.com']);
  });
});
