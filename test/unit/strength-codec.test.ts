/** The checkpoint codec: file names, exact line encoding, and every check on the way back in. */
import { describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { DomainState } from '../../src/ports.js';
import {
  baseName,
  damaged,
  encodeDomain,
  encodeHeader,
  FUTURE_SLACK_SEC,
  journalPath,
  parseLine,
  readDomain,
  readHeader,
  remedyFor,
  show,
  snapshotPath,
  type Origin,
} from '../../src/state/codec.js';

const NOW = 1_800_000_000;
const o: Origin = { file: '/s/f', line: 7, remedy: 'REMEDY' };
const st = (finalEndSec: number, x: Partial<DomainState> = {}): DomainState => ({ finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...x });

function err(f: () => unknown): CollectorError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CollectorError);
    return e as CollectorError;
  }
  throw new Error('did not throw');
}
const says = (what: string) => `state: /s/f line 7: ${what}; REMEDY`;
const dom = (v: unknown, now = NOW) => readDomain(v, o, now);

describe('file names', () => {
  it('module.account.stream, everything but letters, digits, _ and - %-escaped as UTF-8 bytes', () => {
    const r = { module: 'huawei_cdn-1', account: 'a.b/c é', stream: 'S%' };
    expect(baseName(r)).toBe('huawei_cdn-1.a%2Eb%2Fc%20%C3%A9.S%25');
    expect(snapshotPath('/d', r)).toBe('/d/huawei_cdn-1.a%2Eb%2Fc%20%C3%A9.S%25.state.jsonl');
    expect(journalPath('/d', r)).toBe('/d/huawei_cdn-1.a%2Eb%2Fc%20%C3%A9.S%25.journal.jsonl');
    expect(baseName({ module: '\n', account: 'x', stream: 'y' })).toBe('%0A.x.y');
  });
});

describe('encoding', () => {
  it('the header', () => {
    expect(encodeHeader({ module: 'm', account: 'a', stream: 's', gen: 3 })).toBe('{"format":"cdn-origin-collector/state","version":2,"module":"m","account":"a","stream":"s","gen":3}\n');
  });

  it('a domain with every part, in its fixed order', () => {
    const s = st(NOW, {
      tail: new Map([['m|60|' + (NOW - 60), 1.5]]),
      owed: new Map([
        ['m|60|' + (NOW - 120), { reason: 'r "1"', sinceSec: NOW - 5 }],
        ['n|300|' + (NOW - 300), { reason: 'r2', sinceSec: NOW - 6 }],
      ]),
      owedWindows: [
        { fromSec: NOW - 600, toSec: NOW - 300, granularitySec: 300, reason: 'w1', sinceSec: NOW - 1 },
        { fromSec: NOW - 86400, toSec: NOW, granularitySec: 86400, alignOffsetSec: -28800, reason: 'w2', sinceSec: NOW - 2 },
      ],
      lastError: { atSec: NOW - 3, message: 'boom "x"' },
    });
    expect(encodeDomain('a.com', s)).toBe(
      `{"domain":"a.com","finalEndSec":${NOW},"tail":[["m|60",${NOW - 60},[1.5]]],` +
        `"owed":[["m|60|${NOW - 120}","r \\"1\\"",${NOW - 5}],["n|300|${NOW - 300}","r2",${NOW - 6}]],` +
        `"owedWindows":[[${NOW - 600},${NOW - 300},300,null,"w1",${NOW - 1}],[${NOW - 86400},${NOW},86400,-28800,"w2",${NOW - 2}]],` +
        `"lastError":[${NOW - 3},"boom \\"x\\""]}\n`,
    );
    expect(encodeDomain('b', st(5))).toBe('{"domain":"b","finalEndSec":5}\n');
  });

  it('the tail as runs: up to three missing buckets as nulls, four or more (or off the grid) start a new run', () => {
    const g = 60;
    const t0 = NOW - 3600;
    const tail = new Map<string, number>([
      [`a|60|${t0 + 9 * g}`, 9],
      [`a|60|${t0}`, 0],
      [`a|60|${t0 + g}`, 1],
      [`a|60|${t0 + 5 * g}`, 5], // three missing (2,3,4): same run
      [`a|60|${t0 + 9 * g + 30}`, 7], // off the grid: new run
      [`b|60|${t0}`, 2],
      [`c|60|${t0}`, 1],
      [`c|60|${t0 + 30}`, 2], // off the grid, half a bucket on: a run of its own
      [`a|60|${t0 + 20 * g}`, 20], // far: new run
    ]);
    tail.delete(`a|60|${t0 + 9 * g}`);
    tail.set(`a|60|${t0 + 10 * g}`, 10); // four missing (6..9): new run
    const line = JSON.parse(encodeDomain('d', st(NOW, { tail })));
    expect(line.tail).toEqual([
      ['a|60', t0, [0, 1, null, null, null, 5]],
      ['a|60', t0 + 9 * g + 30, [7]],
      ['a|60', t0 + 10 * g, [10]],
      ['a|60', t0 + 20 * g, [20]],
      ['b|60', t0, [2]],
      ['c|60', t0, [1]],
      ['c|60', t0 + 30, [2]],
    ]);
    const [, back] = dom(line);
    expect(back.tail).toEqual(tail);
  });

  it('refuses what could not be read back, naming it', () => {
    expect(err(() => encodeDomain('d', st(Number.NaN))).message).toBe('state: refusing to record d finalEndSec = NaN, not a finite number (a collector bug)');
    expect(err(() => encodeDomain('d', st(1, { tail: new Map([['a|60|x', 1]]) }))).message).toBe('state: refusing to record d tail key "a|60|x", not metric|intervalSec|bucketSec (a collector bug)');
    expect(err(() => encodeDomain('d', st(1, { tail: new Map([['a|60|60', Infinity]]) }))).message).toBe('state: refusing to record d tail a|60|60 = Infinity, not a finite number (a collector bug)');
    expect(err(() => encodeDomain('d', st(1, { owed: new Map([['a|60|60', { reason: 'r', sinceSec: Number.NaN }]]) }))).message).toContain('d owed a|60|60 sinceSec = NaN');
    const w = { fromSec: 0, toSec: 60, granularitySec: 60, reason: 'r', sinceSec: 1 };
    for (const [k, what] of [
      ['fromSec', 'owed window fromSec'],
      ['toSec', 'owed window toSec'],
      ['granularitySec', 'owed window granularitySec'],
      ['alignOffsetSec', 'owed window alignOffsetSec'],
      ['sinceSec', 'owed window sinceSec'],
    ] as const) {
      expect(err(() => encodeDomain('d', st(1, { owedWindows: [{ ...w, [k]: Number.NaN }] }))).message).toBe(`state: refusing to record ${what} = NaN, not a finite number (a collector bug)`);
    }
    expect(err(() => encodeDomain('d', st(1, { lastError: { atSec: Number.NaN, message: 'm' } }))).message).toContain('d lastError atSec = NaN');
  });
});

