#!/usr/bin/env bash
# Quick start, part one: the collector against a local InfluxDB and the emulated vendors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-servers.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
exec npx tsx scripts/demo.ts
