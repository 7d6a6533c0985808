import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/config/schema.js';
import { main, type Io } from '../../src/main.js';

function io(env: Record<string, string> = {}, over: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = {
    env,
    stdout: (t) => out.push(t),
    stderr: (l) => err.push(l),
    stderrRaw: (l) => err.push(l),
    stopRequested: new Promise(() => {}),
    pid: 4242,
    isAlive: () => false,
    isTty: false,
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

const aliyunOn = { vendors: { aliyun: { enabled: true } }, influx: { apiVersion: 1 } };
const aliyunEnv = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's3cr3t-value' };

describe('check-config', () => {
  it('valid: exit 0, the merged config printed with every secret masked', async () => {
    const t = io({ ...aliyunEnv, INFLUX_TOKEN: 'tok-123456', INFLUX_API_VERSION: '1' });
    expect(await main(['check-config', '--config', file(aliyunOn)], t.io)).toBe(0);
    const text = t.out.join('');
    expect(JSON.parse(text).vendors.aliyun.accessKeyId).toBe('LTAIexample');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('tok-123456');
    expect(t.err).toEqual([]);
  });

  it('every problem on its own line naming its key, exit 2', async () => {
    const t = io({ INFLUX_API_VERSION: '3' });
    const f = file({ vendors: { aliyun: { enabled: true, apis: ['Nope'] }, tencent: { interval: 'week' } }, collect: { concurrency: -1 }, bogus: 1 });
    expect(await main(['check-config', '--config', f], t.io)).toBe(2);
    const all = t.err.join('\n');
    expect(all).toMatch(/influx\.apiVersion/);
    expect(all).toMatch(/vendors\.aliyun\.apis/);
    expect(all).toMatch(/vendors\.tencent\.interval/);
    expect(all).toMatch(/collect\.concurrency/);
    expect(all).toMatch(/bogus: not a known configuration key/);
    expect(all).not.toMatch(/\n\s+at /);
  });

  it('an enabled vendor without credentials is a configuration error', async () => {
    const t = io();
    expect(await main(['check-config', '--config', file(aliyunOn)], t.io)).toBe(2);
    expect(t.err).toEqual([expect.stringMatching(/^vendors\.aliyun\.accessKeyId: required/), expect.stringMatching(/^vendors\.aliyun\.accessKeySecret: required/)]);
  });

  it('apiVersion 2 needs org and token', async () => {
    const t = io(aliyunEnv);
    expect(await main(['check-config', '--config', file({ vendors: { aliyun: { enabled: true } } })], t.io)).toBe(2);
    expect(t.err.join('\n')).toMatch(/influx\.org: required/);
  });

  it('a file that is not JSON: one line, exit 2', async () => {
    const t = io(aliyunEnv);
    expect(await main(['check-config', '--config', file('{ nope')], t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(/is not valid JSON/);
  });

  it('env vars override files; later files override earlier ones; INFLUX_API_VERSION is parsed', async () => {
    const t = io({ ...aliyunEnv, INFLUX_URL: 'http://envhost:8086', INFLUX_API_VERSION: '1' });
    const a = file({ ...aliyunOn, influx: { url: 'http://file1:8086', database: 'one' } });
    const b = file({ influx: { database: 'two' } });
    expect(await main(['check-config', '--config', a, '--config', b], t.io)).toBe(0);
    const c = JSON.parse(t.out.join(''));
    expect(c.influx.url).toBe('http://envhost:8086');
    expect(c.influx.database).toBe('two');
    expect(c.influx.apiVersion).toBe(1);
  });

  it('secrets from *_FILE, without the trailing newline; an unreadable one names its variable', async () => {
    const secret = file('from-file-secret\n', 'secret');
    const t = io({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx', ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE: secret, INFLUX_API_VERSION: '1' });
    expect(await main(['check-config', '--config', file(aliyunOn)], t.io)).toBe(0);
    const t2 = io({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx', ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE: '/nonexistent/secret' });
    expect(await main(['check-config', '--config', file(aliyunOn)], t2.io)).toBe(2);
    expect(t2.err[0]).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE \/nonexistent\/secret/);
  });

  it('config/default.json holds exactly the schema defaults', () => {
    const shipped = JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(buildSchema({}).getProperties());
  });
});

describe('usage errors: one line, exit 2, before any network call', () => {
  it.each([
    [['frobnicate'], /unknown command/],
    [['once', '--vendor', 'akamai'], /--vendor "akamai"/],
    [['backfill', '--from', 'yesterday', '--to', '2026-11-20T00:00:00Z'], /--from "yesterday" is not an ISO 8601 time/],
    [['backfill', '--from', '2026-11-20T00:00:00', '--to', '2026-11-21T00:00:00Z'], /with a zone/],
    [['backfill', '--from', '2026-11-21T00:00:00Z', '--to', '2026-11-20T00:00:00Z'], /earlier than --to/],
    [['backfill', '--to', '2026-11-20T00:00:00Z'], /--from is required/],
    [['once', '--bogus'], /usage: Unknown option/],
  ])('%j', async (args, re) => {
    const t = io(aliyunEnv);
    expect(await main(args, t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(re);
  });

  it('--help exits 0 and prints usage', async () => {
    const t = io();
    expect(await main(['--help'], t.io)).toBe(0);
    expect(t.out.join('')).toMatch(/backfill/);
  });

  it('--vendor naming a disabled vendor', async () => {
    const t = io(aliyunEnv);
    expect(await main(['once', '--vendor', 'tencent', '--config', file(aliyunOn)], t.io)).toBe(2);
    expect(t.err[0]).toMatch(/vendors\.tencent\.enabled is false/);
  });
});

describe('one process per state dir', () => {
  it('a second one exits 2 with a clear message; a lock left by a dead process is taken over', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lock-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '.lock'), '999999');
    const cfg = file({ ...aliyunOn, state: { dir }, vendors: { aliyun: { enabled: true, endpoint: 'http://127.0.0.1:9', domains: ['a.example.com'] } }, collect: { retryMaxAttempts: 1, requestTimeoutMs: 500 }, log: { level: 'silent' } });
    const live = io(aliyunEnv, { isAlive: (pid) => pid === 999999 });
    expect(await main(['once', '--config', cfg], live.io)).toBe(2);
    expect(live.err[0]).toMatch(/in use by another collector \(pid 999999\)/);
    const dead = io(aliyunEnv, { isAlive: () => false });
    // Takes the lock over, then fails to reach the (closed) vendor port: exit 1, not 2.
    expect(await main(['once', '--config', cfg], dead.io)).toBe(1);
    expect(dead.err.join('\n')).toMatch(/aliyun DescribeDomain\w+ a\.example\.com: ECONNREFUSED/);
  });
});

describe('checkpoint files', () => {
  it('are replaced atomically and read back; a temp file left by a crash is cleared with the lock', async () => {
    const { FileStateStore, acquireStateLock } = await import('../../src/state/store.js');
    const { readdirSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'state-'));
    writeFileSync(path.join(dir, 'aliyun-abc-X.json.123.tmp'), '{"half');
    const release = await acquireStateLock(dir, 1, () => false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const store = new FileStateStore(dir);
    const state = new Map([['a.example.com', { finalEndSec: 1_790_000_000, tail: new Map([['traffic_bytes|60|1790000060', 42.5]]) }]]);
    await store.save('aliyun', 'abc', 'DescribeDomainSrcTrafficData', state);
    expect(await store.load('aliyun', 'abc', 'DescribeDomainSrcTrafficData')).toEqual(state);
    expect(readdirSync(dir).sort()).toEqual(['.lock', 'aliyun-abc-DescribeDomainSrcTrafficData.json']);
    await release();
    expect(readdirSync(dir)).toEqual(['aliyun-abc-DescribeDomainSrcTrafficData.json']);
  });
});
