/**
 * Pins the error table (src/kernel/errors.ts): a CollectorError carries its kind and its cause (and no
 * `cause` at all when none was given), `isKind` decides on the kind alone, and `describeError` gives one
 * line for stderr whatever was thrown (CONTRACT: "never with a stack trace").
 */
import { describe, expect, it } from 'vitest';
import { CollectorError, ERROR_POLICY, VENDOR_ERROR_POLICY, describeError, isKind } from '../../src/kernel/errors.js';

describe('CollectorError', () => {
  it('is an Error named CollectorError with its kind and message', () => {
    const e = new CollectorError('config', 'collect.intervalMs: must be a number');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CollectorError');
    expect(String(e)).toBe('CollectorError: collect.intervalMs: must be a number');
    expect(e.kind).toBe('config');
    expect(e.message).toBe('collect.intervalMs: must be a number');
  });
  it('keeps the cause it was given', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new CollectorError('sink_unreachable', 'influx unreachable', { cause });
    expect(e.cause).toBe(cause);
    expect(new CollectorError('state', 'x', { cause: 'text' }).cause).toBe('text');
  });
  it('has no cause property at all when none was given', () => {
    expect(Object.hasOwn(new CollectorError('usage', 'x'), 'cause')).toBe(false);
    expect(Object.hasOwn(new CollectorError('usage', 'x', {}), 'cause')).toBe(false);
    expect(Object.hasOwn(new CollectorError('usage', 'x', { cause: undefined }), 'cause')).toBe(false);
  });
});

describe('isKind', () => {
  it('true for a CollectorError of any listed kind, false otherwise', () => {
    const e = new CollectorError('sink_auth', 'x');
    expect(isKind(e, 'sink_auth')).toBe(true);
    expect(isKind(e, 'sink_timeout', 'sink_auth')).toBe(true);
    expect(isKind(e, 'sink_timeout', 'sink_server')).toBe(false);
    expect(isKind(e)).toBe(false);
  });
  it('decides on the class and the kind, never on look-alikes or message text', () => {
    const lookAlike = Object.assign(new Error('sink_auth'), { kind: 'sink_auth' });
    expect(isKind(lookAlike, 'sink_auth')).toBe(false);
    expect(isKind({ kind: 'sink_auth' }, 'sink_auth')).toBe(false);
    expect(isKind(undefined, 'sink_auth')).toBe(false);
  });
});

describe('describeError', () => {
  it('the first line of an Error message, no stack', () => {
    const e = new Error('influx: unreachable\n    at foo (x.js:1:1)');
    expect(describeError(e)).toBe('influx: unreachable');
    expect(describeError(new CollectorError('config', 'one\ntwo'))).toBe('one');
    expect(describeError(new Error(''))).toBe('');
  });
  it('anything thrown that is not an Error: its string form, first line only', () => {
    expect(describeError('first\nsecond')).toBe('first');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError({ toString: () => 'obj\nmore' })).toBe('obj');
  });
});

describe('policy tables (CONTRACT: exit 2 is usage and configuration only)', () => {
  it('usage, config and state errors exit 2 and stop run; sink and vendor failures exit 1', () => {
    for (const k of ['usage', 'config', 'state', 'state_locked'] as const) expect(ERROR_POLICY[k]).toEqual({ exitCode: 2, stopsRun: true });
    for (const k of ['sink_unreachable', 'sink_timeout', 'sink_server', 'sink_refused', 'vendor', 'stopped'] as const) expect(ERROR_POLICY[k]).toEqual({ exitCode: 1, stopsRun: false });
    // Retrying cannot help a refused credential or a missing database: run stops.
    expect(ERROR_POLICY.sink_auth).toEqual({ exitCode: 1, stopsRun: true });
    expect(ERROR_POLICY.sink_not_found).toEqual({ exitCode: 1, stopsRun: true });
  });
  it('a refused vendor key stops its account, a wrong clock rebuilds, a missing domain waits', () => {
    expect(VENDOR_ERROR_POLICY.auth.scope).toBe('account');
    expect(VENDOR_ERROR_POLICY.auth.retry).toBe('reload-credentials');
    expect(VENDOR_ERROR_POLICY.clock).toMatchObject({ retry: 'rebuild', scope: 'account' });
    expect(VENDOR_ERROR_POLICY.not_found).toMatchObject({ retry: 'never', scope: 'domain' });
    expect(VENDOR_ERROR_POLICY.invalid).toMatchObject({ retry: 'never', scope: 'window' });
    for (const k of ['throttled', 'unavailable', 'timeout', 'malformed'] as const) expect(VENDOR_ERROR_POLICY[k]).toEqual({ retry: 'backoff', scope: 'window', hint: '' });
  });
});
