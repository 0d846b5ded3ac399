/**
 * The output schema a tool lists: the SDK's JSON Schema (2020-12) of the envelope around the tool's
 * `data`, compacted for the wire. Every client holds the whole tools/list, and SDK clients compile every
 * output schema with Ajv (v2 on the first callTool after a tools/list, v1 on each listTools): as zod
 * emitted them, the 28 tools' schemas were 142 KB and took the SDK's Ajv 40× as long as 28 trivial ones
 * (240–540 ms on a loaded 2-core VM); compacted and without prose (server/envelope.ts), 68 KB and 0.7 of
 * that time (bench/context.ts). Those bytes and that time bought nothing when
 *  - every `.int()` carries zod's safe-integer bounds (±9007199254740991): the server validates the
 *    result with zod before it leaves, so no answer can be outside them; without them a nullable integer
 *    is the same `{type: ["integer", "null"]}` zod writes for every other nullable;
 *  - every object says `additionalProperties: false`: zod strips unknown keys when it validates the
 *    result, so an answer never has any, and a closed schema only makes a client that holds a cached
 *    tools/list reject the answers of a newer server that added a field;
 *  - a record says `propertyNames: {type: "string"}`: every JSON property name is one;
 *  - a nullable is `anyOf: [X, {type: "null"}]` where `type: [T, "null"]` says the same (foldNullable);
 *  - an `enum` or `const` also states the `type` its values have, and a record `additionalProperties: {}`;
 *  - one subschema is written out again wherever it occurs (the PSI of cpu, memory and io in get_pressure
 *    and get_cgroup, the status enum in each of triage_host's areas): `share` keeps one copy in `$defs`;
 *  - `$schema` names 2020-12, the dialect MCP assumes for a schema without one (since 2025-11-25): 58
 *    bytes in every tool. A client that still reads draft-07 sees the same constraints but for
 *    `prefixItems` (get_history's points), which it ignores, so it accepts more, never less; and a
 *    draft-07 Ajv compiles the schema without `validateSchema: false` (with the 2020-12 URI it throws
 *    "no schema with key or ref").
 * What a result may hold is unchanged (a compacted schema accepts every answer the server can give;
 * test/e2e/catalogue-http.test.ts validates each tool's answer against what it lists).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: Json };

const SAFE = Number.MAX_SAFE_INTEGER;
/** Keywords whose value maps names to subschemas, holds a list of them, or is one. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs'] as const;
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const;
const SCHEMA_ONE = ['items', 'additionalProperties', 'propertyNames', 'not', 'contains'] as const;

const isSchema = (v: Json | undefined): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A subschema's slot: its container and the key or index it sits at, and a name for it. */
interface Slot {
  holder: JsonSchema | Json[];
  key: string | number;
  name: string;
}

/** Calls `visit` for every direct subschema of `schema`. */
function eachChild(schema: JsonSchema, name: string, visit: (slot: Slot) => void): void {
  for (const k of SCHEMA_MAPS) {
    const map = schema[k];
    if (isSchema(map)) for (const key of Object.keys(map)) if (isSchema(map[key])) visit({ holder: map, key, name: key });
  }
  for (const k of SCHEMA_LISTS) {
    const list = schema[k];
    if (Array.isArray(list)) list.forEach((item, i) => isSchema(item) && visit({ holder: list, key: i, name }));
  }
  for (const k of SCHEMA_ONE) if (isSchema(schema[k])) visit({ holder: schema, key: k, name: k === 'items' ? `${name}Item` : name });
}

const at = (slot: Slot): JsonSchema => (slot.holder as Record<string | number, Json>)[slot.key] as JsonSchema;
const put = (slot: Slot, value: JsonSchema): void => void ((slot.holder as Record<string | number, Json>)[slot.key] = value);

/** Drops what says nothing about a valid answer (see the file comment), bottom-up, in place. */
export function prune(schema: JsonSchema): void {
  eachChild(schema, '', (slot) => prune(at(slot)));
  if (schema.minimum === -SAFE) delete schema.minimum;
  if (schema.maximum === SAFE) delete schema.maximum;
  if (schema.additionalProperties === false) delete schema.additionalProperties;
  const names = schema.propertyNames;
  if (isSchema(names) && Object.keys(names).length === 1 && names.type === 'string') delete schema.propertyNames;
  if (schema.additionalProperties === true || (isSchema(schema.additionalProperties) && Object.keys(schema.additionalProperties).length === 0)) delete schema.additionalProperties;
  foldNullable(schema);
  dropTypeOfValueList(schema);
}

/** The JSON Schema types a JSON value has (an integer is a number too). */
const typesOf = (v: Json): string[] =>
  v === null ? ['null'] : Array.isArray(v) ? ['array'] : typeof v === 'number' ? (Number.isInteger(v) ? ['integer', 'number'] : ['number']) : [typeof v];

/** `type` beside an `enum` or `const` whose values all have one of its types: the value list says it already. */
function dropTypeOfValueList(schema: JsonSchema): void {
  const values = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const ?? null] : undefined;
  if (!values || schema.type === undefined) return;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (values.every((v) => typesOf(v).some((t) => types.includes(t)))) delete schema.type;
}

