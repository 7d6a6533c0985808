/** Damaged or foreign checkpoint files: one line naming the file and what to do, never a JavaScript message. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorError, ERROR_POLICY } from '../../src/kernel/errors.js';
import type { StreamRef } from '../../src/ports.js';
import { baseName, journalPath, snapshotPath } from '../../src/state/codec.js';
import { readStatus } from '../../src/state/status.js';
import { FileCheckpointStore } from '../../src/state/store.js';

const NOW = Date.parse('2026-11-20T10:00:00Z') / 1000;
const ref: StreamRef = { module: 'tencent', account: 'prod', stream: 'flux' };
const HEADER = JSON.stringify({ format: 'cdn-origin-collector/state', version: 2, module: 'tencent', account: 'prod', stream: 'flux', gen: 1 });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'state-val-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function remedy(files: string[]): string {
  return `move ${files.length === 1 ? `the file ${files[0]}` : files.join(' and ')} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`;
}

async function loadError(): Promise<CollectorError> {
  const err = await new FileCheckpointStore(dir, { nowSec: () => NOW }).load(ref).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CollectorError);
  return err as CollectorError;
}

const domain = (o: Record<string, unknown>) => JSON.stringify({ domain: 'a.com', finalEndSec: NOW - 600, ...o });

// [what is in the snapshot after its header (or the whole file), what the line must say]
const cases: [string, string | null, string][] = [
  ['not JSON at all', '{"format":', 'line 1: is not JSON'],
  ['null', 'null', 'line 1: is null a collector state header'],
  ['a JSON string', '"hello"', 'line 1: is not a collector state header'],
  ['an old (version 1) checkpoint', JSON.stringify({ version: 1, vendor: 'tencent', stream: 'flux', domains: {} }), 'line 1: is not a collector state header'],
  ['an unknown version', HEADER.replace('"version":2', '"version":3'), 'line 1: format version 3 is not known to this collector (it reads version 2); upgrade the collector, or move'],
  ['another stream', HEADER.replace('"flux"', '"bandwidth"'), 'line 1: holds the state of tencent/prod/bandwidth, not of tencent/prod/flux'],
  ['a negative generation', HEADER.replace('"gen":1', '"gen":-1'), 'line 1: header gen is -1, not a generation number'],
  ['an empty file', null, 'line 1: the file is empty'],
];
const domainCases: [string, string, string][] = [
  ['null domain line', 'null', 'line 2: is null, not a domain record'],
  ['a list', '[1,2]', 'line 2: is [1,2], not a domain record'],
  ['no domain name', JSON.stringify({ finalEndSec: NOW }), 'line 2: domain is missing, not a domain name'],
  ['finalEndSec a string', domain({ finalEndSec: 'abc' }), 'line 2: domain "a.com" finalEndSec is "abc", not a time'],
  ['finalEndSec a numeric string', domain({ finalEndSec: '1763600000' }), 'line 2: domain "a.com" finalEndSec is "1763600000", not a time'],
  ['finalEndSec negative', domain({ finalEndSec: -300 }), 'line 2: domain "a.com" finalEndSec is -300, not a time'],
  ['finalEndSec fractional', domain({ finalEndSec: 1.5 }), 'line 2: domain "a.com" finalEndSec is 1.5, not a time'],
  ['finalEndSec null (NaN written by JSON)', domain({ finalEndSec: null }), 'line 2: domain "a.com" finalEndSec is null, not a time'],
  ['finalEndSec missing', JSON.stringify({ domain: 'a.com' }), 'line 2: domain "a.com" finalEndSec is missing, not a time'],
  ['finalEndSec in 2100', domain({ finalEndSec: Date.parse('2100-01-01T00:00:00Z') / 1000 }), 'line 2: domain "a.com" finalEndSec is 2100-01-01T00:00:00Z, in the future (now 2026-11-20T10:00:00Z)'],
  ['finalEndSec in ms', domain({ finalEndSec: NOW * 1000 }), 'in the future (now 2026-11-20T10:00:00Z)'],
  ['tail an object', domain({ tail: { a: 1 } }), 'line 2: domain "a.com" tail is {"a":1}, not a list'],
  ['tail value a string', domain({ tail: [['flux|300', NOW - 600, [1, '12']]] }), `line 2: domain "a.com" tail flux|300|${NOW - 300} is "12", not a written value`],
  ['tail value negative', domain({ tail: [['flux|300', NOW - 600, [-1]]] }), `tail flux|300|${NOW - 600} is -1, not a written value`],
  ['tail series malformed', domain({ tail: [['flux-300', NOW, [1]]] }), 'line 2: domain "a.com" tail series is "flux-300", not metric|intervalSec'],
  ['tail series without interval', domain({ tail: [['flux|0', NOW, [1]]] }), 'tail series is "flux|0", not metric|intervalSec'],
  ['tail first bucket a string', domain({ tail: [['flux|300', 'now', [1]]] }), 'domain "a.com" tail flux|300 first bucket is "now", not a time'],
  ['tail entry an old pair', domain({ tail: [['flux|300|1763600000', 1]] }), 'tail entry ["flux|300|1763600000",1] is not ["metric|intervalSec", firstBucketSec, [values]]'],
  ['owed key malformed', domain({ owed: [['flux-300', 'why', NOW]] }), 'line 2: domain "a.com" owed key is "flux-300", not metric|intervalSec|bucketSec'],
  ['owed sinceSec a string', domain({ owed: [['flux|300|1763600000', 'why', 'yesterday']] }), 'domain "a.com" owed flux|300|1763600000 sinceSec is "yesterday", not a time'],
  ['owed reason a number', domain({ owed: [['flux|300|1763600000', 5, NOW]] }), 'owed flux|300|1763600000 reason is 5, not a text'],
  ['owed window backwards', domain({ owedWindows: [[NOW, NOW - 300, 300, null, 'x', NOW]] }), 'owed window ends (2026-11-20T09:55:00Z) before it starts (2026-11-20T10:00:00Z)'],
  ['owed window granularity 0', domain({ owedWindows: [[NOW - 600, NOW, 0, null, 'x', NOW]] }), 'owed window granularitySec is 0, not a bucket length'],
  ['owed window short', domain({ owedWindows: [[NOW - 600, NOW]] }), 'is not [fromSec, toSec, granularitySec, alignOffsetSec, reason, sinceSec]'],
  ['lastError a string', domain({ lastError: 'boom' }), 'domain "a.com" lastError is "boom", not [atSec, message]'],
  ['duplicate domain', `${domain({})}\n${domain({})}`, 'line 3: domain "a.com" appears twice'],
  ['a long value is cut', domain({ finalEndSec: 'x'.repeat(500) }), `finalEndSec is "${'x'.repeat(36)}..., not a time`],
];

describe('a damaged or foreign snapshot gets one line naming the file and what to do', () => {
  it.each(cases)('%s', async (_name, text, says) => {
    writeFileSync(snapshotPath(dir, ref), text === null ? '' : `${text}\n`);
    const err = await loadError();
    expect(err.kind).toBe('state');
    expect(ERROR_POLICY[err.kind].exitCode).toBe(2);
    const file = snapshotPath(dir, ref);
    expect(err.message).toContain(`state: ${file} ${says}`);
    if (!says.includes('upgrade')) expect(err.message).toContain(`; ${remedy([file])}`);
    expect(err.message).not.toMatch(/\n|Unexpected token|TypeError|undefined|at JSON/);
  });

  it.each(domainCases)('%s', async (_name, text, says) => {
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n${text}\n`);
    const err = await loadError();
    expect(err.kind).toBe('state');
    expect(err.message).toContain(says);
    expect(err.message.startsWith(`state: ${snapshotPath(dir, ref)} line `)).toBe(true);
    expect(err.message.endsWith(remedy([snapshotPath(dir, ref)]))).toBe(true);
    expect(err.message).not.toMatch(/\n|Unexpected token|TypeError|at JSON/);
    // status reads the same files and says the same line.
    await expect(readStatus(dir, { nowSec: NOW })).rejects.toMatchObject({ kind: 'state', message: err.message });
  });

  it('the exact line of the brief for a string checkpoint', async () => {
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n${domain({ finalEndSec: 'abc' })}\n`);
    const file = snapshotPath(dir, ref);
    expect((await loadError()).message).toBe(
      `state: ${file} line 2: domain "a.com" finalEndSec is "abc", not a time; move the file ${file} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`,
    );
  });

  it('a checkpoint up to a day ahead of this clock is accepted (hosts sharing a volume skew), a second more is not', async () => {
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n${domain({ finalEndSec: NOW + 86400 })}\n`);
    expect((await new FileCheckpointStore(dir, { nowSec: () => NOW }).load(ref)).get('a.com')!.finalEndSec).toBe(NOW + 86400);
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n${domain({ finalEndSec: NOW + 86401 })}\n`);
    expect((await loadError()).message).toContain('in the future');
  });

  it('a journal with damage names both files in the remedy', async () => {
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n${domain({})}\n`);
    writeFileSync(journalPath(dir, ref), `${HEADER}\n${domain({ finalEndSec: 'x' })}\n${domain({})}\n`);
    const err = await loadError();
    expect(err.message).toBe(
      `state: ${journalPath(dir, ref)} line 2: domain "a.com" finalEndSec is "x", not a time; move ${snapshotPath(dir, ref)} and ${journalPath(dir, ref)} away to collect that stream afresh (its domains restart from InfluxDB or collect.initialLookbackMs)`,
    );
  });

  it('a journal ahead of its snapshot (the snapshot replaced or lost) is refused', async () => {
    writeFileSync(journalPath(dir, ref), `${HEADER.replace('"gen":1', '"gen":3')}\n${domain({})}\n`);
    expect((await loadError()).message).toContain('line 1: the journal follows snapshot generation 3, but the snapshot is missing');
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n`);
    expect((await loadError()).message).toContain('the journal follows snapshot generation 3, but the snapshot is generation 1');
  });

  it('a damaged last journal line that is complete JSON but invalid is damage, not a torn write', async () => {
    writeFileSync(snapshotPath(dir, ref), `${HEADER}\n`);
    writeFileSync(journalPath(dir, ref), `${HEADER}\n${domain({ finalEndSec: -1 })}\n`);
    expect((await loadError()).message).toContain('finalEndSec is -1, not a time');
  });

  it('file names escape what a file name cannot hold, without collisions', () => {
    expect(baseName({ module: 'huawei', account: 'a/b', stream: 'stats/traffic/detail' })).toBe('huawei.a%2Fb.stats%2Ftraffic%2Fdetail');
    expect(baseName({ module: 'm', account: 'a.b', stream: 's' })).not.toBe(baseName({ module: 'm', account: 'a', stream: 'b.s' }));
    expect(baseName({ module: 'm', account: 'a_b', stream: 's' })).not.toBe(baseName({ module: 'm', account: 'a/b', stream: 's' }));
    expect(baseName({ module: 'm', account: '账号', stream: 's' })).toBe('m.%E8%B4%A6%E5%8F%B7.s');
  });

  it('a file renamed to another stream’s name is refused by status', async () => {
    writeFileSync(path.join(dir, `${baseName({ ...ref, stream: 'bandwidth' })}.state.jsonl`), `${HEADER}\n`);
    await expect(readStatus(dir, { nowSec: NOW })).rejects.toMatchObject({ kind: 'state', message: expect.stringContaining('holds the state of tencent/prod/flux, which belongs in tencent.prod.flux.state.jsonl (renamed or copied?)') });
  });
});
