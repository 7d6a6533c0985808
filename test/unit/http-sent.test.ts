/**
 * The axios client tells the caller when a request was written (SendOptions.onSent): the pacer counts
 * a call from then (src/core/pacer.ts `reserve`). A real loopback server; nothing is stubbed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AxiosHttpClient, createAxios } from '../../src/http/client.js';
import { createSystemClock } from '../../src/core/system-clock.js';

const events: string[] = [];
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      events.push(`server got ${req.method} ${body}`);
      setTimeout(() => res.end('ok'), 30);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('AxiosHttpClient: onSent', () => {
  it('is called once, when the request is written: before the answer, on new and reused connections', async () => {
    const client = new AxiosHttpClient(createAxios(), createSystemClock());
    for (const body of ['first', 'second']) {
      events.length = 0;
      let sent = 0;
      const res = await client.send({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, body }, { deadlineMs: 5000, maxBodyBytes: 1000, onSent: () => void (sent++, events.push('sent')) });
      events.push('answered');
      expect(res.body).toBe('ok');
      expect(sent).toBe(1);
      expect(events.indexOf('sent')).toBeGreaterThanOrEqual(0);
      expect(events.indexOf('sent')).toBeLessThan(events.indexOf('answered'));
      expect(events).toContain(`server got POST ${body}`);
    }
  });

  it('is not called when the request never reaches a server (the caller counts the call itself)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = new AxiosHttpClient(createAxios(), createSystemClock());
    let sent = 0;
    await expect(client.send({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }, { deadlineMs: 5000, maxBodyBytes: 1000, onSent: () => void sent++ })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(sent).toBe(0);
  });
});
