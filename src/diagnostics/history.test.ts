import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostlensError } from '../contracts/errors.js';
import { getHistory } from '../tools/get-history.js';
import { createCollectorContext } from '../collectors/context.js';
import { createSampler } from '../collectors/sampler.js';
import { FIXTURE_HOSTS, servicesAt, servicesOf } from '../../test/fixtures/fixture-services.js';
import { downsample, readHistory, resolveRange, seriesStats } from './history.js';
import { parseTime } from '../util/time-arg.js';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 30);

test('parseTime: now, relative offsets and RFC 3339 with a zone', () => {
  assert.equal(parseTime('now', NOW, 'since'), NOW);
  assert.equal(parseTime('-90s', NOW, 'since'), NOW - 90_000);
  assert.equal(parseTime('-15m', NOW, 'since'), NOW - 900_000);
  assert.equal(parseTime('-1.5h', NOW, 'since'), NOW - 5_400_000);
  assert.equal(parseTime('-1d', NOW, 'since'), NOW - 86_400_000);
  assert.equal(parseTime('2026-01-31T11:45:00Z', NOW, 'since'), Date.UTC(2026, 0, 31, 11, 45));
  assert.equal(parseTime('2026-01-31T12:45:00.5+01:00', NOW, 'since'), Date.UTC(2026, 0, 31, 11, 45, 0, 500));
});

test('parseTime: anything else is a HostlensError naming the argument and the accepted forms', () => {
  for (const bad of ['15m', '-15x', '-m', 'yesterday', '2026-01-31', '2026-01-31T11:45:00', '2026-13-45T99:00:00Z', '', '-1e3s', '+5m']) {
    assert.throws(() => parseTime(bad, NOW, 'window.since'), (e: Error) => e instanceof HostlensError && /window\.since/.test(e.message) && /RFC 3339/.test(e.message), bad);
  }
});

test('resolveRange: bounded to 24 h, until after since, a future until clamped to now', () => {
  assert.deepEqual(resolveRange('-24h', undefined, NOW), { fromMs: NOW - 86_400_000, toMs: NOW });
  assert.throws(() => resolveRange('-25h', undefined, NOW), (e: Error) => e instanceof HostlensError && /24 h/.test(e.message));
  assert.throws(() => resolveRange('-5m', '-10m', NOW), HostlensError);
  assert.throws(() => resolveRange('now', undefined, NOW), HostlensError);
  assert.deepEqual(resolveRange('-5m', '2030-01-01T00:00:00Z', NOW), { fromMs: NOW - 300_000, toMs: NOW });
});

test('seriesStats: min, avg, nearest-rank p95 and max over known data; NaN skipped; per-minute maxima win', () => {
  const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1); // 1..100 shuffled
  const st = seriesStats([...values, Number.NaN, Number.NaN]);
  assert.deepEqual(st, { min: 1, avg: 50.5, p95: 95, max: 100, count: 100 });
  assert.deepEqual(seriesStats([4, 2]), { min: 2, avg: 3, p95: 4, max: 4, count: 2 });
  assert.deepEqual(seriesStats([Number.NaN]), { min: null, avg: null, p95: null, max: null, count: 0 });
  assert.equal(seriesStats([1, 2, 3], [2, 9, Number.NaN]).max, 9);
});

test('downsample: bucket means aligned to the range start, null for empty buckets, at most maxPoints', () => {
  const t0 = Date.UTC(2026, 0, 31, 12, 0, 0);
  const times = Array.from({ length: 60 }, (_, i) => t0 + i * 1000);
  const values = times.map((_, i) => (i >= 20 && i < 30 ? Number.NaN : i));
  const d = downsample({ resolution: '1s', times, values }, t0, t0 + 60_000, 1, 6, '%');
  assert.equal(d.stepSec, 10);
  assert.deepEqual(d.points, [
    ['2026-01-31T12:00:00Z', 4.5],
    ['2026-01-31T12:00:10Z', 14.5],
    ['2026-01-31T12:00:20Z', null],
    ['2026-01-31T12:00:30Z', 34.5],
    ['2026-01-31T12:00:40Z', 44.5],
    ['2026-01-31T12:00:50Z', 54.5],
  ]);
  // never finer than the ring's step; bytes are integers
  const coarse = downsample({ resolution: '1m', times: [t0, t0 + 60_000], values: [1.4, 2.6] }, t0, t0 + 120_000, 60, 200, 'bytes');
  assert.equal(coarse.stepSec, 60);
  assert.deepEqual(coarse.points, [['2026-01-31T12:00:00Z', 1], ['2026-01-31T12:01:00Z', 3]]);
});

