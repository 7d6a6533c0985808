#!/usr/bin/env node
/** The executable: the only place that reads process.env and argv, handles signals and exits. */
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
  pid: process.pid,
  isAlive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  isTty: Boolean(process.stderr.isTTY),
}).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
});
process.exit(code);
