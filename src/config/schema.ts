/**
 * The configuration schema: every key with its default, doc, env var and unit (CONTRACT.md
 * "Configuration"). Secrets are marked sensitive so that they print masked.
 */
import convict from 'convict';
import { ALIYUN_APIS } from '../vendors/aliyun/index.js';

export const TENCENT_METRICS = ['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx'] as const;
export const HUAWEI_APIS = ['stats/traffic/detail', 'stream/traffic'] as const;

function subsetOf(allowed: readonly string[], name: string) {
  return {
    name,
    validate(v: unknown) {
      if (!Array.isArray(v)) throw new Error('must be a list');
      for (const x of v) if (!allowed.includes(x as string)) throw new Error(`"${String(x)}" is not one of ${allowed.join(', ')}`);
      if (new Set(v).size !== v.length) throw new Error('lists a value twice');
    },
  };
}

const domainList = {
  name: 'domain-list',
  validate(v: unknown) {
    if (!Array.isArray(v)) throw new Error('must be a list of domain names');
    for (const d of v) if (typeof d !== 'string' || !/^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/.test(d)) throw new Error(`"${String(d)}" is not a domain name`);
  },
};

const url = {
  name: 'http-url',
  validate(v: unknown) {
    let u: URL;
    try {
      u = new URL(String(v));
    } catch {
      throw new Error(`"${String(v)}" is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`"${String(v)}" must be http:// or https://`);
  },
};

const positiveInt = {
  name: 'positive-int',
  validate(v: unknown) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error('must be a positive integer');
  },
  coerce: (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
};

const positiveNumber = {
  name: 'positive-number',
  validate(v: unknown) {
    if (typeof v !== 'number' || !(v > 0)) throw new Error('must be a positive number');
  },
};

export function buildSchema(env: Record<string, string | undefined>) {
  return convict(
    {
    influx: {
      url: { doc: 'InfluxDB base URL', format: 'http-url', default: 'http://127.0.0.1:8086', env: 'INFLUX_URL' },
      apiVersion: { doc: '1: POST /write with database/retention policy; 2: token/org/bucket through @influxdata/influxdb-client', format: [1, 2], default: 2, env: 'INFLUX_API_VERSION' },
      token: { doc: 'v2 token', format: String, default: '', env: 'INFLUX_TOKEN', sensitive: true },
      org: { doc: 'v2 organization', format: String, default: '', env: 'INFLUX_ORG' },
      bucket: { doc: 'v2 bucket', format: String, default: 'cdn', env: 'INFLUX_BUCKET' },
      database: { doc: 'v1 database', format: String, default: 'cdn', env: 'INFLUX_DATABASE' },
      retentionPolicy: { doc: 'v1 retention policy (empty: the default one)', format: String, default: '', env: 'INFLUX_RETENTION_POLICY' },
      username: { doc: 'v1 username', format: String, default: '', env: 'INFLUX_USERNAME' },
      password: { doc: 'v1 password', format: String, default: '', env: 'INFLUX_PASSWORD', sensitive: true },
      measurement: { doc: 'measurement name', format: String, default: 'cdn_origin', env: 'INFLUX_MEASUREMENT' },
      writeRetryMaxMs: { doc: 'how long once/backfill keep retrying a write before they exit 1 (run retries on its next pass)', format: 'positive-int', default: 30_000 },
      batchSize: { doc: 'points per write request', format: 'positive-int', default: 5000 },
      requestTimeoutMs: { doc: 'timeout of one write request', format: 'positive-int', default: 30_000 },
    },
    state: {
      dir: { doc: 'where checkpoints live (one process at a time)', format: String, default: './data', env: 'STATE_DIR' },
    },
    collect: {
      initialLookbackMs: { doc: 'where a source with no checkpoint starts; older history is what backfill is for', format: 'positive-int', default: 3_600_000 },
      concurrency: { doc: 'vendor calls in flight at once per stream (the rate limit is enforced separately)', format: 'positive-int', default: 8 },
      requestTimeoutMs: { doc: 'timeout of one vendor call', format: 'positive-int', default: 20_000 },
      retryMaxAttempts: { doc: 'attempts of a throttled or failing vendor call before its window waits for the next pass', format: 'positive-int', default: 8 },
      retryBaseMs: { doc: 'first backoff delay; doubles per attempt, with jitter', format: 'positive-int', default: 500 },
      retryMaxDelayMs: { doc: 'largest backoff delay', format: 'positive-int', default: 30_000 },
      discoveryIntervalMs: { doc: 'how often an empty domains list is discovered again', format: 'positive-int', default: 3_600_000 },
      memoryBudgetMb: { doc: 'resident memory above which a pass collects garbage between chunks of calls', format: 'positive-int', default: 100 },
    },
    log: {
      level: { doc: 'pino log level', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', env: 'LOG_LEVEL' },
    },
    http: {
      port: { doc: 'port of /healthz and /metrics; 0 turns them off', format: 'port', default: 0, env: 'HTTP_PORT' },
      host: { doc: 'address /healthz and /metrics listen on (loopback unless you expose it on purpose)', format: String, default: '127.0.0.1', env: 'HTTP_HOST' },
    },
    vendors: {
      aliyun: {
        enabled: { doc: 'collect Alibaba Cloud CDN', format: Boolean, default: false, env: 'ALIYUN_ENABLED' },
        endpoint: { doc: 'base URL (http allowed, for proxies and tests)', format: 'http-url', default: 'https://cdn.aliyuncs.com', env: 'ALIYUN_CDN_ENDPOINT' },
        accessKeyId: { doc: 'AccessKey ID', format: String, default: '', env: 'ALIBABA_CLOUD_ACCESS_KEY_ID' },
        accessKeySecret: { doc: 'AccessKey secret', format: String, default: '', env: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', sensitive: true },
        securityToken: { doc: 'STS token', format: String, default: '', env: 'ALIBABA_CLOUD_SECURITY_TOKEN', sensitive: true },
        domains: { doc: 'domains; empty: every online domain of the account, discovered again every hour', format: 'domain-list', default: [] as string[], env: 'ALIYUN_DOMAINS' },
        apis: { doc: 'which back-to-origin APIs to collect', format: 'aliyun-apis', default: [...ALIYUN_APIS] as string[] },
        signatureVersion: { doc: 'acs3 (ACS3-HMAC-SHA256, the current default) or rpc (HMAC-SHA1)', format: ['acs3', 'rpc'], default: 'acs3' },
        ratePerSec: {
          DescribeDomainSrcTrafficData: { doc: 'calls/s per account', format: 'positive-number', default: 100 },
          DescribeDomainRealTimeSrcTrafficData: { doc: 'calls/s per account', format: 'positive-number', default: 10 },
          DescribeDomainRealTimeSrcBpsData: { doc: 'calls/s per account', format: 'positive-number', default: 10 },
          DescribeUserDomains: { doc: 'calls/s per account', format: 'positive-number', default: 100 },
        },
        realTimeSettleMs: { doc: 'data delay of the 1-minute APIs; buckets younger than this plus one bucket are re-read', format: 'positive-int', default: 300_000 },
        srcTrafficSettleMs: { doc: 'data delay of DescribeDomainSrcTrafficData at 300 s', format: 'positive-int', default: 900_000 },
      },
      tencent: {
        enabled: { doc: 'collect Tencent Cloud CDN', format: Boolean, default: false, env: 'TENCENT_ENABLED' },
        endpoint: { doc: 'base URL', format: 'http-url', default: 'https://cdn.tencentcloudapi.com', env: 'TENCENT_CDN_ENDPOINT' },
        secretId: { doc: 'SecretId', format: String, default: '', env: 'TENCENTCLOUD_SECRET_ID' },
        secretKey: { doc: 'SecretKey', format: String, default: '', env: 'TENCENTCLOUD_SECRET_KEY', sensitive: true },
        sessionToken: { doc: 'STS token', format: String, default: '', env: 'TENCENTCLOUD_SESSION_TOKEN', sensitive: true },
        domains: { doc: 'domains; empty: every online domain of the account (DescribeDomains), discovered again every hour', format: 'domain-list', default: [] as string[], env: 'TENCENT_DOMAINS' },
        metrics: { doc: 'DescribeOriginData metrics to collect', format: 'tencent-metrics', default: [...TENCENT_METRICS] as string[] },
        interval: { doc: 'granularity', format: ['min', '5min', 'hour', 'day'], default: '5min' },
        area: { doc: 'mainland or overseas (one area per configuration)', format: ['mainland', 'overseas'], default: 'mainland' },
        ratePerSec: { doc: 'DescribeOriginData calls/s per account', format: 'positive-number', default: 20 },
        settleMs: { doc: 'how long Tencent may still revise a bucket (re-read tail, at least 10 minutes)', format: 'positive-int', default: 600_000 },
      },
      huawei: {
        enabled: { doc: 'collect Huawei Cloud Live', format: Boolean, default: false, env: 'HUAWEI_ENABLED' },
        endpoint: { doc: 'base URL', format: 'http-url', default: 'https://live.cn-north-4.myhuaweicloud.com', env: 'HUAWEI_LIVE_ENDPOINT' },
        ak: { doc: 'access key', format: String, default: '', env: 'HUAWEICLOUD_SDK_AK' },
        sk: { doc: 'secret key', format: String, default: '', env: 'HUAWEICLOUD_SDK_SK', sensitive: true },
        securityToken: { doc: 'temporary credentials token', format: String, default: '', env: 'HUAWEICLOUD_SDK_SECURITY_TOKEN', sensitive: true },
        projectId: { doc: 'project id', format: String, default: '', env: 'HUAWEICLOUD_SDK_PROJECT_ID' },
        domains: { doc: 'play domains; empty: every pull domain of the project that is on, discovered again every hour', format: 'domain-list', default: [] as string[], env: 'HUAWEI_DOMAINS' },
        apis: { doc: 'stats/traffic/detail (v2, current platform) and/or stream/traffic (v1, legacy platform)', format: 'huawei-apis', default: ['stats/traffic/detail'] as string[] },
        ratePerSec: { doc: 'calls/s per API (Huawei documents no limit for Live statistics; APIG flow control applies)', format: 'positive-number', default: 10 },
        settleMs: { doc: 'how long Huawei may still revise a bucket (docs: treat data younger than 3 h as provisional)', format: 'positive-int', default: 10_800_000 },
      },
    },
    },
    { env: env as NodeJS.ProcessEnv, args: [] },
  );
}

convict.addFormats({
  'aliyun-apis': subsetOf(ALIYUN_APIS, 'aliyun-apis'),
  'tencent-metrics': subsetOf(TENCENT_METRICS, 'tencent-metrics'),
  'huawei-apis': subsetOf(HUAWEI_APIS, 'huawei-apis'),
  'http-url': url,
  'domain-list': domainList,
  'positive-int': positiveInt,
  'positive-number': positiveNumber,
} as unknown as Record<string, convict.Format>);

export type Schema = ReturnType<typeof buildSchema>;
export type AppConfig = ReturnType<Schema['getProperties']>;

/** Env vars of secrets, which may also come from `<VAR>_FILE`. */
export const SECRET_KEYS: Record<string, string> = {
  INFLUX_TOKEN: 'influx.token',
  INFLUX_PASSWORD: 'influx.password',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'vendors.aliyun.accessKeySecret',
  ALIBABA_CLOUD_SECURITY_TOKEN: 'vendors.aliyun.securityToken',
  TENCENTCLOUD_SECRET_KEY: 'vendors.tencent.secretKey',
  TENCENTCLOUD_SESSION_TOKEN: 'vendors.tencent.sessionToken',
  HUAWEICLOUD_SDK_SK: 'vendors.huawei.sk',
  HUAWEICLOUD_SDK_SECURITY_TOKEN: 'vendors.huawei.securityToken',
};
