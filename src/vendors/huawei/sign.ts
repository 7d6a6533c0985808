/**
 * Huawei Cloud API Gateway AK/SK signing, SDK-HMAC-SHA256 (VENDORS.md C.2,
 * https://support.huaweicloud.com/devg-apisign/api-sign-algorithm.html). Every header sent is
 * signed; the canonical URI ends with '/', though the request is sent without it. Pure.
 */
import { createHash, createHmac } from 'node:crypto';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Keeps only A-Z a-z 0-9 - _ . ~ (so ':' becomes %3A). */
export function apigEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface ApigInput {
  readonly method: string;
  readonly path: string;
  /** Repeated keys as arrays. */
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** Every header that is sent, Host and X-Sdk-Date included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function apigCanonicalRequest(i: ApigInput): { canonical: string; signedHeaders: string } {
  let uri = i.path.split('/').map(apigEncode).join('/');
  if (!uri.endsWith('/')) uri += '/';
  const query = Object.keys(i.query)
    .sort()
    .flatMap((k) => {
      const v = i.query[k]!;
      return (typeof v === 'string' ? [v] : [...v].sort()).map((x) => `${apigEncode(k)}=${apigEncode(x)}`);
    })
    .join('&');
  const h = Object.entries(i.headers).map(([k, v]) => [k.toLowerCase(), v.trim()] as const);
  h.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = h.map(([k, v]) => `${k}:${v}\n`).join('');
  const signedHeaders = h.map(([k]) => k).join(';');
  const payload = i.body ? createHash('sha256').update(i.body).digest('hex') : EMPTY_SHA256;
  return { canonical: [i.method, uri, query, canonicalHeaders, signedHeaders, payload].join('\n'), signedHeaders };
}

/** `20191115T033655Z` */
export function sdkDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function apigAuthorization(i: ApigInput, ak: string, sk: string): string {
  const date = Object.entries(i.headers).find(([k]) => k.toLowerCase() === 'x-sdk-date')?.[1] ?? '';
  const { canonical, signedHeaders } = apigCanonicalRequest(i);
  const stringToSign = `SDK-HMAC-SHA256\n${date}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const sig = createHmac('sha256', sk).update(stringToSign).digest('hex');
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
}
