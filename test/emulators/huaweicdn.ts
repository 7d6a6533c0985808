/**
 * A Huawei Cloud CDN emulator: ShowDomainStats (`GET /v1.0/cdn/statistics/domain-stats`) and
 * ListDomains (`GET /v1.0/cdn/domains`), as src/vendors/huaweicdn/README.md describes them.
 *
 * Strict like the vendor: APIG SDK-HMAC-SHA256 signatures are verified with the official signer
 * (@huaweicloud/huaweicloud-sdk-core AKSKSigner) per account (AK), with X-Security-Token and
 * X-Domain-Id checked when the account has them; action/start_time/end_time/domain_name/stat_type
 * required; ≤ 20 domains, ≤ 5 stat_types, status_code_* and bs_status_code_* never together;
 * interval 300/3600/86400 (CDN.0203 with HTTP 200 otherwise); start/end on the interval's grid
 * (daily: 00:00 UTC+8), end after start, span ≤ 2/7/31 days, ≤ 90 days back (CDN.0202 with HTTP 200);
 * 15 calls/s per account (429 APIGW.0308). With `group_by=domain` each domain has its own series and a
 * domain without data in the period is left out; without it the domains are summed. Buckets younger
 * than `settleMs` are served smaller and grow until they settle (`revised`). Buckets that have not
 * started are not served (the lists end at now).
 *
 * Fault switches (the bad-input corpus, vocabulary of ./faults.ts): `emu.inject({ api?, domain?, count?, fault })`
 * makes the next `count` (default 1) answers of `api` ('ShowDomainStats' | 'ListDomains'; default
 * ShowDomainStats), for calls that carry `domain` when given, answer with the fault instead:
 *   missing-container  no `result` (ListDomains: no `domains`)     null-container  `result: null`
 *   error-200          `{"error":{"error_code":"CDN.9999",…}}` with HTTP 200 (a code nobody documents)
 *   non-json / html-500 / truncated / stall / oversized   the transport faults of ./faults.ts
 *   foreign-domain     the series of `domain` (or the first) keyed by a domain not asked
 *   other-interval     60-second series (5× as many values) for a 300-second query, echoing interval 60
 *   off-grid           echoes a start_time 150 s after the asked one
 *   value-null / value-empty / value-abc / value-NaN / value-Infinity / value-negative / value-fraction
 *                      the first value of each series of `domain` (or of every domain) becomes null, "",
 *                      "abc", "NaN", "Infinity", -5 or 1.5
 * and the Huawei CDN ones:
 *   cdn-0202 / cdn-0203 / cdn-0000   that error object with HTTP 200
 *   throttle           429 APIGW.0308                                 auth   401 APIGW.0301
 *   merged             ignores group_by=domain (the summed form)
 *   long-series / short-series   one value more / the last two values left out
 * `zoneless-time` and `unparseable-time` do not apply (times are implicit: start_time + i × interval,
 * in epoch milliseconds) and throw.
 */
import { createRequire } from 'node:module';
import { Emulator, minuteBytes, revised, type CallRecord, type EmuRequest, type EmuResponse, type EmulatorClock } from './common.js';
import { FAULT_VALUES, transportFault, type FaultName } from './faults.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: { sign(req: Record<string, unknown>, cred: { getAk(): string; getSk(): string }): Record<string, string> };
};

