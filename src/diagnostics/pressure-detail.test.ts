/** get_pressure over recorded trees: busy(+later) for system PSI and its 10 s window, idle for stalled cgroups. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { rankCgroupStalls, walkCgroupStalls } from '../collectors/cgroup-pressure.js';
import { createCollectorContext } from '../collectors/context.js';
import { getPressure } from '../tools/get-pressure.js';
import { readPressureDetail } from './pressure-detail.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));


test('busy host: system PSI averages and stall shares over the 10 s sampler window (hand-computed)', () => {
  const r = readPressureDetail(fixtureServices('busy', 'busy-later'), 5);
  assert.equal(r.windowSec, 10);
  assert.equal(r.data.available, true);
  // cpu some: 9880543210 − 9876543210 = 4,000,000 µs over 10 s → 40 %
  assert.deepEqual(r.data.system.cpu, { some: { avg10Pct: 41.27, avg60Pct: 38.02, avg300Pct: 30.55, stallPctInWindow: 40 }, full: { avg10Pct: 0, avg60Pct: 0, avg300Pct: 0, stallPctInWindow: null } });
  // memory some Δ 3,500,000 → 35 %; full Δ 1,800,000 → 18 %
  assert.equal(r.data.system.memory?.some.stallPctInWindow, 35);
  assert.equal(r.data.system.memory?.full?.stallPctInWindow, 18);
  assert.equal(r.data.system.memory?.full?.avg10Pct, 18.2);
  // io some Δ 2,500,000 → 25 %; full Δ 1,200,000 → 12 %
  assert.equal(r.data.system.io?.some.stallPctInWindow, 25);
  assert.equal(r.data.system.io?.full?.stallPctInWindow, 12);
  const status = Object.fromEntries(r.assessments.map((a) => [a.code, a.status]));
  // cpu some 41.27 (warning 25 / critical 60), memory full 18.2 (5 / 20), io full 12.4 (10 / 30)
  assert.deepEqual(status, { 'pressure.cpu': 'warning', 'pressure.memory': 'warning', 'pressure.io': 'warning' });
  // busy is a hybrid host whose unified hierarchy holds no child cgroup
  assert.deepEqual(r.data.cgroups, []);
  assert.equal(r.data.cgroupsExamined, 0);
});

test('idle host: stalled cgroups ranked by the worst of memory full / io full / cpu some; a malformed file warns', () => {
  const r = readPressureDetail(fixtureServices('idle'), 5);
  assert.equal(r.data.cgroupsExamined, 4, 'system.slice and its three services');
  assert.deepEqual(r.data.cgroups, [
    { path: '/system.slice/postgresql.service', memoryFullPct: 7.5, ioFullPct: 22.1, cpuSomePct: 3.1, memorySomePct: 12.5, ioSomePct: 30 },
    { path: '/system.slice/nginx.service', memoryFullPct: null, ioFullPct: 0, cpuSomePct: 9.4, memorySomePct: null, ioSomePct: 0 },
  ]);
  assert.equal(r.truncated, undefined);
  assert.match(r.warnings.join('\n'), /nginx\.service\/memory\.pressure: malformed/);
  const cg = r.assessments.find((a) => a.code === 'pressure.cgroup');
  // 22.1 % I/O full against io thresholds 10 / 30 → warning
  assert.equal(cg?.status, 'warning');
  assert.equal(cg?.value, 22.1);
  assert.match(cg?.message ?? '', /postgresql\.service/);
  // window of 0 stall: same tree sampled twice
  assert.equal(r.data.system.io?.some.stallPctInWindow, 0);
  const one = readPressureDetail(fixtureServices('idle'), 1);
  assert.deepEqual(one.truncated, { returned: 1, total: 2 });
  assert.equal(readPressureDetail(fixtureServices('idle'), 0).data.cgroups.length, 0);
});

test('cgroup walk: depth and count bounds cut and say so', () => {
  const ctx = createCollectorContext({ root: FIX + 'idle' });
  const shallow = walkCgroupStalls(ctx, 1);
  assert.equal(shallow.visited, 1);
  assert.equal(shallow.cut, true);
  assert.match(shallow.warnings.join(), /stopped at depth 1/);
  const few = walkCgroupStalls(ctx, 6, 2);
  assert.equal(few.visited, 2);
  assert.equal(few.cut, true);
  assert.deepEqual(rankCgroupStalls([]), []);
  assert.equal(walkCgroupStalls(createCollectorContext({ root: FIX + 'container-v2' })).visited, 0);
});

test('no PSI: unknown assessment and a warning, no throw; garbage PSI files too', () => {
  const root = mkdtempSync(join(tmpdir(), 'hostlens-psi-'));
  try {
    mkdirSync(join(root, 'proc'), { recursive: true });
    const s = servicesAt(root, { now: () => 0 });
    const r = readPressureDetail(s, 5);
    assert.equal(r.data.available, false);
    assert.deepEqual(r.data.system, { cpu: null, memory: null, io: null });
    assert.deepEqual(r.assessments.map((a) => [a.code, a.status]), [['pressure.unavailable', 'unknown']]);
    assert.match(r.warnings.join(), /PSI is not available/);
    mkdirSync(join(root, 'proc/pressure'));
    writeFileSync(join(root, 'proc/pressure/cpu'), 'some avg10=1');
    writeFileSync(join(root, 'proc/pressure/memory'), '\0\0\0');
    writeFileSync(join(root, 'proc/pressure/io'), 'some avg10=1.00 avg60=2.00 avg300=3.00 total=10\n');
    const g = readPressureDetail(s, 5);
    assert.equal(g.data.available, true);
    assert.equal(g.data.system.cpu, null);
    assert.equal(g.data.system.io?.full, null);
    assert.match(g.warnings.join(), /proc\/pressure\/cpu: malformed/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('get_pressure handler: fresh window measurement and text rendering; live host sanity', async () => {
  const s = fixtureServices('busy', 'busy-later');
  const out = await getPressure.handler({ windowSec: 0.2 }, { services: s, served: new Map(), signal: AbortSignal.timeout(10_000), progress: async () => undefined });
  assert.ok(out.windowSec !== undefined && out.windowSec >= 0.19);
  assert.equal(out.data.system.cpu?.some.stallPctInWindow, 0, 'the fixture does not advance');
  assert.match(getPressure.render(out), /PSI avg10\/avg60\/avg300/);
  const ls = servicesAt();
  const r = readPressureDetail(ls, 20);
  assert.ok(r.data.cgroups.length <= 20);
  for (const c of r.data.cgroups) assert.match(c.path, /^\//);
  if (r.data.available) for (const k of ['cpu', 'memory', 'io'] as const) if (r.data.system[k]) assert.ok(r.data.system[k]!.some.avg10Pct >= 0 && r.data.system[k]!.some.avg10Pct <= 100);
});
