import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { historyMounts } from './history-record.js';
import { createSampler } from './sampler.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));

/** A sampler over busy/ then busy-later/, 10 s apart on an injected clock. */
function busySampler(processScanEvery = 1) {
  const ctx = createCollectorContext({ root: FIX + 'busy' });
  let clock = 0;
  const sampler = createSampler({ ctx, processScanEvery, now: () => clock });
  sampler.tick();
  ctx.root = FIX + 'busy-later';
  clock = 10_000;
  sampler.tick();
  return sampler;
}

test('tick(): latestCpu over the last two samples', () => {
  const s = busySampler();
  assert.equal(s.tickCount, 2);
  const cpu = s.latestCpu()!;
  assert.equal(cpu.windowSec, 10);
  assert.deepEqual(cpu.breakdown, {
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
  assert.equal(cpu.perCore.length, 4);
  assert.equal(cpu.perCore[0]!.busyPct, 93);
  assert.equal(s.latest()!.loadavg.load1, 14.61);
  assert.equal(s.previous()!.loadavg.load1, 14.52);
});

test('tick(): latestRates from vmstat, proc/stat and PSI deltas', () => {
  const r = busySampler().latestRates()!;
  assert.deepEqual(r, {
    windowSec: 10,
    swapInPerSec: 300, // pswpin +3000 pages
    swapOutPerSec: 500, // pswpout +5000
    swapInBytesPerSec: 1_228_800, // × 4096
    swapOutBytesPerSec: 2_048_000,
    majorFaultsPerSec: 150, // +1500
    ctxSwitchesPerSec: 25_000, // +250000
    interruptsPerSec: 12_000, // +120000
    forksPerSec: 42, // +420
    oomKillsInWindow: 1, // 3 → 4
    cgroupThrottledPeriodsPct: null, // v1 host without a quota, and busy-later has no cgroup files
    pressure: { cpuSomePct: 40, memorySomePct: 35, memoryFullPct: 18, ioSomePct: 25, ioFullPct: 12 },
  });
});

test('tick(): process baseline every N ticks, usable for per-process CPU %', () => {
  const s = busySampler(1);
  const base = s.processBaseline()!;
  assert.equal(base.atMs, 10_000);
  assert.equal(base.scan.processes.length, 10); // the busy-later scan
  assert.equal(base.scan.processes[0]!.uid, null); // baseline scans read stat only

  const every5 = busySampler(5);
  assert.equal(every5.processBaseline()!.atMs, 0); // scanned on tick 1 only
  const none = busySampler(0);
  assert.equal(none.processBaseline(), null);
});

test('the process scan runs only while baselines are in demand, and a stale baseline is never served', () => {
  const ctx = createCollectorContext({ root: FIX + 'busy' });
  let clock = 0;
  const s = createSampler({ ctx, intervalMs: 1000, processScanEvery: 1, processScanIdleMs: 5_000, now: () => clock });
  s.tick();
  assert.equal(s.processBaseline()?.atMs, 0, 'scanning from the start');
  // No demand for 5 s: ticks from 6 s on skip the scan, so the baseline ages.
  for (clock = 1000; clock <= 8000; clock += 1000) s.tick();
  clock = 8500;
  const quiet = s.processBaseline();
  assert.equal(quiet, null, 'a 3.5 s old baseline (over 2 ticks + 1 s) would be a long average: not served');
  // That call was demand: the next tick scans again.
  clock = 9000;
  s.tick();
  assert.equal(s.processBaseline()?.atMs, 9000);
});

test('before two ticks there is nothing to report', () => {
  const s = createSampler({ ctx: createCollectorContext({ root: FIX + 'idle' }) });
  assert.equal(s.latestCpu(), null);
  assert.equal(s.latestRates(), null);
  s.tick();
  assert.equal(s.latestCpu(), null);
  assert.notEqual(s.latest(), null);
});

test('start()/stop(): immediate first tick, unref’d timer, idempotent', () => {
  const s = createSampler({ ctx: createCollectorContext({ root: FIX + 'idle' }), intervalMs: 60_000 });
  s.start();
  s.start();
  assert.equal(s.running, true);
  assert.equal(s.tickCount, 1);
  s.stop();
  assert.equal(s.running, false);
  s.stop();
});

test('measure(): validates the window', async () => {
  const s = createSampler({ ctx: createCollectorContext({ root: FIX + 'idle' }) });
  await assert.rejects(s.measure(0.1), RangeError);
  await assert.rejects(s.measure(11), RangeError);
  await assert.rejects(s.measure(Number.NaN), RangeError);
});

test('measure(): abort rejects promptly with AbortError', { timeout: 30_000 }, async (t) => {
  // Mocked timers never fire unless ticked, so the 10 s window cannot end by itself: a rejection proves the
  // abort ended the measurement without waiting for the window, and a measurement that ignored the abort
  // would hang (the test's timeout is the guard).
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const s = createSampler({ ctx: createCollectorContext({ root: FIX + 'idle' }) });
  const ac = new AbortController();
  const p = s.measure(10, { signal: ac.signal, onProgress: () => {} });
  t.mock.timers.tick(50);
  ac.abort();
  await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  t.mock.timers.reset();
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(s.measure(1, { signal: pre.signal }), (e: Error) => e.name === 'AbortError');
});

test('measure(): two samples, exact elapsed time, progress reported', async (t) => {
  // The sampler's clock is injected and its timers mocked, both advanced together: the window measured must be
  // exactly the one asked, in the sampler's own units, whatever the machine's load.
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  let clock = 0;
  const advance = (ms: number): void => {
    for (let i = 0; i < ms; i += 10) {
      clock += 10;
      t.mock.timers.tick(10);
    }
  };
  const s = createSampler({ ctx: createCollectorContext({ root: FIX + 'idle' }), now: () => clock });
  const seen: number[] = [];
  const pending = s.measure(0.6, { onProgress: (f) => seen.push(f) });
  advance(590);
  assert.equal(seen.includes(1), false, 'not finished before its window');
  advance(10);
  const m = await pending;
  assert.equal(m.elapsedSec, 0.6);
  assert.equal(m.processElapsedSec, 0.6);
  assert.equal(m.breakdown, null); // a static fixture: no ticks elapsed
  assert.equal(m.start.processes!.processes.length, 7);
  assert.equal(m.start.processes!.processes[0]!.uid, null); // the start scan reads stat only
  assert.notEqual(m.end.processes!.processes[0]!.uid, null); // the end scan adds the owner uid
  assert.equal(m.processCpuPct.get(4242), 0);
  assert.ok(seen.length >= 2, `progress calls: ${seen.length}`);
  assert.equal(seen.at(-1), 1);
  assert.ok(seen.every((f) => f >= 0 && f <= 1));
  const noProcPending = s.measure(0.2, { processes: false });
  advance(200);
  const noProc = await noProcPending;
  assert.equal(noProc.start.processes, null);
  assert.equal(noProc.processCpuPct.size, 0);
  t.mock.timers.reset();
});

test('history: each tick records gauges and tick rates over busy ⇄ busy-later; the 1 s ring wraps, the minute aggregates', () => {
  const ctx = createCollectorContext({ root: FIX + 'busy' });
  const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
  let clock = 0;
  const s = createSampler({ ctx, processScanEvery: 0, now: () => clock, wallClock: () => T0 + clock, history: { points1s: 4 } });
  // busy at 0 s, busy-later at 10 s, busy again at 20 s (counters go back: no rates), …
  for (let i = 0; i < 6; i++) {
    ctx.root = FIX + (i % 2 ? 'busy-later' : 'busy');
    clock = i * 10_000;
    s.tick();
  }
  const h = s.history;
  const values = (name: string) => h.series(name, 0, Infinity, '1s')!.values.map((v) => (Number.isNaN(v) ? null : Math.round(v * 100) / 100));
  assert.deepEqual(h.series('cpu.busyPct', 0, Infinity, '1s')!.times, [20, 30, 40, 50].map((sec) => T0 + sec * 1000));
  assert.deepEqual(values('cpu.busyPct'), [null, 87, null, 87]);
  assert.deepEqual(values('cpu.stealPct'), [null, 10, null, 10]);
  assert.deepEqual(values('load.1'), [14.52, 14.61, 14.52, 14.61]);
  assert.deepEqual(values('mem.majorFaultsPerSec'), [null, 150, null, 150]);
  assert.deepEqual(values('psi.memory.full'), [null, 18, null, 18]);
  assert.deepEqual(values('psi.io.some'), [null, 25, null, 25]);
  assert.deepEqual(values('tcp.retransPct'), [null, 4, null, 4]);
  assert.deepEqual(values('disk.nvme0n1.utilPct'), [null, 99, null, 99]);
  assert.deepEqual(values('disk.nvme0n1.writeBytesPerSec'), [null, 12_288_000, null, 12_288_000]);
  assert.deepEqual(values('net.eth0.rxBytesPerSec'), [null, 1e8, null, 1e8]);
  assert.equal(h.series('net.lo.rxBytesPerSec', 0, Infinity, '1s'), null); // loopback is not recorded
  assert.deepEqual(values('fs./var/lib/postgresql.usedPct'), [99.47, 99.47, 99.47, 99.47]);
  assert.deepEqual(values('procs.blocked'), [6, 7, 6, 7]);
  // one minute in progress: the mean of all six ticks (three rates of 87), max 87
  const m = h.series('cpu.busyPct', 0, Infinity, '1m')!;
  assert.deepEqual(m.times, [T0]);
  assert.deepEqual(m.values, [87]);
  assert.deepEqual(m.maxValues, [87]);
  assert.equal(h.series('load.1', 0, Infinity, '1m')!.values[0], 14.565);
  assert.equal(s.latest()!.at, new Date(T0 + 50_000).toISOString());
});

test('history filesystems: local disks first, then tmpfs; never network, image or pseudo mounts', () => {
  // idle/ mounts an nfs4 share at /mnt/nfs, a squashfs snap and many pseudo filesystems
  assert.deepEqual(historyMounts(createCollectorContext({ root: FIX + 'idle' })), ['/', '/boot/efi', '/mnt/backup disk', '/run', '/dev/shm']);
});
