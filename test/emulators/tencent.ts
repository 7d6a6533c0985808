/**
 * A Tencent Cloud CDN emulator (DescribeOriginData, DescribeDomains) that behaves as the docs say
 * (VENDORS.md part B). TC3 signatures are checked with the official SDK signer.
 *
 * Several accounts (keyed by SecretId), each with its own key, optional STS token, rate limit and
 * domains. A domain is accelerated in `mainland`, `overseas` or `global` (both); its data differs
 * per area, deterministically, and an area that does not serve it answers zeros (README of the
 * adapter: the choice this emulator shares with it).
 *
 * Faults (faults.ts): `emu.inject({ fault, api?, domain?, count? })`, e.g.
 * `emu.inject({ fault: 'foreign-domain', api: 'DescribeOriginData', domain: 'a.com', count: 2 })`.
 * Every name of FAULTS applies; `zoneless-time` (Tencent times carry no zone by design) sends an
 * ISO time with `Z` instead, which is not the documented format either. `fail({ code })` answers
 * a vendor error code instead.
 */
import { createRequire } from 'node:module';
import { Emulator, minuteBytes, revised, type CallRecord, type EmuRequest, type EmuResponse, type EmulatorClock } from './common.js';
import { createHash } from 'node:crypto';
import { FAULT_VALUES, FaultQueue, transportFault, type FaultName, type FaultSpec } from './faults.js';

