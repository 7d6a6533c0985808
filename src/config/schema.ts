/**
 * The configuration schema: the collector's own keys here, each vendor's from its module
 * (CONTRACT.md "Configuration"). Every key has a default, a doc string and its unit in its name.
 * Formats are strict: a boolean is a boolean, numbers have bounds, lists hold what they say.
 */
import convict from 'convict';
import type { ConfigFragment, KeySpec, VendorModule } from '../kernel/vendor.js';

const DAY_MS = 86_400_000;
const DOMAIN_RE = /^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/;

function fail(msg: string): never {
  throw new Error(msg);
}

function intIn(min: number, max: number, name: string) {
  return {
    name,
    validate(v: unknown) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`must be a whole number from ${min} to ${max}`);
    },
  };
}

const FORMATS: Record<string, convict.Format> = {
  'strict-boolean': { name: 'strict-boolean', validate: (v: unknown) => (typeof v === 'boolean' ? undefined : fail('must be true or false')) },
  'http-url': {
    name: 'http-url',
    validate(v: unknown) {
      let u: URL;
      try {
        u = new URL(String(v));
      } catch {
        fail('is not a URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('must be an http:// or https:// URL');
    },
  },
  'domain-list': {
    name: 'domain-list',
    validate(v: unknown) {
      if (!Array.isArray(v)) fail('must be a list of domain names');
      for (const d of v) if (typeof d !== 'string' || !DOMAIN_RE.test(d)) fail(`${JSON.stringify(d)} is not a domain name`);
      if (new Set(v).size !== v.length) fail('lists a domain twice');
    },
  },
  'positive-int': intIn(1, 1_000_000_000, 'positive-int'),
  'duration-ms': intIn(1, 400 * DAY_MS, 'duration-ms'),
  'non-negative-int': intIn(0, 1_000_000_000, 'non-negative-int'),
  port: intIn(0, 65_535, 'port'),
  'positive-number': {
    name: 'positive-number',
    validate: (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1_000_000 ? undefined : fail('must be a number above 0 (at most 1000000)')),
  },
  'plain-string': { name: 'plain-string', validate: (v: unknown) => (typeof v === 'string' ? undefined : fail('must be a string')) },
  'non-empty-string': { name: 'non-empty-string', validate: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? undefined : fail('must be a non-empty string')) },
  accounts: { name: 'accounts', validate: (v: unknown) => (Array.isArray(v) ? undefined : fail('must be a list of account objects')) },
};
convict.addFormats(FORMATS);

function oneOf(values: readonly string[]): (v: unknown) => void {
  return (v: unknown) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(`must be one of ${values.join(', ')}`);
  };
}

function subsetOf(values: readonly string[]): (v: unknown) => void {
  return (v: unknown) => {
    if (!Array.isArray(v)) fail(`must be a list of ${values.join(', ')}`);
    for (const x of v) if (typeof x !== 'string' || !values.includes(x)) fail(`${JSON.stringify(x)} is not one of ${values.join(', ')}`);
    if (new Set(v).size !== v.length) fail('lists a value twice');
  };
}

export function convictFormat(f: KeySpec['format']): string | ((v: unknown) => void) {
  if (typeof f === 'object') return 'oneOf' in f ? oneOf(f.oneOf) : subsetOf(f.subsetOf);
  return { string: 'plain-string', boolean: 'strict-boolean', url: 'http-url', domains: 'domain-list', 'positive-int': 'positive-int', 'positive-number': 'positive-number' }[f];
}

export function isKeySpec(x: KeySpec | Readonly<Record<string, KeySpec>>): x is KeySpec {
  return typeof (x as KeySpec).doc === 'string' && 'format' in x;
}

function vendorSchema(m: VendorModule): Record<string, unknown> {
  const out: Record<string, unknown> = {
    enabled: { doc: `collect ${m.title}`, format: 'strict-boolean', default: false, env: `${m.id.toUpperCase()}_ENABLED` },
    domains: { doc: m.domainsDoc, format: 'domain-list', default: [] as string[], ...(m.domainsEnv ? { env: m.domainsEnv } : {}) },
    accounts: { doc: 'several accounts: a list of { name, credentials (or <key>File), domains, … }; empty: the top-level credentials form the account "default"', format: 'accounts', default: [] },
  };
  const spec = (k: KeySpec) => ({ doc: k.doc, format: convictFormat(k.format), default: k.default, ...(k.env ? { env: k.env } : {}), ...(k.secret ? { sensitive: true } : {}) });
  for (const [key, v] of Object.entries(m.config as ConfigFragment)) {
    if (isKeySpec(v)) out[key] = spec(v);
    else out[key] = Object.fromEntries(Object.entries(v).map(([k, s]) => [k, spec(s)]));
  }
  return out;
}

