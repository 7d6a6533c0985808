/**
 * An Alibaba Cloud CDN emulator that behaves as the docs say (VENDORS.md part A), for tests and the
 * demo. Signatures are checked with the official signer (@alicloud/openapi-util), not our own code.
 */
import openapiUtil from '@alicloud/openapi-util';
import { Emulator, minuteBytes, revised, sha256hex, type CallRecord, type EmuRequest, type EmuResponse, type EmulatorClock } from './common.js';

const OU = ((openapiUtil as unknown as { default?: unknown }).default ?? openapiUtil) as {
  getRPCSignature(params: Record<string, string>, method: string, secret: string): string;
  getAuthorization(req: { pathname: string; method: string; query: Record<string, string>; headers: Record<string, string> }, algo: string, payloadHash: string, ak: string, secret: string): string;
};

const DAY = 86_400;
const REALTIME = ['DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'];
const DATA_APIS = ['DescribeDomainSrcTrafficData', ...REALTIME];
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/;

export interface AliyunAccount {
  readonly secret: string;
  readonly securityToken?: string;
  /** Online domains; `offline` ones are listed by DescribeUserDomains only without the filter. */
  readonly domains: readonly string[];
  readonly offline?: readonly string[];
}

export interface AliyunEmulatorOptions extends EmulatorClock {
  readonly accounts: Record<string, AliyunAccount>;
  readonly rateLimits?: Partial<Record<string, number>>;
  readonly realTimeSettleMs?: number;
  readonly srcTrafficSettleMs?: number;
}

export class AliyunEmulator extends Emulator {
  readonly #o: AliyunEmulatorOptions;
  readonly #nonces = new Map<string, number>();
  readonly #limits: Record<string, number>;

