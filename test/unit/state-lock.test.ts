/** The state-dir lock knows its owner: host, boot and PID. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_POLICY } from '../../src/kernel/errors.js';
import { acquireStateLock, readHostIdentity, type LockDeps } from '../../src/state/lock.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'state-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, '.lock');

function me(over: Partial<LockDeps> = {}, alive: number[] = []): LockDeps & { notes: string[] } {
  const notes: string[] = [];
  return { pid: 1, hostname: 'collector-0', bootId: 'boot-a', isAlive: (p) => alive.includes(p), nowSec: () => NOW, sleep: async () => {}, note: (l) => notes.push(l), notes, ...over };
}

function heldBy(owner: Record<string, unknown>): void {
  writeFileSync(lockFile(), JSON.stringify({ startedAtSec: NOW - 3600, ...owner }));
}

describe('acquireStateLock', () => {
  it('creates the lock with its owner, clears leftover tmp files, and releases', async () => {
    writeFileSync(path.join(dir, 'x.state.jsonl.tmp'), 'half');
    writeFileSync(path.join(dir, 'keep.state.jsonl'), 'whole');
    const release = await acquireStateLock(dir, me({ containerId: 'c'.repeat(64) }));
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toEqual({ pid: 1, hostname: 'collector-0', bootId: 'boot-a', containerId: 'c'.repeat(64), startedAtSec: NOW });
    expect(existsSync(path.join(dir, 'x.state.jsonl.tmp'))).toBe(false);
    expect(existsSync(path.join(dir, 'keep.state.jsonl'))).toBe(true);
    await release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('creates a missing state dir', async () => {
    const sub = path.join(dir, 'a', 'b');
    await (await acquireStateLock(sub, me()))();
    expect(existsSync(sub)).toBe(true);
  });

  it('same host and boot, owner PID gone: taken over, with a note naming the old owner', async () => {
    heldBy({ pid: 4242, hostname: 'collector-0', bootId: 'boot-a' });
    const deps = me({ pid: 77 }, [77]);
    await acquireStateLock(dir, deps);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(77);
    expect(deps.notes).toEqual([`state: taking over the lock of ${dir} left by pid 4242 on host collector-0, since 2026-11-20T09:00:00Z, which is gone`]);
  });

  it('same host and boot, owner PID alive: refused, exit 2, naming the owner', async () => {
    heldBy({ pid: 4242, hostname: 'collector-0', bootId: 'boot-a' });
    const err = await acquireStateLock(dir, me({ pid: 77 }, [77, 4242])).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'state_locked',
      message: `state: ${dir} is in use by another collector (pid 4242 on host collector-0, since 2026-11-20T09:00:00Z); one process at a time owns a state dir (if that collector is gone for good, remove ${lockFile()})`,
    });
    expect(ERROR_POLICY.state_locked.exitCode).toBe(2);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(4242);
  });

  it('another hostname with the same PID 1 (a second container on the volume): refused whether or not PID 1 looks alive', async () => {
    heldBy({ pid: 1, hostname: 'collector-b', bootId: 'boot-a', containerId: 'd'.repeat(64) });
    for (const alive of [[1], []]) {
      await expect(acquireStateLock(dir, me({ pid: 1 }, alive))).rejects.toMatchObject({
        kind: 'state_locked',
        message: expect.stringContaining(`is in use by another collector (pid 1 on host collector-b, container dddddddddddd, since 2026-11-20T09:00:00Z)`),
      });
    }
  });

  it('another machine: refused even when it rebooted (its boot id tells nothing about ours)', async () => {
    heldBy({ pid: 300, hostname: 'other-host', bootId: 'boot-z' });
    await expect(acquireStateLock(dir, me({ pid: 300 }, []))).rejects.toMatchObject({ kind: 'state_locked' });
  });

  it('same host, another boot id: the machine rebooted (or the pod moved node), taken over even if the PID is alive now', async () => {
    heldBy({ pid: 4242, hostname: 'collector-0', bootId: 'boot-before' });
    await acquireStateLock(dir, me({ pid: 77 }, [77, 4242]));
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: 77, bootId: 'boot-a' });
  });

  it('same host and boot, our own PID: a restarted container whose collector is PID 1 again, taken over', async () => {
    heldBy({ pid: 1, hostname: 'collector-0', bootId: 'boot-a', containerId: 'e'.repeat(64) });
    await acquireStateLock(dir, me({ pid: 1, containerId: 'f'.repeat(64) }, [1]));
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).containerId).toBe('f'.repeat(64));
  });

  it('without boot ids, the PID decides on the same host', async () => {
    heldBy({ pid: 4242, hostname: 'collector-0' });
    await expect(acquireStateLock(dir, me({ pid: 77, bootId: undefined }, [4242]))).rejects.toMatchObject({ kind: 'state_locked' });
    await acquireStateLock(dir, me({ pid: 77, bootId: undefined }, []));
  });

  it('a bare PID left by an earlier version: refused while alive, taken over when gone', async () => {
    writeFileSync(lockFile(), '4242');
    await expect(acquireStateLock(dir, me({ pid: 77 }, [4242]))).rejects.toMatchObject({ kind: 'state_locked', message: expect.stringContaining('(pid 4242 on host collector-0, since an unknown time)') });
    await acquireStateLock(dir, me({ pid: 77 }, []));
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(77);
  });

  it('an empty lock (a crash between creating and writing it) is looked at again, then taken over', async () => {
    writeFileSync(lockFile(), '');
    let waits = 0;
    const deps = me({ pid: 77, sleep: async () => void waits++ });
    await acquireStateLock(dir, deps);
    expect(waits).toBeGreaterThanOrEqual(3);
    expect(deps.notes[0]).toContain('a collector that crashed while creating it');
  });

  it('two processes racing for a free dir: exactly one wins', async () => {
    const a = acquireStateLock(dir, me({ pid: 10 }, [10, 11]));
    const b = acquireStateLock(dir, me({ pid: 11 }, [10, 11]));
    const results = await Promise.allSettled([a, b]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'state_locked' } });
  });

  it('release leaves alone a lock that another process took over', async () => {
    const release = await acquireStateLock(dir, me({ pid: 10 }));
    heldBy({ pid: 11, hostname: 'collector-0', bootId: 'boot-a' });
    await release();
    expect(JSON.parse(readFileSync(lockFile(), 'utf8')).pid).toBe(11);
  });
});

describe('readHostIdentity', () => {
  const files = (m: Record<string, string>) => (f: string) => {
    const v = m[f];
    if (v === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return v;
  };

  it('reads the boot id and a container id from cgroup v1 / Kubernetes paths', () => {
    const id = 'a'.repeat(64);
    expect(readHostIdentity(files({ '/proc/sys/kernel/random/boot_id': 'b1c2\n', '/proc/self/cgroup': `12:memory:/kubepods/burstable/pod1/cri-containerd-${id}.scope\n` }))).toEqual({ bootId: 'b1c2', containerId: id });
  });

  it('falls back to the mounts under cgroup v2 (Docker)', () => {
    const id = '0123456789abcdef'.repeat(4);
    expect(
      readHostIdentity(
        files({
          '/proc/sys/kernel/random/boot_id': 'b1\n',
          '/proc/self/cgroup': '0::/\n',
          '/proc/self/mountinfo': `612 600 8:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n`,
        }),
      ),
    ).toEqual({ bootId: 'b1', containerId: id });
  });

  it('falls back to the mounts under cgroup v2 (Podman, rootful and rootless)', () => {
    const id = 'fedcba9876543210'.repeat(4);
    for (const root of ['/var/lib/containers/storage', '/home/op/.local/share/containers/storage']) {
      const mountinfo = `1021 1003 0:63 ${root}/overlay-containers/${id}/userdata/hostname /etc/hostname rw,nosuid,nodev - tmpfs tmpfs rw\n`;
      expect(readHostIdentity(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': mountinfo }))).toEqual({ containerId: id });
    }
  });

  it('gives what it can on a machine without /proc', () => {
    expect(readHostIdentity(files({}))).toEqual({});
  });
});
