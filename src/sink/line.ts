/**
 * Line protocol for the contract's schema (CONTRACT.md "What is written"). Tags are written in key
 * order (account, area, domain, interval, metric, vendor), the order InfluxDB sorts them into, so the
 * server does not re-sort every line.
 */
import { FIELD_VALUE, TAG_ACCOUNT, TAG_AREA, TAG_DOMAIN, TAG_INTERVAL, TAG_METRIC, TAG_VENDOR, type Point } from '../kernel/schema.js';

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

function seriesPrefix(measurement: string, p: Point): string {
  const area = p.area === undefined ? '' : `,${TAG_AREA}=${escapeTag(p.area)}`;
  return `${measurement},${TAG_ACCOUNT}=${escapeTag(p.account)}${area},${TAG_DOMAIN}=${escapeTag(p.domain)},${TAG_INTERVAL}=${p.intervalSec},${TAG_METRIC}=${escapeTag(p.metric)},${TAG_VENDOR}=${escapeTag(p.vendor)} ${FIELD_VALUE}=`;
}

/**
 * Encodes points, building the series part (measurement and tags) once per run of points of the
 * same series: a pass yields the buckets of a series together, so the previous point's series is
 * the usual hit. No cache of every series seen: one of ~90,000 keys held 46 MB in `run` (issue 12),
 * and bench/write-path.ts shows it bought nothing once the last series is remembered.
 */
export class LineEncoder {
  readonly #measurement: string;
  #last: Point | undefined;
  #lastPrefix = '';

  constructor(measurement: string) {
    this.#measurement = escapeMeasurement(measurement);
  }

  #prefix(p: Point): string {
    const l = this.#last;
    if (
      l !== undefined &&
      l.domain === p.domain &&
      l.metric === p.metric &&
      l.intervalSec === p.intervalSec &&
      l.account === p.account &&
      l.vendor === p.vendor &&
      l.area === p.area
    ) {
      return this.#lastPrefix;
    }
    // Flattened once (the template's rope would otherwise keep its pieces alive).
    const prefix = seriesPrefix(this.#measurement, p);
    this.#last = p;
    this.#lastPrefix = prefix;
    return prefix;
  }

  line(p: Point): string {
    return `${this.#prefix(p)}${formatFloat(p.value)} ${p.tsSec}`;
  }

  /** One request body: points [from, to), one line each, no trailing newline. */
  body(points: readonly Point[], from: number, to: number): string {
    // The hot loop of the write path: locals rather than fields, lines joined once rather than one
    // growing string (bench/write-path.ts).
    const lines = new Array<string>(to - from);
    let l = this.#last;
    let prefix = this.#lastPrefix;
    for (let i = from; i < to; i++) {
      const p = points[i]!;
      if (l === undefined || l.domain !== p.domain || l.metric !== p.metric || l.intervalSec !== p.intervalSec || l.account !== p.account || l.vendor !== p.vendor || l.area !== p.area) {
        prefix = seriesPrefix(this.#measurement, p);
        l = p;
      }
      lines[i - from] = prefix + formatFloat(p.value) + ' ' + p.tsSec;
    }
    this.#last = l;
    this.#lastPrefix = prefix;
    return lines.join('\n');
  }

  /** Forgets the remembered series (it holds the last point alive). */
  reset(): void {
    this.#last = undefined;
    this.#lastPrefix = '';
  }
}

export function toLine(measurement: string, p: Point): string {
  return new LineEncoder(measurement).line(p);
}
