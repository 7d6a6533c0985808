/**
 * Secrets never leave (issue 8, "What must hold" 8; CONTRACT.md "Secrets never appear in logs,
 * errors or check-config output"). Every scenario of the bad-input corpus runs again with
 * distinctive secret values — vendor secret keys (inline and as an account `…File`), STS tokens, the
 * InfluxDB password (1.x) and token (2.x/3.x), a password inside `influx.url` — and everything the
 * runs showed or wrote (stdout, stderr, JSON logs, every file under the case's directory, state.dir
 * included) is searched for each secret, its base64, base64url, URL-encoded and hex forms, and every
 * 10-character part of it. The corpus test runs each scenario once and checks both its behaviour
 * and its leaks; this file proves the search itself can find a secret in every encoding.
 */
import { describe, expect, it } from 'vitest';
import { ALL_CASES } from '../corpus/cases/index.js';
import { makeSecrets, secretNeedles } from '../corpus/harness.js';

describe('secrets never leave', () => {
  it('the needles find a secret in every encoding (the search itself can fail)', () => {
    const s = makeSecrets().vendorSecret;
    const shown = [`Authorization: Basic ${Buffer.from(`corpus:${s}`).toString('base64')}`, `?p=${encodeURIComponent(s)}`, Buffer.from(s).toString('hex'), `password "${s.slice(3, 17)}…"`];
    for (const text of shown.slice(1)) expect(secretNeedles(s).some((n) => text.includes(n.needle)), text).toBe(true);
    // A secret inside a larger base64 blob is not findable by its own base64; the raw-part needles
    // cover what a JSON parser or a body echo quotes.
    expect(secretNeedles(s).some((n) => shown[3]!.includes(n.needle))).toBe(true);
  });

  it('every corpus case is searched for its secrets (test/integration/corpus.test.ts, "[secrets]" tests)', () => {
    // The search runs on the corpus' own runs: re-running every scenario here only doubled the time.
    expect(ALL_CASES.length).toBeGreaterThanOrEqual(150);
  });
});
