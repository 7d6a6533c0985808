import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: each (vendor, account, domain) belongs to the shard
 * with the highest score. Changing the shard count moves only the triples whose winner changed.
 */
export function shardOf(count: number, module: string, account: string, domain: string): number {
  if (count <= 1) return 0;
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < count; i++) {
    const score = createHash('sha256').update(`${i}\u0000${module}\u0000${account}\u0000${domain}`).digest().readUInt32BE(0);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/** SHARD_INDEX unset: a hostname ending in -N (a Kubernetes StatefulSet pod) gives N. */
export function shardIndexFromHostname(hostname: string): number | undefined {
  const m = /-(\d+)$/.exec(hostname);
  return m ? Number(m[1]) : undefined;
}
