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
 *
 * A call "starts" when the vendor can see it: a stall may also come between the slot and the socket
 * (a new connection's connect or DNS callback waits behind a long parse), so the request of an
 * earlier slot is written later than its slot, close to the next ones. `reserve` counts a call from
 * when its sender says the request was written, and as starting "now" until then.
 */
export class Pacer {
  readonly #clock: Clock;
  readonly #spacingMs: number;
  /** Calls allowed to start inside any sliding window of `#windowMs`: the vendor's limit. */
  readonly #limit: number;
  /**
   * Evenly spaced starts put the (limit+1)-th call `limit × spacing` after the first (1,053 ms at 20/s
   * and 95%). The window is 1 ms shorter, so that it never delays steady pacing (slots are sums of
   * spacings, with rounding), while starts that bunch after a stall keep at most `limit` in any
   * 1,052 ms: 52 ms of margin for the jitter of arrivals at a vendor that counts seconds. Never under
   * `limit ÷ rate` (one second for a whole rate): without headroom, bunched starts still keep the rate.
   */
  readonly #windowMs: number;
  #nextMs = 0;
  /**
   * Start times of the last `#limit` calls, oldest first. Starts are recorded at the clock's now, so
   * they come in time order, and the window holds `#limit` calls exactly when the oldest of these
   * is still inside it: older starts never decide.
   */
  #recent: number[] = [];
  /** Calls reserved whose request is not written yet: each counts as starting now. */
  #unsent = 0;

  constructor(clock: Clock, ratePerSec: number, headroom = 0.95) {
    this.#clock = clock;
    // A little below the limit: request arrival times jitter, and the vendor counts arrivals.
    this.#spacingMs = 1000 / (ratePerSec * headroom);
    this.#limit = Math.max(1, Math.floor(ratePerSec));
    this.#windowMs = Math.max((this.#limit * 1000) / ratePerSec, this.#limit * this.#spacingMs - 1);
  }

  /** Waits for this caller's slot; the call counts as started at once. Slots are handed out in call order. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.#slot(signal, false);
  }

  /**
   * Waits for this caller's slot like `acquire`, but the call counts as started only when the
   * returned function is called (once its request was written), and as starting now until then.
   * It must be called exactly once whatever happens to the request; later calls do nothing.
   */
  async reserve(signal?: AbortSignal): Promise<() => void> {
    await this.#slot(signal, true);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#unsent--;
      this.#started();
    };
  }

  #started(): void {
    this.#recent.push(this.#clock.now());
    if (this.#recent.length > this.#limit) this.#recent.shift();
  }

  /** Waits for a slot and a place in the window, and takes the place in the same step (callers woken together must see each other). */
  async #slot(signal: AbortSignal | undefined, unsent: boolean): Promise<void> {
    const now = this.#clock.now();
    const slot = Math.max(now, this.#nextMs);
    this.#nextMs = slot + this.#spacingMs;
    if (slot > now) await this.#clock.sleep(slot - now, signal);
    for (;;) {
      const t = this.#clock.now();
      // Unsent calls are in the window; of the recorded starts, the newest `room` may be too.
      const room = this.#limit - this.#unsent;
      const oldest = this.#recent[this.#recent.length - room];
      if (room > 0 && (oldest === undefined || oldest <= t - this.#windowMs)) {
        if (unsent) this.#unsent++;
        else this.#started();
        return;
      }
      // Late: wait for the start that frees a place, and push later slots back by as much. While
      // unsent calls fill the window, when their requests are written is not known: look again a
      // spacing later.
      const wait = room > 0 ? oldest! + this.#windowMs - t : this.#spacingMs;
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

