import type { Clock } from '../ports.js';

/**
 * Spaces call starts evenly at a rate per second, so that any one-second window holds at most
 * `rate` calls. Shared by every source in the process that calls the same API on the same account.
 */
export class Pacer {
  readonly #clock: Clock;
  readonly #spacingMs: number;
  #nextMs = 0;

  constructor(clock: Clock, ratePerSec: number, headroom = 0.95) {
    this.#clock = clock;
    // A little below the limit: request arrival times jitter, and the vendor counts arrivals.
    this.#spacingMs = 1000 / (ratePerSec * headroom);
  }

  /** Waits for this caller's slot. Slots are handed out in call order. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const slot = Math.max(now, this.#nextMs);
    this.#nextMs = slot + this.#spacingMs;
    if (slot > now) await this.#clock.sleep(slot - now, signal);
  }

  /** After a throttled answer, hold every caller back: another process is using the same quota. */
  pause(ms: number): void {
    this.#nextMs = Math.max(this.#nextMs, this.#clock.now() + ms);
  }
}

export class PacerRegistry {
  readonly #clock: Clock;
  readonly #pacers = new Map<string, Pacer>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(key: string, ratePerSec: number): Pacer {
    let p = this.#pacers.get(key);
    if (!p) {
      p = new Pacer(this.#clock, ratePerSec);
      this.#pacers.set(key, p);
    }
    return p;
  }
}

export { backoffDelay, type BackoffPolicy } from '../kernel/retry.js';
