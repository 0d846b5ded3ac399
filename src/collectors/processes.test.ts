import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import type { ProcessScan } from './processes.js';
import { parseProcStat, processCpuPct, processStartedAt, scanProcesses } from './processes.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });
const PAGE = 4096;

test('scanProcesses: busy fixture — states, comm with ")" and spaces, status fields', () => {
  const s = scanProcesses(ctxFor('busy'), { withStatus: true });
  assert.deepEqual(s.warnings, []);
  assert.equal(s.totalSeen, 10);
  assert.equal(s.truncated, false);
  assert.deepEqual(s.processes.map((p) => p.pid), [1, 2, 812, 2231, 3105, 4077, 4242, 5001, 5120, 5333]);
  assert.deepEqual(s.states, { running: 2, sleeping: 6, blocked: 1, zombie: 1, stopped: 0, other: 0, total: 10 });
  const weird = s.processes.find((p) => p.pid === 4077)!;
  assert.deepEqual(weird, {
    pid: 4077,
    ppid: 1,
    comm: 'my) weird (proc',
    state: 'R',
    cpuTicks: 7500, // 6000 + 1500
    startTimeTicks: 25850000,
    rssBytes: 2560 * PAGE,
    vsizeBytes: 31457280,
    threads: 2,
    nice: 0,
    kernelThread: false,
    uid: 1000,
    swapBytes: 0,
  });
  const pg = s.processes.find((p) => p.pid === 812)!;
  assert.equal(pg.state, 'D');
  assert.equal(pg.uid, 105);
  assert.equal(pg.rssBytes, 1_073_741_824); // 262144 pages
  assert.equal(pg.swapBytes, 104_857_600); // VmSwap 102400 kB
  const java = s.processes.find((p) => p.pid === 2231)!;
  assert.equal(java.threads, 64);
  assert.equal(java.rssBytes, 4_294_967_296);
  assert.equal(java.cpuTicks, 9_600_000);
  const kthreadd = s.processes.find((p) => p.pid === 2)!;
  assert.equal(kthreadd.kernelThread, true);
  assert.equal(kthreadd.swapBytes, null);
  assert.equal(kthreadd.rssBytes, 0);
});

test('scanProcesses: idle and container fixtures; uid source without status', () => {
  const idle = scanProcesses(ctxFor('idle'), { withStatus: true });
  assert.deepEqual(idle.states, { running: 1, sleeping: 6, blocked: 0, zombie: 0, stopped: 0, other: 0, total: 7 });
  const me = idle.processes.find((p) => p.pid === 4242)!;
  assert.equal(me.rssBytes, 67_108_864); // 16384 pages
  assert.equal(me.threads, 11);
  assert.equal(me.cpuTicks, 6300);
  assert.equal(me.uid, 1000);
  assert.equal(idle.processes.find((p) => p.pid === 15)!.state, 'I');
  const ct = scanProcesses(ctxFor('container-v2'));
  assert.deepEqual(ct.processes.map((p) => [p.pid, p.comm]), [[1, 'tini'], [7, 'node'], [31, 'sh'], [32, 'python3']]);
  assert.deepEqual(ct.states, { running: 1, sleeping: 3, blocked: 0, zombie: 0, stopped: 0, other: 0, total: 4 });
  assert.equal(ct.processes[3]!.rssBytes, 402_653_184);
  const basic = scanProcesses(ctxFor('busy'));
  // Without status the uid is the owner of proc/[pid] (on a fixture: whoever checked the tree out)
  assert.equal(basic.processes.find((p) => p.pid === 812)!.uid, statSync(FIX + 'busy/proc/812').uid);
  assert.equal(basic.processes.find((p) => p.pid === 812)!.swapBytes, null);
  assert.equal(basic.processes.find((p) => p.pid === 2231)!.threads, 64); // from stat field 20
  assert.equal(scanProcesses(ctxFor('busy'), { withUid: false }).processes[0]!.uid, null);
});

