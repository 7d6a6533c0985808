/** RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are (space is %20, never +). */
export function rfc3986(v: string): string {
  return encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&…` sorted by key (byte order), both sides RFC 3986-encoded. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${rfc3986(k)}=${rfc3986(params[k]!)}`)
    .join('&');
}

/** `2026-11-20T00:00:00Z`: second precision, UTC. */
export function isoSeconds(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses a number that may arrive as a JSON number or a numeric string; anything else is undefined. */
export function parseNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function safeJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A vendor's message as one trimmed line of at most 200 characters, with anything that looks like a
 * credential (Authorization values, signatures, tokens, keys) replaced: vendors echo request headers
 * in some error bodies, and these lines reach stderr and logs.
 */
export function vendorMessage(s: unknown): string {
  if (typeof s !== 'string') return '';
  const line = s
    .replace(/\s+/g, ' ')
    // A signed Authorization value runs to the end of the header: everything after the scheme goes.
    .replace(/\b(TC3-HMAC-SHA256|SDK-HMAC-SHA256|ACS3-HMAC-SHA256)\b[^"]*/g, '$1 ***')
    // Any other scheme (`Authorization: Bearer <token>`, Basic): the whole value goes, to the quote or brace that ends it.
    .replace(/(authorization\s*["']?\s*[:=]\s*["']?)[^"'}]+/gi, '$1***')
    // `token` also covers X-Auth-Token (Huawei IAM) and x-acs-security-token (Alibaba STS): the prefix is kept anyway.
    // `sk`/`ak` (Huawei's names for the key pair) only as a name of their own, so that `task=7` or `Break: x` stay readable.
    .replace(/((?:authorization|signature|credential|token|secret[a-z_]*|access[-_]?key[a-z_]*|(?<![a-z0-9])(?:sk|ak))\s*["']?\s*[:=]\s*["']?)[^\s,;"'&]+/gi, '$1***')
    .trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
