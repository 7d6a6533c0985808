/**
 * The write path against local fake InfluxDB servers that answer as 1.x, 2.x (OSS and Cloud/IOx)
 * and 3.x do: each status and body shape, partial writes with what the server really stored,
 * deadlines, body caps, messages and the stop signal.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import type { Point } from '../../src/kernel/schema.js';
import type { Clock } from '../../src/ports.js';
import { oneLine, printableUrl, scrub } from '../../src/sink/http.js';
import { toLine } from '../../src/sink/line.js';
import { InfluxSink, SinkStopped, type InfluxTarget, type SinkOptions } from '../../src/sink/sink.js';
import { writePoints } from '../support/fakes.js';

class ManualClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.t += Math.max(0, ms);
  }
}

interface Req {
  url: string;
  headers: http.IncomingHttpHeaders;
  lines: string[];
}
type Handler = (req: Req, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function fake(handler: Handler): Promise<{ url: string; reqs: Req[] }> {
  const reqs: Req[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, lines: body ? body.split('\n') : [] };
      reqs.push(r);
      handler(r, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, reqs };
}

const T0 = 1_790_000_000;
const pts = (n: number, bad: readonly number[] = []): Point[] =>
  Array.from({ length: n }, (_, i) => ({
    vendor: 'tencent',
    account: 'default',
    area: 'mainland',
    domain: `${bad.includes(i) ? 'bad' : 'ok'}${i % 3}.example.com`,
    metric: 'traffic_bytes',
    intervalSec: 60,
    tsSec: T0 + i * 60,
    value: i + 0.5,
  }));

const v1 = (url: string, extra: Partial<Extract<InfluxTarget, { apiVersion: 1 }>> = {}): InfluxTarget => ({ apiVersion: 1, url, database: 'cdn', ...extra });
const v2 = (url: string): InfluxTarget => ({ apiVersion: 2, url, org: 'org', bucket: 'cdn', token: 'tok-SECRET-0123456789' });

function sink(target: InfluxTarget, o: Partial<SinkOptions> = {}) {
  const clock = new ManualClock();
  const reported: string[] = [];
  const states: { ok: boolean; error?: string }[] = [];
  const s = new InfluxSink(target, { measurement: 'cdn_origin', retryMaxMs: 30_000, requestDeadlineMs: 2000, ...o }, { clock, random: () => 0.5, report: (l) => reported.push(l), telemetry: { onSinkState: (ok, error) => states.push({ ok, ...(error ? { error } : {}) }) } });
  return { s, clock, reported, states };
}

const isBad = (l: string) => l.includes('domain=bad');
const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function caught(p: Promise<unknown>): Promise<CollectorError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CollectorError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('line protocol', () => {
  it('tags in InfluxDB key order with account and area, escaped; the value a float literal; second precision', () => {
    const p: Point = { vendor: 'tencent', account: 'team a', area: 'overseas', domain: 'a,b= c.com', metric: 'status_404', intervalSec: 300, tsSec: T0, value: 12 };
    expect(toLine('cdn origin', p)).toBe('cdn\\ origin,account=team\\ a,area=overseas,domain=a\\,b\\=\\ c.com,interval=300,metric=status_404,vendor=tencent value=12 1790000000');
    const { area: _a, ...noArea } = p;
    expect(toLine('m', { ...noArea, value: 0.25 })).toBe('m,account=team\\ a,domain=a\\,b\\=\\ c.com,interval=300,metric=status_404,vendor=tencent value=0.25 1790000000');
  });
});

describe('writes that succeed', () => {
  it('v1: batches of 5,000 to /write?db&precision=s with Basic auth, each awaited', async () => {
    const f = await fake((_r, res) => res.writeHead(204).end());
    const { s } = sink(v1(f.url, { username: 'u', password: 'pw', retentionPolicy: 'rp1' }));
    expect(await writePoints(s, pts(12_001))).toEqual({ written: 12_001, refused: [] });
    expect(f.reqs.map((r) => r.lines.length)).toEqual([5000, 5000, 2001]);
    expect(f.reqs[0]!.url).toBe('/write?db=cdn&rp=rp1&precision=s');
    expect(f.reqs[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:pw').toString('base64')}`);
    expect(f.reqs.flatMap((r) => r.lines)).toEqual(pts(12_001).map((p) => toLine('cdn_origin', p)));
  });

  it('v2: /api/v2/write?org&bucket&precision=s with Authorization: Token', async () => {
    const f = await fake((_r, res) => res.writeHead(204).end());
    const { s } = sink(v2(`${f.url}/`));
    expect(await writePoints(s, pts(3))).toEqual({ written: 3, refused: [] });
    expect(f.reqs[0]!.url).toBe('/api/v2/write?org=org&bucket=cdn&precision=s');
    expect(f.reqs[0]!.headers.authorization).toBe('Token tok-SECRET-0123456789');
  });

  it('credentials in the URL are sent as Basic auth and never printed', async () => {
    const f = await fake((_r, res) => res.writeHead(204).end());
    const { s } = sink(v1(f.url.replace('http://', 'http://alice:s3cr3t-pw@')));
    expect(s.label).toBe(`influx: ${f.url}`);
    await writePoints(s, pts(1));
    expect(f.reqs[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cr3t-pw').toString('base64')}`);
  });
});

describe('refusals are failures: the refused points named, the rest written', () => {
  it('1.x unparseable lines: named by their text, the others sent again and written', async () => {
    const stored = new Set<string>();
    const f = await fake((r, res) => {
      const bad = r.lines.filter(isBad);
      for (const l of r.lines.filter((l) => !isBad(l))) stored.add(l);
      if (!bad.length) return void res.writeHead(204).end();
      json(res, 400, { error: `partial write: ${bad.map((l) => `unable to parse '${l}': bad timestamp`).join('\n')} dropped=0` });
    });
    const { s } = sink(v1(f.url));
    const points = pts(10, [2, 7]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(8);
    expect(r.refused.map((x) => x.point)).toEqual([points[2], points[7]]);
    expect(r.refused.map((x) => x.reason)).toEqual(['HTTP 400: bad timestamp', 'HTTP 400: bad timestamp']);
    expect(f.reqs.map((q) => q.lines.length)).toEqual([10, 8]);
    expect(stored.size).toBe(8);
  });

  it('1.x field type conflict names no line: halves until each refused point stands alone (≤ 2·log2 n requests per refused point)', async () => {
    const f = await fake((r, res) => {
      const bad = r.lines.filter(isBad).length;
      if (!bad) return void res.writeHead(204).end();
      json(res, 400, { error: `partial write: field type conflict: input field "value" on measurement "cdn_origin" is type float, already exists as type integer dropped=${bad}` });
    });
    const { s } = sink(v1(f.url));
    const points = pts(64, [5]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(63);
    expect(r.refused).toEqual([{ point: points[5], reason: 'HTTP 400: field type conflict: input field "value" on measurement "cdn_origin" is type float, already exists as type integer' }]);
    expect(f.reqs.length).toBeLessThanOrEqual(1 + 2 * 6);
  });

  it('dropped=N for every line sent: all refused at once, no search', async () => {
    const f = await fake((r, res) => json(res, 400, { error: `partial write: points beyond retention policy dropped=${r.lines.length}` }));
    const { s } = sink(v1(f.url));
    const r = await writePoints(s, pts(50));
    expect(r.written).toBe(0);
    expect(r.refused).toHaveLength(50);
    expect(r.refused[0]!.reason).toBe('HTTP 400: points beyond retention policy');
    expect(f.reqs).toHaveLength(1);
  });

  it('2.x storage refusal (422, failure writing points to database: partial write: ... dropped=N)', async () => {
    const f = await fake((r, res) => {
      const bad = r.lines.filter(isBad).length;
      if (!bad) return void res.writeHead(204).end();
      json(res, 422, { code: 'unprocessable entity', message: `failure writing points to database: partial write: field type conflict: input field "value" on measurement "cdn_origin" is type float, already exists as type integer dropped=${bad}` });
    });
    const { s } = sink(v2(f.url));
    const points = pts(20, [0, 19]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(18);
    expect(r.refused.map((x) => x.point)).toEqual([points[0], points[19]]);
    expect(r.refused[0]!.reason).toMatch(/^HTTP 422: field type conflict/);
  });

  it('2.x OSS unparseable line refuses the whole batch: the named line refused, the others written on the second request', async () => {
    const stored = new Set<string>();
    const f = await fake((r, res) => {
      const bad = r.lines.find(isBad);
      if (!bad) {
        r.lines.forEach((l) => stored.add(l));
        return void res.writeHead(204).end();
      }
      json(res, 400, { code: 'invalid', message: `unable to parse '${bad}': invalid field format` });
    });
    const { s } = sink(v2(f.url));
    const r = await writePoints(s, pts(6, [3]));
    expect(r.written).toBe(5);
    expect(r.refused.map((x) => x.reason)).toEqual(['HTTP 400: invalid field format']);
    expect(stored.size).toBe(5);
  });

  it('Cloud/IOx (atomic): lines named by 1-based number, nothing stored, the rest written on the next request', async () => {
    const stored = new Set<string>();
    const f = await fake((r, res) => {
      const bad = r.lines.map((l, i) => (isBad(l) ? i + 1 : 0)).filter(Boolean);
      if (!bad.length) {
        r.lines.forEach((l) => stored.add(l));
        return void res.writeHead(204).end();
      }
      json(res, 400, { code: 'invalid', line: bad[0], message: `failed to parse line protocol: errors encountered on line(s):\n${bad.map((n) => `error parsing line ${n} (1-based): Unable to parse timestamp value '123'`).join('\n')}` });
    });
    const { s } = sink(v2(f.url));
    const points = pts(9, [1, 4]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(7);
    expect(r.refused.map((x) => [x.point, x.reason])).toEqual([
      [points[1], "HTTP 400: Unable to parse timestamp value '123'"],
      [points[4], "HTTP 400: Unable to parse timestamp value '123'"],
    ]);
    expect(stored.size).toBe(7);
    expect(f.reqs.map((q) => q.lines.length)).toEqual([9, 7]);
  });

  it('3.x JSON data list by line_number (original_line cut), accept_partial', async () => {
    const f = await fake((r, res) => {
      const data = r.lines.flatMap((l, i) => (isBad(l) ? [{ original_line: l.slice(0, 20), line_number: i + 1, error_message: "invalid column type for column 'value', expected iox::column_type::field::integer, got iox::column_type::field::float" }] : []));
      if (!data.length) return void res.writeHead(204).end();
      json(res, 400, { error: 'partial write of line protocol occurred', data });
    });
    const { s } = sink(v2(f.url));
    const points = pts(5, [4]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(4);
    expect(r.refused).toEqual([{ point: points[4], reason: "HTTP 400: invalid column type for column 'value', expected iox::column_type::field::integer, got iox::column_type::field::float" }]);
  });

  it('a 400 it cannot read (HTML, no line named): binary search down to the refused point', async () => {
    const f = await fake((r, res) => {
      if (!r.lines.some(isBad)) return void res.writeHead(204).end();
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end('<html><head><title>400 Bad Request</title></head>\n<body><h1>Bad Request</h1>\n<p>nginx</p></body></html>');
    });
    const { s } = sink(v1(f.url));
    const points = pts(32, [9, 10]);
    const r = await writePoints(s, points);
    expect(r.written).toBe(30);
    expect(r.refused).toEqual([
      { point: points[9], reason: 'HTTP 400: 400 Bad Request' },
      { point: points[10], reason: 'HTTP 400: 400 Bad Request' },
    ]);
    expect(f.reqs.length).toBeLessThanOrEqual(1 + 2 * 2 * 5);
  });

  it('a 400 about the request, not the data (every point refused alone, no line named): the search stops after 16 in a row', async () => {
    const f = await fake((_r, res) => json(res, 400, { error: 'invalid precision' }));
    const { s } = sink(v1(f.url));
    const r = await writePoints(s, pts(5000));
    expect(r.written).toBe(0);
    expect(r.refused).toHaveLength(5000);
    expect(new Set(r.refused.map((x) => x.reason))).toEqual(new Set(['HTTP 400: invalid precision']));
    expect(f.reqs.length).toBeLessThan(60);
  });

  it('413 on every request: split down to one point, each refused with the reason; nothing counted written', async () => {
    const f = await fake((_r, res) => json(res, 413, { code: 'request too large', message: 'unable to read data: points batch is too large' }));
    const { s } = sink(v2(f.url));
    const r = await writePoints(s, pts(5));
    expect(r.written).toBe(0);
    expect(r.refused).toHaveLength(5);
    expect(r.refused[0]!.reason).toBe('HTTP 413: the point alone is too large for the server: unable to read data: points batch is too large');
    expect(f.reqs).toHaveLength(1 + 2 + 4 + 2);
  });

  it('413 above a size: split until the bodies fit, all written', async () => {
    const f = await fake((r, res) => (r.lines.length > 1200 ? res.writeHead(413).end() : res.writeHead(204).end()));
    const { s } = sink(v1(f.url));
    expect(await writePoints(s, pts(5000))).toEqual({ written: 5000, refused: [] });
    expect(f.reqs.filter((q) => q.lines.length <= 1200).reduce((n, q) => n + q.lines.length, 0)).toBe(5000);
  });
});

describe('failures: retried within writeRetryMaxMs, then one clear line of a sink kind', () => {
  it('500 HTML: retried, then written; the notice is one line with the page title', async () => {
    let n = 0;
    const f = await fake((_r, res) => {
      if (++n > 2) return void res.writeHead(204).end();
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n');
    });
    const { s, reported, clock } = sink(v1(f.url));
    expect(await writePoints(s, pts(2))).toEqual({ written: 2, refused: [] });
    expect(reported).toEqual([`influx: ${f.url} answered HTTP 500: 502 Bad Gateway; retrying in 0.4 s`, `influx: ${f.url} answered HTTP 500: 502 Bad Gateway; retrying in 0.8 s`]);
    expect(clock.now()).toBe(1125);
  });

  it('5xx past retryMaxMs: sink_server, one line', async () => {
    const f = await fake((_r, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('overloaded\n  try later\n');
    });
    const { s, clock, states } = sink(v1(f.url), { retryMaxMs: 5000 });
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_server');
    expect(e.message).toBe(`influx: ${f.url} answered HTTP 503: overloaded try later`);
    expect(clock.now()).toBeLessThanOrEqual(5000);
    expect(states.at(-1)).toEqual({ ok: false, error: e.message });
  });

  it('Retry-After is honoured, and one past the deadline ends the write at once', async () => {
    let n = 0;
    const f = await fake((_r, res) => (++n <= 2 ? res.writeHead(429, { 'retry-after': '7' }).end() : res.writeHead(204).end()));
    const { s, clock } = sink(v1(f.url));
    expect(await writePoints(s, pts(1))).toEqual({ written: 1, refused: [] });
    expect(clock.now()).toBeGreaterThanOrEqual(14_000);
    const g = await fake((_r, res) => res.writeHead(429, { 'retry-after': '60' }).end());
    const t = sink(v1(g.url));
    expect((await caught(writePoints(t.s, pts(1)))).kind).toBe('sink_server');
    expect(g.reqs).toHaveLength(1);
    expect(t.clock.now()).toBe(0);
  });

  it('unreachable: sink_unreachable naming the URL without credentials', async () => {
    const f = await fake(() => {});
    const port = new URL(f.url).port;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    const { s } = sink(v1(`http://bob:hunter22@127.0.0.1:${port}`), { retryMaxMs: 1000 });
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_unreachable');
    expect(e.message).toMatch(new RegExp(`^influx: http://127.0.0.1:${port} unreachable: connect ECONNREFUSED`));
    expect(e.message).not.toMatch(/bob|hunter22/);
  });

  it('401 whose body echoes the Authorization header: sink_auth at once, no secret in the line', async () => {
    const f = await fake((r, res) => json(res, 401, { code: 'unauthorized', message: `unauthorized access: Authorization: ${r.headers.authorization} (token ${r.headers.authorization?.slice(6)})` }));
    const { s } = sink(v2(f.url));
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_auth');
    expect(e.message).not.toContain('tok-SECRET');
    expect(e.message).toBe(`influx: ${f.url} refused the credentials (HTTP 401): unauthorized access: Authorization: [redacted] (token [redacted]); check influx.token or influx.username/password`);
    expect(f.reqs).toHaveLength(1);
    const g = await fake((r, res) => json(res, 403, { error: `bad credentials ${r.headers.authorization} for ${r.url}&u=admin&p=pw123456` }));
    const t = sink(v1(g.url, { username: 'admin', password: 'pw123456' }));
    const e2 = await caught(writePoints(t.s, pts(1)));
    expect(e2.kind).toBe('sink_auth');
    expect(e2.message).not.toMatch(/pw123456|YWRtaW46cHcxMjM0NTY/);
  });

  it('404 database not found: sink_not_found', async () => {
    const f = await fake((_r, res) => json(res, 404, { error: 'database not found: "cdn"' }));
    const { s } = sink(v1(f.url));
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_not_found');
    expect(e.message).toBe(`influx: ${f.url} answered HTTP 404: database not found: "cdn"; does the database or bucket exist?`);
  });
});

describe('deadlines and caps', () => {
  it('headers then a stalled body: the deadline ends the exchange, sink_timeout', async () => {
    const f = await fake((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const { s } = sink(v1(f.url), { requestDeadlineMs: 300, retryMaxMs: 0 });
    const t0 = performance.now();
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_timeout');
    expect(e.message).toBe(`influx: ${f.url} timed out: no complete answer within 300 ms`);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('a body that trickles: the deadline covers the body too', async () => {
    const f = await fake((_r, res) => {
      res.writeHead(500);
      const t = setInterval(() => (res.writableEnded ? clearInterval(t) : res.write('x')), 20);
      res.on('close', () => clearInterval(t));
    });
    const { s } = sink(v1(f.url), { requestDeadlineMs: 300, retryMaxMs: 0 });
    expect((await caught(writePoints(s, pts(1)))).kind).toBe('sink_timeout');
  });

  it('an oversized body is read up to the cap only, and said so', async () => {
    const f = await fake((_r, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('E'.repeat(4 << 20));
    });
    const { s } = sink(v1(f.url), { retryMaxMs: 0, maxResponseBytes: 1024 });
    const e = await caught(writePoints(s, pts(1)));
    expect(e.kind).toBe('sink_server');
    expect(e.message).toMatch(/^influx: .* answered HTTP 500: E{199}… \(answer cut at 1024 bytes\)$/);
  });
});

describe('stopping', () => {
  it('the request in flight is awaited and counted; no new request starts; SinkStopped counts the unsent points', async () => {
    const ac = new AbortController();
    const f = await fake((_r, res) => setTimeout(() => res.writeHead(204).end(), 150));
    const { s, reported } = sink(v1(f.url), { batchSize: 4 });
    setTimeout(() => ac.abort(), 40);
    const points = pts(10);
    const p = writePoints(s, points, ac.signal);
    const e = await caught(p);
    expect(e).toBeInstanceOf(SinkStopped);
    expect(e.kind).toBe('stopped');
    const stopped = e as SinkStopped;
    expect(stopped.result).toEqual({ written: 4, refused: [] });
    expect(stopped.unsent).toBe(points.length - 4);
    expect(f.reqs).toHaveLength(1);
    expect(reported).toEqual([]);
  });

  it('no retry starts after the stop', async () => {
    const ac = new AbortController();
    const f = await fake((_r, res) => {
      ac.abort();
      res.writeHead(503).end();
    });
    const { s } = sink(v1(f.url));
    const e = await caught(writePoints(s, pts(2), ac.signal));
    expect(e.kind).toBe('stopped');
    expect(f.reqs).toHaveLength(1);
  });
});

describe('messages', () => {
  it('one line, HTML reduced to its title, cut at 200 characters, scrubbed', () => {
    expect(oneLine('<html><head><title>Service Unavailable</title></head><body>..</body></html>')).toBe('Service Unavailable');
    expect(oneLine('{"error":"a\\n  b"}')).toBe('a b');
    expect(oneLine('x'.repeat(500))).toHaveLength(200);
    expect(scrub('Authorization: Basic dXNlcjpwYXNz, next')).toBe('Authorization: [redacted], next');
    expect(scrub('GET /query?u=admin&p=hunter2&db=x')).toBe('GET /query?u=[redacted]&p=[redacted]&db=x');
    expect(scrub('password=abc token=xyz')).toBe('password=[redacted] token=[redacted]');
    expect(scrub('at http://user:pass@host:8086/write')).toBe('at http://host:8086/write');
    expect(scrub('Bearer eyJhbGciOi.J9x-y', [])).toBe('Bearer [redacted]');
    expect(scrub('the literal mysecretvalue and its base64 bXlzZWNyZXR2YWx1ZQ==', ['mysecretvalue'])).toBe('the literal [redacted] and its base64 [redacted]');
    expect(printableUrl('https://u:p@influx.example.com:8086/prefix/?p=x')).toBe('https://influx.example.com:8086/prefix');
  });
});
