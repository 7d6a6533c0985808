/** The two InfluxQL readers: recovery (newest bucket per domain) and verify (points in a range). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import { InfluxPoints } from '../../src/sink/query.js';
import { caught } from '../support/caught.js';
import { exactAlternation, InfluxRecovery, newestBucketsQuery, quoteIdent, quoteString } from '../../src/sink/recovery.js';

interface Req {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  params: URLSearchParams;
}

const servers: http.Server[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function fake(answer: (r: Req, res: http.ServerResponse) => void, seen: Req[] = []): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, params: new URLSearchParams(body) };
      seen.push(r);
      answer(r, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (status: number, body: unknown) => (_r: Req, res: http.ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));


describe('InfluxQL quoting', () => {
  it('identifiers, strings and exact alternations escape what they must', () => {
    expect(quoteIdent('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteString("it's \\ \"ok\"")).toBe("'it\\'s \\\\ \"ok\"'");
    expect(exactAlternation(['a.b', 'c*d+e?', '^x$', '{1}', '(g)', '|', '[h]', 'i\\j', 'k/l'])).toBe('/^(a\\.b|c\\*d\\+e\\?|\\^x\\$|\\{1\\}|\\(g\\)|\\||\\[h\\]|i\\\\j|k\\/l)$/');
  });

  it('the retention is whole seconds, at least one; no area, no metrics: no clause for them', () => {
    const base = { vendor: 'v', account: 'a', intervalSec: 60, domains: [] };
    expect(newestBucketsQuery('m', { ...base, metrics: [] }, 0.4)).toBe(`SELECT last("value") FROM "m" WHERE "vendor" = 'v' AND "account" = 'a' AND "interval" = '60' AND time > now() - 1s GROUP BY "domain"`);
    expect(newestBucketsQuery('m', base, 99.9)).toContain('time > now() - 99s GROUP');
  });
});

describe('InfluxRecovery', () => {
  const q = { vendor: 'aliyun', account: 'acc', intervalSec: 300, metrics: ['requests'], domains: ['a.com', 'b.com', 'c.com'] };

  it('POSTs the query form with JSON accepted, no authorization without credentials; default look-back 90 days', async () => {
    const seen: Req[] = [];
    let answer: unknown = { results: [{ statement_id: 0 }] };
    const url = await fake((r, res) => json(200, answer)(r, res), seen);
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn' });
    closers.push(() => rec.close());
    expect(await rec.newestBuckets(q)).toEqual(new Map());
    expect(seen[0]!.url).toBe('/query?db=db&epoch=s');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.params.get('q')).toBe(newestBucketsQuery('cdn', q, 90 * 86_400));
    expect(await rec.newestBuckets({ ...q, retentionSec: 600 })).toEqual(new Map());
    expect(seen[1]!.params.get('q')).toContain('now() - 600s');
    for (answer of [{}, { results: [] }]) expect(await rec.newestBuckets(q)).toEqual(new Map());
  });

  it('per asked domain its newest bucket, seconds floored; series without a domain tag or values skipped', async () => {
    const url = await fake(
      json(200, {
        results: [
          {
            series: [
              { tags: { domain: 'a.com' }, values: [[1790000100.9, 1]] },
              { values: [[1790000000, 1]] },
              { tags: { domain: 'b.com' }, values: [['2026-11-20T10:00:00.500Z', 1]] },
              { tags: { domain: 'zzz.com' }, values: [['garbage', 1]] },
            ],
          },
        ],
      }),
    );
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn' });
    closers.push(() => rec.close());
    expect(await rec.newestBuckets(q)).toEqual(new Map([['a.com', 1790000100], ['b.com', Date.parse('2026-11-20T10:00:00Z') / 1000]]));
  });

  it('a time that is not a time for an asked domain: sink_server naming it', async () => {
    for (const [t, values] of [['garbage'], [null], [true], [['2026-11-20T10:00:00Z']], [undefined, []], [undefined, null]] as [unknown, unknown][]) {
      const url = await fake(json(200, { results: [{ series: [{ tags: { domain: 'c.com' }, values: values === undefined ? [[t, 1]] : values }] }] }));
      const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn' });
      closers.push(() => rec.close());
      const e = await caught(rec.newestBuckets(q));
      expect(e.kind).toBe('sink_server');
      expect(e.message).toBe(`influx: ${url}: cannot read the newest buckets of aliyun/acc: a time that is not a time for c.com: ${String(t)}`);
    }
  });

  it('status codes and answers map to kinds, in one line', async () => {
    const cases: [number, string, string, string][] = [
      [403, 'forbidden', 'sink_auth', 'credentials refused (HTTP 403): forbidden'],
      [401, '', 'sink_auth', 'credentials refused (HTTP 401): (no body)'],
      [404, 'nope', 'sink_not_found', 'HTTP 404: nope'],
      [302, 'moved', 'sink_server', 'HTTP 302: moved'],
      [300, 'choices', 'sink_server', 'HTTP 300: choices'],
      [500, 'boom', 'sink_server', 'HTTP 500: boom'],
      [200, '{"error":"top level"}', 'sink_server', 'top level'],
      [200, '{"results":[{"error":"bucket \\"x\\" was not found"}]}', 'sink_not_found', 'bucket "x" was not found'],
      [200, '{"results":[{"error":"Database Not Found: x"}]}', 'sink_not_found', 'Database Not Found: x'],
      [200, '{"results":[{"error":"not found"}]}', 'sink_server', 'not found'],
      [200, '<html><title>t</title></html>', 'sink_server', 'the answer is not JSON: t'],
      [204, '', 'sink_server', 'the answer is not JSON: (no body)'],
    ];
    for (const [status, body, kind, what] of cases) {
      const url = await fake((_r, res) => res.writeHead(status).end(body));
      const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn' });
      closers.push(() => rec.close());
      const e = await caught(rec.newestBuckets(q));
      expect([e.kind, e.message]).toEqual([kind, `influx: ${url}: cannot read the newest buckets of aliyun/acc: ${what}`]);
    }
  });

  it('an answer over the cap: sink_server naming the cap', async () => {
    const url = await fake(json(200, { results: [{ series: [{ tags: { domain: 'a.com' }, values: [[1, 1]] }] }] }));
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', maxResponseBytes: 10 });
    closers.push(() => rec.close());
    const e = await caught(rec.newestBuckets(q));
    expect([e.kind, e.message]).toEqual(['sink_server', `influx: ${url}: cannot read the newest buckets of aliyun/acc: the answer is larger than 10 bytes`]);
  });

  it('close ends the keep-alive connection', async () => {
    const closed: Promise<void>[] = [];
    const url = await fake(json(200, {}));
    servers[servers.length - 1]!.on('connection', (sock) => closed.push(new Promise((r) => sock.on('close', () => r()))));
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn' });
    await rec.newestBuckets(q);
    expect(closed).toHaveLength(1);
    rec.close();
    const t = await Promise.race([closed[0]!.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 500))]);
    expect(t).toBe('closed');
  });

  it('away: sink_unreachable; stalled: sink_timeout at the deadline; worded as the writes', async () => {
    const url = await fake((_r, res) => res.writeHead(200).write('{'));
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 40 });
    closers.push(() => rec.close());
    const t = await caught(rec.newestBuckets(q));
    expect([t.kind, t.message]).toEqual(['sink_timeout', `influx: ${url} timed out: no complete answer within 40 ms`]);
    const s = servers.pop()!;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    const rec2 = new InfluxRecovery({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
    closers.push(() => rec2.close());
    const u = await caught(rec2.newestBuckets(q));
    expect(u.kind).toBe('sink_unreachable');
    expect(u.message).toMatch(new RegExp(`^influx: ${url} unreachable: connect ECONNREFUSED`));
  });
});

describe('InfluxPoints (verify)', () => {
  const q = { vendor: 'tencent', account: 'acc', intervalSec: 60, metrics: ['requests', 'status_2xx'], domains: ['a.com', 'b.com'], fromSec: 1790000000, toSec: 1790003600 };

  it('the statement, form and headers; points keyed domain|metric|second, values numbers', async () => {
    const seen: Req[] = [];
    const url = await fake(
      json(200, {
        results: [
          {
            series: [
              { tags: { domain: 'a.com', metric: 'requests' }, values: [[1790000000, 5], ['2026-11-20T10:00:30Z', '7.5']] },
              { tags: { domain: 'b.com' }, values: [[1790000060.7, 1]] },
              { values: [[1790000120, 2]] },
              { tags: { domain: 'c.com', metric: 'm' } },
            ],
          },
        ],
      }),
      seen,
    );
    const p = new InfluxPoints({ apiVersion: 2, url, org: 'o', bucket: 'bk', token: 'tok-1' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
    const got = await p.pointsIn({ ...q, area: 'overseas' });
    expect(got).toEqual(
      new Map([
        ['a.com|requests|1790000000', 5],
        [`a.com|requests|${Date.parse('2026-11-20T10:00:30Z') / 1000}`, 7.5],
        ['b.com||1790000060', 1],
        ['||1790000120', 2],
      ]),
    );
    expect(seen[0]!.url).toBe('/query?db=bk&epoch=s');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers.authorization).toBe('Token tok-1');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[0]!.params.get('epoch')).toBe('s');
    expect(seen[0]!.params.get('q')).toBe(
      `SELECT "value" FROM "cdn" WHERE "vendor" = 'tencent' AND "account" = 'acc' AND "interval" = '60' AND "area" = 'overseas' AND "metric" =~ /^(requests|status_2xx)$/ AND "domain" =~ /^(a\\.com|b\\.com)$/ AND time >= 1790000000s AND time < 1790003600s GROUP BY "domain", "metric"`,
    );
    await p.pointsIn(q);
    expect(seen[1]!.params.get('q')).toContain(`AND "area" = '' AND`);
    expect(seen[1]!.headers.authorization).toBe('Token tok-1');
  });

  it('no credentials: no authorization header; an empty answer, or one without results: no points', async () => {
    const seen: Req[] = [];
    let answer: unknown = {};
    const url = await fake((r, res) => json(200, answer)(r, res), seen);
    const p = new InfluxPoints({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
    expect(await p.pointsIn(q)).toEqual(new Map());
    expect(seen[0]!.headers.authorization).toBeUndefined();
    answer = { results: [] };
    expect(await p.pointsIn(q)).toEqual(new Map());
    answer = { results: [{ statement_id: 0 }] };
    expect(await p.pointsIn(q)).toEqual(new Map());
  });

  it('a large answer (many points) is read whole', async () => {
    const values = Array.from({ length: 5000 }, (_, i) => [1790000000 + 60 * i, i]);
    const url = await fake(json(200, { results: [{ series: [{ tags: { domain: 'a.com', metric: 'requests' }, values }] }] }));
    const p = new InfluxPoints({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
    const got = await p.pointsIn(q);
    expect(got.size).toBe(5000);
    expect(got.get(`a.com|requests|${1790000000 + 60 * 4999}`)).toBe(4999);
  });

  it('failures map to kinds, in one line naming the account', async () => {
    const cases: [number, string, string, string][] = [
      [401, 'who', 'sink_auth', 'credentials refused (HTTP 401): who'],
      [403, '', 'sink_auth', 'credentials refused (HTTP 403): (no body)'],
      [404, 'db?', 'sink_not_found', 'HTTP 404: db?'],
      [301, 'moved', 'sink_server', 'HTTP 301: moved'],
      [300, 'choices', 'sink_server', 'HTTP 300: choices'],
      [299, '{}', 'ok', ''],
      [503, 'busy', 'sink_server', 'HTTP 503: busy'],
      [200, 'nah', 'sink_server', 'the answer is not JSON: nah'],
      [200, '{"error":"e0"}', 'sink_server', 'e0'],
      [200, '{"results":[{"error":"database not found: x"}]}', 'sink_server', 'database not found: x'],
    ];
    for (const [status, body, kind, what] of cases) {
      const url = await fake((_r, res) => res.writeHead(status).end(body));
      const p = new InfluxPoints({ apiVersion: 1, url, database: 'db', username: 'u', password: 'pw-xyz' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
      if (kind === 'ok') {
        expect(await p.pointsIn(q)).toEqual(new Map());
        continue;
      }
      const e = await caught(p.pointsIn(q));
      expect([e.kind, e.message]).toEqual([kind, `influx: ${url}: cannot read tencent/acc points: ${what}`]);
    }
  });

  it('stalled: sink_timeout; away: sink_unreachable', async () => {
    const url = await fake((_r, res) => res.writeHead(200).write('{'));
    const p = new InfluxPoints({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 40 });
    const t = await caught(p.pointsIn(q));
    expect([t.kind, t.message]).toEqual(['sink_timeout', `influx: ${url}: cannot read tencent/acc points: no complete answer within 40 ms`]);
    const s = servers.pop()!;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    const p2 = new InfluxPoints({ apiVersion: 1, url, database: 'db' }, { measurement: 'cdn', requestDeadlineMs: 2000 });
    const u = await caught(p2.pointsIn(q));
    expect(u.kind).toBe('sink_unreachable');
    expect(u.message).toMatch(/cannot read tencent\/acc points: connect ECONNREFUSED/);
  });
});
