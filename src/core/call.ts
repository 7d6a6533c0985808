/**
 * One vendor exchange: paced per account and rate key, signed afresh on every attempt (signatures
 * embed time), bounded by a deadline over the whole exchange, retried by error kind only.
 */
import type { Logger } from 'pino';
import { VENDOR_ERROR_POLICY, describeError, type VendorError } from '../kernel/errors.js';
import type { HttpRequest, HttpResponse } from '../kernel/http.js';
import { backoffDelay, type BackoffPolicy } from '../kernel/retry.js';
import type { CallSpec, Credentials, VendorAdapter } from '../kernel/vendor.js';
import { checkSamples, type Unusable } from './validate.js';
import type { Sample } from '../kernel/schema.js';
import type { Clock, CredentialProvider, HttpClient, Telemetry } from '../ports.js';
import type { PacerRegistry } from './pacer.js';

export interface CallDeps {
  readonly clock: Clock;
  readonly http: HttpClient;
  readonly pacers: PacerRegistry;
  readonly credentials: CredentialProvider;
  readonly nonce: () => string;
  readonly random: () => number;
  readonly telemetry?: Telemetry;
  readonly logger: Logger;
}

export interface CallSettings {
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly retry: BackoffPolicy;
}

export const STOPPED: VendorError = { kind: 'unavailable', vendorCode: 'Stopped', message: 'stopped' };

export async function exchange<T extends { ok: true } | { ok: false; error: VendorError }>(
  deps: CallDeps,
  settings: CallSettings,
  adapter: VendorAdapter,
  api: string,
  rateKey: string,
  counter: { retries: number; calls: number },
  signal: AbortSignal | undefined,
  build: (ctx: { nowMs: number; nonce: string; credentials: Credentials }) => HttpRequest,
  parse: (res: HttpResponse) => T,
): Promise<T | { ok: false; error: VendorError }> {
  const pacer = deps.pacers.get(`${adapter.module}:${adapter.account}:${rateKey}`, adapter.rateLimit(rateKey));
  let reloaded = false;
  let rebuilt = false;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return { ok: false, error: STOPPED };
    let started: () => void;
    try {
      started = await pacer.reserve(signal);
    } catch {
      return { ok: false, error: STOPPED };
    }
    let req: HttpRequest;
    try {
      req = build({ nowMs: deps.clock.now(), nonce: deps.nonce(), credentials: deps.credentials.get(adapter.module, adapter.account) });
    } catch (err) {
      started();
      throw err;
    }
    counter.calls++;
    let out: T | { ok: false; error: VendorError };
    try {
      // The pacer counts the call from when its request is written, which a stall can delay past the slot.
      const res = await deps.http.send(req, { deadlineMs: settings.requestTimeoutMs, maxBodyBytes: settings.maxBodyBytes, onSent: started, ...(signal ? { signal } : {}) });
      started();
      out = parse(res);
    } catch (err) {
      started();
      if (signal?.aborted) return { ok: false, error: STOPPED };
      out = { ok: false, error: networkError(err, settings.requestTimeoutMs) };
    }
    if (out.ok) {
      deps.telemetry?.onCall?.(adapter.vendor, adapter.account, api, 'ok');
      return out;
    }
    const e = out.error;
    const policy = VENDOR_ERROR_POLICY[e.kind];
    let retry = false;
    if (policy.retry === 'backoff') retry = attempt + 1 < settings.retry.maxAttempts && !signal?.aborted;
    else if (policy.retry === 'reload-credentials' && !reloaded) {
      deps.credentials.reload(adapter.module, adapter.account);
      reloaded = retry = true;
    } else if (policy.retry === 'rebuild' && !rebuilt) rebuilt = retry = true;
    deps.telemetry?.onCall?.(adapter.vendor, adapter.account, api, e.kind === 'throttled' ? 'throttled' : retry ? 'retried' : 'failed');
    if (!retry) return out;
    counter.retries++;
    const delay = policy.retry === 'backoff' ? backoffDelay(settings.retry, attempt, deps.random, e.retryAfterMs) : 0;
    if (e.kind === 'throttled') pacer.pause(delay);
    deps.logger.debug({ kind: e.kind, vendorCode: e.vendorCode, attempt, delayMs: Math.round(delay) }, `${api}: retrying after ${e.vendorCode}`);
    if (delay > 0) {
      try {
        await deps.clock.sleep(delay, signal);
      } catch {
        return { ok: false, error: STOPPED };
      }
    }
  }
}

/** A failure below HTTP (refused connection, deadline, oversized body) as a vendor error kind. */
export function networkError(err: unknown, deadlineMs: number): VendorError {
  const code = (err as { code?: string })?.code;
  if (code === 'Timeout' || code === 'ETIMEDOUT' || code === 'ECONNABORTED') return { kind: 'timeout', vendorCode: 'Timeout', message: `no complete answer within ${deadlineMs} ms` };
  if (code === 'BodyTooLarge') return { kind: 'malformed', vendorCode: 'BodyTooLarge', message: describeError(err) };
  return { kind: 'unavailable', vendorCode: code ?? 'NetworkError', message: describeError(err) };
}

/** `aliyun DescribeDomainSrcTrafficData a.example.com: SignatureDoesNotMatch … (RequestId …, account default); check the credentials` */
export function vendorErrorLine(vendor: string, api: string, account: string, domains: readonly string[], e: VendorError): string {
  const where = domains.length <= 3 ? domains.join(',') : `${domains.length} domains`;
  const ids = [e.requestId ? `RequestId ${e.requestId}` : '', `account ${account}`].filter(Boolean).join(', ');
  return `${vendor} ${api} ${where}: ${e.vendorCode}${e.message ? ` ${e.message}` : ''} (${ids})${VENDOR_ERROR_POLICY[e.kind].hint}`;
}

/** One data call: exchanged, parsed by the stream, and checked against what was asked (an answer that does not prove itself is malformed). */
export function fetchChecked(
  deps: CallDeps,
  settings: CallSettings,
  adapter: VendorAdapter,
  call: CallSpec,
  counter: { retries: number; calls: number },
  signal: AbortSignal | undefined,
): Promise<{ ok: true; checked: { usable: Sample[]; unusable: Unusable[] } } | { ok: false; error: VendorError }> {
  const { stream } = call;
  return exchange(deps, settings, adapter, stream.api, stream.rateKey, counter, signal, (ctx) => stream.buildCall(call, ctx), (res) => {
    const parsed = stream.parseCall(call, res);
    if (!parsed.ok) return parsed;
    const checked = checkSamples(call, parsed.samples);
    if (!checked.ok) return { ok: false as const, error: { kind: 'malformed' as const, vendorCode: 'Malformed', message: checked.message } };
    return { ok: true as const, checked };
  });
}
