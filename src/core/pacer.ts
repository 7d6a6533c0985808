import type { Clock } from '../ports.js';

/**
 * Spaces call starts evenly at a rate per second, so that any one-second window holds at most
 * `rate` calls. Shared by every source in the process that calls the same API on the same account.
 *
 * Slots are handed out in call order, spaced evenly; but a slot is only a promise of the earliest
 * start. After an event-loop stall (a long synchronous write, a GC pause) several late timers fire
 * together: their slots have all passed, and starting them at once would put more than the limit
 * into one second at the vendor. So before a call starts, the pacer also checks the sliding window
 * of the calls that actually started in the last second, and waits for the oldest to leave it.
 */
export class Pacer {
  readonly #clock: Clock;
  readonly #spacingMs: number;
  /** Calls allowed to start inside any sliding window of `#windowMs`: the vendor's limit. */
  readonly #limit: number;
  /**
   * A little over a second: evenly spaced starts put the (limit+1)-th call `limit × spacing` (about
   * 1,053 ms at 95%) after the first, so the window never delays steady pacing, while starts that
   * bunch after a stall keep at most `limit` in any second the vendor counts, with margin for jitter.
   */
  readonly #windowMs: number;
  #nextMs = 0;
  /**
   * Start times of the last `#limit` calls, oldest first. Starts come in time order, so the window
   * holds `#limit` calls exactly when the oldest of these is still inside it: older starts never decide.
   */
  #recent: number[] = [];

  constructor(clock: Clock, ratePerSec: number, headroom = 0.95) {
    this.#clock = clock;
    // A little below the limit: request arrival times jitter, and the vendor counts arrivals.
    this.#spacingMs = 1000 / (ratePerSec * headroom);
    this.#limit = Math.max(1, Math.floor(ratePerSec));
    this.#windowMs = (1000 + this.#limit * this.#spacingMs) / 2;
  }

  /** Waits for this caller's slot. Slots are handed out in call order. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now();
    const slot = Math.max(now, this.#nextMs);
    this.#nextMs = slot + this.#spacingMs;
    if (slot > now) await this.#clock.sleep(slot - now, signal);
    for (;;) {
      const t = this.#clock.now();
      if (this.#recent.length < this.#limit || this.#recent[0]! <= t - this.#windowMs) {
        this.#recent.push(t);
        if (this.#recent.length > this.#limit) this.#recent.shift();
        return;
      }
      // Late: wait for the start that frees a place, and push later slots back by as much.
      const wait = this.#recent[0]! + this.#windowMs - t;
      this.#nextMs = Math.max(this.#nextMs, t + wait + this.#spacingMs);
      await this.#clock.sleep(Math.max(1, wait), signal);
    }
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

