/**
 * Composition root: parses the command, loads the configuration, builds every dependency and
 * passes it down. Returns the exit code; cli.ts owns process.exit, argv, env and signals.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadConfig, maskedConfig, readSecretFile } from './config/load.js';
import { SECRET_KEYS, type AppConfig } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import type { CollectDeps, CollectSettings, CredentialProvider } from './core/collect.js';
import { CollectorError, ErrorCodes, describeError } from './core/errors.js';
import { PacerRegistry } from './core/pacer.js';
import { Runner } from './core/runner.js';
import { AxiosHttpClient, createAxios } from './http/client.js';
import { createLogger } from './log.js';
import { InfluxSink } from './sink/sink.js';
import { V1Transport, V2Transport } from './sink/transports.js';
import { FileStateStore, acquireStateLock } from './state/store.js';
import { buildAdapters } from './vendors/registry.js';
import { VENDOR_IDS, type Credentials, type VendorId } from './vendors/types.js';
import { startStatusServer, type StatusServer } from './status/server.js';
import { CollectorMetrics } from './status/metrics.js';
import { Progress } from './status/progress.js';

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (line: string) => void;
  /** Writes to stderr as is (progress bar redraws). */
  readonly stderrRaw: (text: string) => void;
  /** Resolves on SIGTERM/SIGINT. */
  readonly stopRequested: Promise<void>;
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
  readonly isTty: boolean;
  readonly clock?: Clock;
}

const HELP = `cdn-origin-collector: CDN back-to-origin traffic into InfluxDB, bucket by bucket

usage:
  cdn-origin-collector run          [--config FILE]...
  cdn-origin-collector once         [--config FILE]... [--vendor V]...
  cdn-origin-collector backfill     [--config FILE]... --from T --to T [--vendor V]... [--domain D]...
  cdn-origin-collector check-config [--config FILE]...

  run           poll every enabled source on its native cadence until SIGTERM/SIGINT
  once          one pass now for every enabled source, from its checkpoint to now; exit 1 if a window failed
  backfill      collect the half-open range [from, to) at each source's own granularity
  check-config  validate the merged configuration and print it with secrets masked (exit 2 if invalid)

  --config FILE  JSON config file; repeatable, later files override earlier ones (env vars override files)
  --vendor V     aliyun, tencent or huawei; repeatable
  --domain D     backfill only this domain; repeatable
  --from/--to T  ISO 8601 with a zone, e.g. 2026-11-20T00:00:00Z
`;

const COMMANDS = ['run', 'once', 'backfill', 'check-config'] as const;
type Command = (typeof COMMANDS)[number];

function defaultConfigFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', 'config', 'default.json');
}

