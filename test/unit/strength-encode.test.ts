/**
 * Pins the vendor encoding helpers (src/vendors/encode.ts): RFC 3986 encoding and the canonical query
 * every signer hashes, second-precision ISO times, lenient number parsing, and above all
 * `vendorMessage()`: which credential-looking material a vendor echoes is blanked before it reaches
 * stderr and logs ("Secrets never appear in any output"), and the one-line 200-character cut.
 */
import { describe, expect, it } from 'vitest';
import { canonicalQuery, isoSeconds, parseNumber, rfc3986, safeJson, vendorMessage } from '../../src/vendors/encode.js';

describe('rfc3986', () => {
  it("encodes ! ' ( ) * that encodeURIComponent leaves, with upper-case hex", () => {
    expect(rfc3986("!'()*")).toBe('%21%27%28%29%2A');
    expect(rfc3986('a*b')).toBe('a%2Ab');
  });
  it('leaves the unreserved set alone and encodes space as %20, never +', () => {
    expect(rfc3986('AZaz09-_.~')).toBe('AZaz09-_.~');
    expect(rfc3986('a b+c/d=e&f:g')).toBe('a%20b%2Bc%2Fd%3De%26f%3Ag');
    expect(rfc3986('é')).toBe('%C3%A9');
  });
});

describe('canonicalQuery', () => {
  it('sorts keys by byte order (upper case before underscore before lower case), not by locale', () => {
    expect(canonicalQuery({ b: '2', a: '1', _x: '4', B: '3', a1: '5' })).toBe('B=3&_x=4&a=1&a1=5&b=2');
    expect(canonicalQuery({ z: '1', y: '2', x: '3' })).toBe('x=3&y=2&z=1');
    expect(canonicalQuery({ Action: 'A', AccessKeyId: 'k' })).toBe('AccessKeyId=k&Action=A');
  });
  it('encodes keys and values the RFC 3986 way', () => {
    expect(canonicalQuery({ 'k y': "v a*l('x')" })).toBe('k%20y=v%20a%2Al%28%27x%27%29');
    expect(canonicalQuery({ Time: '2026-11-20T00:00:00Z' })).toBe('Time=2026-11-20T00%3A00%3A00Z');
  });
  it('an empty map is the empty string', () => {
    expect(canonicalQuery({})).toBe('');
  });
});

describe('isoSeconds', () => {
  it('second precision in UTC, no milliseconds', () => {
    expect(isoSeconds(1_763_596_800)).toBe('2025-11-20T00:00:00Z');
    expect(isoSeconds(0)).toBe('1970-01-01T00:00:00Z');
    expect(isoSeconds(1_763_596_861.5)).toBe('2025-11-20T00:01:01Z');
  });
});

describe('parseNumber', () => {
  it.each([
    [42, 42],
    [0, 0],
    [-1.5, -1.5],
    ['12', 12],
    [' 12 ', 12],
    ['+1.5', 1.5],
    ['-.5', -0.5],
    ['1.', 1],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['1e+2', 100],
    ['007', 7],
  ])('%j is %j', (v, n) => expect(parseNumber(v)).toBe(n));

  it.each([
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [Number.NEGATIVE_INFINITY],
    [''],
    ['   '],
    ['abc'],
    ['12abc'],
    ['abc12'],
    ['1 2'],
    ['0x10'],
    ['1_000'],
    ['Infinity'],
    ['NaN'],
    ['1e999'],
    ['.'],
    ['e5'],
    ['1e'],
    ['--1'],
    [true],
    [null],
    [undefined],
    [{}],
    [[1]],
  ])('%j is not a number', (v) => expect(parseNumber(v)).toBeUndefined());
});

describe('safeJson', () => {
  it('parses JSON, and anything unparseable is undefined instead of a throw', () => {
    expect(safeJson('{"a":[1,"x"]}')).toEqual({ a: [1, 'x'] });
    expect(safeJson('null')).toBeNull();
    expect(safeJson('<html>502</html>')).toBeUndefined();
    expect(safeJson('')).toBeUndefined();
  });
});

