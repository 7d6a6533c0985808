/** What every case must show, from its expectations (types.ts) and the run (harness.ts). */
import { expect } from 'vitest';
import { DOMAINS, inventedPoints, leaks, missingBuckets, owedIn, type CaseRun } from './harness.js';
import type { Case } from './types.js';

export function checkCase(c: Case, run: CaseRun): void {
  const e = c.expect;
  const ctx = `${c.name}\nexit ${run.first.code}\nstderr:\n${run.first.stderr.slice(0, 3000)}\nstdout:\n${run.first.stdout.slice(0, 1500)}`;
  // Never a stack trace or a JavaScript message.
  expect(run.first.stderr, ctx).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
  expect(run.first.stderr, ctx).not.toMatch(/\b(TypeError|RangeError|SyntaxError|ReferenceError): |Invalid time value|Cannot read propert|undefined is not/);
  expect(run.first.code, ctx).toBe(e.exit);
  if (e.line) {
    if (e.lines === -1) expect(run.userLines.length, ctx).toBeGreaterThan(0);
    else expect(run.userLines.length, ctx).toBe(e.lines ?? 1);
    expect((e.lines ?? 1) > 1 ? run.userLines.every((l) => e.line!.test(l)) : run.userLines.some((l) => e.line!.test(l)), ctx).toBe(true);
  } else {
    expect(run.userLines, ctx).toEqual([]);
  }
  if (e.noNetwork) {
    expect(run.calls, `${ctx}\n(vendor calls made)`).toBe(0);
    expect(run.influxRequests, `${ctx}\n(InfluxDB requests made)`).toBe(0);
  }
  // Nothing invented: no other domain, no off-grid time, no unusable value, anywhere.
  expect(inventedPoints(run, run.allPoints), ctx).toEqual([]);
  const missing = missingBuckets(run, run.points);
  const expected = run.ctx.domains.length * 3;
  switch (e.influx) {
    case 'complete':
      expect(missing, ctx).toEqual([]);
      break;
    case 'hole':
      expect(missing.length, ctx).toBeGreaterThan(0);
      expect(missing.length, ctx).toBeLessThan(expected);
      break;
    case 'none':
      expect(run.points.filter((p) => p.metric === run.ctx.metric), ctx).toEqual([]);
      break;
    case 'partial-account': {
      const [d1, d2] = DOMAINS[run.ctx.vendor];
      expect(missingBuckets(run, run.points, [d1]), ctx).toEqual([]);
      expect(run.points.filter((p) => p.domain === d2), ctx).toEqual([]);
      break;
    }
  }
  if (e.owed !== undefined) {
    const n = owedIn(run.statusDoc, run.ctx.fromSec, run.ctx.toSec);
    if (e.owed) expect(n, `${ctx}\nstatus (exit ${run.status?.code}):\n${run.status?.stdout}${run.status?.stderr}`).toBeGreaterThan(0);
    else expect(n, `${ctx}\nstatus (exit ${run.status?.code}):\n${run.status?.stdout}${run.status?.stderr}`).toBe(0);
  }
  if (run.status && (e.owed !== undefined || e.statusExit !== undefined)) expect(run.status.code, `${ctx}\nstatus:\n${run.status.stdout}${run.status.stderr}`).toBe(e.statusExit ?? 0);
  if (e.followUp) {
    const f = run.followUp!;
    const fctx = `${ctx}\n--- follow-up exit ${f.code}\n${f.stderr.slice(0, 2000)}\nstatus:\n${run.followUpStatus?.stdout}${run.followUpStatus?.stderr}`;
    expect(f.code, fctx).toBe(0);
    expect(run.followUpLines, fctx).toEqual([]);
    if (!e.followUpPartial) expect(missingBuckets(run, run.followUpPoints!), fctx).toEqual([]);
    expect(owedIn(run.followUpStatusDoc), fctx).toBe(0);
    expect(run.followUpStatus?.code, fctx).toBe(0);
  }
  expect(leaks(run), ctx).toEqual([]);
}
