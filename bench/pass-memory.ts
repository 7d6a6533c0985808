/**
 * Memory benchmark: peak RSS of the collector process during one pass (`once`, all three Alibaba
 * APIs, 1 hour of look-back) over 1,000 domains against the emulator. Target: ≤ 150 MB.
 * The rate limits are raised on both sides so that the pass is quick; memory is what is measured.
 *   npx tsx bench/pass-memory.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AliyunEmulator } from '../test/emulators/aliyun.js';
import { CLI, tempConfig } from '../test/support/cli.js';
import { createDatabase, startInfluxV1 } from '../test/support/servers.js';

const DOMAINS = Array.from({ length: 1000 }, (_, i) => `m${i}.example.com`);
const RATE = 400;
const influx = await startInfluxV1();
const emu = new AliyunEmulator({
  accounts: { LTAImem: { secret: 'mem', domains: DOMAINS } },
  rateLimits: { DescribeDomainSrcTrafficData: RATE, DescribeDomainRealTimeSrcTrafficData: RATE, DescribeDomainRealTimeSrcBpsData: RATE, DescribeUserDomains: RATE },
});
const url = await emu.start();
try {
  await createDatabase(influx.url, 'mem');
  const rate = Object.fromEntries(['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData', 'DescribeUserDomains'].map((k) => [k, RATE]));
  const { file } = tempConfig({
    influx: { url: influx.url, apiVersion: 1, database: 'mem' },
    // No domain list: all 1,000 come from DescribeUserDomains, as on a large account.
    vendors: { aliyun: { enabled: true, endpoint: url, domains: [], ratePerSec: rate } },
    collect: { concurrency: 8 },
    state: { dir: path.join(tempConfig({}).dir, 'state') },
    log: { level: 'warn' },
  });
  let peakKb = 0;
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [...(process.env.NODE_FLAGS ? process.env.NODE_FLAGS.split(" ") : []), CLI, "once", "--config", file], {
      env: { PATH: process.env.PATH ?? '', ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAImem', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'mem' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const timer = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 50);
    child.on('exit', (c) => {
      clearInterval(timer);
      resolve(c);
    });
  });
  const series = await (await fetch(`${influx.url}/query?db=mem&q=${encodeURIComponent('SELECT count("value") FROM "cdn_origin"')}`, { method: 'POST' })).json();
  console.log(`exit ${code}; ${emu.dataCalls().length} data calls over ${DOMAINS.length} domains in ${((performance.now() - t0) / 1000).toFixed(1)} s; points stored ${JSON.stringify((series as { results: { series?: { values: unknown[][] }[] }[] }).results[0]?.series?.[0]?.values[0]?.[1])}; peak RSS ${(peakKb / 1024).toFixed(1)} MB (target ≤ 150 MB)`);
} finally {
  await emu.stop();
  await influx.stop();
}
