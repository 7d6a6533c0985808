/**
 * The contract between the core and a vendor module. A module declares its configuration and
 * builds one adapter per account; adapters translate: they build and sign requests, parse and
 * validate answers and classify errors. They never do I/O, sleep, retry, log or read files:
 * everything with time or effects is the core's. Adding a vendor is one folder and one registry line.
 */
import type { VendorError } from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';
import type { Sample } from './schema.js';
import type { Window, WindowRules } from './time.js';

export type { VendorError, VendorErrorKind } from './errors.js';
export type { HttpRequest, HttpResponse } from './http.js';

/** One configuration key of a vendor, as the config schema, check-config, env and redaction see it. */
export interface KeySpec {
  readonly doc: string;
  readonly format: 'string' | 'boolean' | 'url' | 'domains' | 'positive-int' | 'positive-number' | { readonly oneOf: readonly string[] } | { readonly subsetOf: readonly string[] };
  readonly default: unknown;
  /** Environment variable that sets it (top-level account only). */
  readonly env?: string;
  /** Never printed; may come from `<ENV>_FILE`, or `<key>File` inside an account. */
  readonly secret?: boolean;
  /** A credential: part of an account, required when the vendor is enabled unless `optional`. */
  readonly credential?: boolean;
  readonly optional?: boolean;
  /** May be set per account (besides credentials and `domains`). */
  readonly perAccount?: boolean;
}

/** vendors.<id>.*: keys, and groups of keys one level deep (`ratePerSec.<API>`). */
export type ConfigFragment = Readonly<Record<string, KeySpec | Readonly<Record<string, KeySpec>>>>;

/** One account of a vendor as configured: its name, credentials, domains and per-account keys. */
export interface AccountConfig {
  readonly name: string;
  /** Empty: every domain discovery finds. */
  readonly domains: readonly string[];
  /** Every other key of the account (credentials and per-account keys), by key name. */
  readonly values: Readonly<Record<string, unknown>>;
}

export type Credentials = Readonly<Record<string, string | undefined>>;

export interface SignContext {
  readonly nowMs: number;
  readonly nonce: string;
  readonly credentials: Credentials;
}

export interface CallSpec {
  readonly stream: StreamSpec;
  readonly domains: readonly string[];
  readonly window: Window;
  /** Buckets that start before this are final: the answer must hold them. Later ones may be missing. */
  readonly finalBeforeSec: number;
}

export type CallOutcome =
  | { readonly ok: true; readonly samples: readonly Sample[] }
  | { readonly ok: false; readonly error: VendorError };

export type PageOutcome =
  | { readonly ok: true; readonly domains: readonly string[]; readonly next?: number }
  | { readonly ok: false; readonly error: VendorError };

/**
 * One stream family the core schedules and checkpoints: an API, or one metric of an API. It carries
 * its own request builder and parser, bound to its typed parameters when the adapter was built.
 */
export interface StreamSpec {
  /** Stable id, used in checkpoint names and logs (`DescribeDomainSrcTrafficData`, `flux-5min-mainland`). */
  readonly id: string;
  /** The vendor API it calls, for messages. */
  readonly api: string;
  /** Calls with the same rate key share one pacer per account. */
  readonly rateKey: string;
  /** How often `run` polls it, as a cron expression, and the same in seconds. */
  readonly cadence: string;
  readonly cadenceSec: number;
  readonly rules: WindowRules;
  /** How many domains one call may carry while still returning a series per domain. */
  readonly maxDomainsPerCall: number;
  /** The `area` tag of its points (Tencent). */
  readonly area?: string;
  /**
   * Contract metric names the stream returns for every asked domain and every final bucket (the
   * core checks answers for them, and recovers checkpoints from InfluxDB by them).
   */
  readonly metrics: readonly string[];
  buildCall(call: CallSpec, ctx: SignContext): HttpRequest;
  /** Valid samples, or an error: an answer that does not prove itself complete is `malformed`. */
  parseCall(call: CallSpec, res: HttpResponse): CallOutcome;
}

export interface Discovery {
  readonly api: string;
  readonly rateKey: string;
  /** Builds the request for one page; `cursor` starts at 0 and comes back from `parsePage`. */
  buildPage(cursor: number, ctx: SignContext): HttpRequest;
  parsePage(cursor: number, res: HttpResponse): PageOutcome;
}

/** A configured vendor account: what to collect and how to talk to the vendor about it. */
export interface VendorAdapter {
  /** The module id (`huaweicdn`): config key, `--vendor`, checkpoint names. */
  readonly module: string;
  /** The `vendor` tag of its points (`huawei`). */
  readonly vendor: string;
  /** The `account` tag of its points. */
  readonly account: string;
  readonly streams: readonly StreamSpec[];
  /** Empty: every domain the discovery finds. */
  readonly configuredDomains: readonly string[];
  readonly discovery: Discovery;
  /** Calls per second allowed for a rate key, per account. */
  rateLimit(rateKey: string): number;
}

/** Everything the rest of the collector knows about a vendor comes from its module. */
export interface VendorModule {
  /** Config key under `vendors`, `--vendor` value. */
  readonly id: string;
  /** The `vendor` tag of its points. */
  readonly vendor: string;
  readonly title: string;
  /** vendors.<id>.* besides `enabled`, `domains` and `accounts`, which every vendor has. */
  readonly config: ConfigFragment;
  /** Env var of the top-level domain list (comma-separated). */
  readonly domainsEnv?: string;
  readonly domainsDoc: string;
  /**
   * Problems with the vendor's settings and one account, as `key: message` with the key relative to
   * `vendors.<id>` (the config loader prefixes it and names the account).
   */
  validate(settings: Readonly<Record<string, unknown>>, account: AccountConfig): string[];
  createAdapter(settings: Readonly<Record<string, unknown>>, account: AccountConfig): VendorAdapter;
}
