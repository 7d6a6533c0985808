/**
 * A standing environment for profiling by hand: InfluxDB 1.x and the four emulators (own process) with
 * <size> domains, and /tmp/man/config.json pointing the collector at them (limits raised). Then e.g.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/cli.js once --config /tmp/man/config.json
 *   npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 * Stop it with SIGTERM (kill <pid>): it stops the emulators and InfluxDB.
 *   npx tsx bench/profile-env.ts 1000
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, startInfluxV1 } from '../test/support/servers.js';
import { CREDS, splitDomains } from './scale-mix.js';
const size = Number(process.argv[2] ?? 100);
const influx = await startInfluxV1();
await createDatabase(influx.url, 'man');
const emu = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bench/emulators.ts', String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
const e = await new Promise<any>((res) => { let b = ''; emu.stdout.setEncoding('utf8').on('data', (s: string) => { b += s; if (b.includes('\n')) res(JSON.parse(b.slice(0, b.indexOf('\n')))); }); });
const d = splitDomains(size);
const R = 100000;
rmSync('/tmp/man', { recursive: true, force: true });
mkdirSync('/tmp/man');
const apis = ['DescribeDomainSrcTrafficData','DescribeDomainRealTimeSrcTrafficData','DescribeDomainRealTimeSrcBpsData','DescribeDomainSrcBpsData','DescribeDomainSrcHttpCodeData','DescribeDomainSrcQpsData','DescribeDomainRealTimeSrcHttpCodeData','DescribeUserDomains'];
writeFileSync('/tmp/man/config.json', JSON.stringify({ influx: { url: influx.url, apiVersion: 1, database: 'man' }, state: { dir: '/tmp/man/state' }, log: { level: 'info' }, vendors: {
  aliyun: { enabled: true, endpoint: e.endpoints.aliyun, accessKeyId: CREDS.aliyun.id, accessKeySecret: CREDS.aliyun.secret, domains: d.aliyun, ratePerSec: Object.fromEntries(apis.map((a) => [a, R])) },
  tencent: { enabled: true, endpoint: e.endpoints.tencent, secretId: CREDS.tencent.id, secretKey: CREDS.tencent.secret, domains: d.tencent, ratePerSec: R },
  huawei: { enabled: true, endpoint: e.endpoints.huawei, ak: CREDS.huawei.id, sk: CREDS.huawei.secret, projectId: CREDS.huawei.projectId, domains: d.huawei, ratePerSec: R },
  huaweicdn: { enabled: true, endpoint: e.endpoints.huaweicdn, ak: CREDS.huawei.id, sk: CREDS.huawei.secret, domains: d.huaweicdn, ratePerSec: { ShowDomainStats: 15, ListDomains: 5 } } } }));
console.log('ready', e.control);
process.on('SIGTERM', async () => { emu.kill(); await influx.stop(); process.exit(0); });
setInterval(() => {}, 1e6);
