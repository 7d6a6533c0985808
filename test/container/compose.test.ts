/**
 * The collector image run as docker-compose.yml declares it, with Podman: the service's environment,
 * secrets (long syntax: uid/gid/mode), user, volumes and command come from the file itself, the values
 * from .env.example copied to .env (docs/deploy.md, "Docker Compose", walked literally). The other
 * Compose services are stood in for on the host: the `emulators` service by the same emulators
 * (test/emulators/all.ts) on the ports .env names, `influxdb` by VictoriaMetrics, which takes the
 * InfluxDB 2 write API (`/api/v2/write`, any token) the collector's `INFLUX_API_VERSION: "2"` uses
 * (InfluxDB 2 is not installable here); `--network host` with `--add-host influxdb|emulators:127.0.0.1`
 * keeps the Compose URLs as they are. The `influxdb-tokens` service is stood in for by writing its
 * output, the collector's token file (uid 1000, mode 0400), into the collector's token volume.
 *
 * Needs the image (scripts/container-test.sh builds it). When Podman cannot run a container here, every
 * test is skipped and the reason printed: never silently green.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDemoVendors, type DemoVendors } from '../emulators/all.js';
import { ALIYUN_DEMO } from '../emulators/aliyun.js';
import { HUAWEI_DEMO } from '../emulators/huawei.js';
import { TENCENT_DEMO } from '../emulators/tencent.js';
import { ROOT } from '../support/cli.js';
import { startVictoriaMetrics, vmExport, type RunningServer } from '../support/servers.js';

const IMAGE = process.env.CONTAINER_TEST_IMAGE ?? 'localhost/cdn-origin-collector:ci';
const EMULATORS_IMAGE = process.env.EMULATORS_IMAGE ?? 'localhost/cdn-origin-emulators:ci';
/** What podman needs on these machines (runc; the default rlimits cannot be set in this sandbox). */
const PODMAN_RUN = ['--runtime', 'runc', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];
const RUN_ID = `cdnct-${process.pid}`;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

