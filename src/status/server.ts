/** /healthz and /metrics on a port of their own (off by default, loopback unless configured). */
import http from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { SourceHealth } from '../core/runner.js';
import type { CollectorMetrics } from './metrics.js';

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A source is stale when it has not completed a pass within this many of its cadences. */
export const STALE_CADENCES = 3;

export function healthReport(
  sources: readonly SourceHealth[],
  sink: { ok: boolean; error: string | undefined },
  nowMs: number,
  startedMs: number,
): { healthy: boolean; body: Record<string, unknown> } {
  const problems: string[] = [];
  const list = sources.map((s) => {
    const limitMs = STALE_CADENCES * s.cadenceSec * 1000;
    const since = s.lastOkMs ?? startedMs;
    const stale = nowMs - since > limitMs;
    if (stale) problems.push(`${s.vendor} ${s.stream}: no completed pass for ${Math.round((nowMs - since) / 1000)} s${s.lastError ? ` (${s.lastError})` : ''}`);
    return { vendor: s.vendor, stream: s.stream, ok: !stale, lastPassAt: s.lastOkMs ? new Date(s.lastOkMs).toISOString() : null, lastError: s.lastError ?? null };
  });
  if (!sink.ok) problems.push(`sink: ${sink.error ?? 'writes failing'}`);
  return { healthy: problems.length === 0, body: { status: problems.length ? 'unhealthy' : 'ok', problems, sources: list, sink: { ok: sink.ok, error: sink.error ?? null } } };
}

export async function startStatusServer(o: {
  host: string;
  port: number;
  runner: { health(): SourceHealth[] };
  metrics: CollectorMetrics;
  clock: Clock;
  logger: Logger;
}): Promise<StatusServer> {
  const started = o.clock.now();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/healthz') {
      const r = healthReport(o.runner.health(), { ok: o.metrics.sinkOk, error: o.metrics.sinkError }, o.clock.now(), started);
      res.writeHead(r.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      return;
    }
    if (url === '/metrics') {
      o.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': o.metrics.registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  o.logger.info({ host: o.host, port }, 'status server listening (/healthz, /metrics)');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
