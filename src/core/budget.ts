/**
 * Encoded lines held by every pass of the process at once, between an answer and its write's
 * acknowledgement. Each stream holds at most two chunks (pass.ts), but streams run side by side: with
 * twenty streams at their two chunks, lines waiting to be written were what `run` held beyond `once`
 * at 10,000 domains (issue 12). A stream about to fetch a chunk waits while the process holds `max`,
 * then counts the chunk at an estimate (its previous chunk's lines, a full chunk for a pass's first)
 * until the answers say how many they are: one chunk can take the total over `max`, no more. Writes
 * never wait here, so whatever is held is released: no pass waits on another forever.
 */
export class LineBudget {
  readonly max: number;
  #held = 0;
  #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.max = max;
  }

  get held(): number {
    return this.#held;
  }

  /** Waits while `max` or more are held (or until `signal` aborts), then holds `estimate`. */
  async take(estimate: number, signal?: AbortSignal): Promise<void> {
    while (this.#held >= this.max && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        this.#waiting.push(done);
      });
    }
    this.#held += estimate;
  }

  /** The chunk's real size is known: `lines - estimate` more (or fewer) are held. */
  adjust(delta: number): void {
    this.#held += delta;
    this.#wake();
  }

  release(lines: number): void {
    this.#held -= lines;
    this.#wake();
  }

  /** Every waiter looks again, one after the other: the first take the room, the others wait on. */
  #wake(): void {
    if (this.#held >= this.max || !this.#waiting.length) return;
    const w = this.#waiting;
    this.#waiting = [];
    for (const f of w) f();
  }
}
