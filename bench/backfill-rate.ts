/**
 * Backfill at the documented limits: `backfill` through the CLI against an emulator that throttles
 * above the vendor's documented rate, into InfluxDB 1.x. Target: elapsed ≤ 1.1 × calls ÷ limit, and
 * zero throttled calls, also for point-heavy APIs whose writes must overlap the fetching.
 *   npm run build && npx tsx bench/backfill-rate.ts [--case aliyun|tencent-min|huaweicdn|all]
 * - aliyun: 6 days 23 hours of 1-minute DescribeDomainRealTimeSrcTrafficData, 10 domains, 10/s.
 * - tencent-min: 1 day of 1-minute data, all ten metrics, 100 domains, DescribeOriginData at 20/s
 *   (1,440 points per domain, metric and call).
 * - huaweicdn: 80 days of ShowDomainStats (300 s where still kept, coarser before), 100 domains, 15/s.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AliyunEmulator } from '../test/emulators/aliyun.js';
import { HuaweiCdnEmulator } from '../test/emulators/huaweicdn.js';
import { TencentEmulator } from '../test/emulators/tencent.js';
import type { Emulator } from '../test/emulators/common.js';
import { CLI, isoSec, tempConfig } from '../test/support/cli.js';
import { createDatabase, startInfluxV1 } from '../test/support/servers.js';

const { values } = parseArgs({ options: { case: { type: 'string', default: 'all' } } });
const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}.example.com`);

interface Case {
  name: string;
  limit: number;
  fromSec: number;
  toSec: number;
  setup(): Promise<{ emu: Emulator; vendors: Record<string, unknown>; env: Record<string, string>; dataCalls: () => number }>;
}

const nowMin = Math.floor(Date.now() / 60_000) * 60;
const CASES: Case[] = [
  {
    name: 'aliyun',
    limit: 10,
    fromSec: nowMin - (6 * 24 + 23) * 3600,
    toSec: nowMin,
    async setup() {
      const domains = names('bench', 10);
      const emu = new AliyunEmulator({ accounts: { LTAIbench: { secret: 'bench', domains } } });
      const url = await emu.start();
      return {
        emu,
        vendors: { aliyun: { enabled: true, endpoint: url, domains, apis: ['DescribeDomainRealTimeSrcTrafficData'] } },
        env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIbench', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bench' },
        dataCalls: () => emu.dataCalls().length,
      };
    },
  },
  {
    name: 'tencent-min',
    limit: 20,
    fromSec: nowMin - 86_400,
    toSec: nowMin - 3600,
    async setup() {
      const domains = names('t', 100);
      const emu = new TencentEmulator({ accounts: { AKIDbench: { secretKey: 'bench', domains: domains.map((domain) => ({ domain })) } } });
      const url = await emu.start();
      return {
        emu,
        vendors: { tencent: { enabled: true, endpoint: url, domains, interval: 'min' } },
        env: { TENCENTCLOUD_SECRET_ID: 'AKIDbench', TENCENTCLOUD_SECRET_KEY: 'bench' },
        dataCalls: () => emu.calls.filter((c) => c.api === 'DescribeOriginData' && c.status === 200 && !c.code).length,
      };
    },
  },
  {
    name: 'huaweicdn',
    limit: 15,
    fromSec: Math.floor((Date.now() / 1000 - 80 * 86_400) / 86_400) * 86_400,
    toSec: nowMin - 4 * 3600,
    async setup() {
      const domains = names('c', 100);
      const emu = new HuaweiCdnEmulator({ accounts: { HWBENCHAK: { sk: 'bench', domains: domains.map((domain) => ({ domain })) } } });
      const url = await emu.start();
      return {
        emu,
        vendors: { huaweicdn: { enabled: true, endpoint: url, domains } },
        env: { HUAWEICLOUD_SDK_AK: 'HWBENCHAK', HUAWEICLOUD_SDK_SK: 'bench' },
        dataCalls: () => emu.dataCalls().length,
      };
    },
  },
];

const influx = await startInfluxV1();
try {
  for (const c of CASES) {
    if (values.case !== 'all' && values.case !== c.name) continue;
    const db = `bf_${c.name.replace(/\W/g, '_')}`;
    await createDatabase(influx.url, db);
    const { emu, vendors, env, dataCalls } = await c.setup();
    try {
      const { file } = tempConfig({
        influx: { url: influx.url, apiVersion: 1, database: db },
        vendors,
        state: { dir: path.join(tempConfig({}).dir, 'state') },
        log: { level: 'warn' },
      });
      const t0 = performance.now();
      let stderr = '';
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'backfill', '--from', isoSec(c.fromSec), '--to', isoSec(c.toSec), '--config', file], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        child.on('exit', (x) => resolve(x));
      });
      const elapsed = (performance.now() - t0) / 1000;
      const ok = dataCalls();
      const ideal = ok / c.limit;
      console.log(`${c.name}: exit ${code}; ${ok} successful data calls, throttled ${emu.limiter.throttled}; elapsed ${elapsed.toFixed(1)} s; calls ÷ limit ${ideal.toFixed(1)} s; ratio ${(elapsed / ideal).toFixed(3)} (target ≤ 1.10)`);
      if (code !== 0) console.log(`  stderr: ${stderr.slice(0, 600)}`);
    } finally {
      await emu.stop();
    }
  }
} finally {
  await influx.stop();
}
