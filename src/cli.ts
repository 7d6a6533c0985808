#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
/** The executable: the only place that reads process.env and argv, handles signals and exits. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { main } from './main.js';

// Memory (issue 12, bench/RESULTS.md): V8 lets the old generation grow to about 4× the live heap
// while collecting is cheap, and Node 24 lets the young generation grow to 64 MB: a collector whose
// live heap is ~40 MB peaked near 300 MB. The old generation is allowed 30 % over what survived
// the last full collection (V8 reads this flag at every collection, so setting it here works);
// the young generation is capped by the shebang above (and docker/entrypoint.sh), since V8 sizes
// it before any code runs. Both cost some CPU; a `--heap-growing-percent` given to node wins.
// MALLOC_ARENA_MAX=2 (also in the shebang, since glibc reads it before node starts): node's threads
// (libuv's pool for the state's fsyncs, V8's GC helpers) otherwise each get a malloc arena that keeps
// freed memory: 3-4 MB of RSS on Node 20 and 5-8 MB on Node 24 at 1,000 domains (bench/RESULTS.md).
if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) v8.setFlagsFromString('--heap-growing-percent=30');

const stopRequested = new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});


const code = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
  stderrRaw: (text) => process.stderr.write(text),
  stopRequested,
  // Without a handler SIGHUP would kill the daemon silently; `run` re-reads its configuration.
  onReload: (fn) => process.on('SIGHUP', fn),
  pid: process.pid,
  hostname: os.hostname(),
  readHostFile: (file) => readFileSync(file, 'utf8'),
  isAlive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  isTty: Boolean(process.stderr.isTTY),
  nodeVersion: process.version,
}).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  return 1;
});
process.exit(code);
