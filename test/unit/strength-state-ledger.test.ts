/** The gap ledger, the line reader under it, and reading a stream's snapshot + journal. */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { DomainState, GapEntry, StreamRef } from '../../src/ports.js';
import { encodeDomain, encodeHeader, journalPath, snapshotPath } from '../../src/state/codec.js';
import { appendGaps, LEDGER_FILE, ledgerPath, readGaps } from '../../src/state/ledger.js';
import { readLines } from '../../src/state/lines.js';
import { caught } from '../support/caught.js';
import { readStream } from '../../src/state/read.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'strength-ledger-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const gap = (over: Partial<GapEntry> = {}): GapEntry => ({
  recordedAtSec: NOW - 60,
  module: 'huaweicdn',
  vendor: 'huawei',
  account: 'acc',
  stream: 's',
  domain: 'a.com',
  metric: 'requests',
  intervalSec: 300,
  fromSec: NOW - 3600,
  toSec: NOW - 3300,
  reason: 'r',
  ...over,
});


async function all(file: string) {
  const g = await readLines(file);
  if (!g) return undefined;
  const out = [];
  for await (const l of g) out.push(l);
  return out;
}

describe('readLines', () => {
  it('undefined for a missing file; lines numbered from 1, the last one unterminated when cut', async () => {
    expect(await readLines(path.join(dir, 'none'))).toBeUndefined();
    const f = path.join(dir, 'f');
    writeFileSync(f, 'a\n\nbé\ncut');
    expect(await all(f)).toEqual([
      { text: 'a', no: 1, terminated: true },
      { text: '', no: 2, terminated: true },
      { text: 'bé', no: 3, terminated: true },
      { text: 'cut', no: 4, terminated: false },
    ]);
    writeFileSync(f, '');
    expect(await all(f)).toEqual([]);
    writeFileSync(f, 'x\n');
    expect(await all(f)).toEqual([{ text: 'x', no: 1, terminated: true }]);
    writeFileSync(f, '\nx\n');
    expect(await all(f)).toEqual([
      { text: '', no: 1, terminated: true },
      { text: 'x', no: 2, terminated: true },
    ]);
  });

  it('lines across the 64 KiB reads, one longer than two reads, a multi-byte character split by a read', async () => {
    const f = path.join(dir, 'big');
    const READ = 1 << 16;
    const a = 'a'.repeat(READ - 1) + 'é'; // 2 bytes: the first ends the first read, the second begins the next
    const b = 'b'.repeat(2 * READ + 5);
    const c = 'c'.repeat(10);
    writeFileSync(f, `${a}\n${b}\n${c}\n${c}`);
    const got = await all(f);
    expect(got?.map((l) => [l.text.length, l.text.slice(-3), l.no, l.terminated])).toEqual([
      [a.length, a.slice(-3), 1, true],
      [b.length, 'bbb', 2, true],
      [10, 'ccc', 3, true],
      [10, 'ccc', 4, false],
    ]);
    expect(got?.[0]?.text).toBe(a);
    expect(got?.[1]?.text).toBe(b);
  });

  it('a directory in place of the file: one line naming it, kind state', async () => {
    const d = path.join(dir, 'adir');
    mkdirSync(d);
    const e = await caught(all(d));
    expect(e.kind).toBe('state');
    expect(e.message).toBe(`state: ${d} cannot be read (EISDIR); move it away to collect that stream afresh (its domains resume from InfluxDB or collect.initialLookbackMs back)`);
  });

  it('a file that cannot be opened (a path through a file): one line with the code', async () => {
    const f = path.join(dir, 'plain');
    writeFileSync(f, 'x');
    const e = await caught(readLines(path.join(f, 'inside')));
    expect(e.message).toBe(`state: ${path.join(f, 'inside')} cannot be read (ENOTDIR); move it away to collect that stream afresh (its domains resume from InfluxDB or collect.initialLookbackMs back)`);
  });
});

