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
};

export function withDefects(cases: Case[]): Case[] {
  return cases.map((c) => (KNOWN_DEFECTS[c.name] ? { ...c, expectFailure: KNOWN_DEFECTS[c.name] } : c));
}
