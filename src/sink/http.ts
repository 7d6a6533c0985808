/**
 * One HTTP exchange with InfluxDB, bounded: a wall-clock deadline over the whole exchange (connect,
 * headers and body: a server that sends headers and then stalls does not hang the collector) and a
 * cap on the response body read. Plus the rules for showing what a server said: one trimmed line,
 * never a credential.
 */
import http from 'node:http';
import https from 'node:https';

export interface Exchange {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The body was longer than the cap; `body` holds its start. */
  readonly truncated: boolean;
}

/** Why an exchange did not complete: a network error, the deadline, or nothing at all. */
export class ExchangeError extends Error {
  constructor(
    readonly code: 'Timeout' | 'Network',
    message: string,
  ) {
    super(message);
    this.name = 'ExchangeError';
  }
}

export interface Endpoint {
  readonly agent: http.Agent;
  readonly request: typeof http.request;
}

/** One keep-alive connection per endpoint: writes are sequential, so one socket is all they use. */
export function endpointFor(url: URL): Endpoint {
  const tls = url.protocol === 'https:';
  return tls
    ? { agent: new https.Agent({ keepAlive: true, maxSockets: 1 }), request: https.request }
    : { agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), request: http.request };
}

export function exchange(
  ep: Endpoint,
  url: URL,
  o: { method: 'GET' | 'POST'; headers: Record<string, string | number>; body?: string | readonly Buffer[]; deadlineMs: number; maxBodyBytes: number },
): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const body = o.body;
    const length = body === undefined ? undefined : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.reduce((n, b) => n + b.length, 0);
    const req = ep.request(url, { method: o.method, agent: ep.agent, headers: length !== undefined ? { ...o.headers, 'content-length': length } : o.headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (settled) return;
        const room = o.maxBodyBytes - size;
        if (c.length > room) {
          chunks.push(c.subarray(0, Math.max(0, room)));
          done(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), truncated: true }));
          // Stop reading: the socket goes, the next request opens a fresh one.
          res.destroy();
          return;
        }
        size += c.length;
        chunks.push(c);
      });
      res.on('end', () => done(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), truncated: false })));
      res.on('error', (err) => done(() => reject(new ExchangeError('Network', networkMessage(err)))));
      res.on('aborted', () => done(() => reject(new ExchangeError('Network', 'the connection closed before the answer was complete'))));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(() => reject(new ExchangeError('Timeout', `no complete answer within ${o.deadlineMs} ms`)));
    }, o.deadlineMs);
    req.on('error', (err) => done(() => reject(new ExchangeError('Network', networkMessage(err)))));
    if (typeof body === 'string' || body === undefined) {
      // A string body is encoded into the socket directly: no copy into a Buffer first.
      req.end(body, 'utf8');
      return;
    }
    // The parts as they are, corked: end() uncorks them into one writev rather than a write each.
    req.cork();
    for (const b of body) req.write(b);
    req.end();
  });
}

function networkMessage(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = (e.message || e.cause?.message || String(err)).split('\n')[0]!;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** A URL as it may be printed: no userinfo, no query (it may carry `u=`/`p=`). */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//').replace(/\?.*$/, '');
  }
}

const REDACTED = '[redacted]';

/**
 * Removes credential-like material from server text: `Authorization:` headers echoed back,
 * `Token`/`Basic`/`Bearer` values, password-like query parameters, URL userinfo, and every literal
 * secret the caller knows (and its base64 form, as a Basic header carries it).
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 3) continue;
    for (const form of [s, Buffer.from(s).toString('base64'), encodeURIComponent(s)]) out = out.split(form).join(REDACTED);
  }
  return out
    .replace(/(authorization|x-api-key|cookie)(["']?\s*[:=]\s*["']?)(?:(?:basic|token|bearer)\s+)?[^\s"',;}]+/gi, `$1$2${REDACTED}`)
    .replace(/\b(token|basic|bearer)\s+(?=[A-Za-z0-9+/=._~-]*[\d+/=_~-])[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${REDACTED}`)
    .replace(/([?&;\s"']|^)(p|u|password|passwd|pwd|token|secret|access_token|api_key)=[^&\s"',;]*/gi, `$1$2=${REDACTED}`)
    .replace(/(\w+:\/\/)[^/@\s"']+@/g, '$1');
}

/** HTML error pages (proxies, load balancers) shown as their title, or their text. */
function htmlToText(body: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(body)?.[1];
  const text =
    title?.trim() ||
    h1?.trim() ||
    body
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, ' ');
  return text.replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** What a server said, as one line of at most `max` characters, scrubbed. */
export function oneLine(body: string, secrets: readonly string[] = [], max = 200): string {
  let text = body;
  if (/^\s*</.test(text) && /<(html|head|body|title|!doctype|h1|p)\b/i.test(text)) text = htmlToText(text);
  else {
    try {
      const j = JSON.parse(text) as unknown;
      if (j && typeof j === 'object') {
        const o = j as { error?: unknown; message?: unknown };
        const m = typeof o.error === 'string' ? o.error : typeof o.message === 'string' ? o.message : undefined;
        if (m !== undefined) text = m;
      }
    } catch {
      /* not JSON: the text as it is */
    }
  }
  text = scrub(text.replace(/\s+/g, ' ').trim(), secrets);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
