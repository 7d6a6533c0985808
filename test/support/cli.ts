import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built collector as a user would, asynchronously (emulators run in this process). */
export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': at 'exit' the child's pipes may still hold output the parent has not read
  // (a busy CI machine cut `status --json` to nothing and a log line mid-word: the corpus case
  // `influx 3.x every point refused` then saw no owed bucket).
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

export function tempConfig(obj: unknown): { file: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdn-it-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(obj, null, 2));
  return { file, dir };
}

export function isoSec(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}