describe('vendorMessage: shape', () => {
  it('anything but a string is the empty message', () => {
    expect(vendorMessage(undefined)).toBe('');
    expect(vendorMessage(null)).toBe('');
    expect(vendorMessage(42)).toBe('');
    expect(vendorMessage({ message: 'x' })).toBe('');
  });
  it('one line: every run of whitespace (newlines, tabs, double spaces) is one space, ends trimmed', () => {
    expect(vendorMessage('  bad\r\n\trequest  here \n')).toBe('bad request here');
    expect(vendorMessage('a  b')).toBe('a b');
    expect(vendorMessage('plain message')).toBe('plain message');
  });
  it('at most 200 characters: 200 stay whole, 201 become 199 and an ellipsis', () => {
    const x200 = 'x'.repeat(200);
    expect(vendorMessage(x200)).toBe(x200);
    const cut = vendorMessage(`${'y'.repeat(199)}zz`);
    expect(cut).toBe(`${'y'.repeat(199)}…`);
    expect(cut).toHaveLength(200);
    expect(vendorMessage('a'.repeat(500))).toBe(`${'a'.repeat(199)}…`);
  });
  it('the cut counts the collapsed line, not the raw text', () => {
    const raw = `${'w'.repeat(100)}${' '.repeat(300)}${'v'.repeat(99)}`;
    expect(vendorMessage(raw)).toBe(`${'w'.repeat(100)} ${'v'.repeat(99)}`);
  });
});

describe('vendorMessage: signed Authorization values', () => {
  // Each vendor's signing scheme (Tencent TC3, Huawei SDK-HMAC, Alibaba ACS3): everything after the
  // scheme name goes, up to a closing double quote (a JSON echo) or the end of the message.
  it.each(['TC3-HMAC-SHA256', 'SDK-HMAC-SHA256', 'ACS3-HMAC-SHA256'])('%s: the rest of the value is blanked', (scheme) => {
    const msg = `echoed "${scheme} Credential=AKIDsecretid/2026-11-30/cdn/tc3_request, SignedHeaders=content-type;host, Signature=0123abcd" rest`;
    expect(vendorMessage(msg)).toBe(`echoed "${scheme} ***" rest`);
  });
  it('with no closing quote it runs to the end of the message', () => {
    expect(vendorMessage('got TC3-HMAC-SHA256 Access=AKIDx, Sig=abc0123 tail words')).toBe('got TC3-HMAC-SHA256 ***');
  });
  it('the scheme must stand as a word of its own', () => {
    expect(vendorMessage('XTC3-HMAC-SHA256 keep')).toBe('XTC3-HMAC-SHA256 keep');
    expect(vendorMessage('TC3-HMAC-SHA2567 keep')).toBe('TC3-HMAC-SHA2567 keep');
  });
  it('in a JSON echo the header name and the scheme both go', () => {
    expect(vendorMessage('{"Authorization":"ACS3-HMAC-SHA256 Credential=LTAIsecret,Signature=ff00"}')).toBe('{"Authorization":"***"}');
  });
  it('an Authorization header line keeps its name and scheme position, nothing of the credential', () => {
    const out = vendorMessage('bad request\nAuthorization: TC3-HMAC-SHA256 Credential=AKIDsecret/2026-11-30/cdn/tc3_request, Signature=abcdef0123');
    expect(out).toBe('bad request Authorization: ***');
  });
});

