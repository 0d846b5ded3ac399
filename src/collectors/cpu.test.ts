import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import type { CpuTimes } from './cpu.js';
import {
  countCpuList,
  cpuBreakdown,
  parseCpuStat,
  parseLoadAvg,
  perCoreBreakdown,
  readCpuInfo,
  readCpuStat,
  readLoadAvg,
  readLogicalCpuCount,
} from './cpu.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('readCpuStat: idle fixture, aggregate and counters', () => {
  const s = readCpuStat(ctxFor('idle'));
  assert.deepEqual(s.warnings, []);
  // cpu0 + cpu1 of idle/proc/stat
  assert.deepEqual(s.total, { user: 16000, nice: 21, system: 6750, idle: 17204231, iowait: 2405, irq: 0, softirq: 400, steal: 185, guest: 0, guestNice: 0 });
  assert.equal(s.perCore.length, 2);
  assert.deepEqual(s.perCore.map((c) => c.cpu), [0, 1]);
  assert.equal(s.perCore[1]!.idle, 8603001);
  assert.equal(s.ctxSwitches, 35123456);
  assert.equal(s.interrupts, 20123456);
  assert.equal(s.bootTimeSec, 1763900000);
  assert.equal(s.forksCount, 43100);
  assert.equal(s.procsRunning, 1);
  assert.equal(s.procsBlocked, 0);
});

test('readCpuStat: busy and container fixtures', () => {
  const b = readCpuStat(ctxFor('busy'));
  assert.equal(b.total!.user, 59030700);
  assert.equal(b.total!.guest, 300000);
  assert.equal(b.perCore.length, 4);
  assert.equal(b.procsRunning, 18);
  assert.equal(b.procsBlocked, 6);
  assert.equal(b.ctxSwitches, 9876543210);
  assert.equal(b.interrupts, 7654321000);
  assert.equal(b.bootTimeSec, 1763600000);
  const c = readCpuStat(ctxFor('container-v2'));
  assert.equal(c.perCore.length, 4);
  assert.equal(c.total!.user, 3120400 + 3098700 + 3110200 + 3101500);
  assert.equal(c.total!.steal, 2100 + 2050 + 2080 + 2070);
});

test('cpuBreakdown: busy → busy-later (10 s on 4 CPUs = 4000 ticks)', () => {
  const a = readCpuStat(ctxFor('busy'));
  const b = readCpuStat(ctxFor('busy-later'));
  // Deltas: user 2400, nice 40, system 480, idle 200, iowait 320, irq 40, softirq 120, steal 400 (sum 4000);
  // guest 100 is inside user and must not be added to the total.
  assert.deepEqual(cpuBreakdown(a.total!, b.total!), {
    userPct: 60,
    nicePct: 1,
    systemPct: 12,
    idlePct: 5,
    iowaitPct: 8,
    irqPct: 1,
    softirqPct: 3,
    stealPct: 10,
    guestPct: 2.5,
    busyPct: 87,
  });
  const cores = perCoreBreakdown(a.perCore, b.perCore);
  assert.equal(cores.length, 4);
  // cpu0 deltas: 700 10 120 20 50 10 40 50 (guest 100) of 1000
  assert.deepEqual(cores[0], {
    cpu: 0,
    userPct: 70,
    nicePct: 1,
    systemPct: 12,
    idlePct: 2,
    iowaitPct: 5,
    irqPct: 1,
    softirqPct: 4,
    stealPct: 5,
    guestPct: 10,
    busyPct: 93,
  });
  // cpu2: 550 10 120 60 100 10 25 125
  assert.equal(cores[2]!.softirqPct, 2.5);
  assert.equal(cores[2]!.stealPct, 12.5);
  assert.equal(cores[2]!.busyPct, 84);
  assert.equal(cores[3]!.idlePct, 7);
});

const T = (over: Partial<CpuTimes>): CpuTimes => ({ user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0, ...over });

