/**
 * TC3-HMAC-SHA256 (VENDORS.md B.2, https://cloud.tencent.com/document/api/228/30977).
 * The credential scope date is the UTC date of X-TC-Timestamp; the key is derived from it.
 * Pure: the timestamp is an input.
 */
import { createHash, createHmac } from 'node:crypto';

export interface Tc3Input {
  readonly method: 'GET' | 'POST';
  /** Host without port, as the official SDK signs it. */
  readonly host: string;
  readonly path: string;
  /** The exact query string sent (GET), without '?'. */
  readonly query: string;
  readonly contentType: string;
  readonly payload: string | Buffer;
  readonly timestampSec: number;
  readonly service: string;
  /** Extra headers to sign, lower-cased name → value (the current doc signs x-tc-action, lower-cased). */
  readonly extraSigned?: Readonly<Record<string, string>>;
}

const sha256hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg).digest();

export function tc3CanonicalRequest(i: Tc3Input): { canonical: string; signedHeaders: string } {
  const headers: Record<string, string> = { 'content-type': i.contentType, host: i.host, ...(i.extraSigned ?? {}) };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().toLowerCase()}\n`).join('');
  const signedHeaders = names.join(';');
  return { canonical: [i.method, i.path || '/', i.query, canonicalHeaders, signedHeaders, sha256hex(i.payload)].join('\n'), signedHeaders };
}

export function utcDate(timestampSec: number): string {
  return new Date(timestampSec * 1000).toISOString().slice(0, 10);
}

/**
 * The derived signing key of the last (secret, date, service) signed with: three HMACs that change
 * once a day, kept per adapter (one per account) instead of recomputed on every call. A rotated
 * secret or a new UTC date derives afresh.
 */
export class Tc3KeyCache {
  #secret = '';
  #date = '';
  #service = '';
  #key: Buffer | undefined;

  key(secretKey: string, date: string, service: string): Buffer {
    if (this.#key === undefined || secretKey !== this.#secret || date !== this.#date || service !== this.#service) {
      this.#key = deriveKey(secretKey, date, service);
      this.#secret = secretKey;
      this.#date = date;
      this.#service = service;
    }
    return this.#key;
  }
}

function deriveKey(secretKey: string, date: string, service: string): Buffer {
  return hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
}

export function tc3Signature(i: Tc3Input, secretKey: string, keys?: Tc3KeyCache): { signature: string; signedHeaders: string; scope: string } {
  const { canonical, signedHeaders } = tc3CanonicalRequest(i);
  const date = utcDate(i.timestampSec);
  const scope = `${date}/${i.service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${i.timestampSec}\n${scope}\n${sha256hex(canonical)}`;
  const kSigning = keys ? keys.key(secretKey, date, i.service) : deriveKey(secretKey, date, i.service);
  return { signature: createHmac('sha256', kSigning).update(stringToSign).digest('hex'), signedHeaders, scope };
}

export function tc3Authorization(i: Tc3Input, secretId: string, secretKey: string, keys?: Tc3KeyCache): string {
  const { signature, signedHeaders, scope } = tc3Signature(i, secretKey, keys);
  return `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