const DAY = 86_400;
const SPAN: Record<number, number> = { 300: 7 * DAY, 3600: 31 * DAY, 86400: 31 * DAY };
const OFFSET: Record<number, number> = { 300: 0, 3600: 0, 86400: -8 * 3600 };
export const STAT_TYPES = [
  'bw', 'flux', 'bs_bw', 'bs_flux', 'req_num', 'hit_num', 'bs_num', 'bs_fail_num', 'hit_flux',
  'http_code_2xx', 'http_code_3xx', 'http_code_4xx', 'http_code_5xx',
  'bs_http_code_2xx', 'bs_http_code_3xx', 'bs_http_code_4xx', 'bs_http_code_5xx',
  'status_code_2xx', 'status_code_3xx', 'status_code_4xx', 'status_code_5xx',
  'bs_status_code_2xx', 'bs_status_code_3xx', 'bs_status_code_4xx', 'bs_status_code_5xx',
] as const;
const BS = ['bs_flux', 'bs_bw', 'bs_num', 'bs_fail_num', 'bs_http_code_2xx', 'bs_http_code_3xx', 'bs_http_code_4xx', 'bs_http_code_5xx'] as const;

export type HuaweiCdnFault = FaultName | 'cdn-0202' | 'cdn-0203' | 'cdn-0000' | 'throttle' | 'auth' | 'merged' | 'long-series' | 'short-series';

export interface Injection {
  readonly api?: 'ShowDomainStats' | 'ListDomains';
  readonly domain?: string;
  readonly count?: number;
  readonly fault: HuaweiCdnFault;
}

export interface HuaweiCdnDomain {
  readonly domain: string;
  readonly status?: 'online' | 'offline' | 'configuring';
  /** No traffic before this time (epoch s); a domain with no traffic in the asked period is left out. */
  readonly trafficFromSec?: number;
}

export interface HuaweiCdnAccount {
  readonly sk: string;
  /** When set, an X-Domain-Id header (if sent) must carry it. */
  readonly domainId?: string;
  readonly securityToken?: string;
  readonly domains: readonly HuaweiCdnDomain[];
}

export interface HuaweiCdnEmulatorOptions extends EmulatorClock {
  /** By AK. */
  readonly accounts: Record<string, HuaweiCdnAccount>;
  /** ShowDomainStats calls per second per account (documented: 15). */
  readonly rateLimit?: number;
  readonly domainsRateLimit?: number;
  readonly settleMs?: number;
}

export class HuaweiCdnEmulator extends Emulator {
  readonly #o: HuaweiCdnEmulatorOptions;
  readonly #injections: (Injection & { remaining: number })[] = [];
  readonly #base = new Map<string, number>();
  #n = 0;

  constructor(o: HuaweiCdnEmulatorOptions) {
    super(o);
    this.#o = o;
  }

  inject(i: Injection): void {
    if (i.fault === 'zoneless-time' || i.fault === 'unparseable-time') throw new Error(`huaweicdn: ${i.fault} does not apply (times are start_time + i × interval, epoch ms)`);
    this.#injections.push({ ...i, remaining: i.count ?? 1 });
  }

  /** Accepted ShowDomainStats calls. */
  dataCalls(): CallRecord[] {
    return this.calls.filter((c) => c.api === 'ShowDomainStats' && c.status === 200 && !c.code);
  }

  /** Forgets pending fault switches. */
  clearFaults(): void {
    this.#injections.length = 0;
  }

