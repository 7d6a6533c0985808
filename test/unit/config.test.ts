import { describe, expect, it } from 'vitest';
import { jsonErrorPosition, redactUrl } from '../../src/config/json.js';
import { loadConfig } from '../../src/config/load.js';
import { MODULES } from '../../src/vendors/registry.js';

const SECRET = 'Zq9-very-secret-4711';
const SECRET2 = 'Kx7-other-secret-0815';
const TOKEN = 'tok-influx-31337';

function load(files: Record<string, unknown>, env: Record<string, string> = {}) {
  const texts = new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return loadConfig({
    files: [...texts.keys()].filter((f) => !f.startsWith('secret:')),
    env,
    modules: MODULES,
    readFile: (p) => {
      const t = texts.get(p);
      if (t === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      return t;
    },
  });
}
const base = { influx: { apiVersion: 1 } };
const aliyunEnv = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample', ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET };
const noSecrets = (text: string) => {
  for (const s of [SECRET, SECRET2, TOKEN]) {
    expect(text).not.toContain(s);
    expect(text).not.toContain(s.slice(0, 8));
  }
};

describe('values are validated, not coerced', () => {
  it.each([
    ['"enabled": "no"', { vendors: { aliyun: { enabled: 'no' } } }, /^vendors\.aliyun\.enabled: must be true or false/],
    ['"enabled": 1', { vendors: { tencent: { enabled: 1 } } }, /^vendors\.tencent\.enabled: must be true or false/],
    ['initialLookbackMs 1e30', { collect: { initialLookbackMs: 1e30 } }, /^collect\.initialLookbackMs: must be a whole number from 1 to/],
    ['initialLookbackMs 0', { collect: { initialLookbackMs: 0 } }, /^collect\.initialLookbackMs: must be a whole number/],
    ['giveUpAfterMs 1.5', { collect: { giveUpAfterMs: 1.5 } }, /^collect\.giveUpAfterMs: must be a whole number/],
    ['concurrency "8"', { collect: { concurrency: '8' } }, /^collect\.concurrency: must be a whole number/],
    ['a rate of 0', { vendors: { aliyun: { ratePerSec: { DescribeUserDomains: 0 } } } }, /^vendors\.aliyun\.ratePerSec\.DescribeUserDomains: must be a number above 0/],
    ['a domain that is not one', { vendors: { aliyun: { domains: ['a b'] } } }, /^vendors\.aliyun\.domains: "a b" is not a domain name/],
    ['a URL that is not http', { influx: { url: 'ftp://x' } }, /^influx\.url: must be an http/],
    ['an unknown key', { collect: { bogus: 1 } }, /^collect\.bogus: not a known configuration key/],
  ])('%s is refused, naming the key', (_n, obj, re) => {
    const l = load({ 'c.json': obj }, aliyunEnv);
    expect(l.problems).toContainEqual(expect.stringMatching(re));
  });

  it.each([
    ['HTTP_PORT', 'eighty', /^http\.port: env HTTP_PORT must be a number/],
    ['SHARD_COUNT', '1e3', /^shard\.count: /],
    ['INFLUX_API_VERSION', '3', /^influx\.apiVersion: /],
  ])('env %s=%s is refused', (k, v, re) => {
    expect(load({ 'c.json': { ...base, vendors: { aliyun: { enabled: true } } } }, { ...aliyunEnv, [k]: v }).problems).toContainEqual(expect.stringMatching(re));
  });

  // BUG src/config/load.ts applyEnv: it takes the type from schema.get(key), which convict has already
  // set to the raw env string (convict applies `env` itself), so lists and custom-format numbers stay strings.
  it('env numbers of the collector\'s own formats are read as numbers (SHARD_COUNT=3, SHARD_INDEX=1)', () => {
    const l = load({ 'c.json': { ...base, vendors: { aliyun: { enabled: true } } } }, { ...aliyunEnv, SHARD_COUNT: '3', SHARD_INDEX: '1' });
    expect(l.problems).toEqual([]);
    expect(l.config.shard).toEqual({ count: 3, index: 1 });
  });

  it('env *_DOMAINS is a comma list; an empty string is the empty list (discovery)', () => {
    const on = { 'c.json': { ...base, vendors: { aliyun: { enabled: true, domains: ['file.example.com'] } } } };
    expect(load(on, { ...aliyunEnv, ALIYUN_DOMAINS: 'a.example.com, b.example.com,,' }).vendors[0]!.accounts[0]!.domains).toEqual(['a.example.com', 'b.example.com']);
    const empty = load(on, { ...aliyunEnv, ALIYUN_DOMAINS: '' });
    expect(empty.problems).toEqual([]);
    expect(empty.vendors[0]!.accounts[0]!.domains).toEqual([]);
    expect(load(on, aliyunEnv).vendors[0]!.accounts[0]!.domains).toEqual(['file.example.com']);
  });
});

describe('accounts', () => {
  const acc = (accounts: unknown[], top: Record<string, unknown> = {}) => ({ 'c.json': { ...base, vendors: { aliyun: { enabled: true, accounts, ...top } } }, 'secret:k': `${SECRET2}\n` });

  it('each account with its own credentials, domains and name; a secret from <key>File without its newline', () => {
    const l = load(acc([{ name: 'prod', accessKeyId: 'AK1', accessKeySecret: SECRET, domains: ['a.example.com'] }, { name: 'staging_2', accessKeyId: 'AK2', accessKeySecretFile: 'secret:k' }]));
    expect(l.problems).toEqual([]);
    expect(l.vendors[0]!.accounts.map((a) => [a.name, a.domains, a.values.accessKeyId, a.values.accessKeySecret])).toEqual([
      ['prod', ['a.example.com'], 'AK1', SECRET],
      ['staging_2', [], 'AK2', SECRET2],
    ]);
  });

  it('without accounts, the top-level credentials form the account "default"', () => {
    const l = load({ 'c.json': { ...base, vendors: { aliyun: { enabled: true } } } }, aliyunEnv);
    expect(l.vendors[0]!.accounts.map((a) => a.name)).toEqual(['default']);
  });

  it.each([
    ['a bad name', [{ name: 'a b', accessKeyId: 'x', accessKeySecret: SECRET }], {}, ['vendors.aliyun.accounts[0].name: must be 1-64 letters, digits, "-" or "_"']],
    ['no name', [{ accessKeyId: 'x', accessKeySecret: SECRET }], {}, ['vendors.aliyun.accounts[0].name: must be 1-64 letters, digits, "-" or "_"']],
    ['not an object', ['prod'], {}, ['vendors.aliyun.accounts[0]: must be an object with a name and credentials']],
    ['a duplicate', [{ name: 'p', accessKeyId: 'x', accessKeySecret: SECRET }, { name: 'p', accessKeyId: 'y', accessKeySecret: SECRET2 }], {}, ['vendors.aliyun.accounts[1] (account "p").name: used twice']],
    ['a missing secret', [{ name: 'p', accessKeyId: 'x' }], {}, ['vendors.aliyun.accounts[0] (account "p").accessKeySecret: required when vendors.aliyun.enabled']],
    ['an unreadable secret file', [{ name: 'p', accessKeyId: 'x', accessKeySecretFile: '/nope' }], {}, ['vendors.aliyun.accounts[0] (account "p").accessKeySecretFile: cannot read /nope: ENOENT', 'vendors.aliyun.accounts[0] (account "p").accessKeySecret: required when vendors.aliyun.enabled']],
    ['a secret and its file', [{ name: 'p', accessKeyId: 'x', accessKeySecret: SECRET, accessKeySecretFile: 'secret:k' }], {}, ['vendors.aliyun.accounts[0] (account "p").accessKeySecret: give either accessKeySecret or accessKeySecretFile, not both']],
    ['a secret that is not a string', [{ name: 'p', accessKeyId: 'x', accessKeySecret: 4711 }], {}, ['vendors.aliyun.accounts[0] (account "p").accessKeySecret: must be a string', 'vendors.aliyun.accounts[0] (account "p").accessKeySecret: required when vendors.aliyun.enabled']],
    ['an unknown key', [{ name: 'p', accessKeyId: 'x', accessKeySecret: SECRET, secrt: SECRET2 }], {}, [expect.stringMatching(/^vendors\.aliyun\.accounts\[0\] \(account "p"\)\.secrt: not a known account key/)]],
    ['bad domains', [{ name: 'p', accessKeyId: 'x', accessKeySecret: SECRET, domains: 'a.example.com' }], {}, ['vendors.aliyun.accounts[0] (account "p").domains: must be a list of domain names']],
    ['top-level credentials beside accounts', [{ name: 'p', accessKeyId: 'x', accessKeySecret: SECRET }], { accessKeySecret: SECRET2 }, [expect.stringMatching(/^vendors\.aliyun\.accessKeySecret: must be empty when vendors\.aliyun\.accounts is set/)]],
  ] as [string, unknown[], Record<string, unknown>, unknown[]][])('%s: one line naming the account, no secret', (_n, accounts, top, want) => {
    const l = load(acc(accounts, top));
    expect(l.problems).toEqual(want);
    noSecrets(l.problems.join('\n'));
  });

  it('the vendor validates each account: a Tencent account\'s bad area names the account', () => {
    const l = load({ 'c.json': { ...base, vendors: { tencent: { enabled: true, accounts: [{ name: 'cn', secretId: 'id', secretKey: SECRET, area: 'moon' }] } } } });
    expect(l.problems.length).toBeGreaterThan(0);
    for (const p of l.problems) expect(p).toMatch(/account "cn"|vendors\.tencent/);
    noSecrets(l.problems.join('\n'));
  });
});

describe('secrets never leave', () => {
  it('masked output: top-level, env, *_FILE and account secrets, and the URL userinfo', () => {
    const l = load(
      { 'c.json': { influx: { apiVersion: 2, org: 'o', url: `http://user:${SECRET2}@influx:8086` }, vendors: { aliyun: { enabled: true, accounts: [{ name: 'p', accessKeyId: 'AK1', accessKeySecret: SECRET }] }, tencent: { enabled: true } } }, 'secret:t': `${TOKEN}\n` },
      { INFLUX_TOKEN_FILE: 'secret:t', TENCENTCLOUD_SECRET_ID: 'id', TENCENTCLOUD_SECRET_KEY: SECRET2 },
    );
    expect(l.problems).toEqual([]);
    const text = l.masked();
    noSecrets(text);
    const m = JSON.parse(text);
    expect(m.vendors.aliyun.accounts[0].accessKeyId).toBe('AK1');
    expect(m.vendors.aliyun.accounts[0].accessKeySecret).toBe('[Sensitive]');
    expect(m.influx.url).toBe('http://influx:8086');
    expect(l.config.influx.token).toBe(TOKEN);
  });

  it('a wrongly typed secret is refused without quoting it', () => {
    const l = load({ 'c.json': { influx: { apiVersion: 1, password: 31337 }, vendors: { aliyun: { enabled: true, accessKeySecret: 4711, accessKeyId: 'x' } } } });
    expect(l.problems.join('\n')).toMatch(/influx\.password/);
    expect(l.problems.join('\n')).not.toMatch(/31337|4711/);
  });

  it('a config file with a JSON syntax error: file, line and column, never its content', () => {
    const text = `{\n  "influx": {\n    "password": "${SECRET}"\n    "url": "http://x"\n  }\n}\n`;
    const l = load({ '/etc/collector.json': text });
    expect(l.problems).toEqual(['config: /etc/collector.json is not valid JSON (line 4, column 5)']);
    noSecrets(l.problems.join('\n'));
  });

  it('an unreadable file names it and the error code only', () => {
    const l = loadConfig({ files: ['/missing.json'], env: {}, modules: MODULES, readFile: () => { throw Object.assign(new Error(`EACCES ${SECRET}`), { code: 'EACCES' }); } });
    expect(l.problems[0]).toBe('config: cannot read /missing.json: EACCES');
  });
});

describe('jsonErrorPosition', () => {
  it.each([
    ['{', 1, 2],
    ['{"a": 1,}', 1, 9],
    ['{"a": 1}\n}', 2, 1],
    ['{\n  "a": tru\n}', 2, 8],
    ['{"a": "x\ny"}', 1, 9],
    ['[1, 2\n, ]', 2, 3],
    ['', 1, 1],
    ['{"a": -}', 1, 7],
  ])('%j → line %i, column %i', (text, line, column) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorPosition(text)).toEqual({ line, column });
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://user:pass@host:8086/x', 'http://host:8086/x'],
    ['https://user:pass@host:8086/', 'https://host:8086/'],
    ['https://host:8086', 'https://host:8086'],
    ['http://:tok@host', 'http://host'],
    ['not a url //user:pw@host/x', 'not a url //host/x'],
  ])('%s → %s', (url, want) => {
    expect(redactUrl(url)).toBe(want);
  });
});
