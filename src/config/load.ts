/**
 * Merges config/default.json, the --config files (later ones win) and the environment (wins over
 * files), reads `<VAR>_FILE` secrets, and collects every problem with the key it is about.
 */
import { buildSchema, SECRET_KEYS, type AppConfig, type Schema } from './schema.js';

export interface LoadInput {
  readonly files: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

export interface Loaded {
  readonly config: AppConfig;
  readonly schema: Schema;
  readonly problems: string[];
}

/** Reads a `*_FILE` secret: the whole file less its trailing newline. */
export function readSecretFile(readFile: (p: string) => string, path: string): string {
  return readFile(path).replace(/\r?\n$/, '');
}

export function loadConfig(input: LoadInput): Loaded {
  const problems: string[] = [];
  const schema = buildSchema({ ...input.env });
  for (const file of input.files) {
    let text: string;
    try {
      text = input.readFile(file);
    } catch (err) {
      problems.push(`config: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      problems.push(`config: ${file} is not valid JSON: ${(err as Error).message}`);
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      problems.push(`config: ${file} must hold a JSON object`);
      continue;
    }
    try {
      schema.load(obj);
    } catch (err) {
      problems.push(`config: ${file}: ${(err as Error).message}`);
    }
    // Environment variables win over files (CONTRACT.md): convict applies env first, so re-apply.
    reapplyEnv(schema, input.env);
  }
  for (const [v, key] of Object.entries(SECRET_KEYS)) {
    const path = input.env[`${v}_FILE`];
    if (!path) continue;
    try {
      schema.set(key, readSecretFile(input.readFile, path));
    } catch (err) {
      problems.push(`${key}: cannot read ${v}_FILE ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  try {
    schema.validate({ allowed: 'strict' });
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) if (line.trim()) problems.push(cleanConvictLine(line.trim()));
  }
  const config = schema.getProperties();
  if (!problems.length) problems.push(...combinationProblems(config));
  return { config, schema, problems };
}

function reapplyEnv(schema: Schema, env: Readonly<Record<string, string | undefined>>): void {
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${k}` : k;
      const spec = v as { env?: string; _cvtProperties?: Record<string, unknown> };
      if (spec._cvtProperties) walk(spec._cvtProperties, key);
      else if (spec.env && env[spec.env] !== undefined) {
        const raw = env[spec.env]!;
        const cur = schema.get(key as never) as unknown;
        const value = Array.isArray(cur)
          ? raw.split(',').map((x) => x.trim()).filter(Boolean)
          : typeof cur === 'number' && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : typeof cur === 'boolean' && /^(true|false|1|0)$/i.test(raw) ? /^(true|1)$/i.test(raw) : raw;
        schema.set(key as never, value as never);
      }
    }
  };
  walk((schema.getSchema() as { _cvtProperties: Record<string, unknown> })._cvtProperties, '');
}

/** convict says `influx.apiVersion: must be one of the possible values: [1,2]: value was 3`; keep that, drop noise. */
function cleanConvictLine(line: string): string {
  const m = /^configuration param '([^']+)' not declared in the schema$/.exec(line);
  if (m) return `${m[1]}: not a known configuration key`;
  return line.replace(/^Error: /, '');
}

function combinationProblems(c: AppConfig): string[] {
  const p: string[] = [];
  if (c.influx.apiVersion === 2) {
    if (!c.influx.org) p.push('influx.org: required with influx.apiVersion 2 (env INFLUX_ORG)');
    if (!c.influx.token) p.push('influx.token: required with influx.apiVersion 2 (env INFLUX_TOKEN or INFLUX_TOKEN_FILE)');
  } else if (c.influx.password && !c.influx.username) {
    p.push('influx.username: required when influx.password is set');
  }
  const v = c.vendors;
  if (!v.aliyun.enabled && !v.tencent.enabled && !v.huawei.enabled) p.push('vendors: no vendor is enabled (set vendors.<aliyun|tencent|huawei>.enabled to true)');
  if (v.aliyun.enabled) {
    if (!v.aliyun.accessKeyId) p.push('vendors.aliyun.accessKeyId: required when vendors.aliyun.enabled (env ALIBABA_CLOUD_ACCESS_KEY_ID)');
    if (!v.aliyun.accessKeySecret) p.push('vendors.aliyun.accessKeySecret: required when vendors.aliyun.enabled (env ALIBABA_CLOUD_ACCESS_KEY_SECRET or ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE)');
    if (!v.aliyun.apis.length) p.push('vendors.aliyun.apis: lists no API');
  }
  if (v.tencent.enabled) {
    if (!v.tencent.secretId) p.push('vendors.tencent.secretId: required when vendors.tencent.enabled (env TENCENTCLOUD_SECRET_ID)');
    if (!v.tencent.secretKey) p.push('vendors.tencent.secretKey: required when vendors.tencent.enabled (env TENCENTCLOUD_SECRET_KEY or TENCENTCLOUD_SECRET_KEY_FILE)');
    if (!v.tencent.metrics.length) p.push('vendors.tencent.metrics: lists no metric');
    if (v.tencent.interval === 'min' && v.tencent.area === 'overseas') p.push('vendors.tencent.interval: "min" is not served for vendors.tencent.area "overseas"; use 5min');
    if (v.tencent.settleMs < 600_000) p.push('vendors.tencent.settleMs: must be at least 600000 (Tencent revises the last 10 minutes)');
  }
  if (v.huawei.enabled) {
    if (!v.huawei.ak) p.push('vendors.huawei.ak: required when vendors.huawei.enabled (env HUAWEICLOUD_SDK_AK)');
    if (!v.huawei.sk) p.push('vendors.huawei.sk: required when vendors.huawei.enabled (env HUAWEICLOUD_SDK_SK or HUAWEICLOUD_SDK_SK_FILE)');
    if (!v.huawei.projectId) p.push('vendors.huawei.projectId: required when vendors.huawei.enabled (env HUAWEICLOUD_SDK_PROJECT_ID)');
    if (!v.huawei.apis.length) p.push('vendors.huawei.apis: lists no API');
  }
  return p;
}

/** The merged configuration with every secret masked, for check-config. */
export function maskedConfig(schema: Schema): string {
  return JSON.stringify(JSON.parse(schema.toString()), null, 2);
}
