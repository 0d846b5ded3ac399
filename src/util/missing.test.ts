/** The missing-value helpers every layer prints with: "n/a" or nothing, never "?" or a unit alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NA, fmtProc, ifKnown, show } from './missing.js';

test('show: the value with its unit, or n/a without one', () => {
  assert.equal(show(12.5, ' ms'), '12.5 ms');
  assert.equal(show(0, '%'), '0%', 'zero is a value');
  assert.equal(show(null, ' ms'), NA);
  assert.equal(show(undefined, (v: number) => `${v} B`), 'n/a');
  assert.equal(show(3, (v) => `${v * 2} B`), '6 B');
});

test('ifKnown: the clause, or nothing when its value is missing', () => {
  assert.equal(ifKnown(7, (n) => ` (${n} since boot)`), ' (7 since boot)');
  assert.equal(ifKnown(0, (n) => ` (${n} since boot)`), ' (0 since boot)');
  assert.equal(ifKnown(null, (n) => ` (${n} since boot)`), '');
  assert.equal(ifKnown(undefined, () => 'x'), '');
});

test('fmtProc: comm[pid], or whichever of the two is known', () => {
  assert.equal(fmtProc('nginx', 812), 'nginx[812]');
  assert.equal(fmtProc(null, 812), 'pid 812');
  assert.equal(fmtProc('', 812), 'pid 812', 'an empty name names nothing');
  assert.equal(fmtProc('java', null), 'java');
  assert.equal(fmtProc(undefined, undefined), 'n/a');
});
