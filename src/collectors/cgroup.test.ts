import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { effectiveLimits, parseCpuMax, parseLimit, parseProcCgroup, readCgroup, resolveCgroupCpuDir, throttlingInWindow } from './cgroup.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('container-v2: cgroup v2 limits, throttling, events, PSI', () => {
  const c = readCgroup(ctxFor('container-v2'));
  assert.equal(c.mode, 'v2');
  assert.equal(c.version, 2);
  assert.equal(c.path, '/');
  assert.equal(c.dir, 'sys/fs/cgroup');
  assert.deepEqual(c.cpu, {
    usageUsec: 912345678,
    nrPeriods: 182000,
    nrThrottled: 45500,
    throttledUsec: 2275000000,
    quotaUsec: 50000,
    periodUsec: 100000,
    quotaCores: 0.5,
  });
  assert.deepEqual(c.memory, {
    currentBytes: 503316480,
    maxBytes: 536870912, // 512 MiB
    highBytes: null, // 'max'
    peakBytes: 534773760,
    swapMaxBytes: null,
    events: { low: 0, high: 0, max: 57, oom: 2, oomKill: 1 },
  });
  assert.deepEqual(c.pids, { current: 23, max: 512 });
  assert.equal(c.pressure.cpu!.some.avg10Pct, 22.5);
  assert.equal(c.pressure.cpu!.full!.avg10Pct, 21.9);
  assert.equal(c.pressure.memory!.some.totalUsec, 5566778);
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(effectiveLimits(ctxFor('container-v2')), { cpuCores: 0.5, memoryBytes: 536870912 });
});

test('idle: v2 host, limits come from the parent slice', () => {
  const c = readCgroup(ctxFor('idle'));
  assert.equal(c.mode, 'v2');
  assert.equal(c.path, '/system.slice/hostlens.service');
  assert.equal(c.dir, 'sys/fs/cgroup/system.slice/hostlens.service');
  assert.equal(c.cpu.quotaCores, null); // 'max 100000'
  assert.equal(c.memory.maxBytes, null);
  assert.equal(c.memory.currentBytes, 52428800);
  assert.deepEqual(c.pids, { current: 11, max: 4915 });
  // system.slice: memory.max 4 GiB (< MemTotal 7.75 GiB), cpu.max 150000/100000
  assert.deepEqual(effectiveLimits(ctxFor('idle')), { cpuCores: 1.5, memoryBytes: 4294967296 });
});

test('busy: hybrid v1 host, "unlimited" sentinels become null', () => {
  const c = readCgroup(ctxFor('busy'));
  assert.equal(c.mode, 'hybrid');
  assert.equal(c.version, 1);
  assert.equal(c.path, '/system.slice/hostlens.service');
  assert.equal(c.cpu.quotaUsec, null); // -1
  assert.equal(c.cpu.periodUsec, 100000);
  assert.equal(c.cpu.quotaCores, null);
  assert.equal(c.cpu.usageUsec, 51234568); // cpuacct.usage 51234567890 ns
  assert.equal(c.cpu.nrThrottled, 0);
  assert.equal(c.memory.maxBytes, null); // 9223372036854771712
  assert.equal(c.memory.currentBytes, 157286400);
  assert.equal(c.memory.peakBytes, 209715200);
  assert.equal(c.memory.events!.oomKill, 0);
  assert.deepEqual(c.pids, { current: 12, max: 4915 });
  assert.deepEqual(effectiveLimits(ctxFor('busy')), { cpuCores: null, memoryBytes: null });
  assert.deepEqual(resolveCgroupCpuDir(ctxFor('busy')), { dir: 'sys/fs/cgroup/cpu/system.slice/hostlens.service', version: 1 });
});

test('no cgroup files at all → mode none, no throw', () => {
  const c = readCgroup(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(c.mode, 'none');
  assert.equal(c.version, null);
  assert.equal(c.cpu.quotaCores, null);
  assert.equal(c.warnings.length, 1);
  assert.deepEqual(effectiveLimits(createCollectorContext({ root: '/nonexistent-root' })), { cpuCores: null, memoryBytes: null });
});

test('parsers: parseLimit, parseCpuMax, parseProcCgroup', () => {
  assert.equal(parseLimit('max'), null);
  assert.equal(parseLimit('-1'), null);
  assert.equal(parseLimit('9223372036854771712'), null);
  assert.equal(parseLimit('536870912\n'), 536870912);
  assert.equal(parseLimit('garbage'), null);
  assert.deepEqual(parseCpuMax('max 100000'), { quotaUsec: null, periodUsec: 100000 });
  assert.deepEqual(parseCpuMax('200000 100000'), { quotaUsec: 200000, periodUsec: 100000 });
  const p = parseProcCgroup('12:pids:/a\n10:cpu,cpuacct:/b\n1:name=systemd:/c\n0::/d\ngarbage\n');
  assert.equal(p.v2Path, '/d');
  assert.equal(p.v1.get('cpu'), '/b');
  assert.equal(p.v1.get('cpuacct'), '/b');
  assert.equal(p.v1.get('pids'), '/a');
});

test('throttlingInWindow', () => {
  const prev = { usageUsec: 0, nrPeriods: 182000, nrThrottled: 45500, throttledUsec: 2275000000 };
  const cur = { usageUsec: 0, nrPeriods: 182100, nrThrottled: 45560, throttledUsec: 2278000000 };
  assert.deepEqual(throttlingInWindow(prev, cur), { throttledPeriodsPct: 60, throttledSec: 3 });
  assert.deepEqual(throttlingInWindow(prev, prev), { throttledPeriodsPct: null, throttledSec: 0 });
});
