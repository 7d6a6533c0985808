/**
 * An Alibaba Cloud CDN emulator that behaves as the docs say (src/vendors/aliyun/README.md, VENDORS.md
 * part A), for tests and the demo. Signatures are checked with the official signer
 * (@alicloud/openapi-util), not our own code.
 *
 * - Several accounts, keyed by AccessKeyId: each verifies its own secret (and STS token), has its own
 *   domains, its own rate limits (per account and API, sliding one-second window) and its own data
 *   (values are salted with the account, so the same domain differs between accounts).
 * - The seven back-to-origin APIs and DescribeUserDomains, with the documented answers and limits:
 *   EndTime inclusive and later than StartTime; Src* APIs take Interval 300/3600/86400 with spans of at
 *   most 3/31/366 days and history of 93/186/366 days (a span too long for the asked Interval silently
 *   gets the coarser one, reported in DataInterval); real-time APIs choose 60 s only for spans ≤ 1 h
 *   inside the last 7 days and silently switch to 300/3600 s otherwise; at most 100 (real-time) or 500
 *   domains a call, merged into one series. Recent buckets are revised until they settle.
 *
 * Fault switches (the bad-input corpus drives them):
 *   emu.inject({ api?, domain?, count?, fault, code?, bytes? })
 * makes the next `count` (default 1) successful answers of `api` (default any data API), optionally
 * only for calls naming `domain`, carry `fault`:
 *   'missing-container' | 'null-container' | 'container-not-list' | 'error-object-200' (code: `code`,
 *   default an unknown one) | 'non-json' | 'html-500' | 'other-domain' | 'other-interval' | 'off-grid'
 *   | 'zoneless' | 'value-null' | 'value-empty' | 'value-abc' | 'value-nan' | 'value-infinity' |
 *   'value-negative' | 'value-fraction' | 'truncated' | 'stall' (headers, then the body never ends) |
 *   'oversized' (`bytes`, default 32 MiB).
 * Value faults hit the first row (its Value, or the Count of its first status code).
 * `emu.fail({ api?, status, code, count? })` answers with an Alibaba error instead (throttling etc.).
 */
import openapiUtil from '@alicloud/openapi-util';
import { createHash } from 'node:crypto';
import { Emulator, revised, sha256hex, type CallRecord, type EmuRequest, type EmuResponse, type EmulatorClock } from './common.js';

const OU = ((openapiUtil as unknown as { default?: unknown }).default ?? openapiUtil) as {
  getRPCSignature(params: Record<string, string>, method: string, secret: string): string;
  getAuthorization(req: { pathname: string; method: string; query: Record<string, string>; headers: Record<string, string> }, algo: string, payloadHash: string, ak: string, secret: string): string;
};

const DAY = 86_400;
const SRC = ['DescribeDomainSrcTrafficData', 'DescribeDomainSrcBpsData', 'DescribeDomainSrcQpsData', 'DescribeDomainSrcHttpCodeData'];
const REALTIME = ['DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData', 'DescribeDomainRealTimeSrcHttpCodeData'];
export const ALIYUN_DATA_APIS = [...SRC, ...REALTIME];
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/;
const CODES = ['200', '206', '301', '302', '304', '403', '404', '429', '500', '502', '503', '504'] as const;

const CONTAINER: Record<string, string> = {
  DescribeDomainSrcTrafficData: 'SrcTrafficDataPerInterval',
  DescribeDomainSrcBpsData: 'SrcBpsDataPerInterval',
  DescribeDomainSrcQpsData: 'SrcQpsDataPerInterval',
  DescribeDomainSrcHttpCodeData: 'HttpCodeData',
  DescribeDomainRealTimeSrcTrafficData: 'RealTimeSrcTrafficDataPerInterval',
  DescribeDomainRealTimeSrcBpsData: 'RealTimeSrcBpsDataPerInterval',
  DescribeDomainRealTimeSrcHttpCodeData: 'RealTimeSrcHttpCodeData',
};
const isCodes = (api: string) => api.endsWith('HttpCodeData');

export type AliyunFault =
  | 'missing-container'
  | 'null-container'
  | 'container-not-list'
  | 'error-object-200'
  | 'non-json'
  | 'html-500'
  | 'other-domain'
  | 'other-interval'
  | 'off-grid'
  | 'zoneless'
  | 'value-null'
  | 'value-empty'
  | 'value-abc'
  | 'value-nan'
  | 'value-infinity'
  | 'value-negative'
  | 'value-fraction'
  | 'truncated'
  | 'stall'
  | 'oversized';

