/**
 * The demo vendors as a long-running server (docker-compose.yml, profile `demo`; the container test):
 * Aliyun, Tencent and Huawei Live emulators with the demo accounts of ./all.ts, on fixed ports,
 * until SIGTERM/SIGINT. They are as strict as in the tests (signatures, limits).
 *
 * Env: EMU_HOST (default 127.0.0.1; the Compose service sets 0.0.0.0), ALIYUN_EMU_PORT (18081),
 * TENCENT_EMU_PORT (18082), HUAWEI_EMU_PORT (18083). Port 18084 is kept for Huawei CDN.
 */
import { DEMO, startDemoVendors } from './all.js';

function port(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`emulators: ${name} must be a port number (1-65535): value was "${raw}"`);
    process.exit(2);
  }
  return n;
}

const host = process.env.EMU_HOST || '127.0.0.1';
const ports = { aliyun: port('ALIYUN_EMU_PORT', 18081), tencent: port('TENCENT_EMU_PORT', 18082), huawei: port('HUAWEI_EMU_PORT', 18083) };
const vendors = await startDemoVendors({ host, ports });
const c = vendors.config.vendors;
console.log(`aliyun  ${String(c.aliyun!.endpoint)}  (AccessKey ${DEMO.aliyun.ak}, domains ${DEMO.aliyun.domains.join(',')})`);
console.log(`tencent ${String(c.tencent!.endpoint)}  (SecretId ${DEMO.tencent.id}, domains ${DEMO.tencent.domains.join(',')})`);
console.log(`huawei  ${String(c.huawei!.endpoint)}  (AK ${DEMO.huawei.ak}, project ${DEMO.huawei.projectId}, domains ${DEMO.huawei.domains.join(',')})`);
console.log('emulators ready');

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    vendors.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
