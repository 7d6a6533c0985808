/** Test strength (issue 8): the backfill progress output, exactly, on a terminal and off one. */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/ports.js';
import { Progress } from '../../src/status/progress.js';

function make(tty: boolean) {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, sleep: async () => {} };
  const out: string[] = [];
  const p = new Progress(tty, (s) => out.push(s), clock);
  return { p, out, advance: (ms: number) => (now += ms) };
}

describe('Progress', () => {
  it('plain lines: one per 5 %, ETA from the elapsed time (s, m+s, h+m), -- before any work', () => {
    const { p, out, advance } = make(false);
    p.start();
    p.grow(100);
    p.tick('aliyun S1', 0);
    expect(out).toEqual(['backfill: 0/100 windows (0%) ETA -- aliyun S1\n']);
    advance(10_000);
    p.tick('a', 5); // 5 % in 10 s: 190 s left
    p.tick('a', 1); // still the 5 % bucket: nothing
    expect(out.slice(1)).toEqual(['backfill: 5/100 windows (5%) ETA 3m10s a\n']);
    advance(8_000);
    p.tick('a', 4); // 10 % after 18 s: 162 s left
    expect(out.at(-1)).toBe('backfill: 10/100 windows (10%) ETA 2m42s a\n');
    advance(7200_000);
    p.tick('a', 5); // 15 % after 7,218 s: 40,902 s left
    expect(out.at(-1)).toBe('backfill: 15/100 windows (15%) ETA 11h21m a\n');
    p.tick('a', 85);
    expect(out.at(-1)).toBe('backfill: 100/100 windows (100%) ETA 0s a\n');
    const n = out.length;
    p.done();
    p.around(() => out.push('line'));
    expect(out.slice(n)).toEqual(['line']);
  });

  it('never more than 100 % when more is done than planned; no total means 0 % and no ETA', () => {
    const { p, out } = make(false);
    p.start();
    p.tick('x');
    expect(out).toEqual(['backfill: 1/0 windows (0%) ETA -- x\n']);
    p.grow(1);
    p.tick('x', 2);
    expect(out.at(-1)).toBe('backfill: 3/1 windows (100%) ETA 0s x\n');
  });

  it('on a terminal: one redrawn bar; lines in between take it off and put it back; done ends it with a newline', () => {
    const { p, out, advance } = make(true);
    p.start();
    p.around(() => out.push('before any bar'));
    expect(out).toEqual(['before any bar']);
    p.grow(4);
    advance(3000);
    p.tick('tencent flux');
    const bar = `\r[########......................] 25% 1/4 windows ETA 9s tencent flux`.padEnd(110);
    expect(out.at(-1)).toBe(bar);
    p.around(() => out.push('a log line\n'));
    expect(out.slice(-3)).toEqual(['\r\x1b[K', 'a log line\n', bar]);
    p.done();
    expect(out.at(-1)).toBe('\n');
    const n = out.length;
    p.done();
    p.around(() => out.push('after'));
    expect(out.slice(n)).toEqual(['after']);
  });
});
