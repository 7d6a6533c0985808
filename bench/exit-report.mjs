// Preloaded into the collector by the benchmarks (node --import): at exit, writes the process's own
// peak RSS and CPU time (process.resourceUsage(): kernel-accounted, not sampled) to $BENCH_REPORT.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_REPORT;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
