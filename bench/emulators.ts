/**
 * The four vendor emulators in their own process, for the scale benchmark: the emulators' own CPU
 * (signature checks with the official signers, sha256-derived data) must not be counted as the
 * collector's, and the collector must not share an event loop with them.
 *   npx tsx bench/emulators.ts <domains>
 * Prints one JSON line ({ endpoints, creds, domains }) when listening; GET /stats on the control
 * port gives accepted and throttled calls per vendor and API; POST /reset clears them. Limits are
 * raised far above the collector's configured rates so the vendors are not the bottleneck.
 */
import http from 'node:http';
import { AliyunEmulator, DOCUMENTED_LIMITS } from '../test/emulators/aliyun.js';
import { HuaweiEmulator } from '../test/emulators/huawei.js';
import { HuaweiCdnEmulator } from '../test/emulators/huaweicdn.js';
import { TencentEmulator } from '../test/emulators/tencent.js';
import type { Emulator } from '../test/emulators/common.js';
import { splitDomains, CREDS } from './scale-mix.js';

const n = Number(process.argv[2] ?? 100);
const d = splitDomains(n);
const HIGH = 1_000_000;
const aliyun = new AliyunEmulator({ accounts: { [CREDS.aliyun.id]: { secret: CREDS.aliyun.secret, domains: d.aliyun } }, rateLimits: Object.fromEntries(Object.keys(DOCUMENTED_LIMITS).map((k) => [k, HIGH])) });
const tencent = new TencentEmulator({ accounts: { [CREDS.tencent.id]: { secretKey: CREDS.tencent.secret, domains: d.tencent.map((domain) => ({ domain })) } }, rateLimit: HIGH });
// Huawei Live serves the Huawei CDN domains too: the previous release (no Huawei CDN module) collects all 20% there.
const huawei = new HuaweiEmulator({ accounts: { [CREDS.huawei.id]: { sk: CREDS.huawei.secret, projectId: CREDS.huawei.projectId, domains: [...d.huawei, ...d.huaweicdn].map((domain) => ({ domain })) } }, rateLimit: HIGH });
const huaweicdn = new HuaweiCdnEmulator({ accounts: { [CREDS.huawei.id]: { sk: CREDS.huawei.secret, domains: d.huaweicdn.map((domain) => ({ domain })) } }, rateLimit: HIGH, domainsRateLimit: HIGH });
const emus: Record<string, Emulator> = { aliyun, tencent, huawei, huaweicdn };
const endpoints: Record<string, string> = {};
for (const [k, e] of Object.entries(emus)) endpoints[k] = await e.start();

const control = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/reset') {
    for (const e of Object.values(emus)) {
      e.calls.splice(0);
      e.limiter.throttled = 0;
    }
    res.end('{}');
    return;
  }
  const stats: Record<string, { calls: Record<string, number>; failed: number; throttled: number }> = {};
  for (const [k, e] of Object.entries(emus)) {
    const calls: Record<string, number> = {};
    let failed = 0;
    for (const c of e.calls) {
      if (c.status !== 200 || c.code) failed++;
      else calls[c.api] = (calls[c.api] ?? 0) + 1;
    }
    stats[k] = { calls, failed, throttled: e.limiter.throttled };
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(stats));
});
await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
const addr = control.address();
const controlUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
process.stdout.write(`${JSON.stringify({ endpoints, control: controlUrl })}\n`);
// Ends with the parent.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