/** Services whose history holds `seconds` ticks ending at NOW: cpu.busyPct = tick index % 10, load.1 = 1. */
function historyServices(seconds: number) {
  const s = servicesAt(undefined);
  for (let i = seconds - 1; i >= 0; i--) s.sampler.history.record(NOW - i * 1000, [['cpu.busyPct', (seconds - 1 - i) % 10], ['load.1', 1], ['disk.sda.utilPct', 5]]);
  return s;
}

test('readHistory: 1 s ring within 15 min, coverage warning after a recent start, stats of the stored points', () => {
  const s = historyServices(120);
  const r = readHistory(s, { metrics: ['cpu.busyPct', 'disk.sda.utilPct'], since: '-10m', maxPoints: 20 }, NOW);
  const cpu = r.data.series[0]!;
  assert.equal(cpu.resolution, '1s');
  assert.equal(cpu.stepSec, 30);
  assert.equal(cpu.points.length, 20);
  assert.deepEqual(cpu.points.slice(0, 16).map((p) => p[1]), Array(16).fill(null)); // before the first tick
  // ticks 11:58:31…12:00:30 carry i % 10 for i = 0…119: 29 ticks (mean 126/29), 30, 30, then 31 with the tick at `until`
  assert.deepEqual(cpu.points.slice(16).map((p) => p[1]), [4.34, 4.5, 4.5, 4.65]);
  assert.deepEqual(cpu.stats, { min: 0, avg: 4.5, p95: 9, max: 9, count: 120 });
  assert.equal(r.data.series[1]!.unit, '%');
  assert.equal(r.data.coverage.from, '2026-01-31T11:58:31Z');
  assert.ok(r.warnings.some((w) => /history starts at 2026-01-31T11:58:31Z/.test(w)), r.warnings.join('|'));
});

test('readHistory: ranges beyond 15 min read the 1 min ring (per-minute means)', () => {
  const s = historyServices(180);
  const r = readHistory(s, { metrics: ['cpu.busyPct'], since: '-2h' }, NOW);
  const cpu = r.data.series[0]!;
  assert.equal(cpu.resolution, '1m');
  assert.equal(cpu.stepSec, 180); // 10:00:00 (since, floored to the minute) → 12:00:30 in ≤ 60 buckets of whole minutes
  assert.equal(cpu.points.length, 41);
  assert.equal(r.data.coverage.resolution, '1m');
  const filled = cpu.points.filter((p) => p[1] !== null);
  assert.deepEqual(filled.map((p) => p[0]), ['2026-01-31T11:57:00Z', '2026-01-31T12:00:00Z']);
  assert.equal(cpu.stats.count, 4); // minutes 11:57 (partial), 11:58, 11:59, 12:00 (in progress)
});

test('readHistory: metrics omitted lists the names; unknown names are a HostlensError listing the valid ones', () => {
  const s = historyServices(5);
  const list = readHistory(s, {}, NOW).data.available!;
  assert.ok(list.some((m) => m.metric === 'psi.memory.full' && m.unit === '%'));
  assert.ok(list.some((m) => m.metric === 'disk.sda.utilPct'));
  assert.throws(() => readHistory(s, { metrics: ['cpu.busyPct', 'disk.sdz.utilPct'] }, NOW), (e: Error) => e instanceof HostlensError && /"disk\.sdz\.utilPct"/.test(e.message) && /disk\.sda\.utilPct/.test(e.message));
  // a static name is valid before any data: all-null points, count 0
  const empty = readHistory(servicesAt(undefined), { metrics: ['psi.io.full'] }, NOW);
  assert.equal(empty.data.series[0]!.stats.count, 0);
  assert.ok(empty.warnings.some((w) => /empty/.test(w)));
});