describe('messages', () => {
  it('remedy names one file, or lists several', () => {
    const tail = 'away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)';
    expect(remedyFor(['/a'])).toBe(`move the file /a ${tail}`);
    expect(remedyFor(['/a', '/b'])).toBe(`move /a and /b ${tail}`);
    expect(remedyFor(['/a', '/b', '/c'])).toBe(`move /a, /b and /c ${tail}`);
  });

  it('damaged: one line, kind state, with an optional lead to the remedy', () => {
    const e = damaged(o, 'what', 'LEAD ');
    expect([e.kind, e.message]).toEqual(['state', 'state: /s/f line 7: what; LEAD REMEDY']);
  });

  it('show: short, never a JavaScript message', () => {
    expect(show(undefined)).toBe('missing');
    expect(show(Number.NaN)).toBe('NaN');
    expect(show(-1.5)).toBe('-1.5');
    expect(show(null)).toBe('null');
    expect(show('x')).toBe('"x"');
    expect(show(10n)).toBe('10');
    expect(show(() => 1)).toBe('() => 1');
    expect(show('a'.repeat(38))).toBe(`"${'a'.repeat(38)}"`);
    expect(show('a'.repeat(39))).toBe(`"${'a'.repeat(36)}...`);
  });

  it('parseLine: JSON or "is not JSON"', () => {
    expect(parseLine('{"a":[1]}', o)).toEqual({ a: [1] });
    expect(err(() => parseLine('{', o)).message).toBe(says('is not JSON'));
  });
});