describe('vendorMessage: key=value and key: value secrets', () => {
  it.each([
    ['Authorization: abc123', 'Authorization: ***'],
    ['authorization=abc123', 'authorization=***'],
    ['Signature=Zm9vYmFy', 'Signature=***'],
    ['signature: Zm9vYmFy', 'signature: ***'],
    ['Credential=AKID123/2026', 'Credential=***'],
    ['X-Auth-Token: MIIxyz', 'X-Auth-Token: ***'],
    ['x-acs-security-token=CAIS.abc', 'x-acs-security-token=***'],
    ['X-Security-Token: sts', 'X-Security-Token: ***'],
    ['token=sess-secret', 'token=***'],
    ['Token: sess', 'Token: ***'],
    ['SecretKey=sk123', 'SecretKey=***'],
    ['secret_access_key: s3cr3t', 'secret_access_key: ***'],
    ['secret=hunter2', 'secret=***'],
    ['AccessKeySecret=abc', 'AccessKeySecret=***'],
    ['access_key_id=LTAIabc', 'access_key_id=***'],
    ['access-key: LTAIabc', 'access-key: ***'],
    ['accesskey=abc', 'accesskey=***'],
    ['sk=abc', 'sk=***'],
    ['AK: abc', 'AK: ***'],
    ['x_sk=abc', 'x_sk=***'],
    ['"ak":"abc"', '"ak":"***"'],
  ])('%s', (input, out) => expect(vendorMessage(input)).toBe(out));

  it('sk and ak only as names of their own: words ending in them stay', () => {
    expect(vendorMessage('task=7 Break: x ask=1 peak:9')).toBe('task=7 Break: x ask=1 peak:9');
  });

  it('spaces and quotes around the separator are allowed and kept', () => {
    expect(vendorMessage('token = abc')).toBe('token = ***');
    expect(vendorMessage('token  :  abc')).toBe('token : ***');
    expect(vendorMessage('"token": "abc" next')).toBe('"token": "***" next');
    expect(vendorMessage("'secret'='abc'")).toBe("'secret'='***'");
    expect(vendorMessage('"signature":"abc"')).toBe('"signature":"***"');
  });

  it('the value ends at whitespace, comma, semicolon, quote or ampersand; what follows stays', () => {
    expect(vendorMessage('token=abc def')).toBe('token=*** def');
    expect(vendorMessage('token=abc,def')).toBe('token=***,def');
    expect(vendorMessage('token=abc;def')).toBe('token=***;def');
    expect(vendorMessage('token=abc"def')).toBe('token=***"def');
    expect(vendorMessage("token=abc'def")).toBe("token=***'def");
    expect(vendorMessage('Signature=abc&Timestamp=2026')).toBe('Signature=***&Timestamp=2026');
  });

  it('every secret in a query string echo goes, the rest stays readable', () => {
    expect(vendorMessage('GET /?AccessKeyId=LTAIx&Action=Describe&Signature=a%2Fb&SignatureNonce=n1&SecurityToken=t1')).toBe(
      'GET /?AccessKeyId=***&Action=Describe&Signature=***&SignatureNonce=n1&SecurityToken=***',
    );
  });

  it('a key without a separator is not a secret, and neither is plain text', () => {
    expect(vendorMessage('The signature does not match')).toBe('The signature does not match');
    expect(vendorMessage('token expired')).toBe('token expired');
    expect(vendorMessage('domain=a.com interval=300')).toBe('domain=a.com interval=300');
  });

  it('the Tencent echo of a whole request leaves none of its secrets', () => {
    const msg = `bad request\nAuthorization: TC3-HMAC-SHA256 Credential=AKIDsecret/2026-11-30/cdn/tc3_request, Signature=abcdef0123 token=sess-secret ${'x'.repeat(400)}`;
    const out = vendorMessage(msg);
    expect(out).not.toMatch(/AKIDsecret|abcdef0123|sess-secret/);
    expect(out).toBe('bad request Authorization: ***');
  });
});

describe('parseNumber: digits on every side of the point and in the exponent', () => {
  it.each([
    ['12.5', 12.5],
    ['10.25', 10.25],
    ['.25', 0.25],
    ['1e10', 1e10],
    ['-3.75e-12', -3.75e-12],
  ])('%j is %j', (v, n) => expect(parseNumber(v)).toBe(n));
});

describe('vendorMessage: any Authorization scheme', () => {
  it('blanks the whole value of a Bearer or Basic header, not just the scheme word', () => {
    const m = vendorMessage('{"Message":"denied","Echo":{"Authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig"}}');
    expect(m).not.toMatch(/eyJ|c2VjcmV0|sig"/);
    expect(m).toContain('"Authorization":"***');
    expect(vendorMessage('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: ***');
  });
});
