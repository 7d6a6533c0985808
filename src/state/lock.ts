/**
 * One process at a time owns a state dir. The lock names its owner by host, boot and PID, because
 * a PID alone means nothing across machines and containers: in a container the collector is PID 1,
 * so a second container on the same volume would see "PID 1 is alive" (itself) or "not alive"
 * (another PID namespace) whoever really holds the lock.
 *
 * Who may take a lock over:
 * - another hostname (machine, or container with its own hostname): never; the owner may be alive
 *   and we cannot see it. The user removes the lock when that collector is gone for good.
 * - same hostname, another boot id: the machine rebooted (or a StatefulSet pod, whose hostname is
 *   stable, moved to another node): the owner is gone.
 * - same hostname and boot: our own PID (a restarted container, whose collector is PID 1 again),
 *   or a PID that is not alive.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CollectorError } from '../kernel/errors.js';
import { isoSeconds } from '../kernel/time.js';

export const LOCK_FILE = '.lock';

export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** /proc/sys/kernel/random/boot_id: changes on every boot of the machine (shared by its containers). */
  readonly bootId?: string;
  /** For the message only: container ids change on every container restart, so they decide nothing. */
  readonly containerId?: string;
  readonly startedAtSec: number;
}

export interface LockDeps {
  readonly pid: number;
  readonly hostname: string;
  readonly bootId?: string;
  readonly containerId?: string;
  readonly isAlive: (pid: number) => boolean;
  readonly nowSec: () => number;
  /** A lock taken over is named here (one line). */
  readonly note?: (line: string) => void;
  /** Waits between re-reads of a lock being written; tests pass an instant one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

function describeOwner(o: LockOwner): string {
  const where = `pid ${o.pid} on host ${o.hostname}${o.containerId ? `, container ${o.containerId.slice(0, 12)}` : ''}`;
  return `${where}, since ${o.startedAtSec > 0 ? isoSeconds(o.startedAtSec) : 'an unknown time'}`;
}

/** The lock's owner, `legacy` for a bare PID written by earlier versions, undefined when unreadable (being written, or torn). */
function parseOwner(text: string): LockOwner | { legacyPid: number } | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { legacyPid: Number(t) };
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null || typeof v.pid !== 'number' || typeof v.hostname !== 'string') return undefined;
    return {
      pid: v.pid,
      hostname: v.hostname,
      bootId: typeof v.bootId === 'string' ? v.bootId : undefined,
      containerId: typeof v.containerId === 'string' ? v.containerId : undefined,
      startedAtSec: typeof v.startedAtSec === 'number' ? v.startedAtSec : 0,
    };
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner is gone for sure; otherwise the reason to refuse. */
export function ownerGone(owner: LockOwner | { legacyPid: number }, me: LockDeps): boolean {
  if ('legacyPid' in owner) return owner.legacyPid === me.pid || !me.isAlive(owner.legacyPid);
  if (owner.hostname !== me.hostname) return false;
  if (owner.bootId && me.bootId && owner.bootId !== me.bootId) return true;
  return owner.pid === me.pid || !me.isAlive(owner.pid);
}

/**
 * Takes the lock of `dir` (created if missing) and clears leftover `*.tmp` files. Resolves to the
 * release function; throws CollectorError('state_locked') naming the owner when it is held.
 */
export async function acquireStateLock(dir: string, deps: LockDeps): Promise<() => Promise<void>> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const lock = path.join(dir, LOCK_FILE);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CollectorError('state', `state: cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const me: LockOwner = {
    pid: deps.pid,
    hostname: deps.hostname,
    ...(deps.bootId ? { bootId: deps.bootId } : {}),
    ...(deps.containerId ? { containerId: deps.containerId } : {}),
    startedAtSec: deps.nowSec(),
  };
  const mine = `${JSON.stringify(me)}\n`;
  const refuse = (o: LockOwner) =>
    new CollectorError('state_locked', `state: ${dir} is in use by another collector (${describeOwner(o)}); one process at a time owns a state dir (if that collector is gone for good, remove ${lock})`);

  for (let attempt = 0; attempt < 5; attempt++) {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new CollectorError('state', `state: cannot lock ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (fh) {
      try {
        await fh.writeFile(mine);
        await fh.sync();
      } finally {
        await fh.close();
      }
      // Two processes taking over the same stale lock: the later one removed the earlier one's file
      // and made its own. Whoever finds its own content after a moment owns the dir.
      await sleep(50);
      const now = await fs.readFile(lock, 'utf8').catch(() => '');
      if (now !== mine) {
        const o = parseOwner(now);
        if (o && !('legacyPid' in o)) throw refuse(o);
        continue;
      }
      for (const f of await fs.readdir(dir)) {
        // A process killed while writing a snapshot leaves its temp file; the snapshot it replaced is intact.
        if (f.endsWith('.tmp')) await fs.rm(path.join(dir, f), { force: true });
      }
      return async () => {
        const still = await fs.readFile(lock, 'utf8').catch(() => '');
        if (still === mine) await fs.rm(lock, { force: true });
      };
    }
    // Held. An empty or half-written lock is being created right now, or was torn by a crash: look again.
    let owner = parseOwner(await fs.readFile(lock, 'utf8').catch(() => ''));
    for (let i = 0; owner === undefined && i < 3; i++) {
      await sleep(100);
      owner = parseOwner(await fs.readFile(lock, 'utf8').catch(() => ''));
    }
    if (owner !== undefined && !ownerGone(owner, deps)) {
      throw refuse('legacyPid' in owner ? { pid: owner.legacyPid, hostname: deps.hostname, startedAtSec: 0 } : owner);
    }
    deps.note?.(
      `state: taking over the lock of ${dir} left by ${owner === undefined ? 'a collector that crashed while creating it' : 'legacyPid' in owner ? `pid ${owner.legacyPid}` : describeOwner(owner)}, which is gone`,
    );
    await fs.rm(lock, { force: true });
  }
  throw new CollectorError('state_locked', `state: could not lock ${dir}: another process keeps taking it; one process at a time owns a state dir`);
}

/** Boot and container identity of this machine, read through `read` (main passes fs.readFileSync): undefined where not available. */
export function readHostIdentity(read: (file: string) => string): { bootId?: string; containerId?: string } {
  const tryRead = (f: string): string => {
    try {
      return read(f);
    } catch {
      return '';
    }
  };
  const bootId = tryRead('/proc/sys/kernel/random/boot_id').trim() || undefined;
  // cgroup v1 and Kubernetes' cgroup paths hold the container id; under cgroup v2 it shows in the mounts:
  // Docker's /var/lib/docker/containers/<id>/hostname, Podman's …/storage/overlay-containers/<id>/userdata/hostname.
  const m = /([0-9a-f]{64})/.exec(tryRead('/proc/self/cgroup')) ?? /\/(?:overlay-)?containers\/(?:[^/\s]*\/)?([0-9a-f]{64})\//.exec(tryRead('/proc/self/mountinfo'));
  return { ...(bootId ? { bootId } : {}), ...(m?.[1] ? { containerId: m[1] } : {}) };
}
