/**
 * Arguments for a tool derived from its published JSON Schema (the inputSchema
 * tools/list shows): `validArgs` generates values the schema accepts (with
 * realistic hints for well-known field names), `boundaryCases` enumerates the
 * edges every field must refuse (min-1, max+1, wrong types, huge and
 * lone-surrogate strings, NaN-like numbers, extra keys, prototype-pollution
 * keys), and `hostileArgs` mixes both with arbitrary JSON for fast-check.
 *
 * Values are plain JSON: what a client can really send over the wire. Keys such
 * as `__proto__` are own properties (defineProperty), as JSON.parse makes them.
 */
import fc from 'fast-check';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An object literal whose keys may include __proto__ / constructor as OWN properties. */
export function ownObject(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, Json> {
  const o: Record<string, Json> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A payload that would pollute Object.prototype if a server merged it naively. */
export function pollutionPayload(key: (typeof POLLUTION_KEYS)[number]): Json {
  const inner = ownObject([['polluted', 'yes'], ['isAdmin', true]]);
  return key === 'constructor' ? ownObject([['prototype', inner]]) : inner;
}

/** Realistic values for field names the tools share, so valid calls reach real code paths. */
const HINTS: Record<string, readonly Json[]> = {
  host: ['local'],
  since: ['-1h', '-15m', '-1d', 'now'],
  until: ['now', '-1m'],
  path: ['/etc/hostname', '/etc/hosts', '/var/log/dpkg.log', '/tmp', '/etc/../etc/hostname'],
  mount: ['/', '/var'],
  prefix: ['vm.', 'kernel.pid_max', 'net.core.'],
  unit: ['ssh.service', 'cron', 'init.scope'],
  container: ['web'],
  grep: ['error', 'a'],
  pattern: ['ssh*', '*'],
  a: ['latest', 'previous'],
  b: ['latest'],
  label: ['before restart'],
  metrics: [['cpu.busyPct'], ['mem.usedPct', 'load.1']],
  devices: [['sda'], ['/dev/nvme0n1']],
};

/** Time-taking arguments are kept short in VALID calls (their upper bounds are still probed on the invalid side). */
const COST_CAPS: Record<string, number> = { windowSec: 0.3, timeoutMs: 300, maxScan: 500, logLines: 20, tail: 50 };

function typeOf(s: JsonSchema): string | undefined {
  return Array.isArray(s.type) ? s.type[0] : s.type;
}

function jsonArb(): fc.Arbitrary<Json> {
  return fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
}

function stringArb(s: JsonSchema, name: string | undefined): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 64, Math.max(min, 64));
  if (s.pattern !== undefined) {
    const re = new RegExp(s.pattern, 'u');
    const hints = (HINTS[name ?? ''] ?? []).filter((h): h is string => typeof h === 'string' && re.test(h) && h.length >= min && h.length <= (s.maxLength ?? Infinity));
    let matching: fc.Arbitrary<string>;
    try {
      matching = fc.stringMatching(re).filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity));
    } catch {
      matching = fc.string({ minLength: min, maxLength: max }).filter((v) => re.test(v));
    }
    return hints.length ? fc.oneof(fc.constantFrom(...hints), matching) : matching;
  }
  const hints = (HINTS[name ?? ''] ?? []).filter((h): h is string => typeof h === 'string' && h.length >= min && h.length <= (s.maxLength ?? Infinity));
  const random = fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
  return hints.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hints) }, { weight: 1, arbitrary: random }) : random;
}

function numberArb(s: JsonSchema, name: string | undefined, integer: boolean): fc.Arbitrary<number> {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-6) : -1e6);
  let hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-6) : 1e6);
  const cap = name !== undefined ? COST_CAPS[name] : undefined;
  if (cap !== undefined) hi = Math.max(lo, Math.min(hi, cap));
  if (integer) return fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) });
  return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