test('cpuBreakdown: zero delta → null; counter going backwards counts 0', () => {
  const a = T({ user: 100, idle: 900 });
  assert.equal(cpuBreakdown(a, a), null);
  // iowait went backwards (kernels can do that): treated as 0, the rest still adds up
  const b = cpuBreakdown(T({ user: 100, idle: 900, iowait: 50 }), T({ user: 150, idle: 1050, iowait: 40 }));
  assert.deepEqual(b, { userPct: 25, nicePct: 0, systemPct: 0, idlePct: 75, iowaitPct: 0, irqPct: 0, softirqPct: 0, stealPct: 0, guestPct: 0, busyPct: 25 });
});

test('perCoreBreakdown matches by cpu number, skipping cores missing from a sample (hotplug)', () => {
  const prev = [{ cpu: 0, ...T({ user: 10, idle: 10 }) }, { cpu: 2, ...T({ user: 10, idle: 10 }) }];
  const cur = [{ cpu: 0, ...T({ user: 20, idle: 20 }) }, { cpu: 1, ...T({ user: 5, idle: 5 }) }, { cpu: 2, ...T({ user: 40, idle: 10 }) }];
  const r = perCoreBreakdown(prev, cur);
  assert.deepEqual(r.map((c) => [c.cpu, c.userPct]), [[0, 50], [2, 100]]);
});

test('parseCpuStat: garbage and truncated text never throws', () => {
  const g = parseCpuStat('cpu  1 2 x\ncpu0 \nctxt nope\n\0\0garbage');
  assert.equal(g.total, null);
  assert.equal(g.perCore.length, 0);
  assert.equal(g.ctxSwitches, null);
  assert.ok(g.warnings.length >= 2);
  // Old 4-field format still parses; missing fields are 0
  const old = parseCpuStat('cpu 1 2 3 4\n');
  assert.deepEqual(old.total, T({ user: 1, nice: 2, system: 3, idle: 4 }));
  assert.deepEqual(readCpuStat(createCollectorContext({ root: '/nonexistent-root' })).warnings, ['proc/stat: unreadable']);
});

test('readLoadAvg on each fixture', () => {
  const omit = ({ warnings: _w, ...rest }: ReturnType<typeof readLoadAvg>) => rest;
  assert.deepEqual(omit(readLoadAvg(ctxFor('idle'))), { load1: 0.08, load5: 0.03, load15: 0.01, runnableCount: 1, totalThreads: 187 });
  assert.deepEqual(omit(readLoadAvg(ctxFor('busy'))), { load1: 14.52, load5: 12.8, load15: 9.31, runnableCount: 18, totalThreads: 912 });
  assert.deepEqual(omit(readLoadAvg(ctxFor('container-v2'))), { load1: 0.92, load5: 0.61, load15: 0.4, runnableCount: 2, totalThreads: 311 });
  const bad = parseLoadAvg('garbage');
  assert.equal(bad.load1, null);
  assert.equal(bad.warnings.length, 1);
});

test('readCpuInfo and logical CPU count on each fixture', () => {
  const idle = readCpuInfo(ctxFor('idle'));
  assert.deepEqual(idle, { model: 'AMD EPYC 7B13', logicalCount: 2, freqMhz: 2450, hypervisorFlag: true, warnings: [] });
  const busy = readCpuInfo(ctxFor('busy'));
  assert.equal(busy.model, 'Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz');
  assert.equal(busy.logicalCount, 4);
  assert.equal(busy.freqMhz, 2500); // mean of 2500.000, 2500.000, 2499.998, 2500.002
  const ct = readCpuInfo(ctxFor('container-v2'));
  assert.equal(ct.freqMhz, 2445.4);
  assert.equal(readLogicalCpuCount(ctxFor('idle')), 2);
  assert.equal(readLogicalCpuCount(ctxFor('busy')), 4);
  // busy-later has no sys/: falls back to the cpuN lines of proc/stat
  assert.equal(readLogicalCpuCount(ctxFor('busy-later')), 4);
});

test('countCpuList', () => {
  assert.equal(countCpuList('0-3,8,10-11'), 7);
  assert.equal(countCpuList('0'), 1);
  assert.equal(countCpuList('3-1'), null);
  assert.equal(countCpuList('x'), null);
});
