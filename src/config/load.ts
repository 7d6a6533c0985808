/**
 * Merges config/default.json, the --config files (later ones win) and the environment (wins over
 * files), reads `<VAR>_FILE` and account `<key>File` secrets, resolves each vendor's accounts, and
 * collects every problem with the key (and account) it is about. Nothing here is coerced: a value of
 * the wrong type is a problem, not a guess.
 */
import { DEFAULT_ACCOUNT } from '../kernel/schema.js';
import type { AccountConfig, KeySpec, VendorModule } from '../kernel/vendor.js';
import { jsonErrorPosition, redactUrl } from './json.js';
import { buildSchema, CORE_SECRETS, isKeySpec, type CoreConfig, type Schema } from './schema.js';

export interface LoadInput {
  readonly files: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
  readonly modules: readonly VendorModule[];
}

export interface EnabledVendor {
  readonly module: VendorModule;
  /** vendors.<id>, validated. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly accounts: readonly AccountConfig[];
}

export interface Loaded {
  readonly files: readonly string[];
  readonly config: CoreConfig;
  readonly vendors: readonly EnabledVendor[];
  readonly problems: string[];
  /** The merged configuration with every secret masked, for check-config. */
  masked(): string;
}

/** Reads a `*_FILE` secret: the whole file less its trailing newline. */
export function readSecretFile(readFile: (p: string) => string, path: string): string {
  return readFile(path).replace(/\r?\n$/, '');
}

const ACCOUNT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'unreadable';

function credentialKeys(m: VendorModule): [string, KeySpec][] {
  return Object.entries(m.config).filter((e): e is [string, KeySpec] => isKeySpec(e[1]) && e[1].credential === true);
}

