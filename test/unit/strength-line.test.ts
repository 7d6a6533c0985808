/**
 * Pins the line encoder (src/sink/line.ts): escaping of tags and measurement, the float literal, tag
 * order, and the remembered series (a point of another series never inherits the previous prefix),
 * and how InfluxDB refusals name lines (src/sink/refusals.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Point } from '../../src/kernel/schema.js';
import { decodeLine, escapeMeasurement, escapeTag, formatFloat, LineEncoder, toLine } from '../../src/sink/line.js';
import { readRefusal } from '../../src/sink/refusals.js';

const base: Point = { vendor: 'aliyun', account: 'default', domain: 'a.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: 1_800_000_000, value: 1.5 };

describe('escaping', () => {
  it('tag values: comma, equals sign, space and backslash get a backslash; a newline becomes \\n', () => {
    expect(escapeTag('a,b=c d\\e')).toBe('a\\,b\\=c\\ d\\\\e');
    expect(escapeTag('x\ny')).toBe('x\\ny');
    expect(escapeTag('x\\')).toBe('x\\\\');
    expect(escapeTag('=')).toBe('\\=');
    expect(escapeTag(' ')).toBe('\\ ');
    expect(escapeTag('plain.example.com')).toBe('plain.example.com');
  });

  it('the measurement: comma, space, backslash and newline, but not the equals sign', () => {
    expect(escapeMeasurement('cdn origin,x')).toBe('cdn\\ origin\\,x');
    expect(escapeMeasurement('a=b')).toBe('a=b');
    expect(escapeMeasurement('a\\b')).toBe('a\\\\b');
    expect(escapeMeasurement('a\nb')).toBe('a\\nb');
    expect(escapeMeasurement('a\n b')).toBe('a\\n\\ b');
  });

  it('floats: a bare number literal, never an integer suffix, exponent kept', () => {
    expect(formatFloat(1)).toBe('1');
    expect(formatFloat(0.1)).toBe('0.1');
    expect(formatFloat(1e21)).toBe('1e+21');
    expect(formatFloat(1234567.25)).toBe('1234567.25');
  });
});

describe('lines', () => {
  it('tags in key order, area only when set, value and second timestamp', () => {
    expect(toLine('cdn_origin', base)).toBe('cdn_origin,account=default,domain=a.com,interval=300,metric=traffic_bytes,vendor=aliyun value=1.5 1800000000');
    expect(toLine('m x', { ...base, vendor: 'tencent', area: 'over seas', domain: 'd,1' })).toBe('m\\ x,account=default,area=over\\ seas,domain=d\\,1,interval=300,metric=traffic_bytes,vendor=tencent value=1.5 1800000000');
    expect(toLine('m', { ...base, account: 'a=b', metric: 'status_2xx', vendor: 'v v' })).toBe('m,account=a\\=b,domain=a.com,interval=300,metric=status_2xx,vendor=v\\ v value=1.5 1800000000');
  });

  it('a sample of another series never reuses the previous series prefix (domain, metric and interval each count)', () => {
    const variants: Point[] = [
      { ...base, domain: 'b.com' },
      { ...base, metric: 'requests' },
      { ...base, intervalSec: 60 },
    ];
    for (const v of variants) {
      const e = new LineEncoder('m');
      expect(e.encode(base, [base, v, base]).text.split('\n')).toEqual([toLine('m', base), toLine('m', v), toLine('m', base)]);
    }
  });

  it('the owner (vendor, account, area) is written into every line; the count is the number of lines', () => {
    const e = new LineEncoder('m');
    const pts = [base, { ...base, tsSec: base.tsSec + 300, value: 2 }, { ...base, tsSec: base.tsSec + 600, value: 3e-7 }];
    const owner = { vendor: 'tencent', account: 'ops', area: 'overseas' };
    const out = e.encode(owner, pts);
    expect(out.count).toBe(3);
    expect(out.text.split('\n')).toEqual(pts.map((p) => toLine('m', { ...p, ...owner })));
    expect(e.encode(owner, [])).toMatchObject({ text: '', count: 0 });
  });

  it('decodeLine reads back every field of a line, escapes included; a foreign line is undefined', () => {
    const odd: Point = { ...base, vendor: 'v v', account: 'a=b,c', area: 'over seas', domain: 'd\\x', metric: 'status_2xx', value: 1e21 };
    for (const p of [base, odd, { ...base, value: 0.1, tsSec: 1 }]) expect(decodeLine(toLine('m x', p))).toEqual(p);
    expect(decodeLine('m value=1 1')).toBeUndefined();
    expect(decodeLine('m,vendor=a,account=b,domain=c,metric=d,interval=x value=1 1')).toBeUndefined();
    expect(decodeLine('not a line')).toBeUndefined();
  });

  it('decodeLine: a newline escaped in a tag comes back as a newline; no area key without an area', () => {
    const nl: Point = { ...base, domain: 'a\nb', account: 'x\ny' };
    expect(decodeLine(toLine('m', nl))).toStrictEqual(nl);
    expect(decodeLine(toLine('m', base))).toStrictEqual(base);
    expect('area' in decodeLine(toLine('m', base))!).toBe(false);
    expect(decodeLine(toLine('m', { ...base, area: 'overseas' }))?.area).toBe('overseas');
  });

  it('decodeLine refuses a line missing any of vendor, account, domain, metric, an integer interval or timestamp', () => {
    const line = toLine('m', base);
    expect(decodeLine(line)).toStrictEqual(base);
    for (const tag of ['vendor=aliyun', 'account=default', 'domain=a.com', 'metric=traffic_bytes', 'interval=300']) {
      const cut = line.replace(`,${tag}`, '');
      expect(cut, tag).not.toBe(line);
      expect(decodeLine(cut), tag).toBeUndefined();
    }
    expect(decodeLine(line.replace(' 1800000000', ' 1800000000.5'))).toBeUndefined();
    expect(decodeLine(line.replace('interval=300', 'interval=3.5'))).toBeUndefined();
  });

  it('decodeLine refuses a line with a fourth part or a tag that is not one key=value', () => {
    const line = toLine('m', base);
    expect(decodeLine(`${line} 7`)).toBeUndefined();
    expect(decodeLine(line.replace(',domain=a.com', ',domain=a.com,stray'))).toBeUndefined();
    expect(decodeLine(line.replace('domain=a.com', 'domain=a=b'))).toBeUndefined();
  });

  it('decodeLine: a field other than value reads as NaN, not as a number', () => {
    const p = decodeLine(toLine('m', base).replace(' value=1.5 ', ' other=1.5 '));
    expect(p).toBeDefined();
    expect(p!.value).toBeNaN();
    expect(decodeLine(toLine('m', base).replace(' value=1.5 ', ' value=2 '))!.value).toBe(2);
  });
});

describe('refusals', () => {
  const sent = ['l0 value=1 1', 'l1 value=x 1', 'l2 value=2 1', 'l1 value=x 1'];

  it('1.x: each quoted line, by its text (every copy), with the reason; dropped=0 is not "all"', () => {
    const r = readRefusal(JSON.stringify({ error: "partial write: unable to parse 'l1 value=x 1': invalid number dropped=0" }), sent);
    expect([...r.lines]).toEqual([
      [1, 'invalid number'],
      [3, 'invalid number'],
    ]);
    expect(r.all).toBe(false);
    expect(r.message).toBe("partial write: unable to parse 'l1 value=x 1': invalid number dropped=0");
  });

  it("a quoted line that itself holds `': ` is matched at the end that names a sent line", () => {
    const odd = ["m,domain=a':\\ b value=1 1", 'm value=2 1'];
    const r = readRefusal(`unable to parse '${odd[0]}': bad tag`, odd);
    expect([...r.lines]).toEqual([[0, 'bad tag']]);
    expect(readRefusal("unable to parse 'nothing sent': x", odd).lines.size).toBe(0);
  });

  it('storage refusal naming no line, dropped=N for all lines: every line refused with the cause', () => {
    const r = readRefusal(JSON.stringify({ code: 'invalid', message: 'failure writing points to database: partial write: field type conflict dropped=4' }), sent);
    expect(r.all).toBe(true);
    expect([...r.lines.values()]).toEqual(['field type conflict', 'field type conflict', 'field type conflict', 'field type conflict']);
    const fewer = readRefusal('partial write: points beyond retention policy dropped=3', sent);
    expect(fewer.all).toBe(false);
    expect(fewer.lines.size).toBe(0);
    const noCause = readRefusal('dropped=4', sent);
    expect(noCause.all).toBe(true);
    expect(noCause.lines.size).toBe(0);
  });

  it('IOx: 1-based line numbers; out-of-range numbers ignored; the first reason for a line wins', () => {
    const r = readRefusal('errors encountered on line(s):\nerror parsing line 2 (1-based): Invalid\nline 9: out\nerror parsing line 2 (1-based): again', sent);
    expect([...r.lines]).toEqual([[1, 'Invalid']]);
    expect(readRefusal('line 0: zero', sent).lines.size).toBe(0);
    expect(readRefusal('inline 3: no', sent).lines.size).toBe(0);
    expect([...readRefusal('at:line 3: yes', sent).lines]).toEqual([[2, 'yes']]);
  });

  it('3.x: data[] by line_number, else by original_line; a single object; a missing reason is "refused"', () => {
    const r = readRefusal(JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ original_line: 'cut…', line_number: 3, error_message: 'bad' }, { original_line: 'l0 value=1 1' }, { line_number: 2.5, original_line: 'nope' }] }), sent);
    expect([...r.lines]).toEqual([
      [2, 'bad'],
      [0, 'refused'],
    ]);
    expect(r.message).toBe('partial write of line protocol occurred');
    const one = readRefusal(JSON.stringify({ error: 'parsing failed for write_lp endpoint', data: { line_number: 1, error_message: 'x' } }), sent);
    expect([...one.lines]).toEqual([[0, 'x']]);
    expect(readRefusal(JSON.stringify({ data: 'str' }), sent).lines.size).toBe(0);
  });

  it('all lines named is "all"; the message is one scrubbed line', () => {
    const two = ['a 1', 'b 2'];
    const r = readRefusal('line 1: x\nline 2: y', two);
    expect(r.all).toBe(true);
    expect(readRefusal('line 1: x', two).all).toBe(false);
    expect(readRefusal(JSON.stringify({ error: 'token s3cr3t refused' }), two, ['s3cr3t']).message).not.toContain('s3cr3t');
    expect(readRefusal('null', two).message).toBe('null');
  });
});
