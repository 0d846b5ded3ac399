import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollectorContext, toStatfsResult } from './context.js';
import { clipString, epochSecToRfc3339, parseDecimal, parseKeyValueNumbers, parseNonNegInt, pct, readLine, readText, readTextDetailed } from './read.js';

test('readText: byte cap, ENOENT and directories → null, never throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostlens-read-'));
  try {
    const f = join(dir, 'f');
    writeFileSync(f, 'abcdefghij');
    assert.equal(readText(f), 'abcdefghij');
    assert.deepEqual(readTextDetailed(f, 4), { text: 'abcd', error: null, truncated: true });
    assert.deepEqual(readTextDetailed(f, 10), { text: 'abcdefghij', error: null, truncated: false });
    assert.equal(readText(join(dir, 'missing')), null);
    assert.equal(readTextDetailed(join(dir, 'missing')).error, 'ENOENT');
    assert.equal(readText(dir), null); // EISDIR
    writeFileSync(f, '  value \n');
    assert.equal(readLine(f), 'value');
    writeFileSync(f, '\n');
    assert.equal(readLine(f), null);
    writeFileSync(f, 'x'.repeat(200_000));
    assert.equal(readText(f, 150_000)!.length, 150_000); // multi-chunk read
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(readText('/proc/self/stat')!.length > 0); // procfs reports size 0
});

test('number helpers', () => {
  assert.equal(parseNonNegInt('42'), 42);
  assert.equal(parseNonNegInt('-1'), null);
  assert.equal(parseNonNegInt('4x'), null);
  assert.equal(parseNonNegInt(undefined), null);
  assert.equal(parseDecimal('14.52'), 14.52);
  assert.equal(parseDecimal('.5'), 0.5);
  assert.equal(parseDecimal('x'), null);
  assert.equal(pct(1, 3), 33.3);
  assert.equal(pct(1, 0), null);
  assert.equal(epochSecToRfc3339(0), '1970-01-01T00:00:00Z');
  const kv = parseKeyValueNumbers('MemTotal:  10 kB\nActive(anon): 3 kB\nnr_x 7\nbad line here\n');
  assert.deepEqual([...kv.values], [['MemTotal', 10], ['Active(anon)', 3], ['nr_x', 7]]);
  assert.equal(kv.badLines, 1);
});

test('clipString marker', () => {
  assert.equal(clipString('hello', 10), 'hello');
  assert.equal(clipString('hello world', 5), 'hello…[+6 chars]');
  assert.equal(clipString('😀😀😀', 2), '😀😀…[+1 chars]'); // counts code points, never splits a surrogate pair
});

test('context: recorded statfs.json validated; missing → null', () => {
  assert.equal(toStatfsResult({ type: 1 }), null);
  assert.equal(toStatfsResult({ type: 1, bsize: 1, blocks: 1, bfree: 1, bavail: 1, files: 1, ffree: -1 }), null);
  const ctx = createCollectorContext({ root: '/nonexistent-root' });
  assert.equal(ctx.statfs('/'), null);
  assert.equal(ctx.pageSize, 4096);
  assert.equal(ctx.clockTicks, 100);
});