  /** The settled value of one bs_* metric for one bucket of `g` seconds (sums of 300-second buckets). */
  finalValue(domain: string, stat: string, tsSec: number, g: number, account?: HuaweiCdnAccount): number {
    const d = (account ?? this.#accountOf(domain))?.domains.find((x) => x.domain === domain);
    let flux = 0;
    let num = 0;
    let c3 = 0;
    let c4 = 0;
    let fail = 0;
    for (let t = tsSec; t < tsSec + g; t += 300) {
      if (d?.trafficFromSec !== undefined && t < d.trafficFromSec) continue;
      const f = this.#baseFlux(domain, t);
      const n = Math.floor(f / 20_000);
      flux += f;
      num += n;
      c3 += Math.floor(n / 50);
      c4 += Math.floor(n / 40);
      fail += n % 7;
    }
    switch (stat) {
      case 'bs_flux': return flux;
      case 'bs_bw': return Math.round((flux * 8) / g);
      case 'bs_num': return num;
      case 'bs_fail_num': return fail;
      case 'bs_http_code_2xx': return num - fail - c3 - c4;
      case 'bs_http_code_3xx': return c3;
      case 'bs_http_code_4xx': return c4;
      case 'bs_http_code_5xx': return fail;
      default: return Math.floor(flux / 3);
    }
  }

  servedValue(domain: string, stat: string, tsSec: number, g: number, nowMs: number, account?: HuaweiCdnAccount): number {
    return revised(this.finalValue(domain, stat, tsSec, g, account), (tsSec + g) * 1000, this.#o.settleMs ?? 3 * 3600_000, nowMs);
  }

  #baseFlux(domain: string, t: number): number {
    const k = `${domain}|${t}`;
    let v = this.#base.get(k);
    if (v === undefined) {
      v = 0;
      for (let m = t; m < t + 300; m += 60) v += minuteBytes(domain, m, 'huaweicdn');
      this.#base.set(k, v);
    }
    return v;
  }

  #accountOf(domain: string): HuaweiCdnAccount | undefined {
    return Object.values(this.#o.accounts).find((a) => a.domains.some((d) => d.domain === domain));
  }

  #take(api: string, domains: readonly string[]): Injection | undefined {
    const i = this.#injections.find((x) => (x.api ?? 'ShowDomainStats') === api && x.remaining > 0 && (!x.domain || domains.includes(x.domain)));
    if (!i) return undefined;
    i.remaining--;
    return i;
  }

