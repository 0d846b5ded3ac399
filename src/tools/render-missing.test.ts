/**
 * The text rendering of every tool over results whose nullable fields are
 * null, made from each tool's own data schema: a missing value reads "n/a"
 * (never "?", "null" or "undefined"), carries no unit ("n/a ms", "n/a%"), and
 * a clause that means nothing without its value is left out — checked on
 * synthetic results for every tool and on triage_host over a recorded host.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { productCatalogue } from '../catalogue/index.js';
import type { ToolDefinition } from '../definitions/types.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';
import { triageHost } from './triage-host.js';

interface Variant {
  /** Nullable objects, arrays and records are null too (else present, with null leaves). */
  nullContainers: boolean;
  /** What every boolean is: true and false reach different branches of a rendering. */
  booleans: boolean;
  /** Optional fields are present (else left out). */
  optionals: boolean;
}

type Def = { type: string } & Record<string, unknown>;

const isContainer = (schema: z.ZodType): boolean => ['object', 'array', 'record', 'tuple'].includes((schema._zod.def as Def).type);

/** A value of `schema` with every nullable leaf null and every list one item long. */
function sample(schema: z.ZodType, v: Variant): unknown {
  const def = schema._zod.def as Def;
  const inner = (key: string): z.ZodType => def[key] as z.ZodType;
  switch (def.type) {
    case 'nullable':
      return v.nullContainers || !isContainer(inner('innerType')) ? null : sample(inner('innerType'), v);
    case 'optional':
      return v.optionals ? sample(inner('innerType'), v) : undefined;
    case 'default':
    case 'prefault':
    case 'readonly':
      return sample(inner('innerType'), v);
    case 'object':
      return Object.fromEntries(Object.entries((schema as z.ZodObject).shape).map(([k, s]) => [k, sample(s as z.ZodType, v)]));
    case 'array':
      return [sample(inner('element'), v)];
    case 'tuple':
      return (def.items as z.ZodType[]).map((s) => sample(s, v));
    case 'record': {
      const key = sample(inner('keyType'), v);
      return { [typeof key === 'string' ? key : 'key']: sample(inner('valueType'), v) };
    }
    case 'union':
      return sample((def.options as z.ZodType[])[0]!, v);
    case 'pipe':
      return sample(inner('out'), v);
    case 'lazy':
      return sample((def.getter as () => z.ZodType)(), v);
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'literal':
      return (def.values as unknown[])[0];
    case 'string':
      return 'text';
    case 'number':
    case 'int':
      return 1;
    case 'boolean':
      return v.booleans;
    case 'null':
      return null;
    case 'unknown':
    case 'any':
      return 'text';
    default:
      throw new Error(`no sample for a ${def.type} schema`);
  }
}

/** A "?" that stands for a value: not one ending a question. */
const PLACEHOLDER = /(^|[^A-Za-z])\?/m;
const LEAKED = /\b(null|undefined|NaN)\b|\[object Object\]/;
/** "n/a" followed by a unit or a per-second suffix: the unit belongs to a value that is not there. */
const NA_WITH_UNIT = /n\/a(%|\/s\b| ?(ms|s|B|KiB|MiB|GiB|cores|pages\/s|pkt\/s)\b)/;

function assertReadable(text: string, where: string): void {
  assert.doesNotMatch(text, PLACEHOLDER, `${where} prints "?" for a missing value:\n${text}`);
  assert.doesNotMatch(text, LEAKED, `${where} prints a missing value raw:\n${text}`);
  assert.doesNotMatch(text, NA_WITH_UNIT, `${where} gives "n/a" a unit:\n${text}`);
}

describe('text renderings over missing values', () => {
  const variants: Variant[] = [false, true].flatMap((nullContainers) =>
    [true, false].flatMap((booleans) => [true, false].map((optionals) => ({ nullContainers, booleans, optionals }))),
  );
  for (const tool of productCatalogue.tools as readonly ToolDefinition[]) {
    test(`${tool.name}: nullable fields null → "n/a" or left out, never "?"`, () => {
      for (const v of variants) {
        const data = sample(tool.data, v);
        // No windowSec: a result without a measurement window says none, not "? s".
        const text = tool.render({ data } as never);
        assertReadable(text, `${tool.name} ${JSON.stringify(v)}`);
      }
    });
  }

  test('triage_host: null figures read n/a, and the await clause is left out when no await was measured', () => {
    const data = sample(triageHost.data, { nullContainers: false, booleans: true, optionals: true }) as Record<string, unknown>;
    const text = triageHost.render({ data } as never);
    assert.match(text, /^load \w+: load1 n\/a/m);
    assert.match(text, /^disk \w+: busiest n\/a/m);
    assert.match(text, /^filesystem \w+: fullest n\/a/m);
    assert.match(text, /^memory \w+: n\/a available, swap n\/a used/m);
    assert.doesNotMatch(text, /worst await/);
    assert.match(text, /^overall: OK$/m, 'no window clause without a window');
  });

  test('triage_host over a recorded host: figures with their units where measured, no placeholder anywhere', async () => {
    const services = fixtureServices('busy', 'busy-later');
    const out = await triageHost.handler({}, { services, served: new Map(), signal: new AbortController().signal, progress: async () => undefined });
    const text = triageHost.render(out);
    assertReadable(text, 'triage_host over busy');
    assert.match(text, /^overall: \w+ \(window 10 s\)$/m);
    assert.match(text, /worst await \d+(\.\d+)? ms/);
    // The same result with the disk figures missing: the clause goes, the rest stays.
    const disk = { ...out.data.areas.disk, busiestDevice: null, busiestUtilPct: null, worstAwaitMs: null };
    const missing = triageHost.render({ ...out, data: { ...out.data, areas: { ...out.data.areas, disk } } });
    assertReadable(missing, 'triage_host over busy without disk figures');
    assert.match(missing, /^disk \w+: busiest n\/a$/m);
  });
});
