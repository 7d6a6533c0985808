/**
 * /livez (the process and its event loop answer), /readyz and /healthz (every source completed a
 * pass within 3 of its cadences and InfluxDB accepts writes), /metrics. Liveness does not depend on
 * InfluxDB: a probe that restarts the collector during an InfluxDB outage would only lose its place.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { Clock, SourceHealth } from '../ports.js';
import type { CollectorMetrics } from './metrics.js';

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}


export type { SourceHealth };

/** A source is stale when it has not completed a pass within this many of its cadences. */
export const STALE_CADENCES = 3;

export function healthReport(sources: readonly SourceHealth[], sink: { ok: boolean; error: string | undefined }, nowMs: number, startedMs: number): { healthy: boolean; body: Record<string, unknown> } {
  const problems: string[] = [];
  const list = sources.map((s) => {
    const limitMs = STALE_CADENCES * s.cadenceSec * 1000;
    const since = s.lastOkMs ?? startedMs;
    const stale = nowMs - since > limitMs;
    if (stale) problems.push(`${s.vendor} ${s.stream} (account ${s.account}): no completed pass for ${Math.round((nowMs - since) / 1000)} s${s.lastError ? ` (${s.lastError})` : ''}`);
    return { vendor: s.vendor, account: s.account, stream: s.stream, ok: !stale, lastPassAt: s.lastOkMs ? new Date(s.lastOkMs).toISOString() : null, lastError: s.lastError ?? null };
  });
  if (!sink.ok) problems.push(`sink: ${sink.error ?? 'writes failing'}`);
  return { healthy: problems.length === 0, body: { status: problems.length ? 'unhealthy' : 'ok', problems, sources: list, sink: { ok: sink.ok, error: sink.error ?? null } } };
}

export async function startStatusServer(o: { host: string; port: number; health: () => SourceHealth[]; metrics: CollectorMetrics; clock: Clock; logger: Logger }): Promise<StatusServer> {
  const started = o.clock.now();
  // Event-loop responsiveness for /livez: a tick that comes back very late means the loop is stuck.
  let lastTick = o.clock.now();
  const ticker = setInterval(() => (lastTick = o.clock.now()), 1000);
  ticker.unref();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/livez') {
      const lagMs = o.clock.now() - lastTick;
      const ok = lagMs < 30_000;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'stuck', eventLoopLagMs: Math.max(0, lagMs - 1000) }));
      return;
    }
    if (url === '/healthz' || url === '/readyz') {
      const refused = [...o.metrics.refusing].map(([k, n]) => `InfluxDB refused ${n} points in the last pass of ${k}`);
      const sink = { ok: o.metrics.sinkOk && !refused.length, error: [o.metrics.sinkError, ...refused].filter(Boolean).join('; ') || undefined };
      const r = healthReport(o.health(), sink, o.clock.now(), started);
      res.writeHead(r.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      return;
    }
    if (url === '/metrics') {
      o.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': o.metrics.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end('metrics unavailable'));
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
  o.logger.info({ host: o.host, port }, 'status server listening (/livez, /readyz, /healthz, /metrics)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
