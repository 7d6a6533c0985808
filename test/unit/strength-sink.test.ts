/**
 * Pins how InfluxSink.write (src/sink/sink.ts) turns encoded parts into request bodies (whole parts
 * joined up to batchSize lines, a larger part cut at line ends, empty parts skipped), how it settles
 * refusals (the blind-refusal limit, 413 halves) and what SinkStopped counts, against a local
 * node:http server that records every body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { Sample } from '../../src/kernel/schema.js';
import type { Clock, EncodedPoints } from '../../src/ports.js';
import { InfluxSink, SinkStopped, type SinkOptions } from '../../src/sink/sink.js';

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.t += Math.max(0, ms);
  }
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function fake(answer: (body: string) => [number, string?, Record<string, string>?]): Promise<{ url: string; bodies: string[]; heads: string[] }> {
  const bodies: string[] = [];
  const heads: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      heads.push(`${req.method} ${req.headers['content-type']}`);
      const [status, text, headers] = answer(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, heads };
}

const T0 = 1_790_000_000;
const owner = { vendor: 'aliyun', account: 'default' };
/** n samples of domain d, values from v0: each line is recognisable in a body by `domain=d` and its value. */
const samples = (d: string, n: number, v0 = 0): Sample[] => Array.from({ length: n }, (_, i) => ({ domain: d, metric: 'requests', intervalSec: 60, tsSec: T0 + i * 60, value: v0 + i }));

function newSink(url: string, o: Partial<SinkOptions> = {}): InfluxSink {
  return new InfluxSink({ apiVersion: 1, url, database: 'cdn' }, { measurement: 'm', retryMaxMs: 0, requestDeadlineMs: 2000, ...o }, { clock: new ManualClock(), random: () => 0.5 });
}

/** The body's lines as `domain:value`. */
const names = (body: string) => body.split('\n').map((l) => `${/domain=([^,]+)/.exec(l)![1]}:${/value=(\S+)/.exec(l)![1]}`);
const expectLines = (d: string, n: number, v0 = 0) => Array.from({ length: n }, (_, i) => `${d}:${v0 + i}`);

