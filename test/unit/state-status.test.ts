/** The gap ledger and `status`: what state.dir says, read from state.dir alone. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainState, GapEntry, StreamRef } from '../../src/ports.js';
import { journalPath } from '../../src/state/codec.js';
import { appendGaps, readGaps } from '../../src/state/ledger.js';
import { formatStatus, readStatus, statusExitCode } from '../../src/state/status.js';
import { FileCheckpointStore } from '../../src/state/store.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'state-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const gap = (over: Partial<GapEntry> = {}): GapEntry => ({
  module: 'aliyun',
  vendor: 'aliyun',
  account: 'default',
  stream: 'DescribeDomainSrcTrafficData',
  domain: 'a.example.com',
  metric: 'traffic_bytes',
  intervalSec: 300,
  fromSec: NOW - 86400 * 2,
  toSec: NOW - 86400 * 2 + 300,
  reason: 'value "abc" is not a number',
  recordedAtSec: NOW - 60,
  ...over,
});

const ali: StreamRef = { module: 'aliyun', account: 'default', stream: 'DescribeDomainSrcTrafficData' };
const ten: StreamRef = { module: 'tencent', account: 'prod', stream: 'flux' };

function st(finalEndSec: number, o: Partial<DomainState> = {}): DomainState {
  return { finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...o };
}

describe('gap ledger', () => {
  it('appends and reads back, in order, without repeats', async () => {
    const store = new FileCheckpointStore(dir, { nowSec: () => NOW });
    await store.recordGaps([gap(), gap({ domain: 'b.example.com' })]);
    await store.recordGaps([]);
    await store.recordGaps([gap(), gap({ metric: '*', intervalSec: 300, fromSec: NOW - 7200, toSec: NOW - 3600, reason: 'Throttling.User' })]);
    expect(await readGaps(dir)).toEqual([gap(), gap({ domain: 'b.example.com' }), gap({ metric: '*', intervalSec: 300, fromSec: NOW - 7200, toSec: NOW - 3600, reason: 'Throttling.User' })]);
    expect(readFileSync(path.join(dir, 'gaps.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('a torn last line is dropped with a note, and the next append starts on a line of its own', async () => {
    await appendGaps(dir, [gap()]);
    appendFileSync(path.join(dir, 'gaps.jsonl'), '{"recordedAtSec":1,"mod');
    const notes: string[] = [];
    expect(await readGaps(dir, notes)).toEqual([gap()]);
    expect(notes[0]).toMatch(/gaps\.jsonl line 2: an unfinished last write/);
    await appendGaps(dir, [gap({ domain: 'c.example.com' })]);
    expect(await readGaps(dir, [])).toEqual([gap(), gap({ domain: 'c.example.com' })]);
  });

  it('damage before the last line is an error naming the file and line', async () => {
    await appendGaps(dir, [gap()]);
    appendFileSync(path.join(dir, 'gaps.jsonl'), 'garbage\n');
    await appendGaps(dir, [gap({ domain: 'c.example.com' })]);
    await expect(readGaps(dir)).rejects.toMatchObject({ kind: 'state', message: expect.stringContaining('gaps.jsonl line 2: is not JSON; the gap ledger is written by the collector only') });
    writeFileSync(path.join(dir, 'gaps.jsonl'), `${JSON.stringify({ ...gap(), fromSec: 'yesterday' })}\n`);
    await expect(readGaps(dir)).rejects.toMatchObject({ message: expect.stringContaining('line 1: fromSec is "yesterday", not a whole number') });
  });

  it('no ledger: no gap', async () => {
    expect(await readGaps(path.join(dir, 'nothing-here'))).toEqual([]);
  });
});

describe('status', () => {
  async function populate(): Promise<void> {
    const store = new FileCheckpointStore(dir, { nowSec: () => NOW });
    await store.commit(
      ali,
      new Map([
        [
          'a.example.com',
          st(NOW - 1800, {
            tail: new Map([
              ['traffic_bytes|300|' + (NOW - 1800), 10],
              ['traffic_bytes|300|' + (NOW - 600), 12],
              ['bandwidth_bps|300|' + (NOW - 900), 7],
            ]),
            owed: new Map([['traffic_bytes|300|' + (NOW - 3600), { reason: 'value "abc" is not a number', sinceSec: NOW - 1200 }]]),
            owedWindows: [{ fromSec: NOW - 7200, toSec: NOW - 3600, granularitySec: 300, reason: 'Throttling.User', sinceSec: NOW - 600 }],
            lastError: { atSec: NOW - 600, message: 'aliyun DescribeDomainSrcTrafficData a.example.com: Throttling.User (RequestId R1)' },
          }),
        ],
        ['b.example.com', st(NOW - 1800)],
      ]),
    );
    await store.commit(ten, new Map([['t.example.com', st(NOW - 600)]]));
    await store.close();
  }

  it('reports per stream and domain: checkpoint, provisional tail, owed, gaps, last error; exit 1 with a gap', async () => {
    await populate();
    await appendGaps(dir, [gap(), gap({ module: 'huaweicdn', vendor: 'huawei', account: 'x', stream: 'bw', domain: 'h.example.com' })]);
    const r = await readStatus(dir, { nowSec: NOW });
    expect(r.gaps).toBe(2);
    expect(statusExitCode(r)).toBe(1);
    expect(r.streams.map((s) => `${s.module}/${s.account}/${s.stream}`)).toEqual(['aliyun/default/DescribeDomainSrcTrafficData', 'huaweicdn/x/bw', 'tencent/prod/flux']);
    const a = r.streams[0]!.domains[0]!;
    expect(a).toEqual({
      domain: 'a.example.com',
      checkpoint: '2026-11-20T09:30:00Z',
      provisional: { buckets: 3, from: '2026-11-20T09:30:00Z', to: '2026-11-20T09:55:00Z' },
      owed: [{ metric: 'traffic_bytes', intervalSec: 300, bucket: '2026-11-20T09:00:00Z', reason: 'value "abc" is not a number', since: '2026-11-20T09:40:00Z' }],
      owedWindows: [{ from: '2026-11-20T08:00:00Z', to: '2026-11-20T09:00:00Z', granularitySec: 300, reason: 'Throttling.User', since: '2026-11-20T09:50:00Z' }],
      gaps: [{ metric: 'traffic_bytes', intervalSec: 300, from: '2026-11-18T10:00:00Z', to: '2026-11-18T10:05:00Z', reason: 'value "abc" is not a number', recorded: '2026-11-20T09:59:00Z' }],
      lastError: { at: '2026-11-20T09:50:00Z', message: 'aliyun DescribeDomainSrcTrafficData a.example.com: Throttling.User (RequestId R1)' },
    });
    // A gap of a stream without state still shows, under its own stream and domain.
    expect(r.streams[1]!.domains).toEqual([expect.objectContaining({ domain: 'h.example.com', checkpoint: null })]);

    const text = formatStatus(r);
    expect(text.split('\n').slice(0, 4)).toEqual([
      `state.dir ${dir}: 3 streams, 4 domains, 2 gaps in the ledger`,
      '',
      'aliyun / default / DescribeDomainSrcTrafficData: 2 domains, checkpoint 2026-11-20T09:30:00Z, 2 owed, 1 gap, 1 domain with an error',
      '  a.example.com  checkpoint 2026-11-20T09:30:00Z  provisional 3 buckets 2026-11-20T09:30:00Z..2026-11-20T09:55:00Z  owed 1 bucket  owed 1 window  1 gap',
    ]);
    expect(text).toContain('    owed traffic_bytes 300s 2026-11-20T09:00:00Z since 2026-11-20T09:40:00Z: value "abc" is not a number\n');
    expect(text).toContain('    GAP traffic_bytes 300s 2026-11-18T10:00:00Z..2026-11-18T10:05:00Z (recorded 2026-11-20T09:59:00Z): value "abc" is not a number\n');
    expect(text).toContain('    last error 2026-11-20T09:50:00Z: aliyun DescribeDomainSrcTrafficData a.example.com: Throttling.User (RequestId R1)\n');
    expect(text).toContain('  b.example.com  checkpoint 2026-11-20T09:30:00Z\n');
    expect(text).toContain('tencent / prod / flux: 1 domain, checkpoint 2026-11-20T09:50:00Z\n');

    expect(JSON.parse(formatStatus(r, { json: true }))).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('exit 0 without a gap; an empty or missing dir is an empty report', async () => {
    await populate();
    expect(statusExitCode(await readStatus(dir, { nowSec: NOW }))).toBe(0);
    const empty = await readStatus(path.join(dir, 'none'), { nowSec: NOW });
    expect(empty).toEqual({ stateDir: path.join(dir, 'none'), streams: [], gaps: 0, notes: [] });
    expect(formatStatus(empty)).toBe(`state.dir ${path.join(dir, 'none')}: 0 streams, 0 domains, no gap in the ledger\n`);
  });

  it('many domains: one line per domain with something to say, the rest summed up', async () => {
    const store = new FileCheckpointStore(dir, { nowSec: () => NOW });
    const m = new Map<string, DomainState>();
    for (let i = 0; i < 25; i++) m.set(`d${String(i).padStart(2, '0')}.example.com`, st(NOW - 600 - (i % 3) * 300, i === 7 ? { lastError: { atSec: NOW, message: 'boom' } } : {}));
    await store.commit(ten, m);
    await store.close();
    const text = formatStatus(await readStatus(dir, { nowSec: NOW }));
    expect(text).toBe(
      [
        `state.dir ${dir}: 1 stream, 25 domains, no gap in the ledger`,
        '',
        'tencent / prod / flux: 25 domains, checkpoints 2026-11-20T09:40:00Z..2026-11-20T09:50:00Z, 1 domain with an error',
        '  d07.example.com  checkpoint 2026-11-20T09:45:00Z',
        '    last error 2026-11-20T10:00:00Z: boom',
        '  … 24 more domains: nothing owed, no gap, no error (--json lists them all)',
        '',
      ].join('\n'),
    );
  });

  it('reads a live journal without writing anything, dropping an unfinished last line with a note', async () => {
    await populate();
    const store = new FileCheckpointStore(dir, { nowSec: () => NOW });
    await store.load(ali);
    await store.commit(ali, new Map([['b.example.com', st(NOW - 300)]]));
    appendFileSync(journalPath(dir, ali), '{"domain":"b.exa');
    const before = readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);
    const r = await readStatus(dir, { nowSec: NOW });
    expect(r.streams[0]!.domains[1]).toMatchObject({ domain: 'b.example.com', checkpoint: '2026-11-20T09:55:00Z' });
    expect(r.notes).toEqual([expect.stringMatching(/journal\.jsonl line 3: an unfinished last write/)]);
    expect(formatStatus(r)).toContain('note: state: ');
    expect(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')])).toEqual(before);
    await store.close();
  });

  it('follows a stream while it is being committed and compacted', async () => {
    const store = new FileCheckpointStore(dir, { nowSec: () => NOW }, { compactMinBytes: 0, compactRatio: 1 });
    await store.load(ten);
    let stop = false;
    const writer = (async () => {
      for (let k = 0; !stop; k++) await store.commit(ten, new Map([[`d${k % 50}.example.com`, st(NOW - 3600 + k)]]));
    })();
    try {
      let reads = 0;
      while ((store.stats.compactions < 4 || reads < 10) && reads < 1000) {
        const r = await readStatus(dir, { nowSec: NOW });
        expect(r.streams.length).toBeLessThanOrEqual(1);
        // Every domain's checkpoint only moves forward: nothing read is half a state.
        for (const d of r.streams[0]?.domains ?? []) expect(d.checkpoint! >= '2026-11-20T09:00:00Z').toBe(true);
        reads++;
      }
    } finally {
      stop = true;
      await writer;
      await store.close();
    }
    expect(store.stats.compactions).toBeGreaterThan(3);
  });
});
