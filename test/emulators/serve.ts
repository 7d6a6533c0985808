/**
 * The demo vendors as a long-running server (docker-compose.yml, profile `demo`; the container test):
 * every vendor module's emulator with its demo accounts (startDemo() of test/emulators/<id>.ts), on
 * fixed ports, until SIGTERM/SIGINT. They are as strict as in the tests (signatures, limits).
 *
 * Env: EMU_HOST (default 127.0.0.1; the Compose service sets 0.0.0.0), ALIYUN_EMU_PORT (18081),
 * TENCENT_EMU_PORT (18082), HUAWEI_EMU_PORT (18083), HUAWEICDN_EMU_PORT (18084).
 */
import { startDemoVendors } from './all.js';

const DEFAULT_PORTS: Record<string, number> = { aliyun: 18081, tencent: 18082, huawei: 18083, huaweicdn: 18084 };

function port(id: string): number {
  const name = `${id.toUpperCase()}_EMU_PORT`;
  const raw = process.env[name];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[id] ?? 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`emulators: ${name} must be a port number (1-65535): value was "${raw}"`);
    process.exit(2);
  }
  return n;
}

const host = process.env.EMU_HOST || '127.0.0.1';
const ports = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((id) => [id, port(id)]));
const vendors = await startDemoVendors({ host, ports });
for (const [id, v] of Object.entries(vendors.config.vendors)) console.log(`${id.padEnd(9)} ${String(v.endpoint)}`);
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