  handle(req: EmuRequest): EmuResponse {
    const nowMs = this.now();
    const requestId = `hwcdn-${(++this.#n).toString(16).padStart(8, '0')}`;
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    const api = req.url.pathname === '/v1.0/cdn/statistics/domain-stats' ? 'ShowDomainStats' : req.url.pathname === '/v1.0/cdn/domains' ? 'ListDomains' : req.url.pathname;
    const domains = (query.domain_name ?? '').split(',').filter(Boolean);
    let injected: Injection | undefined;
    const reply = (status: number, body: unknown, code?: string): EmuResponse => {
      // A faulted answer is recorded with its fault, so that dataCalls() counts only good ones.
      const c = code ?? (injected ? `fault:${injected.fault}` : undefined);
      this.calls.push({ api, domains, status, ...(c ? { code: c } : {}), params: query, atMs: nowMs });
      return { status, body, headers: { 'X-Request-Id': requestId } };
    };
    const gw = (status: number, code: string, msg: string) => reply(status, { error_code: code, error_msg: msg, request_id: requestId }, code);
    const cdn = (status: number, code: string, msg: string) => reply(status, { error: { error_code: code, error_msg: msg } }, code);
    if ((api !== 'ShowDomainStats' && api !== 'ListDomains') || req.method !== 'GET') return gw(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');

    // --- authentication (API Gateway) ---
    const authz = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!authz) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: Authorization header is missing or malformed');
    const ak = authz[1]!;
    const signed = authz[2]!.split(';');
    const account = this.#o.accounts[ak];
    if (!account) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: AK not found');
    const date = req.headers['x-sdk-date'] ?? '';
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!dm || !signed.includes('x-sdk-date') || !signed.includes('host')) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: X-Sdk-Date and Host must be signed');
    const at = Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!);
    if (Math.abs(at - nowMs) > 15 * 60_000) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: request expired');
    // Every header the client sends that matters must be covered by the signature.
    for (const h of ['x-domain-id', 'x-security-token']) if (req.headers[h] !== undefined && !signed.includes(h)) return gw(401, 'APIGW.0301', `Incorrect IAM authentication information: ${h} is not signed`);
    const headers: Record<string, string> = {};
    for (const h of signed) if (h !== 'x-sdk-date') headers[h] = req.headers[h] ?? '';
    const expected = AKSKSigner.sign(
      { method: req.method, endpoint: `http://${req.headers.host}${req.url.pathname}`, queryParams: query, headers: { ...headers, 'X-Sdk-Date': date }, data: undefined },
      { getAk: () => ak, getSk: () => account.sk },
    ).Authorization;
    if (expected !== req.headers.authorization) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    if (account.securityToken !== undefined && req.headers['x-security-token'] !== account.securityToken) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token invalid');
    if (account.securityToken === undefined && req.headers['x-security-token'] !== undefined) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token invalid');
    if (req.headers['x-domain-id'] !== undefined && account.domainId !== undefined && req.headers['x-domain-id'] !== account.domainId) return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: domain id does not match the AK');
    const limit = api === 'ShowDomainStats' ? (this.#o.rateLimit ?? 15) : (this.#o.domainsRateLimit ?? 10);
    if (!this.limiter.admit(`${ak}:${api}`, limit, nowMs)) return gw(429, 'APIGW.0308', `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`);

    injected = this.#take(api, api === 'ShowDomainStats' ? (domains.includes('all') ? account.domains.map((d) => d.domain) : domains) : []);
    const early = injected ? this.#earlyFault(injected.fault, reply, cdn, gw) : undefined;
    if (early) return early;

    const ok = api === 'ListDomains' ? this.#listDomains(account, query, reply, cdn, injected) : this.#stats(account, query, nowMs, reply, cdn, injected);
    return (injected && ok.status === 200 && transportFault(injected.fault as FaultName, ok)) || ok;
  }

  #earlyFault(
    fault: HuaweiCdnFault,
    reply: (s: number, b: unknown, c?: string) => EmuResponse,
    cdn: (s: number, c: string, m: string) => EmuResponse,
    gw: (s: number, c: string, m: string) => EmuResponse,
  ): EmuResponse | undefined {
    switch (fault) {
      case 'error-200': return cdn(200, 'CDN.9999', 'Something unexpected happened');
      case 'cdn-0202': return cdn(200, 'CDN.0202', 'Time error: the start or end time is not valid');
      case 'cdn-0203': return cdn(200, 'CDN.0203', 'Interval error: the interval is not valid');
      case 'cdn-0000': return cdn(200, 'CDN.0000', 'Internal error');
      case 'throttle': return gw(429, 'APIGW.0308', 'The throttling threshold has been reached: policy user over ratelimit,limit:15,time:1 second');
      case 'auth': return gw(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
      default: return undefined;
    }
  }

  #listDomains(account: HuaweiCdnAccount, q: Record<string, string>, reply: (s: number, b: unknown, c?: string) => EmuResponse, cdn: (s: number, c: string, m: string) => EmuResponse, inj?: Injection): EmuResponse {
    const pageSize = q.page_size === undefined ? 30 : Number(q.page_size);
    const page = q.page_number === undefined ? 1 : Number(q.page_number);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) return cdn(400, 'CDN.0001', 'page_size must be 1..10000');
    if (!Number.isInteger(page) || page < 1 || page > 65_535) return cdn(400, 'CDN.0001', 'page_number must be 1..65535');
    const all = account.domains.filter((d) => !q.domain_status || (d.status ?? 'online') === q.domain_status);
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    const body: Record<string, unknown> = {
      total: all.length,
      domains: slice.map((d, i) => ({
        id: `ff8080${(i + (page - 1) * pageSize).toString(16).padStart(26, '0')}`,
        domain_name: d.domain,
        business_type: 'web',
        domain_status: d.status ?? 'online',
        cname: `${d.domain}.c.cdnhwc1.com`,
        sources: [{ domain_id: 'x', ip_or_domain: 'origin.example.com', origin_type: 'domain', active_standby: 1 }],
        https_status: 0,
        create_time: 1_700_000_000_000,
        modify_time: 1_700_000_000_000,
        disabled: 0,
        locked: 0,
        service_area: 'mainland_china',
      })),
    };
    if (inj?.fault === 'missing-container') delete body.domains;
    if (inj?.fault === 'null-container') body.domains = null;
    return reply(200, body);
  }

  #stats(
    account: HuaweiCdnAccount,
    q: Record<string, string>,
    nowMs: number,
    reply: (s: number, b: unknown, c?: string) => EmuResponse,
    cdn: (s: number, c: string, m: string) => EmuResponse,
    inj?: Injection,
  ): EmuResponse {
    const bad = (m: string) => cdn(400, 'CDN.0001', `Parameter error: ${m}`);
    for (const p of ['action', 'start_time', 'end_time', 'domain_name', 'stat_type']) if (!q[p]) return bad(`${p} is required`);
    if (q.action !== 'detail' && q.action !== 'summary') return bad('action must be summary or detail');
    if (!/^\d+$/.test(q.start_time!) || !/^\d+$/.test(q.end_time!)) return bad('start_time and end_time are epoch milliseconds');
    const start = Number(q.start_time) / 1000;
    const end = Number(q.end_time) / 1000;
    const statTypes = q.stat_type!.split(',');
    if (statTypes.length > 5) return bad('at most 5 stat_type values');
    for (const s of statTypes) if (!(STAT_TYPES as readonly string[]).includes(s)) return bad(`stat_type ${s} is not supported`);
    if (new Set(statTypes).size !== statTypes.length) return bad('stat_type repeats a value');
    if (statTypes.some((s) => s.startsWith('status_code_')) && statTypes.some((s) => s.startsWith('bs_status_code_'))) return bad('status_code and bs_status_code cannot be queried together');
    const names = q.domain_name === 'all' ? account.domains.map((d) => d.domain) : q.domain_name!.split(',');
    if (q.domain_name !== 'all' && names.length > 20) return bad('at most 20 domain names');
    for (const d of names) if (!account.domains.some((x) => x.domain === d)) return bad(`domain ${d} does not belong to the account`);
    if (q.group_by !== undefined && q.group_by !== 'domain') return bad('group_by must be domain');
    // Without an interval the API takes the smallest one the span allows.
    const g = q.interval === undefined ? ([300, 3600, 86400].find((i) => end - start <= SPAN[i]!) ?? 86400) : Number(q.interval);
    // Time and interval errors come back with HTTP 200.
    if (![300, 3600, 86400].includes(g)) return cdn(200, 'CDN.0203', 'Interval error: interval must be 300, 3600 or 86400');
    const off = OFFSET[g]!;
    if ((start - off) % g !== 0 || (end - off) % g !== 0) return cdn(200, 'CDN.0202', `Time error: start_time and end_time must be on the ${g}-second grid`);
    if (end <= start) return cdn(200, 'CDN.0202', 'Time error: end_time must be after start_time');
    if (end - start > SPAN[g]!) return cdn(200, 'CDN.0202', `Time error: the span at interval ${g} is at most ${SPAN[g]! / DAY} days`);
    if (start < nowMs / 1000 - 90 * DAY) return cdn(200, 'CDN.0202', 'Time error: only the last 90 days can be queried');

    const nowSec = nowMs / 1000;
    const series = (d: string, s: string, step = g): number[] => {
      const out: number[] = [];
      for (let t = start; t < end && t < nowSec; t += step) out.push(this.servedValue(d, s, t, step, nowMs, account));
      return out;
    };
    const step = inj?.fault === 'other-interval' && g === 300 ? 60 : g;
    const stepSeries = (d: string, s: string): number[] => (step === 60 ? series(d, s, 300).flatMap((v) => [v, 0, 0, 0, 0]) : series(d, s));
    let result: Record<string, unknown>;
    if (q.group_by === 'domain' && inj?.fault !== 'merged') {
      result = {};
      for (const d of names) {
        const per: Record<string, unknown[]> = {};
        for (const s of statTypes) per[s] = stepSeries(d, s);
        // A domain without data in the period is left out of the answer.
        if (Object.values(per).every((v) => v.every((x) => x === 0))) continue;
        result[d] = per;
      }
    } else {
      result = {};
      for (const s of statTypes) {
        const sums = names.map((d) => stepSeries(d, s));
        result[s] = sums[0]!.map((_, i) => sums.reduce((n, a) => n + (a[i] ?? 0), 0));
      }
    }
    const body: Record<string, unknown> = { result };
    if (inj) this.#applyValueFault(inj, body, result, q.group_by === 'domain', names, g, start);
    return reply(200, body);
  }

  #applyValueFault(inj: Injection, body: Record<string, unknown>, result: Record<string, unknown>, grouped: boolean, names: readonly string[], g: number, start: number): void {
    const targets = inj.domain ? [inj.domain] : grouped ? Object.keys(result) : [];
    const eachSeries = (fn: (a: unknown[]) => void) => {
      if (!grouped) for (const v of Object.values(result)) fn(v as unknown[]);
      for (const d of targets) for (const v of Object.values((result[d] ?? {}) as Record<string, unknown[]>)) fn(v);
    };
    switch (inj.fault) {
      case 'missing-container': delete body.result; return;
      case 'null-container': body.result = null; return;
      case 'off-grid': body.start_time = (start + 150) * 1000; body.interval = g; return;
      case 'other-interval': if (g === 300) body.interval = 60; return;
      case 'foreign-domain': {
        const from = inj.domain && result[inj.domain] ? inj.domain : Object.keys(result)[0] ?? names[0]!;
        result[`not-${from}`] = result[from] ?? {};
        delete result[from];
        return;
      }
      case 'long-series': eachSeries((a) => a.push(0)); return;
      case 'short-series': eachSeries((a) => a.splice(Math.max(0, a.length - 2), 2)); return;
      default:
        if (inj.fault in FAULT_VALUES) eachSeries((a) => { if (a.length) a[0] = FAULT_VALUES[inj.fault as FaultName]; });
    }
  }
}

