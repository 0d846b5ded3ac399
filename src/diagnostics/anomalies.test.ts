import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostlensError } from '../contracts/errors.js';
import { createHistory } from '../collectors/history.js';
import { detectAnomalies } from '../tools/detect-anomalies.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { resolveThresholds } from './thresholds.js';
import { anomalyRanges, assessAnomalies, compareSamples, MIN_POINTS, rankAnomalies } from './anomalies.js';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
/** Deterministic noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898) * 0.999;

test('compareSamples: median, MAD-scaled robust z, change %, direction; too few points → null', () => {
  const base = [10, 11, 9, 10, 12, 8, 10];
  const a = compareSamples('cpu.busyPct', '%', base, [30, 31, 29, 30, 30])!;
  // baseline median 10, MAD 1 → scale 1.4826; window median 30
  assert.deepEqual(a, { metric: 'cpu.busyPct', unit: '%', baselineMedian: 10, windowMedian: 30, changePct: 200, robustZ: 13.49, direction: 'up', points: { baseline: 7, window: 5 } });
  assert.equal(compareSamples('cpu.busyPct', '%', base, [5, 5, 6, 4, 5])!.direction, 'down');
  assert.equal(compareSamples('x', '%', base, [1, 2, 3, 4]), null); // 4 < MIN_POINTS
  assert.equal(MIN_POINTS, 5);
  assert.equal(compareSamples('x', '%', [1, 2, 3, Number.NaN, Number.NaN], [1, 2, 3, 4, 5]), null); // NaN does not count
  // a flat baseline (MAD 0) is floored: 5 % of the median or the unit's minimum, never a division by zero
  const flat = compareSamples('mem.availableBytes', 'bytes', Array(10).fill(8e9), Array(10).fill(6e9))!;
  assert.equal(flat.robustZ, -5); // −2e9 / (5 % of 8e9)
  assert.equal(flat.changePct, -25);
  // a smooth gauge drifting 4 % (load 8.58 → 8.95 with a tiny MAD) stays below 1
  const drift = compareSamples('load.1', 'load', [8.55, 8.56, 8.57, 8.58, 8.59, 8.6, 8.61], [8.9, 8.93, 8.95, 8.97, 9]);
  assert.ok(Math.abs(drift!.robustZ) < 1, `z ${drift!.robustZ}`);
  const zero = compareSamples('disk.sda.writeBytesPerSec', 'bytes/s', Array(10).fill(0), Array(10).fill(8192))!;
  assert.equal(zero.robustZ, 2); // 8192 / 4096 (the bytes/s minimum)
  assert.equal(zero.changePct, null);
  assert.equal(compareSamples('load.1', 'load', Array(10).fill(1), Array(10).fill(1))!.robustZ, 0);
});

/** 20 min of 1 s ticks ending at NOW: a step on cpu.busyPct 10 min ago, noise elsewhere, one flat metric. */
function stepHistory(step: { metric: string; before: number; after: number }) {
  const h = createHistory({ points1s: 1200 });
  for (let i = 0; i < 1200; i++) {
    const t = NOW - (1199 - i) * 1000;
    const after = i >= 600;
    h.record(t, [
      [step.metric, (after ? step.after : step.before) + noise(i)],
      ['load.1', 2],
      ['disk.sda.utilPct', 40 + 10 * noise(i + 7)],
      ['net.eth0.rxBytesPerSec', 1e6 + 1e5 * noise(i + 3)],
      ['psi.io.some', i % 200 === 0 ? 1 : null], // too sparse to compare
    ]);
  }
  return h;
}

test('rankAnomalies: a step change ranks first with its direction; a flat metric never ranks; sparse metrics are skipped', () => {
  const h = stepHistory({ metric: 'cpu.busyPct', before: 20, after: 70 });
  const r = anomalyRanges(h, { since: '-10m' }, undefined, NOW);
  assert.equal(r.resolution, '1s');
  assert.equal(r.baseline.toMs, r.window.fromMs);
  assert.equal(r.baseline.fromMs, NOW - 1_200_000); // as long as the window, right before it
  const { ranked, considered, skipped } = rankAnomalies(h, r);
  assert.equal(ranked[0]!.metric, 'cpu.busyPct');
  assert.equal(ranked[0]!.direction, 'up');
  assert.ok(ranked[0]!.robustZ > 20, `z ${ranked[0]!.robustZ}`);
  assert.ok(Math.abs(ranked[0]!.baselineMedian - 20) < 1 && Math.abs(ranked[0]!.windowMedian - 70) < 1);
  assert.ok(!ranked.some((a) => a.metric === 'load.1'));
  assert.ok(ranked.every((a) => Math.abs(a.robustZ) < Math.abs(ranked[0]!.robustZ) || a === ranked[0]));
  assert.deepEqual(skipped, ['psi.io.some']);
  assert.equal(considered, 4);
  const down = rankAnomalies(stepHistory({ metric: 'mem.availableBytes', before: 8e9, after: 2e9 }), r).ranked[0]!;
  assert.deepEqual([down.metric, down.direction, down.changePct], ['mem.availableBytes', 'down', -75]);
});