  constructor(o: AliyunEmulatorOptions) {
    super(o);
    this.#o = o;
    this.#limits = {
      DescribeDomainSrcTrafficData: 100,
      DescribeDomainRealTimeSrcTrafficData: 10,
      DescribeDomainRealTimeSrcBpsData: 10,
      DescribeUserDomains: 100,
      ...(o.rateLimits as Record<string, number>),
    };
  }

  /** The next `count` calls (of `api`, or any) answer with this status and body. */
  fail(f: { api?: string; status: number; code: string; count?: number }): void {
    this.faults.push({ ...(f.api ? { api: f.api } : {}), status: f.status, body: { RequestId: 'FAULT-' + this.calls.length, Code: f.code, Message: 'injected' }, remaining: f.count ?? 1 });
  }

  dataCalls(): CallRecord[] {
    return this.calls.filter((c) => DATA_APIS.includes(c.api) && c.status === 200);
  }

  /** The value a bucket has once it settled: what the database must hold in the end. */
  finalValue(api: string, domain: string, field: 'Value' | 'HttpsValue', tsSec: number, intervalSec: number): number {
    let bytes = 0;
    for (let m = tsSec; m < tsSec + intervalSec; m += 60) bytes += minuteBytes(domain, m, 'aliyun');
    // Bandwidth comes with two decimals, as the console shows it.
    if (api === 'DescribeDomainRealTimeSrcBpsData') return Math.round((bytes * 800) / intervalSec) / 100;
    return field === 'HttpsValue' ? Math.floor(bytes * 0.3) : bytes;
  }

  /** The value as served now (recent buckets are revised until they settle). */
  servedValue(api: string, domain: string, field: 'Value' | 'HttpsValue', tsSec: number, intervalSec: number, nowMs: number): number {
    const settle = api === 'DescribeDomainSrcTrafficData' ? this.#o.srcTrafficSettleMs ?? 900_000 : this.#o.realTimeSettleMs ?? 300_000;
    return revised(this.finalValue(api, domain, field, tsSec, intervalSec), (tsSec + intervalSec) * 1000, settle, nowMs);
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
    const record = (status: number, code?: string): void => {
      this.calls.push({ api: action, domains: (query.DomainName ?? '').split(',').filter(Boolean), status, ...(code ? { code } : {}), params: query, atMs: nowMs });
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
    const limit = this.#limits[action];
    if (limit !== undefined && !this.limiter.admit(`${auth.ak}:${action}`, limit, nowMs)) {
      record(400, 'Throttling.User');
      return this.#err(400, 'Throttling.User', 'Request was denied due to user flow control.');
    }
    const res = this.#dispatch(action, auth.account, query, nowMs);
    record(res.status, (res.body as { Code?: string }).Code);
    if (query.Format !== 'JSON' && auth.style === 'rpc' && res.status === 200) {
      return { status: 200, body: `<?xml version="1.0" encoding="UTF-8"?><Response><RequestId>${this.#rid()}</RequestId></Response>` };
    }
    return res;
  }

  #authenticate(req: EmuRequest, query: Record<string, string>, nowMs: number):
    | { error: EmuResponse; action?: string }
    | { ak: string; account: AliyunAccount; action: string; style: 'rpc' | 'acs3' } {
    const authz = req.headers.authorization;
    if (authz?.startsWith('ACS3-HMAC-SHA256 ')) {
      const action = req.headers['x-acs-action'] ?? '';
      const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(authz);
      if (!m) return { error: this.#err(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.'), action };
      const [, ak, signed, sig] = m as unknown as [string, string, string, string];
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
      if (expected !== authz) return { error: this.#err(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. (signed ${signed}, sig ${sig.slice(0, 8)}…)`), action };
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

  #dispatch(action: string, account: AliyunAccount, q: Record<string, string>, nowMs: number): EmuResponse {
    if (action === 'DescribeUserDomains') return this.#userDomains(account, q);
    if (!DATA_APIS.includes(action)) return this.#err(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
    if ((q.StartTime === undefined) !== (q.EndTime === undefined)) return this.#err(400, 'MissingParameter', 'StartTime and EndTime can not be single.');
    const nowSec = Math.floor(nowMs / 1000);
    let start: number;
    let end: number;
    if (q.StartTime === undefined) {
      end = nowSec;
      start = nowSec - (REALTIME.includes(action) ? 3600 : DAY);
    } else {
      if (!TIME_RE.test(q.StartTime)) return this.#err(400, 'InvalidStartTime.Malformed', 'Specified StartTime is malformed.');
      if (!TIME_RE.test(q.EndTime!)) return this.#err(400, 'InvalidEndTime.Malformed', 'Specified EndTime is malformed.');
      start = Date.parse(q.StartTime) / 1000;
      end = Date.parse(q.EndTime!) / 1000;
      if (end <= start) return this.#err(400, 'InvalidEndTime.Mismatch', 'Specified end time does not math the specified start time.');
    }
    const names = (q.DomainName ?? '').split(',').filter(Boolean);
    const maxDomains = REALTIME.includes(action) ? 100 : 500;
    if (REALTIME.includes(action) && names.length === 0) return this.#err(400, 'MissingDomainName', 'DomainName is mandatory for this action.');
    if (names.length > maxDomains) return this.#err(400, 'InvalidDomainName.ValueNotSupported', `At most ${maxDomains} domains.`);
    for (const n of names) if (!account.domains.includes(n) && !(account.offline ?? []).includes(n)) return this.#err(404, 'InvalidDomain.NotFound', `The domain ${n} is not found.`);
    const domains = names.length ? names : [...account.domains];
    const span = end - start;
    let interval: number;
    if (action === 'DescribeDomainSrcTrafficData') {
      // 300 only for spans under 3 days, 3600 under 31 days, else 86400; an unsupported Interval falls back.
      const asked = q.Interval === undefined ? 300 : Number(q.Interval);
      if (![300, 3600, 86400].includes(asked)) return this.#err(400, 'InvalidInterval.ValueNotSupported', 'Specified Interval is not supported.');
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
    const modules: Record<string, string>[] = [];
    // EndTime is inclusive: 20:00–20:01 returns 20:00 and 20:01. Only buckets already begun exist.
    for (let ts = first; ts <= end && ts <= nowSec; ts += interval) {
      const sum = (field: 'Value' | 'HttpsValue') => domains.reduce((acc, d) => acc + this.servedValue(action, d, field, ts, interval, nowMs), 0);
      const m: Record<string, string> = { TimeStamp: new Date(ts * 1000).toISOString().replace('.000Z', 'Z'), Value: String(sum('Value')) };
      if (action === 'DescribeDomainSrcTrafficData') m.HttpsValue = String(sum('HttpsValue'));
      modules.push(m);
    }
    const key = action === 'DescribeDomainSrcTrafficData' ? 'SrcTrafficDataPerInterval' : action === 'DescribeDomainRealTimeSrcBpsData' ? 'RealTimeSrcBpsDataPerInterval' : 'RealTimeSrcTrafficDataPerInterval';
    return {
      status: 200,
      body: {
        RequestId: this.#rid(),
        DomainName: names.join(','),
        StartTime: new Date(start * 1000).toISOString().replace('.000Z', 'Z'),
        EndTime: new Date(end * 1000).toISOString().replace('.000Z', 'Z'),
        DataInterval: String(interval),
        [key]: { DataModule: modules },
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
