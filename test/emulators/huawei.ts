/**
 * A Huawei Cloud Live emulator: ListDomainTrafficDetail (v2), the legacy ShowTraffic (v1) and
 * ShowDomain, as VENDORS.md part C and seed 004 describe them. AK/SK signatures are checked with the
 * official signer (@huaweicloud/huaweicloud-sdk-core AKSKSigner).
 *
 * Several accounts (keyed by AK), each with its own SK, project, optional security token, rate
 * limit and domains. Faults (faults.ts): `emu.inject({ fault, api?, domain?, count? })` with `api`
 * `stats/traffic/detail` or `stream/traffic`. `foreign-domain` does not apply (rows carry no
 * domain); `other-interval` adds a 60 s row inside the first 300 s bucket (what a 60 s answer to a
 * 300 s query looks like); `error-200` answers `{error_code, error_msg}` with HTTP 200.
 */
import { createRequire } from 'node:module';
import { FAULT_VALUES, FaultQueue, transportFault, type FaultName, type FaultSpec } from './faults.js';
import { Emulator, minuteBytes, revised, type CallRecord, type EmuRequest, type EmuResponse, type EmulatorClock } from './common.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: { sign(req: Record<string, unknown>, cred: { getAk(): string; getSk(): string }): Record<string, string> };
};

const DAY = 86_400;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export interface HuaweiAccount {
  readonly sk: string;
  readonly projectId: string;
  readonly securityToken?: string;
  readonly domains: readonly { domain: string; type?: 'pull' | 'push'; status?: 'on' | 'off' }[];
  /** Calls per second per API for this account (default: the emulator's, 10). */
  readonly rateLimit?: number;
}

export interface HuaweiEmulatorOptions extends EmulatorClock {
  readonly accounts: Record<string, HuaweiAccount>;
  readonly rateLimit?: number;
  readonly settleMs?: number;
}

export class HuaweiEmulator extends Emulator {
  readonly #o: HuaweiEmulatorOptions;
  readonly #faults = new FaultQueue();
  #n = 0;

  constructor(o: HuaweiEmulatorOptions) {
    super(o);
    this.#o = o;
  }

  inject(f: FaultSpec): void {
    if (f.fault === 'foreign-domain') throw new Error('foreign-domain does not apply to Huawei Live: its rows carry no domain');
    this.#faults.add(f);
  }
  dataCalls(): CallRecord[] {
    return this.calls.filter((c) => c.api !== 'domain' && c.status === 200);
  }

  finalValue(domain: string, tsSec: number, g = 300): number {
    let v = 0;
    for (let m = tsSec; m < tsSec + g; m += 60) v += minuteBytes(domain, m, 'huawei');
    return v;
  }

  servedValue(domain: string, tsSec: number, g: number, nowMs: number): number {
    return revised(this.finalValue(domain, tsSec, g), (tsSec + g) * 1000, this.#o.settleMs ?? 3 * 3600_000, nowMs);
  }

  handle(req: EmuRequest): EmuResponse {
    const nowMs = this.now();
    const requestId = `hw-${(++this.#n).toString(16).padStart(8, '0')}`;
    const query: Record<string, string> = {};
    for (const [k, v] of req.url.searchParams) query[k] = v;
    const m = /^\/(v1|v2)\/([^/]+)\/(stats\/traffic\/detail|stream\/traffic|domain)$/.exec(req.url.pathname);
    const api = m?.[3] ?? req.url.pathname;
    const reply = (status: number, body: unknown, code?: string): EmuResponse => {
      this.calls.push({ api, domains: (query.play_domains ?? query.domain ?? '').split(',').filter(Boolean), status, ...(code ? { code } : {}), params: query, atMs: nowMs });
      return { status, body, headers: { 'X-Request-Id': requestId } };
    };
    const fail = (status: number, code: string, msg: string) => reply(status, { error_code: code, error_msg: msg }, code);
    if (!m || (m[1] === 'v2') !== (api === 'stats/traffic/detail') || req.method !== 'GET') return fail(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
    const authz = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!authz) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: Authorization header is missing or malformed');
    const [, ak, signed] = authz as unknown as string[];
    const account = this.#o.accounts[ak!];
    if (!account) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: AK not found');
    const date = req.headers['x-sdk-date'] ?? '';
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!dm || !signed!.split(';').includes('x-sdk-date')) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: X-Sdk-Date is missing');
    const at = Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!);
    if (Math.abs(at - nowMs) > 15 * 60_000) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: request expired');
    const headers: Record<string, string> = {};
    // The signer takes X-Sdk-Date under its own spelling; every other signed header as received.
    for (const h of signed!.split(';')) if (h !== 'x-sdk-date') headers[h] = req.headers[h] ?? '';
    const expected = AKSKSigner.sign(
      { method: req.method, endpoint: `http://${req.headers.host}${req.url.pathname}`, queryParams: query, headers: { ...headers, 'X-Sdk-Date': date }, data: undefined },
      { getAk: () => ak!, getSk: () => account.sk },
    ).Authorization;
    if (expected !== req.headers.authorization) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
    if (account.securityToken !== undefined && req.headers['x-security-token'] !== account.securityToken) return fail(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token invalid');
    if (m[2] !== account.projectId || req.headers['x-project-id'] !== account.projectId) return fail(404, 'APIGW.0311', 'Incorrect project ID');
    const limit = account.rateLimit ?? this.#o.rateLimit ?? 10;
    if (api !== 'domain' && !this.limiter.admit(`${ak}:${api}`, limit, nowMs)) return fail(429, 'APIGW.0308', `The throttling threshold has been reached: policy user over ratelimit,limit:${limit},time:1 second`);
    const res = this.#answer(api, account, query, nowMs, illegalOf(fail));
    // A refusal was recorded by `fail` already.
    if (res.status !== 200) return res;
    if (api === 'domain') return reply(200, res.body);
    const injected = this.#faults.take(api, (query.play_domains ?? query.domain ?? '').split(',').filter(Boolean));
    if (!injected) return reply(200, res.body);
    const broken = this.#broken(injected, res, api);
    reply(broken.status, broken.body, `fault:${injected}`);
    return { ...broken, headers: { ...(broken.headers ?? {}), 'X-Request-Id': requestId } };
  }

