#!/bin/bash
# One-shot (service `influxdb-tokens`), on every `up`: makes sure the collector and Grafana each hold
# a least-privilege token of their own, never the admin one.
#   collector: write on the one bucket (INFLUX_COLLECTOR_TOKEN_READ=true adds read on that bucket,
#              for `verify` and state.recoverFromInflux, which query it)
#   grafana:   read on the one bucket
# Each token goes to its own volume as a file owned by its reader (collector uid 1000, Grafana uid
# 472), mode 0400; a token that still exists is kept, a missing or deleted one is created again.
# Runs as root in the influxdb:2.7 image (for chown), with the admin token as a Compose secret.
set -euo pipefail
export INFLUX_HOST=${INFLUX_HOST:-http://influxdb:8086}
INFLUX_TOKEN=$(cat /run/secrets/influx_admin_token)
export INFLUX_TOKEN
org=${INFLUX_ORG:?}
bucket=${INFLUX_BUCKET:?}

# The CLI's JSON is pretty-printed one field per line; the image has no jq.
field() { sed -n "s/^[[:space:]]*\"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }

bucket_id=$(influx bucket list --org "$org" --name "$bucket" --json | field id)
[ -n "$bucket_id" ] || { echo "influxdb-tokens: bucket $bucket not found in org $org" >&2; exit 1; }

# mint FILE UID GID DESCRIPTION PERMISSION-FLAGS...
mint() {
  local file=$1 uid=$2 gid=$3 desc=$4 tok=''
  shift 4
  if [ -s "$file" ] && influx auth list --org "$org" --json | grep -qF "\"$(cat "$file")\""; then
    echo "influxdb-tokens: $desc: kept"
  else
    tok=$(influx auth create --org "$org" --description "$desc" "$@" --json | field token)
    [ -n "$tok" ] || { echo "influxdb-tokens: $desc: influx auth create returned no token" >&2; exit 1; }
    (umask 077 && printf '%s' "$tok" >"$file.new")
    mv "$file.new" "$file"
    echo "influxdb-tokens: $desc: created"
  fi
  chown "$uid:$gid" "$file"
  chmod 0400 "$file"
}

collector_perms=(--write-bucket "$bucket_id")
[ "${INFLUX_COLLECTOR_TOKEN_READ:-false}" = true ] && collector_perms+=(--read-bucket "$bucket_id")
mint /tokens/collector/token 1000 1000 "cdn-origin-collector (write $bucket)" "${collector_perms[@]}"
mint /tokens/grafana/token 472 0 "grafana (read $bucket)" --read-bucket "$bucket_id"