/** Values the schema accepts. */
export function validArb(s: JsonSchema, name?: string): fc.Arbitrary<Json> {
  if (s.const !== undefined) return fc.constant(s.const as Json);
  if (s.enum) return fc.constantFrom(...(s.enum as Json[]));
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validArb(a, name)));
  const hints = HINTS[name ?? ''];
  switch (typeOf(s)) {
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const model: Record<string, fc.Arbitrary<Json>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = validArb(v, k);
      return fc.record(model, { requiredKeys: [...required].filter((k) => k in props) }) as fc.Arbitrary<Json>;
    }
    case 'array': {
      const items = s.items ? validArb(s.items) : jsonArb();
      const arr = fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) }) as fc.Arbitrary<Json>;
      const fitting = (hints ?? []).filter((h) => Array.isArray(h) && h.length >= (s.minItems ?? 0) && h.length <= (s.maxItems ?? Infinity));
      return fitting.length ? fc.oneof(fc.constantFrom(...fitting), arr) : arr;
    }
    case 'string':
      return stringArb(s, name);
    case 'integer':
      return numberArb(s, name, true);
    case 'number':
      return numberArb(s, name, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return jsonArb();
  }
}

const LONE_SURROGATES = ['\uD800', 'a\uDFFFb', '\uDBFF\uDBFF', `${'x'.repeat(10)}\uD83D`];
const HUGE = 'A'.repeat(100_000);

/** Values a field of this schema must refuse (each paired with a short label for failure messages). */
export function badValues(s: JsonSchema): Array<[string, Json]> {
  const out: Array<[string, Json]> = [];
  const t = s.enum ? 'enum' : typeOf(s);
  const wrongTypes: Array<[string, Json]> = [
    ['null', null],
    ['object', ownObject([['__proto__', pollutionPayload('__proto__')]])],
    ['array', ['x']],
  ];
  switch (t) {
    case 'enum':
      out.push(['not in enum', 'definitely-not-a-member'], ['upper-cased member', String(s.enum?.[0]).toUpperCase() + '\u0130'], ['number', 1]);
      break;
    case 'string':
      if ((s.minLength ?? 0) > 0) out.push(['empty string', '']);
      if (s.maxLength !== undefined) out.push([`maxLength+1 (${s.maxLength + 1})`, 'y'.repeat(s.maxLength + 1)]);
      out.push(['100 KB string', HUGE], ['number', 42], ['boolean', true]);
      if (s.pattern !== undefined) {
        const re = new RegExp(s.pattern, 'u');
        for (const v of ['../../etc/shadow', 'a\u0000b', '$(reboot)', 'a b', '\u202e', ...LONE_SURROGATES]) if (!re.test(v)) out.push([`off-pattern ${JSON.stringify(v)}`, v]);
      }
      break;
    case 'integer':
    case 'number': {
      if (s.minimum !== undefined) out.push([`minimum-1 (${s.minimum - 1})`, s.minimum - 1], ['minimum-ε', s.minimum - 1e-9]);
      if (s.maximum !== undefined) out.push([`maximum+1 (${s.maximum + 1})`, s.maximum + 1], ['maximum+ε', s.maximum + 1e-9]);
      if (t === 'integer') out.push(['fraction', (s.minimum ?? 0) + 0.5], ['2^53+2', 2 ** 53 + 2]);
      out.push(['1e308', 1e308], ['-1e308', -1e308], ['numeric string', String(s.minimum ?? 1)], ['"NaN"', 'NaN'], ['"Infinity"', 'Infinity'], ['boolean', false]);
      break;
    }
    case 'boolean':
      out.push(['"true"', 'true'], ['1', 1], ['0', 0]);
      break;
    case 'array':
      if (s.maxItems !== undefined) out.push([`maxItems+1 (${s.maxItems + 1})`, Array.from({ length: s.maxItems + 1 }, () => (s.items ? firstValid(s.items) : 1))]);
      if ((s.minItems ?? 0) > 0) out.push(['empty array', []]);
      out.push(['10,000 items', Array.from({ length: 10_000 }, () => 'x')], ['string', 'x']);
      if (s.items) for (const [label, v] of badValues(s.items).slice(0, 3)) out.push([`item ${label}`, [v]]);
      break;
    case 'object':
      out.push(['string', 'x'], ['array', []]);
      break;
    default:
      break;
  }
  for (const w of wrongTypes) if (w[0] !== t && !(w[0] === 'array' && t === 'array') && !(w[0] === 'object' && t === 'object')) out.push([`wrong type ${w[0]}`, w[1]]);
  return out;
}

