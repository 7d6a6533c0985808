/**
 * Line protocol for the contract's schema (CONTRACT.md "What is written"). Tags are written in key
 * order (account, area, domain, interval, metric, vendor), the order InfluxDB sorts them into, so the
 * server does not re-sort every line.
 */
import { FIELD_VALUE, TAG_ACCOUNT, TAG_AREA, TAG_DOMAIN, TAG_INTERVAL, TAG_METRIC, TAG_VENDOR, type Point, type Sample } from '../kernel/schema.js';
import type { EncodedPoints, PointOwner } from '../ports.js';

export function escapeTag(v: string): string {
  return /[,= \\\n]/.test(v) ? v.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : v;
}

export function escapeMeasurement(v: string): string {
  return /[, \\\n]/.test(v) ? v.replace(/[\\, ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : v;
}

/**
 * The field is always a float: line protocol reads a bare number (`value=1`, `value=1e+21`) as a
 * float and needs an `i` suffix for an integer, so String(v) is the float literal. (Values are
 * finite: the core never hands over an unusable one.)
 */
export function formatFloat(v: number): string {
  return String(v);
}

/**
 * Points of one owner, encoded as soon as a call's samples are known: the request's bytes, nothing
 * else kept. Bytes rather than a string: a write then hands the parts to the socket as they are,
 * instead of joining them into one string per request and converting that to UTF-8 again (the
 * write path against a raw POST, issue 12; bench/write-path.ts).
 */
export class EncodedLines implements EncodedPoints {
  /** Line protocol in UTF-8, one line per point, joined by `\n`, no trailing newline. */
  readonly bytes: Buffer;

  constructor(
    text: string,
    readonly count: number,
  ) {
    // Not Buffer.from: below 4 KB it slices node's shared 8 KB pool, and a pool slab stays alive
    // while any part cut from it waits for its write (parts of twenty streams interleave in `run`).
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
    bytes.write(text, 0, 'utf8');
    this.bytes = bytes;
  }

  /** The lines as text: for refusals (naming the points) and tests; writes use `bytes`. */
  get text(): string {
    return this.bytes.toString('utf8');
  }
}

/**
 * Encodes samples of one owner (vendor, account, area). A pass yields the buckets of a series
 * together, so the series part (measurement and tags) is rebuilt only when domain, metric or
 * interval change from the previous sample. No cache of every series seen: one of ~90,000 keys held
 * 46 MB in `run` (issue 12).
 */
export class LineEncoder {
  readonly #measurement: string;

  constructor(measurement: string) {
    this.#measurement = escapeMeasurement(measurement);
  }

  encode(owner: PointOwner, samples: readonly Sample[]): EncodedLines {
    const n = samples.length;
    if (n === 0) return new EncodedLines('', 0);
    const head = `${this.#measurement},${TAG_ACCOUNT}=${escapeTag(owner.account)}${owner.area === undefined ? '' : `,${TAG_AREA}=${escapeTag(owner.area)}`},${TAG_DOMAIN}=`;
    const vendor = `,${TAG_VENDOR}=${escapeTag(owner.vendor)} ${FIELD_VALUE}=`;
    // The hot loop of the write path: one string per line, joined once (bench/write-path.ts).
    const lines = new Array<string>(n);
    let domain: string | undefined;
    let metric: string | undefined;
    let interval = -1;
    let prefix = '';
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      if (s.domain !== domain || s.metric !== metric || s.intervalSec !== interval) {
        domain = s.domain;
        metric = s.metric;
        interval = s.intervalSec;
        prefix = `${head}${escapeTag(domain)},${TAG_INTERVAL}=${interval},${TAG_METRIC}=${escapeTag(metric)}${vendor}`;
      }
      lines[i] = prefix + formatFloat(s.value) + ' ' + s.tsSec;
    }
    return new EncodedLines(lines.join('\n'), n);
  }
}

/** One point's line (tests, messages). */
export function toLine(measurement: string, p: Point): string {
  return new LineEncoder(measurement).encode(p, [p]).text;
}

function unescape(v: string): string {
  return v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : v;
}

/** Splits on `sep` where it is not escaped by a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === sep) {
      out.push(s.slice(at, i));
      at = i + 1;
    }
  }
  out.push(s.slice(at));
  return out;
}

/**
 * The point a line of this encoder stands for (the sink names refused points by it), or undefined
 * for a line this encoder did not write.
 */
export function decodeLine(line: string): Point | undefined {
  const parts = splitUnescaped(line, ' ');
  if (parts.length !== 3) return undefined;
  const [series, field, ts] = parts as [string, string, string];
  const tags = new Map<string, string>();
  for (const kv of splitUnescaped(series, ',').slice(1)) {
    const eq = splitUnescaped(kv, '=');
    if (eq.length !== 2) return undefined;
    tags.set(eq[0]!, unescape(eq[1]!));
  }
  const vendor = tags.get(TAG_VENDOR);
  const account = tags.get(TAG_ACCOUNT);
  const domain = tags.get(TAG_DOMAIN);
  const metric = tags.get(TAG_METRIC);
  const area = tags.get(TAG_AREA);
  const intervalSec = Number(tags.get(TAG_INTERVAL));
  const tsSec = Number(ts);
  const value = field.startsWith(`${FIELD_VALUE}=`) ? Number(field.slice(FIELD_VALUE.length + 1)) : NaN;
  if (vendor === undefined || account === undefined || domain === undefined || metric === undefined || !Number.isInteger(intervalSec) || !Number.isInteger(tsSec)) return undefined;
  return { vendor, account, domain, metric, intervalSec, tsSec, value, ...(area === undefined ? {} : { area }) };
}