describe('bodies of about batchSize lines', () => {
  it('whole parts are joined while they fit (a body of exactly batchSize included); the next one starts a new body', async () => {
    const f = await fake(() => [204]);
    const s = newSink(f.url, { batchSize: 4 });
    const parts = [s.encode(owner, samples('a', 2)), s.encode(owner, samples('b', 2)), s.encode(owner, samples('c', 3)), s.encode(owner, samples('d', 1))];
    expect(await s.write(parts)).toEqual({ written: 8, refused: [] });
    expect(f.heads).toEqual(['POST text/plain; charset=utf-8', 'POST text/plain; charset=utf-8']);
    expect(f.bodies.map(names)).toEqual([
      [...expectLines('a', 2), ...expectLines('b', 2)],
      [...expectLines('c', 3), ...expectLines('d', 1)],
    ]);
  });

  it('a part of no points adds nothing, not even an empty line', async () => {
    const f = await fake(() => [204]);
    const s = newSink(f.url, { batchSize: 4 });
    const parts = [s.encode(owner, []), s.encode(owner, samples('a', 2)), s.encode(owner, []), s.encode(owner, samples('b', 1))];
    expect(await s.write(parts)).toEqual({ written: 3, refused: [] });
    expect(f.bodies).toHaveLength(1);
    expect(f.bodies[0]!.split('\n')).toHaveLength(3);
    expect(names(f.bodies[0]!)).toEqual([...expectLines('a', 2), 'b:0']);
    const g = await fake(() => [204]);
    const t = newSink(g.url);
    expect(await t.write([t.encode(owner, [])])).toEqual({ written: 0, refused: [] });
    expect(await t.write([])).toEqual({ written: 0, refused: [] });
    expect(g.bodies).toEqual([]);
  });

  it('a part larger than batchSize is cut at line ends; its remainder is joined with the next part', async () => {
    const f = await fake(() => [204]);
    const s = newSink(f.url, { batchSize: 4 });
    const parts = [s.encode(owner, samples('a', 3)), s.encode(owner, samples('b', 10)), s.encode(owner, samples('c', 2)), s.encode(owner, samples('d', 8)), s.encode(owner, samples('e', 1))];
    expect(await s.write(parts)).toEqual({ written: 24, refused: [] });
    expect(f.bodies.map(names)).toEqual([
      expectLines('a', 3),
      expectLines('b', 4),
      expectLines('b', 4, 4),
      [...expectLines('b', 2, 8), ...expectLines('c', 2)],
      expectLines('d', 4),
      expectLines('d', 4, 4),
      expectLines('e', 1),
    ]);
  });

  it('parts not made by this sink are refused by type', async () => {
    const f = await fake(() => [204]);
    const s = newSink(f.url);
    const foreign: EncodedPoints = { count: 1 };
    await expect(s.write([foreign])).rejects.toThrow(new TypeError('InfluxSink.write: parts must come from its own encode()'));
    expect(f.bodies).toEqual([]);
  });

  it('parts are sent as their UTF-8 bytes: content-length counts bytes, multi-byte tags arrive whole, a refused one is named', async () => {
    const got: { length: number; bytes: Buffer }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const bytes = Buffer.concat(chunks);
        got.push({ length: Number(req.headers['content-length']), bytes });
        const lines = bytes.toString('utf8').split('\n');
        const bad = lines.findIndex((l) => l.includes('value=1 '));
        if (bad < 0 || got.length > 1) return void res.writeHead(204).end();
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `partial write: unable to parse '${lines[bad]}': bad dropped=1` }));
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = newSink(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { batchSize: 10 });
    const who = { vendor: 'aliyun', account: '运维 ünits' };
    const r = await s.write([s.encode(who, samples('a', 2)), s.encode(who, samples('b', 1))]);
    expect(r.written).toBe(2);
    expect(r.refused.map((x) => [x.point.account, x.point.domain, x.point.value])).toEqual([['运维 ünits', 'a', 1]]);
    for (const g of got) expect(g.length).toBe(g.bytes.length);
    const first = got[0]!.bytes.toString('utf8').split('\n');
    expect(first.map((l) => /account=([^,]+)/.exec(l)![1])).toEqual(['运维\\ ünits', '运维\\ ünits', '运维\\ ünits']);
    expect(first.map((l) => /domain=([^,]+)/.exec(l)![1])).toEqual(['a', 'a', 'b']);
  });

  it('a foreign part after good ones: refused before anything is sent, not half-written', async () => {
    const f = await fake(() => [204]);
    const s = newSink(f.url, { batchSize: 2 });
    const foreign: EncodedPoints = { count: 1 };
    await expect(s.write([s.encode(owner, samples('a', 2)), s.encode(owner, samples('b', 2)), foreign])).rejects.toThrow(TypeError);
    expect(f.bodies).toEqual([]);
  });

  it('with bodies prepared ahead, a batch answered 413 is settled (halves) before the next is sent, in order', async () => {
    let n = 0;
    const f = await fake(() => (n++ === 0 ? [413] : [204]));
    const s = newSink(f.url, { batchSize: 2 });
    expect(await s.write([s.encode(owner, samples('a', 2)), s.encode(owner, samples('b', 2)), s.encode(owner, samples('c', 1))])).toEqual({ written: 5, refused: [] });
    expect(f.bodies.map(names)).toEqual([expectLines('a', 2), expectLines('a', 1), expectLines('a', 1, 1), expectLines('b', 2), expectLines('c', 1)]);
  });
});

