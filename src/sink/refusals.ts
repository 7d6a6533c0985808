/**
 * Which lines of a batch InfluxDB refused, read from its 400/422 answer. Each major version words it
 * differently (shapes checked against the servers' sources and docs):
 * - 1.x (`{"error": ...}`): unparseable lines are quoted, one per line of the message,
 *   `unable to parse '<line>': <reason>` (prefixed `partial write: ` and ending ` dropped=0` when other
 *   lines were stored); storage refusals name no line: `partial write: field type conflict: ...
 *   dropped=N`, `partial write: points beyond retention policy dropped=N`.
 * - 2.x (`{"code": "invalid" | "unprocessable entity", "message": ...}`): `unable to parse '<line>': ...`
 *   (the whole batch is refused), `failure writing points to database: partial write: ... dropped=N`;
 *   Cloud / IOx: `errors encountered on line(s):\nerror parsing line 2 (1-based): ...` (atomic: nothing
 *   of the batch is stored, github.com/influxdata/influxdb_iox test_writes_are_atomic).
 * - 3.x (`/api/v2/write`, `/write`, `/api/v3/write_lp`): `{"error": "partial write of line protocol
 *   occurred", "data": [{"original_line", "line_number" (1-based), "error_message"}]}`, or with
 *   accept_partial=false `{"error": "parsing failed for write_lp endpoint", "data": {...}}`.
 * Since some servers store the rest and others store nothing, the sink sends the lines not named
 * again (writes are idempotent: same series, same time, same value).
 */
import { oneLine } from './http.js';

export interface Refusal {
  /** 0-based indices into the lines sent, with the server's reason for each. */
  readonly lines: Map<number, string>;
  /** The server said it refused every line sent. */
  readonly all: boolean;
  /** The whole answer as one line. */
  readonly message: string;
}

interface V3Item {
  original_line?: unknown;
  line_number?: unknown;
  error_message?: unknown;
}

export function readRefusal(body: string, sent: readonly string[], secrets: readonly string[] = []): Refusal {
  const lines = new Map<number, string>();
  let byText: Map<string, number[]> | undefined;
  const indexOfText = (t: string): number[] => {
    if (byText === undefined) {
      byText = new Map();
      sent.forEach((l, i) => {
        const a = byText!.get(l);
        if (a) a.push(i);
        else byText!.set(l, [i]);
      });
    }
    return byText.get(t) ?? [];
  };
  const name = (i: number, reason: string) => {
    if (i >= 0 && i < sent.length && !lines.has(i)) lines.set(i, oneLine(reason, secrets));
  };

  let text = body;
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown; data?: unknown };
    if (j && typeof j === 'object') {
      const items: V3Item[] = Array.isArray(j.data) ? (j.data as V3Item[]) : j.data && typeof j.data === 'object' ? [j.data as V3Item] : [];
      for (const it of items) {
        const reason = typeof it.error_message === 'string' ? it.error_message : 'refused';
        // The line number first: 3.x cuts long lines in original_line.
        if (typeof it.line_number === 'number' && Number.isInteger(it.line_number)) name(it.line_number - 1, reason);
        else if (typeof it.original_line === 'string') for (const i of indexOfText(it.original_line)) name(i, reason);
      }
      text = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : body;
    }
  } catch {
    /* plain text */
  }

  const cause = /partial write: (.*?)(?: dropped=\d+)?$/s.exec(text)?.[1];
  for (const seg of text.split('\n')) {
    const at = seg.indexOf("unable to parse '");
    if (at >= 0) {
      const rest = seg.slice(at + "unable to parse '".length);
      // The quoted line may itself hold `': `: try each end until one is a line that was sent.
      for (let k = rest.indexOf("': "); k >= 0; k = rest.indexOf("': ", k + 1)) {
        const hits = indexOfText(rest.slice(0, k));
        if (hits.length) {
          const reason = rest.slice(k + 3).replace(/ dropped=\d+$/, '');
          for (const i of hits) name(i, reason);
          break;
        }
      }
    }
  }
  for (const m of text.matchAll(/(?:^|[\s:])line (\d+)(?: \(1-based\))?: ([^\n]*)/g)) name(Number(m[1]) - 1, m[2]!);

  const dropped = /dropped=(\d+)/.exec(text);
  const all = (dropped !== null && Number(dropped[1]) >= sent.length) || lines.size === sent.length;
  if (all && cause) for (let i = 0; i < sent.length; i++) name(i, cause);
  return { lines, all, message: oneLine(text, secrets) };
}