describe('gap ledger: writing', () => {
  it('one line per gap, keys in a fixed order, in a dir created on demand; nothing at all for no gap', async () => {
    const d = path.join(dir, 'x', 'y');
    await appendGaps(d, []);
    expect(existsSync(d)).toBe(false);
    const scrambled = Object.fromEntries(Object.entries(gap()).reverse()) as unknown as GapEntry;
    await appendGaps(d, [scrambled, gap({ domain: 'b.com' })]);
    expect(ledgerPath(d)).toBe(path.join(d, LEDGER_FILE));
    expect(LEDGER_FILE).toBe('gaps.jsonl');
    const text = readFileSync(path.join(d, 'gaps.jsonl'), 'utf8');
    expect(text).toBe(
      `{"recordedAtSec":${NOW - 60},"module":"huaweicdn","vendor":"huawei","account":"acc","stream":"s","domain":"a.com","metric":"requests","intervalSec":300,"fromSec":${NOW - 3600},"toSec":${NOW - 3300},"reason":"r"}\n` +
        `{"recordedAtSec":${NOW - 60},"module":"huaweicdn","vendor":"huawei","account":"acc","stream":"s","domain":"b.com","metric":"requests","intervalSec":300,"fromSec":${NOW - 3600},"toSec":${NOW - 3300},"reason":"r"}\n`,
    );
  });

  it('a torn last line is cut off before the append; a file of one torn line is emptied first', async () => {
    const f = ledgerPath(dir);
    writeFileSync(f, `${JSON.stringify(gap())}\n{"recordedAt`);
    await appendGaps(dir, [gap({ domain: 'b.com' })]);
    expect(readFileSync(f, 'utf8')).toBe(`${JSON.stringify(gap())}\n${JSON.stringify(gap({ domain: 'b.com' }))}\n`);
    writeFileSync(f, '{"torn');
    await appendGaps(dir, [gap()]);
    expect(readFileSync(f, 'utf8')).toBe(`${JSON.stringify(gap())}\n`);
  });

  it('a torn line longer than the scan with a line end before it: cut at that line end', async () => {
    const f = ledgerPath(dir);
    const first = JSON.stringify(gap());
    writeFileSync(f, `${first}\n${'x'.repeat(60 * 1024)}`);
    await appendGaps(dir, [gap({ domain: 'c.com' })]);
    expect(readFileSync(f, 'utf8')).toBe(`${first}\n${JSON.stringify(gap({ domain: 'c.com' }))}\n`);
  });

  it('a file longer than the scan: cut at the last line end inside it, even at its very first byte', async () => {
    const f = ledgerPath(dir);
    const whole = `${JSON.stringify(gap())}\n`.repeat(400); // well over 64 KiB
    expect(whole.length).toBeGreaterThan(64 * 1024);
    writeFileSync(f, `${whole}{"torn`);
    await appendGaps(dir, [gap({ domain: 'c.com' })]);
    expect(readFileSync(f, 'utf8')).toBe(`${whole}${JSON.stringify(gap({ domain: 'c.com' }))}\n`);
    writeFileSync(f, `${whole}${'x'.repeat(64 * 1024 - 1)}`);
    await appendGaps(dir, [gap({ domain: 'd.com' })]);
    expect(readFileSync(f, 'utf8')).toBe(`${whole}${JSON.stringify(gap({ domain: 'd.com' }))}\n`);
  });

  it('no line end in the last 64 KiB of a longer file: refused in one line, the file left alone', async () => {
    const f = ledgerPath(dir);
    const body = `${JSON.stringify(gap())}\n${'x'.repeat(64 * 1024)}`;
    writeFileSync(f, body);
    const e = await caught(appendGaps(dir, [gap({ domain: 'c.com' })]));
    expect(e.kind).toBe('state');
    expect(e.message).toBe(`state: cannot append to the gap ledger ${f}: its last 65536 bytes hold no line end`);
    expect(readFileSync(f, 'utf8')).toBe(body);
  });

  it('the ledger handle is synced and closed, whether the append succeeds or fails', async () => {
    const seen: { synced: number; closed: boolean }[] = [];
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (p, flags, mode) => {
      const fh = await open(p, flags, mode);
      const t = { synced: 0, closed: false };
      seen.push(t);
      const close = fh.close.bind(fh);
      const datasync = fh.datasync.bind(fh);
      Object.assign(fh, {
        close: () => ((t.closed = true), close()),
        datasync: () => (t.synced++, datasync()),
      });
      return fh;
    });
    await appendGaps(dir, [gap()]);
    writeFileSync(ledgerPath(dir), `x\n${'y'.repeat(64 * 1024 + 1)}`);
    await caught(appendGaps(dir, [gap()]));
    expect(seen).toEqual([
      { synced: 1, closed: true },
      { synced: 0, closed: true },
    ]);
  });

  it('a ledger that cannot be opened: one line with the code', async () => {
    mkdirSync(ledgerPath(dir));
    const e = await caught(appendGaps(dir, [gap()]));
    expect(e.message).toBe(`state: cannot append to the gap ledger ${ledgerPath(dir)}: EISDIR`);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('EISDIR');
  });
});

