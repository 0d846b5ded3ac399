/**
 * Parser fuzz: every collector reader over damaged copies of recorded /proc and /sys files —
 * truncated at a random byte, random bytes, empty, huge lines / NULs, wrong numbers — with a seeded
 * PRNG (FUZZ_SEED overrides; every failure names the seed, case, kind and file). Per case the sampler
 * ticks over the intact tree and then over the damaged one, the reader runs, and (for every damaged
 * case of the empty/random kinds and a share of the others) the tool serving that area runs in
 * process. Asserted: nothing throws; no invented numbers (NaN, Infinity, negative bytes/counts/rates,
 * shares outside 0–100); tool output fits its schema; and an empty or random-bytes file leaves that
 * area `unknown` with a warning instead of a made-up judgement.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readCgroup } from '../../src/collectors/cgroup.js';
import { readCgroupTarget } from '../../src/collectors/cgroup-target.js';
import { readSocketTables } from '../../src/collectors/sockets.js';
import { walkCgroupStalls } from '../../src/collectors/cgroup-pressure.js';
import { createCollectorContext } from '../../src/collectors/context.js';
import type { CollectorContext } from '../../src/collectors/context.js';
import { readCpuInfo, readCpuStat, readLoadAvg } from '../../src/collectors/cpu.js';
import { readDiskStats } from '../../src/collectors/disks.js';
import { readFilesystems } from '../../src/collectors/filesystems.js';
import { readLimits } from '../../src/collectors/limits.js';
import { readMemInfo, readVmStat } from '../../src/collectors/memory.js';
import { readNetCounters, readSockstat, readTcpStates } from '../../src/collectors/network.js';
import { enrichProcess, parseLimitsTable } from '../../src/collectors/process-detail.js';
import { readPressure } from '../../src/collectors/pressure.js';
import { scanProcesses } from '../../src/collectors/processes.js';
import { readText } from '../../src/collectors/read.js';
import { readSysctl } from '../../src/collectors/sysctl.js';
import { readSystemInfo } from '../../src/collectors/system.js';
import { HostlensError } from '../../src/contracts/errors.js';
import { getCpu } from '../../src/tools/get-cpu.js';
import { getDiskIo } from '../../src/tools/get-disk-io.js';
import { getHistory } from '../../src/tools/get-history.js';
import { getProcess } from '../../src/tools/get-process.js';
import { listSockets } from '../../src/tools/list-sockets.js';
import { getFilesystems } from '../../src/tools/get-filesystems.js';
import { getLimits } from '../../src/tools/get-limits.js';
import { getMemory } from '../../src/tools/get-memory.js';
import { getNetwork } from '../../src/tools/get-network.js';
import { getPressure } from '../../src/tools/get-pressure.js';
import { getSysctl } from '../../src/tools/get-sysctl.js';
import { getSystemInfo } from '../../src/tools/get-system-info.js';
import { topProcessesTool } from '../../src/tools/top-processes.js';
import { triageHost } from '../../src/tools/triage-host.js';
import { callTool, fuzzRoot, inventedNumbers } from './harness.js';
import type { FuzzRoot } from './harness.js';
import { hash32, KINDS, mulberry32, mutate } from './mutate.js';

const BASE_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed_2026;
const CASES = Number(process.env.FUZZ_CASES ?? 200);
/** Besides every empty/random case, one case in this many also runs the tool. */
const TOOL_EVERY = 8;

interface Target {
  name: string;
  fixture: string;
  files: string[];
  read(ctx: CollectorContext): unknown;
  tool?: { def: unknown; args?: Record<string, unknown> };
  /**
   * Assessment codes of the area this file feeds: after an empty or random-bytes file, those present
   * must be `unknown` (at least one present) and the result must carry a warning.
   */
  unknownCodes?: string[];
}

