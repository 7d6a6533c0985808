/**
 * Configuration that is wrong rather than absent: validated, not coerced (issue 8, "What must hold"
 * 7 and 8; CONTRACT.md `check-config`). Each gets exit 2 and one line naming the key, before any
 * network call; a syntax error names the file, line and column and never quotes the content.
 */
import type { Case, CaseContext } from '../types.js';

interface C {
  readonly name: string;
  readonly config?: Record<string, unknown>;
  readonly raw?: (ctx: CaseContext) => string;
  readonly env?: (ctx: CaseContext) => Record<string, string>;
  readonly key: RegExp;
  readonly command?: string[];
}

const al = (o: Record<string, unknown>) => ({ vendors: { aliyun: o } });
const acct = (o: Record<string, unknown>) => al({ accounts: [{ name: 'main', accessKeyId: 'LTAI5tCorpusMain0001', accessKeySecret: 'x-not-the-secret', ...o }] });

const CASES: C[] = [
  { name: '"enabled": "no"', config: al({ enabled: 'no' }), key: /vendors\.aliyun\.enabled/ },
  { name: '"enabled": "yes"', config: al({ enabled: 'yes' }), key: /vendors\.aliyun\.enabled/ },
  { name: '"enabled": "true" (a string)', config: al({ enabled: 'true' }), key: /vendors\.aliyun\.enabled/ },
  { name: '"enabled": 1', config: al({ enabled: 1 }), key: /vendors\.aliyun\.enabled/ },
  { name: 'initialLookbackMs 1e30', config: { collect: { initialLookbackMs: 1e30 } }, key: /collect\.initialLookbackMs/ },
  { name: 'initialLookbackMs -1', config: { collect: { initialLookbackMs: -1 } }, key: /collect\.initialLookbackMs/ },
  { name: 'initialLookbackMs "1h"', config: { collect: { initialLookbackMs: '1h' } }, key: /collect\.initialLookbackMs/ },
  { name: 'retryMaxAttempts 0', config: { collect: { retryMaxAttempts: 0 } }, key: /collect\.retryMaxAttempts/ },
  { name: 'retryMaxAttempts 1.5', config: { collect: { retryMaxAttempts: 1.5 } }, key: /collect\.retryMaxAttempts/ },
  { name: 'giveUpAfterMs -5', config: { collect: { giveUpAfterMs: -5 } }, key: /collect\.giveUpAfterMs/ },
  { name: 'requestTimeoutMs 0', config: { collect: { requestTimeoutMs: 0 } }, key: /collect\.requestTimeoutMs/ },
  { name: 'maxResponseBytes 1e30', config: { collect: { maxResponseBytes: 1e30 } }, key: /collect\.maxResponseBytes/ },
  { name: 'writeRetryMaxMs 1e30', config: { influx: { writeRetryMaxMs: 1e30 } }, key: /influx\.writeRetryMaxMs/ },
  { name: 'batchSize 0', config: { influx: { batchSize: 0 } }, key: /influx\.batchSize/ },
  { name: 'shard.index 3 of count 2', config: { shard: { count: 2, index: 3 } }, key: /shard\.index/ },
  { name: 'http.port 70000', config: { http: { port: 70000 } }, key: /http\.port/ },
  { name: 'unknown top-level key "infux"', config: { infux: { url: 'http://127.0.0.1:1' } }, key: /infux/ },
  { name: 'unknown vendor key "domian"', config: al({ domian: ['a.example.com'] }), key: /vendors\.aliyun\.domian/ },
  { name: 'unknown vendor "akamai"', config: { vendors: { akamai: { enabled: true } } }, key: /vendors\.akamai/ },
  { name: 'unknown collect key', config: { collect: { retryMaxAttempt: 3 } }, key: /collect\.retryMaxAttempt\b/ },
  { name: 'influx.url without a scheme', config: { influx: { url: 'localhost:8086' } }, key: /influx\.url/ },
  { name: 'influx.url ftp://', config: { influx: { url: 'ftp://127.0.0.1/' } }, key: /influx\.url/ },
  { name: 'influx.url "http://"', config: { influx: { url: 'http://' } }, key: /influx\.url/ },
  { name: 'influx.url "not a url"', config: { influx: { url: 'not a url' } }, key: /influx\.url/ },
  { name: 'aliyun endpoint without a scheme', config: al({ endpoint: 'cdn.aliyuncs.com' }), key: /vendors\.aliyun\.endpoint/ },
  { name: 'influx.apiVersion 3', config: { influx: { apiVersion: 3 } }, key: /influx\.apiVersion/ },
  { name: 'INFLUX_API_VERSION=abc', env: () => ({ INFLUX_API_VERSION: 'abc' }), key: /influx\.apiVersion|INFLUX_API_VERSION/ },
  { name: 'accounts is an object', config: al({ accounts: { main: {} } }), key: /vendors\.aliyun\.accounts/ },
  { name: 'two accounts with one name', config: al({ accounts: [{ name: 'main', accessKeyId: 'A', accessKeySecret: 'x-1' }, { name: 'main', accessKeyId: 'B', accessKeySecret: 'x-2' }] }), key: /vendors\.aliyun\.accounts.*main/ },
  { name: 'account name with a space', config: acct({ name: 'ma in' }), key: /vendors\.aliyun\.accounts/ },
  { name: 'account without a name', config: al({ accounts: [{ accessKeyId: 'A', accessKeySecret: 'x-1' }] }), key: /vendors\.aliyun\.accounts.*name/ },
  { name: 'account without its secret', config: al({ accounts: [{ name: 'main', accessKeyId: 'A' }] }), key: /vendors\.aliyun\.accounts.*accessKeySecret/ },
  { name: 'account kFile that does not exist', config: al({ accounts: [{ name: 'main', accessKeyId: 'A', accessKeySecretFile: '/nonexistent/corpus.secret' }] }), key: /accessKeySecretFile.*\/nonexistent\/corpus\.secret/ },
  { name: 'account with both key and kFile', config: acct({ accessKeySecretFile: '/etc/hostname' }), key: /accessKeySecret/ },
  { name: 'account with an unknown key', config: acct({ secretAccessKey: 'x' }), key: /secretAccessKey/ },
  { name: 'top-level credentials and accounts', config: al({ accessKeyId: 'LTAI5tTop', accessKeySecret: 'x-top' }), key: /vendors\.aliyun\.(accounts|accessKey)/ },
  { name: 'enabled vendor without credentials', config: { vendors: { tencent: { enabled: true, domains: ['a.example.cn'] } } }, key: /tencent.*(secretId|secretKey|credential)/i },
  { name: 'tencent interval "10min"', config: { vendors: { tencent: { interval: '10min' } } }, key: /vendors\.tencent\.interval/ },
  { name: 'tencent areas ["mars"]', config: { vendors: { tencent: { areas: ['mars'] } } }, key: /vendors\.tencent\.areas?/ },
  { name: 'tencent metrics ["hits"]', config: { vendors: { tencent: { metrics: ['hits'] } } }, key: /vendors\.tencent\.metrics/ },
  { name: 'huawei apis ["stats/foo"]', config: { vendors: { huawei: { apis: ['stats/foo'] } } }, key: /vendors\.huawei\.apis/ },
  { name: 'huaweicdn metrics ["bs_foo"]', config: { vendors: { huaweicdn: { metrics: ['bs_foo'] } } }, key: /vendors\.huaweicdn\.metrics/ },
  { name: 'aliyun apis ["DescribeFoo"]', config: al({ apis: ['DescribeFoo'] }), key: /vendors\.aliyun\.apis/ },
  { name: 'aliyun domains is a string', config: al({ domains: 'a.example.com' }), key: /vendors\.aliyun\.domains/ },
  { name: 'domain with a scheme and path', config: acct({ domains: ['https://a.example.com/'] }), key: /domains?/ },
  { name: 'log.level "loud"', config: { log: { level: 'loud' } }, key: /log\.level/ },
  { name: 'measurement ""', config: { influx: { measurement: '' } }, key: /influx\.measurement/ },
  { name: 'JSON syntax error next to a password', raw: (ctx) => `{\n  "influx": {\n    "password": "${ctx.secrets.influxPassword}",\n    "username": "corpus"\n    "database": "cdn"\n  }\n}\n`, key: /extra\.json.*line \d+/ },
  { name: 'JSON syntax error inside a secret', raw: (ctx) => `{ "vendors": { "aliyun": { "accounts": [ { "name": "main", "accessKeySecret": "${ctx.secrets.vendorSecret}\u0001" } ] } } }`, key: /extra\.json.*line \d+/ },
  { name: 'JSON trailing comma after a token', raw: (ctx) => `{ "influx": { "token": "${ctx.secrets.influxToken}", } }`, key: /extra\.json.*line \d+/ },
  { name: 'config file is empty', raw: () => '', key: /extra\.json/ },
  { name: 'config file is a list', raw: () => '[1, 2]', key: /extra\.json/ },
  { name: 'check-config with a wrong type', config: al({ enabled: 'no' }), key: /vendors\.aliyun\.enabled/, command: ['check-config'] },
];

