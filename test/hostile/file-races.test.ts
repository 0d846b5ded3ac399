/**
 * Check-then-open races against read_log_file and get_config on the real file system. A worker thread (its own OS
 * thread, so the swaps really interleave with the server's synchronous open and checks) flips, as fast as it can:
 * a file in an allowed directory between a regular file and a symlink to a planted 0600 canary (and to
 * /etc/shadow); an intermediate directory between a real directory and a symlink to a directory holding the
 * canary under the same name. Thousands of calls must return the canary (or a shadow line) zero times, and no
 * refusal may name a symlink's target.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { classify, startInProcess } from './harness.js';
import type { InProcess } from './harness.js';

const CANARY = 'CANARY-51d0e7-races';
const CALLS = 1200;
const PARALLEL = 4;

/** The swapper: atomic renames of a prepared symlink / regular file over `victim`, or a directory flip. */
const SWAPPER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { mode, victim, targets, dir, aside, link } = workerData;
let stop = false;
let swaps = 0;
const hold = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', () => { stop = true; });
const tick = () => {
  for (let i = 0; i < 200 && !stop; i++) {
    try {
      if (mode === 'file') {
        const t = targets[swaps % targets.length];
        fs.symlinkSync(t, victim + '.l');
        fs.renameSync(victim + '.l', victim);
        fs.writeFileSync(victim + '.r', 'Nov 24 10:00:00 host app: regular line\\n');
        fs.renameSync(victim + '.r', victim);
      } else if (mode === 'dirhold') {
        // Each state held about a millisecond, so a walk that lstat'ed the directory and opens it later lands on the
        // symlink about half the time.
        fs.renameSync(dir, aside);
        fs.symlinkSync(link, dir);
        Atomics.wait(hold, 0, 0, 1);
        fs.unlinkSync(dir);
        fs.renameSync(aside, dir);
        Atomics.wait(hold, 0, 0, 1);
      } else {
        fs.renameSync(dir, aside);
        fs.symlinkSync(link, dir);
        fs.unlinkSync(dir);
        fs.renameSync(aside, dir);
      }
      swaps++;
    } catch { /* a rename raced with the reader's view: go on */ }
  }
  if (stop) parentPort.postMessage(swaps); else setImmediate(tick);
};
tick();
`;

function startSwapper(data: Record<string, unknown>): { stop(): Promise<number> } {
  const w = new Worker(SWAPPER, { eval: true, workerData: data });
  return {
    stop: () =>
      new Promise<number>((resolve) => {
        w.once('message', (n: number) => {
          void w.terminate();
          resolve(n);
        });
        w.postMessage('stop');
      }),
  };
}

describe('check-then-open races', { timeout: 300_000 }, () => {
  let base: string;
  let logs: string;
  let p: InProcess;
  let shadowPrefix: string | null = null;
  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'hostlens-races-'));
    logs = join(base, 'logs');
    mkdirSync(join(logs, 'sub'), { recursive: true });
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'canary.log'), `Nov 24 10:00:00 ${CANARY}\n`, { mode: 0o600 });
    writeFileSync(join(base, 'outside', 'x.log'), `Nov 24 10:00:00 ${CANARY} by dir\n`, { mode: 0o600 });
    writeFileSync(join(logs, 'sub', 'x.log'), 'Nov 24 10:00:00 host app: inside\n');
    try {
      // Only a prefix of the first line (the user name and the start of its hash field) is looked for in answers.
      shadowPrefix = readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => /^[^:]+:[^:*!]{8,}/.test(l))?.slice(0, 24) ?? null;
    } catch {
      shadowPrefix = null;
    }
    mkdirSync(join(base, 'scan', 'tree', 'sub'), { recursive: true });
    writeFileSync(join(base, 'scan', 'tree', 'sub', 'ordinary.txt'), 'x'.repeat(4096));
    // Siblings walked between the directory's lstat and its open (the walk yields every 256 entries): a wide window.
    for (let i = 0; i < 600; i++) writeFileSync(join(base, 'scan', 'tree', `f${i}`), '');
    mkdirSync(join(base, 'secretdir'));
    writeFileSync(join(base, 'secretdir', `${CANARY}-name`), 'y', { mode: 0o600 });
    p = await startInProcess({ startSampler: false, logFiles: [`${logs}/*.log`, `${logs}/*/*.log`], configFiles: [`${logs}/**`], scanRoots: [join(base, 'scan')] });
  });
  after(async () => {
    await p?.close();
    rmSync(base, { recursive: true, force: true });
  });

  async function hammer(paths: readonly string[]): Promise<{ ok: number; refused: number; leaks: string[] }> {
    let ok = 0;
    let refused = 0;
    const leaks: string[] = [];
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < CALLS) {
        const i = next++;
        const tool = i % 2 === 0 ? 'read_log_file' : 'get_config';
        const path = paths[i % paths.length]!;
        const o = classify(tool, await p.call(tool, { path }, 20_000), `${tool} ${path}`);
        const text = o.kind === 'ok' ? JSON.stringify(o.result) : o.kind === 'tool-error' ? o.text : JSON.stringify(o);
        if (o.kind === 'ok') ok++;
        else refused++;
        if (text.includes(CANARY) || (shadowPrefix !== null && text.includes(shadowPrefix))) leaks.push(`${tool}: ${text.slice(0, 200)}`);
        if (o.kind !== 'ok') {
          assert.doesNotMatch(text, /outside|\/etc\/shadow|canary/, `a refusal names a symlink target: ${text}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, one));
    return { ok, refused, leaks };
  }

  test(`a file flipped between a regular file and a symlink to a canary and to /etc/shadow: ${CALLS} calls, 0 leaks`, async (t) => {
    const victim = join(logs, 'victim.log');
    writeFileSync(victim, 'Nov 24 10:00:00 host app: regular line\n');
    const targets = [join(base, 'outside', 'canary.log'), ...(existsSync('/etc/shadow') ? ['/etc/shadow'] : [])];
    const swapper = startSwapper({ mode: 'file', victim, targets });
    const r = await hammer([victim]);
    const swaps = await swapper.stop();
    t.diagnostic(`file flip: ${CALLS} calls, ${swaps} swaps, ${r.ok} read the regular file, ${r.refused} refused, ${r.leaks.length} leaks`);
    assert.deepEqual(r.leaks, []);
    assert.ok(r.ok > 0, 'some calls read the regular file: the race was live');
    assert.ok(swaps > 100, `the swapper ran (${swaps} swaps)`);
  });

  test(`an intermediate directory flipped to a symlink to a directory holding the canary: ${CALLS} calls, 0 leaks`, async (t) => {
    const swapper = startSwapper({ mode: 'dir', dir: join(logs, 'sub'), aside: join(logs, 'sub.aside'), link: join(base, 'outside') });
    const r = await hammer([join(logs, 'sub', 'x.log')]);
    const swaps = await swapper.stop();
    t.diagnostic(`directory flip: ${CALLS} calls, ${swaps} swaps, ${r.ok} read the real file, ${r.refused} refused, ${r.leaks.length} leaks`);
    assert.deepEqual(r.leaks, []);
    assert.ok(swaps > 100, `the swapper ran (${swaps} swaps)`);
  });

  test('find_space_hogs while a walked directory is flipped to a symlink to a directory outside: its names never listed', async (t) => {
    const tree = join(base, 'scan', 'tree');
    const swapper = startSwapper({ mode: 'dirhold', dir: join(tree, 'sub'), aside: join(base, 'sub.aside'), link: join(base, 'secretdir') });
    const leaks: string[] = [];
    let answered = 0;
    for (let i = 0; i < 300; i++) {
      const o = classify('find_space_hogs', await p.call('find_space_hogs', { path: tree, depth: 3 }, 20_000), 'find_space_hogs');
      const text = JSON.stringify(o);
      if (o.kind === 'ok') answered++;
      if (text.includes(CANARY)) leaks.push(text.slice(0, 300));
    }
    const swaps = await swapper.stop();
    t.diagnostic(`space walk under a directory flip: 300 calls, ${swaps} swaps, ${answered} answered, ${leaks.length} leaks`);
    assert.deepEqual(leaks, []);
    assert.ok(answered > 0 && swaps > 20, `the race was live (${answered} answers, ${swaps} swaps)`);
  });
});