  #answer(api: string, account: HuaweiAccount, query: Record<string, string>, nowMs: number, illegal: (msg: string) => EmuResponse): EmuResponse {
    if (api === 'domain') {
      return { status: 200, body: {
        total: account.domains.length,
        domain_info: account.domains.map((d) => ({ domain: d.domain, domain_type: d.type ?? 'pull', vendor: 'huawei', region: 'cn-north-4', domain_cname: `${d.domain}.c.cdnhwc1.com`, status: d.status ?? 'on', create_time: '2024-01-01T00:00:00Z' })),
      } };
    }
    const known = (d: string) => account.domains.some((x) => x.domain === d);
    const nowSec = Math.floor(nowMs / 1000);
    if (api === 'stats/traffic/detail') {
      const domains = (query.play_domains ?? '').split(',').filter(Boolean);
      if (!domains.length) return illegal('play_domains is required');
      if (domains.length > 100) return illegal('at most 100 play_domains');
      for (const d of domains) if (!known(d)) return illegal(`domain ${d} does not exist`);
      const interval = query.interval === undefined ? 300 : Number(query.interval);
      if (![300, 3600, 86400].includes(interval)) return illegal('interval must be 300, 3600 or 86400');
      const start = query.start_time === undefined ? nowSec - 7 * DAY : TIME_RE.test(query.start_time) ? Date.parse(query.start_time) / 1000 : NaN;
      const end = query.end_time === undefined ? nowSec : TIME_RE.test(query.end_time) ? Date.parse(query.end_time) / 1000 : NaN;
      if (!Number.isFinite(start) || !Number.isFinite(end)) return illegal('start_time/end_time must be yyyy-MM-ddTHH:mm:ssZ');
      if (start % interval !== 0) return illegal('start_time must sit on an interval boundary');
      if (query.end_time !== undefined && (end + 1) % interval !== 0) return illegal('end_time must be one second before an interval boundary');
      if (end < start || end - start > 31 * DAY) return illegal('the span must be at most 31 days');
      if (start < nowSec - 365 * DAY) return illegal('only the past year can be queried');
      const data_list = [];
      for (let t = start; t <= end && t <= nowSec; t += interval) data_list.push({ value: domains.reduce((n, d) => n + this.servedValue(d, t, interval, nowMs), 0), time: new Date(t * 1000).toISOString().replace('.000Z', 'Z') });
      return { status: 200, body: { data_list } };
    }
    // Legacy: 5-minute buckets; start without end means until now; end without start is illegal.
    if (query.start_time === undefined && query.end_time !== undefined) return illegal('end_time without start_time');
    const domains = query.domain ? [query.domain] : account.domains.filter((d) => (d.type ?? 'pull') === 'pull').map((d) => d.domain);
    if (query.domain && !known(query.domain)) return illegal(`domain ${query.domain} does not exist`);
    let start: number;
    let end: number;
    if (query.start_time === undefined) {
      start = Math.floor(nowSec / 300) * 300 - 300;
      end = start + 299;
    } else {
      if (!TIME_RE.test(query.start_time) || (query.end_time !== undefined && !TIME_RE.test(query.end_time))) return illegal('start_time/end_time must be yyyy-MM-ddTHH:mm:ssZ');
      start = Date.parse(query.start_time) / 1000;
      end = query.end_time === undefined ? nowSec : Date.parse(query.end_time) / 1000;
    }
    if (end < start || end - start > 30 * DAY) return illegal('the span must be at most 30 days');
    if (start < nowSec - 90 * DAY) return illegal('only the last three months can be queried');
    const traffic_info = [];
    for (let t = Math.ceil(start / 300) * 300; t <= end && t <= nowSec; t += 300) traffic_info.push({ traffic: domains.reduce((n, d) => n + this.servedValue(d, t, 300, nowMs), 0), timestamp: new Date(t * 1000).toISOString().replace('.000Z', 'Z') });
    return { status: 200, body: { total: traffic_info.length, traffic_info } };
  }

  /** The answer `ok` broken as `fault` says (faults.ts). */
  #broken(fault: FaultName, ok: EmuResponse, api: string): EmuResponse {
    const t = transportFault(fault, ok);
    if (t) return t;
    const body = structuredClone(ok.body) as Record<string, unknown>;
    const [listKey, valueKey, timeKey] = api === 'stats/traffic/detail' ? ['data_list', 'value', 'time'] : ['traffic_info', 'traffic', 'timestamp'];
    const rows = body[listKey] as Record<string, unknown>[];
    const row = rows[0];
    const need = () => {
      if (!row) throw new Error(`fault ${fault}: the answer has no bucket to break`);
      return row;
    };
    if (fault in FAULT_VALUES) {
      need()[valueKey] = FAULT_VALUES[fault];
      return { status: 200, body };
    }
    const at = (r: Record<string, unknown>) => Date.parse(r[timeKey] as string) / 1000;
    const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
    switch (fault) {
      case 'missing-container':
        delete body[listKey];
        break;
      case 'null-container':
        body[listKey] = null;
        break;
      case 'error-200':
        return { status: 200, body: { error_code: 'LIVE.100011009', error_msg: 'Internal error' } };
      case 'other-interval':
        rows.splice(1, 0, { [valueKey]: 1024, [timeKey]: iso(at(need()) + 60) });
        break;
      case 'off-grid':
        need()[timeKey] = iso(at(need()) + 150);
        break;
      case 'zoneless-time':
        need()[timeKey] = (need()[timeKey] as string).replace(/Z$/, '');
        break;
      case 'unparseable-time':
        need()[timeKey] = '2026-02-30T25:61:00Z';
        break;
      default:
        throw new Error(`fault ${fault} does not apply to Huawei Live`);
    }
    return { status: 200, body };
  }
}

