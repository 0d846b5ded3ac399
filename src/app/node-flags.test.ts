import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyNodeFlags, NODE_FLAGS } from './node-flags.js';

const run = (commandLine: string[]): { set: string[]; how: Record<string, string> } => {
  const set: string[] = [];
  const how = applyNodeFlags(commandLine, (f) => set.push(f));
  return { set, how };
};

test('nothing on the command line: both flags are set at start, the semi-space cap as its growth factor', () => {
  const r = run([]);
  assert.deepEqual(r.set, ['--semi-space-growth-factor=1', '--heap-growing-percent=20']);
  assert.deepEqual(r.how, { '--max-semi-space-size=1': 'set at start as --semi-space-growth-factor=1', '--heap-growing-percent=20': 'set at start' });
});

test('the flags already on the command line (either spelling): nothing is set again', () => {
  assert.deepEqual(run([...NODE_FLAGS]).set, []);
  const r = run(['--max_semi_space_size=1', '--heap_growing_percent=20', '--import', 'tsx']);
  assert.deepEqual(r.set, []);
  assert.deepEqual(Object.values(r.how), ['command line', 'command line']);
});

test('an operator\'s own choice for the same option is left alone, and only that one', () => {
  const r = run(['--max-semi-space-size=16']);
  assert.deepEqual(r.set, ['--heap-growing-percent=20']);
  assert.equal(r.how['--max-semi-space-size=1'], 'left to the command line: --max-semi-space-size=16');
  assert.deepEqual(run(['--semi-space-growth-factor=4']).set, ['--heap-growing-percent=20']);
  assert.deepEqual(run(['--heap-growing-percent=50']).set, ['--semi-space-growth-factor=1']);
});

test('other options and values that merely look alike do not count', () => {
  assert.deepEqual(run(['--expose-gc', '--max-old-space-size=512', 'serve', '--heap-growing-percentage=3']).set, ['--semi-space-growth-factor=1', '--heap-growing-percent=20']);
});