describe('refusals', () => {
  it('a 400 naming no line, point after point: after 16 refused alone the rest of the batch is refused without asking', async () => {
    const f = await fake(() => [400, JSON.stringify({ error: 'invalid precision' })]);
    const s = newSink(f.url, { batchSize: 64 });
    const r = await s.write([s.encode(owner, samples('a', 64))]);
    expect(r.written).toBe(0);
    expect(r.refused.map((x) => x.point.value)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(new Set(r.refused.map((x) => x.reason))).toEqual(new Set(['HTTP 400: invalid precision']));
    // The search: 64, 32, then the whole tree over the first 16 points (16, 2×8, 4×4, 8×2, 16×1);
    // after the 16th single refused nothing more is sent.
    expect(f.bodies.filter((b) => !b.includes('\n')).map((b) => names(b)[0])).toEqual(expectLines('a', 16));
    expect(f.bodies.map((b) => b.split('\n').length)).toEqual([64, 32, 16, 8, 4, 2, 1, 1, 2, 1, 1, 4, 2, 1, 1, 2, 1, 1, 8, 4, 2, 1, 1, 2, 1, 1, 4, 2, 1, 1, 2, 1, 1]);
  });

  it('a 400 without a reason names it so', async () => {
    const f = await fake(() => [400]);
    const s = newSink(f.url);
    const r = await s.write([s.encode(owner, samples('a', 1))]);
    expect(r.refused.map((x) => x.reason)).toEqual(['HTTP 400: refused without a reason']);
  });

  it('a success between blind refusals resets the count: later refused points are still searched one by one', async () => {
    // Every odd value refused without a line named: never 16 in a row with the evens written between.
    const f = await fake((b) => (b.split('\n').some((l) => / value=\d*[13579] /.test(l)) ? [400, JSON.stringify({ error: 'nope' })] : [204]));
    const s = newSink(f.url, { batchSize: 40 });
    const r = await s.write([s.encode(owner, samples('a', 40))]);
    expect(r.written).toBe(20);
    expect(r.refused.map((x) => x.point.value)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    // each refused point was sent alone (no blanket refusal)
    expect(f.bodies.filter((b) => !b.includes('\n') && / value=\d*[13579] /.test(b))).toHaveLength(20);
  });
});

describe('SinkStopped', () => {
  it('counts the unsent points of every part, and what was written before the stop', async () => {
    const ac = new AbortController();
    const f = await fake(() => {
      ac.abort();
      return [204];
    });
    const s = newSink(f.url, { batchSize: 3 });
    const parts = [s.encode(owner, samples('a', 2)), s.encode(owner, samples('b', 2)), s.encode(owner, samples('c', 5))];
    const e = await s.write(parts, ac.signal).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SinkStopped);
    const st = e as SinkStopped;
    expect(st.kind).toBe('stopped');
    expect(st.name).toBe('SinkStopped');
    expect(st.result).toEqual({ written: 2, refused: [] });
    expect(st.unsent).toBe(7);
    expect(st.message).toBe('influx: stopped before 7 points were sent');
    expect(f.bodies).toHaveLength(1);
  });
});

describe('answers and retries', () => {
  function watched(url: string, o: Partial<SinkOptions> = {}) {
    const clock = new ManualClock();
    clock.t = 1_000_000;
    const reported: string[] = [];
    const events: string[] = [];
    const s = new InfluxSink({ apiVersion: 1, url, database: 'cdn' }, { measurement: 'm', retryMaxMs: 1000, requestDeadlineMs: 2000, ...o }, {
      clock,
      random: () => 0.5,
      report: (l) => reported.push(l),
      telemetry: { onWrite: (n, ms, ok) => events.push(`write ${n} ${ms} ${ok}`), onSinkState: (ok, e) => events.push(`state ${ok}${e ? ` ${e}` : ''}`) },
    });
    return { s, clock, reported, events };
  }

  it('any 2xx is a success, told to telemetry with the point count', async () => {
    const f = await fake(() => [200, '{}']);
    const { s, events } = watched(f.url);
    expect(await s.write([s.encode(owner, samples('a', 3))])).toEqual({ written: 3, refused: [] });
    expect(events).toEqual(['write 3 0 true', 'state true']);
  });

  it('a failing answer is told to telemetry as a failed write; 408 is retried like a 5xx', async () => {
    let n = 0;
    const f = await fake(() => (++n === 1 ? [408] : [204]));
    const { s, events, reported } = watched(f.url);
    expect(await s.write([s.encode(owner, samples('a', 2))])).toEqual({ written: 2, refused: [] });
    expect(events).toEqual(['write 2 0 false', 'write 2 0 true', 'state true']);
    expect(reported).toEqual([`influx: ${f.url} answered HTTP 408: (no body); retrying in 0.4 s`]);
  });

  it('another 4xx fails at once, not retried, naming the status', async () => {
    const f = await fake(() => [418, JSON.stringify({ error: 'teapot' })]);
    const { s, events } = watched(f.url, { retryMaxMs: 60_000 });
    const e = await s.write([s.encode(owner, samples('a', 1))]).then(() => undefined, (x: unknown) => x as CollectorError);
    expect(e).toBeInstanceOf(CollectorError);
    expect(e!.kind).toBe('sink_server');
    expect(e!.message).toBe(`influx: ${f.url} answered HTTP 418: teapot`);
    expect(f.bodies).toHaveLength(1);
    expect(events).toEqual(['write 1 0 false', `state false influx: ${f.url} answered HTTP 418: teapot`]);
  });

  it('the last wait is cut to what is left of retryMaxMs, and the write fails when it is used up', async () => {
    const f = await fake(() => [503]);
    const { s, clock, reported } = watched(f.url, { retryMaxMs: 1000 });
    const e = await s.write([s.encode(owner, samples('a', 1))]).then(() => undefined, (x: unknown) => x as CollectorError);
    expect(e!.kind).toBe('sink_server');
    expect(e!.message).toBe(`influx: ${f.url} answered HTTP 503: (no body)`);
    // 375 ms (half jitter of 500), then 750 cut to the 625 left, then the deadline.
    expect(reported).toEqual([`influx: ${f.url} answered HTTP 503: (no body); retrying in 0.4 s`, `influx: ${f.url} answered HTTP 503: (no body); retrying in 0.6 s`]);
    expect(clock.now()).toBe(1_001_000);
    expect(f.bodies).toHaveLength(3);
  });

  it('a Retry-After that ends exactly at retryMaxMs is still waited for', async () => {
    let n = 0;
    const f = await fake(() => (++n === 1 ? [429, '', { 'retry-after': '7' }] : [204]));
    const { s, clock } = watched(f.url, { retryMaxMs: 7000 });
    expect(await s.write([s.encode(owner, samples('a', 1))])).toEqual({ written: 1, refused: [] });
    expect(clock.now()).toBe(1_007_000);
    expect(f.bodies).toHaveLength(2);
  });

  it('a stop while waiting to retry ends the write as stopped, nothing written', async () => {
    const ac = new AbortController();
    const f = await fake(() => [503]);
    const clock = new ManualClock();
    clock.sleep = async (_ms: number, signal?: AbortSignal) => {
      ac.abort();
      if (signal?.aborted) throw new Error('aborted');
    };
    const s = new InfluxSink({ apiVersion: 1, url: f.url, database: 'cdn' }, { measurement: 'm', retryMaxMs: 60_000 }, { clock, random: () => 0.5 });
    const e = await s.write([s.encode(owner, samples('a', 2))], ac.signal).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(SinkStopped);
    expect((e as SinkStopped).unsent).toBe(2);
    expect(f.bodies).toHaveLength(1);
  });
});

describe('more answers (strength)', () => {
  it('a 3xx is not a success: it fails at once; a sink without telemetry fails the same', async () => {
    const f = await fake(() => [300, JSON.stringify({ error: 'moved' })]);
    const s = newSink(f.url, { retryMaxMs: 60_000 });
    const e = await s.write([s.encode(owner, samples('a', 1))]).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(CollectorError);
    expect((e as CollectorError).message).toBe(`influx: ${f.url} answered HTTP 300: moved`);
    expect(f.bodies).toHaveLength(1);
  });

  it('unreachable: told to telemetry as a failed write', async () => {
    const f = await fake(() => [204]);
    for (const srv of servers.splice(0)) await new Promise((r) => srv.close(r));
    const events: string[] = [];
    const clock = new ManualClock();
    clock.t = 5000;
    const s = new InfluxSink({ apiVersion: 1, url: f.url, database: 'cdn' }, { measurement: 'm', retryMaxMs: 0 }, { clock, telemetry: { onWrite: (n, ms, ok) => events.push(`write ${n} ${ms} ${ok}`) } });
    const e = await s.write([s.encode(owner, samples('a', 2))]).then(() => undefined, (x: unknown) => x as CollectorError);
    expect(e!.kind).toBe('sink_unreachable');
    expect(events).toEqual(['write 2 0 false']);
  });

  it('dropped=N for all lines with no cause: all refused with that message in one request', async () => {
    const f = await fake((b) => [400, JSON.stringify({ error: `dropped=${b.split('\n').length}` })]);
    const s = newSink(f.url);
    const r = await s.write([s.encode(owner, samples('a', 4))]);
    expect(r.written).toBe(0);
    expect(r.refused.map((x) => x.reason)).toEqual(Array(4).fill('HTTP 400: dropped=4'));
    expect(f.bodies).toHaveLength(1);
  });

  it('a stop after a refusal was settled: SinkStopped counts the refused and resent points as settled', async () => {
    const ac = new AbortController();
    let n = 0;
    const f = await fake((b) => {
      n++;
      const lines = b.split('\n');
      if (n === 1) return [400, JSON.stringify({ error: `partial write: unable to parse '${lines[1]}': bad timestamp dropped=0` })];
      ac.abort();
      return [204];
    });
    const s = newSink(f.url, { batchSize: 3 });
    const e = await s.write([s.encode(owner, samples('a', 5))], ac.signal).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(SinkStopped);
    const st = e as SinkStopped;
    expect(st.result.written).toBe(2);
    expect(st.result.refused.map((x) => x.point.value)).toEqual([1]);
    expect(st.unsent).toBe(2);
    expect(f.bodies.map((b) => b.split('\n').length)).toEqual([3, 2]);
  });

  it('a stop during a failed request: no retry notice, no wait', async () => {
    const ac = new AbortController();
    const f = await fake(() => {
      ac.abort();
      return [503];
    });
    const reported: string[] = [];
    const clock = new ManualClock();
    const s = new InfluxSink({ apiVersion: 1, url: f.url, database: 'cdn' }, { measurement: 'm', retryMaxMs: 60_000 }, { clock, random: () => 0.5, report: (l) => reported.push(l) });
    const e = await s.write([s.encode(owner, samples('a', 1))], ac.signal).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(SinkStopped);
    expect(reported).toEqual([]);
    expect(clock.now()).toBe(0);
  });
});