describe('gap ledger: reading', () => {
  it('blank lines skipped, extra keys dropped, repeats (same series and span) once, whatever their reason or time', async () => {
    const f = ledgerPath(dir);
    const lines = [
      { ...gap(), extra: 1 },
      gap({ reason: 'other', recordedAtSec: 5, vendor: 'x' }),
      gap({ module: 'm2' }),
      gap({ account: 'a2' }),
      gap({ stream: 's2' }),
      gap({ domain: 'd2' }),
      gap({ metric: 'm' }),
      gap({ intervalSec: 60 }),
      gap({ fromSec: 1 }),
      gap({ toSec: 2 }),
      gap({ toSec: 2 }),
    ];
    writeFileSync(f, `${JSON.stringify(lines[0])}\n\n${lines.slice(1).map((l) => JSON.stringify(l)).join('\n')}\n`);
    const notes: string[] = [];
    expect(await readGaps(dir, notes)).toEqual([gap(), gap({ module: 'm2' }), gap({ account: 'a2' }), gap({ stream: 's2' }), gap({ domain: 'd2' }), gap({ metric: 'm' }), gap({ intervalSec: 60 }), gap({ fromSec: 1 }), gap({ toSec: 2 })]);
    expect(notes).toEqual([]);
  });

  it('an empty ledger holds no gap', async () => {
    writeFileSync(ledgerPath(dir), '');
    expect(await readGaps(dir)).toEqual([]);
  });

  it('a last line cut short, or terminated but not JSON, is dropped with a note; a whole last line without its newline is kept', async () => {
    const f = ledgerPath(dir);
    writeFileSync(f, `${JSON.stringify(gap())}\n{"rec`);
    const notes: string[] = [];
    expect(await readGaps(dir, notes)).toEqual([gap()]);
    expect(notes).toEqual([`state: ${f} line 2: an unfinished last write (a crash while recording) was dropped`]);
    writeFileSync(f, `${JSON.stringify(gap())}\n{"rec\n`);
    expect(await readGaps(dir)).toEqual([gap()]);
    writeFileSync(f, JSON.stringify(gap()));
    expect(await readGaps(dir)).toEqual([gap()]);
  });

  it('every field checked: texts are texts, numbers whole and not negative; a record is an object', async () => {
    const f = ledgerPath(dir);
    const tail = `\n${JSON.stringify(gap())}\n`;
    const cases: [string, string][] = [
      ['null', 'line 1: is null, not a gap record'],
      ['[1]', 'line 1: is [1], not a gap record'],
      ['7', 'line 1: is 7, not a gap record'],
      ['not json', 'line 1: is not JSON'],
    ];
    for (const k of ['module', 'vendor', 'account', 'stream', 'domain', 'metric', 'reason'] as const) cases.push([JSON.stringify({ ...gap(), [k]: 3 }), `line 1: ${k} is 3, not a text`]);
    for (const k of ['intervalSec', 'fromSec', 'toSec', 'recordedAtSec'] as const) {
      cases.push([JSON.stringify({ ...gap(), [k]: '3' }), `line 1: ${k} is "3", not a whole number`]);
      cases.push([JSON.stringify({ ...gap(), [k]: 1.5 }), `line 1: ${k} is 1.5, not a whole number`]);
      cases.push([JSON.stringify({ ...gap(), [k]: -1 }), `line 1: ${k} is -1, not a whole number`]);
    }
    for (const [line, says] of cases) {
      writeFileSync(f, line + tail);
      const e = await caught(readGaps(dir));
      expect(e.kind).toBe('state');
      expect(e.message).toBe(`state: ${f} ${says}; the gap ledger is written by the collector only: restore it, or move it away (the gaps it recorded are then no longer reported)`);
    }
    writeFileSync(f, JSON.stringify({ ...gap(), fromSec: 0 }) + tail);
    expect(await readGaps(dir)).toEqual([gap({ fromSec: 0 }), gap()]);
  });
});

