/**
 * Starts the emulator of every vendor module (test/emulators/<module id>.ts, each exporting
 * `startDemo()`), and returns the config and env that point the collector at them. A new vendor
 * needs no line here: its emulator file is found by its module id.
 */
import { MODULES } from '../../src/vendors/registry.js';

export interface Demo {
  config: Record<string, unknown>;
  env: Record<string, string>;
  stop(): Promise<void>;
  emulator: unknown;
}

export interface DemoVendors {
  config: { vendors: Record<string, Record<string, unknown>> };
  env: Record<string, string>;
  stop: () => Promise<void>;
  /** By module id. */
  demos: Record<string, Demo>;
}

/** Where the demo vendors listen: loopback and free ports unless given (the Compose demo needs fixed ports on 0.0.0.0). */
export interface DemoListen {
  readonly host?: string;
  /** By module id. */
  readonly ports?: Readonly<Record<string, number>>;
  readonly only?: readonly string[];
}

export async function startDemoVendors(listen: DemoListen = {}): Promise<DemoVendors> {
  const only = listen.only;
  const demos: Record<string, Demo> = {};
  for (const m of MODULES) {
    if (only && !only.includes(m.id)) continue;
    const mod = (await import(`./${m.id}.js`)) as { startDemo(l: { host?: string; port?: number }): Promise<Demo> };
    demos[m.id] = await mod.startDemo({ ...(listen.host ? { host: listen.host } : {}), ...(listen.ports?.[m.id] ? { port: listen.ports[m.id] } : {}) });
  }
  const vendors: Record<string, Record<string, unknown>> = {};
  let env: Record<string, string> = {};
  for (const [id, d] of Object.entries(demos)) {
    vendors[id] = (d.config as { vendors?: Record<string, Record<string, unknown>> }).vendors?.[id] ?? d.config;
    env = { ...env, ...d.env };
  }
  return {
    config: { vendors },
    env,
    demos,
    stop: async () => {
      await Promise.all(Object.values(demos).map((d) => d.stop()));
    },
  };
}
