/** `status`: which files make a stream, what each domain line says, and the text report. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { DomainState, GapEntry, StreamRef } from '../../src/ports.js';
import { encodeDomain, encodeHeader, journalPath, snapshotPath } from '../../src/state/codec.js';
import { appendGaps } from '../../src/state/ledger.js';
import { caught } from '../support/caught.js';
import { formatStatus, readStatus, statusExitCode, type DomainStatus, type StatusReport } from '../../src/state/status.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'strength-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const st = (finalEndSec: number, o: Partial<DomainState> = {}): DomainState => ({ finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...o });
const ref = (module: string, account = 'acc', stream = 's'): StreamRef => ({ module, account, stream });
function snapshot(r: StreamRef, domains: [string, DomainState][], gen = 1): void {
  writeFileSync(snapshotPath(dir, r), encodeHeader({ ...r, gen }) + domains.map(([d, s]) => encodeDomain(d, s)).join(''));
}
const gap = (o: Partial<GapEntry> = {}): GapEntry => ({
  recordedAtSec: NOW - 60,
  module: 'm',
  vendor: 'v',
  account: 'acc',
  stream: 's',
  domain: 'a.com',
  metric: 'requests',
  intervalSec: 300,
  fromSec: NOW - 3600,
  toSec: NOW - 3300,
  reason: 'given up',
  ...o,
});
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

describe('readStatus: the streams', () => {
  it('a journal alone makes a stream; a journal holding only a torn header does not; other files are ignored', async () => {
    const j = ref('j');
    writeFileSync(journalPath(dir, j), encodeHeader({ ...j, gen: 0 }) + encodeDomain('a.com', st(NOW - 300)));
    const t = ref('t');
    writeFileSync(journalPath(dir, t), encodeHeader({ ...t, gen: 0 }).slice(0, 20));
    writeFileSync(path.join(dir, 'README.txt'), 'hello');
    writeFileSync(path.join(dir, '.lock'), '1');
    const r = await readStatus(dir, { nowSec: NOW });
    expect(r.streams.map((s) => [s.module, s.domains.map((d) => d.domain)])).toEqual([['j', ['a.com']]]);
  });

  it('a state file under another stream’s name is damage naming where it belongs', async () => {
    const a = ref('a');
    writeFileSync(snapshotPath(dir, ref('b')), encodeHeader({ ...a, gen: 1 }));
    const f = snapshotPath(dir, ref('b'));
    const e = await caught(readStatus(dir, { nowSec: NOW }));
    expect(e.message).toBe(
      `state: ${f} line 1: holds the state of a/acc/s, which belongs in a.acc.s.state.jsonl (renamed or copied?); move the file ${f} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`,
    );
    rmSync(f);
    const jf = journalPath(dir, ref('b'));
    writeFileSync(jf, encodeHeader({ ...a, gen: 0 }));
    expect((await caught(readStatus(dir, { nowSec: NOW }))).message).toContain(`holds the state of a/acc/s, which belongs in a.acc.s.journal.jsonl`);
  });

  it('an empty snapshot is damage; an empty journal beside a snapshot is nothing', async () => {
    const a = ref('a');
    writeFileSync(snapshotPath(dir, a), '');
    expect((await caught(readStatus(dir, { nowSec: NOW }))).message).toBe(
      `state: ${snapshotPath(dir, a)} line 1: the file is empty; move the file ${snapshotPath(dir, a)} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`,
    );
    snapshot(a, [['a.com', st(NOW)]]);
    writeFileSync(journalPath(dir, a), '');
    expect((await readStatus(dir, { nowSec: NOW })).streams[0]!.domains.map((d) => d.checkpoint)).toEqual([iso(NOW)]);
  });

  it('a damaged ledger or domain line: the error of the second read, in one line', async () => {
    writeFileSync(path.join(dir, 'gaps.jsonl'), 'junk\n{}\n');
    const e = await caught(readStatus(dir, { nowSec: NOW }));
    expect(e.message).toMatch(/^state: .*gaps\.jsonl line 1: is not JSON; the gap ledger is written by the collector only/);
    rmSync(path.join(dir, 'gaps.jsonl'));
    const a = ref('a');
    writeFileSync(snapshotPath(dir, a), `${encodeHeader({ ...a, gen: 1 })}{"domain":""}\n`);
    expect((await caught(readStatus(dir, { nowSec: NOW }))).message).toContain('line 2: domain is "", not a domain name');
  });

  it('a snapshot header cut short, or not JSON: one line naming the file and line', async () => {
    const a = ref('a');
    const f = snapshotPath(dir, a);
    const remedy = `move the file ${f} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`;
    writeFileSync(f, encodeHeader({ ...a, gen: 1 }).trimEnd());
    expect((await caught(readStatus(dir, { nowSec: NOW }))).message).toBe(`state: ${f} line 1: ends in the middle of a line (the file was cut short); ${remedy}`);
    writeFileSync(f, '{"format":\n');
    expect((await caught(readStatus(dir, { nowSec: NOW }))).message).toBe(`state: ${f} line 1: is not JSON; ${remedy}`);
  });

  it('a state.dir that is a file: one line', async () => {
    const f = path.join(dir, 'file');
    writeFileSync(f, 'x');
    const e = await caught(readStatus(f, { nowSec: NOW }));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot read ${f}: ENOTDIR`]);
  });

  it('streams sorted by module, account, stream; domains by name; gaps under their stream and domain', async () => {
    snapshot(ref('b', 'x'), [['z.com', st(NOW - 600)], ['a.com', st(NOW - 300)]]);
    snapshot(ref('a-b', 'acc'), [['q.com', st(NOW)]]);
    snapshot(ref('a', 'zz'), [['q.com', st(NOW)]]);
    await appendGaps(dir, [gap({ module: '0', account: 'x', domain: 'g.com' }), gap({ module: 'b', account: 'x', domain: 'm.com' }), gap({ module: 'b', account: 'x', domain: 'a.com', metric: 'x' }), gap({ module: 'b', account: 'x', domain: 'a.com', metric: 'y' })]);
    const r = await readStatus(dir, { nowSec: NOW });
    expect(r.streams.map((s) => `${s.module}/${s.account}/${s.stream}:${s.domains.map((d) => `${d.domain}=${d.gaps.map((g) => g.metric).join('+')}`).join(',')}`)).toEqual([
      '0/x/s:g.com=requests',
      'a/zz/s:q.com=',
      'a-b/acc/s:q.com=',
      'b/x/s:a.com=x+y,m.com=requests,z.com=',
    ]);
    expect(r.gaps).toBe(4);
    expect(statusExitCode(r)).toBe(1);
    expect(r.streams[3]!.domains[1]).toEqual({ domain: 'm.com', checkpoint: null, provisional: { buckets: 0 }, owed: [], owedWindows: [], gaps: [expect.objectContaining({ metric: 'requests' })] });
    expect(statusExitCode({ ...r, gaps: 0 })).toBe(0);
  });
});

describe('readStatus: a domain', () => {
  it('provisional span over every series (first start to last end), owed sorted by bucket, metric, then interval', async () => {
    const a = ref('a');
    const tail = new Map([
      [`x|300|${NOW - 1200}`, 1],
      [`x|300|${NOW - 900}`, 1],
      [`y|3600|${NOW - 3600}`, 2],
      [`z|60|${NOW - 120}`, 3],
    ]);
    const owed = new Map([
      [`b|300|${NOW - 600}`, { reason: 'r1', sinceSec: NOW - 10 }],
      [`a|300|${NOW - 600}`, { reason: 'r7', sinceSec: NOW - 70 }],
      [`a|60|${NOW - 600}`, { reason: 'r2', sinceSec: NOW - 20 }],
      [`c|300|${NOW - 900}`, { reason: 'r3', sinceSec: NOW - 30 }],
      [`a|300|${NOW - 300}`, { reason: 'r4', sinceSec: NOW - 40 }],
      [`b|60|${NOW - 300}`, { reason: 'r5', sinceSec: NOW - 50 }],
      [`a|300|${NOW - 1200}`, { reason: 'r6', sinceSec: NOW - 60 }],
    ]);
    snapshot(a, [['a.com', st(NOW - 1200, { tail, owed, owedWindows: [{ fromSec: NOW - 7200, toSec: NOW - 3600, granularitySec: 300, alignOffsetSec: 60, reason: 'w', sinceSec: NOW - 5 }] })]]);
    const d = (await readStatus(dir, { nowSec: NOW })).streams[0]!.domains[0]!;
    expect(d.provisional).toEqual({ buckets: 4, from: iso(NOW - 3600), to: iso(NOW) });
    expect(d.owed).toEqual([
      { metric: 'a', intervalSec: 300, bucket: iso(NOW - 1200), reason: 'r6', since: iso(NOW - 60) },
      { metric: 'c', intervalSec: 300, bucket: iso(NOW - 900), reason: 'r3', since: iso(NOW - 30) },
      { metric: 'a', intervalSec: 60, bucket: iso(NOW - 600), reason: 'r2', since: iso(NOW - 20) },
      { metric: 'a', intervalSec: 300, bucket: iso(NOW - 600), reason: 'r7', since: iso(NOW - 70) },
      { metric: 'b', intervalSec: 300, bucket: iso(NOW - 600), reason: 'r1', since: iso(NOW - 10) },
      { metric: 'a', intervalSec: 300, bucket: iso(NOW - 300), reason: 'r4', since: iso(NOW - 40) },
      { metric: 'b', intervalSec: 60, bucket: iso(NOW - 300), reason: 'r5', since: iso(NOW - 50) },
    ]);
    expect(d.owedWindows).toEqual([{ from: iso(NOW - 7200), to: iso(NOW - 3600), granularitySec: 300, reason: 'w', since: iso(NOW - 5) }]);
    expect('lastError' in d).toBe(false);
  });
});

describe('formatStatus', () => {
  const dom = (domain: string, o: Partial<DomainStatus> = {}): DomainStatus => ({ domain, checkpoint: '2026-11-20T09:00:00Z', provisional: { buckets: 0 }, owed: [], owedWindows: [], gaps: [], ...o });
  const report = (domains: DomainStatus[], o: Partial<StatusReport> = {}): StatusReport => ({ stateDir: '/s', streams: [{ module: 'm', account: 'a', stream: 's', domains }], gaps: 0, notes: [], ...o });

  it('one checkpoint, a range of them, none; owed windows and buckets counted together; thousands separated', () => {
    const w = { from: 'F', to: 'T', granularitySec: 60, reason: 'why', since: 'S' };
    const b = { metric: 'requests', intervalSec: 60, bucket: 'B', reason: 'rb', since: 'S2' };
    expect(formatStatus(report([dom('a.com'), dom('b.com', { owedWindows: [w, w], owed: [b] })]))).toBe(
      [
        'state.dir /s: 1 stream, 2 domains, no gap in the ledger',
        '',
        'm / a / s: 2 domains, checkpoint 2026-11-20T09:00:00Z, 3 owed',
        '  a.com  checkpoint 2026-11-20T09:00:00Z',
        '  b.com  checkpoint 2026-11-20T09:00:00Z  owed 1 bucket  owed 2 windows',
        '    owed requests 60s B since S2: rb',
        '    owed window F..T (60s) since S: why',
        '    owed window F..T (60s) since S: why',
        '',
      ].join('\n'),
    );
    expect(formatStatus(report([dom('a.com', { checkpoint: null }), dom('b.com', { checkpoint: '2026-11-20T08:00:00Z' }), dom('c.com', { checkpoint: '2026-11-20T07:00:00Z' })]))).toContain(
      'm / a / s: 3 domains, checkpoints 2026-11-20T07:00:00Z..2026-11-20T08:00:00Z\n  a.com  no checkpoint\n',
    );
    expect(formatStatus(report([dom('a.com', { checkpoint: null })]))).toContain('m / a / s: 1 domain, no checkpoint\n');
    const gaps = Array.from({ length: 1234 }, () => ({ metric: 'm', intervalSec: 60, from: 'F', to: 'T', reason: 'r', recorded: 'R' }));
    const text = formatStatus(report([dom('a.com', { gaps, provisional: { buckets: 1, from: 'P', to: 'Q' }, owed: [b, b] })], { gaps: 1234, notes: ['n1', 'n2'] }));
    expect(text.split('\n').slice(0, 6)).toEqual([
      'state.dir /s: 1 stream, 1 domain, 1,234 gaps in the ledger',
      'note: n1',
      'note: n2',
      '',
      'm / a / s: 1 domain, checkpoint 2026-11-20T09:00:00Z, 2 owed, 1,234 gaps',
      '  a.com  checkpoint 2026-11-20T09:00:00Z  provisional 1 bucket P..Q  owed 2 buckets  1,234 gaps',
    ]);
    expect(text).toContain('\n    GAP m 60s F..T (recorded R): r\n');
    expect(formatStatus(report([dom('a.com', { gaps: gaps.slice(0, 1) })], { gaps: 1 }))).toContain('1 gap in the ledger\n');
  });

  it('20 domains are all listed; from 21, only those with something to say, each kind of something counted', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => dom(`d${String(i).padStart(2, '0')}.com`));
    const all = formatStatus(report(twenty));
    expect(all.split('\n').filter((l) => l.startsWith('  d'))).toHaveLength(20);
    expect(all).not.toContain('more domain');
    const b = { metric: 'requests', intervalSec: 60, bucket: 'B', reason: 'rb', since: 'S2' };
    const w = { from: 'F', to: 'T', granularitySec: 60, reason: 'why', since: 'S' };
    const g = { metric: 'm', intervalSec: 60, from: 'F', to: 'T', reason: 'r', recorded: 'R' };
    const many = [
      ...twenty,
      dom('e1.com', { owed: [b] }),
      dom('e2.com', { owedWindows: [w] }),
      dom('e3.com', { gaps: [g] }),
      dom('e4.com', { lastError: { at: 'A', message: 'boom' } }),
      dom('e5.com', { checkpoint: null }),
      dom('e6.com', { provisional: { buckets: 3, from: 'P', to: 'Q' } }),
    ];
    const text = formatStatus(report(many));
    expect(text.split('\n').filter((l) => /^ {2}\S/.test(l))).toEqual([
      '  e1.com  checkpoint 2026-11-20T09:00:00Z  owed 1 bucket',
      '  e2.com  checkpoint 2026-11-20T09:00:00Z  owed 1 window',
      '  e3.com  checkpoint 2026-11-20T09:00:00Z  1 gap',
      '  e4.com  checkpoint 2026-11-20T09:00:00Z',
      '  e5.com  no checkpoint',
      '  … 21 more domains: nothing owed, no gap, no error (--json lists them all)',
    ]);
    expect(text).toContain('m / a / s: 26 domains, checkpoint 2026-11-20T09:00:00Z, 2 owed, 1 gap, 1 domain with an error\n');
    const twentyOne = formatStatus(report([...twenty, dom('x.com')]));
    expect(twentyOne).toContain('  … 21 more domains: nothing owed');
    const one = formatStatus(report([...twenty, dom('x.com', { checkpoint: null })].slice(0, 21).concat([])));
    expect(one).toContain('  … 20 more domains');
    expect(formatStatus(report([...twenty, dom('x.com'), dom('y.com', { checkpoint: null })].filter((_, i) => i >= 19)))).not.toContain('more domain');
    const single = formatStatus(report([...Array.from({ length: 20 }, (_, i) => dom(`n${i}.com`, { checkpoint: null })), dom('x.com')]));
    expect(single).toContain('  … 1 more domain: nothing owed');
  });

  it('--json: the report as one indented document', () => {
    const r = report([dom('a.com')]);
    expect(formatStatus(r, { json: true })).toBe(`${JSON.stringify(r, null, 2)}\n`);
  });
});
