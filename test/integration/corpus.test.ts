/**
 * The bad-input corpus (issue 8, "Proof"): every case of test/corpus/cases driven through the built
 * CLI against the emulators and a real InfluxDB 1.x (or the fake InfluxDB for InfluxDB's answers).
 * Cases run concurrently in a pool (CORPUS_CONCURRENCY, default 4: on 2 cores more makes the deadlines of the stall cases race the load); each test awaits its own.
 * CORPUS_FILTER=<regex> runs only the matching cases. Each case is also searched for leaked secrets.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ALL_CASES, withDefects } from '../corpus/cases/index.js';
import { checkCase } from '../corpus/check.js';
import { leaks, runCase, type CaseRun } from '../corpus/harness.js';
import { CLI } from '../support/cli.js';
import type { Case } from '../corpus/types.js';

const filter = process.env.CORPUS_FILTER;
const cases = withDefects(ALL_CASES).filter((c) => !filter || new RegExp(filter).test(c.name));
const runs = new Map<string, Promise<CaseRun>>();

function pool(list: Case[], env: { influxUrl: string; nowSec: number }, n: number): void {
  let next = 0;
  const gates = new Map<string, { resolve: (r: CaseRun) => void; reject: (e: unknown) => void }>();
  for (const c of list) runs.set(c.name, new Promise<CaseRun>((resolve, reject) => gates.set(c.name, { resolve, reject })));
  const worker = async () => {
    while (next < list.length) {
      const c = list[next++]!;
      const g = gates.get(c.name)!;
      await runCase(c, env).then(g.resolve, g.reject);
    }
  };
  for (let i = 0; i < n; i++) void worker();
}

describe('bad-input corpus', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    pool(cases, { influxUrl: inject('influxV1Url'), nowSec: Math.floor(Date.now() / 1000) }, Number(process.env.CORPUS_CONCURRENCY ?? 4));
  });

  for (const c of cases) {
    const t = c.expectFailure ? it.fails : it;
    t(`[${c.cls}] ${c.name}${c.expectFailure ? ` (collector defect: ${c.expectFailure})` : ''}`, async () => {
      checkCase(c, await runs.get(c.name)!);
    }, 600_000);
    // Every case runs with distinctive secrets (harness makeSecrets): nothing it showed or wrote may
    // hold one, in any encoding — the secrets test of issue 8, on the same runs.
    it(`[secrets] ${c.name}`, async () => {
      const run = await runs.get(c.name)!;
      expect(run.texts.length).toBeGreaterThan(1);
      expect(leaks(run)).toEqual([]);
    }, 600_000);
  }
});