export function buildSchema(modules: readonly VendorModule[], env: Readonly<Record<string, string | undefined>>) {
  return convict(
    {
      influx: {
        url: { doc: 'InfluxDB base URL', format: 'http-url', default: 'http://127.0.0.1:8086', env: 'INFLUX_URL' },
        apiVersion: { doc: '1: POST /write with database/retention policy; 2: token/org/bucket (InfluxDB 2.x, 3.x, Cloud, 1.8+ compat)', format: [1, 2], default: 2, env: 'INFLUX_API_VERSION' },
        token: { doc: 'v2 token', format: 'plain-string', default: '', env: 'INFLUX_TOKEN', sensitive: true },
        org: { doc: 'v2 organization', format: 'plain-string', default: '', env: 'INFLUX_ORG' },
        bucket: { doc: 'v2 bucket', format: 'non-empty-string', default: 'cdn', env: 'INFLUX_BUCKET' },
        database: { doc: 'v1 database', format: 'non-empty-string', default: 'cdn', env: 'INFLUX_DATABASE' },
        retentionPolicy: { doc: 'v1 retention policy (empty: the default one)', format: 'plain-string', default: '', env: 'INFLUX_RETENTION_POLICY' },
        username: { doc: 'v1 username', format: 'plain-string', default: '', env: 'INFLUX_USERNAME' },
        password: { doc: 'v1 password', format: 'plain-string', default: '', env: 'INFLUX_PASSWORD', sensitive: true },
        measurement: { doc: 'measurement name', format: 'non-empty-string', default: 'cdn_origin', env: 'INFLUX_MEASUREMENT' },
        writeRetryMaxMs: { doc: 'how long once/backfill keep retrying a write before they exit 1 (run retries on its next pass)', format: 'duration-ms', default: 30_000 },
        batchSize: { doc: 'points per write request', format: 'positive-int', default: 5000 },
        requestTimeoutMs: { doc: 'deadline of one write request, body included', format: 'duration-ms', default: 30_000 },
      },
      state: {
        dir: { doc: 'where checkpoints and the gap ledger live (one process at a time)', format: 'non-empty-string', default: './data', env: 'STATE_DIR' },
        recoverFromInflux: { doc: 'a domain with no checkpoint starts after the newest bucket InfluxDB holds for it, less the provisional tail', format: 'strict-boolean', default: true },
      },
      collect: {
        initialLookbackMs: { doc: 'where a source with no checkpoint starts; older history is what backfill is for', format: 'duration-ms', default: 3_600_000 },
        giveUpAfterMs: { doc: 'how long after a bucket became final an unusable or refused bucket is still fetched again before it goes into the gap ledger', format: 'duration-ms', default: 86_400_000 },
        concurrency: { doc: 'vendor calls in flight at once per stream (the rate limit is enforced separately)', format: 'positive-int', default: 8 },
        requestTimeoutMs: { doc: 'deadline of one vendor call, body included', format: 'duration-ms', default: 20_000 },
        maxResponseBytes: { doc: 'largest vendor answer read; a longer one fails the call', format: 'positive-int', default: 32 * 1024 * 1024 },
        retryMaxAttempts: { doc: 'attempts of a throttled or failing vendor call before its window is owed to a later pass', format: 'positive-int', default: 8 },
        retryBaseMs: { doc: 'first backoff delay; doubles per attempt, with jitter', format: 'duration-ms', default: 500 },
        retryMaxDelayMs: { doc: 'largest backoff delay', format: 'duration-ms', default: 30_000 },
        discoveryIntervalMs: { doc: 'how often an empty domains list is discovered again', format: 'duration-ms', default: 3_600_000 },
        stopGraceMs: { doc: 'on SIGTERM/SIGINT, how long writes already sent are awaited before they are abandoned', format: 'duration-ms', default: 30_000 },
      },
      shard: {
        count: { doc: 'replicas sharing the work (rendezvous hashing of vendor, account, domain)', format: 'positive-int', default: 1, env: 'SHARD_COUNT' },
        index: { doc: 'this replica (0-based); unset: from a hostname ending in -N', format: 'non-negative-int', default: 0, env: 'SHARD_INDEX' },
      },
      log: {
        level: { doc: 'pino log level', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', env: 'LOG_LEVEL' },
      },
      http: {
        port: { doc: 'port of /livez, /readyz, /healthz and /metrics; 0 turns them off', format: 'port', default: 0, env: 'HTTP_PORT' },
        host: { doc: 'address they listen on (loopback unless you expose it on purpose)', format: 'plain-string', default: '127.0.0.1', env: 'HTTP_HOST' },
      },
      vendors: Object.fromEntries(modules.map((m) => [m.id, vendorSchema(m)])),
    } as never,
    { env: env as NodeJS.ProcessEnv, args: [] },
  );
}

export type Schema = ReturnType<typeof buildSchema>;

export interface CoreConfig {
  influx: { url: string; apiVersion: 1 | 2; token: string; org: string; bucket: string; database: string; retentionPolicy: string; username: string; password: string; measurement: string; writeRetryMaxMs: number; batchSize: number; requestTimeoutMs: number };
  state: { dir: string; recoverFromInflux: boolean };
  collect: { initialLookbackMs: number; giveUpAfterMs: number; concurrency: number; requestTimeoutMs: number; maxResponseBytes: number; retryMaxAttempts: number; retryBaseMs: number; retryMaxDelayMs: number; discoveryIntervalMs: number; stopGraceMs: number };
  shard: { count: number; index: number };
  log: { level: string };
  http: { port: number; host: string };
  vendors: Record<string, Record<string, unknown> & { enabled: boolean; domains: string[]; accounts: unknown[] }>;
}

/** Env vars of the collector's own secrets, which may also come from `<VAR>_FILE`. */
export const CORE_SECRETS: Readonly<Record<string, string>> = { INFLUX_TOKEN: 'influx.token', INFLUX_PASSWORD: 'influx.password' };
