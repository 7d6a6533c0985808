/**
 * The vendors' answers: every bad-input fault of test/emulators/faults.ts on each vendor, as a storm
 * (the answer stays bad through every retry: exit 1, one line, the window or bucket owed, filled by
 * the next healthy pass) and as a blip (bad once, good on the retry: exit 0, nothing said, complete);
 * throttling storms; a wrong key on one of two accounts. CONTRACT.md "Nothing is lost or invented
 * silently"; issue 8, "What must hold" 1, 2 and 4.
 */
import { DOMAINS, PRIMARY } from '../harness.js';
import type { Case, VendorId } from '../types.js';

const VENDORS: VendorId[] = ['aliyun', 'tencent', 'huawei', 'huaweicdn'];
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** How each vendor names the call in its line: vendor, API (and metric/area for Tencent), domain. */
const PREFIX: Record<VendorId, string> = {
  aliyun: 'aliyun DescribeDomainSrcTrafficData',
  tencent: 'tencent DescribeOriginData flux mainland',
  huawei: 'huawei ListDomainTrafficDetail',
  huaweicdn: 'huaweicdn ShowDomainStats',
};
/** One line naming vendor, API, domain, what was wrong and the account. */
export function vendorLine(v: VendorId, what: string, domain = DOMAINS[v][0], account = 'main', prefix = PREFIX[v]): RegExp {
  return new RegExp(`^${esc(prefix)} ${esc(domain)}: .*(${what}).*account ${account}`, 'i');
}

/** What the line must say about each fault. */
const WHAT: Record<string, string> = {
  'missing-container': 'missing',
  'null-container': 'null|missing',
  'container-not-list': 'not a list|list',
  'error-200': 'error|CDN\\.9999|Unknown|code',
  'non-json': 'JSON|pars',
  'html-500': '500|HTTP',
  truncated: 'JSON|truncat|pars|end',
  'foreign-domain': 'domain|not asked',
  'other-interval': 'interval|granularit|grid|60',
  'off-grid': 'grid|start_time',
  'zoneless-time': 'zone|time',
  'unparseable-time': 'time',
  'value-null': 'null',
  'value-empty': '""|empty',
  'value-abc': 'abc',
  'value-NaN': 'NaN',
  'value-Infinity': 'Infinity',
  'value-negative': '-5|negative',
  'value-fraction': '1\\.5|integer',
  stall: 'deadline|timed? ?out|timeout',
  oversized: 'large|size|bytes|limit',
};

/** Which faults each vendor's answer can carry (faults.ts says which do not apply). */
const APPLIES: Record<VendorId, string[]> = {
  aliyun: ['missing-container', 'null-container', 'container-not-list', 'error-200', 'non-json', 'html-500', 'truncated', 'foreign-domain', 'other-interval', 'off-grid', 'zoneless-time', 'value-null', 'value-empty', 'value-abc', 'value-NaN', 'value-Infinity', 'value-negative', 'stall', 'oversized'],
  tencent: ['missing-container', 'null-container', 'error-200', 'non-json', 'html-500', 'truncated', 'foreign-domain', 'other-interval', 'off-grid', 'zoneless-time', 'unparseable-time', 'value-null', 'value-empty', 'value-abc', 'value-NaN', 'value-Infinity', 'value-negative', 'value-fraction', 'stall', 'oversized'],
  huawei: ['missing-container', 'null-container', 'error-200', 'non-json', 'html-500', 'truncated', 'other-interval', 'off-grid', 'zoneless-time', 'unparseable-time', 'value-null', 'value-empty', 'value-abc', 'value-NaN', 'value-Infinity', 'value-negative', 'stall', 'oversized'],
  huaweicdn: ['missing-container', 'null-container', 'error-200', 'non-json', 'html-500', 'truncated', 'foreign-domain', 'other-interval', 'off-grid', 'value-null', 'value-empty', 'value-abc', 'value-NaN', 'value-Infinity', 'value-negative', 'value-fraction', 'stall', 'oversized'],
};
/** Faults that break the whole call (retried); the value faults only spoil one bucket. */
const CALL_FAULTS = new Set(['missing-container', 'null-container', 'container-not-list', 'error-200', 'non-json', 'html-500', 'truncated', 'foreign-domain', 'other-interval', 'off-grid', 'zoneless-time', 'unparseable-time', 'stall', 'oversized']);

/** Counting metrics for the fractional-count cases (a count of 1.5 requests is not a count). */
const COUNT_METRIC: Partial<Record<VendorId, { config: Record<string, unknown>; metric: string; prefix: string }>> = {
  tencent: { config: { metrics: ['request'] }, metric: 'requests', prefix: 'tencent DescribeOriginData request mainland' },
  huaweicdn: { config: { metrics: ['bs_num'] }, metric: 'requests', prefix: 'huaweicdn ShowDomainStats' },
};

