/**
 * InfluxDB's answers, played by test/support/fake-influx.ts in the words of 1.x, 2.x and 3.x:
 * refusals are failures (exit 1, one trimmed line with the server's reason, the refused buckets
 * owed and written by the next pass), never success; bodies are one line and never echo credentials.
 * Issue 8, "What must hold" 5 and 8.
 */
import type { FakeInfluxMode, InfluxFlavor } from '../../support/fake-influx.js';
import type { Case } from '../types.js';

const FLAVORS: InfluxFlavor[] = ['1.x', '2.x', '3.x'];

interface Shape {
  readonly mode: FakeInfluxMode;
  readonly title: string;
  readonly line: RegExp;
  readonly lines?: number;
  readonly influx: 'hole' | 'none';
  /** Refused points are owed (later passes write them); otherwise the window is not committed and the command is re-run. */
  readonly owed: boolean;
  readonly refuseFirstBucket?: boolean;
}

const SHAPES: Shape[] = [
  // One line per refused point (CONTRACT.md: "A point that InfluxDB refuses is reported with its reason"): 2 metrics x buckets.
  { mode: 'partial', title: 'partial write refusing one bucket', line: /^aliyun DescribeDomainSrcTrafficData a\.example\.com: InfluxDB refused \w+ at \S+: HTTP 400: .*(invalid|parse|column).*account main/, lines: 2, influx: 'hole', owed: true, refuseFirstBucket: true },
  { mode: 'conflict-all', title: 'every point refused (field type conflict)', line: /^aliyun DescribeDomainSrcTrafficData a\.example\.com: InfluxDB refused \w+ at \S+: HTTP 4(00|22): .*(conflict|column type).*account main/, lines: 6, influx: 'none', owed: true },
  { mode: 'unparseable-400', title: '400 with a body nobody can parse', line: /InfluxDB refused|^influx.*400/, lines: 6, influx: 'none', owed: true },
  { mode: '413', title: '413 on every request', line: /^aliyun DescribeDomainSrcTrafficData a\.example\.com: InfluxDB refused \w+ at \S+: HTTP 413: the point alone is too large/, lines: 6, influx: 'none', owed: true },
  { mode: '500-html', title: '500 with an HTML page', line: /^influx.*500/i, influx: 'none', owed: false },
  { mode: '401-echo', title: '401 whose body echoes Authorization', line: /^influx.*(401|unauthori[sz]ed|credential)/i, influx: 'none', owed: false },
  { mode: '404-db', title: '404 database/bucket not found', line: /^influx.*(404|not found)/i, influx: 'none', owed: false },
  { mode: 'stall', title: 'headers, then the body never ends', line: /^influx.*(deadline|timed? ?out|timeout)/i, influx: 'none', owed: false },
  { mode: '503', title: '503 on every request', line: /^influx.*503/i, influx: 'none', owed: false },
  { mode: 'reset', title: 'connection reset on every request', line: /^influx.*(reset|socket|ECONNRESET|unreachable|closed)/i, influx: 'none', owed: false },
];

export const influxCases: Case[] = [];
for (const flavor of FLAVORS) {
  influxCases.push({ name: `influx ${flavor} healthy (control)`, cls: 'influx', fakeInflux: { flavor, mode: 'ok' }, expect: { exit: 0, influx: 'complete', owed: false } });
  for (const s of SHAPES) {
    influxCases.push({
      name: `influx ${flavor} ${s.title}`,
      cls: 'influx',
      fakeInflux: { flavor, mode: s.mode, ...(s.refuseFirstBucket ? { refuseFirstBucket: true } : {}) },
      expect: { exit: 1, line: s.line, ...(s.lines ? { lines: s.lines } : {}), influx: s.influx, ...(s.owed ? { owed: true } : { followUpSame: true }), followUp: true },
    });
  }
}
