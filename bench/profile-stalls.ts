/**
 * Long busy stretches of the event loop in a V8 CPU profile (node --cpu-prof): runs of consecutive
 * non-idle samples of at least MIN ms, with when they started and what took the time. Used to tie a
 * throttled call to the stall that delayed it (bench/RESULTS.md, "Backfill at the documented limits").
 *   npx tsx bench/profile-stalls.ts /tmp/prof/tencent-min-1.cpuprofile [MIN=20]
 */
import { readFileSync } from 'node:fs';
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
const min = Number(process.argv[3] ?? 20);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const idle = (id: number) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName);
const label = (id: number) => { const f = byId.get(id)!.callFrame; return `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`; };
// Innermost frame from our own code (dist/) for a sample.
const ours = (id: number) => { let x: number | undefined = id; while (x !== undefined) { const f = byId.get(x)!.callFrame; if (f.url.includes('/dist/')) return label(x); x = parent.get(x); } return label(id); };
let t = 0; let runStart = -1; let self = new Map<string, number>(); let mine = new Map<string, number>();
const tasks: { at: number; ms: number; top: string; ourTop: string }[] = [];
const flush = (end: number) => {
  if (runStart >= 0 && (end - runStart) / 1000 >= min) {
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)}ms`).join('; ');
    const ourTop = [...mine].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, v]) => `${k} ${(v / 1000).toFixed(0)}ms`).join('; ');
    tasks.push({ at: runStart / 1e6, ms: (end - runStart) / 1000, top, ourTop });
  }
  runStart = -1; self = new Map(); mine = new Map();
};
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  t += dt;
  if (idle(id)) { flush(t); return; }
  if (runStart < 0) runStart = t - dt;
  const l = label(id); self.set(l, (self.get(l) ?? 0) + dt);
  const o = ours(id); mine.set(o, (mine.get(o) ?? 0) + dt);
});
flush(t);
console.log(`${tasks.length} busy stretches ≥ ${min} ms, total ${(tasks.reduce((a, x) => a + x.ms, 0) / 1000).toFixed(2)} s`);
for (const x of tasks.sort((a, b) => a.at - b.at)) console.log(`${x.at.toFixed(2)} s  ${x.ms.toFixed(0)} ms  self: ${x.top} | ours: ${x.ourTop}`);
