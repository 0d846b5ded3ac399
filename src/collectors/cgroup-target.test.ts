import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { findUnitPath, hierarchyMode, normalizeCgroupPath, normalizeUnitName, readCgroupTarget } from './cgroup-target.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

function ok(r: ReturnType<typeof readCgroupTarget>) {
  assert.ok('info' in r, 'error' in r ? r.error : '');
  return r.info;
}

test('hierarchy modes of the recorded hosts', () => {
  assert.equal(hierarchyMode(ctxFor('cgroup-v1')), 'v1');
  assert.equal(hierarchyMode(ctxFor('container-v2')), 'v2');
  assert.equal(hierarchyMode(ctxFor('idle')), 'v2');
  assert.equal(hierarchyMode(ctxFor('busy')), 'hybrid');
  assert.equal(hierarchyMode(createCollectorContext({ root: '/nonexistent-root' })), 'none');
});

test('unit and path name validation', () => {
  assert.equal(normalizeUnitName('nginx'), 'nginx.service');
  assert.equal(normalizeUnitName('user-1000.slice'), 'user-1000.slice');
  assert.equal(normalizeUnitName('getty@tty1.service'), 'getty@tty1.service');
  assert.equal(normalizeUnitName('../etc'), null);
  assert.equal(normalizeUnitName('a/b.service'), null);
  assert.equal(normalizeUnitName('.hidden'), null);
  assert.equal(normalizeCgroupPath('/'), '/');
  assert.equal(normalizeCgroupPath('/system.slice/x.service/'), '/system.slice/x.service');
  assert.equal(normalizeCgroupPath('/system.slice/../..'), null);
  assert.equal(normalizeCgroupPath('/a/./b'), null);
  assert.equal(normalizeCgroupPath('/a//b'), null);
  assert.equal(normalizeCgroupPath('system.slice'), null);
  assert.equal(normalizeCgroupPath('/a\u0000b'), null);
});

test('v1 by unit, path and pid all reach billing-api.service with the same values', () => {
  const ctx = ctxFor('cgroup-v1');
  const byUnit = ok(readCgroupTarget(ctx, { unit: 'billing-api' }));
  const byPath = ok(readCgroupTarget(ctx, { path: '/system.slice/billing-api.service' }));
  const byPid = ok(readCgroupTarget(ctx, { pid: 2201 }));
  for (const c of [byUnit, byPath, byPid]) {
    assert.equal(c.version, 1);
    assert.equal(c.path, '/system.slice/billing-api.service');
    assert.equal(c.memory.maxBytes, 2147483648);
    assert.equal(c.memory.events?.oomKill, 3);
    assert.equal(c.cpu.quotaCores, 2);
    assert.equal(c.cpu.nrThrottled, 12000);
  }
  assert.deepEqual(byUnit.dirs, byPid.dirs);
  assert.deepEqual(byPath.warnings, []);
});

test('v1: a unit present only in the systemd hierarchy → found, controllers absent are named', () => {
  const info = ok(readCgroupTarget(ctxFor('cgroup-v1'), { unit: 'session-4.scope' }));
  assert.equal(info.path, '/user.slice/user-1000.slice/session-4.scope');
  assert.equal(info.memory.maxBytes, null);
  assert.match(info.warnings.join('\n'), /absent from the memory, cpu, cpuacct, pids, blkio controller/);
});

test('v2: unit search and path on the idle host; the root path on a container', () => {
  const idle = ok(readCgroupTarget(ctxFor('idle'), { unit: 'postgresql.service' }));
  assert.equal(idle.version, 2);
  assert.equal(idle.path, '/system.slice/postgresql.service');
  assert.equal(idle.pressure.memory?.full?.avg10Pct, 7.5);
  const root = ok(readCgroupTarget(ctxFor('container-v2'), { path: '/' }));
  assert.equal(root.memory.maxBytes, 536870912);
  assert.equal(root.cpu.nrThrottled, 45500);
});

