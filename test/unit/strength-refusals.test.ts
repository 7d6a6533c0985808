/**
 * More edges of InfluxDB refusal reading (src/sink/refusals.ts), beyond strength-line.test.ts: a quoted
 * 1.x line that itself holds `': ` (a string field), multi-digit line numbers and dropped counts,
 * out-of-range line numbers from each dialect, and a 3.x `data: null`.
 */
import { describe, expect, it } from 'vitest';
import { readRefusal } from '../../src/sink/refusals.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `cdn_origin,domain=d${i}.com value=${i} 1800000000`);

describe('1.x unable to parse', () => {
  it("a string field holding `': ` is matched at the quote that ends a sent line, not the first one", () => {
    const sent = ['m,domain=a.com msg="it\': broke" 1', 'm,domain=a.com value=1 1'];
    const r = readRefusal(JSON.stringify({ error: `partial write: unable to parse '${sent[0]}': invalid field format dropped=0` }), sent);
    expect([...r.lines]).toEqual([[0, 'invalid field format']]);
    expect(r.all).toBe(false);
  });

  it('the reason loses a trailing dropped=N of any length', () => {
    const sent = lines(20);
    const body = JSON.stringify({ error: `partial write: unable to parse '${sent[3]}': invalid number dropped=12` });
    const r = readRefusal(body, sent);
    expect([...r.lines]).toEqual([[3, 'invalid number']]);
    expect(r.all).toBe(false);
  });

  it('one line of the message per refused line, each with its own reason', () => {
    const sent = lines(3);
    const body = JSON.stringify({ error: `unable to parse '${sent[0]}': bad timestamp\nunable to parse '${sent[2]}': missing fields` });
    expect([...readRefusal(body, sent).lines]).toEqual([
      [0, 'bad timestamp'],
      [2, 'missing fields'],
    ]);
  });
});

describe('line numbers', () => {
  it('two-digit 1-based numbers (IOx) name the right line', () => {
    const sent = lines(15);
    const r = readRefusal('errors encountered on line(s):\nerror parsing line 12 (1-based): Invalid measurement\nerror parsing line 3 (1-based): No fields', sent);
    expect([...r.lines]).toEqual([
      [11, 'Invalid measurement'],
      [2, 'No fields'],
    ]);
  });

  it('a number one past the last line sent names nothing, in text and in a 3.x list', () => {
    const sent = lines(4);
    expect(readRefusal('error parsing line 5 (1-based): x', sent).lines.size).toBe(0);
    expect(readRefusal(JSON.stringify({ error: 'partial write of line protocol occurred', data: [{ line_number: 5, error_message: 'x' }, { line_number: 0, error_message: 'y' }] }), sent).lines.size).toBe(0);
    const last = readRefusal('error parsing line 4 (1-based): x', sent);
    expect([...last.lines]).toEqual([[3, 'x']]);
  });
});

describe('3.x JSON', () => {
  it('data: null names nothing and the message is still the error text, not the whole body', () => {
    const r = readRefusal(JSON.stringify({ error: 'partial write of line protocol occurred', data: null }), lines(2));
    expect(r.lines.size).toBe(0);
    expect(r.message).toBe('partial write of line protocol occurred');
    // The error text is read as text (its own newlines and quotes), not as the JSON that carried it.
    const sent = ['m,domain=a.com msg="x" 1', 'm,domain=b.com msg="y" 1', 'm value=1 1'];
    const two = readRefusal(JSON.stringify({ error: `unable to parse '${sent[0]}': bad string\nunable to parse '${sent[1]}': bad too`, data: null }), sent);
    expect([...two.lines]).toEqual([
      [0, 'bad string'],
      [1, 'bad too'],
    ]);
  });

  it('a 2.x message is read when there is no error field', () => {
    const sent = lines(2);
    const r = readRefusal(JSON.stringify({ code: 'invalid', message: `unable to parse '${sent[1]}': bad` }), sent);
    expect([...r.lines]).toEqual([[1, 'bad']]);
    expect(r.message).toBe(`unable to parse '${sent[1]}': bad`);
  });
});
