/**
 * state.dir damage: one line naming the file and what to do (exit 2), never a JavaScript message
 * and never a silent stop; a torn last journal line (a crash) is dropped; the lock knows its owner
 * (issue 8, "What must hold" 7 and 10; CONTRACT.md `status`: 2 on an unreadable state).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { header, PRIMARY, writeStream } from '../harness.js';
import type { Case, CaseContext } from '../types.js';

const snap = (ctx: CaseContext) => path.join(ctx.stateDir, `${ctx.streamPrefix}.state.jsonl`);
const journal = (ctx: CaseContext) => path.join(ctx.stateDir, `${ctx.streamPrefix}.journal.jsonl`);
const wipe = (ctx: CaseContext) => {
  rmSync(ctx.stateDir, { recursive: true, force: true });
  mkdirSync(ctx.stateDir, { recursive: true });
};
const dom = (ctx: CaseContext, over: Record<string, unknown>) => JSON.stringify({ domain: ctx.domains[0], finalEndSec: ctx.toSec, ...over });
const FILE = /\.(state|journal)\.jsonl/;

interface S {
  readonly name: string;
  readonly damage: (ctx: CaseContext) => void;
  readonly line: RegExp;
  readonly exit?: number;
  readonly command?: string[];
  readonly repair?: (ctx: CaseContext) => void;
}

const CASES: S[] = [
  { name: 'snapshot holds null', damage: (c) => writeFileSync(snap(c), 'null\n'), line: FILE },
  { name: 'snapshot domain line holds null', damage: (c) => writeStream(c, 'state', [header(c), 'null']), line: FILE },
  { name: 'checkpoint is a string', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { finalEndSec: String(c.toSec) })]), line: FILE },
  { name: 'checkpoint in the year 2100', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { finalEndSec: 4_102_444_800 })]), line: FILE },
  { name: 'checkpoint negative', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { finalEndSec: -300 })]), line: FILE },
  { name: 'checkpoint not an integer', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { finalEndSec: c.toSec + 0.5 })]), line: FILE },
  { name: 'header version 99', damage: (c) => writeStream(c, 'state', [header(c, { version: 99 }), dom(c, {})]), line: FILE },
  { name: 'header gen a string', damage: (c) => writeStream(c, 'state', [header(c, { gen: 'one' }), dom(c, {})]), line: FILE },
  { name: "a foreign stream's file under this stream's name", damage: (c) => writeStream(c, 'state', [header(c, { module: 'tencent', account: 'other', stream: 'flux' }), dom(c, {})]), line: FILE },
  { name: 'a file of another program', damage: (c) => writeFileSync(snap(c), '{"hello":"world"}\n'), line: FILE },
  { name: 'binary garbage', damage: (c) => writeFileSync(snap(c), Buffer.from([0, 1, 2, 255, 254, 10, 0, 0])), line: FILE },
  { name: 'owed entry malformed', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { owed: [['traffic_bytes', 'x']] })]), line: FILE },
  { name: 'torn line in the middle of the journal', damage: (c) => { writeStream(c, 'state', [header(c), dom(c, {})]); writeStream(c, 'journal', [header(c), '{"domain":"a.exa', dom(c, {})]); }, line: FILE },
  { name: 'unreadable file (a directory in its place)', damage: (c) => mkdirSync(snap(c)), line: FILE },
  { name: 'status of a damaged state.dir', damage: (c) => writeStream(c, 'state', [header(c), dom(c, { finalEndSec: 'soon' })]), line: FILE, command: ['status', '--json'] },
  { name: 'state.dir is a regular file', damage: (c) => { rmSync(c.stateDir, { recursive: true, force: true }); writeFileSync(c.stateDir, 'not a dir\n'); }, line: /state/, repair: (c) => { rmSync(c.stateDir, { force: true }); mkdirSync(c.stateDir); } },
  { name: 'lock held by another host', damage: (c) => writeFileSync(path.join(c.stateDir, '.lock'), `${JSON.stringify({ pid: 1, hostname: 'collector-other-host', bootId: 'b0', startedAtSec: c.fromSec })}\n`), line: /collector-other-host/, repair: (c) => rmSync(path.join(c.stateDir, '.lock')) },
  { name: 'lock held by a live process on this host', damage: (c) => writeFileSync(path.join(c.stateDir, '.lock'), `${JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAtSec: c.fromSec })}\n`), line: new RegExp(`pid ${process.pid}`), repair: (c) => rmSync(path.join(c.stateDir, '.lock')) },
];

export const stateCases: Case[] = CASES.map((s) => ({
  name: `state ${s.name}`,
  cls: 'state',
  damage: s.damage,
  command: s.command ?? ['once'],
  repair: s.repair ?? wipe,
  expect: { exit: s.exit ?? 2, line: s.line, noNetwork: true, followUp: true, followUpPartial: true },
}));

stateCases.push(
  {
    name: 'state torn last journal line (a crash) is dropped',
    cls: 'state',
    damage: (c) => { writeStream(c, 'state', [header(c), dom(c, {})]); writeStream(c, 'journal', [header(c), dom(c, {}), '{"domain":"a.exa']); },
    command: ['once'],
    expect: { exit: 0, line: /torn|dropped|incomplete/i, followUp: true, followUpPartial: true, owed: false },
  },
  {
    name: 'state lock left by a process that is gone is taken over',
    cls: 'state',
    damage: (c) => writeFileSync(path.join(c.stateDir, '.lock'), `${JSON.stringify({ pid: 2_147_483_000, hostname: os.hostname(), startedAtSec: c.fromSec })}\n`),
    command: ['once'],
    expect: { exit: 0, line: /lock/i, followUp: true, followUpPartial: true, owed: false },
  },
  {
    name: 'state a stray file of an unknown stream is left alone',
    cls: 'state',
    damage: (c) => writeStream(c, 'state', [header(c, { stream: 'DescribeNothing' }), dom(c, {})], `${c.vendor}.main.DescribeNothing`),
    command: ['once'],
    expect: { exit: 0, followUp: true, followUpPartial: true, owed: false },
  },
);
void PRIMARY;