const TARGETS: Target[] = [
  { name: 'cpu (proc/stat)', fixture: 'busy', files: ['proc/stat'], read: readCpuStat, tool: { def: getCpu }, unknownCodes: ['cpu.busy', 'cpu.iowait', 'cpu.steal'] },
  { name: 'cpu (loadavg)', fixture: 'busy', files: ['proc/loadavg'], read: readLoadAvg, tool: { def: getCpu }, unknownCodes: ['load.per_cpu'] },
  { name: 'cpu (cpuinfo)', fixture: 'busy', files: ['proc/cpuinfo'], read: readCpuInfo, tool: { def: getCpu } },
  { name: 'memory (meminfo)', fixture: 'busy', files: ['proc/meminfo'], read: readMemInfo, tool: { def: getMemory }, unknownCodes: ['memory.available_low'] },
  { name: 'memory (vmstat)', fixture: 'busy', files: ['proc/vmstat'], read: readVmStat, tool: { def: getMemory } },
  { name: 'pressure (proc/pressure)', fixture: 'busy', files: ['proc/pressure/cpu', 'proc/pressure/memory', 'proc/pressure/io'], read: readPressure, tool: { def: getPressure } },
  { name: 'filesystems (mountinfo)', fixture: 'busy', files: ['proc/4242/mountinfo'], read: (ctx) => readFilesystems(ctx, { includePseudo: true }), tool: { def: getFilesystems } },
  // statfs.json (a recorded tree's statfs results) is read when a context is made: a fresh context per case.
  { name: 'filesystems (recorded statfs.json)', fixture: 'busy', files: ['statfs.json'], read: (ctx) => readFilesystems(createCollectorContext({ root: ctx.root }), { includePseudo: true }) },
  { name: 'processes (stat/status)', fixture: 'busy', files: ['proc/3105/stat', 'proc/3105/status', 'proc/2231/stat', 'proc/812/status'], read: (ctx) => scanProcesses(ctx, { withStatus: true, withUid: true }), tool: { def: topProcessesTool, args: { sortBy: 'memory' } } },
  { name: 'system (uptime, os-release, osrelease)', fixture: 'busy', files: ['proc/uptime', 'etc/os-release', 'proc/sys/kernel/osrelease', 'proc/cpuinfo'], read: readSystemInfo, tool: { def: getSystemInfo } },
  { name: 'disks (diskstats)', fixture: 'busy', files: ['proc/diskstats'], read: readDiskStats, tool: { def: getDiskIo }, unknownCodes: ['disk.util', 'disk.await', 'disk.unavailable', 'disk.no_devices'] },
  { name: 'network (net/dev)', fixture: 'busy', files: ['proc/net/dev'], read: readNetCounters, tool: { def: getNetwork }, unknownCodes: ['network.interfaces', 'network.errors', 'network.drops'] },
  { name: 'network (snmp, netstat)', fixture: 'busy', files: ['proc/net/snmp', 'proc/net/netstat'], read: readNetCounters, tool: { def: getNetwork } },
  { name: 'network (sockstat, tcp)', fixture: 'busy', files: ['proc/net/sockstat', 'proc/net/sockstat6', 'proc/net/tcp', 'proc/net/tcp6'], read: (ctx) => ({ sockstat: readSockstat(ctx), tcp: readTcpStates(ctx, []) }), tool: { def: getNetwork } },
  { name: 'limits (file-nr, port range, process limits)', fixture: 'busy', files: ['proc/sys/fs/file-nr', 'proc/sys/net/ipv4/ip_local_port_range', 'proc/sys/kernel/threads-max', 'proc/812/limits'], read: readLimits, tool: { def: getLimits } },
  { name: 'sysctl (vm.*)', fixture: 'busy', files: ['proc/sys/vm/swappiness', 'proc/sys/vm/dirty_ratio'], read: (ctx) => readSysctl(ctx, 'vm.'), tool: { def: getSysctl, args: { prefix: 'vm.' } } },
  { name: 'cgroup-pressure (cgroup v2 PSI)', fixture: 'idle', files: ['sys/fs/cgroup/system.slice/postgresql.service/memory.pressure', 'sys/fs/cgroup/system.slice/postgresql.service/io.pressure', 'sys/fs/cgroup/system.slice/nginx.service/cpu.pressure'], read: (ctx) => walkCgroupStalls(ctx), tool: { def: getPressure } },
  // Cgroups, process detail, sockets and the sampler history: damaged the same way, judged by the same rules.
  { name: 'cgroup v2 (container memory/cpu/pids)', fixture: 'container-v2', files: ['sys/fs/cgroup/memory.max', 'sys/fs/cgroup/memory.current', 'sys/fs/cgroup/memory.events', 'sys/fs/cgroup/cpu.max', 'sys/fs/cgroup/cpu.stat', 'sys/fs/cgroup/pids.max'], read: (ctx) => readCgroup(ctx), tool: { def: getMemory } },
  { name: 'process-detail (limits, status)', fixture: 'busy', files: ['proc/812/limits', 'proc/812/status', 'proc/812/cmdline', 'proc/812/stat'], read: (ctx) => ({ detail: enrichProcess(ctx, 812), limits: parseLimitsTable(readText(`${ctx.root}/proc/812/limits`) ?? '') }), tool: { def: getProcess, args: { pid: 812, windowSec: 0.2 } } },
  { name: 'sockets (proc/net/tcp, tcp6)', fixture: 'busy', files: ['proc/net/tcp', 'proc/net/tcp6'], read: (ctx) => readSocketTables(ctx), tool: { def: listSockets } },
  { name: 'cgroup target (container v2 by path)', fixture: 'container-v2', files: ['sys/fs/cgroup/memory.max', 'sys/fs/cgroup/memory.events', 'sys/fs/cgroup/pids.current', 'sys/fs/cgroup/cpu.stat', 'sys/fs/cgroup/memory.pressure'], read: (ctx) => readCgroupTarget(ctx, { path: '/' }) },
  { name: 'history (sampler ticks over damaged stat, meminfo, diskstats, PSI)', fixture: 'busy', files: ['proc/stat', 'proc/meminfo', 'proc/diskstats', 'proc/pressure/memory', 'proc/net/dev'], read: (ctx) => readMemInfo(ctx), tool: { def: getHistory } },
];

