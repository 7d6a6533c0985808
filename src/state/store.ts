/**
 * Checkpoints, one file per vendor account and stream, holding every domain's state. A file is
 * replaced atomically (write, fsync, rename), so a crash leaves the old or the new one, never half.
 */
import { createHash } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { CollectorError, ErrorCodes } from '../core/errors.js';

export interface DomainState {
  /** Every bucket that starts before this is final and acknowledged by InfluxDB. Epoch seconds. */
  finalEndSec: number;
  /** Values written for provisional buckets (key: metric|interval|tsSec), so unchanged ones are not rewritten. */
  tail: Map<string, number>;
}

export type StreamState = Map<string, DomainState>;

export interface StateStore {
  load(vendor: string, accountKey: string, streamId: string): Promise<StreamState>;
  save(vendor: string, accountKey: string, streamId: string, state: StreamState): Promise<void>;
}

/** On disk the tail is a list of [key, value] pairs: objects keyed by timestamps would cost V8 a hidden class each. */
export function encodeState(state: StreamState): Record<string, { finalEndSec: number; tail: [string, number][] }> {
  const out: Record<string, { finalEndSec: number; tail: [string, number][] }> = {};
  for (const [d, s] of state) out[d] = { finalEndSec: s.finalEndSec, tail: [...s.tail] };
  return out;
}

export function decodeState(domains: Record<string, { finalEndSec: number; tail?: [string, number][] }>): StreamState {
  const state: StreamState = new Map();
  for (const [d, s] of Object.entries(domains)) state.set(d, { finalEndSec: s.finalEndSec, tail: new Map(s.tail ?? []) });
  return state;
}

function fileName(vendor: string, accountKey: string, streamId: string): string {
  const safe = streamId.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${vendor}-${accountKey}-${safe}.json`;
}

export function hashAccount(...parts: (string | undefined)[]): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('hex').slice(0, 12);
}

export class FileStateStore implements StateStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async load(vendor: string, accountKey: string, streamId: string): Promise<StreamState> {
    const file = path.join(this.#dir, fileName(vendor, accountKey, streamId));
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    let parsed: { version?: number; domains?: Record<string, { finalEndSec: number; tail?: [string, number][] }> };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new CollectorError(ErrorCodes.CONFIG, `state: ${file} is not valid JSON; move it away to start that stream afresh`);
    }
    return decodeState(parsed.domains ?? {});
  }

  async save(vendor: string, accountKey: string, streamId: string, state: StreamState): Promise<void> {
    const file = path.join(this.#dir, fileName(vendor, accountKey, streamId));
    const tmp = `${file}.${process.pid}.tmp`;
    const body = JSON.stringify({ version: 1, vendor, stream: streamId, domains: encodeState(state) });
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    const dh = await fs.open(this.#dir, fsc.O_RDONLY).catch(() => undefined);
    if (dh) {
      await dh.sync().catch(() => undefined);
      await dh.close();
    }
  }
}

/** One process owns a state dir. A lock left by a dead process is taken over. */
export async function acquireStateLock(dir: string, pid: number, isAlive: (pid: number) => boolean): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fs.open(lock, 'wx');
      await fh.writeFile(String(pid));
      await fh.close();
      // A process killed while saving leaves its temp file; the checkpoint it replaced is intact.
      for (const f of await fs.readdir(dir)) if (f.endsWith('.tmp')) await fs.rm(path.join(dir, f), { force: true });
      return async () => {
        await fs.rm(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await fs.readFile(lock, 'utf8').catch(() => ''), 10);
      if (Number.isFinite(owner) && owner !== pid && isAlive(owner)) {
        throw new CollectorError(
          ErrorCodes.STATE_LOCKED,
          `state: ${dir} is in use by another collector (pid ${owner}); one process at a time owns a state dir`,
        );
      }
      // Stale: its owner is gone. Remove and race for it again.
      await fs.rm(lock, { force: true });
    }
  }
  throw new CollectorError(ErrorCodes.STATE_LOCKED, `state: could not lock ${dir}`);
}
