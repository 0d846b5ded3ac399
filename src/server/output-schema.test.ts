import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv, AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { productCatalogue } from '../catalogue/index.js';
import { envelopeSchema } from './envelope.js';
import { compactOutputSchema, prune, withoutDefaultDialect } from './output-schema.js';
import type { JsonSchema } from './output-schema.js';

/** The JSON Schema the SDK lists for a zod output schema (standardSchemaToJsonSchema, io 'output'). */
const sdkJson = (schema: z.ZodType): JsonSchema =>
  (schema as unknown as { '~standard': { jsonSchema: { output(o: { target: string }): JsonSchema } } })['~standard'].jsonSchema.output({ target: 'draft-2020-12' });

/** `schema` with every local `$ref` replaced by a copy of its definition, and `$defs` gone. */
function inlineRefs(schema: JsonSchema, defs = schema.$defs as Record<string, JsonSchema> | undefined): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') return walk(defs?.[ref.replace('#/$defs/', '')]);
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '$defs').map(([k, x]) => [k, walk(x)]));
  };
  return walk(schema);
}

const text = (v: unknown): string => JSON.stringify(v);

describe('compactOutputSchema', () => {
  for (const def of productCatalogue.tools) {
    test(`${def.name}: nothing but zod's safe-integer bounds, closed objects and string property names is dropped, and $defs only share`, () => {
      const original = sdkJson(envelopeSchema(def.data));
      const before = text(original);
      const compact = compactOutputSchema(original) as JsonSchema;
      assert.equal(text(original), before, 'the argument is left as it is');
      assert.doesNotMatch(text(compact), /9007199254740991|"additionalProperties":false|"propertyNames":\{"type":"string"\}/);
      const { $schema: dialect, ...pruned } = structuredClone(original);
      assert.equal(dialect, 'https://json-schema.org/draft/2020-12/schema');
      prune(pruned);
      assert.deepEqual(inlineRefs(compact), pruned, 'inlining the $refs gives back the pruned schema');
      assert.ok(text(compact).length < before.length);
      assert.equal(compact.type, 'object');
      assert.deepEqual(compact.required, original.required);
    });
  }

  test('every compacted schema compiles for SDK v2 clients (Ajv 2020-12) and for a draft-07 Ajv that validates schemas, $refs resolved', () => {
    for (const def of productCatalogue.tools) {
      const compact = compactOutputSchema(sdkJson(envelopeSchema(def.data)));
      assert.equal(compact.$schema, undefined, 'the default dialect goes unsaid');
      assert.doesNotThrow(() => new AjvJsonSchemaValidator().getValidator(compact as JsonSchemaType), def.name);
      assert.doesNotThrow(() => new Ajv({ strict: false }).compile(compact), def.name);
    }
  });

  test('withoutDefaultDialect: only the 2020-12 URI goes, and only from the root', () => {
    const other = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' };
    assert.equal(withoutDefaultDialect(other), other);
    assert.deepEqual(withoutDefaultDialect({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: {} }), { type: 'object', properties: {} });
  });

  test('what a compacted schema accepts: every answer the original accepts, plus extra keys; wrong types and missing keys still fail', () => {
    const line = z.object({ avg10Pct: z.number(), totalUsec: z.number().int() });
    const resource = z.object({ some: line, full: line.nullable() }).nullable();
    const data = z.object({
      count: z.number().int().nullable(),
      cpu: resource,
      memory: resource,
      byState: z.record(z.string(), z.number().int()),
      mode: z.enum(['quota', 'cpus']).nullable(),
      ports: z.array(z.number().int().min(1).max(65535)).max(2).nullable(),
    });
    const original = sdkJson(envelopeSchema(data));
    const compact = compactOutputSchema(original);
    assert.ok(compact.$defs, 'the repeated resource and line are shared');
    const psi = { some: { avg10Pct: 1.5, totalUsec: 12 }, full: null };
    const answer = { host: 'local', collectedAt: '2026-01-01T00:00:00Z', data: { count: null, cpu: psi, memory: null, byState: { LISTEN: 3 }, mode: null, ports: [22] }, assessments: [] };
    const validate = (schema: unknown, value: unknown): boolean => new AjvJsonSchemaValidator().getValidator(schema as JsonSchemaType)(value).valid;
    for (const good of [answer, { ...answer, data: { ...answer.data, mode: 'cpus', ports: null, count: 3 } }]) {
      assert.equal(validate(original, good), true, text(good));
      assert.equal(validate(compact, good), true, text(good));
    }
    assert.doesNotMatch(text(compact), /"type":"null"/, 'every nullable is a type list, or null is among the enum values');
    assert.match(text(compact), /"mode":\{"enum":\["quota","cpus",null\]\}/);
    const extra = { ...answer, data: { ...answer.data, later: 1 } };
    assert.equal(validate(original, extra), false);
    assert.equal(validate(compact, extra), true, 'a field a newer server adds does not fail a client holding this list');
    for (const bad of [
      { ...answer, data: { ...answer.data, count: 1.5 } },
      { ...answer, data: { ...answer.data, memory: { some: { avg10Pct: 'high', totalUsec: 1 }, full: null } } },
      { ...answer, data: { ...answer.data, cpu: { some: psi.some } } },
      { ...answer, data: { ...answer.data, byState: { LISTEN: 'many' } } },
      { ...answer, data: { ...answer.data, mode: 'quotas' } },
      { ...answer, data: { ...answer.data, mode: 1 } },
      { ...answer, data: { ...answer.data, ports: [0] } },
      { ...answer, data: { ...answer.data, ports: [1, 2, 3] } },
      { ...answer, data: { ...answer.data, ports: 22 } },
      (({ assessments: _a, ...rest }) => rest)(answer),
    ]) {
      assert.equal(validate(original, bad), false, text(bad));
      assert.equal(validate(compact, bad), false, text(bad));
    }
  });
});
