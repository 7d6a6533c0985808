/**
 * Bundles the compiled CLI (dist/cli.js, from tsc) and its runtime dependencies into one file, in
 * place: the executable stays dist/cli.js, so the bin entry, the image's entrypoint and the systemd
 * unit are unchanged. Why (issue 12, bench/RESULTS.md "Fifth session"): Node loading ~300 separate
 * modules cost ~31 MB of RSS before any work (heap pages grown while compiling them, a module record
 * each), one file ~19 MB; against a 150 MB goal at 10,000 domains that is the difference.
 *
 * `form-data` is replaced by a class that refuses to be built: axios imports it at load time for
 * multipart bodies, and with its own dependencies (mime-db among them) it is ~4 MB of RSS. The
 * collector only ever sends signed strings (src/http/client.ts sets transformRequest to identity),
 * so axios never builds a form; if it ever tried, the call fails with a clear error, not a wrong body.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stub = path.join(root, 'scripts', 'form-data-refused.cjs');

await build({
  entryPoints: [path.join(root, 'dist', 'cli.js')],
  outfile: path.join(root, 'dist', 'cli.js'),
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // CommonJS dependencies (pino, prom-client, convict) call require() for Node's own modules.
  banner: { js: "import { createRequire as __cocRequire } from 'node:module'; const require = __cocRequire(import.meta.url);" },
  alias: { 'form-data': stub },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
