import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostlensError } from '../contracts/errors.js';
import type { Services } from '../definitions/host-services.js';
import { getCgroup } from '../tools/get-cgroup.js';
import { FIXTURE_HOSTS, fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { measureCgroup } from './cgroup-detail.js';

const byCode = (as: { code: string; status: string; value: number | null }[]) => Object.fromEntries(as.map((a) => [a.code, [a.status, a.value]]));

function call(services: Services, args: Parameters<typeof getCgroup.handler>[0], signal = new AbortController().signal) {
  const progress: number[] = [];
  return {
    progress,
    result: getCgroup.handler(args, { services, served: new Map(), signal, progress: async (f) => void progress.push(f) }),
  };
}

test('cgroup-v1: billing-api.service measured over a 2 s window (counters advanced between the readings)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'cg-v1-'));
  try {
    cpSync(join(FIXTURE_HOSTS, 'cgroup-v1'), root, { recursive: true, verbatimSymlinks: true });
    const services = servicesAt(root);
    const svc = 'sys/fs/cgroup/%s/system.slice/billing-api.service';
    let clock = 1000;
    const r = await measureCgroup(services, { unit: 'billing-api.service' }, {
      windowSec: 2,
      now: () => clock,
      sleep: async (ms) => {
        // 2 s later: +3 s of CPU (1.5 cores), +20 periods of which 8 throttled, +0.6 s throttled
        writeFileSync(join(root, svc.replace('%s', 'cpuacct'), 'cpuacct.usage'), `${7200000000000 + 3e9}\n`);
        writeFileSync(join(root, svc.replace('%s', 'cpu'), 'cpu.stat'), `nr_periods 50020\nnr_throttled 12008\nthrottled_time ${912000000000 + 6e8}\n`);
        clock += ms;
      },
    });
    assert.equal(r.windowSec, 2);
    const d = r.data;
    assert.equal(d.version, 1);
    assert.equal(d.mode, 'v1');
    assert.equal(d.path, '/system.slice/billing-api.service');
    const svcPath = '/system.slice/billing-api.service';
    assert.deepEqual(d.controllerPaths, { memory: svcPath, cpu: svcPath, cpuacct: svcPath, pids: svcPath, blkio: svcPath });
    assert.deepEqual(d.cpu, {
      quotaCores: 2,
      periodUs: 100000,
      usageCores: 1.5,
      usagePct: 75,
      usagePctOf: 'quota',
      throttledPeriodsPct: 40,
      throttledSec: 0.6,
      nrPeriods: 50020,
      nrThrottled: 12008,
      throttledTotalSec: 912.6,
    });
    assert.deepEqual(d.memory, {
      currentBytes: 2040109465,
      maxBytes: 2147483648,
      usedPct: 95,
      highBytes: null,
      peakBytes: 2147483648,
      swapCurrentBytes: 53896807,
      events: { oom: null, oomKill: 3, high: null, max: 1234 },
    });
    assert.deepEqual(d.pids, { current: 180, max: 4096, usedPct: 4.4 });
    assert.deepEqual(d.io, { readBytes: 209715200, writeBytes: 1048576000 });
    assert.deepEqual(byCode(r.assessments), {
      'cgroup.memory_used': ['critical', 95],
      'cgroup.cpu_throttled': ['critical', 40],
      'cgroup.pids': ['ok', 4.4],
      'cgroup.oom_kills': ['warning', 3],
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cgroup-v1: our unlimited service has no limit assessments; usagePct is of all CPUs', async () => {
  const { result } = call(servicesAt(FIXTURE_HOSTS + 'cgroup-v1'), { target: { path: '/system.slice/hostlens.service' }, windowSec: 0.2 });
  const r = await result;
  assert.equal(r.data.memory.maxBytes, null);
  assert.equal(r.data.cpu.quotaCores, null);
  assert.equal(r.data.cpu.usageCores, 0); // a recorded tree does not move
  assert.equal(r.data.cpu.usagePctOf, 'cpus');
  assert.equal(r.data.pids.max, null);
  assert.deepEqual(byCode(r.assessments ?? []), { 'cgroup.oom_kills': ['ok', 0] });
  assert.ok(r.windowSec! >= 0.19 && r.windowSec! < 5, String(r.windowSec));
});

test('container-v2 through the tool: memory near its limit, OOM kill, idle window = 0 % throttled, PSI', async () => {
  const { result, progress } = call(fixtureServices('container-v2'), { target: { pid: 7 }, windowSec: 0.2 });
  const r = await result;
  const d = r.data;
  assert.equal(d.version, 2);
  assert.equal(d.path, '/');
  assert.equal(d.controllerPaths, null);
  assert.equal(d.memory.usedPct, 93.8); // 503316480 / 536870912
  assert.equal(d.cpu.quotaCores, 0.5);
  assert.equal(d.cpu.throttledPeriodsPct, 0);
  assert.equal(d.cpu.nrThrottled, 45500);
  assert.equal(d.cpu.throttledTotalSec, 2275);
  assert.deepEqual(d.memory.events, { oom: 2, oomKill: 1, high: 0, max: 57 });
  assert.equal(d.pressure.cpu?.some.avg10Pct, 22.5);
  assert.equal(d.pressure.memory?.some.totalUsec, 5566778);
  assert.deepEqual(byCode(r.assessments ?? []), {
    'cgroup.memory_used': ['warning', 93.8],
    'cgroup.cpu_throttled': ['ok', 0],
    'cgroup.pids': ['ok', 4.5],
    'cgroup.oom_kills': ['warning', 1],
  });
  assert.deepEqual([progress[0], progress.at(-1)], [0, 1]);
  const text = getCgroup.render(r);
  assert.match(text, /cgroup \/ \(v2, v2\)/);
  assert.match(text, /oom kills 1/);
});

test('unknown targets are clear tool errors; an aborted window rejects', { timeout: 30_000 }, async (t) => {
  const services = servicesAt(FIXTURE_HOSTS + 'cgroup-v1');
  await assert.rejects(call(services, { target: { pid: 424242 } }).result, (e) => e instanceof HostlensError && /no process with pid 424242/.test(e.message));
  await assert.rejects(call(services, { target: { unit: 'ghost.service' } }).result, (e) => e instanceof HostlensError && /ghost\.service/.test(e.message));
  await assert.rejects(call(services, { target: { path: '/../../etc' } }).result, (e) => e instanceof HostlensError && /invalid cgroup path/.test(e.message));
  // Mocked timers never fire unless ticked, so the 10 s window cannot end by itself: a rejection proves the abort
  // ended it, and a window that ignored the abort would hang (the test's timeout is the guard).
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const ac = new AbortController();
  const pending = call(services, { target: { pid: 2201 }, windowSec: 10 }, ac.signal).result;
  t.mock.timers.tick(50);
  ac.abort();
  await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
  t.mock.timers.reset();
});

test('input schema: exactly one of pid, unit, path; windowSec bounded', () => {
  const ok = (v: unknown) => getCgroup.input.safeParse(v).success;
  assert.equal(ok({ target: { pid: 1 } }), true);
  assert.equal(ok({ target: { unit: 'a.service' } }), true);
  assert.equal(ok({ target: { path: '/' } }), true);
  assert.equal(ok({ target: { pid: 1, unit: 'a.service' } }), false);
  assert.equal(ok({ target: {} }), false);
  assert.equal(ok({ target: { pid: 0 } }), false);
  assert.equal(ok({ target: { pid: 1 }, windowSec: 0.1 }), false);
  assert.equal(ok({ target: { pid: 1 }, windowSec: 11 }), false);
});
