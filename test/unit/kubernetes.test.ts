/**
 * deploy/kubernetes/: every manifest validated against the Kubernetes API schemas (kubernetes-models:
 * the OpenAPI schemas of the API server, compiled), then checked against the collector itself: the
 * env vars are ones it reads, the probe paths are ones src/status/server.ts serves, SHARD_COUNT equals
 * the replicas, the ConfigMap's config loads with the StatefulSet's env.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { buildSchema, CORE_SECRETS, isKeySpec } from '../../src/config/schema.js';
import { MODULES } from '../../src/vendors/registry.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const DIR = path.join(ROOT, 'deploy', 'kubernetes');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  });
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1/StatefulSet': StatefulSet,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function validate(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
}

const kustomization = docs('kustomization.yaml')[0]!;
const all = (kustomization.resources as string[]).flatMap((f) => docs(f));
const one = (kind: string): Obj => {
  const found = all.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const sts = one('StatefulSet');
const pod = sts.spec.template.spec as Obj;
const container = (pod.containers as Obj[])[0]!;
const env = container.env as { name: string; value?: string; valueFrom?: Obj }[];
const secretExample = docs('secret.example.yaml')[0]!;

/** Every env var the collector reads: the schema's, and `<VAR>_FILE` for each secret. */
function collectorEnv(): { plain: Set<string>; secrets: Set<string> } {
  const plain = new Set<string>();
  const walk = (node: Obj) => {
    for (const v of Object.values(node)) {
      if (v && typeof v === 'object' && '_cvtProperties' in v) walk(v._cvtProperties);
      else if (v && typeof v === 'object' && typeof v.env === 'string') plain.add(v.env);
    }
  };
  walk((buildSchema(MODULES, {}).getSchema() as Obj)._cvtProperties);
  const secrets = new Set(Object.keys(CORE_SECRETS));
  for (const m of MODULES) for (const spec of Object.values(m.config)) if (isKeySpec(spec) && spec.secret && spec.env) secrets.add(spec.env);
  return { plain, secrets };
}

function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`quantity ${q}`);
  const unit: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * unit[m[2] ?? '']!;
}

