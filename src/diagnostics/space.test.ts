import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../definitions/host-services.js';
import { HostlensError } from '../contracts/errors.js';
import { findSpaceHogsTool } from '../tools/find-space-hogs.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';

const KiB = 1024;

/** Services over a fake root whose only scan root is /srv, holding 30 files of 1..30 KiB. */
function setup(): { root: string; services: Services } {
  const root = mkdtempSync(join(tmpdir(), 'hogs-'));
  mkdirSync(join(root, 'srv/data/nested'), { recursive: true });
  mkdirSync(join(root, 'proc'));
  for (let i = 1; i <= 30; i++) writeFileSync(join(root, 'srv/data', `f${String(i).padStart(2, '0')}`), Buffer.alloc(i * 4 * KiB, 1));
  writeFileSync(join(root, 'srv/data/nested/n'), Buffer.alloc(40 * 4 * KiB, 1));
  const base = servicesAt(root);
  return { root, services: { ...base, limits: { ...base.limits, scanRoots: ['/srv'] } } };
}

const run = (services: Services, args: Record<string, unknown>, signal = new AbortController().signal) =>
  findSpaceHogsTool.handler(findSpaceHogsTool.input.parse(args), { services, served: new Map(), signal, progress: async () => {} });

test('find_space_hogs pages entries largest first with a cursor bound to path and depth', async () => {
  const { root, services } = setup();
  try {
    const first = await run(services, { path: '/srv/data', limit: 5 });
    assert.equal(first.data.path, '/srv/data');
    assert.deepEqual(first.data.entries.map((e) => e.path), ['/srv/data/nested', '/srv/data/nested/n', '/srv/data/f30', '/srv/data/f29', '/srv/data/f28']);
    assert.equal(first.data.entries[0]!.fileCount, 1);
    assert.deepEqual(first.page, { field: 'entries', offset: 0, total: 32, query: { path: '/srv/data', depth: 2 } }); // 30 files, nested/, nested/n
    assert.equal(first.truncated?.returned, 5);
    const second = await run(services, { path: '/srv/data', limit: 5, cursor: first.truncated!.nextCursor });
    assert.deepEqual(second.data.entries.map((e) => e.path), ['/srv/data/f27', '/srv/data/f26', '/srv/data/f25', '/srv/data/f24', '/srv/data/f23']);
    await assert.rejects(run(services, { path: '/srv/data', depth: 1, limit: 5, cursor: first.truncated!.nextCursor }), (e) => e instanceof HostlensError && /different query/.test(e.message));
    assert.equal(first.data.deletedOpenSummary.processesScanned, 0); // an empty proc/
    assert.match(findSpaceHogsTool.render(first), /largest \(depth ≤ 2, 5 of 32\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('find_space_hogs: the configured scan roots are the allow-list; inputs are bounded', async () => {
  const { root, services } = setup();
  try {
    await assert.rejects(run(services, { path: '/tmp' }), (e) => e instanceof HostlensError && /allowed roots: \/srv \(config scanRoots/.test(e.message));
    // A missing path outside the allow-list is "outside", not "no such directory" (no existence probe).
    await assert.rejects(run(services, { path: '/root/secret-project' }), (e) => e instanceof HostlensError && /is outside the directories/.test(e.message));
    await assert.rejects(run(services, { path: '/srv/missing' }), (e) => e instanceof HostlensError && /\/srv\/missing: no such directory/.test(e.message));
    const parse = (v: unknown) => findSpaceHogsTool.input.safeParse(v).success;
    assert.equal(parse({ path: '/srv', depth: 4 }), false);
    assert.equal(parse({ path: '/srv', depth: 0 }), false);
    assert.equal(parse({ path: '/srv', timeoutMs: 10_001 }), false);
    assert.equal(parse({ path: '/srv', limit: 101 }), false);
    assert.equal(parse({ path: '/srv', depth: 3, timeoutMs: 10_000, limit: 100 }), true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('find_space_hogs: an aborted call rejects instead of walking on', async () => {
  const { root, services } = setup();
  try {
    for (let i = 0; i < 600; i++) writeFileSync(join(root, 'srv/data/nested', `x${i}`), '');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(run(services, { path: '/srv/data' }, ac.signal), (e: Error) => e.name === 'AbortError');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
