/** One vendor exchange (core/call.ts): retry by error kind only, backoff, pacing, deadlines. */
import { describe, expect, it } from 'vitest';
import { exchange, networkError, vendorErrorLine, type CallSettings } from '../../src/core/call.js';
import type { VendorError, VendorErrorKind } from '../../src/kernel/errors.js';
import type { HttpResponse } from '../../src/kernel/http.js';
import { backoffDelay } from '../../src/kernel/retry.js';
import type { VendorAdapter } from '../../src/kernel/vendor.js';
import type { HttpClient, SendOptions } from '../../src/ports.js';
import { ManualClock, staticCredentials, testDeps } from '../support/fakes.js';

const settings: CallSettings = { requestTimeoutMs: 1234, maxBodyBytes: 999, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 } };
const adapter = { module: 'acme', vendor: 'acme', account: 'prod', rateLimit: () => 1000 } as unknown as VendorAdapter;

/** Answers with the scripted outcomes in turn; each body says which attempt it was. */
function scripted(n: number): HttpClient & { opts: SendOptions[] } {
  const opts: SendOptions[] = [];
  let i = 0;
  return { opts, send: async (_r, o) => (opts.push(o), { status: 200, headers: {}, body: String(i++ < n ? 'bad' : 'good') }) };
}

function run(kind: VendorErrorKind, failures: number, extra: Partial<VendorError> = {}) {
  const clock = new ManualClock(1_000_000);
  const http = scripted(failures);
  const credentials = staticCredentials({});
  const deps = testDeps({ clock, http, credentials });
  const counter = { retries: 0, calls: 0 };
  const signed: number[] = [];
  const p = exchange(deps, settings, adapter, 'GetStats', 'GetStats', counter, undefined, (ctx) => (signed.push(ctx.nowMs), { method: 'GET', url: 'http://acme/', headers: {} }), (res: HttpResponse) =>
    res.body === 'good' ? { ok: true as const } : { ok: false as const, error: { kind, vendorCode: `E-${kind}`, message: 'no', ...extra } },
  );
  return { p, clock, http, counter, credentials, signed };
}

describe('retry by kind', () => {
  it.each([
    ['throttled', 3, true, 4],
    ['unavailable', 3, true, 4],
    ['timeout', 3, true, 4],
    ['malformed', 3, true, 4],
    ['malformed', 4, false, 4],
    ['auth', 1, true, 2],
    ['auth', 2, false, 2],
    ['clock', 1, true, 2],
    ['clock', 2, false, 2],
    ['invalid', 1, false, 1],
    ['not_found', 1, false, 1],
  ] as [VendorErrorKind, number, boolean, number][])('%s failing %i time(s): ok=%s after %i attempt(s)', async (kind, failures, ok, attempts) => {
    const r = run(kind, failures);
    const out = await r.p;
    expect(out.ok).toBe(ok);
    expect(r.counter.calls).toBe(attempts);
    expect(r.counter.retries).toBe(attempts - 1);
    expect(r.credentials.reloads).toEqual(kind === 'auth' ? ['acme/prod'] : []);
    // Every attempt is signed afresh, and sends the deadline and body cap.
    expect(r.signed).toHaveLength(attempts);
    for (const o of r.http.opts) expect(o).toMatchObject({ deadlineMs: 1234, maxBodyBytes: 999 });
  });

  it('backoff grows, with jitter, capped; a Retry-After is a floor', async () => {
    const r = run('unavailable', 3);
    await r.p;
    // random() = 0.5: three quarters of min(max, base * 2^attempt).
    expect(r.clock.sleeps.filter((ms) => ms >= 50)).toEqual([75, 150, 300]);
    const t = run('throttled', 1, { retryAfterMs: 5000 });
    await t.p;
    expect(t.clock.sleeps).toContain(5000);
  });

  it.each([
    [0, 0, undefined, 50],
    [0, 1, undefined, 100],
    [3, 0.5, undefined, 600],
    [10, 1, undefined, 1000],
    [10, 0, undefined, 500],
    [0, 0, 7000, 7000],
  ])('backoffDelay(attempt %i, random %s, retryAfter %s) = %i', (attempt, random, retryAfter, want) => {
    expect(backoffDelay({ maxAttempts: 9, baseDelayMs: 100, maxDelayMs: 1000 }, attempt, () => random, retryAfter)).toBe(want);
  });

  it('a stop: no retry after a failed answer, and no call at all once stopped', async () => {
    const clock = new ManualClock(0);
    const ac = new AbortController();
    let sent = 0;
    const http: HttpClient = { send: async () => (sent++, ac.abort(new Error('stop')), { status: 503, headers: {}, body: '' }) };
    const deps = testDeps({ clock, http, credentials: staticCredentials({}) });
    const go = () => exchange(deps, settings, adapter, 'GetStats', 'GetStats', { retries: 0, calls: 0 }, ac.signal, () => ({ method: 'GET', url: 'http://acme/', headers: {} }), () => ({ ok: false as const, error: { kind: 'unavailable' as const, vendorCode: 'E503', message: '' } }));
    expect(await go()).toMatchObject({ ok: false, error: { vendorCode: 'E503' } });
    expect(sent).toBe(1);
    expect(await go()).toMatchObject({ ok: false, error: { vendorCode: 'Stopped' } });
    expect(sent).toBe(1);
  });
});

describe('networkError and the error line', () => {
  it.each([
    ['Timeout', 'timeout', 'Timeout'],
    ['ETIMEDOUT', 'timeout', 'Timeout'],
    ['ECONNABORTED', 'timeout', 'Timeout'],
    ['BodyTooLarge', 'malformed', 'BodyTooLarge'],
    ['ECONNREFUSED', 'unavailable', 'ECONNREFUSED'],
    [undefined, 'unavailable', 'NetworkError'],
  ])('%s → %s', (code, kind, vendorCode) => {
    expect(networkError(Object.assign(new Error('x\nsecond line'), code ? { code } : {}), 500)).toMatchObject({ kind, vendorCode });
  });

  it('names vendor, API, domains (or their count), code, request id and account, plus the hint of the kind', () => {
    expect(vendorErrorLine('aliyun', 'DescribeX', 'prod', ['a.com', 'b.com'], { kind: 'auth', vendorCode: 'SignatureDoesNotMatch', message: 'bad sig', requestId: 'R-1' })).toBe('aliyun DescribeX a.com,b.com: SignatureDoesNotMatch bad sig (RequestId R-1, account prod); check the credentials');
    expect(vendorErrorLine('tencent', 'DescribeOriginData', 'default', ['a', 'b', 'c', 'd'], { kind: 'malformed', vendorCode: 'Malformed', message: 'x' })).toBe('tencent DescribeOriginData 4 domains: Malformed x (account default)');
  });
});