export function loadConfig(input: LoadInput): Loaded {
  const problems: string[] = [];
  const schema = buildSchema(input.modules, input.env);
  for (const file of input.files) {
    let text: string;
    try {
      text = input.readFile(file);
    } catch (err) {
      problems.push(`config: cannot read ${file}: ${errCode(err)}`);
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      const { line, column } = jsonErrorPosition(text);
      problems.push(`config: ${file} is not valid JSON (line ${line}, column ${column})`);
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      problems.push(`config: ${file} must hold a JSON object`);
      continue;
    }
    // convict walks into an object given where a single value (a list, a string) belongs and fails
    // with a JavaScript message: such values are named here and left out.
    problems.push(...dropMisshapen((schema.getSchema() as { _cvtProperties: Record<string, unknown> })._cvtProperties, obj as Record<string, unknown>, ''));
    try {
      schema.load(obj);
    } catch (err) {
      problems.push(`config: ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  // Environment variables win over files (CONTRACT.md): convict applies env first, so re-apply.
  applyEnv(schema, input.env, problems);
  const secretEnv: [string, string][] = Object.entries(CORE_SECRETS);
  for (const m of input.modules) for (const [k, s] of credentialKeys(m)) if (s.secret && s.env) secretEnv.push([s.env, `vendors.${m.id}.${k}`]);
  for (const [v, key] of secretEnv) {
    const path = input.env[`${v}_FILE`];
    if (!path) continue;
    try {
      schema.set(key as never, readSecretFile(input.readFile, path) as never);
    } catch (err) {
      problems.push(`${key}: cannot read ${v}_FILE ${path}: ${errCode(err)}`);
    }
  }
  try {
    schema.validate({ allowed: 'strict' });
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) if (line.trim()) problems.push(cleanConvictLine(line.trim()));
  }
  const config = schema.getProperties() as unknown as CoreConfig;
  const vendors: EnabledVendor[] = [];
  const accountSecrets: string[] = [];
  if (!problems.length) {
    problems.push(...coreProblems(config));
    for (const m of input.modules) {
      const settings = config.vendors[m.id]!;
      if (!settings.enabled) continue;
      const accounts = resolveAccounts(m, settings, input, problems, accountSecrets);
      vendors.push({ module: m, settings, accounts });
    }
    if (!vendors.length) problems.push(`vendors: no vendor is enabled (set vendors.<${input.modules.map((m) => m.id).join('|')}>.enabled to true)`);
  }
  return { files: input.files, config, vendors, problems, masked: () => masked(schema, config, input.modules) };
}

function resolveAccounts(m: VendorModule, settings: Record<string, unknown>, input: LoadInput, problems: string[], _secrets: string[]): AccountConfig[] {
  const prefix = `vendors.${m.id}`;
  const creds = credentialKeys(m);
  const perAccount = Object.entries(m.config).filter((e): e is [string, KeySpec] => isKeySpec(e[1]) && e[1].perAccount === true);
  const list = settings.accounts as unknown[];
  const out: AccountConfig[] = [];
  const check = (where: string, account: AccountConfig) => {
    for (const [k, s] of creds) {
      const v = account.values[k];
      if (!s.optional && (typeof v !== 'string' || v === '')) problems.push(`${where}.${k}: required when ${prefix}.enabled${s.env && where === prefix ? ` (env ${s.env}${s.secret ? ` or ${s.env}_FILE` : ''})` : ''}`);
    }
    for (const p of m.validate(settings, account)) problems.push(`${where}.${p}`);
  };
  if (!list.length) {
    const values: Record<string, unknown> = {};
    for (const [k] of [...creds, ...perAccount]) values[k] = settings[k];
    const account: AccountConfig = { name: DEFAULT_ACCOUNT, domains: settings.domains as string[], values };
    check(prefix, account);
    out.push(account);
    return out;
  }
  // With named accounts, the top-level credentials must be empty: one source of truth per key.
  for (const [k, s] of creds) {
    if (settings[k] !== '' && settings[k] !== undefined) problems.push(`${prefix}.${k}: must be empty when ${prefix}.accounts is set (give each account its own)${s.env ? ` (env ${s.env})` : ''}`);
  }
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const at = `${prefix}.accounts[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${at}: must be an object with a name and credentials`);
      return;
    }
    const o = raw as Record<string, unknown>;
    const name = o.name;
    if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) {
      problems.push(`${at}.name: must be 1-64 letters, digits, "-" or "_"`);
      return;
    }
    const where = `${prefix}.accounts[${i}] (account "${name}")`;
    if (names.has(name)) problems.push(`${where}.name: used twice`);
    names.add(name);
    const allowed = new Set(['name', 'domains', ...creds.map(([k]) => k), ...creds.filter(([, s]) => s.secret).map(([k]) => `${k}File`), ...perAccount.map(([k]) => k)]);
    for (const k of Object.keys(o)) if (!allowed.has(k)) problems.push(`${where}.${k}: not a known account key (known: ${[...allowed].join(', ')})`);
    const values: Record<string, unknown> = {};
    for (const [k, s] of creds) {
      const file = o[`${k}File`];
      if (s.secret && file !== undefined) {
        if (o[k] !== undefined) problems.push(`${where}.${k}: give either ${k} or ${k}File, not both`);
        if (typeof file !== 'string') problems.push(`${where}.${k}File: must be a path`);
        else {
          try {
            values[k] = readSecretFile(input.readFile, file);
          } catch (err) {
            problems.push(`${where}.${k}File: cannot read ${file}: ${errCode(err)}`);
          }
        }
      } else if (o[k] !== undefined) {
        if (typeof o[k] !== 'string') problems.push(`${where}.${k}: must be a string`);
        else values[k] = o[k];
      } else values[k] = '';
    }
    for (const [k, s] of perAccount) values[k] = o[k] !== undefined ? o[k] : settings[k] ?? s.default;
    let domains: string[] = [];
    if (o.domains !== undefined) {
      if (!Array.isArray(o.domains) || o.domains.some((d) => typeof d !== 'string' || !/^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/.test(d))) problems.push(`${where}.domains: must be a list of domain names`);
      else domains = o.domains as string[];
    }
    const account: AccountConfig = { name, domains, values };
    check(where, account);
    out.push(account);
  });
  return out;
}

function dropMisshapen(props: Record<string, unknown>, obj: Record<string, unknown>, prefix: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const spec = props[k] as { _cvtProperties?: Record<string, unknown>; default?: unknown } | undefined;
    if (!spec) continue;
    const key = prefix ? `${prefix}.${k}` : k;
    const isObject = v !== null && typeof v === 'object' && !Array.isArray(v);
    if (spec._cvtProperties) {
      if (isObject) out.push(...dropMisshapen(spec._cvtProperties, v as Record<string, unknown>, key));
      else {
        out.push(`${key}: must be an object of settings`);
        delete obj[k];
      }
    } else if (isObject) {
      out.push(`${key}: ${Array.isArray(spec.default) ? 'must be a list' : 'must be a single value'}, not an object`);
      delete obj[k];
    }
  }
  return out;
}

function coreProblems(c: CoreConfig): string[] {
  const p: string[] = [];
  if (c.influx.apiVersion === 2) {
    if (!c.influx.org) p.push('influx.org: required with influx.apiVersion 2 (env INFLUX_ORG)');
    if (!c.influx.token) p.push('influx.token: required with influx.apiVersion 2 (env INFLUX_TOKEN or INFLUX_TOKEN_FILE)');
  } else if (c.influx.password && !c.influx.username) {
    p.push('influx.username: required when influx.password is set');
  }
  if (c.shard.index >= c.shard.count) p.push(`shard.index: must be below shard.count (${c.shard.count}); value was ${c.shard.index}`);
  return p;
}

function applyEnv(schema: Schema, env: Readonly<Record<string, string | undefined>>, problems: string[]): void {
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${k}` : k;
      const spec = v as { env?: string; default?: unknown; _cvtProperties?: Record<string, unknown> };
      if (spec._cvtProperties) walk(spec._cvtProperties, key);
      else if (spec.env && env[spec.env] !== undefined) {
        const raw = env[spec.env]!;
        // The key's type is its default's: convict has already put the raw string in place.
        const cur = spec.default;
        let value: unknown = raw;
        if (Array.isArray(cur)) value = raw.split(',').map((x) => x.trim()).filter(Boolean);
        else if (typeof cur === 'number') {
          if (!/^\s*-?\d+(\.\d+)?\s*$/.test(raw)) {
            problems.push(`${key}: env ${spec.env} must be a number; value was ${JSON.stringify(raw.slice(0, 40))}`);
            continue;
          }
          value = Number(raw);
        } else if (typeof cur === 'boolean') {
          if (!/^(true|false)$/i.test(raw.trim())) {
            problems.push(`${key}: env ${spec.env} must be true or false; value was ${JSON.stringify(raw.slice(0, 40))}`);
            continue;
          }
          value = /^true$/i.test(raw.trim());
        }
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

function masked(schema: Schema, config: CoreConfig, modules: readonly VendorModule[]): string {
  const out = JSON.parse(schema.toString()) as CoreConfig;
  out.influx.url = redactUrl(config.influx.url);
  for (const m of modules) {
    const v = out.vendors[m.id];
    if (!v || !Array.isArray(v.accounts)) continue;
    const secrets = credentialKeys(m).filter(([, s]) => s.secret).map(([k]) => k);
    v.accounts = v.accounts.map((a) => {
      if (!a || typeof a !== 'object') return a;
      const copy: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const k of secrets) if (typeof copy[k] === 'string' && copy[k] !== '') copy[k] = '[Sensitive]';
      return copy;
    });
  }
  return JSON.stringify(out, null, 2);
}
