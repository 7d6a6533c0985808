/**
 * Alibaba Cloud request signing, both styles (VENDORS.md A.2):
 * ACS3-HMAC-SHA256, the SDK's default (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature),
 * and the RPC HMAC-SHA1 signature (documented as the V2 style, discontinued but still accepted).
 * Pure: time and nonce are inputs.
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalQuery, rfc3986 } from '../encode.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function rpcStringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${method}&${rfc3986('/')}&${rfc3986(canonicalQuery(params))}`;
}

/** Base64 HMAC-SHA1 with key `secret&`, over the doubly encoded query. */
export function rpcSignature(method: string, params: Readonly<Record<string, string>>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params)).digest('base64');
}

export interface Acs3Input {
  readonly method: string;
  readonly pathname: string;
  readonly query: Readonly<Record<string, string>>;
  /** Any case; host, content-type and x-acs-* are signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly payloadSha256: string;
}

export function acs3CanonicalRequest(i: Acs3Input): { canonical: string; signedHeaders: string } {
  const h = new Map<string, string>();
  for (const [k, v] of Object.entries(i.headers)) {
    const lk = k.toLowerCase();
    if (lk === 'host' || lk === 'content-type' || lk.startsWith('x-acs-')) h.set(lk, v.trim());
  }
  const names = [...h.keys()].sort();
  const canonicalHeaders = names.map((n) => `${n}:${h.get(n)}\n`).join('');
  const signedHeaders = names.join(';');
  const uri = i.pathname.split('/').map(rfc3986).join('/') || '/';
  const canonical = [i.method, uri, canonicalQuery(i.query), canonicalHeaders, signedHeaders, i.payloadSha256].join('\n');
  return { canonical, signedHeaders };
}

export function acs3Authorization(i: Acs3Input, accessKeyId: string, secret: string): string {
  const { canonical, signedHeaders } = acs3CanonicalRequest(i);
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  const sig = createHmac('sha256', secret).update(stringToSign).digest('hex');
  return `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${sig}`;
}
