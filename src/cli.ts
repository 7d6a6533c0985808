#!/usr/bin/env node
/** The executable: the only place that reads process.env and argv, handles signals and exits. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { main } from './main.js';

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
