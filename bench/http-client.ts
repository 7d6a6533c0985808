/**
 * CPU per vendor call of the HTTP client alone (issue 12): the collector's AxiosHttpClient against a
 * trivial keep-alive server in a child process (so only the client's CPU is counted), beside bare
 * node:http on the same agent settings as the floor. Each line: client CPU µs per call (user + system,
 * process.cpuUsage of this process, which runs nothing else). --only client|raw runs one of the two.
 *   npm run build && npx tsx bench/http-client.ts [--calls 20000] [--concurrency 16] [--body 2000]
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { AxiosHttpClient, createAxios } from '../src/http/client.js';
import { createSystemClock } from '../src/core/system-clock.js';

const { values: a } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '16' }, body: { type: 'string', default: '2000' }, child: { type: 'boolean' }, only: { type: 'string' } } });

if (a.child) {
  const body = JSON.stringify({ RequestId: 'x', Data: 'y'.repeat(Number(a.body)) });
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-acs-request-id': 'abc' }).end(body));
  });
  srv.keepAliveTimeout = 60_000;
  srv.listen(0, '127.0.0.1', () => process.send!((srv.address() as { port: number }).port));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['--child', '--body', a.body!], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const url = `http://127.0.0.1:${port}/?Action=DescribeDomainSrcTrafficData&DomainName=a.example.com`;
  const headers = { 'x-acs-action': 'DescribeDomainSrcTrafficData', 'x-acs-version': '2018-05-10', 'x-acs-date': '2026-11-29T00:00:00Z', 'x-acs-signature-nonce': 'n', 'x-acs-content-sha256': 'e3b0', authorization: 'ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host;x-acs-action,Signature=abc' };
  const N = Number(a.calls), C = Number(a.concurrency);
  const client = new AxiosHttpClient(createAxios(), createSystemClock());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const raw = () => new Promise<void>((resolve, reject) => {
    const r = http.request(url, { method: 'POST', headers, agent }, (res) => { const chunks: Buffer[] = []; res.on('data', (c: Buffer) => chunks.push(c)); res.on('end', () => { Buffer.concat(chunks).toString(); resolve(); }); });
    r.on('error', reject); r.end();
  });
  const viaClient = async () => { const res = await client.send({ method: 'POST', url, headers }, { deadlineMs: 30_000, maxBodyBytes: 64 << 20 }); if (res.status !== 200 || !res.body) throw new Error('bad'); };
  const run = async (name: string, f: () => Promise<void>) => {
    let left = N;
    const worker = async () => { while (left-- > 0) await f(); };
    await Promise.all(Array.from({ length: C }, worker)); // warm-up pass over the same count
    left = N;
    const c0 = process.cpuUsage(); const t0 = performance.now();
    await Promise.all(Array.from({ length: C }, worker));
    const c = process.cpuUsage(c0); const ms = performance.now() - t0;
    console.log(`${name.padEnd(16)} ${(((c.user + c.system) / N)).toFixed(1).padStart(6)} µs CPU per call (user ${(c.user / N).toFixed(1)}, sys ${(c.system / N).toFixed(1)}), ${(N / (ms / 1000)).toFixed(0)} calls/s`);
  };
  for (let i = 0; i < 2; i++) {
    if (a.only !== 'client') await run('node:http', raw);
    if (a.only !== 'raw') await run('AxiosHttpClient', viaClient);
  }
  child.kill();
}