/**
 * Keywords that constrain only values of their own type: a value of another type passes them, so
 * `{type: [T, "null"], …}` says what `anyOf: [{type: T, …}, {type: "null"}]` says.
 */
const OWN_TYPE_ONLY = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'propertyNames', 'minProperties', 'maxProperties',
  'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems', 'contains', 'minimum', 'maximum', 'exclusiveMinimum',
  'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'format',
]);

/**
 * A nullable as zod writes it, `anyOf: [X, {type: "null"}]` (18–28 bytes more, in every nullable object,
 * array, enum and bounded integer), written as X with "null" among its types: a list of bare types (what
 * a nullable integer is once its bounds are gone) becomes a type list; an X of one type whose other
 * keywords are all OWN_TYPE_ONLY, or an enum (which then lists null too), merges into its holder.
 */
function foldNullable(schema: JsonSchema): void {
  const options = schema.anyOf;
  if (!Array.isArray(options) || schema.type !== undefined || !options.every(isSchema)) return;
  const list = options as JsonSchema[];
  if (list.every((o) => Object.keys(o).length === 1 && o.type !== undefined)) {
    const types = [...new Set(list.flatMap((o) => (Array.isArray(o.type) ? o.type : [o.type])))] as Json[];
    delete schema.anyOf;
    schema.type = types.length === 1 ? (types[0] ?? null) : types;
    return;
  }
  const nullAt = list.findIndex((o) => Object.keys(o).length === 1 && o.type === 'null');
  const other = list[1 - nullAt];
  // Without a type, X must be a value list (its type already dropped as said by its values).
  if (list.length !== 2 || nullAt < 0 || !other || (typeof other.type !== 'string' && !(other.type === undefined && Array.isArray(other.enum)))) return;
  const keys = Object.keys(other);
  if (keys.some((k) => (!OWN_TYPE_ONLY.has(k) && k !== 'enum') || (k !== 'type' && k in schema))) return;
  delete schema.anyOf;
  Object.assign(schema, other, other.type === undefined ? {} : { type: [other.type, 'null'] });
  if (Array.isArray(other.enum)) schema.enum = [...other.enum, null];
}

/** The property most occurrences are (`status`), or the first three distinct ones (`cpu_memory_io`). */
function defName(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const [top, topCount] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['def', 0];
  return topCount * 2 > names.length ? top : [...counts.keys()].slice(0, 3).join('_');
}

/** Bytes of `{"$ref":"#/$defs/<name>"}`. */
const refBytes = (name: string): number => 19 + name.length;

/**
 * Moves the subschema whose repetition costs the most bytes into `$defs` and points every occurrence at
 * it, until no repetition is worth a reference. A definition is named after the properties it occurs as
 * (defName). Definitions may refer to one another (a repeated part of a repeated part).
 */
function share(root: JsonSchema): void {
  const defs: JsonSchema = isSchema(root.$defs) ? root.$defs : {};
  for (;;) {
    /** Per subschema text: how often it occurs, and the property it occurs as each time. */
    const seen = new Map<string, { count: number; names: string[] }>();
    // A definition's own body is not an occurrence (its insides are).
    const count = (schema: JsonSchema, name: string): void =>
      eachChild(schema, name, (slot) => {
        if (slot.holder !== defs) {
          const text = JSON.stringify(at(slot));
          const entry = seen.get(text);
          if (!entry) seen.set(text, { count: 1, names: [slot.name] });
          else {
            entry.count += 1;
            entry.names.push(slot.name);
          }
        }
        count(at(slot), slot.name);
      });
    count(root, 'root');
    let best: { text: string; name: string; saved: number } | undefined;
    for (const [text, { count: n, names }] of seen) {
      const name = defName(names);
      const size = Buffer.byteLength(text);
      const saved = n * size - (size + name.length + 4) - n * refBytes(name);
      if (n > 1 && saved > 0 && (!best || saved > best.saved)) best = { text, name, saved };
    }
    if (!best) break;
    let name = best.name;
    for (let i = 2; Object.hasOwn(defs, name); i++) name = `${best.name}${i}`;
    const found = best.text;
    const replace = (schema: JsonSchema): void =>
      eachChild(schema, '', (slot) => {
        if (slot.holder !== defs && JSON.stringify(at(slot)) === found) put(slot, { $ref: `#/$defs/${name}` });
        else replace(at(slot));
      });
    replace(root);
    defs[name] = JSON.parse(found) as JsonSchema;
    root.$defs = defs;
  }
}

const DEFAULT_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** `schema` without a `$schema` that names the default dialect (a shallow copy then; else `schema` itself). */
export function withoutDefaultDialect<S extends Readonly<Record<string, unknown>>>(schema: S): S {
  if (schema.$schema !== DEFAULT_DIALECT) return schema;
  const { $schema: _dialect, ...rest } = schema;
  return rest as S;
}

/** The compacted copy of an output schema the SDK converted (the argument is left as it is). */
export function compactOutputSchema(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy = structuredClone(withoutDefaultDialect(schema)) as JsonSchema;
  prune(copy);
  share(copy);
  return copy;
}
