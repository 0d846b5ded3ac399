/** get_limits over the recorded busy tree (numbers by hand), garbage inputs, and the live host. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Services } from '../definitions/host-services.js';
import { servicesAt } from '../../test/fixtures/fixture-services.js';
import { createCollectorContext } from '../collectors/context.js';
import { parseFileNr, parseLoadavgThreads, parsePortRange, readLimits } from '../collectors/limits.js';
import { getLimits } from '../tools/get-limits.js';
import { readLimitsHealth } from './limits.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));

const services = (root: string): Services => servicesAt(root);

test('parsers: file-nr, port range, loadavg threads; garbage is null', () => {
  assert.deepEqual(parseFileNr('1590848\t0\t1638400\n'), { allocated: 1590848, max: 1638400 });
  assert.deepEqual(parseFileNr('2000 500 10000'), { allocated: 1500, max: 10000 }, 'old kernels report free handles');
  for (const bad of ['', '1 2', 'a b c', '1 5 10', '-1 0 5']) assert.equal(parseFileNr(bad), null, bad);
  assert.deepEqual(parsePortRange('32768\t60999\n'), { low: 32768, high: 60999 });
  for (const bad of ['', '5', '60999 32768', '1 70000', '1 2 3', 'x y']) assert.equal(parsePortRange(bad), null, bad);
  assert.equal(parseLoadavgThreads('14.52 12.80 9.31 18/912 6020\n'), 912);
  for (const bad of ['', '1 2 3', '1 2 3 x/y 5', '1 2 3 4/ 5']) assert.equal(parseLoadavgThreads(bad), null, bad);
});

test('busy host: fds near fs.file-max, conntrack nearly full, ephemeral ports estimate saturated (hand-computed)', () => {
  const r = readLimitsHealth(services(FIX + 'busy'));
  // file-nr 1590848 0 1638400 → 1590848 / 1638400 = 97.097 % → 97.1
  assert.deepEqual(r.data.fds, { allocated: 1590848, max: 1638400, usedPct: 97.1 });
  // loadavg 18/912 → 912 threads; 912 / 127632 = 0.714 % → 0.7; 912 / 4194304 = 0.02 % → 0
  assert.deepEqual(r.data.threads, { count: 912, max: 127632, usedPct: 0.7 });
  assert.deepEqual(r.data.pids, { count: 912, max: 4194304, usedPct: 0 });
  assert.equal(r.data.processes, 10);
  // sockstat TCP inuse 1250 + tw 28000 + TCP6 inuse 50 = 29300 vs 60999 − 32768 + 1 = 28232 ports → capped 100
  assert.deepEqual(r.data.ephemeralPorts, { low: 32768, high: 60999, rangeSize: 28232, inUseEstimate: 29300, usedPct: 100 });
  // nf_conntrack 255000 / 262144 = 97.27 % → 97.3
  assert.deepEqual(r.data.conntrack, { count: 255000, max: 262144, usedPct: 97.3 });
  assert.equal(r.data.cgroupPids?.usedPct, 0.2);
  // ranked by fd count: systemd 14, postgres 12 (of 1024 → 1.2 %), node 8, python3 6, and the odd comm
  assert.deepEqual(
    r.data.topFdProcesses.map((p) => [p.pid, p.comm, p.fdCount, p.fdLimit, p.usedPct]),
    [
      [1, 'systemd', 14, 1073741816, 0],
      [812, 'postgres', 12, 1024, 1.2],
      [4242, 'node', 8, 20000, 0],
      [3105, 'python3', 6, 1024, 0.6],
      [4077, 'my) weird (proc', 3, 1024, 0.3],
    ],
  );
  const status = Object.fromEntries(r.assessments.map((a) => [a.code, a.status]));
  assert.deepEqual(status, {
    'limits.fds': 'critical',
    'limits.pids': 'ok',
    'limits.threads': 'ok',
    'limits.ephemeral_ports': 'critical',
    'limits.cgroup_pids': 'ok',
    'limits.conntrack': 'critical',
    'limits.process_fds': 'ok',
  });
  assert.equal(r.assessments.find((a) => a.code === 'limits.process_fds')?.value, 1.2, 'the worst share is postgres, not the biggest count');
  assert.match(getLimits.render({ data: r.data, assessments: r.assessments }), /open files: 1590848 of 1638400 \(97\.1%\)/);
});

test('readLimits: topN bound, and an empty or garbage tree never throws', () => {
  assert.equal(readLimits(createCollectorContext({ root: FIX + 'busy' }), 2).topFd.length, 2);
  const root = mkdtempSync(join(tmpdir(), 'hostlens-limits-'));
  try {
    const empty = readLimitsHealth(services(root));
    assert.equal(empty.data.fds, null);
    assert.equal(empty.data.pids, null);
    assert.deepEqual(empty.data.topFdProcesses, []);
    assert.ok(empty.assessments.every((a) => a.status === 'unknown'), JSON.stringify(empty.assessments));
    mkdirSync(join(root, 'proc/sys/fs'), { recursive: true });
    mkdirSync(join(root, 'proc/sys/net/ipv4'), { recursive: true });
    mkdirSync(join(root, 'proc/77/fd'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/fs/file-nr'), '\0garbage');
    writeFileSync(join(root, 'proc/sys/net/ipv4/ip_local_port_range'), '70000 1');
    writeFileSync(join(root, 'proc/loadavg'), 'truncated');
    writeFileSync(join(root, 'proc/77/fd/0'), '');
    writeFileSync(join(root, 'proc/77/limits'), 'nonsense');
    const g = readLimitsHealth(services(root));
    assert.equal(g.data.fds, null);
    assert.equal(g.data.ephemeralPorts, null);
    assert.deepEqual(g.data.topFdProcesses, [{ pid: 77, comm: null, fdCount: 1, fdLimit: null, usedPct: null }]);
    const w = g.warnings.join('\n');
    assert.match(w, /file-nr: malformed/);
    assert.match(w, /ip_local_port_range: malformed/);
    assert.match(w, /loadavg/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// Its speed is a benchmark figure (get_limits in bench/tools.ts, with 1,000 extra processes), printed here only.
test('live host: sane shares, at most 10 fd holders', (t) => {
  const s = services('/');
  const t0 = performance.now();
  const r = readLimitsHealth(s);
  t.diagnostic(`readLimitsHealth on / took ${Math.round(performance.now() - t0)} ms`);
  assert.ok(r.data.fds && r.data.fds.max > 0);
  assert.ok(r.data.threads && r.data.threads.count > 0);
  assert.ok(r.data.topFdProcesses.length > 0 && r.data.topFdProcesses.length <= 10);
  for (const p of r.data.topFdProcesses) assert.ok(p.fdCount > 0 && (p.usedPct === null || (p.usedPct >= 0 && p.usedPct <= 100)));
});
