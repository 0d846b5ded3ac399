/**
 * The psi-stall and oom recorded trees through the tool handlers (get_pressure, get_memory,
 * triage_host): the stalls and OOM kills they model are reported, in the window and since boot,
 * with the right assessments. The sampler ticks over <tree> then <tree>-later, 10 s apart.
 */
import { toolContext } from '../support/tool-context.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Services } from '../../src/definitions/host-services.js';
import type { ToolDefinition, ToolOutput } from '../../src/definitions/types.js';
import type { Assessment } from '../../src/contracts/assessment.js';
import type { MemoryData } from '../../src/diagnostics/memory.js';
import type { PressureDetail } from '../../src/diagnostics/pressure-detail.js';
import type { TriageData } from '../../src/diagnostics/triage.js';
import { getMemory } from '../../src/tools/get-memory.js';
import { getPressure } from '../../src/tools/get-pressure.js';
import { triageHost } from '../../src/tools/triage-host.js';
import { fixtureServices } from '../fixtures/fixture-services.js';
import { productCatalogue } from '../../src/catalogue/index.js';
import { servedTools } from '../../src/catalogue/served-tools.js';

/** What a default server serves: triage_host suggests only these tools. */
const SERVED = servedTools(productCatalogue.tools, ['core']);

async function call<D>(tool: unknown, services: Services, args: Record<string, unknown> = {}): Promise<ToolOutput<D>> {
  const t = tool as ToolDefinition;
  const out = await t.handler(t.input.parse(args), toolContext(services));
  assert.ok(t.render(out as never).length > 0);
  return out as ToolOutput<D>;
}

const byCode = (list: Assessment[] | undefined, code: string): Assessment | undefined => list?.find((a) => a.code === code);

test('psi-stall: get_pressure reports critical cpu, memory and io stalls and the stall share over the 10 s window', async () => {
  const r = await call<PressureDetail>(getPressure, fixtureServices('psi-stall', 'psi-stall-later'));
  assert.equal(r.windowSec, 10);
  const sys = r.data.system;
  assert.equal(sys.cpu?.some.avg10Pct, 72.4);
  assert.equal(sys.cpu?.some.stallPctInWindow, 72); // +7.2 s of 10 s
  assert.equal(sys.memory?.some.stallPctInWindow, 48); // +4.8 s
  assert.equal(sys.memory?.full?.stallPctInWindow, 31.5); // +3.15 s
  assert.equal(sys.io?.some.stallPctInWindow, 55); // +5.5 s
  assert.equal(sys.io?.full?.stallPctInWindow, 35.2); // +3.52 s
  for (const [code, value] of [['pressure.cpu', 72.4], ['pressure.memory', 31.5], ['pressure.io', 35.2]] as const) {
    const a = byCode(r.assessments, code);
    assert.equal(a?.status, 'critical', `${code}: ${JSON.stringify(a)}`);
    assert.equal(a?.value, value);
  }
});

test('psi-stall: triage_host puts the pressure area at critical, with the window stalls and iowait, and points at the CPU, disk and memory tools', async () => {
  const r = await call<TriageData>(triageHost, fixtureServices('psi-stall', 'psi-stall-later'));
  const a = r.data.areas;
  assert.equal(r.data.overall, 'critical');
  assert.equal(a.pressure.status, 'critical');
  assert.deepEqual([a.pressure.cpuSomeAvg10Pct, a.pressure.memoryFullAvg10Pct, a.pressure.ioFullAvg10Pct], [72.4, 31.5, 35.2]);
  assert.deepEqual([a.pressure.memoryFullPctInWindow, a.pressure.ioFullPctInWindow], [31.5, 35.2]);
  assert.equal(a.cpu.iowaitPct, 30); // +600 of 2000 ticks
  assert.equal(a.cpu.status, 'warning');
  assert.equal(a.memory.status, 'ok', 'stalls without low memory are not a memory finding');
  const codes = r.data.findings.map((f) => f.code);
  assert.deepEqual(codes.slice(0, 3).sort(), ['pressure.cpu', 'pressure.io', 'pressure.memory']);
  const tools = r.data.nextSteps.map((s) => s.tool);
  for (const t of ['top_processes', 'get_disk_io', 'get_memory']) assert.ok(tools.includes(t), `${t} in ${tools}`);
});

test('oom: get_memory reports the OOM kills since boot and in the window, and low memory, as critical', async () => {
  const r = await call<MemoryData>(getMemory, fixtureServices('oom', 'oom-later'));
  assert.equal(r.data.oomKillsSinceBoot, 7, 'since boot is read from the current tree');
  assert.equal(r.data.oomKillsInWindow, 2, 'oom_kill 7 → 9 over the window');
  assert.equal(r.data.majorFaultsPerSec, 500);
  assert.equal(r.data.availablePct, 3); // 243912 / 8130412 kB
  const oom = byCode(r.assessments, 'memory.oom_kill');
  assert.equal(oom?.status, 'critical');
  assert.equal(oom?.value, 2);
  assert.equal(byCode(r.assessments, 'memory.available_low')?.status, 'critical');
});

test('oom: triage_host reports the OOM kills and memory at critical, other areas calm', async () => {
  const r = await call<TriageData>(triageHost, fixtureServices('oom', 'oom-later'));
  const a = r.data.areas;
  assert.equal(a.memory.status, 'critical');
  assert.deepEqual([a.memory.oomKillsInWindow, a.memory.oomKillsSinceBoot, a.memory.availablePct], [2, 7, 3]);
  assert.equal(a.cpu.busyPct, 15); // +300 of 2000 ticks
  assert.equal(a.cpu.status, 'ok');
  const codes = r.data.findings.filter((f) => f.status === 'critical').map((f) => f.code).sort();
  assert.deepEqual(codes, ['memory.available_low', 'memory.oom_kill']);
  assert.equal(r.data.nextSteps[0]?.tool, 'get_memory');
  assert.ok(r.data.nextSteps.some((s) => s.tool === 'top_processes' && s.args.sortBy === 'memory'));
});

test('the same trees without a window: no OOM kills "in the window" are invented', async () => {
  const r = await call<MemoryData>(getMemory, fixtureServices('oom'));
  assert.equal(r.data.oomKillsSinceBoot, 7);
  assert.equal(r.data.oomKillsInWindow, 0, 'two ticks over the same tree: 0 new kills');
  assert.equal(byCode(r.assessments, 'memory.oom_kill'), undefined);
});
