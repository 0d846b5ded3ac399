/**
 * The diagnostics layer over recorded host trees (fixture trees read through
 * the very same collector code path): a busy host, an idle host and a
 * cgroup-v2 container. CPU comes from two sampler ticks over busy/ then
 * busy-later/ (10 s apart on the sampler's clock).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { productCatalogue } from '../catalogue/index.js';
import { servedTools } from '../catalogue/served-tools.js';
import { FIXTURE_HOSTS, fixtureServices, servicesAt } from '../../test/fixtures/fixture-services.js';
import { readCpu } from './cpu.js';
import { readMemory } from './memory.js';
import { readFilesystemHealth } from './filesystems.js';
import { runTriage } from './triage.js';
import { suggestNextSteps } from './triage-next-steps.js';
import type { Assessment } from '../contracts/assessment.js';

/** What a server with only the core toolset serves. */
const CORE = servedTools(productCatalogue.tools, ['core']);

const ORDER: Record<string, number> = { critical: 2, warning: 1 };
const AREAS = ['cpu', 'load', 'memory', 'disk', 'filesystem', 'network', 'pressure', 'limits'] as const;

test('recorded busy host: triage is critical in every area and its findings are ranked worst first', async () => {
  const s = fixtureServices('busy', 'busy-later');
  const r = await runTriage(s, { servedTools: CORE });
  assert.equal(r.data.overall, 'critical');
  assert.equal(r.windowSec, 10, 'the window is the sampler window');
  const codes = r.data.findings.map((f) => f.code);
  for (const code of ['cpu.busy', 'memory.available_low', 'memory.oom_kill', 'filesystem.space', 'pressure.memory', 'disk.util', 'disk.await', 'network.drops', 'tcp.retrans', 'conntrack.used', 'limits.fds', 'limits.ephemeral_ports'])
    assert.ok(codes.includes(code), `${code} in ${codes}`);
  assert.ok(!codes.includes('limits.conntrack'), 'conntrack is judged once (network), not twice');
  for (let i = 1; i < r.data.findings.length; i++) assert.ok((ORDER[r.data.findings[i - 1]!.status] ?? 0) >= (ORDER[r.data.findings[i]!.status] ?? 0));
  for (const area of AREAS) assert.notEqual(r.data.areas[area].status, 'unknown', `${area} is measured on the busy tree`);
  const a = r.data.areas;
  assert.equal(a.memory.availablePct, 2.6); // 409600 / 16005120 kB
  assert.equal(a.memory.oomKillsInWindow, 1);
  assert.equal(a.memory.oomKillsSinceBoot, 3);
  assert.deepEqual([a.disk.busiestDevice, a.disk.busiestUtilPct, a.disk.worstAwaitMs, a.disk.status], ['nvme0n1', 99, 160, 'critical']);
  assert.deepEqual([a.network.worstDropsPerSec, a.network.worstErrorsPerSec, a.network.retransPct, a.network.conntrackUsedPct, a.network.timeWait], [505, 3, 4, 97.3, 28000]);
  assert.equal(a.pressure.memoryFullAvg10Pct, 18.2);
  assert.equal(a.pressure.memoryFullPctInWindow, 18, '1.8 s of full memory stall in the 10 s window');
  assert.deepEqual([a.limits.fdsUsedPct, a.limits.ephemeralPortsUsedPct, a.limits.threadsUsedPct, a.limits.status], [97.1, 100, 0.7, 'critical']);
  const tools = r.data.nextSteps.map((n) => n.tool);
  for (const t of ['get_memory', 'get_network', 'get_disk_io', 'get_limits', 'get_filesystems']) assert.ok(tools.includes(t), `${t} in ${tools}`);
  assert.deepEqual(r.data.nextSteps.find((n) => n.tool === 'get_disk_io')?.args, { devices: ['nvme0n1'] });
  assert.deepEqual(r.data.nextSteps.find((n) => n.tool === 'get_filesystems')?.args, { mount: '/var/lib/postgresql' });
  for (const x of r.assessments) assert.ok(['ok', 'warning', 'critical', 'unknown'].includes(x.status));
});

