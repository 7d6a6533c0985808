import type { Clock } from '../ports.js';

/** The real clock; main builds it, everything else receives a Clock. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(0, ms));
        const onAbort = () => {
          clearTimeout(t);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
