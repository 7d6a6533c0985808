/**
 * Calls against the minimum, per vendor module, on the first pass (the initial hour of look-back)
 * and on the passes after it (the provisional tail): three `once` in a row through the CLI, each
 * vendor alone, against its emulator (counted there), limits raised. Target: ≤ 1.05× the minimum
 * the vendor's batching and span rules allow (computed by bench/scale.ts from the modules' rules).
 *   npm run build && npx tsx bench/calls.ts [--domains 200]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({ options: { domains: { type: 'string', default: '200' } } });
for (const vendor of ['aliyun', 'tencent', 'huawei', 'huaweicdn']) {
  // scale.ts splits the domains 40/40/10/10 over the vendors; each vendor here collects its share.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bench', 'scale.ts'), '--only', 'after', '--vendor', vendor, '--sizes', values.domains!, '--passes', '3'], { encoding: 'utf8' });
  for (const line of r.stdout.split('\n')) {
    const m = /once (\d): .*data calls (\d+) vs minimum (\d+) \(([\d.]+)×\), throttled (\d+)/.exec(line);
    if (m) console.log(`${vendor} pass ${m[1]}: ${m[2]} data calls, minimum ${m[3]}: ${m[4]}×, throttled ${m[5]}`);
  }
  if (r.status !== 0) console.log(`${vendor}: scale.ts exited ${r.status}: ${r.stderr.slice(0, 500)}`);
}
