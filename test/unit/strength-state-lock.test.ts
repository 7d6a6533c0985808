/** The state-dir lock: who may take it over, what the refusal says, and the race on a stale lock. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/kernel/errors.js';
import { caught } from '../support/caught.js';
import { acquireStateLock, LOCK_FILE, ownerGone, readHostIdentity, type LockDeps } from '../../src/state/lock.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'strength-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, '.lock');

function me(over: Partial<LockDeps> = {}, alive: number[] = []): LockDeps & { notes: string[]; sleeps: number[] } {
  const notes: string[] = [];
  const sleeps: number[] = [];
  return { pid: 7, hostname: 'h1', bootId: 'boot-a', isAlive: (p) => alive.includes(p), nowSec: () => NOW, sleep: async (ms) => void sleeps.push(ms), note: (l) => notes.push(l), notes, sleeps, ...over };
}


const refusal = (owner: string) =>
  `state: ${dir} is in use by another collector (${owner}); one process at a time owns a state dir (if that collector is gone for good, remove ${lockFile()})`;

describe('ownerGone', () => {
  const deps = (alive: number[], o: Partial<LockDeps> = {}) => me(o, alive);
  const owner = (o: Record<string, unknown> = {}) => ({ pid: 5, hostname: 'h1', bootId: 'boot-a', startedAtSec: 1, ...o });

  it('another host: never, alive or not, whatever the boot ids', () => {
    expect(ownerGone(owner({ hostname: 'h2' }), deps([]))).toBe(false);
    expect(ownerGone(owner({ hostname: 'h2', bootId: 'boot-b' }), deps([]))).toBe(false);
    expect(ownerGone(owner({ hostname: 'h2', pid: 7 }), deps([]))).toBe(false);
  });

  it('same host, another boot: gone even when the PID is alive; a boot id missing on either side: the PID decides', () => {
    expect(ownerGone(owner({ bootId: 'boot-b' }), deps([5]))).toBe(true);
    expect(ownerGone(owner({ bootId: undefined }), deps([5]))).toBe(false);
    expect(ownerGone(owner({ bootId: 'boot-b' }), deps([5], { bootId: undefined }))).toBe(false);
    expect(ownerGone(owner({ bootId: undefined }), deps([]))).toBe(true);
  });

  it('same host and boot: our own PID, or a dead one', () => {
    expect(ownerGone(owner(), deps([5]))).toBe(false);
    expect(ownerGone(owner(), deps([]))).toBe(true);
    expect(ownerGone(owner({ pid: 7 }), deps([7]))).toBe(true);
  });

  it('a bare PID: ours, or dead', () => {
    expect(ownerGone({ legacyPid: 5 }, deps([5]))).toBe(false);
    expect(ownerGone({ legacyPid: 5 }, deps([]))).toBe(true);
    expect(ownerGone({ legacyPid: 7 }, deps([7]))).toBe(true);
  });
});

describe('acquireStateLock', () => {
  it('writes its owner, waits 50 ms and checks it is still its own; removes *.tmp files only', async () => {
    expect(LOCK_FILE).toBe('.lock');
    writeFileSync(path.join(dir, 'a.tmp'), '');
    writeFileSync(path.join(dir, 'tmp'), '');
    writeFileSync(path.join(dir, 'a.tmp.keep'), '');
    const d = me({ bootId: undefined, containerId: undefined });
    const release = await acquireStateLock(dir, d);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${JSON.stringify({ pid: 7, hostname: 'h1', startedAtSec: NOW })}\n`);
    expect(d.sleeps).toEqual([50]);
    expect(d.notes).toEqual([]);
    expect([existsSync(path.join(dir, 'a.tmp')), existsSync(path.join(dir, 'tmp')), existsSync(path.join(dir, 'a.tmp.keep'))]).toEqual([false, true, true]);
    await release();
    expect(existsSync(lockFile())).toBe(false);
    await release();
  });

  it('a state dir that cannot be made: one line', async () => {
    writeFileSync(path.join(dir, 'f'), '');
    const e = await caught(acquireStateLock(path.join(dir, 'f', 'sub'), me()));
    expect([e.kind, e.message]).toEqual(['state', `state: cannot create ${path.join(dir, 'f', 'sub')}: ENOTDIR`]);
  });

  it('refusals name the owner: container id cut to 12, start time or an unknown one; a bare PID on our host', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h2', containerId: '0123456789abcdef', startedAtSec: NOW - 60 }));
    expect((await caught(acquireStateLock(dir, me()))).message).toBe(refusal('pid 9 on host h2, container 0123456789ab, since 2026-11-20T09:59:00Z'));
    writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h2', containerId: 5, bootId: 6, startedAtSec: 'x' }));
    expect((await caught(acquireStateLock(dir, me()))).message).toBe(refusal('pid 9 on host h2, since an unknown time'));
    writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h2', startedAtSec: 0 }));
    expect((await caught(acquireStateLock(dir, me()))).message).toBe(refusal('pid 9 on host h2, since an unknown time'));
    writeFileSync(lockFile(), ' 9\n');
    const e = await caught(acquireStateLock(dir, me({}, [9])));
    expect([e.kind, e.message]).toEqual(['state_locked', refusal('pid 9 on host h1, since an unknown time')]);
  });

  it('only a text boot id counts, only a number start time', async () => {
    writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h1', bootId: 6, startedAtSec: '1790000000' }));
    const e = await caught(acquireStateLock(dir, me({}, [9])));
    expect(e.message).toBe(refusal('pid 9 on host h1, since an unknown time'));
  });

  it('taking over without a note function', async () => {
    writeFileSync(lockFile(), '9');
    const { note: _n, ...d } = me();
    await acquireStateLock(dir, d);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(7);
  });

  it('a lock that vanishes while we wait on it: tried again', async () => {
    let round = 0;
    const d = me({
      sleep: async (ms) => {
        d.sleeps.push(ms);
        if (ms === 50 && round++ === 0) rmSync(lockFile());
      },
    });
    await acquireStateLock(dir, d);
    expect(d.sleeps).toEqual([50, 50]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(7);
  });

  it('losing the race to a collector of this host: refused even if its PID looks dead now', async () => {
    const other = JSON.stringify({ pid: 8, hostname: 'h1', bootId: 'boot-a', startedAtSec: NOW });
    const d = me({
      sleep: async (ms) => {
        d.sleeps.push(ms);
        if (ms === 50) writeFileSync(lockFile(), other);
      },
    });
    const e = await caught(acquireStateLock(dir, d));
    expect(e.message).toBe(refusal('pid 8 on host h1, since 2026-11-20T10:00:00Z'));
    expect(d.notes).toEqual([]);
  });

  it('a bare PID gone, or an owner from a booted-away machine: taken over with a note naming it', async () => {
    writeFileSync(lockFile(), '9');
    const d = me();
    await acquireStateLock(dir, d);
    expect(d.notes).toEqual([`state: taking over the lock of ${dir} left by pid 9, which is gone`]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(7);
    writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h1', bootId: 'boot-z', containerId: 'c'.repeat(64), startedAtSec: NOW - 3600 }));
    const d2 = me({}, [9]);
    await acquireStateLock(dir, d2);
    expect(d2.notes).toEqual([`state: taking over the lock of ${dir} left by pid 9 on host h1, container cccccccccccc, since 2026-11-20T09:00:00Z, which is gone`]);
  });

  it('unreadable content (not an owner) is looked at three more times, 100 ms apart, then taken over', async () => {
    for (const junk of ['', '9x', 'x9', '{"pid":"9","hostname":"h1"}', '{"pid":9}', '{"pid":9,"hostname":1}', 'null', '{"pid":9,"hos']) {
      writeFileSync(lockFile(), junk);
      const d = me();
      await acquireStateLock(dir, d);
      expect(d.sleeps).toEqual([100, 100, 100, 50]);
      expect(d.notes).toEqual([`state: taking over the lock of ${dir} left by a collector that crashed while creating it, which is gone`]);
    }
  });

  it('a lock being written is read again until whole: then its owner decides', async () => {
    writeFileSync(lockFile(), '');
    const d = me({
      sleep: async (ms) => {
        d.sleeps.push(ms);
        if (d.sleeps.length === 2) writeFileSync(lockFile(), JSON.stringify({ pid: 9, hostname: 'h1', bootId: 'boot-a', startedAtSec: NOW }));
      },
    }, [9]);
    expect((await caught(acquireStateLock(dir, d))).kind).toBe('state_locked');
    expect(d.sleeps).toEqual([100, 100]);
  });

  it('losing the race for a stale lock to a collector: refused naming it; to a bare PID or junk: tried again', async () => {
    const other = JSON.stringify({ pid: 8, hostname: 'h3', startedAtSec: NOW });
    const d = me({
      sleep: async (ms) => {
        d.sleeps.push(ms);
        if (ms === 50) writeFileSync(lockFile(), other);
      },
    });
    const e = await caught(acquireStateLock(dir, d));
    expect(e.message).toBe(refusal('pid 8 on host h3, since 2026-11-20T10:00:00Z'));
    rmSync(lockFile());
    let round = 0;
    const d2 = me({
      sleep: async (ms) => {
        d2.sleeps.push(ms);
        if (ms === 50 && round++ === 0) writeFileSync(lockFile(), '12345');
      },
    });
    const release = await acquireStateLock(dir, d2);
    expect(d2.notes).toEqual([`state: taking over the lock of ${dir} left by pid 12345, which is gone`]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(7);
    await release();
  });

  it('a lock that keeps being taken: five tries, then one line', async () => {
    const d = me({
      sleep: async (ms) => {
        d.sleeps.push(ms);
        if (ms === 50) writeFileSync(lockFile(), '');
      },
    });
    const e = await caught(acquireStateLock(dir, d));
    expect([e.kind, e.message]).toEqual(['state_locked', `state: could not lock ${dir}: another process keeps taking it; one process at a time owns a state dir`]);
    // tries 1, 3 and 5 create the lock and lose it; 2 and 4 find junk, look again three times and take it over
    expect(d.sleeps).toEqual([50, 100, 100, 100, 50, 100, 100, 100, 50]);
  });

  it('without a sleep given, the real one is used', async () => {
    const { sleep: _s, ...d } = me();
    const t0 = performance.now();
    await acquireStateLock(dir, d);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });
});

describe('readHostIdentity', () => {
  const files = (m: Record<string, string>) => (f: string) => {
    const v = m[f];
    if (v === undefined) throw new Error('ENOENT');
    return v;
  };
  const id = 'ab'.repeat(32);

  it('a blank boot id is none; a container id only as 64 hex digits; the mounts only under /containers/', () => {
    expect(readHostIdentity(files({ '/proc/sys/kernel/random/boot_id': ' \n', '/proc/self/cgroup': `0::/x/${id.slice(1)}\n` }))).toEqual({});
    expect(readHostIdentity(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': `1 2 3 /var/lib/containers/overlay/${id}/userdata/hostname /etc/hostname\n` }))).toEqual({ containerId: id });
    expect(readHostIdentity(files({ '/proc/self/mountinfo': `1 2 3 /var/lib/docker/containers/${id}/hostname\n` }))).toEqual({ containerId: id });
    expect(readHostIdentity(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': `1 2 3 /var/lib/docker/volumes/${id}/x\n` }))).toEqual({});
    expect(readHostIdentity(files({ '/proc/self/mountinfo': `/containers/${id}x/\n` }))).toEqual({});
    expect(readHostIdentity(files({ '/proc/self/cgroup': `1:cpu:/docker/${id}\n`, '/proc/self/mountinfo': `/containers/${'cd'.repeat(32)}/\n` }))).toEqual({ containerId: id });
    expect(readHostIdentity(files({ '/proc/sys/kernel/random/boot_id': ' b \n' }))).toEqual({ bootId: 'b' });
  });
});
