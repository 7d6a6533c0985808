/**
 * Pins one vendor exchange (src/core/call.ts) and the pacer: the retry bound, the backoff delays and
 * a server's Retry-After as their floor, the throttle pause, credential reload and re-signing once,
 * stops, and the one line a failure prints. Virtual time: nothing here waits.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { exchange, networkError, STOPPED, vendorErrorLine, type CallDeps, type CallSettings } from '../../src/core/call.js';
import { Pacer, PacerRegistry } from '../../src/core/pacer.js';
import type { VendorError } from '../../src/kernel/errors.js';
import type { HttpRequest, HttpResponse } from '../../src/kernel/http.js';
import { backoffDelay } from '../../src/kernel/retry.js';
import type { VendorAdapter } from '../../src/kernel/vendor.js';
import type { Clock } from '../../src/ports.js';

class Clk implements Clock {
  sleeps: number[] = [];
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new Error('aborted');
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const adapter = { module: 'mod', vendor: 'vend', account: 'acc', rateLimit: (k: string) => (k === 'fast' ? 1000 : 10) } as unknown as VendorAdapter;
const settings: CallSettings = { requestTimeoutMs: 5000, maxBodyBytes: 1024, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 350 } };
type R = { ok: true; v: string } | { ok: false; error: VendorError };
const err = (kind: VendorError['kind'], extra: Partial<VendorError> = {}): R => ({ ok: false, error: { kind, vendorCode: `C.${kind}`, message: 'm', ...extra } });

function setup(answers: (R | Error)[], o: { random?: number; clock?: Clk; pacers?: PacerRegistry } = {}) {
  const clock = o.clock ?? new Clk();
  const outcomes: string[] = [];
  const built: { nowMs: number; nonce: string; key: unknown }[] = [];
  let reloads = 0;
  let n = 0;
  let creds = 'k1';
  const deps: CallDeps = {
    clock,
    http: {
      async send(_req: HttpRequest, opts) {
        expect(opts.deadlineMs).toBe(5000);
        expect(opts.maxBodyBytes).toBe(1024);
        const a = answers[Math.min(n++, answers.length - 1)]!;
        if (a instanceof Error) throw a;
        return { status: 200, headers: {}, body: JSON.stringify(a) };
      },
    },
    pacers: o.pacers ?? new PacerRegistry(clock),
    credentials: {
      get: () => ({ key: creds }),
      reload: () => {
        reloads++;
        creds = 'k2';
      },
    },
    nonce: () => `n${built.length}`,
    random: () => o.random ?? 1,
    telemetry: { onCall: (v, a, api, outcome) => outcomes.push(`${v}/${a}/${api}:${outcome}`) },
    logger: pino({ level: 'silent' }),
  };
  const counter = { retries: 0, calls: 0 };
  const run = (signal?: AbortSignal, rateKey = 'fast') =>
    exchange<R>(deps, settings, adapter, 'Api', rateKey, counter, signal, (ctx) => {
      built.push({ nowMs: ctx.nowMs, nonce: ctx.nonce, key: ctx.credentials.key });
      return { method: 'GET', url: 'https://x/', headers: {} };
    }, (res: HttpResponse) => JSON.parse(res.body) as R);
  return { clock, outcomes, built, counter, run, reloads: () => reloads };
}

describe('retry bound and backoff', () => {
  it('a server error is tried collect.retryMaxAttempts times in all, with exponential capped delays', async () => {
    const s = setup([err('unavailable')]);
    const out = await s.run();
    expect(out).toEqual(err('unavailable'));
    expect(s.counter).toEqual({ calls: 4, retries: 3 });
    expect(s.clock.sleeps).toEqual([100, 200, 350]); // random()=1: the full cap, 100·2^n up to 350
    expect(s.outcomes).toEqual(['vend/acc/Api:retried', 'vend/acc/Api:retried', 'vend/acc/Api:retried', 'vend/acc/Api:failed']);
  });

  it('full jitter: between half the cap and the cap', async () => {
    const s = setup([err('timeout'), err('malformed'), { ok: true, v: 'x' }], { random: 0 });
    expect(await s.run()).toEqual({ ok: true, v: 'x' });
    expect(s.clock.sleeps).toEqual([50, 100]);
    expect(s.counter).toEqual({ calls: 3, retries: 2 });
    expect(s.outcomes.at(-1)).toBe('vend/acc/Api:ok');
    expect(backoffDelay(settings.retry, 0, () => 0.5)).toBe(75);
  });

  it("a server's Retry-After is a floor of the delay, never a cap", async () => {
    const s = setup([err('unavailable', { retryAfterMs: 2000 }), err('unavailable', { retryAfterMs: 10 }), { ok: true, v: 'x' }]);
    await s.run();
    expect(s.clock.sleeps).toEqual([2000, 200]);
  });

  it('each attempt is signed afresh with the time and a new nonce', async () => {
    const s = setup([err('unavailable'), { ok: true, v: 'x' }]);
    await s.run();
    expect(s.built).toEqual([
      { nowMs: 1_000_000, nonce: 'n0', key: 'k1' },
      { nowMs: 1_000_100, nonce: 'n1', key: 'k1' },
    ]);
  });

  it('invalid and not_found are never retried', async () => {
    for (const kind of ['invalid', 'not_found'] as const) {
      const s = setup([err(kind), { ok: true, v: 'x' }]);
      expect(await s.run()).toEqual(err(kind));
      expect(s.counter).toEqual({ calls: 1, retries: 0 });
      expect(s.outcomes).toEqual(['vend/acc/Api:failed']);
    }
  });

  it('one attempt only when retryMaxAttempts is 1', async () => {
    const s = setup([err('unavailable'), { ok: true, v: 'x' }]);
    const one = { ...settings, retry: { ...settings.retry, maxAttempts: 1 } };
    const counter = { retries: 0, calls: 0 };
    const deps = { clock: s.clock } as unknown as CallDeps;
    void deps;
    // reuse the setup's run with a one-attempt policy
    const out = await exchange<R>(
      { ...(await mkDeps(s)) },
      one,
      adapter,
      'Api',
      'fast',
      counter,
      undefined,
      () => ({ method: 'GET', url: 'https://x/', headers: {} }),
      () => err('unavailable'),
    );
    expect(out).toEqual(err('unavailable'));
    expect(counter).toEqual({ calls: 1, retries: 0 });
  });
});

async function mkDeps(s: { clock: Clk }): Promise<CallDeps> {
  return {
    clock: s.clock,
    http: { send: async () => ({ status: 200, headers: {}, body: '' }) },
    pacers: new PacerRegistry(s.clock),
    credentials: { get: () => ({}), reload: () => {} },
    nonce: () => 'n',
    random: () => 1,
    logger: pino({ level: 'silent' }),
  };
}

describe('throttling', () => {
  it('a throttled answer is retried with backoff and reported as throttled, not as retried', async () => {
    const s = setup([err('throttled', { retryAfterMs: 1500 }), { ok: true, v: 'x' }]);
    expect(await s.run()).toEqual({ ok: true, v: 'x' });
    expect(s.outcomes).toEqual(['vend/acc/Api:throttled', 'vend/acc/Api:ok']);
    expect(s.clock.sleeps).toEqual([1500]);
  });

  it('a throttled answer holds back every caller of the same API and account (the pacer pauses)', async () => {
    const clock = new Clk();
    const pacers = new PacerRegistry(clock);
    const s = setup([err('throttled', { retryAfterMs: 3000 }), { ok: true, v: 'x' }], { clock, pacers });
    const p = pacers.get('mod:acc:fast', 1000);
    await s.run();
    // the pause was set when the throttle was seen (t0 + 3000); the retry then took the next slot
    const t = clock.now();
    await p.acquire();
    expect(clock.now() - t).toBeCloseTo(1000 / (1000 * 0.95), 6);
  });

  it('the pause of the pacer holds the next slot back, and never shortens a later one', async () => {
    const clock = new Clk(0);
    const p = new Pacer(clock, 1); // 1/s at 95 %: slots 1052.6 ms apart
    await p.acquire();
    expect(clock.sleeps).toEqual([]);
    p.pause(5000);
    await p.acquire();
    expect(clock.sleeps).toEqual([5000]);
    p.pause(10); // shorter than the next slot: no effect
    await p.acquire();
    expect(clock.sleeps[1]).toBeCloseTo(1000 / 0.95, 6);
  });

  it('calls on one pacer are spaced at the rate with 5 % headroom, in call order; keys do not share', async () => {
    const clock = new Clk(0);
    const reg = new PacerRegistry(clock);
    const a = reg.get('k', 2);
    expect(reg.get('k', 99)).toBe(a);
    expect(reg.get('other', 2)).not.toBe(a);
    await Promise.all([a.acquire(), a.acquire(), a.acquire()]);
    // this clock moves on at each sleep: the wake-up times are what the slots are
    expect([clock.sleeps[0]!, clock.sleeps[0]! + clock.sleeps[1]!].map((x) => Math.round(x * 1000) / 1000)).toEqual([526.316, 1052.632]);
    const h = new Pacer(clock, 10, 0.5);
    const t = clock.now();
    await h.acquire();
    await h.acquire();
    expect(clock.now() - t).toBeCloseTo(200, 6);
  });

  it('the rate key and account select the pacer of the exchange', async () => {
    const clock = new Clk(0);
    const pacers = new PacerRegistry(clock);
    const s = setup([{ ok: true, v: 'x' }], { clock, pacers });
    await s.run(undefined, 'slow');
    await s.run(undefined, 'slow');
    expect(clock.sleeps).toEqual([1000 / (10 * 0.95)]);
    expect(pacers.get('mod:acc:slow', 1)).toBeDefined();
  });
});

describe('credentials and clock refusals', () => {
  it('auth: the secrets are read again and the call tried once more, once', async () => {
    const s = setup([err('auth'), err('auth'), { ok: true, v: 'x' }]);
    expect(await s.run()).toEqual(err('auth'));
    expect(s.reloads()).toBe(1);
    expect(s.built.map((b) => b.key)).toEqual(['k1', 'k2']);
    expect(s.counter).toEqual({ calls: 2, retries: 1 });
    expect(s.clock.sleeps.map((x) => Math.round(x * 1e6))).toEqual([1052632]); // the pacer's slot only, no backoff
    expect(s.outcomes).toEqual(['vend/acc/Api:retried', 'vend/acc/Api:failed']);
  });

  it('auth after a reload that helped: success', async () => {
    const s = setup([err('auth'), { ok: true, v: 'x' }]);
    expect(await s.run()).toEqual({ ok: true, v: 'x' });
  });

  it('clock: signed afresh once, without waiting', async () => {
    const s = setup([err('clock'), err('clock'), { ok: true, v: 'x' }]);
    expect(await s.run()).toEqual(err('clock'));
    expect(s.counter).toEqual({ calls: 2, retries: 1 });
    expect(s.clock.sleeps.map((x) => Math.round(x * 1e6))).toEqual([1052632]); // the pacer's slot only, no backoff
    expect(s.reloads()).toBe(0);
  });
});

describe('network failures and stops', () => {
  it('below HTTP: deadline → timeout, oversized body → malformed, the rest → unavailable with its code', () => {
    for (const code of ['Timeout', 'ETIMEDOUT', 'ECONNABORTED']) expect(networkError(Object.assign(new Error('x'), { code }), 7000)).toEqual({ kind: 'timeout', vendorCode: 'Timeout', message: 'no complete answer within 7000 ms' });
    expect(networkError(Object.assign(new Error('body over 10 bytes\nmore'), { code: 'BodyTooLarge' }), 1)).toEqual({ kind: 'malformed', vendorCode: 'BodyTooLarge', message: 'body over 10 bytes' });
    expect(networkError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 1)).toEqual({ kind: 'unavailable', vendorCode: 'ECONNREFUSED', message: 'refused' });
    expect(networkError(new Error('odd'), 1)).toEqual({ kind: 'unavailable', vendorCode: 'NetworkError', message: 'odd' });
    expect(networkError(undefined, 1).vendorCode).toBe('NetworkError');
  });

  it('a thrown send is retried like the error kind it maps to', async () => {
    const s = setup([Object.assign(new Error('x'), { code: 'Timeout' }), { ok: true, v: 'x' }]);
    expect(await s.run()).toEqual({ ok: true, v: 'x' });
    expect(s.counter.retries).toBe(1);
    const t = setup([Object.assign(new Error('x'), { code: 'EPIPE' })]);
    expect(await t.run()).toEqual({ ok: false, error: { kind: 'unavailable', vendorCode: 'EPIPE', message: 'x' } });
    expect(t.counter.calls).toBe(4);
  });

  it('stopped before, during a call, or while waiting: STOPPED, no further call', async () => {
    const ac = new AbortController();
    ac.abort();
    const s = setup([{ ok: true, v: 'x' }]);
    expect(await s.run(ac.signal)).toEqual({ ok: false, error: STOPPED });
    expect(s.counter.calls).toBe(0);

    const ac2 = new AbortController();
    const t = setup([]);
    const clock = t.clock;
    const deps: CallDeps = { ...(await mkDeps({ clock })), http: { send: async () => { ac2.abort(); throw new Error('aborted'); } } };
    const counter = { retries: 0, calls: 0 };
    expect(await exchange<R>(deps, settings, adapter, 'Api', 'fast', counter, ac2.signal, () => ({ method: 'GET', url: 'u', headers: {} }), () => ({ ok: true, v: 'y' }))).toEqual({ ok: false, error: STOPPED });
    expect(counter.calls).toBe(1);

    const ac3 = new AbortController();
    const deps3: CallDeps = { ...(await mkDeps({ clock })), http: { send: async () => { ac3.abort(); return { status: 500, headers: {}, body: '' }; } } };
    const c3 = { retries: 0, calls: 0 };
    expect(await exchange<R>(deps3, settings, adapter, 'Api', 'fast', c3, ac3.signal, () => ({ method: 'GET', url: 'u', headers: {} }), () => err('unavailable'))).toEqual(err('unavailable'));
    expect(c3).toEqual({ calls: 1, retries: 0 });
  });

  it('a stop while waiting for the pacer or the backoff ends the exchange', async () => {
    const clock = new Clk(0);
    const ac = new AbortController();
    const failing: Clock = { now: () => clock.now(), sleep: async () => { throw new Error('aborted'); } };
    const pacers = new PacerRegistry(failing);
    await pacers.get('mod:acc:fast', 1000).acquire(); // the next caller must wait
    const deps: CallDeps = { ...(await mkDeps({ clock })), clock: failing, pacers };
    const c = { retries: 0, calls: 0 };
    expect(await exchange<R>(deps, settings, adapter, 'Api', 'fast', c, ac.signal, () => ({ method: 'GET', url: 'u', headers: {} }), () => ({ ok: true, v: 'y' }))).toEqual({ ok: false, error: STOPPED });
    expect(c.calls).toBe(0);
    const deps2: CallDeps = { ...(await mkDeps({ clock })), clock: failing, pacers: new PacerRegistry(clock) };
    const c2 = { retries: 0, calls: 0 };
    expect(await exchange<R>(deps2, settings, adapter, 'Api', 'fast', c2, undefined, () => ({ method: 'GET', url: 'u', headers: {} }), () => err('unavailable'))).toEqual({ ok: false, error: STOPPED });
    expect(c2).toEqual({ calls: 1, retries: 1 });
  });
});

describe('the failure line', () => {
  const e: VendorError = { kind: 'auth', vendorCode: 'SignatureDoesNotMatch', message: 'bad sig', requestId: 'R-1' };
  it('names vendor, API, domains (up to three), code, message, request id, account and the hint', () => {
    expect(vendorErrorLine('aliyun', 'Describe', 'default', ['a.com', 'b.com', 'c.com'], e)).toBe('aliyun Describe a.com,b.com,c.com: SignatureDoesNotMatch bad sig (RequestId R-1, account default); check the credentials');
    expect(vendorErrorLine('aliyun', 'Describe', 'ops', ['a', 'b', 'c', 'd'], { kind: 'unavailable', vendorCode: 'Timeout', message: '' })).toBe('aliyun Describe 4 domains: Timeout (account ops)');
  });
});

describe('what the exchange hands on', () => {
  /** A clock that records waits without moving: the pacer's slots then show as waits of their own. */
  class Still extends Clk {
    override async sleep(ms: number): Promise<void> {
      this.sleeps.push(ms);
    }
  }

  it('only a throttled answer pauses the pacer: the retry waits for the pause, a server error does not', async () => {
    const th = setup([err('throttled', { retryAfterMs: 3000 }), { ok: true, v: 'x' }], { clock: new Still() });
    await th.run();
    expect(th.clock.sleeps).toEqual([3000, 3000]);
    const un = setup([err('unavailable', { retryAfterMs: 3000 }), { ok: true, v: 'x' }], { clock: new Still() });
    await un.run();
    expect(un.clock.sleeps.map((x) => Math.round(x))).toEqual([3000, 1]);
  });

  it('the stop signal reaches the HTTP client; no telemetry is fine', async () => {
    const clock = new Clk();
    const seen: (AbortSignal | undefined)[] = [];
    const ac = new AbortController();
    const deps: CallDeps = { ...(await mkDeps({ clock })), http: { send: async (_r, o) => (seen.push(o.signal), { status: 200, headers: {}, body: '' }) } };
    const c = { retries: 0, calls: 0 };
    expect(await exchange<R>(deps, settings, adapter, 'Api', 'fast', c, ac.signal, () => ({ method: 'GET', url: 'u', headers: {} }), () => ({ ok: true, v: 'y' }))).toEqual({ ok: true, v: 'y' });
    expect(seen).toEqual([ac.signal]);
    const deps2: CallDeps = { ...deps, telemetry: {} };
    expect(await exchange<R>(deps2, settings, adapter, 'Api', 'fast', c, undefined, () => ({ method: 'GET', url: 'u', headers: {} }), () => err('invalid'))).toEqual(err('invalid'));
    expect(await exchange<R>(deps2, settings, adapter, 'Api', 'fast', c, undefined, () => ({ method: 'GET', url: 'u', headers: {} }), () => ({ ok: true, v: 'z' }))).toEqual({ ok: true, v: 'z' });
  });
});
