/**
 * The checkpoint rule, pure. A checkpoint moves only over windows that were done in order (every
 * bucket written, or owed and recorded), never past a bucket that was neither written nor owed nor
 * in the gap ledger; owed buckets are given up on into the ledger only once the vendor no longer
 * revises them and collect.giveUpAfterMs has passed since then (and since they were first owed).
 */
import type { DomainState, Owed, OwedWindow } from '../ports.js';
import { alignUp, type Window, type WindowRules } from '../kernel/time.js';
import type { DomainPlan, PassMode } from './plan.js';
import { NO_ENTRIES, NO_ITEMS, TailBuilder, type TailLayouts } from '../kernel/tail.js';
import { tailKeyTs } from './validate.js';
import { oldestServed } from './window.js';

/** What a pass did for one domain so far. Built up as its windows are written; pure data. */
export interface DomainProgress {
  /** Main windows done in order from the first (written, or failed with their buckets owed). */
  doneInOrder: number;
  /** A main window could not be done (domain/account failure, stop, sink failure): the prefix ends. */
  blocked: boolean;
  /** Values written (or found unchanged) in this pass for buckets in the provisional tail. */
  readonly written: TailBuilder;
  /** Windows fetched successfully in this pass (they clear owed entries inside them). */
  readonly fetched: Window[];
  /** Buckets that stay owed, with why. */
  readonly owed: Map<string, string>;
  /** Windows whose call failed for good, with why. */
  readonly failed: { window: Window; reason: string }[];
  lastError?: string;
}

export function newProgress(): DomainProgress {
  return { doneInOrder: 0, blocked: false, written: new TailBuilder(), fetched: [], owed: new Map(), failed: [] };
}

export interface GapFinding {
  readonly metric: string;
  readonly intervalSec: number;
  readonly fromSec: number;
  readonly toSec: number;
  readonly reason: string;
}

export interface Transition {
  /** undefined: the domain has no state yet and nothing to keep. */
  readonly state: DomainState | undefined;
  readonly gaps: readonly GapFinding[];
}

const inWindow = (w: Window, g: number, ts: number) => w.granularitySec === g && ts >= w.fromSec && ts < w.toSec;
/** Whether the windows fetched at `g` together cover [from, to): only then is an owed window paid. */
function covered(fetched: readonly Window[], g: number, from: number, to: number): boolean {
  let at = from;
  for (const w of [...fetched].filter((x) => x.granularitySec === g).sort((a, b) => a.fromSec - b.fromSec)) {
    if (w.fromSec > at) break;
    at = Math.max(at, w.toSec);
    if (at >= to) return true;
  }
  return at >= to;
}