/** One value the schema accepts, deterministic (first hint, minimum, first enum member…). */
export function firstValid(s: JsonSchema, name?: string): Json {
  if (s.const !== undefined) return s.const as Json;
  if (s.enum) return s.enum[0] as Json;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives?.[0]) return firstValid(alternatives[0], name);
  const hint = HINTS[name ?? '']?.[0];
  switch (typeOf(s)) {
    case 'object': {
      const entries: Array<[string, unknown]> = [];
      for (const k of s.required ?? []) if (s.properties?.[k]) entries.push([k, firstValid(s.properties[k], k)]);
      return ownObject(entries);
    }
    case 'array':
      return Array.isArray(hint) ? hint : Array.from({ length: s.minItems ?? 0 }, () => (s.items ? firstValid(s.items) : 1));
    case 'string':
      if (typeof hint === 'string') return hint;
      return 'a'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

export interface BoundaryCase {
  label: string;
  args: Json;
}

/**
 * Deterministic edge cases for one tool: each property gets each of its bad values (the other
 * required ones valid), plus extra keys, prototype-pollution keys, missing required keys and
 * non-object arguments.
 */
export function boundaryCases(schema: JsonSchema): BoundaryCase[] {
  const base = firstValid(schema) as Record<string, Json>;
  const baseEntries = Object.entries(base);
  const cases: BoundaryCase[] = [];
  const props = schema.properties ?? {};
  for (const [name, prop] of Object.entries(props)) {
    const others = baseEntries.filter(([k]) => k !== name);
    for (const [label, value] of badValues(prop)) cases.push({ label: `${name}: ${label}`, args: ownObject([...others, [name, value]]) });
    // nested objects (get_cgroup target, detect_anomalies window): their own fields too
    const alternatives = prop.anyOf ?? (typeOf(prop) === 'object' ? [prop] : []);
    for (const alt of alternatives) {
      for (const [inner, innerSchema] of Object.entries(alt.properties ?? {})) {
        const innerBase = Object.entries(firstValid(alt) as Record<string, Json>).filter(([k]) => k !== inner);
        for (const [label, value] of badValues(innerSchema).slice(0, 6)) {
          cases.push({ label: `${name}.${inner}: ${label}`, args: ownObject([...others, [name, ownObject([...innerBase, [inner, value]])]]) });
        }
      }
    }
  }
  for (const key of POLLUTION_KEYS) cases.push({ label: `extra key ${key}`, args: ownObject([...baseEntries, [key, pollutionPayload(key)]]) });
  cases.push({ label: 'extra key', args: ownObject([...baseEntries, ['unexpectedKey', 1]]) });
  cases.push({ label: 'unicode key', args: ownObject([...baseEntries, ['k\uD800\u0000\u202e', 'v']]) });
  for (const req of schema.required ?? []) cases.push({ label: `missing required ${req}`, args: ownObject(baseEntries.filter(([k]) => k !== req)) });
  return cases;
}

/** Arbitrary arguments for fast-check: valid ones, valid ones with one field broken, and arbitrary JSON. */
export function hostileArgs(schema: JsonSchema): fc.Arbitrary<Json> {
  const valid = validArb(schema);
  const props = Object.entries(schema.properties ?? {});
  const broken = props.length
    ? fc
        .tuple(valid, fc.constantFrom(...props), fc.nat())
        .map(([v, [name, prop], i]) => {
          const bad = badValues(prop);
          const entries = Object.entries(v as Record<string, Json>).filter(([k]) => k !== name);
          return ownObject([...entries, [name, bad.length ? bad[i % bad.length]![1] : null]]);
        })
    : valid;
  const polluted = fc
    .tuple(valid, fc.constantFrom(...POLLUTION_KEYS))
    .map(([v, key]) => ownObject([...Object.entries(v as Record<string, Json>), [key, pollutionPayload(key)]]));
  const arbitraryObject = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...props.map(([k]) => k), ...POLLUTION_KEYS)), jsonArb(), { maxKeys: 5 });
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: broken },
    { weight: 1, arbitrary: polluted },
    { weight: 1, arbitrary: arbitraryObject as fc.Arbitrary<Json> },
  );
}
