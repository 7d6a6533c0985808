/**
 * Composition root: parses the command, loads the configuration, builds every dependency and
 * passes it down. Returns the exit code; cli.ts owns process.exit, argv, env and signals.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadConfig, readSecretFile, type EnabledVendor, type Loaded } from './config/load.js';
import type { CoreConfig } from './config/schema.js';
import { isKeySpec } from './config/schema.js';
import { createSystemClock } from './core/system-clock.js';
import { PacerRegistry } from './core/pacer.js';
import { Runner } from './core/runner.js';
import { LINES_HELD, type PassDeps, type PassSettings } from './core/pass.js';
import { LineBudget } from './core/budget.js';
import { shardIndexFromHostname } from './core/shard.js';
import { ERROR_POLICY, CollectorError, describeError } from './kernel/errors.js';
import { DEFAULT_ACCOUNT } from './kernel/schema.js';
import type { Credentials, KeySpec, VendorAdapter, VendorModule } from './kernel/vendor.js';
import { AxiosHttpClient, createAxios } from './http/client.js';
import { createLogger } from './log.js';
import type { Clock, CredentialProvider } from './ports.js';
import { createSink, createRecovery, createPointSource } from './sink/index.js';
import { verifyRange } from './core/verify.js';
import { FileCheckpointStore, acquireStateLock, readHostIdentity, readGaps, readStatus, formatStatus, statusExitCode } from './state/index.js';
import { startStatusServer, type StatusServer } from './status/server.js';
import { CollectorMetrics } from './status/metrics.js';
import { Progress } from './status/progress.js';
import { MODULES } from './vendors/registry.js';

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (line: string) => void;
  /** Writes to stderr as is (progress bar redraws). */
  readonly stderrRaw: (text: string) => void;
  /** Resolves on SIGTERM/SIGINT. */
  readonly stopRequested: Promise<void>;
  /** Registers what SIGHUP does. */
  readonly onReload?: (fn: () => void) => void;
  readonly pid: number;
  readonly hostname: string;
  /** Reads /proc files for the boot and container identity the state-dir lock records. */
  readonly readHostFile?: (file: string) => string;
  readonly isAlive: (pid: number) => boolean;
  readonly isTty: boolean;
  readonly clock?: Clock;
  readonly nodeVersion: string;
}

const COMMANDS = ['run', 'once', 'backfill', 'check-config', 'status', 'verify'] as const;
type Command = (typeof COMMANDS)[number];

function help(modules: readonly VendorModule[]): string {
  return `cdn-origin-collector: CDN back-to-origin metrics into InfluxDB, bucket by bucket

usage:
  cdn-origin-collector run          [--config FILE]...
  cdn-origin-collector once         [--config FILE]... [--vendor V]...
  cdn-origin-collector backfill     [--config FILE]... --from T --to T [--vendor V]... [--domain D]...
  cdn-origin-collector verify       [--config FILE]... --from T --to T [--vendor V]... [--domain D]...
  cdn-origin-collector check-config [--config FILE]...
  cdn-origin-collector status       [--config FILE]... [--json]
  cdn-origin-collector --version

  run           poll every enabled source on its native cadence until SIGTERM/SIGINT (SIGHUP re-reads the configuration)
  once          one pass now for every enabled source, from its checkpoint to now; exit 1 if anything failed
  backfill      collect the half-open range [from, to) at each source's own granularity
  verify        compare [from, to) at the vendors with InfluxDB, bucket by bucket; exit 1 on a difference
  check-config  validate the merged configuration and print it with secrets masked (exit 2 if invalid)
  status        checkpoints, provisional tails, owed buckets, the gap ledger and last errors from state.dir (exit 1 on a gap)

  --config FILE  JSON config file; repeatable, later files override earlier ones (env vars override files)
  --vendor V     ${modules.map((m) => m.id).join(', ')}; repeatable
  --domain D     only this domain; repeatable
  --from/--to T  ISO 8601 with a zone, e.g. 2026-11-20T00:00:00Z
`;
}

function packageDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(packageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A real calendar time with a zone: `2026-02-30T00:00:00Z` is refused, not read as March 2. */
export function parseTime(flag: string, v: string | undefined): number {
  if (v === undefined) throw new CollectorError('usage', `usage: --${flag} is required`);
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.exec(v);
  const bad = () => new CollectorError('usage', `usage: --${flag} "${v.slice(0, 60)}" is not an ISO 8601 time with a zone (e.g. 2026-11-20T00:00:00Z)`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const daysIn = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn || h > 23 || mi > 59 || s > 59) throw bad();
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw bad();
  return Math.floor(ms / 1000);
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const modules = MODULES;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', multiple: true },
        vendor: { type: 'string', multiple: true },
        domain: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    io.stderr(`usage: ${describeError(err)} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout(`${version()}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    io.stdout(help(modules));
    return values.help ? 0 : 2;
  }
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command) || positionals.length > 1) {
    io.stderr(`usage: unknown command "${positionals.join(' ').slice(0, 60)}"; expected one of ${COMMANDS.join(', ')} (see --help)`);
    return 2;
  }
  const vendors = (values.vendor ?? []) as string[];
  const ids = modules.map((m) => m.id);
  for (const v of vendors) {
    if (!ids.includes(v)) {
      io.stderr(`usage: --vendor "${v.slice(0, 60)}" is not one of ${ids.join(', ')}`);
      return 2;
    }
  }
  const ranged = command === 'backfill' || command === 'verify';
  if (!ranged && (values.from || values.to || values.domain)) {
    io.stderr(`usage: --from, --to and --domain belong to backfill and verify`);
    return 2;
  }
  if (!ranged && command !== 'once' && vendors.length) {
    io.stderr(`usage: --vendor belongs to once, backfill and verify`);
    return 2;
  }
  if (command !== 'status' && values.json) {
    io.stderr(`usage: --json belongs to status`);
    return 2;
  }
  const clock = io.clock ?? createSystemClock();
  let range: { fromSec: number; toSec: number } | undefined;
  if (ranged) {
    try {
      range = { fromSec: parseTime('from', values.from), toSec: parseTime('to', values.to) };
    } catch (err) {
      io.stderr(describeError(err));
      return 2;
    }
    if (range.fromSec >= range.toSec) {
      io.stderr(`usage: --from must be earlier than --to`);
      return 2;
    }
    if (range.fromSec >= clock.now() / 1000) {
      io.stderr(`usage: --from ${values.from} lies in the future; nothing can be collected there yet`);
      return 2;
    }
  }

  const readFile = (p: string) => readFileSync(p, 'utf8');
  const files = [path.join(packageDir(), 'config', 'default.json'), ...((values.config ?? []) as string[])];
  const loaded = loadConfig({ files, env: io.env, readFile, modules });
  if (command === 'status') {
    const dir = loaded.config?.state?.dir ?? io.env.STATE_DIR ?? './data';
    return statusCommand(dir, Boolean(values.json), io, clock);
  }
  if (loaded.problems.length) {
    for (const p of loaded.problems) io.stderr(p);
    return 2;
  }
  if (command === 'check-config') {
    io.stdout(loaded.masked() + '\n');
    return 0;
  }
  for (const v of vendors) {
    if (!loaded.vendors.some((e) => e.module.id === v)) {
      io.stderr(`usage: --vendor ${v}: vendors.${v}.enabled is false`);
      return 2;
    }
  }
  const chosen = loaded.vendors.filter((e) => !vendors.length || vendors.includes(e.module.id));
  const onlyDomains = (values.domain ?? []) as string[];
  if (onlyDomains.length) {
    const configured = chosen.flatMap((e) => e.accounts.flatMap((a) => a.domains));
    const discovered = chosen.some((e) => e.accounts.some((a) => a.domains.length === 0));
    const unknown = onlyDomains.filter((d) => !configured.includes(d));
    if (unknown.length && !discovered) {
      io.stderr(`usage: --domain ${unknown.join(', ')}: no enabled vendor lists it (vendors.<v>.domains)`);
      return 2;
    }
  }
  return execute(command as Exclude<Command, 'check-config' | 'status'>, loaded, chosen, io, clock, readFile, onlyDomains, range);
}

async function statusCommand(dir: string, json: boolean, io: Io, clock: Clock): Promise<number> {
  try {
    const report = await readStatus(dir, { nowSec: Math.floor(clock.now() / 1000) });
    io.stdout(formatStatus(report, { json }));
    return statusExitCode(report);
  } catch (err) {
    io.stderr(describeError(err));
    return 2;
  }
}

function credentialSpecs(m: VendorModule): [string, KeySpec][] {
  return Object.entries(m.config).filter((e): e is [string, KeySpec] => isKeySpec(e[1]) && e[1].credential === true);
}

