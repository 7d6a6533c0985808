/** Backoff shared by vendor calls and writes: exponential with full jitter, a server's Retry-After as a floor. */
export interface BackoffPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number, retryAfterMs?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = cap / 2 + (random() * cap) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}