const roots = new Map<string, FuzzRoot>();
after(() => {
  for (const r of roots.values()) r.dispose();
});
function rootFor(fixture: string, processScans = false): FuzzRoot {
  const key = `${fixture}${processScans ? '+scans' : ''}`;
  let r = roots.get(key);
  if (!r) {
    r = fuzzRoot(fixture, processScans);
    roots.set(key, r);
  }
  return r;
}

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${CASES} damaged inputs, no throw, no invented numbers, unknown + warning when unreadable`, async () => {
    const seed = (BASE_SEED ^ hash32(target.name)) >>> 0;
    const rng = mulberry32(seed);
    const fr = rootFor(target.fixture, target.tool?.def === topProcessesTool);
    const failures: string[] = [];
    try {
      for (let i = 0; i < CASES && failures.length < 5; i++) {
        const kind = KINDS[i % KINDS.length]!;
        const file = target.files[Math.floor(rng() * target.files.length)]!;
        const where = `seed ${BASE_SEED} (target seed ${seed}), case ${i}, ${kind} ${file}`;
        for (const f of target.files) fr.restore(f);
        fr.tick();
        const damaged = mutate(rng, kind, fr.original(file));
        fr.write(file, damaged);
        fr.tick();
        try {
          const bad = inventedNumbers(target.read(fr.services.collectors), 'reader');
          if (bad.length) failures.push(`${where}: reader invented ${bad.join(', ')}`);
        } catch (error) {
          failures.push(`${where}: reader threw ${(error as Error).stack?.split('\n').slice(0, 3).join(' ')}`);
          continue;
        }
        const strict = kind === 'empty' || kind === 'random';
        if (!target.tool || !(strict || i % TOOL_EVERY === 0)) continue;
        try {
          const { out, problems } = await callTool(target.tool.def, fr.services, target.tool.args);
          if (problems.length) failures.push(`${where}: tool ${problems.join('; ')}`);
          if (strict && target.unknownCodes) {
            const mine = (out.assessments ?? []).filter((a) => target.unknownCodes!.includes(a.code));
            if (mine.length === 0) failures.push(`${where}: no assessment among ${target.unknownCodes.join(', ')}`);
            const judged = mine.filter((a) => a.status !== 'unknown');
            if (judged.length) failures.push(`${where}: judged from an unreadable file: ${judged.map((a) => `${a.code}=${a.status} (${a.value})`).join(', ')}`);
            if (!(out.warnings && out.warnings.length > 0)) failures.push(`${where}: no warning about the unreadable file`);
          }
        } catch (error) {
          // A HostlensError is a clean isError answer the agent can act on (e.g. "no process with pid 812"), not a crash.
          if (!(error instanceof HostlensError)) failures.push(`${where}: tool threw ${(error as Error).stack?.split('\n').slice(0, 3).join(' ')}`);
        }
      }
    } finally {
      for (const f of target.files) fr.restore(f);
    }
    assert.deepEqual(failures, [], `FUZZ_SEED=${BASE_SEED} reproduces:\n${failures.join('\n')}`);
  });
}

test('fuzz triage_host: every area damaged at once still gives a schema-valid answer with unknown areas, never a throw', async () => {
  const rng = mulberry32((BASE_SEED ^ hash32('triage')) >>> 0);
  const fr = rootFor('busy');
  const files = ['proc/stat', 'proc/meminfo', 'proc/vmstat', 'proc/diskstats', 'proc/net/dev', 'proc/net/snmp', 'proc/pressure/memory', 'proc/sys/fs/file-nr', 'proc/4242/mountinfo', 'proc/loadavg'];
  const failures: string[] = [];
  try {
    for (let i = 0; i < 40 && failures.length < 5; i++) {
      const kind = KINDS[i % KINDS.length]!;
      for (const f of files) fr.restore(f);
      fr.tick();
      for (const f of files) fr.write(f, mutate(rng, kind, fr.original(f)));
      fr.tick();
      try {
        const { out, problems } = await callTool(triageHost, fr.services);
        if (problems.length) failures.push(`case ${i} ${kind}: ${problems.join('; ')}`);
        if (kind === 'empty') {
          const areas = (out.data as { areas: Record<string, { status: string }> }).areas;
          for (const area of ['cpu', 'load', 'memory', 'disk']) {
            if (areas[area]?.status !== 'unknown') failures.push(`case ${i} empty: area ${area} is ${areas[area]?.status}, not unknown`);
          }
          if (!out.warnings?.length) failures.push(`case ${i} empty: no warnings`);
        }
      } catch (error) {
        failures.push(`case ${i} ${kind}: threw ${(error as Error).message}`);
      }
    }
  } finally {
    for (const f of files) fr.restore(f);
  }
  assert.deepEqual(failures, [], `FUZZ_SEED=${BASE_SEED} reproduces:\n${failures.join('\n')}`);
});