export interface AliyunAccount {
  readonly secret: string;
  readonly securityToken?: string;
  /** Online domains; `offline` ones are listed by DescribeUserDomains only without the filter. */
  readonly domains: readonly string[];
  readonly offline?: readonly string[];
  /** Calls per second per API for this account (documented limits otherwise). */
  readonly rateLimits?: Partial<Record<string, number>>;
}

export interface AliyunEmulatorOptions extends EmulatorClock {
  readonly accounts: Record<string, AliyunAccount>;
  /** Calls per second per API, for every account without its own. */
  readonly rateLimits?: Partial<Record<string, number>>;
  readonly realTimeSettleMs?: number;
  readonly srcSettleMs?: number;
  /** @deprecated the old name of srcSettleMs */
  readonly srcTrafficSettleMs?: number;
}

interface Injected {
  readonly api?: string;
  readonly domain?: string;
  readonly fault: AliyunFault;
  readonly code?: string;
  readonly bytes?: number;
  remaining: number;
}

export const DOCUMENTED_LIMITS: Readonly<Record<string, number>> = {
  DescribeDomainSrcTrafficData: 100,
  DescribeDomainSrcBpsData: 100,
  DescribeDomainSrcQpsData: 100,
  DescribeDomainSrcHttpCodeData: 100,
  DescribeDomainRealTimeSrcTrafficData: 10,
  DescribeDomainRealTimeSrcBpsData: 10,
  DescribeDomainRealTimeSrcHttpCodeData: 10,
  DescribeUserDomains: 100,
};

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

function hash(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0);
}

export class AliyunEmulator extends Emulator {
  readonly #o: AliyunEmulatorOptions;
  readonly #nonces = new Map<string, number>();
  readonly #injected: Injected[] = [];

  constructor(o: AliyunEmulatorOptions) {
    super(o);
    this.#o = o;
  }

  /** The next `count` calls (of `api`, or any) answer with this status and Alibaba error body. */
  fail(f: { api?: string; status: number; code: string; count?: number }): void {
    this.faults.push({ ...(f.api ? { api: f.api } : {}), status: f.status, body: { RequestId: 'FAULT-' + this.calls.length, Code: f.code, Message: 'injected' }, remaining: f.count ?? 1 });
  }

  /** The next `count` answers (of `api`, for `domain`) carry a bad-input fault; see the top of this file. */
  inject(f: { api?: string; domain?: string; count?: number; fault: AliyunFault; code?: string; bytes?: number }): void {
    this.#injected.push({ ...f, remaining: f.count ?? 1 });
  }

  dataCalls(ak?: string): CallRecord[] {
    return this.calls.filter((c) => ALIYUN_DATA_APIS.includes(c.api) && c.status === 200 && (!ak || c.params.__ak === ak));
  }

  #account(ak?: string): string {
    if (ak) return ak;
    const keys = Object.keys(this.#o.accounts);
    if (keys.length !== 1) throw new Error('several accounts: name the AccessKeyId');
    return keys[0]!;
  }

  /** Bytes and requests of one minute of one domain of one account: the basis of every series. */
  readonly #minutes = new Map<string, { bytes: number; codes: Record<string, number> }>();

  #minute(ak: string, domain: string, m: number): { bytes: number; codes: Record<string, number> } {
    const key = `${ak}|${domain}|${m}`;
    const hit = this.#minutes.get(key);
    if (hit) return hit;
    if (this.#minutes.size > 500_000) this.#minutes.clear();
    const x = this.#computeMinute(ak, domain, m);
    this.#minutes.set(key, x);
    return x;
  }

