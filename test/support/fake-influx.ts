/**
 * A small HTTP server that answers the write and query endpoints the way InfluxDB 1.x, 2.x or 3.x
 * would, with a switch for each refusal the bad-input corpus needs (issue 8, "InfluxDB refusals are
 * failures"). Accepted lines are kept in `points`, so a test can say what "InfluxDB" holds.
 *
 * Bodies follow the servers' own wording (src/sink/refusals.ts quotes the sources):
 * - 1.x  `POST /write?db=`: `{"error": "..."}`; a partial write stores the good lines and answers
 *   400 `partial write: unable to parse '<line>': <reason> dropped=0`.
 * - 2.x  `POST /api/v2/write?org=&bucket=`: `{"code": "invalid" | "unprocessable entity", "message"}`;
 *   a parse error refuses the whole batch; a storage refusal is 422 `... partial write: ... dropped=N`.
 * - 3.x  `POST /api/v2/write` (compat): 400 `{"error": "partial write of line protocol occurred",
 *   "data": [{original_line, line_number, error_message}]}`, the rest stored.
 */
import http from 'node:http';

export type InfluxFlavor = '1.x' | '2.x' | '3.x';

export type FakeInfluxMode =
  /** Every line stored, 204. */
  | 'ok'
  /** The lines whose timestamp is `refuseSec` (or the first line) are refused with the flavor's partial-write body; the rest stored. */
  | 'partial'
  /** Every line refused with a storage reason that names no line (1.x type conflict, 2.x 422 dropped=N). */
  | 'conflict-all'
  /** 400 with a body nobody can parse (plain text, no JSON). */
  | 'unparseable-400'
  /** 413 on every request, whatever its size. */
  | '413'
  /** 500 with a multi-line HTML page. */
  | '500-html'
  /** 401 whose body echoes the request's Authorization header (a misconfigured proxy). */
  | '401-echo'
  /** 404: database (1.x) or bucket (2.x/3.x) not found. */
  | '404-db'
  /** Headers, then the body never ends. */
  | 'stall'
  /** 503 with an empty body and a Retry-After. */
  | '503'
  /** 204 but the connection is destroyed before the answer (a reset). */
  | 'reset';

export interface FakeInfluxRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly authorization?: string;
  readonly lines: number;
}

export interface FakeInflux {
  readonly url: string;
  readonly flavor: InfluxFlavor;
  /** Accepted line-protocol lines, in arrival order. */
  readonly points: string[];
  readonly requests: FakeInfluxRequest[];
  mode: FakeInfluxMode;
  /** For `partial`: the timestamp (seconds) of the lines to refuse; undefined: the first line of each request. */
  refuseSec: number | undefined;
  stop(): Promise<void>;
}

const HTML = '<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<center><h1>500 Internal Server Error</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n';

function errBody(flavor: InfluxFlavor, code: string, message: string): string {
  return flavor === '1.x' ? JSON.stringify({ error: message }) : flavor === '2.x' ? JSON.stringify({ code, message }) : JSON.stringify({ error: message, data: null });
}

