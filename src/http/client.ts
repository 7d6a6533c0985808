import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { HttpRequest, HttpResponse } from '../kernel/http.js';
import type { Clock, HttpClient, SendOptions } from '../ports.js';

/**
 * One axios instance for the process, built by main: keep-alive agents, no retries, raw text bodies.
 * Per-call overhead (issue 12: axios was 12-14 % of a pass's CPU): the node adapter is named rather
 * than looked up among xhr/http/fetch on every request, and bodies (signed strings) skip the default
 * request transforms, which probe for forms, streams and objects.
 *
 * axios merges the instance defaults into every request key by key, deep-copying the objects among
 * them, so the defaults are cut to what the node adapter reads (bench/http-client.ts): the header
 * buckets of twelve methods become the one header they carried (Accept), and the browser's XSRF names,
 * the form and Blob classes (`env`), a `transitional` identical to axios' own fallback (validated on
 * every request when present), `timeout: 0` and `maxBodyLength: -1` (what absent means) go.
 */
export function createAxios(): AxiosInstance {
  // axios sets TCP keep-alive to 60 s on the socket of every request and the agent sets it back to
  // its keepAliveMsecs when the socket is freed: equal values make both calls no-ops instead of two
  // setsockopt system calls per request.
  const keepAlive = { keepAlive: true, keepAliveMsecs: 60_000, maxSockets: 64 };
  const ax = axios.create({
    adapter: 'http',
    transformRequest: (x: unknown) => x,
    httpAgent: new http.Agent(keepAlive),
    httpsAgent: new https.Agent(keepAlive),
    maxRedirects: 0,
    proxy: false,
    responseType: 'text',
    transformResponse: (x: unknown) => x,
    validateStatus: () => true,
  });
  const d = ax.defaults as unknown as Record<string, unknown>;
  d.headers = { common: { Accept: 'application/json, text/plain, */*' } };
  for (const k of ['transitional', 'xsrfCookieName', 'xsrfHeaderName', 'env', 'timeout', 'maxBodyLength']) delete d[k];
  return ax;
}

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * node's http(s) as axios would use them, telling `onSent` when the request has been written: with a
 * new connection (DNS, connect, TLS) that is later than the call, and later still when the event loop
 * is busy meanwhile. The pacer counts the call from then (src/core/pacer.ts).
 */
function sentTransport(url: string, onSent: () => void): { request: typeof http.request } {
  const mod = url.startsWith('https:') ? https : http;
  return {
    request: ((options: http.RequestOptions, cb?: (res: http.IncomingMessage) => void) => {
      const r = mod.request(options, cb);
      r.once('finish', onSent);
      return r;
    }) as typeof http.request,
  };
}

export class AxiosHttpClient implements HttpClient {
  readonly #ax: AxiosInstance;
  readonly #clock: Clock;

  constructor(ax: AxiosInstance, clock: Clock) {
    this.#ax = ax;
    this.#clock = clock;
  }

  async send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
    // Send exactly the headers that were signed where it matters: axios would add a form
    // Content-Type to an empty POST, and signers (ACS3) sign content-type when present.
    const sendHeaders: Record<string, string | false> = { ...req.headers };
    if (!Object.keys(sendHeaders).some((k) => k.toLowerCase() === 'content-type')) sendHeaders['Content-Type'] = false;
    // axios' timeout only watches an idle socket: a server that sends headers and then trickles (or
    // never finishes) its body must still end the call, so the deadline covers the whole exchange.
    const ctl = new AbortController();
    const onOuter = () => ctl.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuter, { once: true });
    let timedOut = false;
    const deadline = this.#clock.sleep(opts.deadlineMs, ctl.signal).then(
      () => {
        timedOut = true;
        ctl.abort(coded(`no complete answer within ${opts.deadlineMs} ms`, 'Timeout'));
      },
      () => undefined,
    );
    try {
      const res = await this.#ax.request<string>({
        method: req.method,
        url: req.url,
        headers: sendHeaders as Record<string, string>,
        ...(req.body !== undefined ? { data: req.body } : {}),
        maxContentLength: opts.maxBodyBytes,
        signal: ctl.signal,
        ...(opts.onSent ? { transport: sentTransport(req.url, opts.onSent) } : {}),
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      return { status: res.status, headers, body: typeof res.data === 'string' ? res.data : String(res.data ?? '') };
    } catch (err) {
      if (timedOut) throw coded(`no complete answer within ${opts.deadlineMs} ms`, 'Timeout');
      const e = err as { code?: string; message?: string; cause?: { code?: string } };
      if (/maxContentLength/.test(e.message ?? '')) throw coded(`the answer is larger than ${opts.maxBodyBytes} bytes`, 'BodyTooLarge');
      throw coded(e.message ?? String(err), e.cause?.code ?? e.code ?? 'NetworkError');
    } finally {
      opts.signal?.removeEventListener('abort', onOuter);
      // Ends the deadline timer. A reason is given: abort() without one builds a DOMException with a
      // stack trace on every call (1-2 % of the CPU of a pass).
      ctl.abort('done');
      await deadline;
    }
  }
}
