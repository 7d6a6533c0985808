#!/bin/bash
# Runs once, after influxdb:2.7 set itself up (the image exports DOCKER_INFLUXDB_INIT_BUCKET_ID and
# configures the influx CLI with the admin token for these scripts): maps the bucket to an InfluxQL
# database/retention policy (DBRP), so that Grafana's InfluxQL queries find it.
set -euo pipefail
influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${DOCKER_INFLUXDB_INIT_BUCKET}" \
  --rp autogen \
  --default
