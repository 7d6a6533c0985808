/**
 * Summarises a V8 CPU profile (node --cpu-prof): self time by function and by package/file, so that
 * "where the time goes" can be read without DevTools.
 *   npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const area = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame;
  const url = f.url.replace(/^file:\/\//, '');
  const where = url.includes('node_modules/') ? url.split('node_modules/')[1]!.split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/') : url.includes('/dist/') ? `dist/${url.split('/dist/')[1]}` : url ? url : `(${f.functionName || 'native'})`;
  area.set(where, (area.get(where) ?? 0) + us);
  const k = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`);
console.log(`total sampled ${(total / 1e6).toFixed(1)} s\n-- by file or package --\n${top(area, 25).join('\n')}\n-- by function --\n${top(fn, 30).join('\n')}`);