/** The same AK/SK as the Huawei Live demo: both modules read HUAWEICLOUD_SDK_AK/SK (CONTRACT.md). */
export const DEMO_HUAWEICDN = {
  ak: 'HWDEMOAK',
  sk: 'demo-secret-huawei',
  domainId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  domains: ['cdn.example.com', 'img.example.net', 'dl.example.org'],
};

/** The demo account: three online domains (one without traffic), and one offline. */
export async function startDemo(listen: { host?: string; port?: number } = {}): Promise<{ config: Record<string, unknown>; env: Record<string, string>; stop(): Promise<void>; emulator: HuaweiCdnEmulator }> {
  const emulator = new HuaweiCdnEmulator({
    accounts: {
      [DEMO_HUAWEICDN.ak]: {
        sk: DEMO_HUAWEICDN.sk,
        domainId: DEMO_HUAWEICDN.domainId,
        domains: [
          ...DEMO_HUAWEICDN.domains.slice(0, 2).map((domain) => ({ domain })),
          { domain: DEMO_HUAWEICDN.domains[2]!, trafficFromSec: 4_102_444_800 },
          { domain: 'old.example.com', status: 'offline' as const },
        ],
      },
    },
  });
  const url = await emulator.server.start(listen.port ?? 0, listen.host ?? '127.0.0.1');
  return {
    emulator,
    config: { vendors: { huaweicdn: { enabled: true, endpoint: url, domains: [] } } },
    env: { HUAWEICLOUD_SDK_AK: DEMO_HUAWEICDN.ak, HUAWEICLOUD_SDK_SK: DEMO_HUAWEICDN.sk, HUAWEICLOUD_SDK_DOMAIN_ID: DEMO_HUAWEICDN.domainId },
    stop: () => emulator.stop(),
  };
}

/** The bs_* stat_types this emulator serves for origin data, in the module's order. */
export const BS_STAT_TYPES = BS;
