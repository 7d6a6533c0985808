/**
 * apiVersion 2 against a real InfluxDB 2.7, through testcontainers. It runs only where a Docker
 * daemon is reachable (CI elsewhere); on machines without one it is skipped, and the v2 path is still
 * covered by the VictoriaMetrics tests, which take the official client's writes unchanged.
 */
import path from 'node:path';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';

const docker = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

describe.skipIf(!docker)('InfluxDB 2.7 (testcontainers)', () => {
  let influx: StartedTestContainer;
  let emu: AliyunEmulator;
  let url = '';
  const token = 'it-token-0123456789';
  beforeAll(async () => {
    influx = await new GenericContainer('influxdb:2.7')
      .withEnvironment({
        DOCKER_INFLUXDB_INIT_MODE: 'setup',
        DOCKER_INFLUXDB_INIT_USERNAME: 'admin',
        DOCKER_INFLUXDB_INIT_PASSWORD: 'admin-password',
        DOCKER_INFLUXDB_INIT_ORG: 'org',
        DOCKER_INFLUXDB_INIT_BUCKET: 'cdn',
        DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
      })
      .withExposedPorts(8086)
      .withWaitStrategy(Wait.forHttp('/health', 8086))
      .start();
    url = `http://${influx.getHost()}:${influx.getMappedPort(8086)}`;
    emu = new AliyunEmulator({ accounts: { LTAIv2: { secret: 's', domains: ['a.example.com', 'b.example.com', 'c.example.com'] } } });
  }, 180_000);
  afterAll(async () => {
    await emu?.stop();
    await influx?.stop();
  });

  it('backfill of 2 h for 3 domains lands exactly once with exact values', async () => {
    const endpoint = await emu.start();
    const { file, dir } = tempConfig({ influx: { url, apiVersion: 2, org: 'org', bucket: 'cdn', token }, vendors: { aliyun: { enabled: true, endpoint, domains: ['a.example.com', 'b.example.com', 'c.example.com'], apis: ['DescribeDomainSrcTrafficData'] } }, log: { level: 'warn' } });
    const to = Math.floor((Date.now() / 1000 - 1800) / 300) * 300;
    const from = to - 7200;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIv2', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's', STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    const flux = `from(bucket: "cdn") |> range(start: ${from - 60}, stop: ${to + 60}) |> filter(fn: (r) => r._measurement == "cdn_origin" and r.metric == "traffic_bytes")`;
    const res = await fetch(`${url}/api/v2/query?org=org`, { method: 'POST', headers: { authorization: `Token ${token}`, 'content-type': 'application/vnd.flux', accept: 'application/csv' }, body: flux });
    const rows = (await res.text()).split('\n').filter((l) => l.includes('traffic_bytes'));
    expect(rows).toHaveLength(3 * 24);
  });
});