export const configCases: Case[] = CASES.map((c) => ({
  name: `config ${c.name}`,
  cls: 'config',
  ...(c.config ? { config: c.config } : {}),
  ...(c.raw ? { rawConfig: c.raw } : {}),
  ...(c.env ? { env: c.env } : {}),
  command: c.command ?? ['once'],
  // One line per problem: a wrong key may be told with its consequences ("required when …"); at least one names it.
  expect: { exit: 2, line: c.key, lines: -1, noNetwork: true },
}));

// Valid configurations whose output must still hold no secret: check-config masks, URLs lose their userinfo.
configCases.push(
  { name: 'config check-config masks every secret', cls: 'config', command: ['check-config'], expect: { exit: 0, noNetwork: true } },
  { name: 'config influx.url with a password in it (check-config)', cls: 'config', command: ['check-config'], config: {}, env: (ctx) => ({ INFLUX_URL: `http://corpus:${encodeURIComponent(ctx.secrets.influxPassword)}@127.0.0.1:9/` }), expect: { exit: 0, noNetwork: true } },
  {
    name: 'config influx.url with a password, InfluxDB unreachable',
    cls: 'config',
    env: (ctx) => ({ INFLUX_URL: `http://corpus:${encodeURIComponent(ctx.secrets.influxPassword)}@127.0.0.1:9/` }),
    expect: { exit: 1, line: /^influx: http:\/\/127\.0\.0\.1:9\/? unreachable/ },
  },
);