export function nextDomainState(input: {
  prev: DomainState | undefined;
  plan: DomainPlan;
  progress: DomainProgress;
  mode: PassMode;
  nowSec: number;
  horizonSec: number;
  rules: WindowRules;
  /** Set on the last transition of a pass: owed buckets past their time go into the ledger. */
  giveUpAfterSec?: number;
  /** Layouts shared by the tails built in one pass. */
  layouts?: TailLayouts;
}): Transition {
  const { prev, plan, progress: pr, mode, nowSec, horizonSec, rules } = input;
  let finalEnd = prev?.finalEndSec;
  const done = Math.min(pr.doneInOrder, plan.windows.length);
  if (mode.kind === 'collect') {
    if (done > 0) {
      const reached = plan.windows[done - 1]!.toSec;
      // Never behind where this pass started: what lies before it was skipped on purpose (initial
      // look-back, recovered from InfluxDB) or is no longer served; what is not final stays in the tail.
      finalEnd = Math.max(prev?.finalEndSec ?? -Infinity, plan.plannedFromSec!, Math.min(reached, horizonSec));
    }
  } else if (done === plan.windows.length && done > 0 && (prev === undefined || mode.fromSec <= prev.finalEndSec)) {
    // backfill: with no checkpoint, or a range that starts at or before it, move it to the range's
    // end (never backwards), short of the buckets the vendor may still revise.
    const last = plan.windows[done - 1]!;
    const end = Math.min(last.toSec, alignUp(mode.toSec, last.granularitySec, last.alignOffsetSec));
    finalEnd = Math.max(prev?.finalEndSec ?? -Infinity, Math.min(end, horizonSec));
  }

  const keep = Math.max(finalEnd ?? -Infinity, horizonSec);
  const merged = new TailBuilder();
  if (prev) merged.addAll(prev.tail);
  merged.addAll(pr.written);
  const tail = merged.build(keep, input.layouts);

  const sinceOf = (old: Owed | undefined) => old?.sinceSec ?? nowSec;
  const owed = new Map<string, Owed>();
  for (const [k, o] of prev?.owed ?? []) {
    const [, g] = k.split('|');
    const ts = tailKeyTs(k);
    // Fetched again successfully and not owed again: written, or no longer reported by the vendor.
    if (pr.fetched.some((w) => inWindow(w, Number(g), ts)) && !pr.owed.has(k)) continue;
    owed.set(k, o);
  }
  for (const [k, reason] of pr.owed) owed.set(k, { reason, sinceSec: sinceOf(prev?.owed.get(k)) });

  const owedWindows: OwedWindow[] = [];
  for (const ow of prev?.owedWindows ?? []) {
    if (covered(pr.fetched, ow.granularitySec, ow.fromSec, ow.toSec)) continue;
    if (pr.failed.some((f) => f.window.fromSec === ow.fromSec && f.window.toSec === ow.toSec && f.window.granularitySec === ow.granularitySec)) continue;
    owedWindows.push(ow);
  }
  for (const f of pr.failed) {
    const old = prev?.owedWindows.find((o) => o.fromSec <= f.window.fromSec && o.toSec >= f.window.toSec && o.granularitySec === f.window.granularitySec);
    owedWindows.push({ fromSec: f.window.fromSec, toSec: f.window.toSec, granularitySec: f.window.granularitySec, ...(f.window.alignOffsetSec ? { alignOffsetSec: f.window.alignOffsetSec } : {}), reason: f.reason, sinceSec: sinceOf(old) });
  }

  const gaps: GapFinding[] = [];
  if (input.giveUpAfterSec !== undefined) {
    const giveUp = input.giveUpAfterSec;
    const tierOldest = (g: number) => {
      const t = rules.tiers.find((x) => x.granularitySec === g);
      return t ? oldestServed(nowSec, t) : -Infinity;
    };
    const due = (sinceSec: number, endSec: number) => nowSec >= Math.max(sinceSec, endSec + rules.settleSec) + giveUp;
    for (const [k, o] of [...owed]) {
      const [metric, g] = k.split('|') as [string, string];
      const ts = tailKeyTs(k);
      const interval = Number(g);
      const gone = ts < tierOldest(interval);
      if (gone || due(o.sinceSec, ts + interval)) {
        owed.delete(k);
        gaps.push({ metric, intervalSec: interval, fromSec: ts, toSec: ts + interval, reason: gone ? `${o.reason}; no longer served by the vendor` : o.reason });
      }
    }
    for (const ow of [...owedWindows]) {
      const gone = ow.toSec <= tierOldest(ow.granularitySec);
      if (gone || due(ow.sinceSec, ow.toSec)) {
        owedWindows.splice(owedWindows.indexOf(ow), 1);
        gaps.push({ metric: '*', intervalSec: ow.granularitySec, fromSec: ow.fromSec, toSec: ow.toSec, reason: gone ? `${ow.reason}; no longer served by the vendor` : ow.reason });
      }
    }
  }

  const lastError = pr.lastError ? { atSec: nowSec, message: pr.lastError } : prev?.lastError;
  if (finalEnd === undefined || !Number.isFinite(finalEnd)) {
    if (!owed.size && !owedWindows.length && !tail.size && !lastError) return { state: undefined, gaps };
    // Owed buckets or an error of a domain with no checkpoint yet (its first window failed): keep them
    // (status shows them), and start the next pass where this one did.
    finalEnd = plan.plannedFromSec ?? plan.windows[0]?.fromSec;
    if (finalEnd === undefined) return { state: undefined, gaps };
  }
  return { state: { finalEndSec: finalEnd, tail, owed: owed.size ? owed : NO_ENTRIES, owedWindows: owedWindows.length ? owedWindows : NO_ITEMS, ...(lastError ? { lastError } : {}) }, gaps };
}