export async function startFakeInflux(flavor: InfluxFlavor, mode: FakeInfluxMode = 'ok'): Promise<FakeInflux> {
  const sockets = new Set<import('node:net').Socket>();
  const state: FakeInflux = {
    url: '',
    flavor,
    points: [],
    requests: [],
    mode,
    refuseSec: undefined,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      const lines = body.split('\n').filter((l) => l.trim() !== '');
      const send = (status: number, text = '', type = 'application/json', extra: Record<string, string> = {}) => {
        state.requests.push({ method: req.method ?? '', path: url.pathname, status, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), lines: lines.length });
        res.writeHead(status, { ...(text ? { 'content-type': type } : {}), ...extra, ...(flavor === '1.x' ? { 'X-Influxdb-Version': '1.8.10' } : flavor === '2.x' ? { 'X-Influxdb-Version': 'v2.7.11' } : { 'x-influxdb-version': '3.0.0' }) });
        res.end(text);
      };

      if (url.pathname === '/ping' || url.pathname === '/health') return send(url.pathname === '/ping' ? 204 : 200, url.pathname === '/health' ? '{"status":"pass"}' : '');
      if (url.pathname === '/query' || url.pathname === '/api/v2/query' || url.pathname === '/api/v3/query_sql') {
        // Nothing stored is queried back by the corpus; an empty, well-formed answer.
        if (url.pathname === '/query') return send(200, JSON.stringify({ results: [{ statement_id: 0 }] }));
        return send(200, '', 'text/csv');
      }
      const isWrite = url.pathname === '/write' || url.pathname === '/api/v2/write' || url.pathname === '/api/v3/write_lp';
      if (!isWrite) return send(404, '404 page not found', 'text/plain');

      switch (state.mode) {
        case 'ok':
          state.points.push(...lines);
          return send(204);
        case 'partial': {
          const refused = lines.map((l, i) => (state.refuseSec === undefined ? i === 0 : l.endsWith(` ${state.refuseSec}`)));
          if (!refused.some(Boolean)) {
            state.points.push(...lines);
            return send(204);
          }
          const bad = lines.filter((_, i) => refused[i]);
          if (flavor === '2.x') {
            // 2.x refuses the whole batch on a parse error (nothing stored).
            return send(400, JSON.stringify({ code: 'invalid', message: `unable to parse '${bad[0]}': invalid field format` }));
          }
          state.points.push(...lines.filter((_, i) => !refused[i]));
          if (flavor === '1.x') return send(400, JSON.stringify({ error: `partial write: ${bad.map((l) => `unable to parse '${l}': invalid field format`).join('\n')} dropped=0` }));
          return send(
            400,
            JSON.stringify({
              error: 'partial write of line protocol occurred',
              data: lines.flatMap((l, i) => (refused[i] ? [{ original_line: l, line_number: i + 1, error_message: 'invalid column type for column \'value\', expected iox::column_type::field::float, got iox::column_type::field::integer' }] : [])),
            }),
          );
        }
        case 'conflict-all':
          if (flavor === '2.x') return send(422, JSON.stringify({ code: 'unprocessable entity', message: `failure writing points to database: partial write: field type conflict: input field "value" on measurement "cdn_origin" is type integer, already exists as type float dropped=${lines.length}` }));
          if (flavor === '1.x') return send(400, JSON.stringify({ error: `partial write: field type conflict: input field "value" on measurement "cdn_origin" is type integer, already exists as type float dropped=${lines.length}` }));
          return send(400, JSON.stringify({ error: 'partial write of line protocol occurred', data: lines.map((l, i) => ({ original_line: l, line_number: i + 1, error_message: 'invalid column type for column \'value\'' })) }));
        case 'unparseable-400':
          return send(400, 'Bad Request\r\n\u0000\u0001garbage from a proxy\r\n', 'text/plain');
        case '413':
          return send(413, flavor === '1.x' ? JSON.stringify({ error: 'Request Entity Too Large' }) : flavor === '2.x' ? JSON.stringify({ code: 'request too large', message: 'unable to read data: points batch is too large' }) : '{"error":"the request was too large"}');
        case '500-html':
          return send(500, HTML, 'text/html');
        case '401-echo':
          return send(401, errBody(flavor, 'unauthorized', `unauthorized access: authorization header "${req.headers.authorization ?? ''}" rejected; query ${url.search}`));
        case '404-db':
          return send(404, flavor === '1.x' ? JSON.stringify({ error: `database not found: "${url.searchParams.get('db') ?? ''}"` }) : errBody(flavor, 'not found', `bucket "${url.searchParams.get('bucket') ?? ''}" not found`));
        case 'stall':
          state.requests.push({ method: req.method ?? '', path: url.pathname, status: 204, lines: lines.length });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"results":');
          return;
        case '503':
          return send(503, '', 'text/plain', { 'Retry-After': '1' });
        case 'reset':
          state.requests.push({ method: req.method ?? '', path: url.pathname, status: 0, lines: lines.length });
          req.socket.destroy();
          return;
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  (state as { url: string }).url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  return state;
}

/** The timestamps (seconds) of the accepted lines, with their tags, for assertions. */
export function parseLine(line: string): { tags: Record<string, string>; value: number; sec: number } {
  const [head, field, ts] = line.split(' ');
  const tags: Record<string, string> = {};
  for (const kv of head!.split(',').slice(1)) {
    const [k, v] = kv.split('=');
    tags[k!] = v!;
  }
  return { tags, value: Number(field!.replace(/^value=/, '')), sec: Number(ts) };
}
