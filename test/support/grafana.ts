/**
 * What Grafana does with a dashboard query or an alert rule before and after it reaches the data
 * source, done the same way here so the tests run the real InfluxQL against a real InfluxDB:
 * macro and variable interpolation (InfluxDB data source rules), the panel interval, and the
 * server-side expressions of alert rules (reduce, math, threshold), joined on labels.
 */
import { influxQuery } from './servers.js';

export type VarValue = string | string[];

/** InfluxDB data source escaping: multi-value / include-all variables are regex-escaped and joined as (a|b). */
export function interpolate(q: string, vars: Record<string, VarValue>, macros: Record<string, string> = {}): string {
  let out = q;
  for (const [k, v] of Object.entries(macros)) out = out.split(k).join(v);
  const fmt = (v: VarValue) => {
    if (typeof v === 'string') return v;
    const e = v.map((x) => x.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&'));
    return e.length === 1 ? e[0]! : `(${e.join('|')})`;
  };
  for (const k of Object.keys(vars).sort((a, b) => b.length - a.length)) out = out.split(`\${${k}}`).join(fmt(vars[k]!)).split(`$${k}`).join(fmt(vars[k]!));
  return out;
}

/** Grafana's $__interval: range / max data points rounded to a nice step, never below the panel's min interval. */
export function grafanaInterval(rangeMs: number, minInterval: string | undefined, vars: Record<string, VarValue>): string {
  const raw = rangeMs / 1000 / 1000;
  const steps = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  let s = steps.find((x) => x >= raw) ?? 86400;
  if (minInterval) {
    const m = /^(\d+)(s|m|h)$/.exec(interpolate(minInterval, vars));
    if (!m) throw new Error(`min interval ${minInterval} does not expand to a duration`);
    s = Math.max(s, Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's']);
  }
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** Values a variable query yields: `value` of SHOW TAG VALUES, else the first string column (Grafana's frameToMetricFindValue). */
export async function variableValues(url: string, db: string, q: string): Promise<string[]> {
  const series = await influxQuery(url, db, q);
  const out: string[] = [];
  for (const s of series) {
    const col = s.columns.indexOf('value') >= 0 ? s.columns.indexOf('value') : s.values[0]?.findIndex((v, i) => i > 0 && typeof v === 'string') ?? -1;
    if (col < 0) continue;
    for (const row of s.values) if (!out.includes(String(row[col]))) out.push(String(row[col]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Alert rules

export interface RuleNode { refId: string; relativeTimeRange?: { from: number; to: number }; datasourceUid: string; model: Record<string, unknown> }
export interface Rule { uid: string; title: string; condition: string; data: RuleNode[]; noDataState: string; execErrState: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }
export interface Series { labels: Record<string, string>; values: (number | null)[] }
type Value = number | Map<string, { labels: Record<string, string>; value: number }>;

const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));

/** Runs a rule's InfluxQL data nodes (Grafana's $timeFilter from relativeTimeRange) and returns the series with tags as labels. */
export async function influxNode(url: string, db: string, n: RuleNode, nowMs: number): Promise<Series[]> {
  const r = n.relativeTimeRange ?? { from: 600, to: 0 };
  const q = interpolate(String(n.model.query), {}, { $timeFilter: `time >= ${nowMs - r.from * 1000}ms and time <= ${nowMs - r.to * 1000}ms`, $__interval: '1m' });
  if (/\$\w/.test(q)) throw new Error(`${n.refId}: unexpanded macro in ${q}`);
  const series = await influxQuery(url, db, q);
  return series.map((s) => ({ labels: { ...(s.tags ?? {}) }, values: s.values.map((row) => (row[1] === null ? null : Number(row[1]))) }));
}

/** Grafana's math: numbers, $refs, + - * /, comparisons and && ||, series joined on identical labels. */
function evalMath(expr: string, vars: Record<string, Value>): Value {
  const toks = expr.match(/\$[A-Za-z]\w*|\d+(?:\.\d+)?(?:e\d+)?|>=|<=|==|!=|&&|\|\||[-+*/()<>]/g) ?? [];
  if (toks.join('') !== expr.replace(/\s+/g, '')) throw new Error(`math expression not understood: ${expr}`);
  let i = 0;
  const bin = (a: Value, b: Value, f: (x: number, y: number) => number): Value => {
    if (typeof a === 'number' && typeof b === 'number') return f(a, b);
    const out = new Map<string, { labels: Record<string, string>; value: number }>();
    if (typeof a === 'number') for (const [k, v] of b as Map<string, { labels: Record<string, string>; value: number }>) out.set(k, { labels: v.labels, value: f(a, v.value) });
    else if (typeof b === 'number') for (const [k, v] of a) out.set(k, { labels: v.labels, value: f(v.value, b) });
    else for (const [k, v] of a) if (b.has(k)) out.set(k, { labels: v.labels, value: f(v.value, b.get(k)!.value) });
    return out;
  };
  const ops: Record<string, (x: number, y: number) => number> = {
    '*': (x, y) => x * y, '/': (x, y) => x / y, '+': (x, y) => x + y, '-': (x, y) => x - y,
    '>': (x, y) => +(x > y), '<': (x, y) => +(x < y), '>=': (x, y) => +(x >= y), '<=': (x, y) => +(x <= y), '==': (x, y) => +(x === y), '!=': (x, y) => +(x !== y),
    '&&': (x, y) => +(x !== 0 && y !== 0), '||': (x, y) => +(x !== 0 || y !== 0),
  };
  const levels = [['||'], ['&&'], ['>', '<', '>=', '<=', '==', '!='], ['+', '-'], ['*', '/']];
  const atom = (): Value => {
    const t = toks[i++];
    if (t === '(') {
      const v = level(0);
      if (toks[i++] !== ')') throw new Error(`missing ) in ${expr}`);
      return v;
    }
    if (t?.startsWith('$')) {
      const v = vars[t.slice(1)];
      if (v === undefined) throw new Error(`${t} not computed before ${expr}`);
      return v;
    }
    if (t !== undefined && /^\d/.test(t)) return Number(t);
    throw new Error(`unexpected ${t} in ${expr}`);
  };
  const level = (n: number): Value => {
    if (n === levels.length) return atom();
    let v = level(n + 1);
    while (i < toks.length && levels[n]!.includes(toks[i]!)) {
      const op = toks[i++]!;
      v = bin(v, level(n + 1), ops[op]!);
    }
    return v;
  };
  const v = level(0);
  if (i !== toks.length) throw new Error(`trailing ${toks.slice(i).join(' ')} in ${expr}`);
  return v;
}

const reducers: Record<string, (v: number[]) => number> = {
  last: (v) => v[v.length - 1]!,
  sum: (v) => v.reduce((a, b) => a + b, 0),
  mean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  max: (v) => Math.max(...v),
  min: (v) => Math.min(...v),
};

export interface Evaluation { state: 'Alerting' | 'Normal' | 'NoData'; firing: { labels: Record<string, string>; value: number }[]; values: Record<string, Value> }

/** Evaluates a rule: data nodes through `runData`, expressions as Grafana does; firing = condition value ≠ 0. */
export async function evaluateRule(rule: Rule, runData: (n: RuleNode) => Promise<Series[]>): Promise<Evaluation> {
  const data: Record<string, Series[]> = {};
  const values: Record<string, Value> = {};
  let noData = false;
  for (const n of rule.data) {
    if (n.datasourceUid !== '__expr__') {
      data[n.refId] = await runData(n);
      if (!data[n.refId]!.length) noData = true;
      continue;
    }
    const m = n.model as { type: string; expression: string; reducer?: string; settings?: { mode?: string }; conditions?: { evaluator: { type: string; params: number[] } }[] };
    if (m.type === 'reduce') {
      const f = reducers[m.reducer!];
      if (!f) throw new Error(`reducer ${m.reducer} not emulated`);
      if (m.settings?.mode !== 'dropNN') throw new Error(`${rule.uid}/${n.refId}: reduce without dropNN turns a null into NaN`);
      const out = new Map<string, { labels: Record<string, string>; value: number }>();
      for (const s of data[m.expression] ?? []) {
        const vals = s.values.filter((v): v is number => v !== null && Number.isFinite(v));
        if (vals.length) out.set(key(s.labels), { labels: s.labels, value: f(vals) });
      }
      values[n.refId] = out;
    } else if (m.type === 'math') {
      values[n.refId] = evalMath(m.expression, values);
    } else if (m.type === 'threshold') {
      const c = m.conditions![0]!.evaluator;
      const src = values[m.expression.replace(/^\$/, '')];
      if (src === undefined) throw new Error(`threshold on ${m.expression} before it is computed`);
      const cmp = c.type === 'gt' ? (x: number) => +(x > c.params[0]!) : c.type === 'lt' ? (x: number) => +(x < c.params[0]!) : undefined;
      if (!cmp) throw new Error(`threshold ${c.type} not emulated`);
      values[n.refId] = typeof src === 'number' ? cmp(src) : new Map([...src].map(([k, e]) => [k, { labels: e.labels, value: cmp(e.value) }]));
    } else throw new Error(`expression type ${m.type} not emulated`);
  }
  const cond = values[rule.condition];
  if (cond === undefined) throw new Error(`${rule.uid}: condition ${rule.condition} is not a node`);
  const list = typeof cond === 'number' ? [{ labels: {}, value: cond }] : [...cond.values()];
  if (noData && !list.length) return { state: 'NoData', firing: [], values };
  const firing = list.filter((e) => e.value !== 0 && !Number.isNaN(e.value));
  return { state: firing.length ? 'Alerting' : 'Normal', firing, values };
}
