/**
 * Backfill benchmark: the last 6 days 23 hours of 1-minute data (DescribeDomainRealTimeSrcTrafficData)
 * for 10 domains against the Alibaba emulator, which throttles above 10 calls/s like the vendor.
 * Target: elapsed ≤ 1.1 × calls ÷ limit, and zero throttled calls.
 *   npx tsx bench/backfill-rate.ts
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { AliyunEmulator } from '../test/emulators/aliyun.js';
import { CLI, isoSec, tempConfig } from '../test/support/cli.js';
import { createDatabase, startInfluxV1 } from '../test/support/servers.js';

const DOMAINS = Array.from({ length: 10 }, (_, i) => `bench${i}.example.com`);
const LIMIT = 10;
const influx = await startInfluxV1();
const emu = new AliyunEmulator({ accounts: { LTAIbench: { secret: 'bench', domains: DOMAINS } } });
const url = await emu.start();
try {
  await createDatabase(influx.url, 'bench');
  const { file, dir } = tempConfig({
    influx: { url: influx.url, apiVersion: 1, database: 'bench' },
    vendors: { aliyun: { enabled: true, endpoint: url, domains: DOMAINS, apis: ['DescribeDomainRealTimeSrcTrafficData'] } },
    state: { dir: path.join(tempConfig({}).dir, 'state') },
    log: { level: 'warn' },
  });
  const to = Math.floor(Date.now() / 1000 / 60) * 60;
  const from = to - (6 * 24 + 23) * 3600;
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], {
      env: { PATH: process.env.PATH ?? '', ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIbench', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bench' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (c) => resolve(c));
  });
  const elapsed = (performance.now() - t0) / 1000;
  const calls = emu.calls.filter((c) => c.api === 'DescribeDomainRealTimeSrcTrafficData').length;
  const ok = emu.dataCalls().length;
  const ideal = ok / LIMIT;
  console.log(
    `exit ${code}; ${ok} successful calls (${calls} in all), throttled ${emu.limiter.throttled}; elapsed ${elapsed.toFixed(1)} s; calls ÷ limit ${ideal.toFixed(1)} s; ratio ${(elapsed / ideal).toFixed(3)} (target ≤ 1.10)`,
  );
  void dir;
} finally {
  await emu.stop();
  await influx.stop();
}