  #computeMinute(ak: string, domain: string, m: number): { bytes: number; codes: Record<string, number> } {
    const bytes = 1_000_000 + (hash('bytes', ak, domain, m) % 50_000_000);
    const codes: Record<string, number> = {};
    let rest = 100 + (hash('req', ak, domain, m) % 5000);
    for (const c of CODES.slice(1)) {
      // Most codes are absent most minutes (the answer then leaves them out).
      const h = hash('code', ak, domain, m, c);
      const n = h % 4 === 0 ? Math.min(rest, h % 40) : 0;
      if (n > 0) codes[c] = n;
      rest -= n;
    }
    codes['200'] = rest;
    return { bytes, codes };
  }

  /**
   * The value a bucket has once it settled: what the database must hold in the end. `metric` is the
   * contract metric (`traffic_bytes`, `status_404`, `status_4xx`, …) or the answer field (`Value`,
   * `HttpsValue`). `ak` may be left out with one account.
   */
  finalValue(api: string, domain: string, metric: string, tsSec: number, intervalSec: number, ak?: string): number {
    const a = this.#account(ak);
    let bytes = 0;
    const codes: Record<string, number> = {};
    for (let m = tsSec; m < tsSec + intervalSec; m += 60) {
      const x = this.#minute(a, domain, m);
      bytes += x.bytes;
      for (const [c, n] of Object.entries(x.codes)) codes[c] = (codes[c] ?? 0) + n;
    }
    if (isCodes(api)) {
      const cls = /^status_([1-5])xx$/.exec(metric);
      if (cls) return Object.entries(codes).filter(([c]) => c[0] === cls[1]).reduce((s, [, n]) => s + n, 0);
      return codes[metric.replace(/^status_/, '')] ?? 0;
    }
    const https = metric === 'HttpsValue' || metric === 'https_traffic_bytes';
    const b = https ? Math.floor(bytes * 0.3) : bytes;
    // Bandwidth comes with two decimals, as the console shows it; QPS with three.
    if (api.endsWith('BpsData')) return Math.round((b * 800) / intervalSec) / 100;
    if (api === 'DescribeDomainSrcQpsData') {
      const requests = Object.values(codes).reduce((s, n) => s + n, 0);
      return Math.round((requests * 1000) / intervalSec) / 1000;
    }
    return b;
  }

  #settleMs(api: string): number {
    return REALTIME.includes(api) ? this.#o.realTimeSettleMs ?? 300_000 : this.#o.srcSettleMs ?? this.#o.srcTrafficSettleMs ?? 900_000;
  }

  /** The value as served now (recent buckets are revised until they settle). */
  servedValue(api: string, domain: string, metric: string, tsSec: number, intervalSec: number, nowMs: number, ak?: string): number {
    const final = this.finalValue(api, domain, metric, tsSec, intervalSec, ak);
    if (api.endsWith('BpsData') || api === 'DescribeDomainSrcQpsData') {
      return Math.round(revised(Math.round(final * 1000), (tsSec + intervalSec) * 1000, this.#settleMs(api), nowMs)) / 1000;
    }
    return revised(final, (tsSec + intervalSec) * 1000, this.#settleMs(api), nowMs);
  }

  #err(status: number, code: string, message = code, requestId = this.#rid()): EmuResponse {
    return { status, body: { RequestId: requestId, HostId: 'cdn.aliyuncs.com', Code: code, Message: message, Recommend: 'https://api.aliyun.com/troubleshoot' } };
  }

  #rid(): string {
    return `EMU-${this.calls.length.toString(16).padStart(8, '0')}`;
  }

  handle(req: EmuRequest): EmuResponse {
    const nowMs = this.now();
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    if (req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') && req.body) {
      for (const [k, v] of new URLSearchParams(req.body)) query[k] = v;
    }
    const auth = this.#authenticate(req, query, nowMs);
    const action = auth.action ?? '';
    const ak = 'ak' in auth ? auth.ak : '';
    const record = (status: number, code?: string): void => {
      this.calls.push({ api: action, domains: (query.DomainName ?? '').split(',').filter(Boolean), status, ...(code ? { code } : {}), params: { ...query, __ak: ak }, atMs: nowMs });
    };
    if ('error' in auth) {
      record(auth.error.status, (auth.error.body as { Code: string }).Code);
      return auth.error;
    }
    const fault = this.faults.find((f) => f.remaining > 0 && (!f.api || f.api === action));
    if (fault) {
      fault.remaining--;
      record(fault.status, (fault.body as { Code: string }).Code);
      return { status: fault.status, body: fault.body };
    }
    const limit = auth.account.rateLimits?.[action] ?? this.#o.rateLimits?.[action] ?? DOCUMENTED_LIMITS[action];
    if (limit !== undefined && !this.limiter.admit(`${ak}:${action}`, limit, nowMs)) {
      record(400, 'Throttling.User');
      return this.#err(400, 'Throttling.User', 'Request was denied due to user flow control.');
    }
    let res = this.#dispatch(action, ak, auth.account, query, nowMs);
    if (res.status === 200 && ALIYUN_DATA_APIS.includes(action)) res = this.#applyInjected(action, query, res);
    record(res.status, (res.body as { Code?: string } | undefined)?.Code);
    if (query.Format !== 'JSON' && auth.style === 'rpc' && res.status === 200) {
      return { status: 200, body: `<?xml version="1.0" encoding="UTF-8"?><Response><RequestId>${this.#rid()}</RequestId></Response>` };
    }
    return res;
  }

  #applyInjected(action: string, q: Record<string, string>, res: EmuResponse): EmuResponse {
    const names = (q.DomainName ?? '').split(',');
    const f = this.#injected.find((x) => x.remaining > 0 && (!x.api || x.api === action) && (!x.domain || names.includes(x.domain)));
    if (!f) return res;
    f.remaining--;
    const body = structuredClone(res.body) as Record<string, unknown>;
    const key = CONTAINER[action]!;
    const rowsKey = isCodes(action) ? 'UsageData' : 'DataModule';
    const rows = ((body[key] as Record<string, unknown>)[rowsKey] as Record<string, unknown>[]);
    const first = rows[0];
    const setFirstValue = (v: unknown): void => {
      if (!first) return;
      if (!isCodes(action)) {
        first.Value = v;
        return;
      }
      const list = (first.Value as Record<string, { Count: unknown }[]>)[isCodes(action) && action.includes('RealTime') ? 'RealTimeSrcCodeProportionData' : 'CodeProportionData']!;
      if (list[0]) list[0].Count = v;
    };
    const json = (b: unknown, extra: Record<string, string> = {}): EmuResponse => ({ status: 200, body: b, headers: extra });
    switch (f.fault) {
      case 'missing-container':
        delete body[key];
        return json(body);
      case 'null-container':
        body[key] = null;
        return json(body);
      case 'container-not-list':
        body[key] = { [rowsKey]: { oops: true } };
        return json(body);
      case 'error-object-200':
        return json({ RequestId: this.#rid(), Code: f.code ?? 'UnexpectedStatus', Message: 'something went wrong' });
      case 'non-json':
        return { status: 200, body: 'this is not json', headers: { 'content-type': 'application/json' } };
      case 'html-500':
        return { status: 500, body: '<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<h1>500 Internal Server Error</h1>\n</body>\n</html>\n', headers: { 'content-type': 'text/html' } };
      case 'other-domain':
        body.DomainName = 'someone-else.example.net';
        return json(body);
      case 'other-interval': {
        const asked = Number(body.DataInterval);
        const other = asked === 60 ? 300 : asked === 300 ? 3600 : asked === 3600 ? 86400 : 3600;
        body.DataInterval = String(other);
        return json(body);
      }
      case 'off-grid':
        if (first) first.TimeStamp = iso(Date.parse(String(first.TimeStamp)) / 1000 + 30);
        return json(body);
      case 'zoneless':
        for (const r of rows) r.TimeStamp = String(r.TimeStamp).replace(/Z$/, '');
        return json(body);
      case 'value-null':
        setFirstValue(null);
        return json(body);
      case 'value-empty':
        setFirstValue('');
        return json(body);
      case 'value-abc':
        setFirstValue('abc');
        return json(body);
      case 'value-nan':
        setFirstValue('NaN');
        return json(body);
      case 'value-infinity':
        setFirstValue('Infinity');
        return json(body);
      case 'value-negative':
        setFirstValue('-5');
        return json(body);
      case 'value-fraction':
        setFirstValue('1.5');
        return json(body);
      case 'truncated': {
        const text = JSON.stringify(body);
        return { status: 200, body: text.slice(0, Math.floor(text.length / 2)), headers: { 'content-type': 'application/json' } };
      }
      case 'stall': {
        // A Content-Length the body never reaches: the client has the headers and waits for the rest.
        const text = JSON.stringify(body);
        return { status: 200, body: text, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text) + 1_000_000) } };
      }
      case 'oversized': {
        body.Padding = 'x'.repeat(f.bytes ?? 32 * 1024 * 1024);
        return json(body);
      }
    }
  }

  #authenticate(req: EmuRequest, query: Record<string, string>, nowMs: number):
    | { error: EmuResponse; action?: string }
    | { ak: string; account: AliyunAccount; action: string; style: 'rpc' | 'acs3' } {
    const authz = req.headers.authorization;
    if (authz?.startsWith('ACS3-HMAC-SHA256 ')) {
      const action = req.headers['x-acs-action'] ?? '';
      const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(authz);
      if (!m) return { error: this.#err(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'), action };
      const [, ak, signed] = m as unknown as [string, string, string, string];
      const account = this.#o.accounts[ak];
      if (!account) return { error: this.#err(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'), action };
      const names = signed.split(';');
      for (const required of ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
        if (!names.includes(required)) return { error: this.#err(400, 'IncompleteSignature', `${required} must be signed`), action };
      }
      for (const h of Object.keys(req.headers)) {
        if (h.startsWith('x-acs-') && !names.includes(h)) return { error: this.#err(400, 'IncompleteSignature', `${h} is not signed`), action };
      }
      // Strict, as the official signer is: host, content-type and every x-acs-* header that arrived count.
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (k === 'host' || k === 'content-type' || k.startsWith('x-acs-')) headers[k] = v;
      if (sha256hex(req.body) !== req.headers['x-acs-content-sha256']) return { error: this.#err(400, 'SignatureDoesNotMatch', 'x-acs-content-sha256 does not match the body'), action };
      const expected = OU.getAuthorization({ pathname: req.url.pathname, method: req.method, query, headers }, 'ACS3-HMAC-SHA256', req.headers['x-acs-content-sha256'] ?? '', ak, account.secret);
      if (expected !== authz) return { error: this.#err(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.'), action };
      const fresh = this.#checkFresh(req.headers['x-acs-date'], req.headers['x-acs-signature-nonce'], nowMs);
      if (fresh) return { error: fresh, action };
      if (req.headers['x-acs-version'] !== '2018-05-10') return { error: this.#err(400, 'InvalidVersion', 'Specified parameter Version is not valid.'), action };
      if (account.securityToken !== undefined && req.headers['x-acs-security-token'] !== account.securityToken) {
        return { error: this.#err(400, req.headers['x-acs-security-token'] ? 'InvalidSecurityToken.Malformed' : 'MissingSecurityToken', 'security token'), action };
      }
      return { ak, account, action, style: 'acs3' };
    }
    const action = query.Action ?? '';
    if (!query.Signature) return { error: this.#err(400, 'MissingSignature', 'Signature is mandatory for this action.'), action };
    const ak = query.AccessKeyId ?? '';
    const account = this.#o.accounts[ak];
    if (!account) return { error: this.#err(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'), action };
    if (query.SignatureMethod !== 'HMAC-SHA1' || query.SignatureVersion !== '1.0') return { error: this.#err(400, 'InvalidSignatureMethod', 'Specified signature method is not valid.'), action };
    const { Signature, ...rest } = query;
    if (OU.getRPCSignature(rest, req.method, account.secret) !== Signature) {
      return { error: this.#err(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.'), action };
    }
    const fresh = this.#checkFresh(query.Timestamp, query.SignatureNonce, nowMs);
    if (fresh) return { error: fresh, action };
    if (query.Version !== '2018-05-10') return { error: this.#err(400, 'InvalidVersion', 'Specified parameter Version is not valid.'), action };
    if (account.securityToken !== undefined && query.SecurityToken !== account.securityToken) {
      return { error: this.#err(400, query.SecurityToken ? 'InvalidSecurityToken.Malformed' : 'MissingSecurityToken', 'security token'), action };
    }
    return { ak, account, action, style: 'rpc' };
  }

  /** Timestamps are valid for 15 minutes either way; a nonce may be used once. */
  #checkFresh(date: string | undefined, nonce: string | undefined, nowMs: number): EmuResponse | undefined {
    if (!date || !TIME_RE.test(date)) return this.#err(400, 'MissingTimestamp', 'Timestamp is mandatory for this action.');
    if (Math.abs(Date.parse(date) - nowMs) > 15 * 60_000) return this.#err(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    if (!nonce) return this.#err(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
    for (const [n, t] of this.#nonces) if (t < nowMs - 16 * 60_000) this.#nonces.delete(n);
    if (this.#nonces.has(nonce)) return this.#err(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    this.#nonces.set(nonce, nowMs);
    return undefined;
  }

  #dispatch(action: string, ak: string, account: AliyunAccount, q: Record<string, string>, nowMs: number): EmuResponse {
    if (action === 'DescribeUserDomains') return this.#userDomains(account, q);
    if (!ALIYUN_DATA_APIS.includes(action)) return this.#err(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
    const realtime = REALTIME.includes(action);
    if ((q.StartTime === undefined) !== (q.EndTime === undefined)) return this.#err(400, 'MissingParameter', 'StartTime and EndTime can not be single.');
    const nowSec = Math.floor(nowMs / 1000);
    let start: number;
    let end: number;
    if (q.StartTime === undefined) {
      end = nowSec;
      start = nowSec - (realtime ? 3600 : DAY);
    } else {
      if (!TIME_RE.test(q.StartTime)) return this.#err(400, 'InvalidStartTime.Malformed', 'Specified StartTime is malformed.');
      if (!TIME_RE.test(q.EndTime!)) return this.#err(400, 'InvalidEndTime.Malformed', 'Specified EndTime is malformed.');
      start = Date.parse(q.StartTime) / 1000;
      end = Date.parse(q.EndTime!) / 1000;
      if (end <= start) return this.#err(400, 'InvalidEndTime.Mismatch', 'Specified end time does not math the specified start time.');
    }
    const names = (q.DomainName ?? '').split(',').filter(Boolean);
    const maxDomains = realtime ? 100 : 500;
    if (realtime && names.length === 0) return this.#err(400, 'MissingDomainName', 'DomainName is mandatory for this action.');
    if (names.length > maxDomains) return this.#err(400, 'InvalidDomainName.ValueNotSupported', `At most ${maxDomains} domains.`);
    for (const n of names) if (!account.domains.includes(n) && !(account.offline ?? []).includes(n)) return this.#err(404, 'InvalidDomain.NotFound', `The domain ${n} is not found.`);
    const domains = names.length ? names : [...account.domains];
    const span = end - start;
    let interval: number;
    if (!realtime) {
      // The Interval asked, if the span allows it (≤ 3 / 31 / 366 days); a longer span silently gets the coarser one.
      const asked = q.Interval === undefined ? 300 : Number(q.Interval);
      if (![300, 3600, 86400].includes(asked)) return this.#err(400, 'InvalidInterval.ValueNotSupported', 'Specified Interval is not supported.');
      if (span > 366 * DAY) return this.#err(400, 'InvalidTime.ValueNotSupported', 'The query time span exceeds the limit.');
      // Spans under 3 / 31 days exactly ("不包含3天整", https://help.aliyun.com/document_detail/91056.html).
      const allowed = span < 3 * DAY ? [300, 3600, 86400] : span < 31 * DAY ? [3600, 86400] : [86400];
      interval = allowed.includes(asked) ? asked : allowed[0]!;
      const retention = interval === 300 ? 93 * DAY : interval === 3600 ? 186 * DAY : 366 * DAY;
      if (start < nowSec - retention) return this.#err(400, 'InvalidStartTime.ValueNotSupported', 'The specified StartTime is not supported.');
    } else {
      // Granularity follows the span: 60 s only for ≤ 1 h within the last 7 days.
      if (span <= 3600 && start >= nowSec - 7 * DAY) interval = 60;
      else if (span <= 3 * DAY && start >= nowSec - 93 * DAY) interval = 300;
      else if (span <= 31 * DAY && start >= nowSec - 186 * DAY) interval = 3600;
      else return this.#err(400, 'InvalidStartTime.ValueNotSupported', 'The specified StartTime is not supported.');
    }
    const offset = interval === DAY ? -8 * 3600 : 0;
    const first = Math.floor((start - offset) / interval) * interval + offset;
    const rows: Record<string, unknown>[] = [];
    // EndTime is inclusive: 20:00–20:01 returns 20:00 and 20:01. Only buckets already begun exist.
    for (let ts = first; ts <= end && ts <= nowSec; ts += interval) {
      const sum = (metric: string) => domains.reduce((acc, d) => acc + this.servedValue(action, d, metric, ts, interval, nowMs, ak), 0);
      if (isCodes(action)) {
        const counts = CODES.map((c) => [c, sum(`status_${c}`)] as const).filter(([, n]) => n > 0);
        const total = counts.reduce((s, [, n]) => s + n, 0);
        // Shares: percent in the Src example (67.1458998935037), a fraction in the real-time one (0.62015503875969).
        const share = (n: number) => String(realtime ? n / total : (n * 100) / total);
        const list = counts.map(([c, n]) => ({ Code: c, Count: String(n), Proportion: share(n) }));
        rows.push({ TimeStamp: iso(ts), Value: { [realtime ? 'RealTimeSrcCodeProportionData' : 'CodeProportionData']: list } });
        continue;
      }
      const m: Record<string, unknown> = { TimeStamp: iso(ts), Value: String(Math.round(sum('Value') * 1000) / 1000) };
      if (action === 'DescribeDomainSrcTrafficData' || action === 'DescribeDomainSrcBpsData') m.HttpsValue = String(Math.round(sum('HttpsValue') * 1000) / 1000);
      rows.push(m);
    }
    return {
      status: 200,
      body: {
        RequestId: this.#rid(),
        DomainName: names.join(','),
        StartTime: iso(start),
        EndTime: iso(end),
        DataInterval: String(interval),
        [CONTAINER[action]!]: { [isCodes(action) ? 'UsageData' : 'DataModule']: rows },
      },
    };
  }

  #userDomains(account: AliyunAccount, q: Record<string, string>): EmuResponse {
    const pageNumber = q.PageNumber === undefined ? 1 : Number(q.PageNumber);
    const pageSize = q.PageSize === undefined ? 20 : Number(q.PageSize);
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > 100_000) return this.#err(400, 'InvalidPageNumber.Malformed', 'Specified PageNumber is malformed.');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) return this.#err(400, 'InvalidPageSize.Malformed', 'Specified PageSize is malformed.');
    const all = [...account.domains.map((d) => ({ d, s: 'online' })), ...(account.offline ?? []).map((d) => ({ d, s: 'offline' }))].filter((x) => !q.DomainStatus || x.s === q.DomainStatus);
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      status: 200,
      body: {
        RequestId: this.#rid(),
        PageNumber: pageNumber,
        PageSize: pageSize,
        TotalCount: all.length,
        Domains: { PageData: page.map((x) => ({ DomainName: x.d, DomainStatus: x.s, CdnType: 'web', Coverage: 'domestic', Cname: `${x.d}.w.kunlunsl.com`, Sources: { Source: [] } })) },
      },
    };
  }
}

/** The demo accounts: two, so that `account` is visible in the dashboard. */
export const ALIYUN_DEMO = {
  accounts: [
    { name: 'default', accessKeyId: 'LTAI-demo-access-key', accessKeySecret: 'demo-secret-aliyun', domains: ['img.example.com', 'video.example.com', 'static.example.com'] },
    { name: 'shop', accessKeyId: 'LTAI-demo-shop', accessKeySecret: 'demo-secret-aliyun-shop', domains: ['shop.example.com', 'img.example.com'] },
  ],
} as const;

/** Starts the emulator with the demo accounts; config and env point the collector at it. */
export async function startDemo(listen: { host?: string; port?: number } = {}): Promise<{ config: Record<string, unknown>; env: Record<string, string>; stop(): Promise<void>; emulator: AliyunEmulator }> {
  const [main, shop] = ALIYUN_DEMO.accounts;
  const emulator = new AliyunEmulator({
    accounts: {
      [main.accessKeyId]: { secret: main.accessKeySecret, domains: main.domains, offline: ['old.example.com'] },
      [shop.accessKeyId]: { secret: shop.accessKeySecret, domains: shop.domains },
    },
  });
  const url = await emulator.server.start(listen.port ?? 0, listen.host ?? '127.0.0.1');
  return {
    emulator,
    config: {
      vendors: {
        aliyun: {
          enabled: true,
          endpoint: url,
          domains: [],
          accounts: [
            { name: 'main', accessKeyId: main.accessKeyId, accessKeySecret: main.accessKeySecret },
            { name: shop.name, accessKeyId: shop.accessKeyId, accessKeySecret: shop.accessKeySecret, domains: [...shop.domains] },
          ],
        },
      },
    },
    env: {},
    stop: () => emulator.stop(),
  };
}
