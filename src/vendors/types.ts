/**
 * The contract between the core and a vendor adapter. Adapters translate: they build and sign
 * requests, parse responses and classify errors. They never do I/O, sleep, retry, log or read
 * config files; everything with time or effects is the core's.
 */
import type { Window, WindowRules } from '../core/window.js';

export type VendorId = 'aliyun' | 'tencent' | 'huawei';
export const VENDOR_IDS: readonly VendorId[] = ['aliyun', 'tencent', 'huawei'];

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One vendor bucket, in the contract's units (see metrics/schema.ts). */
export interface Sample {
  readonly domain: string;
  readonly metric: string;
  readonly intervalSec: number;
  /** Bucket start, epoch seconds UTC. */
  readonly tsSec: number;
  readonly value: number;
}

export type Credentials = Readonly<Record<string, string | undefined>>;

export interface SignContext {
  readonly nowMs: number;
  readonly nonce: string;
  readonly credentials: Credentials;
}

/** One stream family the core schedules and checkpoints: an API, or one metric of an API. */
export interface StreamSpec {
  /** Stable id, used in checkpoint names and logs (`DescribeDomainSrcTrafficData`, `flux`). */
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
}

export interface CallSpec {
  readonly stream: StreamSpec;
  readonly domains: readonly string[];
  readonly window: Window;
}

/** The kinds, and what the core does with each, are in core/errors.ts: the one table of error codes. */
export type { VendorErrorKind } from '../core/errors.js';
import type { VendorErrorKind } from '../core/errors.js';

export interface VendorError {
  readonly kind: VendorErrorKind;
  readonly vendorCode: string;
  readonly message: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
}

export type CallOutcome =
  | { readonly ok: true; readonly samples: readonly Sample[]; readonly badBuckets: readonly string[] }
  | { readonly ok: false; readonly error: VendorError };

export type PageOutcome =
  | { readonly ok: true; readonly domains: readonly string[]; readonly next?: number }
  | { readonly ok: false; readonly error: VendorError };

export interface Discovery {
  readonly api: string;
  readonly rateKey: string;
  /** Builds the request for one page; `cursor` starts at 0 and comes back from `parsePage`. */
  buildPage(cursor: number, ctx: SignContext): HttpRequest;
  parsePage(cursor: number, res: HttpResponse): PageOutcome;
}

/** A configured vendor account: what to collect and how to talk to the vendor about it. */
export interface VendorAdapter {
  readonly vendor: VendorId;
  /** Identifies the account in checkpoint names without revealing it. */
  readonly accountKey: string;
  readonly streams: readonly StreamSpec[];
  /** Empty: every domain the discovery finds. */
  readonly configuredDomains: readonly string[];
  readonly discovery: Discovery;
  /** Calls per second allowed for a rate key. */
  rateLimit(rateKey: string): number;
  buildCall(call: CallSpec, ctx: SignContext): HttpRequest;
  parseCall(call: CallSpec, res: HttpResponse): CallOutcome;
}
