import { runCase, missingBuckets, leaks, owedIn } from './harness.js';
import { startInfluxV1 } from '../support/servers.js';
import type { Case } from './types.js';
const influx = await startInfluxV1();
const env = { influxUrl: influx.url, nowSec: Math.floor(Date.now() / 1000) };
const cases: Case[] = (['aliyun','tencent','huawei','huaweicdn'] as const).flatMap((v) => [
  { name: v+' value-null', cls: 'vendor', vendor: v, inject: [{ fault: 'value-null', count: 10 }], expect: { exit: 1, followUp: true, owed: true } } as Case,
  { name: v+' missing', cls: 'vendor', vendor: v, secondAccount: 'wrong', inject: [{ fault: 'missing-container', count: 10 }], expect: { exit: 1, followUp: true, owed: true } } as Case,
]);
await Promise.all(cases.map(async (c) => {
  const r = await runCase(c, env);
  console.log('==', c.name, 'exit', r.first.code, r.firstMs, 'ms calls', r.calls, '\n  lines:', r.userLines, '\n  missing', missingBuckets(r, r.points), 'owed', owedIn(r.statusDoc), 'statusExit', r.status?.code,
   '\n  follow', r.followUp?.code, r.followUpLines, 'missing', r.followUpPoints && missingBuckets(r, r.followUpPoints), 'owed', owedIn(r.followUpStatusDoc), '\n  leaks', leaks(r));
  if (r.status?.code !== 0) console.log(r.status?.stdout.slice(0,500), r.status?.stderr);
}));
await influx.stop();