describe('readHeader', () => {
  const h = { format: 'cdn-origin-collector/state', version: 2, module: 'm', account: 'a', stream: 's', gen: 0 };
  it('reads a header, with or without the stream it must belong to', () => {
    expect(readHeader({ ...h, extra: 1 }, o)).toEqual(h);
    expect(readHeader(h, o, { module: 'm', account: 'a', stream: 's' })).toEqual(h);
  });

  it('refuses anything else in one line', () => {
    const cases: [unknown, string][] = [
      [null, 'is null a collector state header (expected {"format":"cdn-origin-collector/state",…})'],
      [[h], 'is not a collector state header (expected {"format":"cdn-origin-collector/state",…})'],
      [{ ...h, format: 'x' }, 'is not a collector state header (expected {"format":"cdn-origin-collector/state",…})'],
      [{ ...h, version: '2' }, 'format version "2" is not known to this collector (it reads version 2); upgrade the collector, or '],
      [{ ...h, module: '' }, 'header module is "", not a name'],
      [{ ...h, account: 5 }, 'header account is 5, not a name'],
      [{ ...h, stream: undefined }, 'header stream is missing, not a name'],
      [{ ...h, gen: '1' }, 'header gen is "1", not a generation number'],
      [{ ...h, gen: 1.5 }, 'header gen is 1.5, not a generation number'],
      [{ ...h, gen: 2 ** 53 }, `header gen is ${2 ** 53}, not a generation number`],
    ];
    for (const [v, what] of cases) {
      const e = err(() => readHeader(v, o));
      expect(e.message.startsWith(`state: /s/f line 7: ${what}`), `${e.message} / ${what}`).toBe(true);
    }
    for (const k of ['module', 'account', 'stream'] as const) {
      const expect2 = { module: 'm', account: 'a', stream: 's', [k]: 'z' };
      expect(err(() => readHeader(h, o, expect2)).message).toBe(says(`holds the state of m/a/s, not of ${expect2.module}/${expect2.account}/${expect2.stream} (a file copied from elsewhere?)`));
    }
  });
});