test('unknown pid, unit or path, traversal and bad names → error, never a throw', () => {
  const ctx = ctxFor('cgroup-v1');
  const err = (r: ReturnType<typeof readCgroupTarget>): string => {
    assert.ok('error' in r);
    return r.error;
  };
  assert.match(err(readCgroupTarget(ctx, { pid: 999999 })), /no process with pid 999999/);
  assert.match(err(readCgroupTarget(ctx, { unit: 'nope.service' })), /no cgroup for unit nope\.service/);
  assert.match(err(readCgroupTarget(ctx, { unit: '../../etc' })), /not a systemd unit name/);
  assert.match(err(readCgroupTarget(ctx, { path: '/system.slice/../../../../etc' })), /invalid cgroup path/);
  assert.match(err(readCgroupTarget(ctx, { path: '/no/such.service' })), /no cgroup \/no\/such\.service/);
  assert.match(err(readCgroupTarget(ctxFor('idle'), { path: '/no/such.service' })), /no cgroup \/no\/such\.service under \/sys\/fs\/cgroup/);
  assert.match(err(readCgroupTarget(createCollectorContext({ root: '/nonexistent-root' }), { path: '/' })), /no cgroup hierarchy/);
});

test('a symlink inside the hierarchy pointing outside the mount is refused', () => {
  const root = mkdtempSync(join(tmpdir(), 'cg-escape-'));
  try {
    mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
    mkdirSync(join(root, 'outside'), { recursive: true });
    symlinkSync(join(root, 'outside'), join(root, 'sys/fs/cgroup/evil'));
    const ctx = createCollectorContext({ root });
    // not v2 (no cgroup.controllers) and no v1 controller → no hierarchy
    assert.ok('error' in readCgroupTarget(ctx, { path: '/evil' }));
    mkdirSync(join(root, 'sys/fs/cgroup/memory'));
    symlinkSync(join(root, 'outside'), join(root, 'sys/fs/cgroup/memory/evil'));
    const r = readCgroupTarget(ctx, { path: '/evil' });
    assert.ok('error' in r && /no cgroup \/evil/.test(r.error), JSON.stringify(r));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('findUnitPath is bounded in depth and directories', () => {
  const root = mkdtempSync(join(tmpdir(), 'cg-deep-'));
  try {
    mkdirSync(join(root, 'sys/fs/cgroup/a/b/c/d/e/target.service'), { recursive: true });
    for (let i = 0; i < 30; i++) mkdirSync(join(root, `sys/fs/cgroup/w${i}`));
    const ctx = createCollectorContext({ root });
    assert.equal(findUnitPath(ctx, 'sys/fs/cgroup', 'target.service').path, '/a/b/c/d/e/target.service');
    const shallow = findUnitPath(ctx, 'sys/fs/cgroup', 'target.service', 3);
    assert.deepEqual([shallow.path, shallow.cut], [null, true]);
    const few = findUnitPath(ctx, 'sys/fs/cgroup', 'target.service', 8, 5);
    assert.deepEqual([few.path, few.cut, few.visited], [null, true, 5]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a pid whose cgroup is not visible under the mount (cgroup namespace) is read at the mount root, with a warning', () => {
  const root = mkdtempSync(join(tmpdir(), 'cg-ns-'));
  try {
    mkdirSync(join(root, 'proc/77'), { recursive: true });
    mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
    writeFileSync(join(root, 'proc/77/cgroup'), '0::/kubepods/pod1/abc\n');
    writeFileSync(join(root, 'sys/fs/cgroup/cgroup.controllers'), 'cpu memory\n');
    writeFileSync(join(root, 'sys/fs/cgroup/memory.max'), '1073741824\n');
    const info = ok(readCgroupTarget(createCollectorContext({ root }), { pid: 77 }));
    assert.equal(info.path, '/kubepods/pod1/abc');
    assert.equal(info.dir, 'sys/fs/cgroup');
    assert.equal(info.memory.maxBytes, 1073741824);
    assert.match(info.warnings.join('\n'), /\/kubepods\/pod1\/abc is not visible under this mount \(cgroup namespace\): values are from sys\/fs\/cgroup/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
