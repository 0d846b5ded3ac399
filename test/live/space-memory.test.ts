/**
 * Live: find_space_hogs and top_processes against real files and real child processes on this machine — a
 * 100 MiB file deleted while a child holds it open, files of known size under /tmp, a child that allocates and
 * touches 300 MiB, and paths outside the allow-list; and get_cgroup of our own process. Children are SIGKILLed in `after`; temp files removed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostlensError } from '../../src/contracts/errors.js';
import type { ToolContext } from '../../src/definitions/types.js';
import { findSpaceHogsTool } from '../../src/tools/find-space-hogs.js';
import { getCgroup } from '../../src/tools/get-cgroup.js';
import { topProcessesTool } from '../../src/tools/top-processes.js';
import { servicesAt } from '../fixtures/fixture-services.js';
import { Children } from '../support/children.js';

const MiB = 1024 * 1024;
const ctx = { services: servicesAt(), served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
const children = new Children();
const dirs: string[] = [];

after(() => {
  children.killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmpDir(prefix: string): string {
  const d = mkdtempSync(join('/tmp', prefix));
  dirs.push(d);
  return d;
}

test('live: a 100 MiB file deleted while a child holds it open is in deletedOpen with the child pid; walk sizes match the files', async () => {
  const dir = tmpDir('hostlens-space-');
  const victim = join(dir, 'victim.bin');
  writeFileSync(victim, Buffer.alloc(100 * MiB, 7));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.bin'), Buffer.alloc(4 * MiB, 1));
  writeFileSync(join(dir, 'sub', 'b.bin'), Buffer.alloc(2 * MiB, 1));
  writeFileSync(join(dir, 'sub', 'c.bin'), Buffer.alloc(1 * MiB, 1));
  const { child } = await children.node("require('node:fs').openSync(process.argv[1], 'r'); console.log('open'); setInterval(() => {}, 1000);", [victim]);
  unlinkSync(victim);

  const r = await findSpaceHogsTool.handler(findSpaceHogsTool.input.parse({ path: dir }), ctx);
  const held = r.data.deletedOpen.find((f) => f.pid === child.pid);
  assert.ok(held, `deletedOpen ${JSON.stringify(r.data.deletedOpen)} lacks pid ${child.pid}`);
  assert.equal(held.path, victim);
  assert.equal(held.comm, 'node');
  assert.ok(held.fd >= 3);
  assert.ok(Math.abs(held.sizeBytes! - 100 * MiB) <= MiB, `sizeBytes ${held.sizeBytes}`);
  assert.ok(r.data.deletedOpenSummary.totalBytes >= 99 * MiB);

  // The walk: the deleted file is gone from the tree; the others are there with their sizes (±64 KiB of blocks).
  const by = new Map(r.data.entries.map((e) => [e.path, e]));
  const near = (path: string, bytes: number): void => {
    const e = by.get(path);
    assert.ok(e, `${path} in ${[...by.keys()].join(', ')}`);
    assert.ok(e.sizeBytes >= bytes && e.sizeBytes <= bytes + 64 * 1024, `${path}: ${e.sizeBytes} vs ${bytes}`);
  };
  near(join(dir, 'a.bin'), 4 * MiB);
  near(join(dir, 'sub'), 3 * MiB);
  near(join(dir, 'sub', 'b.bin'), 2 * MiB);
  assert.equal(by.get(join(dir, 'sub'))!.fileCount, 2);
  assert.equal(by.has(victim), false);
  assert.deepEqual(r.data.entries.slice(0, 3).map((e) => e.path), [join(dir, 'a.bin'), join(dir, 'sub'), join(dir, 'sub', 'b.bin')], 'largest first');
  assert.equal(r.data.scanned.complete, true);
  assert.equal(r.page?.field, 'entries');

  child.kill('SIGKILL');
});

test('live: a child that allocates and touches 300 MiB ranks first in top_processes {sortBy: memory}', async () => {
  // Another process on a shared machine may already be bigger than 300 MiB: allocate more than it, then.
  const before = await topProcessesTool.handler(topProcessesTool.input.parse({ sortBy: 'memory', limit: 1 }), ctx);
  const biggest = before.data.processes[0]?.rssBytes ?? 0;
  const bytes = Math.max(300 * MiB, Math.min(biggest + 128 * MiB, 2048 * MiB));
  const { child, line } = await children.node("const b = Buffer.alloc(Number(process.argv[1]), 1); console.log(b.length); setInterval(() => { b[0]++; }, 1000);", [String(bytes)], 30_000);
  assert.equal(Number(line), bytes);
  const r = await topProcessesTool.handler(topProcessesTool.input.parse({ sortBy: 'memory', limit: 5 }), ctx);
  const top = r.data.processes[0]!;
  assert.equal(top.pid, child.pid, JSON.stringify(r.data.processes.map((p) => [p.pid, p.comm, p.rssBytes])));
  assert.ok(top.rssBytes >= 290 * MiB, `rssBytes ${top.rssBytes}`);
  child.kill('SIGKILL');
});

test('live: /etc and a /tmp symlink to /etc are refused with the allowed roots named', async () => {
  const dir = tmpDir('hostlens-link-');
  const link = join(dir, 'etc-link');
  symlinkSync('/etc', link);
  const call = (path: string) => findSpaceHogsTool.handler(findSpaceHogsTool.input.parse({ path }), ctx);
  await assert.rejects(call('/etc'), (e) => e instanceof HostlensError && /^\/etc is outside .*allowed roots: \/var, \/tmp, \/home, \/opt, \/srv, \/root/.test(e.message));
  await assert.rejects(call(link), (e) => e instanceof HostlensError && e.message.includes(`${link} leads outside`) && !e.message.includes('resolves to /etc') && e.message.includes('allowed roots: /var, /tmp'));
  await assert.rejects(call('/tmp/../etc'), (e) => e instanceof HostlensError && /^\/tmp\/\.\.\/etc is outside/.test(e.message));
  await assert.rejects(call(join(dir, 'missing')), (e) => e instanceof HostlensError && /no such directory/.test(e.message));
});

test('live: get_cgroup of our own process reads this host\'s real hierarchy over a real window', async () => {
  const r = await getCgroup.handler(getCgroup.input.parse({ target: { pid: process.pid }, windowSec: 0.3 }), ctx);
  const own = readFileSync('/proc/self/cgroup', 'utf8');
  const v1 = own.split('\n').some((l) => /^\d+:[^:]+:/.test(l) && !l.startsWith('0::'));
  assert.equal(r.data.version, v1 ? 1 : 2, own);
  assert.ok(r.data.memory.currentBytes !== null && r.data.memory.currentBytes > 0, JSON.stringify(r.data.memory));
  assert.ok(r.data.cpu.usageCores === null || r.data.cpu.usageCores >= 0);
  assert.ok(r.windowSec! >= 0.29 && r.windowSec! < 10, String(r.windowSec));
  await assert.rejects(getCgroup.handler(getCgroup.input.parse({ target: { unit: 'hostlens-no-such-unit.service' } }), ctx), (e) => e instanceof HostlensError && /hostlens-no-such-unit\.service/.test(e.message));
});