test('assessAnomalies: warnings only for key metrics moved the harmful way by ≥ 3.5; none → ok; no data → unknown', () => {
  const services = { thresholds: resolveThresholds() };
  const r = anomalyRanges(createHistory(), { since: '-10m' }, undefined, NOW);
  const rank = (metric: string, before: number, after: number) => rankAnomalies(stepHistory({ metric, before, after }), r);
  const up = rank('cpu.busyPct', 20, 70);
  const a = assessAnomalies(up.ranked, services, up.considered);
  assert.deepEqual(a.map((x) => [x.code, x.status, x.threshold]), [['anomaly.cpu.busyPct', 'warning', 3.5]]);
  const better = rank('cpu.busyPct', 70, 20); // CPU going DOWN is not harmful
  assert.deepEqual(assessAnomalies(better.ranked, services, better.considered).map((x) => [x.code, x.status]), [['anomaly.key_metrics', 'ok']]);
  const mem = rank('mem.availableBytes', 8e9, 2e9);
  assert.deepEqual(assessAnomalies(mem.ranked, services, mem.considered).map((x) => [x.code, x.status]), [['anomaly.mem.availableBytes', 'warning']]);
  const disk = rank('disk.nvme0n1.utilPct', 5, 95);
  assert.equal(assessAnomalies(disk.ranked, services, disk.considered)[0]!.code, 'anomaly.disk.utilPct');
  assert.equal(assessAnomalies([], services, 0)[0]!.status, 'unknown');
});

test('detect_anomalies: paged ranking with a cursor, explicit baseline, bad times are ToolErrors', async () => {
  const services = servicesAt(undefined);
  const now = Date.now();
  for (let i = 0; i < 600; i++) {
    const after = i >= 300;
    services.sampler.history.record(now - (599 - i) * 1000, [
      ['cpu.busyPct', (after ? 80 : 10) + noise(i)],
      ['psi.memory.full', (after ? 30 : 0) + Math.abs(noise(i))],
      ['load.1', (after ? 9 : 1) + noise(i) / 10],
    ]);
  }
  const ctx = { services, served: new Map(), signal: AbortSignal.timeout(5000), progress: async () => undefined };
  const call = (args: Record<string, unknown>) => detectAnomalies.handler(detectAnomalies.input.parse(args), ctx);
  const first = await call({ window: { since: '-5m' }, limit: 2 });
  assert.equal(first.data.ranked.length, 2);
  assert.equal(first.truncated?.total, 3);
  assert.equal(first.page?.field, 'ranked');
  assert.ok(first.data.ranked.every((a) => a.direction === 'up'));
  const rest = await call({ window: { since: '-5m' }, limit: 2, cursor: first.truncated!.nextCursor });
  assert.equal(rest.data.ranked.length, 1);
  const all = new Set([...first.data.ranked, ...rest.data.ranked].map((a) => a.metric));
  assert.deepEqual([...all].sort(), ['cpu.busyPct', 'load.1', 'psi.memory.full']);
  assert.ok(first.assessments!.some((a) => a.code === 'anomaly.psi.memory.full' && a.status === 'warning'));
  // an explicit baseline inside the step's "after" half: nothing moved
  const same = await call({ window: { since: '-2m' }, baseline: { since: '-4m', until: '-2m' } });
  assert.deepEqual(same.data.ranked, []);
  assert.equal(same.data.consideredCount, 3);
  assert.deepEqual(first.warnings, []); // 10 min of history cover the 5 min baseline
  const longer = await call({ window: { since: '-8m' } }); // baseline from -16m: before the history
  assert.ok(longer.warnings!.some((w) => /starts at .* after the baseline start .* baseline is partial/.test(w)), longer.warnings!.join('|'));
  await assert.rejects(call({ window: { since: 'an hour ago' } }), (e: Error) => e instanceof HostlensError && /window\.since/.test(e.message));
  await assert.rejects(call({ window: { since: '-5m' }, baseline: { since: '-30h' } }), (e: Error) => e instanceof HostlensError && /baseline\.since/.test(e.message));
  assert.throws(() => detectAnomalies.input.parse({ window: { since: '-5m' }, limit: 51 }));
});
