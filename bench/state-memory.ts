/**
 * Memory held by checkpoint state (issue 12: "memory held must not grow with the number of domains
 * beyond their checkpoint state"): loads every stream of a state directory the way passes do (all
 * at once, as the runner's concurrent passes hold them) and prints the live heap they take, with the
 * domain and tail-entry counts and the bytes on disk.
 *   npx tsx bench/scale.ts --sizes 1000 --passes 1 --only after --keep /tmp/keep1000
 *   node --expose-gc --import tsx bench/state-memory.ts /tmp/keep1000
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { FileCheckpointStore } from '../src/state/index.js';
import type { StreamRef, StreamState } from '../src/ports.js';

const dir = process.argv[2]!;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const refs: StreamRef[] = [];
let bytes = 0;
for (const f of readdirSync(dir)) {
  bytes += statSync(path.join(dir, f)).size;
  const m = /^([^.]+)\.([^.]+)\.(.+)\.(?:state|journal)\.jsonl$/.exec(f);
  if (m && !refs.some((r) => r.module === m[1] && r.account === m[2] && r.stream === decodeURIComponent(m[3]!))) refs.push({ module: m[1]!, account: m[2]!, stream: decodeURIComponent(m[3]!) });
}
const store = new FileCheckpointStore(dir, { nowSec: () => Math.floor(Date.now() / 1000) });
gc();
const before = process.memoryUsage().heapUsed;
const held: StreamState[] = [];
for (const r of refs) held.push(await store.load(r));
gc();
const after = process.memoryUsage().heapUsed;
let domains = 0;
let tail = 0;
for (const s of held) {
  domains += s.size;
  for (const d of s.values()) tail += d.tail.size;
}
console.log(`${refs.length} streams, ${domains} domain states, ${tail} tail entries, ${(bytes / 1e6).toFixed(2)} MB on disk; live heap held ${((after - before) / 1e6).toFixed(1)} MB (${((after - before) / Math.max(1, tail)).toFixed(0)} B per tail entry)`);