/** Credentials by module and account; `*_FILE` / `<key>File` secrets are read again on demand. */
function credentialProvider(initial: readonly EnabledVendor[], env: Io['env'], readFile: (p: string) => string, log: Logger): CredentialProvider & { reset(next: readonly EnabledVendor[]): void } {
  const current = new Map<string, Record<string, string>>();
  const key = (m: string, a: string) => `${m}\u0000${a}`;
  let chosen = initial;
  const reset = (next: readonly EnabledVendor[]) => {
    chosen = next;
    current.clear();
    for (const e of next) {
      for (const a of e.accounts) {
        const c: Record<string, string> = {};
        for (const [k] of credentialSpecs(e.module)) c[k] = String(a.values[k] ?? '');
        current.set(key(e.module.id, a.name), c);
      }
    }
  };
  reset(initial);
  return {
    reset,
    get: (m, a): Credentials => current.get(key(m, a)) ?? {},
    reload(m, a) {
      const e = chosen.find((x) => x.module.id === m);
      const c = current.get(key(m, a));
      if (!e || !c) return;
      for (const [k, s] of credentialSpecs(e.module)) {
        if (!s.secret) continue;
        const file = a === DEFAULT_ACCOUNT ? (s.env ? env[`${s.env}_FILE`] : undefined) : undefined;
        if (!file) continue;
        try {
          c[k] = readSecretFile(readFile, file);
        } catch (err) {
          log.warn(`cannot re-read ${s.env}_FILE: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
        }
      }
    },
  };
}

/**
 * One account's rate limit is shared by every replica that collects some of its domains: each
 * replica paces at its share, so that together they stay within the documented limit.
 */
function adaptersOf(chosen: readonly EnabledVendor[], shardCount: number): VendorAdapter[] {
  return chosen.flatMap((e) =>
    e.accounts.map((a) => {
      const adapter = e.module.createAdapter(e.settings, a);
      return shardCount > 1 ? { ...adapter, rateLimit: (key: string) => adapter.rateLimit(key) / shardCount } : adapter;
    }),
  );
}

function passSettings(c: CoreConfig, command: string): PassSettings {
  return {
    concurrency: c.collect.concurrency,
    requestTimeoutMs: c.collect.requestTimeoutMs,
    maxBodyBytes: c.collect.maxResponseBytes,
    retry: { maxAttempts: c.collect.retryMaxAttempts, baseDelayMs: c.collect.retryBaseMs, maxDelayMs: c.collect.retryMaxDelayMs },
    initialLookbackMs: c.collect.initialLookbackMs,
    giveUpAfterMs: c.collect.giveUpAfterMs,
    recoverFromInflux: c.state.recoverFromInflux && command !== 'verify',
    recoverAlways: c.shard.count > 1,
  };
}

async function execute(
  command: 'run' | 'once' | 'backfill' | 'verify',
  loaded: Loaded,
  chosen: readonly EnabledVendor[],
  io: Io,
  clock: Clock,
  readFile: (p: string) => string,
  onlyDomains: string[],
  range: { fromSec: number; toSec: number } | undefined,
): Promise<number> {
  const config = loaded.config;
  const chosenIds = chosen.map((e) => e.module.id);
  // Redaction takes every vendor's secret keys from its module.
  // While a backfill draws its bar on a terminal, log and problem lines take it off first.
  let progress: Progress | undefined;
  const around = (write: () => void) => (progress ? progress.around(write) : write());
  const logger = createLogger(
    config.log.level,
    MODULES.flatMap((m) => credentialSpecs(m).filter(([, k]) => k.secret).map(([name]) => name)),
    { write: (s: string) => around(() => io.stdout(s)) },
  );
  const shardIndex = io.env.SHARD_INDEX === undefined && config.shard.count > 1 ? shardIndexFromHostname(io.hostname) ?? config.shard.index : config.shard.index;
  if (shardIndex >= config.shard.count) {
    io.stderr(`shard.index: ${shardIndex} (from the hostname ${io.hostname}) must be below shard.count ${config.shard.count}`);
    return 2;
  }
  let release: (() => Promise<void>) | undefined;
  try {
    // Boot and container identity let the lock tell a live owner on another host from a dead one.
    const host = io.readHostFile ? readHostIdentity(io.readHostFile) : {};
    release = await acquireStateLock(config.state.dir, { pid: io.pid, hostname: io.hostname, ...host, isAlive: io.isAlive, nowSec: () => Math.floor(clock.now() / 1000), note: (line) => logger.warn(line) });
  } catch (err) {
    io.stderr(describeError(err));
    return 2;
  }
  const metrics = new CollectorMetrics({ version: version(), node: io.nodeVersion });
  metrics.now = () => clock.now();
  const telemetry = metrics.telemetry();
  const writeRetryMaxMs = command === 'run' ? Math.max(config.influx.writeRetryMaxMs, 60_000) : config.influx.writeRetryMaxMs;
  const random = Math.random;
  const report = (line: string) => around(() => io.stderr(line));
  const sink = createSink(config.influx, { clock, random, telemetry, retryMaxMs: writeRetryMaxMs, report: (line) => logger.warn(line) });
  const store = new FileCheckpointStore(config.state.dir, { nowSec: () => Math.floor(clock.now() / 1000), note: (line) => io.stderr(line) });
  const credentials = credentialProvider(chosen, io.env, readFile, logger);
  const recovery = config.state.recoverFromInflux ? createRecovery(config.influx) : undefined;
  const deps: PassDeps = {
    clock,
    http: new AxiosHttpClient(createAxios(), clock),
    sink,
    store,
    ...(recovery ? { recovery } : {}),
    logger,
    pacers: new PacerRegistry(clock),
    credentials,
    nonce: () => randomUUID(),
    random,
    telemetry,
    reported: new Set(),
    report,
    lines: new LineBudget(LINES_HELD),
  };
  const settings = passSettings(config, command);
  const adapters = adaptersOf(chosen, config.shard.count);
  const runner = new Runner(deps, settings, adapters, {
    discoveryIntervalMs: config.collect.discoveryIntervalMs,
    stopGraceMs: config.collect.stopGraceMs,
    ...(config.shard.count > 1 ? { shard: { count: config.shard.count, index: shardIndex } } : {}),
    ...(onlyDomains.length ? { onlyDomains, trustOnlyDomains: chosen.length === 1 && chosen[0]!.accounts.every((a) => !a.domains.length) } : {}),
  });
  let status: StatusServer | undefined;
  try {
    if (command !== 'run') void io.stopRequested.then(() => runner.stop());
    // A damaged state file is a usage-class error (exit 2), a refused InfluxDB credential exit 1.
    const exitOf = (r: { ok: boolean; fatal?: CollectorError }) => (r.fatal ? ERROR_POLICY[r.fatal.kind].exitCode : r.ok ? 0 : 1);
    if (command === 'once') return exitOf(await runner.runAll({ kind: 'collect' }));
    if (command === 'backfill') {
      progress = new Progress(io.isTty, io.stderrRaw, clock);
      const bar = progress;
      metrics.onPlanned = (_v, _s, n) => bar.grow(n);
      metrics.onWindowsDone = (vendor, stream, n) => bar.tick(`${vendor} ${stream}`, n);
      bar.start();
      const r = await runner.runAll({ kind: 'range', fromSec: range!.fromSec, toSec: range!.toSec });
      progress.done();
      return exitOf(r);
    }
    if (command === 'verify') {
      const r = await verifyRange({ ...deps, points: createPointSource(config.influx) }, settings, adapters, (a) => runner.domainsOf(a), range!, runner.stopSignal);
      for (const line of r.lines) io.stdout(`${line}\n`);
      for (const line of r.failures) io.stderr(line);
      return r.differs ? 1 : 0;
    }
    // run
    const counts = new Map<string, { vendor: string; account: string; n: number }>();
    for (const g of await readGaps(config.state.dir)) {
      const k = `${g.module}\u0000${g.account}`;
      counts.set(k, { vendor: g.module, account: g.account, n: (counts.get(k)?.n ?? 0) + 1 });
    }
    metrics.setGapEntries(counts);
    if (config.http.port) status = await startStatusServer({ host: config.http.host, port: config.http.port, health: () => runner.health(), metrics, clock, logger });
    for (const line of await runner.budget((vendor, account, rateKey, sec) => metrics.setExpectedFreshness(vendor, account, rateKey, sec))) {
      logger.debug(line);
      if (line.startsWith('warning')) io.stderr(line);
      else io.stdout(line + '\n');
    }
    let fatal: CollectorError | undefined;
    let onFatal: () => void = () => {};
    const fatalReported = new Promise<void>((resolve) => (onFatal = resolve));
    io.onReload?.(() => {
      // SIGHUP: re-read the configuration and secrets; an invalid one is refused and the old one kept.
      const next = loadConfig({ files: loaded.files, env: io.env, readFile, modules: MODULES });
      if (next.problems.length) {
        io.stderr(`reload refused, keeping the running configuration: ${next.problems[0]}${next.problems.length > 1 ? ` (and ${next.problems.length - 1} more problems; see check-config)` : ''}`);
        return;
      }
      const picked = next.vendors.filter((e) => !chosenIds.length || chosenIds.includes(e.module.id));
      credentials.reset(picked);
      runner.replace(adaptersOf(picked, next.config.shard.count), passSettings(next.config, command));
      logger.info('SIGHUP: configuration and secrets re-read');
    });
    runner.start((err) => {
      if (!ERROR_POLICY[err.kind].stopsRun) return;
      fatal ??= err;
      onFatal();
    });
    await Promise.race([io.stopRequested, fatalReported]);
    logger.info('stopping: finishing writes in flight');
    await runner.stop();
    if (fatal) {
      io.stderr(`stopped: ${describeError(fatal)}`);
      return ERROR_POLICY[(fatal as CollectorError).kind].exitCode;
    }
    return 0;
  } finally {
    await status?.close();
    await store.close();
    await release?.();
  }
}

