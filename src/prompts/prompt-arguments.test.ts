/**
 * Prompt arguments are typed by people. For every enumerated argument of
 * every prompt in the catalogue: each canonical value in upper case, padded,
 * capitalised or with its separators swapped parses to itself; something
 * else is refused naming the argument and listing the values; completion
 * offers the value for its first letters typed in upper case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { productCatalogue } from '../catalogue/index.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';

/** The canonical values of an enumerated argument, or null for any other argument. */
function enumValues(field: z.ZodType): string[] | null {
  const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
  const schema = z.toJSONSchema(inner, { io: 'output', unrepresentable: 'any' });
  return Array.isArray(schema.enum) ? schema.enum.map(String) : null;
}

test('every enumerated prompt argument accepts any case and spelling, refuses the rest clearly, and completes', () => {
  const services = fixtureServices('idle');
  const seen: string[] = [];
  for (const prompt of productCatalogue.prompts) {
    for (const [name, field] of Object.entries(prompt.args.shape as Record<string, z.ZodType>)) {
      const values = enumValues(field);
      if (values === null) continue;
      const where = `${prompt.name}.${name}`;
      seen.push(where);
      for (const v of values) {
        const spellings = [v, v.toUpperCase(), `  ${v}\t`, v[0]!.toUpperCase() + v.slice(1), v.replace(/[\s_-]/g, '-'), v.replace(/[\s_-]/g, ' ').toUpperCase(), v.replace(/[\s_-]/g, '_')];
        for (const typed of spellings) assert.equal(field.parse(typed), v, `${where}: ${JSON.stringify(typed)}`);
        const complete = (prompt.complete as Record<string, ((value: string, s: typeof services) => string[]) | undefined> | undefined)?.[name];
        assert.ok(complete, `${where} completes`);
        assert.ok(complete(v.slice(0, 2).toUpperCase(), services).includes(v), `${where}: ${v} offered for ${v.slice(0, 2).toUpperCase()}`);
        assert.deepEqual(complete('', services), values, `${where}: every value offered for an empty prefix`);
      }
      const refused = field.safeParse('certainly not a value');
      assert.ok(!refused.success, `${where} refuses junk`);
      const message = refused.error.issues.map((i) => i.message).join('; ');
      assert.ok(message.includes(name), `${where}: "${message}" names the argument`);
      for (const v of values) assert.ok(message.includes(v), `${where}: "${message}" lists ${v}`);
    }
  }
  assert.ok(seen.includes('incident_report.severity'), `enumerated arguments found: ${seen.join(', ')}`);
});
