/** The checkpoint store: journal commits, compaction, reload equality and crash safety at every byte. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainState, Owed, OwedWindow, StreamRef, StreamState } from '../../src/ports.js';
import { journalPath, snapshotPath } from '../../src/state/codec.js';
import { FileCheckpointStore } from '../../src/state/store.js';

const NOW = 1_800_000_000;
const ref: StreamRef = { module: 'aliyun', account: 'default', stream: 'DescribeDomainSrcTrafficData' };

function domainState(i: number, version: number): DomainState {
  const base = NOW - 3600 + version * 300;
  const tail = new Map<string, number>();
  for (let b = 0; b < 3; b++) tail.set(`traffic_bytes|300|${base + b * 300}`, i * 1000 + version + b + 0.5);
  const owed = new Map<string, Owed>();
  const owedWindows: OwedWindow[] = [];
  const s: DomainState = { finalEndSec: base, tail, owed, owedWindows };
  if (i % 3 === 0) owed.set(`requests|300|${base - 300}`, { reason: 'value "abc" is not a number', sinceSec: base });
  if (i % 5 === 0) owedWindows.push({ fromSec: base - 3600, toSec: base - 1800, granularitySec: 300, reason: 'Throttling.User', sinceSec: base });
  if (i % 7 === 0) owedWindows.push({ fromSec: base - 86400, toSec: base, granularitySec: 86400, alignOffsetSec: -28800, reason: 'timeout', sinceSec: base });
  if (i % 4 === 0) s.lastError = { atSec: base, message: `aliyun DescribeDomainSrcTrafficData d${i}.example.com: ServiceUnavailable` };
  return s;
}

function clone(s: StreamState): StreamState {
  return new Map([...s].map(([d, v]) => [d, { ...v, tail: new Map(v.tail), owed: new Map(v.owed), owedWindows: [...v.owedWindows] }]));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'state-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const deps = (notes: string[] = []) => ({ nowSec: () => NOW, note: (l: string) => notes.push(l) });

describe('FileCheckpointStore', () => {
  it('a stream never committed loads empty and leaves no file', async () => {
    const store = new FileCheckpointStore(path.join(dir, 'missing'), deps());
    expect(await store.load(ref)).toEqual(new Map());
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('commits reload equal, with every field, and streams are kept apart', async () => {
    const store = new FileCheckpointStore(dir, deps());
    await store.load(ref);
    const expected: StreamState = new Map();
    for (let v = 0; v < 4; v++) {
      const changed = new Map<string, DomainState>();
      for (let i = v; i < 12; i += 2) changed.set(`d${i}.example.com`, domainState(i, v));
      await store.commit(ref, changed);
      for (const [d, s] of changed) expected.set(d, s);
    }
    const other: StreamRef = { ...ref, account: 'other/acct' };
    await store.commit(other, new Map([['x.example.com', domainState(1, 1)]]));
    await store.close();
    const again = new FileCheckpointStore(dir, deps());
    expect(await again.load(ref)).toEqual(expected);
    expect(await again.load(other)).toEqual(new Map([['x.example.com', domainState(1, 1)]]));
    // alignOffsetSec survives, and is absent where it was absent.
    const d5 = (await again.load(ref)).get('d5.example.com')!;
    expect(d5.owedWindows.map((w) => w.alignOffsetSec)).toEqual([undefined]);
    expect((await again.load(ref)).get('d7.example.com')!.owedWindows[0]!.alignOffsetSec).toBe(-28800);
  });

  it('a commit appends only the changed domains and leaves the snapshot alone', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const all = new Map<string, DomainState>();
    for (let i = 0; i < 500; i++) all.set(`d${i}.example.com`, domainState(i, 0));
    await store.commit(ref, all);
    await store.close();
    await new FileCheckpointStore(dir, deps()).load(ref); // compacts into the snapshot
    const snap = statSync(snapshotPath(dir, ref));
    expect(existsSync(journalPath(dir, ref))).toBe(false);

    const s2 = new FileCheckpointStore(dir, deps());
    await s2.load(ref);
    const before = s2.stats.bytesWritten;
    const changed = new Map([...all].slice(0, 2).map(([d]) => [d, domainState(1, 5)] as const));
    await s2.commit(ref, changed);
    const written = s2.stats.bytesWritten - before;
    const oneLine = readFileSync(journalPath(dir, ref), 'utf8').split('\n')[1]!.length + 1;
    expect(written).toBeLessThan(snap.size / 50);
    expect(written).toBeGreaterThanOrEqual(2 * oneLine);
    const after = statSync(snapshotPath(dir, ref));
    expect([after.ino, after.size, after.mtimeMs]).toEqual([snap.ino, snap.size, snap.mtimeMs]);
    expect(readFileSync(journalPath(dir, ref), 'utf8').trim().split('\n')).toHaveLength(3); // header + 2 domains
    await s2.close();
  });

  it('compacts when the journal outgrows the snapshot, and after N records, reloading equal', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactRatio: 2, compactMinBytes: 0 });
    const expected: StreamState = new Map();
    for (let i = 0; i < 20; i++) expected.set(`d${i}.example.com`, domainState(i, 0));
    await store.commit(ref, expected);
    expect(store.stats.compactions).toBe(1); // no snapshot yet: any journal is larger than twice nothing
    const snapBytes = statSync(snapshotPath(dir, ref)).size;
    let commits = 0;
    while (store.stats.compactions === 1) {
      const i = commits % 20;
      const s = domainState(i, commits + 1);
      expected.set(`d${i}.example.com`, s);
      await store.commit(ref, new Map([[`d${i}.example.com`, s]]));
      commits++;
      if (existsSync(journalPath(dir, ref))) expect(statSync(journalPath(dir, ref)).size).toBeLessThanOrEqual(2 * snapBytes);
    }
    // 2x a 20-domain snapshot is about 40 one-domain lines.
    expect(commits).toBeGreaterThan(30);
    expect(commits).toBeLessThan(50);
    expect(existsSync(journalPath(dir, ref))).toBe(false);
    await store.close();
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(expected);

    const byCount = new FileCheckpointStore(dir, deps(), { compactMaxRecords: 5, compactMinBytes: 1e9 });
    await byCount.load(ref);
    for (let k = 0; k < 4; k++) await byCount.commit(ref, new Map([['d1.example.com', domainState(1, 100 + k)]]));
    expect(byCount.stats.compactions).toBe(0);
    await byCount.commit(ref, new Map([['d1.example.com', domainState(1, 200)]]));
    expect(byCount.stats.compactions).toBe(1);
    expected.set('d1.example.com', domainState(1, 200));
    await byCount.close();
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(expected);
  });

  it('load compacts a journal away; a commit without a load loads first', async () => {
    const store = new FileCheckpointStore(dir, deps());
    await store.commit(ref, new Map([['a.com', domainState(1, 1)]]));
    expect(existsSync(journalPath(dir, ref))).toBe(true);
    expect(existsSync(snapshotPath(dir, ref))).toBe(false);
    await store.close();
    const s2 = new FileCheckpointStore(dir, deps());
    expect(await s2.load(ref)).toEqual(new Map([['a.com', domainState(1, 1)]]));
    expect(existsSync(journalPath(dir, ref))).toBe(false);
    expect(readFileSync(snapshotPath(dir, ref), 'utf8').split('\n')[0]).toContain('"gen":1');
  });

  it('concurrent commits of one stream are serialized', async () => {
    const store = new FileCheckpointStore(dir, deps(), { compactMinBytes: 0 });
    const expected: StreamState = new Map();
    await Promise.all(
      Array.from({ length: 30 }, (_, k) => {
        const m = new Map([[`d${k % 7}.example.com`, domainState(k % 7, k)]]);
        for (const [d, s] of m) expected.set(d, s);
        return store.commit(ref, m);
      }),
    );
    await store.close();
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(expected);
  });

  it('writes the tail as runs per series, holes as nulls, and reads it back exactly', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const tail = new Map<string, number>([
      ['traffic_bytes|300|1799999100', 1],
      ['traffic_bytes|300|1799998800', 0],
      ['traffic_bytes|300|1799999700', 3.25], // one hole before it
      ['traffic_bytes|300|1799990000', 9], // far away: a run of its own
      ['status_404|60|1799999940', 4],
      ['fail_rate_pct|86400|1799971200', 0.5],
    ]);
    const s: DomainState = { finalEndSec: 1799998800, tail, owed: new Map(), owedWindows: [] };
    await store.commit(ref, new Map([['a.com', s]]));
    await store.close();
    const line = readFileSync(journalPath(dir, ref), 'utf8').split('\n')[1]!;
    expect(JSON.parse(line).tail).toEqual([
      ['traffic_bytes|300', 1799990000, [9]],
      ['traffic_bytes|300', 1799998800, [0, 1, null, 3.25]],
      ['status_404|60', 1799999940, [4]],
      ['fail_rate_pct|86400', 1799971200, [0.5]],
    ]);
    expect((await new FileCheckpointStore(dir, deps()).load(ref)).get('a.com')).toEqual(s);
  });

  it('refuses a tail key the status and the loader could not read back', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const bad = domainState(1, 1);
    bad.tail = new Map([['traffic_bytes:300:1', 1]]);
    await expect(store.commit(ref, new Map([['a.com', bad]]))).rejects.toMatchObject({ kind: 'state', message: expect.stringContaining('not metric|intervalSec|bucketSec (a collector bug)') });
  });

  it('refuses to record a number that JSON cannot hold, instead of making the file unloadable', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const bad = domainState(1, 1);
    bad.tail = new Map([['traffic_bytes|300|1799999700', Number.NaN]]);
    await expect(store.commit(ref, new Map([['a.com', bad]]))).rejects.toMatchObject({ kind: 'state', message: expect.stringMatching(/a\.com tail traffic_bytes\|300\|1799999700 = NaN/) });
  });
});

describe('crash safety', () => {
  /** Commits one domain at a time; returns the journal bytes and the state expected after each commit. */
  async function journalWithHistory(): Promise<{ base: StreamState; journal: Buffer; steps: { end: number; state: StreamState }[] }> {
    const store = new FileCheckpointStore(dir, deps(), { compactMinBytes: 1e9 });
    const base: StreamState = new Map();
    for (let i = 0; i < 4; i++) base.set(`d${i}.example.com`, domainState(i, 0));
    await store.commit(ref, base);
    await store.close();
    await new FileCheckpointStore(dir, deps()).load(ref); // base is now the snapshot
    const s = new FileCheckpointStore(dir, deps(), { compactMinBytes: 1e9 });
    await s.load(ref);
    const state = clone(base);
    const steps: { end: number; state: StreamState }[] = [];
    for (let k = 1; k <= 6; k++) {
      const d = `d${k % 5}.example.com`;
      const v = domainState(k % 5, k);
      await s.commit(ref, new Map([[d, v]]));
      state.set(d, v);
      steps.push({ end: statSync(journalPath(dir, ref)).size, state: clone(state) });
    }
    await s.close();
    return { base, journal: readFileSync(journalPath(dir, ref)), steps };
  }

  it('a journal cut at any byte loads as the last whole commit before the cut, dropping the torn line with a note', { timeout: 120_000 }, async () => {
    const { base, journal, steps } = await journalWithHistory();
    const snapshot = readFileSync(snapshotPath(dir, ref));
    const headerEnd = journal.indexOf(0x0a) + 1;
    // Every byte around each line end (where off-by-ones live), and every 11th byte in between.
    const cuts = new Set<number>();
    for (let c = 0; c <= journal.length; c++) if (c % 11 === 0) cuts.add(c);
    for (const e of [0, headerEnd, ...steps.map((s) => s.end)]) for (let c = e - 3; c <= e + 3; c++) if (c >= 0 && c <= journal.length) cuts.add(c);
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      writeFileSync(snapshotPath(dir, ref), snapshot);
      writeFileSync(journalPath(dir, ref), journal.subarray(0, cut));
      const notes: string[] = [];
      const loaded = await new FileCheckpointStore(dir, deps(notes)).load(ref);
      const expected = [...steps].reverse().find((s) => s.end <= cut)?.state ?? base;
      expect(loaded, `cut at ${cut}`).toEqual(expected);
      const atBoundary = cut === 0 || cut === headerEnd || steps.some((s) => s.end === cut);
      expect(notes.length, `cut at ${cut}: ${notes.join()}`).toBe(atBoundary ? 0 : 1);
      if (!atBoundary) expect(notes[0]).toMatch(/unfinished last write .* dropped; it had not been acknowledged/);
      // Loading compacted it: the next load reads the same, without a note.
      const notes2: string[] = [];
      expect(await new FileCheckpointStore(dir, deps(notes2)).load(ref)).toEqual(expected);
      expect(notes2).toEqual([]);
    }
  });

  it('a commit cut inside keeps a prefix of its domains: each keeps its older checkpoint or gets the new one', async () => {
    const store = new FileCheckpointStore(dir, deps());
    const before = new Map([0, 1, 2].map((i) => [`d${i}.example.com`, domainState(i, 0)] as const));
    await store.commit(ref, before);
    await store.close();
    await new FileCheckpointStore(dir, deps()).load(ref);
    const s = new FileCheckpointStore(dir, deps());
    await s.load(ref);
    const after = new Map([0, 1, 2].map((i) => [`d${i}.example.com`, domainState(i, 9)] as const));
    await s.commit(ref, after);
    await s.close();
    const journal = readFileSync(journalPath(dir, ref));
    const lines = journal.toString('utf8').split('\n');
    const cut = lines[0]!.length + 1 + lines[1]!.length + 1 + 10; // d0 whole, d1 torn
    const snap = readFileSync(snapshotPath(dir, ref));
    writeFileSync(journalPath(dir, ref), journal.subarray(0, cut));
    const loaded = await new FileCheckpointStore(dir, deps()).load(ref);
    expect(loaded.get('d0.example.com')).toEqual(after.get('d0.example.com'));
    expect(loaded.get('d1.example.com')).toEqual(before.get('d1.example.com'));
    expect(loaded.get('d2.example.com')).toEqual(before.get('d2.example.com'));
    expect(snap.length).toBeGreaterThan(0);
  });

  it('zeros left by a crash after the last acknowledged write are dropped', async () => {
    const { journal, steps } = await journalWithHistory();
    writeFileSync(journalPath(dir, ref), Buffer.concat([journal, Buffer.alloc(4096)]));
    const notes: string[] = [];
    expect(await new FileCheckpointStore(dir, deps(notes)).load(ref)).toEqual(steps[steps.length - 1]!.state);
    expect(notes).toHaveLength(1);
  });

  it('damage before the last line is an error, not a silent drop', async () => {
    const { journal } = await journalWithHistory();
    const text = journal.toString('utf8').split('\n');
    text[2] = text[2]!.slice(0, 20);
    writeFileSync(journalPath(dir, ref), text.join('\n'));
    await expect(new FileCheckpointStore(dir, deps()).load(ref)).rejects.toMatchObject({ kind: 'state', message: expect.stringMatching(/journal\.jsonl line 3: is not JSON; move .* away/) });
  });

  it('a compaction that crashed before its rename leaves a tmp file and the old state; after it, a stale journal is ignored', async () => {
    const { journal, steps } = await journalWithHistory();
    const last = steps[steps.length - 1]!.state;
    writeFileSync(`${snapshotPath(dir, ref)}.tmp`, '{"format":"cdn-origin-collector/state","version":2,"mod');
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(last);
    // Crash after the rename, before the journal's removal: the old journal comes back.
    writeFileSync(journalPath(dir, ref), journal);
    const notes: string[] = [];
    expect(await new FileCheckpointStore(dir, deps(notes)).load(ref)).toEqual(last);
    expect(notes).toEqual([]);
    expect(existsSync(journalPath(dir, ref))).toBe(false);
    // …and a commit after that must not be hidden behind a stale header.
    const s = new FileCheckpointStore(dir, deps());
    await s.load(ref);
    await s.commit(ref, new Map([['new.example.com', domainState(2, 3)]]));
    await s.close();
    expect((await new FileCheckpointStore(dir, deps()).load(ref)).get('new.example.com')).toEqual(domainState(2, 3));
  });

  it('a snapshot cut short is damage: snapshots only change by rename', async () => {
    await journalWithHistory();
    await new FileCheckpointStore(dir, deps()).load(ref);
    const size = statSync(snapshotPath(dir, ref)).size;
    truncateSync(snapshotPath(dir, ref), size - 5);
    await expect(new FileCheckpointStore(dir, deps()).load(ref)).rejects.toMatchObject({ kind: 'state', message: expect.stringMatching(/state\.jsonl line \d+: ends in the middle of a line/) });
  });

  it('after a torn line, later commits are not appended onto it', async () => {
    const { journal } = await journalWithHistory();
    writeFileSync(journalPath(dir, ref), journal.subarray(0, journal.length - 7));
    const s = new FileCheckpointStore(dir, deps());
    const st = await s.load(ref);
    await s.commit(ref, new Map([['z.example.com', domainState(3, 3)]]));
    await s.close();
    st.set('z.example.com', domainState(3, 3));
    expect(await new FileCheckpointStore(dir, deps()).load(ref)).toEqual(st);
  });

  it('leaves no stray files: only the snapshot after load', async () => {
    await journalWithHistory();
    appendFileSync(journalPath(dir, ref), '{"domain":"x"');
    copyFileSync(journalPath(dir, ref), path.join(dir, 'keep'));
    await new FileCheckpointStore(dir, deps()).load(ref);
    expect(readdirSync(dir).sort()).toEqual(['aliyun.default.DescribeDomainSrcTrafficData.state.jsonl', 'keep']);
  });
});