function storm(v: VendorId, fault: string): Case {
  const count = COUNT_METRIC[v] && fault === 'value-fraction' ? COUNT_METRIC[v] : undefined;
  const call = CALL_FAULTS.has(fault);
  return {
    name: `${v} ${fault}: every answer`,
    cls: 'vendor',
    vendor: v,
    ...(count ? { metric: count.metric, config: { vendors: { [v]: count.config } } } : {}),
    inject: [{ fault, count: 50 }],
    ...(fault === 'stall' ? { config: { collect: { requestTimeoutMs: 700 } } } : {}),
    // A long deadline: under load, sending 64 MiB can outlast a short one and the size limit must be what fires.
    ...(fault === 'oversized' ? { config: { collect: { maxResponseBytes: 65_536, requestTimeoutMs: 20_000 } } } : {}),
    expect: {
      exit: 1,
      line: vendorLine(v, WHAT[fault]!, DOMAINS[v][0], 'main', count?.prefix ?? PREFIX[v]),
      influx: call ? 'none' : 'hole',
      owed: true,
      followUp: true,
    },
  };
}

function blip(v: VendorId, fault: string): Case {
  return {
    name: `${v} ${fault}: once, then good`,
    cls: 'vendor',
    vendor: v,
    inject: [{ fault, count: 1 }],
    expect: { exit: 0, influx: 'complete', owed: false },
  };
}

const THROTTLE: Partial<Record<VendorId, { storm: Record<string, unknown>; blip: Record<string, unknown>; what: string; via: 'fail' | 'inject' }>> = {
  aliyun: { via: 'fail', storm: { status: 503, code: 'ServiceUnavailable', count: 50 }, blip: { status: 400, code: 'Throttling.User', count: 1 }, what: 'ServiceUnavailable' },
  tencent: { via: 'fail', storm: { code: 'RequestLimitExceeded', count: 50 }, blip: { code: 'RequestLimitExceeded', count: 1 }, what: 'RequestLimitExceeded' },
  huaweicdn: { via: 'inject', storm: { fault: 'throttle', count: 50 }, blip: { fault: 'throttle', count: 1 }, what: 'APIGW\\.0308|throttl' },
};

export const vendorCases: Case[] = [];
for (const v of VENDORS) {
  for (const f of APPLIES[v]) vendorCases.push(storm(v, f));
  for (const f of APPLIES[v]) if (CALL_FAULTS.has(f) && f !== 'stall' && f !== 'oversized') vendorCases.push(blip(v, f));
  const t = THROTTLE[v];
  if (t) {
    const key = t.via === 'fail' ? 'fail' : 'inject';
    vendorCases.push({ name: `${v} throttling storm`, cls: 'vendor', vendor: v, [key]: [t.storm], expect: { exit: 1, line: vendorLine(v, t.what), influx: 'none', owed: true, followUp: true } });
    vendorCases.push({ name: `${v} one throttled answer`, cls: 'vendor', vendor: v, [key]: [t.blip], expect: { exit: 0, influx: 'complete', owed: false } });
  }
  vendorCases.push({
    name: `${v} second account's key is wrong`,
    cls: 'vendor',
    vendor: v,
    secondAccount: 'wrong',
    expect: { exit: 1, line: new RegExp(`^${esc(PREFIX[v])} ${esc(DOMAINS[v][1])}: .*account second.*credentials`), influx: 'partial-account' },
  });
  vendorCases.push({ name: `${v} two accounts, healthy`, cls: 'vendor', vendor: v, secondAccount: 'ok', expect: { exit: 0, influx: 'complete', owed: false } });
}

// Huawei CDN's own error objects with HTTP 200, and series of the wrong length.
for (const fault of ['cdn-0202', 'cdn-0203', 'cdn-0000', 'long-series', 'short-series', 'merged'])
  vendorCases.push({ name: `huaweicdn ${fault}: every answer`, cls: 'vendor', vendor: 'huaweicdn', inject: [{ fault, count: 50 }], expect: { exit: 1, line: vendorLine('huaweicdn', fault.startsWith('cdn') ? `CDN\\.${fault.slice(4)}` : 'series|length|values|group|domain'), influx: 'none', owed: true, followUp: true } });
// An Alibaba error code that documents a condition, with HTTP 200 (a proxy that rewrote the status).
vendorCases.push({ name: 'aliyun error object InvalidDomain.Offline with 200', cls: 'vendor', vendor: 'aliyun', inject: [{ fault: 'error-200', code: 'InvalidDomain.Offline', count: 50 }], expect: { exit: 1, line: vendorLine('aliyun', 'InvalidDomain\\.Offline'), influx: 'none', owed: true, followUp: true } });
// Only the second domain's answers are bad: the first is written, only the second is owed.
vendorCases.push({ name: 'aliyun value-null on one of two accounts only', cls: 'vendor', vendor: 'aliyun', secondAccount: 'ok', inject: [{ fault: 'value-null', domain: DOMAINS.aliyun[1], count: 50 }], expect: { exit: 1, line: vendorLine('aliyun', 'null', DOMAINS.aliyun[1], 'second'), influx: 'hole', owed: true, followUp: true } });
void PRIMARY;
