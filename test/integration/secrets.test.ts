/**
 * Secrets never leave (issue 8, "What must hold" 8; CONTRACT.md "Secrets never appear in logs,
 * errors or check-config output"). Every scenario of the bad-input corpus runs again with
 * distinctive secret values — vendor secret keys (inline and as an account `…File`), STS tokens, the
 * InfluxDB password (1.x) and token (2.x/3.x), a password inside `influx.url` — and everything the
 * runs showed or wrote (stdout, stderr, JSON logs, every file under the case's directory, state.dir
 * included) is searched for each secret, its base64, base64url, URL-encoded and hex forms, and every
 * 10-character part of it. Behaviour is the corpus test's business; this one only hunts leaks.
 * SECRETS_FILTER=<regex> runs only the matching scenarios.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_CASES } from '../corpus/cases/index.js';
import { leaks, makeSecrets, runCase, secretNeedles, type CaseRun } from '../corpus/harness.js';
import type { Case } from '../corpus/types.js';

const filter = process.env.SECRETS_FILTER;
const cases = ALL_CASES.filter((c) => !filter || new RegExp(filter).test(c.name));
const runs = new Map<string, Promise<CaseRun>>();

describe('secrets never leave', () => {
  it('the needles find a secret in every encoding (the search itself can fail)', () => {
    const s = makeSecrets().vendorSecret;
    const shown = [`Authorization: Basic ${Buffer.from(`corpus:${s}`).toString('base64')}`, `?p=${encodeURIComponent(s)}`, Buffer.from(s).toString('hex'), `password "${s.slice(3, 17)}…"`];
    for (const text of shown.slice(1)) expect(secretNeedles(s).some((n) => text.includes(n.needle)), text).toBe(true);
    // A secret inside a larger base64 blob is not findable by its own base64; the raw-part needles
    // cover what a JSON parser or a body echo quotes.
    expect(secretNeedles(s).some((n) => shown[3]!.includes(n.needle))).toBe(true);
  });

  beforeAll(() => {
    const env = { influxUrl: inject('influxV1Url'), nowSec: Math.floor(Date.now() / 1000) };
    let next = 0;
    const gates = new Map<string, (p: Promise<CaseRun>) => void>();
    for (const c of cases) runs.set(c.name, new Promise<CaseRun>((resolve) => gates.set(c.name, resolve as (p: Promise<CaseRun>) => void)));
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c: Case = cases[next++]!;
        const p = runCase(c, env, makeSecrets());
        gates.get(c.name)!(p);
        await p.catch(() => undefined);
      }
    };
    for (let i = 0; i < Number(process.env.CORPUS_CONCURRENCY ?? 8); i++) void worker();
  });

  for (const c of cases) {
    it(`[${c.cls}] ${c.name}`, async () => {
      const run = await runs.get(c.name)!;
      expect(run.texts.length).toBeGreaterThan(1);
      expect(leaks(run)).toEqual([]);
    }, 600_000);
  }
});