function illegalOf(fail: (status: number, code: string, msg: string) => EmuResponse): (msg: string) => EmuResponse {
  return (msg) => fail(400, 'LIVE.100011001', `Request Illegal: ${msg}`);
}

export const HUAWEI_DEMO = { ak: 'HWDEMOAK', sk: 'demo-secret-huawei', projectId: '0123456789abcdef0123456789abcdef', domains: ['live.example.com', 'play.example.com'] };

export async function startDemo(listen: { host?: string; port?: number } = {}): Promise<{ config: Record<string, unknown>; env: Record<string, string>; stop(): Promise<void>; emulator: HuaweiEmulator }> {
  const emulator = new HuaweiEmulator({
    accounts: { [HUAWEI_DEMO.ak]: { sk: HUAWEI_DEMO.sk, projectId: HUAWEI_DEMO.projectId, domains: [...HUAWEI_DEMO.domains.map((domain) => ({ domain })), { domain: 'push.example.com', type: 'push' }] } },
  });
  const endpoint = await emulator.server.start(listen.port ?? 0, listen.host ?? '127.0.0.1');
  return {
    config: { vendors: { huawei: { enabled: true, endpoint, domains: [], apis: ['stats/traffic/detail', 'stream/traffic'] } } },
    env: { HUAWEICLOUD_SDK_AK: HUAWEI_DEMO.ak, HUAWEICLOUD_SDK_SK: HUAWEI_DEMO.sk, HUAWEICLOUD_SDK_PROJECT_ID: HUAWEI_DEMO.projectId },
    stop: () => emulator.stop(),
    emulator,
  };
}
