/**
 * enumArgument: loose spellings and aliases become the canonical value,
 * anything else is refused naming the argument and the values, completion
 * matches a prefix the same loose way, and values that read alike are caught
 * when the argument is defined.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { enumArgument } from './enum-argument.js';

const mode = enumArgument('mode', ['read only', 'read-write', 'off'], { aliases: { ro: 'read only', rw: 'read-write' }, hint: 'off disables it' });

test('case, surrounding space and -/_/space variants and aliases yield the canonical value', () => {
  const cases: Array<[string, string]> = [
    ['read only', 'read only'],
    ['READ ONLY', 'read only'],
    ['  Read_Only ', 'read only'],
    ['read-only', 'read only'],
    ['readonly', 'read only'],
    ['Read Write', 'read-write'],
    ['READ_WRITE', 'read-write'],
    ['RO', 'read only'],
    [' rw ', 'read-write'],
    ['Off', 'off'],
  ];
  for (const [typed, want] of cases) assert.equal(mode.schema.parse(typed), want, JSON.stringify(typed));
});

test('anything else is refused naming the argument and listing the canonical values; a missing one says it is required', () => {
  for (const bad of ['', 'on', 'read', 'o f f x', 'r o w', 'readonly!', 'x'.repeat(10_000)]) {
    const r = mode.schema.safeParse(bad);
    assert.ok(!r.success, `${JSON.stringify(bad.slice(0, 20))} must be refused`);
    assert.equal(r.error.issues[0]?.message, 'mode must be one of read only, read-write, off (off disables it)');
  }
  for (const notText of [2, null, ['off']]) assert.ok(!mode.schema.safeParse(notText).success, JSON.stringify(notText));
  const args = z.object({ mode: mode.schema, other: mode.schema.optional() });
  const missing = args.safeParse({});
  assert.ok(!missing.success);
  assert.deepEqual(missing.error.issues.map((i) => [i.path.join('.'), i.message]), [['mode', 'mode is required: one of read only, read-write, off']]);
  assert.deepEqual(args.parse({ mode: 'RO', other: 'OFF' }), { mode: 'read only', other: 'off' });
});

test('completion offers canonical values (in their order) for a prefix typed in any case or spelling, aliases included', () => {
  assert.deepEqual(mode.complete(''), ['read only', 'read-write', 'off']);
  assert.deepEqual(mode.complete('RE'), ['read only', 'read-write']);
  assert.deepEqual(mode.complete('Read_W'), ['read-write']);
  assert.deepEqual(mode.complete('r'), ['read only', 'read-write'], 'ro and rw name values already offered');
  assert.deepEqual(mode.complete('rw'), ['read-write']);
  assert.deepEqual(mode.complete('x'), []);
});

test('values or aliases that read alike cannot be defined', () => {
  assert.throws(() => enumArgument('kind', ['high cpu', 'high-cpu']), /kind: "high-cpu" reads like high cpu/);
  assert.throws(() => enumArgument('kind', ['a', 'b'], { aliases: { A: 'b' } }), /kind: "A" reads like a, so it cannot also mean b/);
  assert.doesNotThrow(() => enumArgument('kind', ['a', 'b'], { aliases: { A: 'a' } }));
});
