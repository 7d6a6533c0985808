import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxRecovery, newestBucketsQuery } from '../../src/sink/recovery.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function fake(handler: (url: string, auth: string | undefined, q: string, res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => handler(req.url ?? '', req.headers.authorization, new URLSearchParams(body).get('q') ?? '', res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const q = { vendor: 'tencent', account: "a'b\\c", area: 'overseas', intervalSec: 300, metrics: ['traffic_bytes', 'status_2xx'], domains: ['x.example.com', 'y.example.com'] };

describe('recovery query', () => {
  it('InfluxQL with identifiers and strings escaped, metrics as an exact alternation', () => {
    expect(newestBucketsQuery('cdn "origin"', q, 86_400)).toBe(
      `SELECT last("value") FROM "cdn \\"origin\\"" WHERE "vendor" = 'tencent' AND "account" = 'a\\'b\\\\c' AND "interval" = '300' AND "area" = 'overseas' AND "metric" =~ /^(traffic_bytes|status_2xx)$/ AND time > now() - 86400s GROUP BY "domain"`,
    );
    expect(newestBucketsQuery('m', { vendor: 'aliyun', account: 'default', intervalSec: 60, metrics: ['a.b/c'], domains: [] }, 10)).toBe(
      `SELECT last("value") FROM "m" WHERE "vendor" = 'aliyun' AND "account" = 'default' AND "interval" = '60' AND "metric" =~ /^(a\\.b\\/c)$/ AND time > now() - 10s GROUP BY "domain"`,
    );
  });

  it('v2/3.x: /query?db=<bucket>&epoch=s with Authorization: Token; only the asked domains', async () => {
    let seen = { url: '', auth: '' as string | undefined, q: '' };
    const url = await fake((u, auth, qq, res) => {
      seen = { url: u, auth, q: qq };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ statement_id: 0, series: [
        { name: 'cdn_origin', tags: { domain: 'x.example.com' }, columns: ['time', 'last'], values: [[1790000100, 5]] },
        { name: 'cdn_origin', tags: { domain: 'other.example.com' }, columns: ['time', 'last'], values: [[1790000200, 5]] },
        { name: 'cdn_origin', tags: { domain: 'y.example.com' }, columns: ['time', 'last'], values: [['2026-09-21T12:00:00Z', 5]] },
      ] }] }));
    });
    const rec = new InfluxRecovery({ apiVersion: 2, url, org: 'o', bucket: 'cdn', token: 'tok-0123456789' }, { measurement: 'cdn_origin', retentionSec: 3600 });
    const got = await rec.newestBuckets(q);
    expect(got).toEqual(new Map([['x.example.com', 1790000100], ['y.example.com', Date.parse('2026-09-21T12:00:00Z') / 1000]]));
    expect(seen.url).toBe('/query?db=cdn&epoch=s');
    expect(seen.auth).toBe('Token tok-0123456789');
    expect(seen.q).toContain('time > now() - 3600s');
  });

  it('errors: one line of a sink kind, credentials scrubbed', async () => {
    const cases: [number, string, string][] = [
      [401, '{"error":"authorization failed for Basic YWRtaW46cHctOTg3NjU0"}', 'sink_auth'],
      [404, '{"code":"not found","message":"bucket \\"cdn\\" not found"}', 'sink_not_found'],
      [200, '{"results":[{"statement_id":0,"error":"database not found: cdn"}]}', 'sink_not_found'],
      [500, '<html><title>Internal Server Error</title></html>', 'sink_server'],
      [200, 'not json', 'sink_server'],
    ];
    for (const [status, body, kind] of cases) {
      const url = await fake((_u, _a, _q, res) => res.writeHead(status).end(body));
      const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'cdn', username: 'admin', password: 'pw-987654' }, { measurement: 'cdn_origin' });
      const err = await rec.newestBuckets(q).then(() => undefined, (e: unknown) => e as { kind: string; message: string });
      expect(err?.kind).toBe(kind);
      expect(err?.message).toMatch(new RegExp(`^influx: ${url}: cannot read the newest buckets of tencent/a'b\\\\c: `));
      expect(err?.message).not.toMatch(/pw-987654|YWRtaW46cHctOTg3NjU0|\n/);
    }
  });

  it('a stalled answer: sink_timeout', async () => {
    const url = await fake((_u, _a, _q, res) => res.writeHead(200).write('{"results":'));
    const rec = new InfluxRecovery({ apiVersion: 1, url, database: 'cdn' }, { measurement: 'cdn_origin', requestDeadlineMs: 200 });
    await expect(rec.newestBuckets(q)).rejects.toMatchObject({ kind: 'sink_timeout' });
  });
});