const require = createRequire(import.meta.url);
const Sign = (require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign') as { default: { sign3(o: Record<string, unknown>): string } }).default;

const DAY = 86_400;
const METRICS = ['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx'];
const STATUS = ['statusCode', '2xx', '3xx', '4xx', '5xx'];
const CODES: Record<string, [string, number][]> = {
  '2xx': [['200', 0.9], ['206', 0.04]],
  '3xx': [['301', 0.005], ['302', 0.01], ['304', 0.02]],
  '4xx': [['403', 0.002], ['404', 0.015]],
  '5xx': [['500', 0.001], ['502', 0.003], ['504', 0.0015]],
};
const TIME_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

export interface TencentAccount {
  readonly secretKey: string;
  readonly token?: string;
  readonly domains: readonly { domain: string; area?: 'mainland' | 'overseas' | 'global'; status?: string }[];
  /** DescribeOriginData calls per second for this account (default: the emulator's, 20). */
  readonly rateLimit?: number;
}

export type Area = 'mainland' | 'overseas';

export interface TencentEmulatorOptions extends EmulatorClock {
  readonly accounts: Record<string, TencentAccount>;
  readonly rateLimit?: number;
  readonly settleMs?: number;
}

function h(domain: string, minute: number, salt: string): number {
  return createHash('sha256').update(`${salt}|${domain}|${minute}`).digest().readUInt32BE(0);
}

export class TencentEmulator extends Emulator {
  readonly #o: TencentEmulatorOptions;
  readonly #faults = new FaultQueue();

  constructor(o: TencentEmulatorOptions) {
    super(o);
    this.#o = o;
  }

  inject(f: FaultSpec): void {
    this.#faults.add(f);
  }

  /** Whether `domain` is accelerated in `area` (a domain of no account is served nowhere). */
  serves(domain: string, area: Area): boolean {
    for (const a of Object.values(this.#o.accounts)) {
      const d = a.domains.find((x) => x.domain === domain);
      if (d) return (d.area ?? 'mainland') === 'global' || (d.area ?? 'mainland') === area;
    }
    return false;
  }

  fail(f: { status?: number; code: string; count?: number }): void {
    this.faults.push({ status: f.status ?? 200, body: { Response: { Error: { Code: f.code, Message: 'injected' }, RequestId: `fault-${this.calls.length}` } }, remaining: f.count ?? 1 });
  }
  dataCalls(): CallRecord[] {
    return this.calls.filter((c) => c.api === 'DescribeOriginData' && c.status === 200 && !c.code);
  }

  /** Per-minute counts of one domain: requests, each status code, failed requests, bytes. */
  minute(domain: string, m: number, area: Area = 'mainland'): { flux: number; request: number; codes: Record<string, number>; failRequest: number } {
    // Mainland keeps the salts it always had, so that mainland series stay what they were.
    const key = area === 'mainland' ? domain : `${area}|${domain}`;
    const request = 1000 + (h(key, m, 'req') % 90_000);
    const codes: Record<string, number> = {};
    for (const list of Object.values(CODES)) for (const [c, share] of list) codes[c] = Math.floor(request * share * (0.5 + (h(key, m, c) % 1000) / 1000));
    const failRequest = Object.entries(codes).filter(([c]) => c.startsWith('5')).reduce((n, [, v]) => n + v, 0) + (h(key, m, 'fail') % 7);
    return { flux: minuteBytes(key, m, 'tencent'), request, codes, failRequest };
  }

  /** A bucket of one domain as served at `nowMs` (revised until it settles), for every metric name. */
  bucket(domain: string, tsSec: number, g: number, nowMs: number, area: Area = 'mainland'): Record<string, number> {
    const served = this.serves(domain, area);
    const settle = this.#o.settleMs ?? 600_000;
    const end = (tsSec + g) * 1000;
    const rev = (v: number) => revised(v, end, settle, nowMs);
    let flux = 0, request = 0, failRequest = 0;
    const codes: Record<string, number> = {};
    for (let m = tsSec; m < tsSec + g; m += 60) {
      if (!served) break;
      const x = this.minute(domain, m, area);
      flux += x.flux;
      request += x.request;
      failRequest += x.failRequest;
      for (const [c, v] of Object.entries(x.codes)) codes[c] = (codes[c] ?? 0) + v;
    }
    const out: Record<string, number> = { flux: rev(flux), request: rev(request), failRequest: rev(failRequest) };
    out.bandwidth = Math.round((out.flux! * 800) / g) / 100;
    out.failRate = out.request ? Math.round((out.failRequest! / out.request!) * 10_000) / 100 : 0;
    for (const cls of Object.keys(CODES)) {
      let sum = 0;
      for (const [c] of CODES[cls]!) {
        out[c] = rev(codes[c] ?? 0);
        sum += out[c]!;
      }
      out[cls] = sum;
    }
    return out;
  }

  handle(req: EmuRequest): EmuResponse {
    const nowMs = this.now();
    const rid = `tc-${this.calls.length.toString(16).padStart(8, '0')}`;
    const action = req.headers['x-tc-action'] ?? '';
    let params: Record<string, unknown> = {};
    const record = (code?: string) => this.calls.push({ api: action, domains: Array.isArray(params.Domains) ? (params.Domains as string[]) : [], status: 200, ...(code ? { code } : {}), params: params as Record<string, string>, atMs: nowMs });
    const err = (code: string, message = code): EmuResponse => {
      record(code);
      return { status: 200, body: { Response: { Error: { Code: code, Message: message }, RequestId: rid } } };
    };
    if (req.method !== 'POST') return err('UnsupportedProtocol', 'only POST is emulated');
    try {
      params = JSON.parse(req.body || '{}') as Record<string, unknown>;
    } catch {
      return err('InvalidParameter', 'body is not JSON');
    }
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!m) return err('AuthFailure.InvalidAuthorization', 'Authorization header is malformed');
    const [, secretId, , service, signedHeaders] = m as unknown as string[];
    const account = this.#o.accounts[secretId!];
    if (!account) return err('AuthFailure.SecretIdNotFound', 'The SecretId is not found.');
    const ts = Number(req.headers['x-tc-timestamp']);
    if (!Number.isInteger(ts)) return err('MissingParameter', 'X-TC-Timestamp');
    if (Math.abs(ts * 1000 - nowMs) > 5 * 60_000) return err('AuthFailure.SignatureExpire', 'Signature expired. Timestamp and server time cannot differ by more than five minutes.');
    if (service !== 'cdn' || signedHeaders !== 'content-type;host') return err('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    // Verified both ways a server might: with the official signer, and against the Host header as sent.
    const host = req.headers.host ?? '';
    const expected = Sign.sign3({ method: 'POST', url: `https://${host}/`, payload: Buffer.from(req.body), timestamp: ts, service: 'cdn', secretId, secretKey: account.secretKey, headers: { 'Content-Type': req.headers['content-type'] } });
    // The signer drops a port from the host; a server reading the Host header would not: both must agree.
    if (expected !== req.headers.authorization || /:\d+$/.test(host)) return err('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
    if (account.token !== undefined && req.headers['x-tc-token'] !== account.token) return err('AuthFailure.TokenFailure', 'Token verification failed.');
    if (req.headers['x-tc-version'] !== '2018-06-06') return err('NoSuchVersion', 'The request version does not exist.');
    const fault = this.faults.find((f) => f.remaining > 0 && f.api === undefined);
    if (fault) {
      fault.remaining--;
      record((fault.body as { Response: { Error: { Code: string } } }).Response.Error.Code);
      return { status: fault.status, body: fault.body };
    }
    const limit = account.rateLimit ?? this.#o.rateLimit ?? 20;
    if (action === 'DescribeOriginData' && !this.limiter.admit(`${secretId}:${action}`, limit, nowMs)) return err('RequestLimitExceeded', `Your current request times equals to \`${limit}\` in a second, which exceeds the frequency limit \`${limit}\` for a second.`);
    let res: EmuResponse;
    if (action === 'DescribeOriginData') res = this.#originData(account, params, nowMs, rid, err);
    else if (action === 'DescribeDomains') res = this.#domains(account, params, rid, err);
    else return err('InvalidAction', `The action ${action} does not exist.`);
    if ((res.body as { Response: { Error?: unknown } }).Response.Error) return res;
    const injected = this.#faults.take(action, Array.isArray(params.Domains) ? (params.Domains as string[]) : []);
    if (injected) {
      record(`fault:${injected}`);
      return this.#broken(injected, res, params, rid);
    }
    record();
    return res;
  }

  #originData(account: TencentAccount, p: Record<string, unknown>, nowMs: number, rid: string, err: (c: string, m?: string) => EmuResponse): EmuResponse {
    for (const k of ['StartTime', 'EndTime', 'Metric']) if (typeof p[k] !== 'string') return err('MissingParameter', `The parameter ${k} is missing.`);
    const tzText = (p.TimeZone as string | undefined) ?? 'UTC+08:00';
    const tz = /^UTC([+-])(\d{2}):(\d{2})$/.exec(tzText);
    if (!tz) return err('InvalidParameter.CdnParamError', `TimeZone ${tzText}`);
    const off = (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 3600 + Number(tz[3]) * 60);
    const parse = (s: string) => (TIME_RE.test(s) ? Date.parse(`${s.replace(' ', 'T')}Z`) / 1000 - off : NaN);
    const fmt = (sec: number) => new Date((sec + off) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const start = parse(p.StartTime as string);
    const end = parse(p.EndTime as string);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return err('InvalidParameter.CdnStatInvalidDate', 'Invalid date.');
    const metric = p.Metric as string;
    if (!METRICS.includes(metric)) return err('InvalidParameter.CdnStatInvalidMetric', 'Invalid metric.');
    const domains = (p.Domains ?? []) as string[];
    if (!Array.isArray(domains) || domains.length === 0) return err('InvalidParameter.CdnParamError', 'Domains is required by this emulator (Project is not emulated).');
    if (domains.length > 30) return err('InvalidParameter.CdnStatTooManyDomains', 'Too many domains.');
    for (const d of domains) if (!account.domains.some((x) => x.domain === d)) return err('ResourceNotFound.CdnHostNotExists', `Host ${d} does not exist.`);
    const area = (p.Area as string | undefined) ?? 'mainland';
    if (area !== 'mainland' && area !== 'overseas') return err('InvalidParameter.CdnParamError', 'Area');
    const interval = (p.Interval as string | undefined) ?? '5min';
    // "指定查询服务地域为中国境外时不支持 1 分钟粒度" (SDK model of DescribeOriginDataRequest.Interval).
    if (interval === 'min' && area === 'overseas') return err('InvalidParameter.CdnStatInvalidFilter', 'Interval min is not supported for the area overseas.');
    const span = end - start;
    const ok = { min: span <= DAY && area !== 'overseas', '5min': span <= 31 * DAY, hour: span <= 31 * DAY, day: true }[interval];
    if (ok === undefined || !ok || span > 90 * DAY) return err('InvalidParameter.CdnInvalidParamInterval', `Interval ${interval} is not supported for this span.`);
    if (start < nowMs / 1000 - 90 * DAY) return err('InvalidParameter.CdnStatInvalidDate', 'Data older than 90 days is not kept.');
    const detail = p.Detail === true;
    if (detail && STATUS.includes(metric)) return err('InvalidParameter.CdnStatInvalidFilter', 'Detail is not supported for status-code metrics.');
    const g = { min: 60, '5min': 300, hour: 3600, day: DAY }[interval as 'min']!;
    const floor = (t: number) => Math.floor((t + (g === DAY ? off : 0)) / g) * g - (g === DAY ? off : 0);
    const nowSec = Math.floor(nowMs / 1000);
    const times: number[] = [];
    for (let t = floor(start); t <= floor(end) && t <= nowSec; t += g) times.push(t);
    // Formatted once per answer: a Detail answer repeats the same 360 times for each of 30 domains.
    const timeText = times.map(fmt);
    const names = metric === 'statusCode' ? ['2xx', '3xx', '4xx', '5xx'] : /^\dxx$/.test(metric) ? [metric, ...CODES[metric]!.map(([c]) => c)] : [metric];
    // Plain loops, no closure per bucket: a Detail answer holds 10,800 buckets, and an emulator busy
    // building one reads the requests that arrive meanwhile late, stamping them together for its throttle.
    const series = (ds: string[]) => {
      const perTime: Record<string, number>[] = [];
      for (const t of times) {
        const r: Record<string, number> = {};
        for (const n of names) r[n] = 0;
        let flux = 0, request = 0, failRequest = 0;
        for (const d of ds) {
          const v = this.bucket(d, t, g, nowMs, area);
          for (const n of names) r[n]! += v[n]!;
          flux += v.flux!;
          request += v.request!;
          failRequest += v.failRequest!;
        }
        if (metric === 'failRate') r.failRate = request ? Math.round((failRequest / request) * 10_000) / 100 : 0;
        if (metric === 'bandwidth') r.bandwidth = Math.round((flux * 800) / g) / 100;
        perTime.push(r);
      }
      return names
        .filter((n) => !/^\d{3}$/.test(n) || perTime.some((r) => r[n]! > 0))
        .map((n) => ({ Metric: n, DetailData: timeText.map((Time, i) => ({ Time, Value: perTime[i]![n] })), SummarizedData: { Name: 'sum', Value: perTime.reduce((a, r) => a + r[n]!, 0) } }));
    };
    const data = detail ? domains.map((d) => ({ Resource: d, OriginData: series([d]) })) : [{ Resource: domains.length === 1 ? domains[0] : 'multiDomains', OriginData: series(domains) }];
    return { status: 200, body: { Response: { Interval: interval, Data: data, RequestId: rid } } };
  }

  /** The answer `ok` broken as `fault` says (faults.ts). */
  #broken(fault: FaultName, ok: EmuResponse, p: Record<string, unknown>, rid: string): EmuResponse {
    const t = transportFault(fault, ok);
    if (t) return t;
    const body = structuredClone(ok.body) as { Response: Record<string, unknown> };
    const r = body.Response;
    const data = r.Data as { Resource: string; OriginData: { Metric: string; DetailData: { Time: string; Value: unknown }[] }[] }[];
    const point = data[0]?.OriginData[0]?.DetailData[0];
    if (fault in FAULT_VALUES) {
      if (!point) throw new Error(`fault ${fault}: the answer has no bucket to break`);
      point.Value = FAULT_VALUES[fault];
      return { status: 200, body };
    }
    switch (fault) {
      case 'missing-container':
        delete r.Data;
        break;
      case 'null-container':
        r.Data = null;
        break;
      case 'error-200':
        return { status: 200, body: { Response: { Error: { Code: 'InternalError.CdnSystemError', Message: 'system error' }, RequestId: rid } } };
      case 'foreign-domain':
        data[0]!.Resource = 'foreign.example.net';
        break;
      case 'other-interval':
        r.Interval = p.Interval === 'hour' ? '5min' : 'hour';
        break;
      case 'off-grid':
      case 'zoneless-time':
      case 'unparseable-time': {
        if (!point) throw new Error(`fault ${fault}: the answer has no bucket to break`);
        const sec = Date.parse(`${point.Time.replace(' ', 'T')}+08:00`) / 1000;
        const g = { min: 60, '5min': 300, hour: 3600, day: DAY }[p.Interval as 'min'] ?? 300;
        if (fault === 'off-grid') point.Time = new Date((sec + g / 2 + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
        else if (fault === 'zoneless-time') point.Time = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
        else point.Time = '2026-02-30 25:61:00';
        break;
      }
      default:
        throw new Error(`fault ${fault} does not apply to Tencent`);
    }
    return { status: 200, body };
  }

  #domains(account: TencentAccount, p: Record<string, unknown>, rid: string, err: (c: string, m?: string) => EmuResponse): EmuResponse {
    const offset = (p.Offset as number | undefined) ?? 0;
    const limit = (p.Limit as number | undefined) ?? 100;
    if (!Number.isInteger(offset) || offset < 0) return err('InvalidParameter.CdnParamError', 'Offset');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return err('InvalidParameter.CdnParamError', 'Limit');
    const filters = (p.Filters ?? []) as { Name: string; Value: string[] }[];
    const all = account.domains.filter((d) => filters.every((f) => f.Name !== 'status' || f.Value.includes(d.status ?? 'online')));
    return {
      status: 200,
      body: {
        Response: {
          Domains: all.slice(offset, offset + limit).map((d) => ({ ResourceId: `cdn-${d.domain}`, Domain: d.domain, Status: d.status ?? 'online', Area: d.area ?? 'mainland', ServiceType: 'web', ProjectId: 0 })),
          TotalNumber: all.length,
          RequestId: rid,
        },
      },
    };
  }
}

/** The demo account: top-level credentials, both areas, domains in mainland, overseas and both. */
export const TENCENT_DEMO = {
  secretId: 'AKID-demo',
  secretKey: 'demo-secret-tencent',
  domains: [
    { domain: 'www.example.cn', area: 'mainland' as const },
    { domain: 'api.example.cn', area: 'global' as const },
    { domain: 'dl.example.cn', area: 'global' as const },
    { domain: 'intl.example.com', area: 'overseas' as const },
  ],
};

export async function startDemo(listen: { host?: string; port?: number } = {}): Promise<{ config: Record<string, unknown>; env: Record<string, string>; stop(): Promise<void>; emulator: TencentEmulator }> {
  const emulator = new TencentEmulator({ accounts: { [TENCENT_DEMO.secretId]: { secretKey: TENCENT_DEMO.secretKey, domains: [...TENCENT_DEMO.domains, { domain: 'gone.example.cn', status: 'offline' }] } } });
  const endpoint = await emulator.server.start(listen.port ?? 0, listen.host ?? '127.0.0.1');
  return {
    config: { vendors: { tencent: { enabled: true, endpoint, domains: [], areas: ['mainland', 'overseas'] } } },
    env: { TENCENTCLOUD_SECRET_ID: TENCENT_DEMO.secretId, TENCENTCLOUD_SECRET_KEY: TENCENT_DEMO.secretKey },
    stop: () => emulator.stop(),
    emulator,
  };
}