describe('readStream', () => {
  const ref: StreamRef = { module: 'tencent', account: 'prod', stream: 'flux' };
  const st = (finalEndSec: number, o: Partial<DomainState> = {}): DomainState => ({ finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...o });
  const H = (gen: number, r: StreamRef = ref) => encodeHeader({ ...r, gen });
  const D = (d: string, s: number) => encodeDomain(d, st(s));
  const snap = () => snapshotPath(dir, ref);
  const jour = () => journalPath(dir, ref);
  const remedyBoth = () => `move ${snap()} and ${jour()} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`;
  const remedyOne = (f: string) => `move the file ${f} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`;

  it('nothing on disk: empty, generation 0; a dir that is not one: a state error naming it, not an empty stream', async () => {
    expect(await readStream(dir, ref, NOW)).toEqual({ domains: new Map(), gen: 0, snapshotBytes: 0, journalPresent: false, journalRecords: 0, notes: [] });
    writeFileSync(path.join(dir, 'file'), '');
    await expect(readStream(path.join(dir, 'file'), ref, NOW)).rejects.toMatchObject({ kind: 'state', message: expect.stringContaining('cannot be read (ENOTDIR)') });
  });

  it('snapshot, then the journal of its generation replayed over it, later lines winning', async () => {
    const s = H(3) + D('a.com', NOW - 600) + D('b.com', NOW - 600);
    writeFileSync(snap(), s);
    writeFileSync(jour(), H(3) + D('b.com', NOW - 300) + D('c.com', NOW - 300) + D('b.com', NOW - 100));
    const got = await readStream(dir, ref, NOW);
    expect(got).toEqual({
      domains: new Map([['a.com', st(NOW - 600)], ['b.com', st(NOW - 100)], ['c.com', st(NOW - 300)]]),
      gen: 3,
      snapshotBytes: Buffer.byteLength(s),
      journalPresent: true,
      journalRecords: 3,
      notes: [],
    });
  });

  it('a journal left by a compaction that crashed after its rename (older generation) is ignored, even when damaged', async () => {
    writeFileSync(snap(), H(4) + D('a.com', NOW - 600));
    writeFileSync(jour(), `${H(3)}${D('a.com', NOW - 900)}not json\n`);
    expect(await readStream(dir, ref, NOW)).toMatchObject({ domains: new Map([['a.com', st(NOW - 600)]]), gen: 4, journalPresent: true, journalRecords: 0, notes: [] });
  });

  it('a journal alone (generation 0) is read; a journal of a newer generation, or a later one without its snapshot, is damage', async () => {
    writeFileSync(jour(), H(0) + D('a.com', NOW - 600));
    expect(await readStream(dir, ref, NOW)).toMatchObject({ domains: new Map([['a.com', st(NOW - 600)]]), gen: 0, snapshotBytes: 0, journalRecords: 1 });
    writeFileSync(jour(), H(1) + D('a.com', NOW - 600));
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(
      `state: ${jour()} line 1: the journal follows snapshot generation 1, but the snapshot is missing (replaced or restored from elsewhere?); ${remedyOne(jour())}`,
    );
    writeFileSync(snap(), H(1));
    writeFileSync(jour(), H(2) + D('a.com', NOW - 600));
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(
      `state: ${jour()} line 1: the journal follows snapshot generation 2, but the snapshot is generation 1 (replaced or restored from elsewhere?); ${remedyBoth()}`,
    );
  });

  it('the last journal line cut short, or not JSON: dropped with a note; damage before it: an error', async () => {
    writeFileSync(jour(), `${H(0)}${D('a.com', NOW - 600)}{"domain":"b.c`);
    const got = await readStream(dir, ref, NOW);
    expect(got.domains).toEqual(new Map([['a.com', st(NOW - 600)]]));
    expect(got.journalRecords).toBe(1);
    expect(got.notes).toEqual([`state: ${jour()} line 3: an unfinished last write (a crash while committing) was dropped; it had not been acknowledged`]);
    writeFileSync(jour(), `${H(0)}${D('a.com', NOW - 600)}{"dom\n`);
    expect((await readStream(dir, ref, NOW)).notes).toHaveLength(1);
    // whole JSON but cut before its newline: never acknowledged either
    writeFileSync(jour(), `${H(0)}${D('a.com', NOW - 600).trimEnd()}`);
    expect(await readStream(dir, ref, NOW)).toMatchObject({ domains: new Map(), journalRecords: 0, notes: [expect.stringContaining('line 2: an unfinished last write')] });
    writeFileSync(jour(), `${H(0)}{"dom\n${D('a.com', NOW - 600)}`);
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(`state: ${jour()} line 2: is not JSON; ${remedyOne(jour())}`);
    // a damaged (JSON) last line is not a torn write: it is checked
    writeFileSync(jour(), `${H(0)}{"domain":""}\n`);
    expect((await caught(readStream(dir, ref, NOW))).message).toContain('line 2: domain is "", not a domain name');
    // the header alone, torn: nothing in it
    writeFileSync(jour(), H(0).slice(0, 10));
    expect(await readStream(dir, ref, NOW)).toMatchObject({ domains: new Map(), journalPresent: true, journalRecords: 0 });
    // a journal of a foreign stream
    writeFileSync(jour(), H(0, { ...ref, stream: 'other' }) + D('a.com', NOW));
    expect((await caught(readStream(dir, ref, NOW))).message).toContain('holds the state of tencent/prod/other, not of tencent/prod/flux');
  });

  it('a snapshot is whole or damaged: cut short, empty, a domain twice, a foreign header', async () => {
    writeFileSync(snap(), H(1) + D('a.com', NOW).trimEnd());
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(`state: ${snap()} line 2: ends in the middle of a line (the file was cut short); ${remedyOne(snap())}`);
    writeFileSync(snap(), '');
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(`state: ${snap()} line 1: the file is empty; ${remedyOne(snap())}`);
    writeFileSync(snap(), H(1) + D('a.com', NOW) + D('a.com', NOW));
    writeFileSync(jour(), H(1));
    expect((await caught(readStream(dir, ref, NOW))).message).toBe(`state: ${snap()} line 3: domain "a.com" appears twice; ${remedyBoth()}`);
    writeFileSync(snap(), H(1) + D('a.com', NOW + 86_400 * 2));
    expect((await caught(readStream(dir, ref, NOW))).message).toContain('in the future');
    appendFileSync(jour(), '');
  });
});