describe('readDomain', () => {
  it('times: whole, not negative, at most a day ahead of now', () => {
    expect(dom({ domain: 'd', finalEndSec: 0 })[1].finalEndSec).toBe(0);
    expect(FUTURE_SLACK_SEC).toBe(86_400);
    expect(dom({ domain: 'd', finalEndSec: NOW + 86_400 })[1].finalEndSec).toBe(NOW + 86_400);
    expect(err(() => dom({ domain: 'd', finalEndSec: NOW + 86_401 })).message).toBe(says('domain "d" finalEndSec is 2027-01-16T08:00:01Z, in the future (now 2027-01-15T08:00:00Z)'));
    expect(err(() => dom({ domain: 'd', finalEndSec: Infinity })).message).toBe(says('domain "d" finalEndSec is Infinity, not a time'));
    expect(err(() => dom({ domain: 5, finalEndSec: 1 })).message).toBe(says('domain is 5, not a domain name'));
    expect(err(() => dom({ domain: '', finalEndSec: 1 })).message).toBe(says('domain is "", not a domain name'));
    expect(err(() => dom(5)).message).toBe(says('is 5, not a domain record'));
    expect(err(() => dom('a.com')).message).toBe(says('is "a.com", not a domain record'));
  });

  it('tail: zero kept, nulls skipped by position, negative or non-numbers refused; entries of three parts', () => {
    const [, s] = dom({ domain: 'd', finalEndSec: 1, tail: [['m|60', 600, [0, null, 2]]] });
    expect(s.tail).toEqual(new Map([['m|60|600', 0], ['m|60|720', 2]]));
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [['m|60', 600, [Infinity]]] })).message).toContain('tail m|60|600 is Infinity, not a written value');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [['m|60', 600, [1], 4]] })).message).toContain('tail entry ["m|60",600,[1],4] is not ["metric|intervalSec", firstBucketSec, [values]]');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [['m|60', 600, 1]] })).message).toContain('tail entry ["m|60",600,1] is not');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [{}] })).message).toContain('tail entry {} is not');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [[5, 600, [1]]] })).message).toContain('tail series is 5, not metric|intervalSec');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [['m|60|x', 600, [1]]] })).message).toContain('tail series is "m|60|x", not metric|intervalSec');
    expect(err(() => dom({ domain: 'd', finalEndSec: 1, tail: [['|60', 600, [1]]] })).message).toContain('tail series is "|60"');
    expect(dom({ domain: 'd', finalEndSec: 1, tail: [['x m|60', 600, [1]]] })[1].tail).toEqual(new Map([['x m|60|600', 1]]));
  });

  it('owed: [key, reason, sinceSec]; owedWindows of six, ordered, whole seconds; lastError of two', () => {
    const [, s] = dom({
      domain: 'd',
      finalEndSec: 1,
      owed: [['m|60|120', 'r', 5]],
      owedWindows: [
        [0, 60, 60, null, 'w', 3],
        [60, 120, 60, -60, 'w2', 4],
      ],
      lastError: [9, 'm'],
    });
    expect(s).toEqual({
      finalEndSec: 1,
      tail: new Map(),
      owed: new Map([['m|60|120', { reason: 'r', sinceSec: 5 }]]),
      owedWindows: [
        { fromSec: 0, toSec: 60, granularitySec: 60, reason: 'w', sinceSec: 3 },
        { fromSec: 60, toSec: 120, granularitySec: 60, alignOffsetSec: -60, reason: 'w2', sinceSec: 4 },
      ],
      lastError: { atSec: 9, message: 'm' },
    });
    expect('alignOffsetSec' in s.owedWindows[0]!).toBe(false);
    expect('lastError' in dom({ domain: 'd', finalEndSec: 1 })[1]).toBe(false);
    const bad: [Record<string, unknown>, string][] = [
      [{ owed: [['m|60|120', 'r']] }, 'domain "d" owed entry ["m|60|120","r"] is not a [key, reason, sinceSec] triple'],
      [{ owed: [['m|60|120', 'r', 5, 6]] }, 'is not a [key, reason, sinceSec] triple'],
      [{ owed: ['x'] }, 'owed entry "x" is not'],
      [{ owed: [[7, 'r', 5]] }, 'domain "d" owed key is 7, not metric|intervalSec|bucketSec'],
      [{ owed: [['m|0|120', 'r', 5]] }, 'owed key is "m|0|120"'],
      [{ owed: [['m|60|', 'r', 5]] }, 'owed key is "m|60|"'],
      [{ owed: [['m|60|1|2', 'r', 5]] }, 'owed key is "m|60|1|2"'],
      [{ owed: {} }, 'domain "d" owed is {}, not a list'],
      [{ owedWindows: 'x' }, 'domain "d" owedWindows is "x", not a list'],
      [{ owedWindows: [[0, 60, 60, null, 'w', 3, 9]] }, 'owed window [0,60,60,null,"w",3,9] is not [fromSec, toSec, granularitySec, alignOffsetSec, reason, sinceSec]'],
      [{ owedWindows: [{}] }, 'owed window {} is not'],
      [{ owedWindows: [[60, 60, 60, null, 'w', 3]] }, 'owed window ends (1970-01-01T00:01:00Z) before it starts (1970-01-01T00:01:00Z)'],
      [{ owedWindows: [[-1, 60, 60, null, 'w', 3]] }, 'owed window fromSec is -1, not a time'],
      [{ owedWindows: [[0, 'x', 60, null, 'w', 3]] }, 'owed window toSec is "x", not a time'],
      [{ owedWindows: [[0, 60, 1.5, null, 'w', 3]] }, 'owed window granularitySec is 1.5, not a bucket length'],
      [{ owedWindows: [[0, 60, '60', null, 'w', 3]] }, 'owed window granularitySec is "60", not a bucket length'],
      [{ owedWindows: [[0, 60, -60, null, 'w', 3]] }, 'owed window granularitySec is -60'],
      [{ owedWindows: [[0, 60, 60, 0.5, 'w', 3]] }, 'owed window alignOffsetSec is 0.5, not whole seconds'],
      [{ owedWindows: [[0, 60, 60, '0', 'w', 3]] }, 'owed window alignOffsetSec is "0", not whole seconds'],
      [{ owedWindows: [[0, 60, 60, undefined, 'w', 3]] }, 'owed window alignOffsetSec is missing'],
      [{ owedWindows: [[0, 60, 60, null, 1, 3]] }, 'domain "d" owed window reason is 1, not a text'],
      [{ owedWindows: [[0, 60, 60, null, 'w', -3]] }, 'domain "d" owed window sinceSec is -3, not a time'],
      [{ lastError: [1] }, 'domain "d" lastError is [1], not [atSec, message]'],
      [{ lastError: [1, 'a', 'b'] }, 'lastError is [1,"a","b"], not'],
      [{ lastError: null }, 'lastError is null, not'],
      [{ lastError: ['x', 'm'] }, 'domain "d" lastError atSec is "x", not a time'],
      [{ lastError: [1, 2] }, 'domain "d" lastError message is 2, not a text'],
    ];
    for (const [extra, what] of bad) {
      const e = err(() => dom({ domain: 'd', finalEndSec: 1, ...extra }));
      expect(e.message, JSON.stringify(extra)).toContain(what.startsWith('domain') ? `line 7: ${what}` : what);
    }
    // a whole window of one bucket is fine
    expect(dom({ domain: 'd', finalEndSec: 1, owedWindows: [[0, 1, 1, 0, 'w', 0]] })[1].owedWindows).toEqual([{ fromSec: 0, toSec: 1, granularitySec: 1, alignOffsetSec: 0, reason: 'w', sinceSec: 0 }]);
  });
});
