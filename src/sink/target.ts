/**
 * Where InfluxDB is and how to authenticate, for writes and for the recovery query alike.
 *
 * Both API versions go over plain node:http (keep-alive, one socket), not through
 * @influxdata/influxdb-client's transport, with the same request the client would send
 * (`POST /api/v2/write?org&bucket&precision=s`, `Authorization: Token`, text/plain, no gzip). The
 * client's transport cannot give what the contract asks of every write: its `timeout` is an idle
 * timeout (a server that sends headers and then trickles or stalls keeps it waiting), and it reads
 * JSON error bodies without a cap. bench/write-path.ts measures both paths beside a raw POST.
 */
import { endpointFor, printableUrl, type Endpoint } from './http.js';

export type InfluxTarget =
  | {
      readonly apiVersion: 1;
      readonly url: string;
      readonly database: string;
      readonly retentionPolicy?: string;
      readonly username?: string;
      readonly password?: string;
    }
  | {
      readonly apiVersion: 2;
      readonly url: string;
      readonly org: string;
      readonly bucket: string;
      readonly token?: string;
    };

export interface Connection {
  /** `influx: http://host:8086`, for messages: no userinfo, no query. */
  readonly label: string;
  readonly writeUrl: URL;
  /** InfluxQL `/query` (1.x, and the v1-compatible endpoint of 2.x/3.x with db = bucket). */
  readonly queryUrl: URL;
  readonly authorization?: string;
  /** Literal secrets to scrub from anything a server says. */
  readonly secrets: readonly string[];
  readonly endpoint: Endpoint;
}

export function connect(t: InfluxTarget): Connection {
  const base = new URL(t.url);
  // Credentials in the URL are used, never printed nor sent in the URL.
  const urlUser = decodeURIComponent(base.username);
  const urlPass = decodeURIComponent(base.password);
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  const root = base.toString().replace(/\/+$/, '');
  const secrets: string[] = [];
  let authorization: string | undefined;
  const writeUrl = new URL(`${root}/${t.apiVersion === 1 ? 'write' : 'api/v2/write'}`);
  const queryUrl = new URL(`${root}/query`);
  if (t.apiVersion === 1) {
    writeUrl.searchParams.set('db', t.database);
    queryUrl.searchParams.set('db', t.database);
    if (t.retentionPolicy) {
      writeUrl.searchParams.set('rp', t.retentionPolicy);
      queryUrl.searchParams.set('rp', t.retentionPolicy);
    }
    const user = t.username || urlUser;
    const pass = t.username ? (t.password ?? '') : urlPass;
    if (user) {
      authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      secrets.push(`${user}:${pass}`);
    }
    if (pass) secrets.push(pass);
  } else {
    writeUrl.searchParams.set('org', t.org);
    writeUrl.searchParams.set('bucket', t.bucket);
    queryUrl.searchParams.set('db', t.bucket);
    const token = t.token || urlPass;
    if (token) {
      authorization = `Token ${token}`;
      secrets.push(token);
    }
  }
  writeUrl.searchParams.set('precision', 's');
  queryUrl.searchParams.set('epoch', 's');
  if (urlPass) secrets.push(urlPass);
  return { label: `influx: ${printableUrl(t.url)}`, writeUrl, queryUrl, ...(authorization ? { authorization } : {}), secrets, endpoint: endpointFor(base) };
}
