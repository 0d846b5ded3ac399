/**
 * A hostile tree under an allowed scan root, as any user who can write to /tmp could plant it: a chain of
 * 1,900 nested directories, a directory of 20,000 files, a symlink back to the root (a loop) and a FIFO.
 * find_space_hogs answers within its time budget without following the loop, blocking on the FIFO or
 * overflowing the stack, lists only entries under the root, and stays within the result budget.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classify, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

describe('find_space_hogs over a hostile tree', { timeout: 60_000 }, () => {
  let base: string;
  let p: InProcess;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'hostlens-hostile-tree-'));
    const deep = join(base, ...Array.from({ length: 1_900 }, () => 'd'));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'bottom'), 'x'.repeat(10_000));
    mkdirSync(join(base, 'wide'));
    for (let i = 0; i < 20_000; i++) writeFileSync(join(base, 'wide', `f${i}`), i % 1000 === 0 ? 'y'.repeat(4096) : '');
    symlinkSync(base, join(base, 'loop'));
    spawnSync('mkfifo', [join(base, 'fifo')]);
    p = await startInProcess({ scanRoots: [base] });
  });
  after(async () => {
    await p?.close();
    // fs.rmSync recurses per level and overflows on 1,900 levels: rm -r does not
    spawnSync('rm', ['-rf', base]);
  });

  test('answers within its budget, never leaves the root or follows the loop, lists the chain and the wide directory', async () => {
    for (const depth of [1, 3]) {
      const started = performance.now();
      const outcome = classify('find_space_hogs', await p.call('find_space_hogs', { path: base, depth, timeoutMs: 3_000, limit: 100 }, 20_000), `depth ${depth}`);
      const ms = performance.now() - started;
      assert.equal(outcome.kind, 'ok', JSON.stringify(outcome).slice(0, 300));
      if (outcome.kind !== 'ok') return;
      p.checkOk('find_space_hogs', outcome.result, `depth ${depth}`);
      assert.ok(ms < 8_000, `took ${Math.round(ms)} ms with a 3 s budget`);
      const data = (outcome.result.structuredContent as { data: { entries: Array<{ path: string; type: string; complete: boolean }>; scanned: { complete: boolean; files: number } } }).data;
      for (const e of data.entries) {
        assert.ok(e.path.startsWith(`${base}/`), `entry outside the root: ${e.path}`);
        assert.ok(!e.path.startsWith(`${base}/loop/`), `the loop symlink was followed: ${e.path}`);
      }
      assert.ok(data.entries.some((e) => e.path === `${base}/wide`), 'the wide directory is listed');
      assert.ok(data.entries.some((e) => e.path === `${base}/d` && e.type === 'dir'), 'the deep chain is listed');
      assert.ok(data.scanned.files >= 20_000, `${data.scanned.files} files scanned`);
    }
  });
});
