/**
 * CPU per call of the vendor modules alone (issue 12): signing a data call and parsing a typical
 * answer, no network. Answers are built here in each vendor's documented shape (one hour of 1-minute
 * or 5-minute buckets), so the numbers compare code changes, not vendors.
 *   npx tsx bench/vendor-calls.ts [--rounds 20000]
 */
import { parseArgs } from 'node:util';
import { API_INFO, aliyunModule, type AliyunApi } from '../src/vendors/aliyun/index.js';
import type { CallSpec, StreamSpec } from '../src/kernel/vendor.js';

const { values: a } = parseArgs({ options: { rounds: { type: 'string', default: '20000' } } });
const N = Number(a.rounds);
const credentials = { accessKeyId: 'LTAIbench', accessKeySecret: 'secret' };
const adapter = aliyunModule.createAdapter({ endpoint: 'http://127.0.0.1:8080' }, { name: 'default', domains: ['a.example.com'], credentials } as never);
const from = 1_795_000_000 - (1_795_000_000 % 3600);
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');

function answer(s: StreamSpec, g: number): string {
  const info = API_INFO[s.api as AliyunApi];
  const codes = info.shape.kind === 'codes' ? { [info.shape.list]: [{ Code: '200', Count: '12', Proportion: '90' }, { Code: '404', Count: '1', Proportion: '10' }] } : undefined;
  const rows = Array.from({ length: 3600 / g }, (_, i) => ({ TimeStamp: iso(from + i * g), Value: codes ?? '123.5', HttpsValue: '1.5' }));
  return JSON.stringify({ RequestId: 'r', DomainName: 'a.example.com', DataInterval: String(g), [info.containers[0]!]: { [codes ? 'UsageData' : 'DataModule']: rows } });
}

let sink = 0;
for (const s of adapter.streams) {
  const g = s.rules.tiers[0].granularitySec;
  const call: CallSpec = { stream: s, domains: ['a.example.com'], window: { fromSec: from, toSec: from + 3600, granularitySec: g }, finalBeforeSec: from + 3600 };
  const body = answer(s, g);
  const res = { status: 200, headers: {}, body };
  const parsed = s.parseCall(call, res);
  if (!parsed.ok) { console.log(s.api, 'answer not accepted:', parsed.error.message); continue; }
  const time = (f: () => void) => { for (let i = 0; i < N / 10; i++) f(); const c0 = process.cpuUsage(); for (let i = 0; i < N; i++) f(); const c = process.cpuUsage(c0); return (c.user + c.system) / N; };
  const b = time(() => { sink += s.buildCall(call, { nowMs: 1_795_000_000_000, nonce: 'n', credentials }).url.length; });
  const p = time(() => { const o = s.parseCall(call, res); sink += o.ok ? o.samples.length : 0; });
  console.log(`aliyun ${s.api.padEnd(40)} sign ${b.toFixed(1).padStart(6)} µs, parse ${p.toFixed(1).padStart(6)} µs (${parsed.samples.length} samples, ${body.length} bytes)`);
}
if (sink < 0) console.log(sink);