test('nextSteps name only core catalogue tools, with arguments their input schema accepts', async () => {
  const r = await runTriage(fixtureServices('busy', 'busy-later'), { servedTools: CORE });
  const core = new Map(productCatalogue.tools.filter((t) => t.toolset === 'core').map((t) => [t.name, t.input as z.ZodType]));
  assert.ok(r.data.nextSteps.length > 0);
  for (const step of r.data.nextSteps) {
    const schema = core.get(step.tool);
    assert.ok(schema, `${step.tool} is a core tool of the catalogue`);
    assert.ok(schema.safeParse(step.args).success, `${step.tool} accepts ${JSON.stringify(step.args)}`);
  }
});

test('nextSteps skip tools the server does not serve and arguments a tool would refuse', () => {
  const finding = (code: string): Assessment => ({ area: code.split('.')[0]!, status: 'critical', code, message: code, value: 99, threshold: 95, unit: '%' });
  const findings = [finding('filesystem.space'), finding('limits.process_fds'), finding('tcp.retrans')];
  const hints = { fullestMount: '/var/lib/postgresql', busiestDisk: null, worstFdPid: 812, scanRoots: ['/var'] };
  const none = suggestNextSteps(findings, hints, new Map());
  assert.deepEqual(none, [], 'no served tool → no step');
  const served = new Map<string, z.ZodType>([
    ['get_filesystems', z.object({ mount: z.string().optional() }).strict()],
    ['find_space_hogs', z.object({ path: z.string() }).strict()],
    ['get_process', z.object({ pid: z.number().int() }).strict()],
    ['list_sockets', z.object({ state: z.string() }).strict()], // would refuse {}: left out
  ]);
  const steps = suggestNextSteps(findings, hints, served);
  assert.deepEqual(
    steps.map((s) => [s.tool, s.args]),
    [
      ['get_filesystems', { mount: '/var/lib/postgresql' }],
      ['find_space_hogs', { path: '/var/lib/postgresql' }],
      ['get_process', { pid: 812 }],
    ],
  );
  const outside = suggestNextSteps(findings, { ...hints, scanRoots: ['/home'] }, served);
  assert.ok(!outside.some((s) => s.tool === 'find_space_hogs'), 'a mount outside the scan roots is not suggested for find_space_hogs');
});

test('recorded idle host: only the stalled postgresql cgroup is a finding', async () => {
  const s = fixtureServices('idle');
  // A recorded tree does not advance: CPU utilisation is honestly unknown, not 0 %.
  const r = await runTriage(s, { windowSec: 0.2, servedTools: CORE });
  assert.deepEqual(r.data.findings.map((f) => f.code), ['pressure.cgroup'], JSON.stringify(r.data.findings));
  assert.equal(r.data.areas.pressure.worstCgroup, '/system.slice/postgresql.service');
  assert.ok(r.data.nextSteps.some((n) => n.tool === 'get_pressure'));
  assert.equal(r.data.areas.cpu.status, 'unknown');
  assert.equal(r.data.areas.cpu.busyPct, null);
  assert.ok(r.warnings.some((w) => w.includes('did not advance')));
  assert.equal(r.data.areas.load.status, 'ok');
  assert.ok(r.warnings.some((w) => w.includes('/mnt/nfs')), 'the unmeasured NFS mount is a warning, not an unknown area');
  assert.equal(r.data.areas.memory.status, 'ok');
  assert.equal(r.data.areas.filesystem.status, 'ok');
});

test('triage with windowSec measures CPU, disk and network over one concurrent window, not three in a row', async () => {
  const s = servicesAt(FIXTURE_HOSTS + 'idle'); // real clock, no sampler ticks
  // Counts the measurements in progress at once: three in a row would never overlap, whatever the clock says.
  const measure = s.sampler.measure.bind(s.sampler);
  const asked: number[] = [];
  let cpuElapsedSec: number | null = null;
  let inFlight = 0;
  let maxInFlight = 0;
  s.sampler.measure = async (windowSec, opts) => {
    asked.push(windowSec);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      const m = await measure(windowSec, opts);
      if (opts?.counters !== true) cpuElapsedSec = m.elapsedSec; // disk and network ask for counters
      return m;
    } finally {
      inFlight -= 1;
    }
  };
  const r = await runTriage(s, { windowSec: 0.5, servedTools: CORE });
  assert.deepEqual(asked, [0.5, 0.5, 0.5], 'one window each for CPU, disk and network, as asked');
  assert.equal(maxInFlight, 3, 'the three windows were measured at the same time');
  assert.equal(r.windowSec, cpuElapsedSec, 'the reported window is the one measured');
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
