/** Reading JSON Lines files without holding them whole: one line at a time, in 64 KiB reads. */
import { promises as fs } from 'node:fs';
import { CollectorError } from '../kernel/errors.js';

/** A file that exists but cannot be read (a directory in its place, no permission): one line, exit 2. */
export function unreadable(file: string, err: unknown): CollectorError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
  return new CollectorError('state', `state: ${file} cannot be read (${code}); move it away to collect that stream afresh (its domains resume from InfluxDB or collect.initialLookbackMs back)`);
}

export interface Line {
  readonly text: string;
  /** 1-based. */
  readonly no: number;
  /** False for a last line without its newline: a write that was cut short (never acknowledged). */
  readonly terminated: boolean;
}

// Every stream loads at once at the start of a pass (20 streams × 1 MiB was 20 MB of buffers at 10,000
// domains, issue 12); 64 KiB reads cost a few more system calls, nothing else.
const CHUNK = 1 << 16;

/** Lines of a file; undefined when it does not exist. Splitting on the byte 0x0A is safe: UTF-8 never uses it inside a character. */
export async function readLines(file: string): Promise<AsyncGenerator<Line> | undefined> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, err);
  }
  return (async function* () {
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let carry: Buffer[] = [];
      let no = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, null).catch((err: unknown) => {
          throw unreadable(file, err);
        });
        if (bytesRead === 0) break;
        let start = 0;
        for (;;) {
          const nl = buf.indexOf(0x0a, start);
          if (nl < 0 || nl >= bytesRead) break;
          const piece = buf.subarray(start, nl);
          const text = carry.length > 0 ? Buffer.concat([...carry, piece]).toString('utf8') : piece.toString('utf8');
          carry = [];
          yield { text, no: ++no, terminated: true };
          start = nl + 1;
        }
        if (start < bytesRead) carry.push(Buffer.from(buf.subarray(start, bytesRead)));
      }
      if (carry.length > 0) yield { text: Buffer.concat(carry).toString('utf8'), no: ++no, terminated: false };
    } finally {
      await fh.close();
    }
  })();
}
