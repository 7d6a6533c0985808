#!/bin/bash
# Runs once, after influxdb:2.7 set itself up: maps the bucket to an InfluxQL database/retention
# policy (DBRP), so that Grafana's InfluxQL queries (and InfluxDB 1.x-style clients) find it.
set -euo pipefail
bucket_id=$(influx bucket list --name "${DOCKER_INFLUXDB_INIT_BUCKET}" --org "${DOCKER_INFLUXDB_INIT_ORG}" --hide-headers | cut -f1)
influx v1 dbrp create --org "${DOCKER_INFLUXDB_INIT_ORG}" --bucket-id "${bucket_id}" --db "${DOCKER_INFLUXDB_INIT_BUCKET}" --rp autogen --default