test('scanProcesses: maxProcesses and batchSize', () => {
  const s = scanProcesses(ctxFor('busy'), { maxProcesses: 5, batchSize: 2 });
  assert.deepEqual(s.processes.map((p) => p.pid), [1, 2, 812, 2231, 3105]);
  assert.equal(s.truncated, true);
  assert.equal(s.totalSeen, 10);
  assert.match(s.warnings.at(-1)!, /capped at 5 of 10/);
});

test('processCpuPct: busy → busy-later over 10 s (100 = one core)', () => {
  const a = scanProcesses(ctxFor('busy'), { withStatus: false });
  const b = scanProcesses(ctxFor('busy-later'), { withStatus: false });
  const pct = processCpuPct(a, b, 10);
  assert.deepEqual(Object.fromEntries(pct), {
    1: 0.5, // +2 +3 ticks
    2: 0,
    812: 7.5, // +30 +45
    2231: 150, // +1400 +100: a multi-threaded process can exceed one core
    3105: 99.7, // +985 +12: the ~100 % process
    4077: 25, // +200 +50
    4242: 0.8, // +6 +2
    5120: 15, // pid REUSED (start time changed): all 120 + 30 ticks of the new process
    5333: 0,
    6010: 5, // new pid: 40 + 10 ticks
  });
  assert.equal(pct.has(5001), false); // gone
});

test('processCpuPct: pid reuse is detected by start time, not by pid', () => {
  const a = scanProcesses(ctxFor('busy'), { withStatus: false });
  const b = scanProcesses(ctxFor('busy-later'), { withStatus: false });
  const before = a.processes.find((p) => p.pid === 5120)!;
  const after = b.processes.find((p) => p.pid === 5120)!;
  assert.equal(before.comm, 'cron-job');
  assert.equal(after.comm, 'curl');
  assert.ok(after.cpuTicks < before.cpuTicks); // a naive delta would be negative
  assert.notEqual(after.startTimeTicks, before.startTimeTicks);
  assert.equal(processCpuPct(a, b, 10).get(5120), 15);
});

test('processCpuPct: truncated previous scan omits pids it never saw; bad window → empty', () => {
  const a = scanProcesses(ctxFor('busy'), { withStatus: false, maxProcesses: 5 });
  const b = scanProcesses(ctxFor('busy-later'), { withStatus: false });
  const pct = processCpuPct(a, b, 10);
  assert.deepEqual([...pct.keys()].sort((x, y) => x - y), [1, 2, 812, 2231, 3105]);
  assert.equal(processCpuPct(a, b, 0).size, 0);
});

test('parseProcStat: comm edge cases and garbage', () => {
  const line = (comm: string) => `77 (${comm}) S 1 77 77 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 500 1000 3 18446744073709551615 0 0`;
  assert.equal(parseProcStat(line(') ) ('), PAGE)!.comm, ') ) (');
  assert.equal(parseProcStat(line('a b c'), PAGE)!.comm, 'a b c');
  assert.equal(parseProcStat(line(''), PAGE)!.comm, '');
  assert.equal(parseProcStat(line('x'), PAGE)!.cpuTicks, 15);
  assert.equal(parseProcStat('garbage', PAGE), null);
  assert.equal(parseProcStat('77 (trunc) S 1 77', PAGE), null);
  assert.equal(parseProcStat('', PAGE), null);
});

test('scanProcesses never throws on an unreadable root', () => {
  const s: ProcessScan = scanProcesses(createCollectorContext({ root: '/nonexistent-root' }));
  assert.equal(s.processes.length, 0);
  assert.deepEqual(s.warnings, ['proc: unreadable']);
});

test('processStartedAt', () => {
  // busy boot 1763600000 (2025-11-20T00:53:20Z) + 25850000 ticks / 100 = +258500 s
  assert.equal(processStartedAt(25850000, 1763600000, 100), '2025-11-23T00:41:40Z');
});