test('readHistory: maxPoints is lowered so ten series fit maxResultBytes', () => {
  const s = historyServices(900);
  const names = ['cpu.busyPct', 'load.1', 'disk.sda.utilPct', 'cpu.iowaitPct', 'cpu.stealPct', 'mem.usedPct', 'psi.cpu.some', 'psi.io.some', 'psi.io.full', 'procs.running'];
  const r = readHistory(s, { metrics: names, since: '-15m', maxPoints: 200 }, NOW);
  assert.ok(r.data.series.every((x) => x.points.length < 200 && x.points.length > 10));
  assert.ok(Buffer.byteLength(JSON.stringify(r.data)) <= s.limits.maxResultBytes, `${Buffer.byteLength(JSON.stringify(r.data))} bytes`);
  assert.ok(r.warnings.some((w) => /maxPoints lowered/.test(w)));
});

test('get_history: a bad since is a HostlensError', async () => {
  const ctx = { services: historyServices(5), served: new Map(), signal: AbortSignal.timeout(5000), progress: async () => undefined };
  await assert.rejects(getHistory.handler(getHistory.input.parse({ metrics: ['cpu.busyPct'], since: 'last tuesday' }), ctx), HostlensError);
  await assert.rejects(getHistory.handler(getHistory.input.parse({ since: '-3d' }), ctx), HostlensError);
  assert.throws(() => getHistory.input.parse({ metrics: [] }));
  assert.throws(() => getHistory.input.parse({ maxPoints: 201 }));
});

test('readHistory over recorded trees: busy ⇄ busy-later ticks at 1 s, 2 s buckets average the rate ticks, absent ones ignored', () => {
  const ctx = createCollectorContext({ root: FIXTURE_HOSTS + 'busy' });
  const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);
  let clock = 0;
  const sampler = createSampler({ ctx, processScanEvery: 0, now: () => clock, wallClock: () => T0 + clock });
  for (let i = 0; i < 30; i++) {
    ctx.root = FIXTURE_HOSTS + (i % 2 ? 'busy-later' : 'busy');
    clock = i * 1000;
    sampler.tick();
  }
  // every other tick has rates (busy → busy-later, over 1 s here: 10× the 10 s fixture rates); the others go back
  const r = readHistory(servicesOf(ctx, sampler), { metrics: ['cpu.busyPct', 'disk.nvme0n1.utilPct', 'mem.majorFaultsPerSec', 'load.1'], since: '2026-01-31T12:00:00Z', until: '2026-01-31T12:00:30Z', maxPoints: 15 }, T0 + 30_000);
  const [cpu, disk, faults, load] = r.data.series;
  assert.equal(cpu!.stepSec, 2);
  assert.equal(cpu!.points.length, 15);
  assert.ok(cpu!.points.every((p) => p[1] === 87), JSON.stringify(cpu!.points));
  assert.deepEqual(cpu!.stats, { min: 87, avg: 87, p95: 87, max: 87, count: 15 });
  assert.deepEqual(disk!.stats.max, 100); // 9900 io ms in a 1 s window, clamped to 100 %
  assert.deepEqual(faults!.stats, { min: 1500, avg: 1500, p95: 1500, max: 1500, count: 15 });
  assert.ok(load!.points.every((p) => p[1] === 14.565)); // gauges every tick: mean of 14.52 and 14.61
  assert.equal(load!.stats.count, 30);
  assert.equal(r.data.coverage.from, '2026-01-31T12:00:00Z');
  assert.deepEqual(r.warnings, []);
});
