import type { TestProject } from 'vitest/node';
import { startInfluxV1, startVictoriaMetrics, type RunningServer } from '../support/servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    influxV1Url: string;
    victoriaUrl: string;
  }
}

let servers: RunningServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  const [influx, vm] = await Promise.all([startInfluxV1(), startVictoriaMetrics()]);
  servers = [influx, vm];
  project.provide('influxV1Url', influx.url);
  project.provide('victoriaUrl', vm.url);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}
