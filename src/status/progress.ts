import type { Clock } from '../ports.js';

/** backfill progress: a bar with an ETA on a terminal, plain lines otherwise. */
export class Progress {
  readonly #tty: boolean;
  readonly #write: (s: string) => void;
  readonly #clock: Clock;
  #total = 0;
  #done = 0;
  #started = 0;
  #lastBucket = -1;
  /** The bar as last drawn (terminal only). */
  #bar = '';

  constructor(tty: boolean, write: (s: string) => void, clock: Clock) {
    this.#tty = tty;
    this.#write = write;
    this.#clock = clock;
  }

  start(): void {
    this.#started = this.#clock.now();
  }

  /** Adds work discovered on the way (more windows than first known). */
  grow(n: number): void {
    this.#total += n;
  }

  tick(label: string, n = 1): void {
    this.#done += n;
    this.#render(label);
  }

  done(): void {
    if (this.#tty && this.#bar) this.#write('\n');
    this.#bar = '';
  }

  /** Runs `write` with the bar taken off the terminal and drawn again after, so lines never glue onto it. */
  around(write: () => void): void {
    if (!this.#tty || !this.#bar) return write();
    this.#write('\r\x1b[K');
    write();
    this.#write(this.#bar);
  }

  #render(label: string): void {
    const frac = this.#total ? Math.min(1, this.#done / this.#total) : 0;
    const elapsed = (this.#clock.now() - this.#started) / 1000;
    const eta = frac > 0 ? Math.max(0, Math.round(elapsed / frac - elapsed)) : undefined;
    const pct = Math.floor(frac * 100);
    const etaText = eta === undefined ? 'ETA --' : `ETA ${formatSecs(eta)}`;
    if (this.#tty) {
      const width = 30;
      const filled = Math.round(frac * width);
      this.#bar = `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${this.#done}/${this.#total} windows ${etaText} ${label}`.padEnd(110);
      this.#write(this.#bar);
    } else {
      // Plain lines, at most one per 5%.
      const bucket = Math.floor(pct / 5);
      if (bucket === this.#lastBucket) return;
      this.#lastBucket = bucket;
      this.#write(`backfill: ${this.#done}/${this.#total} windows (${pct}%) ${etaText} ${label}\n`);
    }
  }
}

function formatSecs(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
