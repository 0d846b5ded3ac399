/**
 * The diagnostics layer over recorded host trees (fixture trees read through
 * the very same collector code path): a busy host, an idle host and a
 * cgroup-v2 container. CPU comes from two sampler ticks over busy/ then
 * busy-later/ (10 s apart on the sampler's clock).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureServices } from '../../test/fixtures/services.js';
import { readCpu } from './cpu.js';
import { readMemory } from './memory.js';
import { readFilesystemHealth } from './filesystems.js';
import { runTriage } from './triage.js';



test('recorded busy host: triage is critical with cpu, memory, filesystem and pressure findings', async () => {
  const s = fixtureServices('busy', 'busy-later');
  const r = await runTriage(s);
  assert.equal(r.data.overall, 'critical');
  assert.equal(r.windowSec, 10, 'the CPU window is the sampler window');
  const codes = r.data.findings.map((f) => f.code);
  for (const code of ['cpu.busy', 'memory.available_low', 'filesystem.space', 'pressure.memory']) assert.ok(codes.includes(code), `${code} in ${codes}`);
  assert.equal(r.data.findings[0]?.status, 'critical', 'findings are ranked worst first');
  for (let i = 1; i < r.data.findings.length; i++) {
    const order = { critical: 2, warning: 1 } as Record<string, number>;
    assert.ok((order[r.data.findings[i - 1]!.status] ?? 0) >= (order[r.data.findings[i]!.status] ?? 0));
  }
  assert.equal(r.data.areas.memory.availablePct, 2.6); // 409600 / 16005120 kB
  assert.equal(r.data.areas.pressure.memoryFullAvg10Pct, 18.2);
  assert.ok(r.data.nextSteps.some((n) => n.tool === 'top_processes' && n.args.sortBy === 'memory'));
  assert.ok(r.data.nextSteps.some((n) => n.tool === 'get_filesystems'));
  for (const a of r.assessments) assert.ok(['ok', 'warning', 'critical', 'unknown'].includes(a.status));
});

test('recorded idle host: triage is ok with no findings', async () => {
  const s = fixtureServices('idle');
  // A recorded tree does not advance: CPU utilisation is honestly unknown, not 0 %.
  const r = await runTriage(s, { windowSec: 0.2 });
  assert.equal(r.data.findings.length, 0, JSON.stringify(r.data.findings));
  assert.equal(r.data.areas.cpu.status, 'unknown');
  assert.equal(r.data.areas.cpu.busyPct, null);
  assert.ok(r.warnings.some((w) => w.includes('did not advance')));
  assert.equal(r.data.areas.load.status, 'ok');
  assert.ok(r.warnings.some((w) => w.includes('/mnt/nfs')), 'the unmeasured NFS mount is a warning, not an unknown area');
  assert.equal(r.data.areas.memory.status, 'ok');
  assert.equal(r.data.areas.filesystem.status, 'ok');
});

test('recorded cgroup-v2 container: limits show in cpu and memory', async () => {
  const s = fixtureServices('container-v2');
  const mem = readMemory(s);
  assert.equal(mem.data.cgroup?.maxBytes, 536870912);
  const cpu = await readCpu(s, { windowSec: 0.2 });
  assert.equal(cpu.data.cgroupCpuQuotaCores, 0.5);
  assert.equal(cpu.data.effectiveCpus, 0.5);
  const fs = readFilesystemHealth(s);
  assert.ok(fs.data.mounts.some((m) => m.mount === '/' && m.fsType === 'overlay'));
});

test('recorded busy host: a nearly full filesystem is flagged by mount', () => {
  const s = fixtureServices('busy');
  const fs = readFilesystemHealth(s);
  const flagged = fs.assessments.filter((a) => a.code === 'filesystem.space' && a.status !== 'ok');
  assert.ok(flagged.length >= 1);
  assert.ok(flagged.every((a) => a.value !== null && a.threshold !== null && a.value >= a.threshold));
});