function podman(args: string[], input?: string, timeoutMs = 120_000): Promise<Out> {
  return new Promise((resolve) => {
    const child = execFile('podman', args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr: stripPodmanNoise(stderr) });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Podman without systemd complains that it cannot set up its healthcheck timer; the test runs the check itself. */
function stripPodmanNoise(s: string): string {
  return s
    .split('\n')
    .filter((l) => !/unable to get systemd connection/.test(l))
    .join('\n');
}

/** Why containers cannot run here, or undefined when they can. */
function engineProblem(): string | undefined {
  const v = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return `podman is not installed (${v.error?.message ?? v.stderr.trim()}): bash scripts/container-test.sh installs it`;
  const img = spawnSync('podman', ['image', 'exists', IMAGE]);
  if (img.status !== 0) return `image ${IMAGE} not built: run bash scripts/container-test.sh`;
  const r = spawnSync('podman', ['run', '--rm', ...PODMAN_RUN, '--entrypoint', 'true', IMAGE], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `podman cannot start a container on this machine: ${stripPodmanNoise(r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`}`;
  return undefined;
}

/** .env as Compose reads it: KEY=VALUE lines, # comments, optional quotes. */
function parseDotEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`.env: cannot parse line "${line}"`);
    let v = m[2]!;
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    env[m[1]!] = v;
  }
  return env;
}

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR, $$. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, name?: string, op?: string, arg?: string, bare?: string) => {
    if (all === '$$') return '$';
    const key = (name ?? bare)!;
    const v = env[key];
    if (!op) return v ?? '';
    const unsetOrEmpty = v === undefined || (op.startsWith(':') && v === '');
    if (op.endsWith('-')) return unsetOrEmpty ? interpolate(arg ?? '', env) : v!;
    if (unsetOrEmpty) throw new Error(`compose: ${key}: ${arg}`);
    return v!;
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

interface ComposeService {
  user?: string;
  command?: string[];
  environment: Record<string, string>;
  secrets: { source: string; target?: string; uid?: string; gid?: string; mode?: number }[];
  volumes: string[];
}

const problem = engineProblem();
if (problem) console.warn(`\nCONTAINER TEST SKIPPED: ${problem}\n`);

describe.skipIf(problem !== undefined)('the collector image as docker-compose.yml declares it (podman)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cdn-container-'));
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService>;
    secrets: Record<string, { environment?: string; file?: string }>;
  };
  const svc = compose.services.collector!;
  let dotenv: Record<string, string> = {};
  let env: Record<string, string> = {};
  let vm: RunningServer;
  let vendors: DemoVendors;
  const created: { volumes: string[]; secrets: string[]; containers: string[] } = { volumes: [], secrets: [], containers: [] };
  let baseArgs: string[] = [];
  const deviations: string[] = [];
  const secretValues: string[] = [];
  const startSec = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    // docs/deploy.md: `cp .env.example .env`, then Compose reads .env.
    copyFileSync(path.join(ROOT, '.env.example'), path.join(tmp, '.env'));
    dotenv = parseDotEnv(readFileSync(path.join(tmp, '.env'), 'utf8'));
    expect(dotenv.COMPOSE_PROFILES, '.env.example turns the demo profile on').toBe('demo');
    env = Object.fromEntries(Object.entries(svc.environment).map(([k, v]) => [k, interpolate(String(v), dotenv)]));

    // `influxdb`: VictoriaMetrics on influxdb's port when it is free here.
    const influxUrl = new URL(env.INFLUX_URL!);
    expect(influxUrl.hostname).toBe('influxdb');
    vm = await startVictoriaMetrics();
    const vmPort = new URL(vm.url).port;
    // startVictoriaMetrics picks a free port; a second VictoriaMetrics on the Compose port would need
    // its own data dir, so the URL is rewritten to the port it got, hostname kept (--add-host).
    if (vmPort !== influxUrl.port) {
      deviations.push(`INFLUX_URL ${env.INFLUX_URL} -> http://influxdb:${vmPort} (the test's VictoriaMetrics port)`);
      env.INFLUX_URL = `http://influxdb:${vmPort}`;
    }

    // `emulators`: the demo vendors on the ports .env points the collector at.
    const ports: Record<'aliyun' | 'tencent' | 'huawei', number> = {
      aliyun: Number(new URL(env.ALIYUN_CDN_ENDPOINT!).port),
      tencent: Number(new URL(env.TENCENT_CDN_ENDPOINT!).port),
      huawei: Number(new URL(env.HUAWEI_LIVE_ENDPOINT!).port),
    };
    for (const [vendor, p] of Object.entries(ports) as ['aliyun' | 'tencent' | 'huawei', number][]) {
      if (!(await portFree(p))) {
        const s = net.createServer();
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
        const free = (s.address() as net.AddressInfo).port;
        await new Promise<void>((r) => s.close(() => r()));
        const key = { aliyun: 'ALIYUN_CDN_ENDPOINT', tencent: 'TENCENT_CDN_ENDPOINT', huawei: 'HUAWEI_LIVE_ENDPOINT' }[vendor];
        deviations.push(`${key}: port ${p} busy on this host, emulator on ${free}`);
        env[key] = `http://emulators:${free}`;
        ports[vendor] = free;
      }
    }
    vendors = await startDemoVendors({ host: '127.0.0.1', ports, only: ['aliyun', 'tencent', 'huawei'] });

    // Secrets: created from the variable the top-level `secrets:` names, mounted as the long syntax says.
    const secretArgs: string[] = [];
    for (const s of svc.secrets) {
      const def = compose.secrets[s.source]!;
      expect(def.environment, `secret ${s.source} comes from an environment variable`).toBeTruthy();
      const value = dotenv[def.environment!] ?? '';
      if (value) secretValues.push(value);
      const name = `${RUN_ID}-${s.source}`;
      // From a 0600 file, not stdin: podman wants a FIFO there, and a child's stdin is a socket.
      const file = path.join(tmp, `secret-${s.source}`);
      writeFileSync(file, value, { mode: 0o600 });
      const r = await podman(['secret', 'create', name, file]);
      rmSync(file);
      expect(r.code, r.stderr).toBe(0);
      created.secrets.push(name);
      const opts = [`source=${name}`, 'type=mount', `target=${s.target ?? s.source}`];
      if (s.uid !== undefined) opts.push(`uid=${s.uid}`);
      if (s.gid !== undefined) opts.push(`gid=${s.gid}`);
      if (s.mode !== undefined) opts.push(`mode=${s.mode.toString(8).padStart(4, '0')}`);
      secretArgs.push('--secret', opts.join(','));
    }

    // Volumes: each named volume becomes a podman volume of this run.
    const volumeArgs: string[] = [];
    for (const v of svc.volumes) {
      const [name, target, mode] = v.split(':');
      expect(name!.startsWith('.') || name!.startsWith('/'), `${v}: the collector uses named volumes`).toBe(false);
      const vol = `${RUN_ID}-${name}`;
      const r = await podman(['volume', 'create', vol]);
      expect(r.code, r.stderr).toBe(0);
      created.volumes.push(vol);
      volumeArgs.push('-v', `${vol}:${target}${mode ? `:${mode}` : ''}`);
      // What the influxdb-tokens service leaves there (docker/influxdb-tokens.sh): the token, uid 1000, 0400.
      if (target === path.dirname(env.INFLUX_TOKEN_FILE!)) {
        const w = await podman(['run', '--rm', ...PODMAN_RUN, '--user', '0', '--entrypoint', 'sh', '-v', `${vol}:/tokens/collector`, IMAGE, '-c', 'umask 077 && printf %s "$0" > /tokens/collector/token && chown 1000:1000 /tokens/collector/token && chmod 0400 /tokens/collector/token', 'ci-write-only-token']);
        expect(w.code, w.stderr).toBe(0);
        secretValues.push('ci-write-only-token');
      }
    }

    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    baseArgs = [
      ...PODMAN_RUN,
      '--network', 'host',
      '--add-host', 'influxdb:127.0.0.1',
      '--add-host', 'emulators:127.0.0.1',
      ...(svc.user ? ['--user', svc.user] : []),
      ...envArgs,
      ...secretArgs,
      ...volumeArgs,
    ];
    if (deviations.length) console.warn(`container test: deviations from the Compose values on this host:\n  ${deviations.join('\n  ')}`);
  }, 180_000);

  afterAll(async () => {
    for (const c of created.containers) await podman(['rm', '-f', '-t', '0', c]);
    for (const v of created.volumes) await podman(['volume', 'rm', '-f', v]);
    for (const s of created.secrets) await podman(['secret', 'rm', s]);
    await vendors?.stop();
    await vm?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const noSecret = (text: string) => {
    for (const s of secretValues) expect(text.includes(s), 'a secret value appears in the output').toBe(false);
  };

  it('the service is declared as the image expects: user 1000, secrets readable by it, *_DOMAINS and endpoints passed', () => {
    expect(svc.user).toBe('1000:1000');
    for (const s of svc.secrets) expect([s.uid, s.gid, s.mode]).toEqual(['1000', '1000', 0o400]);
    for (const k of ['ALIYUN_DOMAINS', 'TENCENT_DOMAINS', 'HUAWEI_DOMAINS', 'ALIYUN_CDN_ENDPOINT', 'TENCENT_CDN_ENDPOINT', 'HUAWEI_LIVE_ENDPOINT']) expect(Object.keys(svc.environment)).toContain(k);
    expect(Object.keys(svc.environment).filter((k) => /TOKEN$|SECRET$|_SK$|SECRET_KEY$/.test(k)), 'secrets only as *_FILE').toEqual([]);
    expect(compose.services.emulators, 'the demo profile runs the emulators').toBeTruthy();
  });

  it('--version prints the package.json version', async () => {
    const r = await podman(['run', '--rm', ...baseArgs, IMAGE, '--version']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toContain(pkg.version);
  });

  it('check-config accepts the .env.example configuration (every vendor enabled, empty *_DOMAINS) and masks the secrets', async () => {
    const r = await podman(['run', '--rm', ...baseArgs, IMAGE, 'check-config']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    noSecret(r.stdout + r.stderr);
  });

  it('once writes the demo vendors into the v2 write API and exits 0; the checkpoint survives `--rm` in the named volume', async () => {
    const r = await podman(['run', '--rm', ...baseArgs, IMAGE, 'once']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    noSecret(r.stdout + r.stderr);
    const points = await vmExport(vm.url, 'cdn_origin', startSec - 3 * 3600, startSec + 3600, 1);
    const domains = new Set([...points.keys()].map((k) => k.split('|')[0]));
    for (const d of [...ALIYUN_DEMO.accounts[0].domains, ...TENCENT_DEMO.domains.map((x) => x.domain), ...HUAWEI_DEMO.domains]) expect(domains.has(d), `points for ${d}`).toBe(true);
    const stateVol = baseArgs[baseArgs.findIndex((a, i) => baseArgs[i - 1] === '-v' && a.endsWith(':/data'))]!;
    const files = await podman(['run', '--rm', ...PODMAN_RUN, '--entrypoint', 'find', '-v', stateVol, IMAGE, '/data', '-type', 'f', '!', '-name', '.lock']);
    expect(files.stdout.trim(), 'checkpoints left in the named volume by the --rm container').not.toBe('');
    const again = await podman(['run', '--rm', ...baseArgs, IMAGE, 'once']);
    expect(again.code, again.stderr).toBe(0);
  });

  const runName = `${RUN_ID}-run`;
  it('run: the image HEALTHCHECK (liveness) turns healthy', async () => {
    // --health-interval disable: no systemd timer here; `podman healthcheck run` executes the image's check.
    const r = await podman(['run', '-d', '--name', runName, '--health-interval', 'disable', ...baseArgs, IMAGE, ...(svc.command ?? [])]);
    expect(r.code, r.stderr).toBe(0);
    created.containers.push(runName);
    let last: Out = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 60; i++) {
      last = await podman(['healthcheck', 'run', runName]);
      if (last.code === 0) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const logs = await podman(['logs', runName]);
    expect(last.code, `healthcheck: ${last.stdout}${last.stderr}\ncollector logs:\n${logs.stdout.slice(-2000)}${logs.stderr.slice(-2000)}`).toBe(0);
    const state = await podman(['inspect', '--format', '{{.State.Health.Status}}', runName]);
    expect(state.stdout.trim()).toBe('healthy');
    const ready = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('run: podman stop (SIGTERM) ends it with exit 0, nothing secret in its logs', async () => {
    const running = await podman(['inspect', '--format', '{{.State.Running}}', runName]);
    expect(running.stdout.trim(), 'the run container is still running').toBe('true');
    const stop = await podman(['stop', '-t', '30', runName]);
    expect(stop.code, stop.stderr).toBe(0);
    const code = await podman(['inspect', '--format', '{{.State.ExitCode}}', runName]);
    const logs = await podman(['logs', runName]);
    expect(code.stdout.trim(), logs.stderr.slice(-2000)).toBe('0');
    noSecret(logs.stdout + logs.stderr);
  });

  it('a root-owned bind mount on /data: refused with one line as uid 1000, taken over with --user 0', async () => {
    const dir = path.join(tmp, 'bind-data');
    mkdirSync(dir);
    chmodSync(dir, 0o755); // root:root 0755, as `mkdir` on the host leaves it
    const withBind = baseArgs.map((a, i) => (baseArgs[i - 1] === '-v' && a.endsWith(':/data') ? `${dir}:/data` : a));
    const refused = await podman(['run', '--rm', ...withBind, IMAGE, 'once']);
    expect(refused.code).toBe(2);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/state dir \/data \(owner uid 0\) is not writable by uid 1000: chown -R 1000:1000/);
    const asRoot = await podman(['run', '--rm', ...withBind.map((a, i) => (withBind[i - 1] === '--user' ? '0' : a)), IMAGE, 'once']);
    expect(asRoot.code, asRoot.stderr).toBe(0);
    expect(statSync(dir).uid).toBe(1000);
    const again = await podman(['run', '--rm', ...withBind, IMAGE, 'once']);
    expect(again.code, `as uid 1000 once the dir is its own: ${again.stderr}`).toBe(0);
  });

  it('the demo profile: the emulators service answers on its ports and stops on SIGTERM with exit 0', async () => {
    const emu = compose.services.emulators as unknown as { environment: Record<string, string>; profiles: string[] };
    expect(emu.profiles).toEqual(['demo']);
    // Its fixed ports are taken by this test's own emulators: the same image on free ones, by its env.
    const ports = await Promise.all([0, 1, 2].map(() => new Promise<number>((r) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); });
    })));
    const name = `${RUN_ID}-emulators`;
    const envArgs = Object.entries({ ...emu.environment, ALIYUN_EMU_PORT: String(ports[0]), TENCENT_EMU_PORT: String(ports[1]), HUAWEI_EMU_PORT: String(ports[2]) }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = await podman(['run', '-d', '--name', name, ...PODMAN_RUN, '--network', 'host', ...envArgs, EMULATORS_IMAGE]);
    expect(r.code, r.stderr).toBe(0);
    created.containers.push(name);
    let logs: Out = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 60 && !logs.stdout.includes('emulators ready'); i++) {
      await new Promise((res) => setTimeout(res, 1000));
      logs = await podman(['logs', name]);
    }
    expect(logs.stdout, logs.stderr).toContain('emulators ready');
    // An unsigned call is refused by the vendor's rules, which proves the emulator, not just a socket, answers.
    const res = await fetch(`http://127.0.0.1:${ports[0]}/?Action=DescribeUserDomains`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const stop = await podman(['stop', '-t', '20', name]);
    expect(stop.code, stop.stderr).toBe(0);
    const code = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
    expect(code.stdout.trim()).toBe('0');
  });
});
