import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { createHistory, describeMetric, STATIC_METRICS } from './history.js';
import { createSampler } from './sampler.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0); // a minute boundary

test('1 s ring: wraps around, keeps the newest entries oldest first', () => {
  const h = createHistory({ points1s: 5 });
  for (let i = 0; i < 8; i++) h.record(T0 + i * 1000, [['cpu.busyPct', i * 10]]);
  const s = h.series('cpu.busyPct', 0, Infinity, '1s')!;
  assert.deepEqual(s.values, [30, 40, 50, 60, 70]);
  assert.deepEqual(s.times, [3, 4, 5, 6, 7].map((i) => T0 + i * 1000));
  assert.deepEqual(h.coverage('1s'), { fromMs: T0 + 3000, toMs: T0 + 7000, points: 5 });
  // a range inside the ring
  assert.deepEqual(h.series('cpu.busyPct', T0 + 4000, T0 + 5000, '1s')!.values, [40, 50]);
  assert.equal(h.series('never.recorded', 0, Infinity, '1s'), null);
});

test('1 min ring: per-minute mean and max, the minute in progress served last, and its own wrap-around', () => {
  const h = createHistory({ points1m: 2 });
  // minute 0: 0..59, minute 1: constant 5 with one spike, minute 2: 100, minute 3 in progress: 1, 3
  for (let s = 0; s < 60; s++) h.record(T0 + s * 1000, [['load.1', s]]);
  for (let s = 60; s < 120; s++) h.record(T0 + s * 1000, [['load.1', s === 90 ? 65 : 5]]);
  for (let s = 120; s < 180; s++) h.record(T0 + s * 1000, [['load.1', 100]]);
  h.record(T0 + 180_000, [['load.1', 1]]);
  h.record(T0 + 181_000, [['load.1', 3]]);
  const m = h.series('load.1', 0, Infinity, '1m')!;
  // ring of 2 completed minutes: minute 0 was overwritten by minute 2
  assert.deepEqual(m.times, [T0 + 60_000, T0 + 120_000, T0 + 180_000]);
  assert.deepEqual(m.values, [(59 * 5 + 65) / 60, 100, 2]);
  assert.deepEqual(m.maxValues, [65, 100, 3]);
  assert.deepEqual(h.coverage('1m'), { fromMs: T0 + 60_000, toMs: T0 + 180_000, points: 3 });
  assert.equal(h.stepSec('1m'), 60);
});

test('absent values are NaN, never zero; a metric first seen later is NaN before', () => {
  const h = createHistory();
  h.record(T0, [['mem.availableBytes', 1e9], ['cpu.busyPct', null]]);
  h.record(T0 + 1000, [['mem.availableBytes', Number.NaN], ['cpu.busyPct', 50], ['disk.sda.utilPct', 7]]);
  h.record(T0 + 2000, [['mem.availableBytes', 3e9], ['cpu.busyPct', Infinity]]);
  const mem = h.series('mem.availableBytes', 0, Infinity, '1s')!.values;
  assert.equal(mem[0], 1e9);
  assert.ok(Number.isNaN(mem[1]!));
  assert.equal(mem[2], 3e9);
  const cpu = h.series('cpu.busyPct', 0, Infinity, '1s')!.values;
  assert.ok(Number.isNaN(cpu[0]!) && Number.isNaN(cpu[2]!));
  assert.equal(cpu[1], 50);
  const disk = h.series('disk.sda.utilPct', 0, Infinity, '1s')!.values;
  assert.ok(Number.isNaN(disk[0]!) && Number.isNaN(disk[2]!));
  assert.equal(disk[1], 7);
  // the minute mean ignores absent ticks
  assert.deepEqual(h.series('mem.availableBytes', 0, Infinity, '1m')!.values, [2e9]);
});

