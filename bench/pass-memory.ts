/**
 * What one pass held per domain for its whole length before slabs (issue 12): the plan, the progress
 * and the checkpoint at start, plus the jobs, for 10,000 domains of one stream (1-minute data, first
 * pass). Since then a pass holds this for one slab (SLAB_DOMAINS, src/core/pass.ts) per stream and
 * drops a domain once its last call is committed: DOMAINS=1000 gives what a slab holds at most.
 *   node --expose-gc --import tsx bench/pass-memory.ts
 */
import { newProgress } from '../src/core/checkpoint.js';
import { groupJobs, planDomain } from '../src/core/plan.js';
import type { WindowRules } from '../src/kernel/time.js';
import type { DomainState } from '../src/ports.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const N = Number(process.env.DOMAINS ?? 10_000);
const rules: WindowRules = { tiers: [{ granularitySec: 60, maxSpanSec: 86_400, retentionSec: 90 * 86_400 }], settleSec: 300 };
const domains = Array.from({ length: N }, (_, i) => `d${i}.example.com`);
gc();
const h0 = process.memoryUsage().heapUsed;
const plans = domains.map((domain) => planDomain({ domain, nowSec: 1_800_000_000, mode: { kind: 'collect' }, state: undefined, initialLookbackSec: 3600, rules }));
const progress = new Map(domains.map((d) => [d, newProgress()]));
const prevAtStart = new Map<string, DomainState | undefined>(domains.map((d) => [d, undefined]));
const jobs = groupJobs(plans, 1);
gc();
const h1 = process.memoryUsage().heapUsed;
console.log(`${N} domains: ${((h1 - h0) / 1e6).toFixed(1)} MB held by one pass's plans, progress and start state (${((h1 - h0) / N).toFixed(0)} B per domain, domain names included); ${jobs.length} jobs, ${progress.size + prevAtStart.size} map entries`);