describe('deploy/kubernetes', () => {
  it('kustomization lists every manifest but the Secret example, and each is valid against the Kubernetes API schemas', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...(kustomization.resources as string[]), 'secret.example.yaml'].sort()).toEqual(files.sort());
    expect(all.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'PodDisruptionBudget', 'Service', 'StatefulSet']);
    for (const o of [...all, secretExample]) expect(() => validate(o), `${o.kind} ${o.metadata?.name}`).not.toThrow();
  });

  it('the schema validation bites: a wrong type, a missing required field and a bad enum are refused', () => {
    const bad = structuredClone(sts);
    bad.spec.replicas = 'three';
    expect(() => validate(bad)).toThrow(/replicas/);
    const noSelector = structuredClone(sts);
    delete noSelector.spec.selector;
    expect(() => validate(noSelector)).toThrow(/selector/);
    const noPort = structuredClone(sts);
    delete noPort.spec.template.spec.containers[0].livenessProbe.httpGet.port;
    expect(() => validate(noPort)).toThrow(/port/);
    const pdb = structuredClone(one('PodDisruptionBudget'));
    pdb.spec.maxUnavailable = { one: 1 };
    expect(() => validate(pdb)).toThrow();
  });

  it('SHARD_COUNT equals replicas; SHARD_INDEX is left to the pod hostname', () => {
    expect(sts.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(env.find((e) => e.name === 'SHARD_COUNT')?.value).toBe(String(sts.spec.replicas));
    expect(env.find((e) => e.name === 'SHARD_INDEX')).toBeUndefined();
    // The hostname is <statefulset name>-<ordinal>: what src/core/shard.ts reads.
    expect(sts.metadata.name).toMatch(/^[a-z0-9-]+$/);
  });

  it('every env var is one the collector reads; secrets come from files of the mounted Secret, ids from its keys', () => {
    const { plain, secrets } = collectorEnv();
    const mounts = new Map((container.volumeMounts as Obj[]).map((m) => [m.name as string, m]));
    const secretVolume = (pod.volumes as Obj[]).find((v) => v.secret)!;
    const secretDir = mounts.get(secretVolume.name)!.mountPath as string;
    expect(secretVolume.secret.secretName).toBe(secretExample.metadata.name);
    for (const e of env) {
      if (e.name.endsWith('_FILE')) {
        const v = e.name.slice(0, -'_FILE'.length);
        expect(secrets.has(v), `${e.name}: ${v} is not a secret the collector reads from a file`).toBe(true);
        expect(path.dirname(e.value!), e.name).toBe(secretDir);
        expect(Object.keys(secretExample.stringData), e.name).toContain(path.basename(e.value!));
        continue;
      }
      expect(plain.has(e.name), `${e.name} is not read by the collector`).toBe(true);
      // A secret never as a plain env value.
      expect(secrets.has(e.name), `${e.name} is a secret: use ${e.name}_FILE`).toBe(false);
      if (e.valueFrom) {
        expect(e.valueFrom.secretKeyRef.name).toBe(secretExample.metadata.name);
        expect(Object.keys(secretExample.stringData)).toContain(e.valueFrom.secretKeyRef.key);
      }
    }
  });

  it('probes: /livez and /readyz on the http port, which the config opens on all interfaces and the Service names', () => {
    const server = readFileSync(path.join(ROOT, 'src', 'status', 'server.ts'), 'utf8');
    expect(container.livenessProbe.httpGet.path).toBe('/livez');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    for (const p of [container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path]) expect(server, p).toMatch(new RegExp(`url === '${p}'`));
    const port = (container.ports as Obj[]).find((p) => p.name === container.livenessProbe.httpGet.port)!;
    expect(container.readinessProbe.httpGet.port).toBe(port.name);
    const config = JSON.parse(one('ConfigMap').data['config.json'] as string) as Obj;
    expect(config.http.port).toBe(port.containerPort);
    expect(config.http.host).toBe('0.0.0.0');
    const svc = one('Service');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.ports[0].targetPort).toBe(port.name);
    expect(sts.spec.serviceName).toBe(svc.metadata.name);
  });

  it('a volume per pod at state.dir, the config mounted where --config reads it', () => {
    const claim = (sts.spec.volumeClaimTemplates as Obj[])[0]!;
    const mount = (container.volumeMounts as Obj[]).find((m) => m.name === claim.metadata.name)!;
    expect(mount.mountPath).toBe('/data');
    expect(env.find((e) => e.name === 'STATE_DIR')?.value).toBe(mount.mountPath);
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    const cfgVolume = (pod.volumes as Obj[]).find((v) => v.configMap)!;
    expect(cfgVolume.configMap.name).toBe(one('ConfigMap').metadata.name);
    const cfgMount = (container.volumeMounts as Obj[]).find((m) => m.name === cfgVolume.name)!;
    const args = container.args as string[];
    expect(args[0]).toBe('run');
    expect(args[args.indexOf('--config') + 1]).toBe(path.posix.join(cfgMount.mountPath, 'config.json'));
  });

  it('non-root uid 1000, read-only root filesystem, no capabilities; resources sized from the benchmark', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(1000);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ['ALL'] } });
    const r = container.resources as Obj;
    expect(r.requests).toEqual({ cpu: '100m', memory: '192Mi' });
    // bench/RESULTS.md: peak RSS of the passes over 10,000 domains; the request covers it, the limit is twice it.
    const results = readFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), 'utf8');
    const peaks = [...results.matchAll(/^\| 10,000 \| after \| \d+ \| ([\d.]+) MB/gm)].map((m) => Number(m[1]));
    expect(peaks.length).toBeGreaterThan(0);
    const peakMb = Math.max(...peaks);
    expect(bytes(r.requests.memory as string)).toBeGreaterThanOrEqual(peakMb * 1e6);
    expect(bytes(r.limits.memory as string)).toBeGreaterThanOrEqual(peakMb * 1e6 * 2);
    expect(bytes(r.requests.memory as string)).toBeLessThanOrEqual(bytes(r.limits.memory as string));
  });

  it('a PodDisruptionBudget of one unavailable pod, selecting the StatefulSet pods', () => {
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(sts.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(sts.spec.template.metadata.labels).toMatchObject(one('Service').spec.selector);
    expect(sts.spec.template.metadata.labels).toMatchObject(sts.spec.selector.matchLabels);
  });

  /** The ConfigMap's config with the StatefulSet's env, secrets read from the mounted files. */
  function loadAsPod(dropEnv: readonly string[]) {
    const cfg = '/etc/cdn-origin-collector/config.json';
    const files: Record<string, string> = { [cfg]: one('ConfigMap').data['config.json'] as string };
    const podEnv: Record<string, string> = {};
    for (const e of env) {
      if (dropEnv.includes(e.name)) continue;
      podEnv[e.name] = e.value ?? (secretExample.stringData[e.valueFrom!.secretKeyRef.key] as string);
      if (e.name.endsWith('_FILE')) files[e.value!] = `${secretExample.stringData[path.basename(e.value!)]}\n`;
    }
    return loadConfig({
      files: [cfg],
      env: podEnv,
      readFile: (p) => {
        if (!(p in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return files[p]!;
      },
      modules: MODULES,
    });
  }

  it('the ConfigMap loads with the pod env: no problem, the enabled vendors have their credentials', () => {
    const loaded = loadAsPod(['SHARD_COUNT']);
    expect(loaded.problems).toEqual([]);
    expect(loaded.vendors.map((v) => v.module.id).sort()).toEqual(['aliyun', 'tencent']);
    expect(loaded.config.influx.token).toBe('replace-me');
    expect(loaded.config.state.dir).toBe('/data');
  });

  // Env values are typed by the key's declared type (SHARD_COUNT="3" is the number 3).
  it('the ConfigMap loads with the whole pod env, SHARD_COUNT included', () => {
    const loaded = loadAsPod([]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.shard.count).toBe(sts.spec.replicas);
  });
});
