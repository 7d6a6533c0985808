/**
 * Command-line arguments: dates are real calendar dates with a zone, ranges are not in the future,
 * vendors and domains exist, nothing extra is ignored (issue 8, "What must hold" 7; CONTRACT.md
 * "Commands": exit 2 for usage errors, before any network call).
 */
import type { Case } from '../types.js';

const NOW = Math.floor(Date.now() / 1000);
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const FUT1 = iso(Math.floor(NOW / 3600) * 3600 + 86400);
const FUT2 = iso(Math.floor(NOW / 3600) * 3600 + 2 * 86400);

const USAGE: [string, string[], RegExp][] = [
  ['--from 2026-02-30T00:00:00Z (no such day)', ['backfill', '--from', '2026-02-30T00:00:00Z', '--to', '{to}'], /--from.*2026-02-30/],
  ['--from 2025-02-29T00:00:00Z (not a leap year)', ['backfill', '--from', '2025-02-29T00:00:00Z', '--to', '{to}'], /--from/],
  ['--from 2026-13-01T00:00:00Z', ['backfill', '--from', '2026-13-01T00:00:00Z', '--to', '{to}'], /--from/],
  ['--from 2026-01-01T24:00:00Z', ['backfill', '--from', '2026-01-01T24:00:00Z', '--to', '{to}'], /--from/],
  ['--from without a zone', ['backfill', '--from', '2026-01-01T00:00:00', '--to', '{to}'], /--from.*zone|--from/],
  ['--from "yesterday"', ['backfill', '--from', 'yesterday', '--to', '{to}'], /--from/],
  ['--to 2026-04-31T00:00:00Z', ['backfill', '--from', '{from}', '--to', '2026-04-31T00:00:00Z'], /--to/],
  ['--to before --from', ['backfill', '--from', '{to}', '--to', '{from}'], /--to|--from|before|after|empty/],
  ['--from equal to --to', ['backfill', '--from', '{from}', '--to', '{from}'], /--to|--from|empty/],
  ['a range wholly in the future', ['backfill', '--from', FUT1, '--to', FUT2], /future/],
  ['--vendor akamai', ['backfill', '--from', '{from}', '--to', '{to}', '--vendor', 'akamai'], /akamai/],
  ['--vendor without a value', ['backfill', '--from', '{from}', '--to', '{to}', '--vendor'], /--vendor/],
  ['--domain that no vendor has', ['backfill', '--from', '{from}', '--to', '{to}', '--domain', 'nope.example.org'], /nope\.example\.org/],
  ['backfill without --to', ['backfill', '--from', '{from}'], /--to/],
  ['backfill without --from', ['backfill', '--to', '{to}'], /--from/],
  ['backfill with an extra positional', ['backfill', 'now', '--from', '{from}', '--to', '{to}'], /now|argument/],
  ['once with an extra positional', ['once', 'aliyun'], /aliyun|argument/],
  ['once --from (not an option of once)', ['once', '--from', '{from}'], /--from/],
  ['unknown command', ['collect'], /collect/],
  ['unknown flag --frm', ['backfill', '--frm', '{from}', '--to', '{to}'], /--frm/],
  ['verify without a range', ['verify'], /--from|--to/],
  ['status with an extra positional', ['status', '--json', 'now'], /now|argument/],
  ['--config of a missing file', ['once', '--config', '/nonexistent/corpus.json'], /\/nonexistent\/corpus\.json/],
  ['--config of a directory', ['once', '--config', '/tmp'], /\/tmp/],
  ['--vendor tencent, which is not enabled', ['backfill', '--from', '{from}', '--to', '{to}', '--vendor', 'tencent'], /tencent/],
];

export const cliCases: Case[] = USAGE.map(([name, command, line]) => ({ name: `cli ${name}`, cls: 'cli', command, expect: { exit: 2, line, noNetwork: true } }));
cliCases.push(
  { name: 'cli --version', cls: 'cli', command: ['--version'], expect: { exit: 0, noNetwork: true } },
  { name: 'cli --help', cls: 'cli', command: ['--help'], expect: { exit: 0, noNetwork: true } },
  { name: 'cli backfill --vendor aliyun --domain a.example.com (control)', cls: 'cli', command: ['backfill', '--from', '{from}', '--to', '{to}', '--vendor', 'aliyun', '--domain', 'a.example.com'], expect: { exit: 0, influx: 'complete', owed: false } },
);
