/**
 * A hostile tree under an allowed scan root, as any user who can write to /tmp could plant it: a chain of
 * 1,900 nested directories, a directory of 20,000 files, a symlink back to the root (a loop) and a FIFO.
 * find_space_hogs answers without following the loop, blocking on the FIFO or overflowing the stack, lists
 * only entries under the root, and stays within the result budget. Its bounds are checked in work units
 * (entries examined, directories opened), never in milliseconds: the walk stops at its depth cap, so the
 * 1,900-level chain costs at most SPACE_MAX_WALK_DEPTH entries. The time budget itself is covered with an
 * injected clock in src/collectors/space.test.ts; here it may cut the walk only if the cut is reported.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SPACE_MAX_WALK_DEPTH } from '../../src/collectors/space.js';
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

  test('stays within its work bounds, never leaves the root or follows the loop, lists the chain and the wide directory', async (t) => {
    // Examined at most: the root's 4 children (d, wide, loop, fifo), the 20,000 files, and the chain's
    // directories below d (levels 2 … the depth cap). Following the loop would examine the whole tree again.
    const maxFiles = 4 + 20_000 + (SPACE_MAX_WALK_DEPTH - 1);
    // Opened at most: the root, wide, and the chain's directories above the depth cap (levels 1 … cap − 1).
    const maxDirs = 2 + (SPACE_MAX_WALK_DEPTH - 1);
    for (const depth of [1, 3]) {
      const started = performance.now();
      // The call's own timeout is a hang guard (a walk blocked on the FIFO would never answer).
      const outcome = classify('find_space_hogs', await p.call('find_space_hogs', { path: base, depth, timeoutMs: 3_000, limit: 100 }, 45_000), `depth ${depth}`);
      t.diagnostic(`depth ${depth}: answered in ${Math.round(performance.now() - started)} ms (time budget 3 s)`);
      assert.equal(outcome.kind, 'ok', JSON.stringify(outcome).slice(0, 300));
      if (outcome.kind !== 'ok') return;
      p.checkOk('find_space_hogs', outcome.result, `depth ${depth}`);
      const { data, warnings } = outcome.result.structuredContent as {
        data: { entries: Array<{ path: string; type: string; complete: boolean }>; scanned: { complete: boolean; files: number; dirs: number } };
        warnings?: string[];
      };
      for (const e of data.entries) {
        assert.ok(e.path.startsWith(`${base}/`), `entry outside the root: ${e.path}`);
        assert.ok(!e.path.startsWith(`${base}/loop/`), `the loop symlink was followed: ${e.path}`);
      }
      assert.ok(data.entries.some((e) => e.path === `${base}/wide`), 'the wide directory is listed');
      const chain = data.entries.find((e) => e.path === `${base}/d`);
      assert.equal(chain?.type, 'dir', 'the deep chain is listed');
      assert.equal(chain?.complete, false, 'the chain is deeper than the walk goes, and its entry says its size is a lower bound');
      assert.ok(data.entries.some((e) => e.path === `${base}/loop` && e.type === 'other'), 'the loop is listed as a symlink, not a directory');
      assert.ok(data.scanned.files <= maxFiles, `${data.scanned.files} entries examined, more than the ${maxFiles} the tree holds within the depth cap`);
      assert.ok(data.scanned.dirs <= maxDirs, `${data.scanned.dirs} directories opened, more than the ${maxDirs} within the depth cap`);
      if (data.scanned.complete) {
        assert.deepEqual([data.scanned.files, data.scanned.dirs], [maxFiles, maxDirs], 'a complete walk examined every entry within the depth cap');
      } else {
        // Cut by the time budget (a loaded machine): it must say so, and the wide directory was still reached.
        assert.match((warnings ?? []).join('\n'), /walk stopped at the time limit/);
      }
    }
  });
});
