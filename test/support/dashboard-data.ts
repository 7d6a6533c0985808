/**
 * Writes realistic points in the collector's schema (CONTRACT.md "What is written": measurement
 * cdn_origin, tags vendor/account/domain/metric/interval and area on Tencent, field value) straight
 * into InfluxDB 1.x over the line protocol, so the dashboard and alert tests do not depend on what
 * the collector on a branch already writes. Returns every point written, so expectations are
 * computed from the data, not typed in.
 *
 * Scenario `healthy`: all vendors, two accounts each (Huawei CDN one), both Tencent areas with one
 * domain in both, 60/300 s recent data, 300 s bandwidth for 8 days and 3600 s traffic history,
 * Huawei Live play traffic, every source publishing up to its usual delay.
 * Scenario `incident`: the same, plus an origin 5xx storm on one Tencent domain in the last 45 min,
 * a 6× bandwidth surge on one Alibaba domain in the last hour, and Huawei CDN stalled 8 h ago.
 */

export interface Point { vendor: string; account: string; area?: string; domain: string; metric: string; interval: number; ts: number; value: number }
export interface Incident { stormDomain: string; surgeDomain: string; stalled: { vendor: string; account: string }; stalledSinceSec: number }

interface Source { vendor: 'aliyun' | 'tencent' | 'huawei'; account: string; area?: string; domain: string; bytesPerSec: number; kind: 'aliyun' | 'tencent' | 'huaweicdn' | 'huaweilive' }

const SOURCES: Source[] = [
  { vendor: 'aliyun', account: 'default', domain: 'img.shop.example', bytesPerSec: 9e6, kind: 'aliyun' },
  { vendor: 'aliyun', account: 'default', domain: 'static.shop.example', bytesPerSec: 4e6, kind: 'aliyun' },
  { vendor: 'aliyun', account: 'brand', domain: 'www.brand.example', bytesPerSec: 2.5e6, kind: 'aliyun' },
  { vendor: 'aliyun', account: 'brand', domain: 'dl.brand.example', bytesPerSec: 6e5, kind: 'aliyun' },
  { vendor: 'tencent', account: 'default', area: 'mainland', domain: 'video.media.example', bytesPerSec: 1.2e7, kind: 'tencent' },
  { vendor: 'tencent', account: 'default', area: 'overseas', domain: 'video.media.example', bytesPerSec: 3e6, kind: 'tencent' },
  { vendor: 'tencent', account: 'default', area: 'mainland', domain: 'api.media.example', bytesPerSec: 8e5, kind: 'tencent' },
  { vendor: 'tencent', account: 'games', area: 'mainland', domain: 'patch.games.example', bytesPerSec: 7e6, kind: 'tencent' },
  { vendor: 'tencent', account: 'games', area: 'overseas', domain: 'cdn.games.example', bytesPerSec: 1.5e6, kind: 'tencent' },
  // The same site on two CDNs: its domain appears under two vendors.
  { vendor: 'huawei', account: 'default', domain: 'img.shop.example', bytesPerSec: 3e6, kind: 'huaweicdn' },
  { vendor: 'huawei', account: 'default', domain: 'm.shop.example', bytesPerSec: 1.1e6, kind: 'huaweicdn' },
  { vendor: 'huawei', account: 'default', domain: 'small.shop.example', bytesPerSec: 2e4, kind: 'huaweicdn' },
  { vendor: 'huawei', account: 'live', domain: 'live.media.example', bytesPerSec: 5e7, kind: 'huaweilive' },
];

/** Deterministic noise, so a run is reproducible. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

/** Bytes/s of a source at time t: a daily wave and a little noise. */
function rate(s: Source, t: number, i: number): number {
  return s.bytesPerSec * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 86400)) * (0.9 + 0.2 * noise(t / 60 + i * 7919));
}

/** Newest bucket start a vendor has published at `now` for an interval (their publication delays). */
function newestBucket(now: number, interval: number): number {
  const lag = interval === 60 ? 240 : interval === 300 ? 900 : interval === 3600 ? 86400 : 2 * 86400;
  return Math.floor((now - lag) / interval) * interval;
}