function parseTime(name: string, v: string | undefined): number {
  if (v === undefined) throw new CollectorError(ErrorCodes.USAGE, `backfill: --${name} is required`);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v) || !Number.isFinite(Date.parse(v))) {
    throw new CollectorError(ErrorCodes.USAGE, `backfill: --${name} "${v}" is not an ISO 8601 time with a zone (e.g. 2026-11-20T00:00:00Z)`);
  }
  return Math.floor(Date.parse(v) / 1000);
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
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
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr(`usage: ${(err as Error).message.split('\n')[0]} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.stdout(HELP);
    return values.help ? 0 : 2;
  }
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command) || positionals.length > 1) {
    io.stderr(`usage: unknown command "${positionals.join(' ')}"; expected one of ${COMMANDS.join(', ')} (see --help)`);
    return 2;
  }
  const vendors = (values.vendor ?? []) as string[];
  for (const v of vendors) {
    if (!VENDOR_IDS.includes(v as VendorId)) {
      io.stderr(`usage: --vendor "${v}" is not one of ${VENDOR_IDS.join(', ')}`);
      return 2;
    }
  }
  if (command !== 'backfill' && (values.from || values.to || values.domain)) {
    io.stderr(`usage: --from, --to and --domain belong to backfill`);
    return 2;
  }
  if (command !== 'once' && command !== 'backfill' && vendors.length) {
    io.stderr(`usage: --vendor belongs to once and backfill`);
    return 2;
  }
  let range: { fromSec: number; toSec: number } | undefined;
  if (command === 'backfill') {
    try {
      range = { fromSec: parseTime('from', values.from), toSec: parseTime('to', values.to) };
    } catch (err) {
      io.stderr(describeError(err));
      return 2;
    }
    if (range.fromSec >= range.toSec) {
      io.stderr(`backfill: --from must be earlier than --to`);
      return 2;
    }
  }

  const readFile = (p: string) => readFileSync(p, 'utf8');
  const files = [defaultConfigFile(), ...((values.config ?? []) as string[])];
  const { config, schema, problems } = loadConfig({ files, env: io.env, readFile });
  if (problems.length) {
    for (const p of problems) io.stderr(p);
    return 2;
  }
  if (command === 'check-config') {
    io.stdout(maskedConfig(schema) + '\n');
    return 0;
  }
  for (const v of vendors) {
    if (!config.vendors[v as VendorId].enabled) {
      io.stderr(`usage: --vendor ${v}: vendors.${v}.enabled is false`);
      return 2;
    }
  }
  const onlyDomains = (values.domain ?? []) as string[];
  return execute(command, config, io, readFile, vendors as VendorId[], onlyDomains, range);
}

function credentialProvider(config: AppConfig, env: Io['env'], readFile: (p: string) => string, log: Logger): CredentialProvider {
  const current = (): Record<VendorId, Record<string, string>> => ({
    aliyun: { accessKeyId: config.vendors.aliyun.accessKeyId, accessKeySecret: config.vendors.aliyun.accessKeySecret, securityToken: config.vendors.aliyun.securityToken },
    tencent: { secretId: config.vendors.tencent.secretId, secretKey: config.vendors.tencent.secretKey, sessionToken: config.vendors.tencent.sessionToken },
    huawei: { ak: config.vendors.huawei.ak, sk: config.vendors.huawei.sk, securityToken: config.vendors.huawei.securityToken, projectId: config.vendors.huawei.projectId },
  });
  let creds = current();
  return {
    get: (vendor: string): Credentials => creds[vendor as VendorId],
    reload(vendor: string) {
      for (const [v, key] of Object.entries(SECRET_KEYS)) {
        if (!key.startsWith(`vendors.${vendor}.`)) continue;
        const file = env[`${v}_FILE`];
        if (!file) continue;
        try {
          const value = readSecretFile(readFile, file);
          const field = key.split('.').pop()!;
          (config.vendors[vendor as VendorId] as Record<string, unknown>)[field] = value;
        } catch (err) {
          log.warn(`cannot re-read ${v}_FILE: ${(err as NodeJS.ErrnoException).code ?? describeError(err)}`);
        }
      }
      creds = current();
    },
  };
}

/**
 * V8 lets garbage pile up to several times the live heap before it collects the old generation;
 * a pass over many domains would then sit far above what it uses. Past the budget, collect now
 * (at most every 500 ms).
 */
function memoryRelief(budgetMb: number, clock: Clock): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  let last = 0;
  return () => {
    if (!gc || process.memoryUsage.rss() < budgetMb * 1024 * 1024) return;
    const now = clock.now();
    if (now - last < 500) return;
    last = now;
    gc();
  };
}

async function execute(
  command: Exclude<Command, 'check-config'>,
  config: AppConfig,
  io: Io,
  readFile: (p: string) => string,
  vendors: VendorId[],
  onlyDomains: string[],
  range: { fromSec: number; toSec: number } | undefined,
): Promise<number> {
  const clock = io.clock ?? systemClock;
  const logger = createLogger(config.log.level);
  let release: (() => Promise<void>) | undefined;
  try {
    release = await acquireStateLock(config.state.dir, io.pid, io.isAlive);
  } catch (err) {
    io.stderr(describeError(err));
    return 2;
  }
  const metrics = new CollectorMetrics();
  metrics.now = () => clock.now();
  const ax = createAxios();
  const writeRetryMaxMs = command === 'run' ? Math.max(config.influx.writeRetryMaxMs, 60_000) : config.influx.writeRetryMaxMs;
  const transport =
    config.influx.apiVersion === 1
      ? new V1Transport(clock, {
          url: config.influx.url,
          database: config.influx.database,
          retentionPolicy: config.influx.retentionPolicy,
          username: config.influx.username,
          password: config.influx.password,
          timeoutMs: config.influx.requestTimeoutMs,
        })
      : new V2Transport(clock, { url: config.influx.url, token: config.influx.token, org: config.influx.org, bucket: config.influx.bucket, timeoutMs: config.influx.requestTimeoutMs });
  const random = Math.random;
  const sink = new InfluxSink(
    transport,
    { measurement: config.influx.measurement, batchSize: config.influx.batchSize, retryMaxMs: writeRetryMaxMs, retryBaseMs: 500 },
    { clock, random, logger: logger.child({ component: 'sink' }), observer: metrics.sinkObserver() },
  );
  // A sink that refuses the credentials (401/403) or lacks the database stops `run`: retrying cannot help.
  let fatal: string | undefined;
  let onFatal: () => void = () => {};
  const fatalReported = new Promise<void>((resolve) => (onFatal = resolve));
  const setFatal = (line: string) => {
    fatal ??= line;
    onFatal();
  };
  const deps: CollectDeps = {
    clock,
    http: new AxiosHttpClient(ax),
    sink: metrics.wrapSink(sink),
    store: new FileStateStore(config.state.dir),
    logger,
    pacers: new PacerRegistry(clock),
    credentials: credentialProvider(config, io.env, readFile, logger),
    nonce: () => randomUUID(),
    random,
    observer: metrics.collectObserver(),
    relieveMemory: memoryRelief(config.collect.memoryBudgetMb, clock),
    reported: new Set(),
    report: (line) => {
      io.stderr(line);
      if (/^influx: .*(not authorized|not found)/.test(line)) setFatal(line);
    },
  };
  const settings: CollectSettings = {
    concurrency: config.collect.concurrency,
    requestTimeoutMs: config.collect.requestTimeoutMs,
    retry: { maxAttempts: config.collect.retryMaxAttempts, baseDelayMs: config.collect.retryBaseMs, maxDelayMs: config.collect.retryMaxDelayMs },
    initialLookbackMs: config.collect.initialLookbackMs,
  };
  const adapters = buildAdapters(config, vendors);
  const runner = new Runner(deps, settings, adapters, {
    discoveryIntervalMs: config.collect.discoveryIntervalMs,
    ...(onlyDomains.length ? { onlyDomains, trustOnlyDomains: adapters.length === 1 } : {}),
  });
  let status: StatusServer | undefined;
  try {
    // once/backfill on SIGTERM/SIGINT: abandon what is in flight, keep what was committed, exit 1.
    if (command !== 'run') void io.stopRequested.then(() => runner.stop());
    if (command === 'once') return (await runner.runAll({ kind: 'collect' })) ? 0 : 1;
    if (command === 'backfill') {
      const progress = new Progress(io.isTty, io.stderrRaw, clock);
      metrics.onPlanned = (_v, _s, n) => progress.grow(n);
      metrics.onWindowsDone = (vendor, stream, n) => progress.tick(`${vendor} ${stream}`, n);
      progress.start();
      const ok = await runner.runAll({ kind: 'range', fromSec: range!.fromSec, toSec: range!.toSec });
      progress.done();
      return ok ? 0 : 1;
    }
    // run
    if (config.http.port) status = await startStatusServer({ host: config.http.host, port: config.http.port, runner, metrics, clock, logger });
    for (const line of await runner.budget()) {
      logger.debug(line);
      if (line.startsWith('warning')) io.stderr(line);
      else io.stdout(line + '\n');
    }
    metrics.onFatal = setFatal;
    runner.start();
    await Promise.race([io.stopRequested, fatalReported]);
    logger.info('stopping: finishing passes in flight');
    await runner.stop();
    if (fatal) {
      io.stderr(`stopped: ${fatal}`);
      return 1;
    }
    return 0;
  } finally {
    await status?.close();
    await release?.();
  }
}
