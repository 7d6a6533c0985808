/** One bounded HTTP exchange, the InfluxDB target, and how server text is shown (one scrubbed line). */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { endpointFor, exchange, ExchangeError, oneLine, parseRetryAfterMs, printableUrl, scrub } from '../../src/sink/http.js';
import { connect } from '../../src/sink/target.js';

const servers: http.Server[] = [];
const endpoints: { agent: http.Agent }[] = [];
afterEach(async () => {
  for (const e of endpoints.splice(0)) e.agent.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function serve(handler: (req: Seen, res: http.ServerResponse) => void): Promise<URL> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/write?db=x`);
}

function ep(url: URL) {
  const e = endpointFor(url);
  endpoints.push(e);
  return e;
}

const GET = { method: 'GET' as const, headers: {}, deadlineMs: 2000, maxBodyBytes: 1 << 20 };

async function failure(p: Promise<unknown>): Promise<ExchangeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExchangeError);
  return e as ExchangeError;
}

describe('endpointFor', () => {
  it('one keep-alive socket, https for https URLs', () => {
    const a = endpointFor(new URL('http://h:8086'));
    const b = endpointFor(new URL('https://h:8086'));
    endpoints.push(a, b);
    expect(a.request).toBe(http.request);
    expect(a.agent).not.toBeInstanceOf(https.Agent);
    expect(b.request).toBe(https.request);
    expect(b.agent).toBeInstanceOf(https.Agent);
    for (const x of [a, b]) {
      expect(x.agent.maxSockets).toBe(1);
      expect((x.agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    }
  });
});

describe('exchange', () => {
  it('POST: method, headers, body and its byte length; status, headers and body back', async () => {
    let seen: Seen | undefined;
    const url = await serve((req, res) => {
      seen = req;
      res.writeHead(201, { 'x-answer': 'yes' }).end('héllo');
    });
    const got = await exchange(ep(url), url, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-n': 3 }, body: 'é=1', deadlineMs: 2000, maxBodyBytes: 100 });
    expect(got).toEqual({ status: 201, headers: expect.objectContaining({ 'x-answer': 'yes' }), body: 'héllo', truncated: false });
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/write?db=x');
    expect(seen?.body).toBe('é=1');
    expect(seen?.headers['content-length']).toBe('4');
    expect(seen?.headers['content-type']).toBe('text/plain');
    expect(seen?.headers['x-n']).toBe('3');
  });

  it('GET without a body sends no content-length', async () => {
    let seen: Seen | undefined;
    const url = await serve((req, res) => {
      seen = req;
      res.end('ok');
    });
    const got = await exchange(ep(url), url, GET);
    expect(got.body).toBe('ok');
    expect(seen?.method).toBe('GET');
    expect(seen?.headers['content-length']).toBeUndefined();
  });

  it('a body at the cap is whole; one byte over it is cut to the cap and said so', async () => {
    const url = await serve((_req, res) => {
      res.write('abcd');
      res.end('efgh');
    });
    const e = ep(url);
    expect(await exchange(e, url, { ...GET, maxBodyBytes: 8 })).toMatchObject({ body: 'abcdefgh', truncated: false });
    expect(await exchange(e, url, { ...GET, maxBodyBytes: 7 })).toMatchObject({ status: 200, body: 'abcdefg', truncated: true });
    expect(await exchange(e, url, { ...GET, maxBodyBytes: 4 })).toMatchObject({ body: 'abcd', truncated: true });
    expect(await exchange(e, url, { ...GET, maxBodyBytes: 2 })).toMatchObject({ body: 'ab', truncated: true });
  });

  it('a body cut at the cap ends the exchange at once, without waiting for the rest', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(100));
      // never ends
    });
    const t0 = performance.now();
    const got = await exchange(ep(url), url, { ...GET, deadlineMs: 3000, maxBodyBytes: 10 });
    expect(got).toMatchObject({ body: 'x'.repeat(10), truncated: true });
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('headers then silence: Timeout naming the deadline, at the deadline', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{');
    });
    const t0 = performance.now();
    const e = await failure(exchange(ep(url), url, { ...GET, deadlineMs: 60 }));
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(e.code).toBe('Timeout');
    expect(e.name).toBe('ExchangeError');
    expect(e.message).toBe('no complete answer within 60 ms');
  });

  it('the connection closed mid-body: Network', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const e = await failure(exchange(ep(url), url, { ...GET, deadlineMs: 3000 }));
    expect(e.code).toBe('Network');
    expect(e.message).toBe('the connection closed before the answer was complete');
  });

  it('nothing listening: Network with the system code, once', async () => {
    const url = await serve((_req, res) => res.end());
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    const e = await failure(exchange(ep(url), url, { ...GET, deadlineMs: 3000 }));
    expect(e.code).toBe('Network');
    expect(e.message).toMatch(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(e.message.match(/ECONNREFUSED/g)?.length).toBe(1);
  });

  it('a request error with a code not in its message gets the code in front; the first line only', async () => {
    const url = new URL('http://127.0.0.1:1/');
    const fakeReq = (code: string | undefined, message: string, cause?: object) =>
      ({
        agent: new http.Agent(),
        request: (() => {
          const req = Object.assign(new EventEmitter(), { end: () => undefined, destroy: () => undefined });
          setImmediate(() => req.emit('error', Object.assign(new Error(message), code ? { code } : {}, cause ? { cause } : {})));
          return req;
        }) as unknown as typeof http.request,
      });
    const a = fakeReq('EHOSTUNREACH', 'host gone\nsecond line');
    endpoints.push(a);
    expect((await failure(exchange(a, url, GET))).message).toBe('EHOSTUNREACH: host gone');
    const b = fakeReq(undefined, '', { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND influx' });
    endpoints.push(b);
    expect((await failure(exchange(b, url, GET))).message).toBe('getaddrinfo ENOTFOUND influx');
    const d = fakeReq(undefined, '');
    endpoints.push(d);
    expect((await failure(exchange(d, url, GET))).message).toBe('Error');
    const c = fakeReq(undefined, 'plain failure');
    endpoints.push(c);
    expect((await failure(exchange(c, url, GET))).message).toBe('plain failure');
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  it('seconds, an HTTP date, the first of a list; nothing for nothing or nonsense; never negative', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs(['2', '9'], now)).toBe(2000);
    expect(parseRetryAfterMs('-4', now)).toBe(0);
    expect(parseRetryAfterMs('Fri, 20 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfterMs('Fri, 20 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs([], now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('printableUrl', () => {
  it('no userinfo, no query, no trailing slashes; an unparsable URL is cleaned by pattern', () => {
    expect(printableUrl('http://u:p@h:8086//?u=a&p=b#frag')).toBe('http://h:8086');
    expect(printableUrl('http://h:8086/a/b/')).toBe('http://h:8086/a/b');
    expect(printableUrl('not a url //user:pw@host/x?p=secret')).toBe('not a url //host/x');
    expect(printableUrl('no-scheme?p=1')).toBe('no-scheme');
  });
});

describe('scrub', () => {
  it('literal secrets of 3+ characters, in plain, base64 and URL-encoded form; shorter ones are left (too common)', () => {
    expect(scrub('a p@s/s b cEBzL3M= c p%40s%2Fs d', ['p@s/s'])).toBe('a [redacted] b [redacted] c [redacted] d');
    expect(scrub('xy abc', ['xy'])).toBe('xy abc');
    expect(scrub('abc-abc', ['abc'])).toBe('[redacted]-[redacted]');
  });

  it('authorization, x-api-key and cookie values, with or without a scheme, quoted or not', () => {
    expect(scrub('authorization=Token abc123 rest')).toBe('authorization=[redacted] rest');
    expect(scrub('{"X-Api-Key": "k1k2k3", "a":1}')).toBe('{"X-Api-Key": "[redacted]", "a":1}');
    expect(scrub("Cookie: sid=42;x")).toBe('Cookie: [redacted];x');
    expect(scrub('Authorization: bearer zz top')).toBe('Authorization: [redacted] top');
    expect(scrub('Authorization : Basic   dXNlcg== x')).toBe('Authorization : [redacted] x');
  });

  it('Token/Basic/Bearer values of 8+ token characters with a digit or symbol; words are left', () => {
    expect(scrub('got token abcdefgh1 end')).toBe('got token [redacted] end');
    expect(scrub('BASIC dXNlcjpw= end')).toBe('BASIC [redacted] end');
    expect(scrub('Bearer a.b_c~d-e end')).toBe('Bearer [redacted] end');
    expect(scrub('token abc1 short')).toBe('token abc1 short');
    expect(scrub('basic authentication required')).toBe('basic authentication required');
    expect(scrub('bearer tokenless')).toBe('bearer tokenless');
    expect(scrub('token \t abcdefgh1 end')).toBe('token [redacted] end');
    expect(scrub('Stryker was here')).toBe('Stryker was here');
  });

  it('password-like parameters after ? & ; space or quote or at the start; other parameters kept', () => {
    expect(scrub('p=1&db=x')).toBe('p=[redacted]&db=x');
    expect(scrub('x;pwd=a,b')).toBe('x;pwd=[redacted],b');
    expect(scrub('"passwd=zz" secret=s1 access_token=t api_key=k')).toBe('"passwd=[redacted]" secret=[redacted] access_token=[redacted] api_key=[redacted]');
    expect(scrub('PASSWORD=Hunter2')).toBe('PASSWORD=[redacted]');
    expect(scrub('up=1 db=x')).toBe('up=1 db=x');
    expect(scrub("'u=me'")).toBe("'u=[redacted]'");
  });

  it('URL userinfo dropped, host kept', () => {
    expect(scrub('https://a:b@h/x and ftp://c@d')).toBe('https://h/x and ftp://d');
    expect(scrub('mail a@b')).toBe('mail a@b');
  });
});

describe('oneLine', () => {
  it('HTML: the title, else the h1, else the text without tags, scripts or styles; entities decoded', () => {
    expect(oneLine('  <!DOCTYPE html><html><title> Bad  Gateway </title><h1>x</h1></html>')).toBe('Bad Gateway');
    expect(oneLine('<html><TITLE lang="en"></TITLE><H1 class="a">Gone &amp; away</H1></html>')).toBe('Gone & away');
    expect(oneLine('<body><script>var a=1</script><style>p{}</style><p>a&nbsp;&lt;b&gt; &quot;c&quot; &#39;d&#39;</p></body>')).toBe('a <b> "c" \'d\'');
    expect(oneLine('<p>\npara\n</p>')).toBe('para');
    expect(oneLine('<x>not html</x>')).toBe('<x>not html</x>');
    expect(oneLine('<html><p>noise</p><title lang="en">T1</title><h1>H</h1></html>')).toBe('T1');
    expect(oneLine('<html><p>noise</p><h1 class="a">Gone</h1></html>')).toBe('Gone');
    expect(oneLine('<html><title>  </title><p>x</p><h1>\nH2 </h1></html>')).toBe('H2');
    expect(oneLine('<html><h1> </h1><p>a</p><p>b</p>x<script>s</script>y<style>t</style>z</html>')).toBe('a b x y z');
    expect(oneLine('text <html> later')).toBe('text <html> later');
  });

  it('JSON: its error, else its message, else the JSON text as it is', () => {
    expect(oneLine('{"error":"e1","message":"m1"}')).toBe('e1');
    expect(oneLine('{"error":5,"message":"m1"}')).toBe('m1');
    expect(oneLine('{"message":"m2"}')).toBe('m2');
    expect(oneLine('{"code":"x"}')).toBe('{"code":"x"}');
    expect(oneLine('"just a string"')).toBe('"just a string"');
    expect(oneLine('null')).toBe('null');
    expect(oneLine('{"error":""}')).toBe('');
    expect(oneLine('{"message":5}')).toBe('{"message":5}');
    expect(oneLine('{"error":5,"message":[1]}')).toBe('{"error":5,"message":[1]}');
    expect(oneLine('Stryker was here')).toBe('Stryker was here');
  });

  it('whitespace folded, cut to max with an ellipsis, scrubbed with the given secrets', () => {
    expect(oneLine(' a \n\t b ')).toBe('a b');
    expect(oneLine('abcdef', [], 6)).toBe('abcdef');
    expect(oneLine('abcdefg', [], 6)).toBe('abcde…');
    expect(oneLine('x'.repeat(201))).toBe(`${'x'.repeat(199)}…`);
    expect(oneLine('x'.repeat(200))).toBe('x'.repeat(200));
    expect(oneLine('{"error":"bad pw-secret"}', ['pw-secret'])).toBe('bad [redacted]');
  });
});

describe('connect (target)', () => {
  it('1.x: /write and /query with db, rp, precision/epoch; Basic from the options; URL credentials never in a URL', () => {
    const c = connect({ apiVersion: 1, url: 'http://ux:px1@h:8086/pre/?x=1#f', database: 'd b', retentionPolicy: 'r', username: 'u', password: 'pw1' });
    expect(c.writeUrl.toString()).toBe('http://h:8086/pre/write?db=d+b&rp=r&precision=s');
    expect(c.queryUrl.toString()).toBe('http://h:8086/pre/query?db=d+b&rp=r&epoch=s');
    expect(c.authorization).toBe(`Basic ${Buffer.from('u:pw1').toString('base64')}`);
    expect(c.secrets).toEqual(['u:pw1', 'pw1', 'px1']);
    expect(c.label).toBe('influx: http://h:8086/pre');
    c.endpoint.agent.destroy();
  });

  it('1.x: credentials from the URL (decoded) when no username is given; a username without password uses an empty one', () => {
    const c = connect({ apiVersion: 1, url: 'http://us%40r:p%2Fw@h:8086', database: 'd' });
    expect(c.writeUrl.toString()).toBe('http://h:8086/write?db=d&precision=s');
    expect(c.authorization).toBe(`Basic ${Buffer.from('us@r:p/w').toString('base64')}`);
    expect(c.secrets).toEqual(['us@r:p/w', 'p/w', 'p/w']);
    const d = connect({ apiVersion: 1, url: 'http://ux:px@h', database: 'd', username: 'u' });
    expect(d.authorization).toBe(`Basic ${Buffer.from('u:').toString('base64')}`);
    expect(d.secrets).toEqual(['u:', 'px']);
    const e = connect({ apiVersion: 1, url: 'http://h', database: 'd', retentionPolicy: '' });
    expect(e.authorization).toBeUndefined();
    expect('authorization' in e).toBe(false);
    expect(e.secrets).toEqual([]);
    expect(e.queryUrl.searchParams.has('rp')).toBe(false);
    expect(connect({ apiVersion: 1, url: 'http://h/a//', database: 'd' }).writeUrl.toString()).toBe('http://h/a/write?db=d&precision=s');
    for (const x of [c, d, e]) x.endpoint.agent.destroy();
  });

  it('2.x: /api/v2/write?org&bucket, /query?db=bucket, Token from the options or the URL password', () => {
    const c = connect({ apiVersion: 2, url: 'https://h/', org: 'o', bucket: 'b', token: 'tk1' });
    expect(c.writeUrl.toString()).toBe('https://h/api/v2/write?org=o&bucket=b&precision=s');
    expect(c.queryUrl.toString()).toBe('https://h/query?db=b&epoch=s');
    expect(c.authorization).toBe('Token tk1');
    expect(c.secrets).toEqual(['tk1']);
    expect(c.endpoint.request).toBe(https.request);
    const d = connect({ apiVersion: 2, url: 'http://x:tk2@h', org: 'o', bucket: 'b' });
    expect(d.authorization).toBe('Token tk2');
    expect(d.secrets).toEqual(['tk2', 'tk2']);
    const e = connect({ apiVersion: 2, url: 'http://h', org: 'o', bucket: 'b', token: '' });
    expect(e.authorization).toBeUndefined();
    expect(e.secrets).toEqual([]);
    for (const x of [c, d, e]) x.endpoint.agent.destroy();
  });
});
