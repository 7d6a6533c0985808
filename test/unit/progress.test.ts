import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/status/progress.js';
import { ManualClock } from '../support/fakes.js';

describe('backfill progress', () => {
  it('on a terminal, a line written while the bar is drawn takes the bar off first and draws it again after', () => {
    const out: string[] = [];
    const p = new Progress(true, (s) => out.push(s), new ManualClock(0));
    p.start();
    p.grow(4);
    p.tick('aliyun x', 1);
    const bar = out.at(-1)!;
    expect(bar).toMatch(/^\r\[#+\.+\] 25% 1\/4 windows/);
    p.around(() => out.push('aliyun x a.example.com: Malformed …\n'));
    expect(out.slice(-3)).toEqual(['\r\x1b[K', 'aliyun x a.example.com: Malformed …\n', bar]);
    p.done();
    expect(out.at(-1)).toBe('\n');
    // After the bar is done, lines are written as they are.
    p.around(() => out.push('later\n'));
    expect(out.at(-1)).toBe('later\n');
  });

  it('off a terminal, plain lines, at most one per 5%, and nothing is taken off', () => {
    const out: string[] = [];
    const p = new Progress(false, (s) => out.push(s), new ManualClock(0));
    p.start();
    p.grow(100);
    for (let i = 0; i < 100; i++) p.tick('t', 1);
    expect(out.length).toBe(21);
    expect(out.every((l) => l.startsWith('backfill: ') && l.endsWith('\n'))).toBe(true);
    p.around(() => out.push('x\n'));
    expect(out.at(-1)).toBe('x\n');
  });
});
