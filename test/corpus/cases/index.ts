import { cliCases } from './cli.js';
import { configCases } from './config.js';
import { influxCases } from './influx.js';
import { stateCases } from './state.js';
import { vendorCases } from './vendor.js';
import type { Case } from '../types.js';

export const ALL_CASES: Case[] = [...vendorCases, ...influxCases, ...configCases, ...cliCases, ...stateCases];

/** Known collector defects: case name → what is wrong (the case runs as `it.fails`). Filled from the corpus runs. */
export const KNOWN_DEFECTS: Record<string, string> = {
  'aliyun value-empty: every answer': 'the raw value "" is shown as nothing ("traffic_bytes:  is not a finite number"); CONTRACT.md: an unusable bucket is reported with its raw value',
  'huawei error-200: once, then good': 'an error object in HTTP 200 ({error_code LIVE.100011009 Internal error}) is not retried: one bad answer fails the window (exit 1) although the retry would succeed; issue 8 #1: retried with backoff like a server error',
  'config accounts is an object': 'prints a JavaScript message ("Cannot read properties of undefined (reading \'main\')") instead of naming vendors.aliyun.accounts; issue 8 #7',
  'config measurement ""': 'an empty influx.measurement is accepted and every point is then refused by InfluxDB (exit 1, "missing measurement"); issue 8 #7: configuration is validated (exit 2 before any network call)',
};

export function withDefects(cases: Case[]): Case[] {
  return cases.map((c) => (KNOWN_DEFECTS[c.name] ? { ...c, expectFailure: KNOWN_DEFECTS[c.name] } : c));
}
