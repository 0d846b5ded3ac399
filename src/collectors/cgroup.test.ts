import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { effectiveLimits, parseCpuMax, parseLimit, parseProcCgroup, readCgroup, resolveCgroupCpuDir, throttlingInWindow } from './cgroup.js';
import { parseIoBytes } from './cgroup-io.js';

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
    swapCurrentBytes: 4194304,
    events: { low: 0, high: 0, max: 57, oom: 2, oomKill: 1 },
  });
  assert.deepEqual(c.pids, { current: 23, max: 512 });
  // io.stat: 254:0 + 7:0 summed
  assert.deepEqual(c.io, { readBytes: 73400320 + 1048576, writeBytes: 20971520 });
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
  assert.deepEqual(c.io, { readBytes: null, writeBytes: null }); // no blkio controller recorded
  assert.equal(c.pressure.cpu, null); // the unified hierarchy has no hostlens.service: no PSI rather than the root's
  assert.deepEqual(effectiveLimits(ctxFor('busy')), { cpuCores: null, memoryBytes: null });
  assert.deepEqual(resolveCgroupCpuDir(ctxFor('busy')), {
    dir: 'sys/fs/cgroup/cpu/system.slice/hostlens.service',
    version: 1,
    cpuacctDir: 'sys/fs/cgroup/cpuacct/system.slice/hostlens.service', // a symlink to cpu,cpuacct
  });
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

test('cgroup-v1: a limited service (separate cpu and cpuacct mounts): limit, failcnt, oom_kill, throttling, blkio', () => {
  const c = readCgroup(ctxFor('cgroup-v1'), 2201);
  assert.equal(c.mode, 'v1');
  assert.equal(c.version, 1);
  assert.equal(c.path, '/system.slice/billing-api.service');
  assert.equal(c.dirs.cpuacct, 'sys/fs/cgroup/cpuacct/system.slice/billing-api.service');
  assert.deepEqual(c.cpu, {
    usageUsec: 7200000000, // cpuacct.usage 7200000000000 ns
    nrPeriods: 50000,
    nrThrottled: 12000,
    throttledUsec: 912000000, // throttled_time 912000000000 ns
    quotaUsec: 200000,
    periodUsec: 100000,
    quotaCores: 2,
  });
  assert.deepEqual(c.memory, {
    currentBytes: 2040109465,
    maxBytes: 2147483648,
    highBytes: null,
    peakBytes: 2147483648,
    swapMaxBytes: null,
    swapCurrentBytes: 2094006272 - 2040109465, // memsw.usage − usage
    events: { low: null, high: null, max: 1234, oom: null, oomKill: 3 },
  });
  assert.deepEqual(c.pids, { current: 180, max: 4096 });
  // two devices (253:0 and 8:0), the "Total" lines and Sync/Async are not added
  assert.deepEqual(c.io, { readBytes: 2 * 104857600, writeBytes: 2 * 524288000 });
  assert.deepEqual(c.pressure, { cpu: null, memory: null, io: null });
  assert.deepEqual(c.warnings, []);
});

test('cgroup-v1: our own unlimited service → null limits; effective limits none', () => {
  const c = readCgroup(ctxFor('cgroup-v1'));
  assert.equal(c.path, '/system.slice/hostlens.service');
  assert.equal(c.memory.maxBytes, null); // 9223372036854771712
  assert.equal(c.cpu.quotaCores, null); // -1
  assert.equal(c.cpu.usageUsec, 41234568);
  assert.deepEqual(c.pids, { current: 9, max: null }); // 'max'
  assert.deepEqual(c.io, { readBytes: 4096, writeBytes: 8192 });
  assert.deepEqual(effectiveLimits(ctxFor('cgroup-v1')), { cpuCores: null, memoryBytes: null });
  assert.deepEqual(resolveCgroupCpuDir(ctxFor('cgroup-v1')), {
    dir: 'sys/fs/cgroup/cpu/system.slice/hostlens.service',
    version: 1,
    cpuacctDir: 'sys/fs/cgroup/cpuacct/system.slice/hostlens.service',
  });
});

