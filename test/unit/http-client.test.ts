/** The vendor HTTP client (http/client.ts) against a real local server: what goes on the wire, deadlines, limits. */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AxiosHttpClient, createAxios } from '../../src/http/client.js';
import { createSystemClock } from '../../src/core/system-clock.js';

interface Seen {
  method: string;
  url: string;
  raw: string[];
  body: string;
  port: number;
}

let server: http.Server;
let base = '';
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, raw: req.rawHeaders, body, port: req.socket.remotePort! });
      if (req.url === '/trickle') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a');
        return; // never ends
      }
      if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(5000));
      res.writeHead(201, { 'X-Request-Id': 'r-1', 'set-cookie': ['a=1', 'b=2'] }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts = { deadlineMs: 5000, maxBodyBytes: 1 << 20 };
const headerMap = (raw: string[]) => {
  const m: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) m[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return m;
};

describe('AxiosHttpClient', () => {
  it('sends the signed headers, axios\' Accept, and no Content-Type on an empty POST', async () => {
    const c = new AxiosHttpClient(createAxios(), createSystemClock());
    seen.length = 0;
    const res = await c.send({ method: 'POST', url: `${base}/a?x=1&y=%2F`, headers: { 'x-acs-action': 'A', Authorization: 'sig' } }, opts);
    expect(res.status).toBe(201);
    expect(res.body).toBe('{"ok":true}');
    // Response header names lowercased; repeated ones joined.
    expect(res.headers['x-request-id']).toBe('r-1');
    expect(res.headers['set-cookie']).toBe('a=1, b=2');
    const s = seen[0]!;
    expect([s.method, s.url, s.body]).toEqual(['POST', '/a?x=1&y=%2F', '']);
    const h = headerMap(s.raw);
    expect(h).toEqual({
      accept: 'application/json, text/plain, */*',
      'x-acs-action': 'A',
      authorization: 'sig',
      'user-agent': expect.stringMatching(/^axios\//),
      'accept-encoding': 'gzip, compress, deflate, br',
      host: base.slice('http://'.length),
      connection: 'keep-alive',
      'content-length': '0',
    });
  });

  it('keeps a given Content-Type and body, and a given Host', async () => {
    const c = new AxiosHttpClient(createAxios(), createSystemClock());
    seen.length = 0;
    await c.send({ method: 'POST', url: `${base}/b`, headers: { 'Content-Type': 'application/json', 'X-TC-Action': 'B' }, body: '{"a":1}' }, opts);
    await c.send({ method: 'GET', url: `${base}/c?q=%20`, headers: { Host: 'example.com' } }, opts);
    expect(seen[0]!.body).toBe('{"a":1}');
    expect(headerMap(seen[0]!.raw)).toMatchObject({ 'content-type': 'application/json', 'content-length': '7', 'x-tc-action': 'B' });
    expect(headerMap(seen[1]!.raw)).toMatchObject({ host: 'example.com', accept: 'application/json, text/plain, */*' });
    expect(headerMap(seen[1]!.raw)['content-type']).toBeUndefined();
  });

  it('reuses one connection and never toggles its TCP keep-alive setting (no setsockopt per call)', async () => {
    const c = new AxiosHttpClient(createAxios(), createSystemClock());
    const spy = vi.spyOn(net.Socket.prototype, 'setKeepAlive');
    seen.length = 0;
    try {
      for (let i = 0; i < 3; i++) await c.send({ method: 'GET', url: `${base}/k`, headers: {} }, opts);
      expect(new Set(seen.map((s) => s.port)).size).toBe(1);
      // axios asks for 60 s on every request and the agent for its keepAliveMsecs when freeing the
      // socket: different values would make node call setsockopt twice per request.
      const delays = new Set(spy.mock.calls.map(([, ms]) => ms));
      expect(spy.mock.calls.length).toBeGreaterThan(0);
      expect([...delays]).toEqual([60_000]);
    } finally {
      spy.mockRestore();
    }
  });

  it('ends a call whose body never finishes at the deadline', async () => {
    const c = new AxiosHttpClient(createAxios(), createSystemClock());
    await expect(c.send({ method: 'GET', url: `${base}/trickle`, headers: {} }, { deadlineMs: 200, maxBodyBytes: 1000 })).rejects.toMatchObject({ code: 'Timeout' });
  });

  it('refuses a body over the limit, and stops on the caller\'s signal', async () => {
    const c = new AxiosHttpClient(createAxios(), createSystemClock());
    await expect(c.send({ method: 'GET', url: `${base}/big`, headers: {} }, { deadlineMs: 5000, maxBodyBytes: 1000 })).rejects.toMatchObject({ code: 'BodyTooLarge' });
    const ctl = new AbortController();
    const p = c.send({ method: 'GET', url: `${base}/trickle`, headers: {} }, { deadlineMs: 5000, maxBodyBytes: 1000, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('stop')), 50);
    await expect(p).rejects.toThrow();
  });
});
