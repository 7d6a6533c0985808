/**
 * The bad-input vocabulary of the emulators (issue 8): `emu.inject({ api?, domain?, count?, fault })`
 * makes the next `count` (default 1) answers of `api` (default: any data API), for calls that carry
 * `domain` (default: any), be broken in the named way. Each emulator applies the names that exist
 * for its vendor's answer shape and throws on one that does not (e.g. `foreign-domain` for Huawei
 * Live, whose rows carry no domain).
 */
import type { EmuResponse } from './common.js';

export const FAULTS = [
  /** The data container (Data, data_list, …) left out. */
  'missing-container',
  /** The data container is null. */
  'null-container',
  /** HTTP 200 with the vendor's error object. */
  'error-200',
  /** HTTP 200, a body that is not JSON. */
  'non-json',
  /** HTTP 500 with an HTML page. */
  'html-500',
  /** A row labelled with a domain that was not asked for. */
  'foreign-domain',
  /** The answer says it is at another interval than asked. */
  'other-interval',
  /** One timestamp moved off the bucket grid (07:22:30 in 5-minute data). */
  'off-grid',
  /** One timestamp without the vendor's documented zone. */
  'zoneless-time',
  /** One timestamp that is not a time at all. */
  'unparseable-time',
  'value-null',
  'value-empty',
  'value-abc',
  'value-NaN',
  'value-Infinity',
  'value-negative',
  /** 1.5 where the vendor counts. */
  'value-fraction',
  /** The body cut in the middle. */
  'truncated',
  /** Headers, half a body, and then nothing, forever. */
  'stall',
  /** A valid answer padded past any sane size (64 MiB). */
  'oversized',
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface FaultSpec {
  readonly fault: FaultName;
  readonly api?: string;
  readonly domain?: string;
  readonly count?: number;
}

/** The raw value each `value-*` fault puts into a bucket. */
export const FAULT_VALUES: Readonly<Partial<Record<FaultName, unknown>>> = {
  'value-null': null,
  'value-empty': '',
  'value-abc': 'abc',
  'value-NaN': 'NaN',
  'value-Infinity': 'Infinity',
  'value-negative': -5,
  'value-fraction': 1.5,
};

/** Pending faults of one emulator; `take` consumes the first that matches a call. */
export class FaultQueue {
  readonly #pending: { spec: FaultSpec; remaining: number }[] = [];

  add(spec: FaultSpec): void {
    this.#pending.push({ spec, remaining: spec.count ?? 1 });
  }

  take(api: string, domains: readonly string[]): FaultName | undefined {
    const f = this.#pending.find((p) => p.remaining > 0 && (p.spec.api === undefined || p.spec.api === api) && (p.spec.domain === undefined || domains.includes(p.spec.domain)));
    if (!f) return undefined;
    f.remaining--;
    return f.spec.fault;
  }

  clear(): void {
    this.#pending.length = 0;
  }
}

/** The faults that break the transport rather than the answer's content: the same for every vendor. */
export function transportFault(fault: FaultName, ok: EmuResponse): EmuResponse | undefined {
  const text = typeof ok.body === 'string' ? ok.body : JSON.stringify(ok.body);
  const json = { ...(ok.headers ?? {}), 'content-type': 'application/json' };
  switch (fault) {
    case 'non-json':
      return { status: 200, headers: json, body: 'upstream said: OK' };
    case 'html-500':
      return { status: 500, headers: { ...(ok.headers ?? {}), 'content-type': 'text/html' }, body: '<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<h1>500 Internal Server Error</h1>\n</body>\n</html>\n' };
    case 'truncated':
      return { status: 200, headers: json, body: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
    case 'stall':
      return { status: 200, headers: json, body: text, stall: true };
    case 'oversized':
      return { status: 200, headers: json, body: `${text.slice(0, -1)}, "padding": "${'x'.repeat(64 * 1024 * 1024)}"}` };
    default:
      return undefined;
  }
}