test('parseIoBytes: v2 io.stat and v1 blkio, garbage counted', () => {
  assert.deepEqual(parseIoBytes('8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=5 wbytes=0 rios=1 wios=0\n', 2), { readBytes: 15, writeBytes: 20, badLines: 0 });
  assert.deepEqual(parseIoBytes('', 2), { readBytes: 0, writeBytes: 0, badLines: 0 });
  assert.deepEqual(parseIoBytes('\u0000\u0001garbage\n', 2), { readBytes: null, writeBytes: null, badLines: 1 });
  assert.deepEqual(parseIoBytes('8:0 Read 7\n8:0 Write 9\n8:0 Total 16\nTotal 16\n', 1), { readBytes: 7, writeBytes: 9, badLines: 0 });
  assert.deepEqual(parseIoBytes('8:0 Read lots\n', 1), { readBytes: null, writeBytes: null, badLines: 1 });
});

function garbageTree(version: 1 | 2): string {
  const root = mkdtempSync(join(tmpdir(), `cg-garbage-v${version}-`));
  const put = (rel: string, text: string): void => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const junk = '\u0000\u00ff\u0010 not a number {]\n';
  if (version === 2) {
    put('proc/self/cgroup', '0::/\n');
    put('sys/fs/cgroup/cgroup.controllers', 'cpu memory io pids\n');
    for (const f of ['cgroup.procs', 'memory.current', 'memory.max', 'memory.high', 'memory.peak', 'memory.swap.current', 'memory.events', 'cpu.stat', 'cpu.max', 'pids.current', 'pids.max', 'io.stat', 'cpu.pressure', 'memory.pressure', 'io.pressure']) {
      put(`sys/fs/cgroup/${f}`, f === 'cgroup.procs' ? '1\n' : junk);
    }
  } else {
    put('proc/self/cgroup', '3:memory:/a\n2:cpu,cpuacct:/a\n1:pids:/a\n4:blkio:/a\n');
    const files: Record<string, string[]> = {
      memory: ['memory.usage_in_bytes', 'memory.limit_in_bytes', 'memory.max_usage_in_bytes', 'memory.memsw.usage_in_bytes', 'memory.failcnt', 'memory.oom_control'],
      'cpu,cpuacct': ['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'cpu.stat', 'cpuacct.usage'],
      pids: ['pids.current', 'pids.max'],
      blkio: ['blkio.throttle.io_service_bytes'],
    };
    for (const [ctl, names] of Object.entries(files)) {
      put(`sys/fs/cgroup/${ctl}/a/cgroup.procs`, '1\n');
      for (const f of names) put(`sys/fs/cgroup/${ctl}/a/${f}`, junk);
    }
  }
  return root;
}

for (const version of [1, 2] as const) {
  test(`garbage cgroup v${version} files → null fields and warnings, never a throw`, () => {
    const root = garbageTree(version);
    try {
      const c = readCgroup(createCollectorContext({ root }));
      assert.equal(c.version, version);
      assert.equal(c.memory.currentBytes, null);
      assert.equal(c.memory.maxBytes, null);
      assert.equal(c.memory.swapCurrentBytes, null);
      assert.equal(c.cpu.usageUsec, null);
      assert.equal(c.cpu.nrThrottled, null);
      assert.equal(c.cpu.quotaCores, null);
      assert.deepEqual(c.pids, { current: null, max: null });
      assert.deepEqual(c.io, { readBytes: null, writeBytes: null });
      assert.equal(c.pressure.cpu, null);
      const text = c.warnings.join('\n');
      for (const f of version === 2 ? ['memory.current', 'memory.max', 'cpu.stat', 'pids.max', 'io.stat', 'memory.events', 'cpu.pressure'] : ['memory.usage_in_bytes', 'memory.limit_in_bytes', 'memory.oom_control', 'cpu.stat', 'cpuacct.usage', 'pids.current', 'blkio.throttle.io_service_bytes']) {
        assert.match(text, new RegExp(`${f.replace(/\./g, '\\.')}: malformed`), f);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('a memory limit that is not a whole number of pages (a truncated "9") is garbled: null + warning, not a 9-byte limit', () => {
  const root = garbageTree(2);
  try {
    writeFileSync(join(root, 'sys/fs/cgroup/memory.max'), '9\n');
    writeFileSync(join(root, 'sys/fs/cgroup/memory.high'), '8589934592\n');
    const c = readCgroup(createCollectorContext({ root }));
    assert.equal(c.memory.maxBytes, null);
    assert.equal(c.memory.highBytes, 8589934592, 'a page-aligned limit is kept');
    assert.match(c.warnings.join('\n'), /memory\.max: malformed/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