export function generate(nowSec: number, scenario: 'healthy' | 'incident'): { points: Point[]; incident: Incident } {
  const incident: Incident = { stormDomain: 'api.media.example', surgeDomain: 'static.shop.example', stalled: { vendor: 'huawei', account: 'default' }, stalledSinceSec: nowSec - 8 * 3600 };
  const points: Point[] = [];
  SOURCES.forEach((s, i) => {
    const push = (metric: string, interval: number, ts: number, value: number) =>
      points.push({ vendor: s.vendor, account: s.account, ...(s.area ? { area: s.area } : {}), domain: s.domain, metric, interval, ts, value: Math.round(value * 1000) / 1000 });
    const stalled = scenario === 'incident' && s.kind === 'huaweicdn';
    const tiers: { interval: number; from: number; metrics: 'all' | 'bandwidth' | 'traffic' }[] = [
      { interval: 300, from: nowSec - 8 * 86400, metrics: 'bandwidth' },
      { interval: 300, from: nowSec - 86400, metrics: 'all' },
      { interval: 3600, from: nowSec - 9 * 86400, metrics: 'traffic' },
    ];
    if (s.kind === 'aliyun' || s.kind === 'tencent') tiers.push({ interval: 60, from: nowSec - 6 * 3600, metrics: 'all' });
    for (const tier of tiers) {
      const iv = tier.interval;
      let end = newestBucket(nowSec, iv);
      if (stalled) end = Math.min(end, Math.floor(incident.stalledSinceSec / iv) * iv);
      for (let t = Math.ceil(tier.from / iv) * iv; t <= end; t += iv) {
        // 300 s bandwidth history is written by the 'bandwidth' tier only up to the last day.
        if (tier.metrics === 'bandwidth' && t >= nowSec - 86400) continue;
        let r = rate(s, t, i);
        const age = nowSec - t;
        if (scenario === 'incident' && s.domain === incident.surgeDomain && age <= 3600) r *= 6;
        if (s.kind === 'huaweilive') {
          if (tier.metrics !== 'bandwidth') push('play_traffic_bytes', iv, t, r * iv);
          continue;
        }
        if (tier.metrics === 'bandwidth' || tier.metrics === 'all') push('bandwidth_bps', iv, t, r * 8);
        if (tier.metrics === 'bandwidth') continue;
        push('traffic_bytes', iv, t, r * iv);
        if (tier.metrics === 'traffic') continue;
        const requests = Math.max(1, Math.round((r * iv) / 40_000));
        const storm = scenario === 'incident' && s.domain === incident.stormDomain && age <= 45 * 60;
        const share5 = storm ? 0.4 : 0.002 + 0.003 * noise(t + i);
        const c5 = Math.round(requests * share5);
        const c4 = Math.round(requests * 0.03);
        const c3 = Math.round(requests * 0.05);
        const c2 = requests - c5 - c4 - c3;
        const failed = c5 + Math.round(requests * 0.001);
        push('status_2xx', iv, t, c2);
        push('status_3xx', iv, t, c3);
        push('status_4xx', iv, t, c4);
        push('status_5xx', iv, t, c5);
        if (s.kind === 'aliyun' || s.kind === 'tencent') {
          push('status_200', iv, t, Math.round(c2 * 0.93));
          push('status_206', iv, t, c2 - Math.round(c2 * 0.93));
          push('status_304', iv, t, c3);
          push('status_404', iv, t, Math.round(c4 * 0.8));
          push('status_403', iv, t, c4 - Math.round(c4 * 0.8));
          push('status_502', iv, t, Math.round(c5 * 0.6));
          push('status_504', iv, t, c5 - Math.round(c5 * 0.6));
        }
        if (s.kind === 'aliyun') {
          // DescribeDomainSrcQpsData and the HTTPS split come at 300 s only.
          if (iv === 300) push('requests_per_sec', iv, t, requests / iv);
          if (iv === 300) push('https_traffic_bytes', iv, t, r * iv * 0.7);
        } else {
          push('requests', iv, t, requests);
          push('failed_requests', iv, t, failed);
          if (s.kind === 'tencent') push('fail_rate_pct', iv, t, (failed / requests) * 100);
        }
      }
    }
  });
  return { points, incident };
}

const esc = (v: string) => v.replace(/([,= ])/g, '\\$1');

export function lineProtocol(p: Point, measurement = 'cdn_origin'): string {
  const tags = [`account=${esc(p.account)}`, ...(p.area ? [`area=${esc(p.area)}`] : []), `domain=${esc(p.domain)}`, `interval=${p.interval}`, `metric=${p.metric}`, `vendor=${p.vendor}`];
  // value is always a float (CONTRACT.md): a trailing '.0' keeps whole numbers from becoming integers.
  const v = Number.isInteger(p.value) ? `${p.value}.0` : String(p.value);
  return `${measurement},${tags.join(',')} value=${v} ${p.ts}`;
}

export async function writePoints(url: string, db: string, points: Point[]): Promise<void> {
  for (let i = 0; i < points.length; i += 20_000) {
    const body = points.slice(i, i + 20_000).map((p) => lineProtocol(p)).join('\n');
    const r = await fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=s`, { method: 'POST', body });
    if (r.status !== 204) throw new Error(`write to ${db}: HTTP ${r.status} ${await r.text()}`);
  }
}
