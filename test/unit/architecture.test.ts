/** The import direction the design relies on, and the contract every vendor adapter keeps. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAliyunAdapter } from '../../src/vendors/aliyun/index.js';
import { createHuaweiAdapter } from '../../src/vendors/huawei/index.js';
import { createTencentAdapter } from '../../src/vendors/tencent/index.js';
import type { VendorAdapter } from '../../src/vendors/types.js';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => path.relative(SRC, path.resolve(path.dirname(file), m[1]!)));
}

describe('import direction', () => {
  it('the core knows no vendor; adapters reach the core only for its types, errors and window maths', () => {
    for (const f of files(path.join(SRC, 'core'))) for (const i of imports(f)) expect(i, `${f} imports ${i}`).not.toMatch(/^vendors\/(aliyun|tencent|huawei)\//);
    // registry.ts is where configuration becomes adapters: it may read the config schema.
    for (const f of files(path.join(SRC, 'vendors')).filter((x) => !x.endsWith('registry.ts'))) {
      for (const i of imports(f)) expect(i, `${f} imports ${i}`).toMatch(/^(vendors\/|metrics\/schema|state\/store|core\/(window|errors)\.js)/);
    }
  });

  it('only main.ts and cli.ts read process.env or exit', () => {
    for (const f of files(SRC)) {
      if (/\/(main|cli)\.ts$/.test(f)) continue;
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/process\.env|process\.exit/);
    }
  });

  it('time is read through the Clock', () => {
    for (const f of files(SRC)) {
      if (/\/(main|cli|core\/clock)\.ts$/.test(f)) continue;
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/Date\.now\(\)|new Date\(\)|performance\.now\(\)/);
    }
  });
});

const adapters: VendorAdapter[] = [
  createAliyunAdapter({ endpoint: 'https://cdn.aliyuncs.com', accessKeyId: 'ak', domains: ['a.example.com'], apis: ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'], signatureVersion: 'acs3', ratePerSec: {}, realTimeSettleMs: 300_000, srcTrafficSettleMs: 900_000 }),
  createTencentAdapter({ endpoint: 'https://cdn.tencentcloudapi.com', secretId: 'id', domains: ['a.example.com'], metrics: ['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx'], interval: '5min', area: 'mainland', ratePerSec: 20, settleMs: 600_000 }),
  createHuaweiAdapter({ endpoint: 'https://live.cn-north-4.myhuaweicloud.com', ak: 'ak', projectId: 'p', domains: ['a.example.com'], apis: ['stats/traffic/detail', 'stream/traffic'], ratePerSec: 10, settleMs: 10_800_000 }),
];

describe.each(adapters.map((a) => [a.vendor, a] as const))('adapter contract: %s', (_v, a) => {
  const ctx = { nowMs: Date.parse('2026-11-20T10:00:00Z'), nonce: 'fixed-nonce', credentials: { accessKeyId: 'ak', accessKeySecret: 'sk', secretId: 'id', secretKey: 'sk', ak: 'ak', sk: 'sk', projectId: 'p' } };
  const window = { fromSec: Date.parse('2026-11-20T08:00:00Z') / 1000, toSec: Date.parse('2026-11-20T09:00:00Z') / 1000, granularitySec: 0 };

  it('every stream has a cadence, a rate and span limits that are whole buckets', () => {
    expect(a.streams.length).toBeGreaterThan(0);
    for (const s of a.streams) {
      expect(s.cadenceSec).toBeGreaterThan(0);
      expect(a.rateLimit(s.rateKey)).toBeGreaterThan(0);
      for (const t of s.rules.tiers) expect(t.maxSpanSec % t.granularitySec).toBe(0);
    }
  });

  it('building a request is pure: the same inputs give the same request', () => {
    for (const s of a.streams) {
      const call = { stream: s, domains: ['a.example.com'], window: { ...window, granularitySec: s.rules.tiers[0].granularitySec } };
      expect(a.buildCall(call, ctx)).toEqual(a.buildCall(call, ctx));
    }
    expect(a.discovery.buildPage(0, ctx)).toEqual(a.discovery.buildPage(0, ctx));
  });

  it('answers it cannot use become errors, never exceptions, never samples', () => {
    for (const s of a.streams) {
      const call = { stream: s, domains: ['a.example.com'], window: { ...window, granularitySec: s.rules.tiers[0].granularitySec } };
      for (const res of [
        { status: 200, headers: {}, body: 'not json' },
        { status: 200, headers: {}, body: '[]' },
        { status: 502, headers: {}, body: '<html>Bad Gateway</html>' },
        { status: 400, headers: {}, body: '{}' },
      ]) {
        const out = a.parseCall(call, res);
        expect(out.ok && out.samples.length, JSON.stringify(res)).toBeFalsy();
      }
      const gateway = a.parseCall(call, { status: 502, headers: {}, body: '<html>Bad Gateway</html>' });
      expect(gateway).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    }
    for (const res of [{ status: 200, headers: {}, body: 'nope' }, { status: 500, headers: {}, body: '' }]) expect(a.discovery.parsePage(0, res).ok).toBe(false);
  });
});
