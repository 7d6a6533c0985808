/** The command line through main(argv, io): exit codes and the lines a user sees. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/config/schema.js';
import { main, type Io } from '../../src/main.js';
import { MODULES } from '../../src/vendors/registry.js';
import { ManualClock } from '../support/fakes.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const SECRET = 'Zq9-s3cr3t-value-4711';

function io(env: Record<string, string> = {}, over: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    env,
    stdout: (t) => void out.push(t),
    stderr: (l) => void err.push(l),
    stderrRaw: (l) => void err.push(l),
    stopRequested: new Promise(() => {}),
    pid: 4242,
    hostname: 'test-host',
    readHostFile: (f) => (f.endsWith('boot_id') ? 'boot-1\n' : ''),
    isAlive: () => false,
    isTty: false,
    clock: new ManualClock(NOW),
    nodeVersion: 'v20.0.0',
    ...over,
  };
  return { io: value, out, err };
}

function file(obj: unknown, name = 'c.json'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  const f = path.join(dir, name);
  writeFileSync(f, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return f;
}

const stateDir = () => mkdtempSync(path.join(os.tmpdir(), 'cli-state-'));
const aliyunOn = (o: Record<string, unknown> = {}) => ({ influx: { apiVersion: 1 }, log: { level: 'silent' }, state: { dir: stateDir() }, vendors: { aliyun: { enabled: true, endpoint: 'http://127.0.0.1:9', domains: ['a.example.com'], ...o } }, collect: { retryMaxAttempts: 1, requestTimeoutMs: 500 } });
const aliyunEnv = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample', ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET };

describe('usage errors: one line, exit 2, before any network call', () => {
  it.each([
    [['frobnicate'], /^usage: unknown command "frobnicate"/],
    [['once', 'twice'], /^usage: unknown command "once twice"/],
    [['once', '--vendor', 'akamai'], /^usage: --vendor "akamai" is not one of aliyun, tencent, huawei, huaweicdn$/],
    [['once', '--bogus'], /^usage: .*--bogus/],
    [['run', '--vendor', 'aliyun'], /^usage: --vendor belongs to once, backfill and verify$/],
    [['once', '--from', '2026-11-20T00:00:00Z'], /^usage: --from, --to and --domain belong to backfill and verify$/],
    [['once', '--json'], /^usage: --json belongs to status$/],
    [['backfill', '--from', 'yesterday', '--to', '2026-11-20T00:00:00Z'], /^usage: --from "yesterday" is not an ISO 8601 time with a zone/],
    [['backfill', '--from', '2026-11-19T00:00:00', '--to', '2026-11-20T00:00:00Z'], /^usage: --from "2026-11-19T00:00:00" is not an ISO 8601 time with a zone/],
    [['backfill', '--from', '2026-02-30T00:00:00Z', '--to', '2026-03-02T00:00:00Z'], /^usage: --from "2026-02-30T00:00:00Z" is not an ISO 8601 time/],
    [['backfill', '--from', '2026-11-19T24:00:00Z', '--to', '2026-11-20T00:00:00Z'], /^usage: --from "2026-11-19T24:00:00Z"/],
    [['backfill', '--from', '2026-11-20T00:00:00Z', '--to', '2026-11-19T00:00:00Z'], /^usage: --from must be earlier than --to$/],
    [['backfill', '--to', '2026-11-20T00:00:00Z'], /^usage: --from is required$/],
    [['backfill', '--from', '2026-11-21T00:00:00Z', '--to', '2026-11-22T00:00:00Z'], /^usage: --from 2026-11-21T00:00:00Z lies in the future/],
  ])('%j', async (args, re) => {
    const t = io(aliyunEnv);
    expect(await main(args, t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(re);
    expect(t.out).toEqual([]);
  });

  it('no command: usage on stdout, exit 2; --help exit 0', async () => {
    const t = io();
    expect(await main([], t.io)).toBe(2);
    expect(t.out.join('')).toMatch(/^cdn-origin-collector: /);
    const h = io();
    expect(await main(['--help'], h.io)).toBe(0);
    expect(h.out.join('')).toMatch(/backfill/);
  });

  it('--version prints the package version', async () => {
    const t = io();
    expect(await main(['--version'], t.io)).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(t.out).toEqual([`${pkg.version}\n`]);
    expect(t.err).toEqual([]);
  });

  it('--vendor naming a disabled vendor', async () => {
    const t = io(aliyunEnv);
    expect(await main(['once', '--vendor', 'tencent', '--config', file(aliyunOn())], t.io)).toBe(2);
    expect(t.err).toEqual(['usage: --vendor tencent: vendors.tencent.enabled is false']);
  });

  it('--domain that no vendor lists, when every enabled vendor has a configured list', async () => {
    const t = io(aliyunEnv);
    expect(await main(['backfill', '--from', '2026-11-19T00:00:00Z', '--to', '2026-11-19T01:00:00Z', '--domain', 'nope.example.com', '--config', file(aliyunOn())], t.io)).toBe(2);
    expect(t.err).toEqual(['usage: --domain nope.example.com: no enabled vendor lists it (vendors.<v>.domains)']);
  });
});

describe('check-config', () => {
  it('valid: exit 0, the merged config printed with every secret masked', async () => {
    const t = io({ ...aliyunEnv, INFLUX_PASSWORD: `${SECRET}-pw`, INFLUX_USERNAME: 'u' });
    const f = file({ ...aliyunOn(), influx: { apiVersion: 1, url: `http://user:${SECRET}@influx:8086` }, vendors: { aliyun: { enabled: true }, tencent: { enabled: true, accounts: [{ name: 'cn', secretId: 'AKIDx', secretKey: SECRET }] } } });
    expect(await main(['check-config', '--config', f], t.io)).toBe(0);
    const text = t.out.join('');
    expect(JSON.parse(text).vendors.aliyun.accessKeyId).toBe('LTAIexample');
    expect(JSON.parse(text).vendors.tencent.accounts[0].secretId).toBe('AKIDx');
    expect(text).not.toContain(SECRET.slice(0, 9));
    expect(t.err).toEqual([]);
  });

  it('every problem on its own line naming its key, no stack, no secret, exit 2', async () => {
    const t = io({ INFLUX_API_VERSION: '3' });
    const f = file({ vendors: { aliyun: { enabled: 'no', accessKeySecret: SECRET, apis: ['Nope'] }, tencent: { interval: 'week' } }, collect: { concurrency: -1, initialLookbackMs: 1e30 }, bogus: 1 });
    expect(await main(['check-config', '--config', f], t.io)).toBe(2);
    const all = t.err.join('\n');
    for (const key of ['influx.apiVersion', 'vendors.aliyun.enabled', 'vendors.aliyun.apis', 'vendors.tencent.interval', 'collect.concurrency', 'collect.initialLookbackMs', 'bogus: not a known configuration key']) expect(all).toContain(key);
    expect(all).not.toMatch(/\n\s+at /);
    expect(all).not.toContain(SECRET.slice(0, 9));
  });

  it('a config file with a JSON syntax error: file, line, column, never its content', async () => {
    const t = io(aliyunEnv);
    const f = file(`{\n  "influx": { "password": "${SECRET}" "url": "http://x" }\n}`);
    expect(await main(['check-config', '--config', f], t.io)).toBe(2);
    expect(t.err).toEqual([`config: ${f} is not valid JSON (line 2, column 51)`]);
  });

  it('config/default.json holds exactly the schema defaults', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(buildSchema(MODULES, {}).getProperties());
  });
});

describe('one process per state dir', () => {
  it('a second one exits 2 naming the owner; a lock left by a dead process is taken over', async () => {
    const cfg = { ...aliyunOn({ apis: ['DescribeDomainSrcTrafficData'] }), state: { dir: stateDir(), recoverFromInflux: false } };
    const dir = cfg.state.dir;
    writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 999999, hostname: 'test-host', bootId: 'boot-1' }));
    const live = io(aliyunEnv, { isAlive: (pid) => pid === 999999 });
    expect(await main(['once', '--config', file(cfg)], live.io)).toBe(2);
    expect(live.err).toHaveLength(1);
    expect(live.err[0]).toMatch(/pid 999999/);
    // Takes the lock over, then fails to reach the (closed) vendor port: exit 1, not 2.
    // The real clock: the HTTP client's deadline runs on it.
    const dead = io(aliyunEnv, { isAlive: () => false, clock: undefined as never });
    delete (dead.io as { clock?: unknown }).clock;
    expect(await main(['once', '--config', file(cfg)], dead.io)).toBe(1);
    expect(dead.err).toEqual([expect.stringMatching(/^aliyun DescribeDomainSrcTrafficData a\.example\.com: ECONNREFUSED .*\(account default\)$/)]);
    expect(dead.err.join('\n')).not.toContain(SECRET);
  });
});

describe('status', () => {
  it('an empty state dir: an empty report, exit 0; --json is JSON', async () => {
    const dir = stateDir();
    const t = io({ STATE_DIR: dir });
    expect(await main(['status'], t.io)).toBe(0);
    expect(t.err).toEqual([]);
    const j = io({ STATE_DIR: dir });
    expect(await main(['status', '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.out.join(''))).toMatchObject({ streams: [], gaps: 0 });
  });

  it('a damaged gap ledger: one line naming the file, exit 2', async () => {
    const dir = stateDir();
    writeFileSync(path.join(dir, 'gaps.jsonl'), `{"module":"aliyun"\nnot json at all\n{"x":1}\n`);
    const t = io({ STATE_DIR: dir });
    expect(await main(['status'], t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(/gaps\.jsonl/);
    expect(t.err[0]).not.toMatch(/\n|at Object|SyntaxError/);
  });

  it('a damaged checkpoint file: one line naming the file, exit 2', async () => {
    const dir = stateDir();
    writeFileSync(path.join(dir, 'aliyun-default-DescribeDomainSrcTrafficData.state.jsonl'), 'null\n{"finalEndSec": "soon"}\n');
    const t = io({ STATE_DIR: dir });
    const code = await main(['status'], t.io);
    expect(code).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(/aliyun-default-DescribeDomainSrcTrafficData\.state\.jsonl/);
  });
});
