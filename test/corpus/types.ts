/**
 * One case of the bad-input corpus (issue 8, "Proof"): what is set up, the command, and what must
 * happen. Cases are data; test/corpus/harness.ts drives them through the built CLI (dist/cli.js)
 * against the vendor emulators and a real InfluxDB 1.x (or test/support/fake-influx.ts where the
 * case is about InfluxDB's answers).
 */
import type { FakeInfluxMode, InfluxFlavor } from '../support/fake-influx.js';

export type VendorId = 'aliyun' | 'tencent' | 'huawei' | 'huaweicdn';
export type CaseClass = 'vendor' | 'influx' | 'config' | 'cli' | 'state';

/** The secrets a case runs with; every one is distinctive so that a leak is found by grep. */
export interface Secrets {
  readonly vendorSecret: string;
  readonly vendorSecret2: string;
  readonly stsToken: string;
  readonly influxPassword: string;
  readonly influxToken: string;
}

export interface CaseContext {
  readonly dir: string;
  readonly stateDir: string;
  readonly fromSec: number;
  readonly toSec: number;
  readonly secrets: Secrets;
  readonly domains: readonly string[];
  readonly vendor: VendorId;
  readonly metric: string;
  /** The stream file prefix of the case's vendor, e.g. `aliyun.main.DescribeDomainSrcTrafficData`. */
  readonly streamPrefix: string;
}

export interface Expect {
  /** Exit code of the command. */
  readonly exit: number;
  /** The one user-facing stderr line (JSON log lines and progress lines aside). */
  readonly line?: RegExp;
  /** How many user-facing lines; default 1 when `line` is given, 0 otherwise; -1: one or more (one per problem). */
  readonly lines?: number;
  /**
   * What InfluxDB holds for [from, to) afterwards: `complete` every bucket of every domain, `hole`
   * some bucket missing (and no invented one), `none` nothing, `partial-account` the first
   * account complete and the second absent. Unset: not looked at (usage errors: no network call).
   */
  readonly influx?: 'complete' | 'hole' | 'none' | 'partial-account';
  /** `status --json` shows owed buckets or windows for the case's domain after the command. */
  readonly owed?: boolean;
  /** Exit code of `status` after the command (default: 0; 2 for a damaged state.dir is allowed to be set). */
  readonly statusExit?: number;
  /** No vendor or InfluxDB call at all (usage and configuration errors are reported before any). */
  readonly noNetwork?: boolean;
  /** The follow-up healthy pass (`once`, faults cleared, state repaired): exit 0, every bucket in InfluxDB, nothing owed. */
  readonly followUp?: boolean;
  /** The follow-up runs the same command again instead of `once` (a failed backfill keeps no checkpoint: it is re-run). */
  readonly followUpSame?: boolean;
  /** The follow-up need not fill [from, to) (state cases: `once` starts from its own look-back). */
  readonly followUpPartial?: boolean;
}

export interface Case {
  readonly name: string;
  readonly cls: CaseClass;
  readonly vendor?: VendorId;
  /** The metric whose buckets are counted (default: the vendor's traffic metric). */
  readonly metric?: string;
  /** A second account of the same vendor (its secret given as a `…File`); `wrong` signs with a wrong secret. */
  readonly secondAccount?: 'ok' | 'wrong';
  /** Bad-input faults (test/emulators/faults.ts vocabulary; mapped to the Alibaba names where they differ). */
  readonly inject?: readonly Record<string, unknown>[];
  /** Vendor error answers (`emu.fail`), e.g. throttling. */
  readonly fail?: readonly Record<string, unknown>[];
  /** Emulator options (e.g. a latency, a rate limit). */
  readonly emulator?: Record<string, unknown>;
  /** InfluxDB played by the fake, in this flavor and mode. */
  readonly fakeInflux?: { readonly flavor: InfluxFlavor; readonly mode: FakeInfluxMode; readonly refuseFirstBucket?: boolean };
  /** Deep-merged into the case's configuration. */
  readonly config?: Record<string, unknown>;
  /** A second config file given verbatim (syntax errors and the like). */
  readonly rawConfig?: (ctx: CaseContext) => string;
  readonly env?: (ctx: CaseContext) => Record<string, string>;
  /** Command and arguments; `{from}` `{to}` are replaced. Default: backfill of the case's range. */
  readonly command?: readonly string[];
  /** Damage done to state.dir before the command. */
  readonly damage?: (ctx: CaseContext) => void;
  /** What the user does after reading the line, before the follow-up pass (e.g. delete the file). */
  readonly repair?: (ctx: CaseContext) => void;
  readonly expect: Expect;
  /** The collector is known to do the wrong thing here (the case runs as `it.fails`). */
  readonly expectFailure?: string;
}
