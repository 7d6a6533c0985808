/**
 * The layering the design relies on, as prohibitions (nothing here whitelists a file), and the
 * contract every vendor module in the registry keeps.
 *
 *   kernel ← ports ← core ; kernel ← vendors ; kernel + ports ← sink, state, http, status ; kernel ← config
 *   main.ts composes them all; cli.ts only runs main.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isKeySpec } from '../../src/config/schema.js';
import { unitOf } from '../../src/kernel/schema.js';
import type { AccountConfig, CallSpec, KeySpec, VendorModule } from '../../src/kernel/vendor.js';
import { MODULES } from '../../src/vendors/registry.js';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const ALL = files(SRC).map((f) => path.relative(SRC, f));

/** Every module specifier of a file: static imports and re-exports (also multi-line), side-effect and dynamic imports. */
function specifiers(rel: string): string[] {
  const text = readFileSync(path.join(SRC, rel), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const re of [/\bfrom\s+['"]([^'"]+)['"]/g, /^\s*import\s+['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g]) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

interface Dep {
  readonly spec: string;
  /** Path relative to src/ (`.ts`), for relative imports. */
  readonly target?: string;
  readonly builtin: boolean;
  readonly pkg: boolean;
}

function deps(rel: string): Dep[] {
  return specifiers(rel).map((spec) => {
    if (spec.startsWith('.')) return { spec, target: path.relative(SRC, path.resolve(SRC, path.dirname(rel), spec)).replace(/\.js$/, '.ts'), builtin: false, pkg: false };
    return { spec, builtin: spec.startsWith('node:'), pkg: !spec.startsWith('node:') };
  });
}

const inDir = (rel: string, dir: string) => rel.startsWith(`${dir}/`);
const under = (dir: string) => ALL.filter((f) => inDir(f, dir));

function violations(sources: string[], allowed: (from: string, d: Dep) => boolean): string[] {
  return sources.flatMap((f) => deps(f).filter((d) => !allowed(f, d)).map((d) => `${f} imports ${d.target ?? d.spec}`));
}

describe('import direction', () => {
  it('finds the layers it is about', () => {
    for (const d of ['kernel', 'core', 'vendors', 'sink', 'state', 'http', 'status', 'config']) expect(under(d).length, d).toBeGreaterThan(0);
    expect(ALL).toContain('ports.ts');
    // The parser sees multi-line imports and re-exports.
    expect(deps('main.ts').some((d) => d.target === 'core/runner.ts')).toBe(true);
    expect(deps('kernel/vendor.ts').some((d) => d.target === 'kernel/http.ts')).toBe(true);
  });

  it('src/kernel imports nothing but itself: no other folder, no node: module, no package', () => {
    expect(violations(under('kernel'), (_f, d) => d.target !== undefined && inDir(d.target, 'kernel'))).toEqual([]);
  });

  it('src/ports.ts imports only the kernel', () => {
    expect(violations(['ports.ts'], (_f, d) => d.target !== undefined && inDir(d.target, 'kernel'))).toEqual([]);
  });

  it('a vendor imports only the kernel, vendors/encode.ts and its own folder (huaweicdn shares the APIG signer); no I/O modules', () => {
    const io = /^node:(fs|fs\/promises|net|http|https|http2|dgram|child_process|timers|timers\/promises|worker_threads|os|process)$/;
    const allowed = (f: string, d: Dep) => {
      if (d.builtin) return !io.test(d.spec);
      if (d.pkg || !d.target) return false;
      if (inDir(d.target, 'kernel') || d.target === 'vendors/encode.ts') return true;
      const own = f.split('/')[1]!;
      if (inDir(d.target, `vendors/${own}`)) return true;
      return own === 'huaweicdn' && d.target === 'vendors/huawei/sign.ts';
    };
    const vendorFiles = under('vendors').filter((f) => f !== 'vendors/registry.ts');
    expect(violations(vendorFiles, allowed)).toEqual([]);
    // The registry lists modules: each vendor's index and the kernel's module type.
    expect(violations(['vendors/registry.ts'], (_f, d) => d.target !== undefined && (inDir(d.target, 'kernel') || /^vendors\/[a-z0-9]+\/index\.ts$/.test(d.target)))).toEqual([]);
  });

  it.each(['sink', 'state', 'http', 'status'])('%s/ imports only the kernel, the ports and its own folder (and node: modules, packages)', (dir) => {
    expect(violations(under(dir), (_f, d) => !d.target || inDir(d.target, 'kernel') || d.target === 'ports.ts' || inDir(d.target, dir))).toEqual([]);
  });

  it('config/ imports only the kernel and its own folder', () => {
    expect(violations(under('config'), (_f, d) => !d.target || inDir(d.target, 'kernel') || inDir(d.target, 'config'))).toEqual([]);
  });

  it('core/ imports only the kernel, the ports and the core: no vendor, sink, state, http, status or config', () => {
    expect(violations(under('core'), (_f, d) => !d.target || inDir(d.target, 'kernel') || d.target === 'ports.ts' || inDir(d.target, 'core'))).toEqual([]);
  });

  it('only main.ts composes: no other file outside a layer reaches into the layers', () => {
    const top = ALL.filter((f) => !f.includes('/') && !['main.ts', 'cli.ts'].includes(f));
    expect(violations(top, (_f, d) => !d.target || inDir(d.target, 'kernel'))).toEqual([]);
    // Nothing imports main.ts or cli.ts but the executable.
    expect(ALL.flatMap((f) => deps(f).filter((d) => d.target === 'main.ts' && f !== 'cli.ts').map(() => f))).toEqual([]);
    expect(ALL.flatMap((f) => deps(f).filter((d) => d.target === 'cli.ts').map(() => f))).toEqual([]);
  });

  // Violation found in src/: cli.ts imports state/lock.js (readHostIdentity) instead of main.ts doing it;
  // see the report. Flip to it() once fixed.
  it('cli.ts imports only main.ts (and node: modules)', () => {
    expect(violations(['cli.ts'], (_f, d) => d.builtin || d.target === 'main.ts')).toEqual([]);
  });
});

describe('process and time', () => {
  const code = (f: string) => readFileSync(path.join(SRC, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/^\s*\*.*$/gm, '');

  it('only main.ts and cli.ts read process.env or argv, or exit', () => {
    const bad = ALL.filter((f) => !['main.ts', 'cli.ts'].includes(f) && /process\s*\.\s*(env|exit|argv|exitCode)\b|process\[['"](env|exit)/.test(code(f)));
    expect(bad).toEqual([]);
  });

  it('time only through the Clock: no Date.now(), new Date() or performance.now() outside the system clock, main and cli', () => {
    const bad = ALL.filter((f) => !['core/system-clock.ts', 'main.ts', 'cli.ts'].includes(f) && /Date\.now\s*\(|new\s+Date\s*\(\s*\)|performance\.now\s*\(|hrtime/.test(code(f)));
    expect(bad).toEqual([]);
  });

  it('no module-level mutable singletons in the core and the vendors', () => {
    const bad = [...under('core'), ...under('vendors'), ...under('kernel')].filter((f) => /^(export\s+)?let\s+/m.test(code(f)));
    expect(bad).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The vendor module contract.

function defaultsOf(m: VendorModule): Record<string, unknown> {
  const out: Record<string, unknown> = { enabled: true, domains: [], accounts: [] };
  for (const [k, v] of Object.entries(m.config)) out[k] = isKeySpec(v) ? v.default : Object.fromEntries(Object.entries(v).map(([kk, s]) => [kk, s.default]));
  return out;
}

function keySpecs(m: VendorModule): [string, KeySpec][] {
  return Object.entries(m.config).flatMap(([k, v]) => (isKeySpec(v) ? [[k, v] as [string, KeySpec]] : Object.entries(v).map(([kk, s]) => [`${k}.${kk}`, s] as [string, KeySpec])));
}

function accountOf(m: VendorModule): AccountConfig {
  const values: Record<string, unknown> = {};
  for (const [k, s] of keySpecs(m)) if (s.credential || s.perAccount) values[k] = s.credential ? `test-${k}` : s.default;
  return { name: 'default', domains: ['a.example.com', 'b.example.com'], values };
}

const T0 = Date.parse('2026-11-20T10:00:00Z');

describe.each(MODULES.map((m) => [m.id, m] as const))('vendor module %s', (_id, m) => {
  afterEach(() => vi.useRealTimers());
  const settings = defaultsOf(m);
  const account = accountOf(m);

  it('declares every config key with a doc, a format and a default; ids and env names are well-formed', () => {
    expect(m.id).toMatch(/^[a-z][a-z0-9]*$/);
    expect(m.vendor).toMatch(/^[a-z][a-z0-9]*$/);
    expect(m.title.length).toBeGreaterThan(3);
    expect(m.domainsDoc.length).toBeGreaterThan(10);
    if (m.domainsEnv) expect(m.domainsEnv).toMatch(/^[A-Z][A-Z0-9_]*_DOMAINS$/);
    for (const [k, s] of keySpecs(m)) {
      expect(s.doc.trim().length, `${m.id}.${k}.doc`).toBeGreaterThan(5);
      expect(s.format, `${m.id}.${k}.format`).toBeDefined();
      expect(s.default, `${m.id}.${k}.default`).not.toBeUndefined();
      if (s.env) expect(s.env, `${m.id}.${k}.env`).toMatch(/^[A-Z][A-Z0-9_]*$/);
      if (s.secret) expect(s.default, `${m.id}.${k}: a secret has no default value`).toBe('');
      if (s.secret) expect(s.credential, `${m.id}.${k}: a secret is a credential (so accounts and redaction know it)`).toBe(true);
    }
    for (const k of ['enabled', 'domains', 'accounts']) expect(Object.keys(m.config)).not.toContain(k);
  });

  it('declares its credentials: at least one required, at least one secret', () => {
    const creds = keySpecs(m).filter(([, s]) => s.credential);
    expect(creds.filter(([, s]) => !s.optional).length).toBeGreaterThan(0);
    expect(creds.filter(([, s]) => s.secret).length).toBeGreaterThan(0);
  });

  it('its defaults validate clean; validate returns problems as "key: message", never throws', () => {
    expect(m.validate(settings, account)).toEqual([]);
    const garbage = Object.fromEntries(Object.keys(settings).map((k) => [k, { nonsense: true }]));
    let problems: string[] = [];
    expect(() => (problems = m.validate(garbage, account))).not.toThrow();
    for (const p of problems) expect(p).toMatch(/^[A-Za-z][\w.[\]]*: \S/);
  });

  it('createAdapter: streams with cadences, rates, whole-bucket spans, metrics with units, a discovery', () => {
    const a = m.createAdapter(settings, account);
    expect(a.module).toBe(m.id);
    expect(a.vendor).toBe(m.vendor);
    expect(a.account).toBe('default');
    expect(a.configuredDomains).toEqual(['a.example.com', 'b.example.com']);
    expect(a.streams.length).toBeGreaterThan(0);
    expect(new Set(a.streams.map((s) => `${s.id}|${s.area ?? ''}`)).size).toBe(a.streams.length);
    for (const s of a.streams) {
      expect(s.cadenceSec, s.id).toBeGreaterThan(0);
      expect(s.cadence.split(' ')).toHaveLength(5);
      expect(a.rateLimit(s.rateKey), s.id).toBeGreaterThan(0);
      expect(Number.isInteger(s.maxDomainsPerCall) && s.maxDomainsPerCall >= 1, s.id).toBe(true);
      expect(s.rules.settleSec, s.id).toBeGreaterThanOrEqual(0);
      expect(s.metrics.length, s.id).toBeGreaterThan(0);
      for (const metric of s.metrics) expect(unitOf(metric), `${s.id} ${metric}`).toBeDefined();
      for (const t of s.rules.tiers) {
        expect(t.maxSpanSec % t.granularitySec, `${s.id} span at ${t.granularitySec}`).toBe(0);
        expect(t.maxSpanSec).toBeGreaterThanOrEqual(t.granularitySec);
        expect(t.retentionSec).toBeGreaterThan(t.maxSpanSec > t.retentionSec ? 0 : 0);
      }
      // Tiers go from fine to coarse, each keeping at least as much history.
      for (let i = 1; i < s.rules.tiers.length; i++) {
        expect(s.rules.tiers[i]!.granularitySec).toBeGreaterThan(s.rules.tiers[i - 1]!.granularitySec);
        expect(s.rules.tiers[i]!.retentionSec).toBeGreaterThanOrEqual(s.rules.tiers[i - 1]!.retentionSec);
      }
    }
    expect(a.rateLimit(a.discovery.rateKey)).toBeGreaterThan(0);
  });

  const calls = () => {
    const a = m.createAdapter(settings, account);
    return a.streams.map((s) => {
      const g = s.rules.tiers[0].granularitySec;
      const off = s.rules.tiers[0].alignOffsetSec ?? 0;
      const to = Math.floor((T0 / 1000 - off) / g) * g + off;
      const call: CallSpec = { stream: s, domains: ['a.example.com'].concat(s.maxDomainsPerCall > 1 ? ['b.example.com'] : []), window: { fromSec: to - g * Math.min(4, s.rules.tiers[0].maxSpanSec / g), toSec: to, granularitySec: g, ...(off ? { alignOffsetSec: off } : {}) }, finalBeforeSec: to };
      return { a, s, call };
    });
  };
  const ctx = { nowMs: T0, nonce: 'fixed-nonce', credentials: accountOf(m).values as Record<string, string> };

  it('buildCall is pure: the same inputs give the same request whatever the wall clock, and the call is not changed', () => {
    vi.useFakeTimers();
    for (const { s, call } of calls()) {
      const before = JSON.stringify({ ...call, stream: s.id });
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      const one = s.buildCall(call, ctx);
      vi.setSystemTime(new Date('2031-06-01T12:34:56Z'));
      const two = s.buildCall(call, ctx);
      expect(two, s.id).toEqual(one);
      expect(JSON.stringify({ ...call, stream: s.id })).toBe(before);
      expect(one.url).toMatch(/^https?:\/\//);
      // The signature depends on the time it is given.
      expect(s.buildCall(call, { ...ctx, nowMs: T0 + 3_600_000 }), s.id).not.toEqual(one);
    }
    const d = m.createAdapter(settings, account).discovery;
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const p1 = d.buildPage(0, ctx);
    vi.setSystemTime(new Date('2031-01-01T00:00:00Z'));
    expect(d.buildPage(0, ctx)).toEqual(p1);
  });

  const GARBAGE: [number, string][] = [
    [200, ''],
    [200, 'not json'],
    [200, 'null'],
    [200, '[]'],
    [200, '{}'],
    [200, '"a string"'],
    [200, '42'],
    [200, '{"data": null, "result": null, "Response": null}'],
    [200, '{"Response": {}}'],
    [200, '{"Response": {"Data": "x"}}'],
    [200, '{"error": {"error_code": "X", "error_msg": "x"}}'],
    [200, '{"Code": "InternalError", "Message": "x"}'],
    [200, '{"' + 'a'.repeat(10_000) + '": [[[[[[[[[[]]]]]]]]]]}'],
    [200, '\u0000\u0001\u00ff'],
    [400, '{}'],
    [401, '<html>401</html>'],
    [403, 'Forbidden'],
    [429, ''],
    [500, '<html>\n<body>boom</body>\n</html>'],
    [502, '<html>Bad Gateway</html>'],
    [503, '{"Response": {"Error": {"Code": "InternalError"}}}'],
  ];

  it('parseCall turns garbage into errors with a kind, never exceptions, never samples', () => {
    for (const { s, call } of calls()) {
      for (const [status, body] of GARBAGE) {
        let out;
        expect(() => (out = s.parseCall(call, { status, headers: {}, body })), `${s.id} ${status} ${body.slice(0, 40)}`).not.toThrow();
        expect(out, `${s.id} ${status} ${body.slice(0, 40)}`).toMatchObject({ ok: false, error: { kind: expect.stringMatching(/^(throttled|unavailable|timeout|malformed|auth|clock|invalid|not_found)$/), vendorCode: expect.any(String) } });
      }
      expect(s.parseCall(call, { status: 502, headers: {}, body: '<html>Bad Gateway</html>' }), s.id).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
      expect(s.parseCall(call, { status: 200, headers: {}, body: '{}' }), s.id).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    }
  });

  it('discovery parsePage turns garbage into errors, never exceptions', () => {
    const d = m.createAdapter(settings, account).discovery;
    for (const [status, body] of GARBAGE.filter(([, b]) => b !== 'null')) {
      let out;
      expect(() => (out = d.parsePage(0, { status, headers: {}, body }))).not.toThrow();
      expect(out, `${status} ${body.slice(0, 40)}`).toMatchObject({ ok: false });
    }
  });

  it('discovery parsePage: a JSON null body is an error, not an exception', () => {
    const d = m.createAdapter(settings, account).discovery;
    let out;
    expect(() => (out = d.parsePage(0, { status: 200, headers: {}, body: 'null' }))).not.toThrow();
    expect(out).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });
});
