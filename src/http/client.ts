import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { HttpClient } from '../core/collect.js';
import type { HttpRequest, HttpResponse } from '../vendors/types.js';

/** One axios instance for the process, built by main: keep-alive, no retries, raw text bodies. */
export function createAxios(): AxiosInstance {
  return axios.create({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    maxRedirects: 0,
    proxy: false,
  });
}

export class AxiosHttpClient implements HttpClient {
  readonly #ax: AxiosInstance;

  constructor(ax: AxiosInstance) {
    this.#ax = ax;
  }

  async send(req: HttpRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpResponse> {
    // Send exactly the headers that were signed where it matters: axios would add a form
    // Content-Type to an empty POST, and signers (ACS3) sign content-type when present.
    const sendHeaders: Record<string, string | false> = { ...req.headers };
    if (!Object.keys(sendHeaders).some((k) => k.toLowerCase() === "content-type")) sendHeaders["Content-Type"] = false;
    const res = await this.#ax.request<string>({
      method: req.method,
      url: req.url,
      headers: sendHeaders as Record<string, string>,
      ...(req.body !== undefined ? { data: req.body } : {}),
      timeout: opts.timeoutMs,
      responseType: 'text',
      transformResponse: (x: unknown) => x,
      validateStatus: () => true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    return { status: res.status, headers, body: typeof res.data === 'string' ? res.data : String(res.data ?? '') };
  }
}