test('families: at most maxKeysPerFamily keys, first seen wins, the rest reported; unknown names ignored', () => {
  const h = createHistory({ maxKeysPerFamily: 2 });
  const tick = (t: number, devs: string[]) => h.record(T0 + t, [...devs.map((d) => [`disk.${d}.utilPct`, 1] as [string, number]), ['bogus', 1], ['disk.sda.nonsense', 1]]);
  tick(0, ['sda', 'sdb']);
  tick(1000, ['sdc', 'sda', 'sdd', 'sdc']);
  assert.deepEqual(h.metricNames(), ['disk.sda.utilPct', 'disk.sdb.utilPct']);
  assert.deepEqual(h.droppedKeys(), { disk: { count: 2, keys: ['sdc', 'sdd'] } });
  assert.equal(h.accepts('disk.sdb.readBytesPerSec'), true); // a known key, another metric of it
  assert.equal(h.accepts('disk.sdz.utilPct'), false);
  assert.equal(h.accepts('net.eth0.rxBytesPerSec'), true);
  assert.equal(h.accepts('cpu.busyPct'), true);
  assert.equal(h.accepts('bogus'), false);
  assert.equal(describeMetric('fs./var/lib.usedPct')!.unit, '%');
  assert.equal(describeMetric('net.eth0.rxBytesPerSec')!.unit, 'bytes/s');
  assert.equal(describeMetric('net..rxBytesPerSec'), null);
  assert.equal(describeMetric('disk.sda.bogus'), null);
});

test('memoryBytes() is the documented formula, bounded by maxMemoryBytes()', () => {
  const n1s = 900;
  const n1m = 1440;
  const maxSlots = STATIC_METRICS.length + 16 * 6;
  const fixed = 8 * (n1s + n1m) + maxSlots * (8 + 8 + 4);
  const perMetric = 4 * n1s + 2 * 4 * n1m;
  const h = createHistory();
  assert.equal(h.memoryBytes(), fixed);
  h.record(T0, [['cpu.busyPct', 1], ['disk.sda.utilPct', 2], ['net.eth0.rxBytesPerSec', 3]]);
  assert.equal(h.memoryBytes(), fixed + 3 * perMetric);
  assert.equal(h.maxMemoryBytes(), fixed + maxSlots * perMetric);
  assert.equal(h.maxMemoryBytes(), 1_714_400);
  // filling every slot reaches the bound exactly, and more names do not grow it
  const all: Array<[string, number]> = STATIC_METRICS.map((m) => [m.name, 1]);
  for (let k = 0; k < 20; k++) {
    all.push([`disk.d${k}.utilPct`, 1], [`disk.d${k}.readBytesPerSec`, 1], [`disk.d${k}.writeBytesPerSec`, 1]);
    all.push([`net.i${k}.rxBytesPerSec`, 1], [`net.i${k}.txBytesPerSec`, 1], [`fs./m${k}.usedPct`, 1]);
  }
  const full = createHistory();
  for (let t = 0; t < 3000; t++) full.record(T0 + t * 1000, all);
  assert.equal(full.memoryBytes(), full.maxMemoryBytes());
  assert.equal(full.metricNames().length, maxSlots);
});

test('sampler history on a sparse tree (no diskstats, net/dev or statfs) and on an empty root: NaN, never a throw', () => {
  for (const root of [FIX + 'container-v2', FIX + 'does-not-exist']) {
    const ctx = createCollectorContext({ root });
    let clock = 0;
    const s = createSampler({ ctx, processScanEvery: 0, now: () => clock, wallClock: () => T0 + clock });
    s.tick();
    clock = 1000;
    s.tick();
    const names = s.history.metricNames();
    assert.deepEqual(names.slice(0, STATIC_METRICS.length), STATIC_METRICS.map((m) => m.name), root);
    assert.ok(!names.some((n) => n.startsWith('disk.') || n.startsWith('net.')), root);
    const avail = s.history.series('mem.availableBytes', 0, Infinity, '1s')!.values;
    if (root.endsWith('does-not-exist')) assert.ok(avail.every((v) => Number.isNaN(v)));
    else assert.ok(avail.every((v) => v > 0));
  }
});

test('live host: two ticks give CPU, memory and root filesystem points in range', async () => {
  const ctx = createCollectorContext();
  const s = createSampler({ ctx, processScanEvery: 0 });
  s.tick();
  await new Promise((r) => setTimeout(r, 250));
  s.tick();
  const last = (name: string) => s.history.series(name, 0, Infinity, '1s')?.values.at(-1);
  const busy = last('cpu.busyPct')!;
  assert.ok(busy >= 0 && busy <= 100, `cpu.busyPct ${busy}`);
  assert.ok(last('mem.availableBytes')! > 0);
  const rootFs = s.history.metricNames().find((n) => n.startsWith('fs.') && n.endsWith('.usedPct'));
  assert.ok(rootFs, 'at least one local filesystem is tracked');
  const used = last(rootFs)!;
  assert.ok(used >= 0 && used <= 100, `${rootFs} ${used}`);
  assert.ok(s.history.memoryBytes() < s.history.maxMemoryBytes());
});
