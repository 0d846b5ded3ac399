/**
 * triage_host: one USE-method sweep over cpu, load, memory, disk I/O, filesystems, network, pressure
 * (PSI, system and cgroups) and kernel limits, with ranked findings and the next tool calls worth
 * making. Every area comes from the same reading its own tool serves (readCpu, readMemory,
 * readDiskIo, readFilesystemHealth, readNetwork, readPressureDetail, readLimitsHealth): no second
 * implementation. Rates come from the background sampler; only windowSec waits, and then the CPU,
 * disk and network windows are measured concurrently (one wait, not three).
 * The result is remembered for diag://local/overview.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { statusRank, STATUSES, worstStatus } from '../contracts/assessment.js';
import type { Assessment, Status } from '../contracts/assessment.js';
import { readCpu } from './cpu.js';
import { readDiskIo } from './disks.js';
import { readFilesystemHealth } from './filesystems.js';
import { readLimitsHealth } from './limits.js';
import { readMemory } from './memory.js';
import { readNetwork } from './network.js';
import { readPressureDetail } from './pressure-detail.js';
import { suggestNextSteps } from './triage-next-steps.js';
import type { ServedTools } from './triage-next-steps.js';

const status = z.enum(STATUSES);
const num = z.number().nullable();

export const triageDataSchema = z.object({
  overall: status,
  areas: z.object({
    cpu: z.object({ status, busyPct: num, iowaitPct: num, stealPct: num }),
    load: z.object({ status, load1: num, loadPerCpu1: num, effectiveCpus: num }),
    memory: z.object({
      status,
      availablePct: num,
      availableBytes: num,
      swapUsedPct: num,
      /** pages swapped out per second over the sampler window */
      swapOutPerSec: num,
      oomKillsSinceBoot: num,
      oomKillsInWindow: num,
    }),
    disk: z.object({
      status,
      busiestDevice: z.string().nullable(),
      busiestUtilPct: num,
      /** the highest read or write await of any device in the window */
      worstAwaitMs: num,
      deviceCount: z.number().int(),
    }),
    filesystem: z.object({ status, fullestMount: z.string().nullable(), fullestUsedPct: num }),
    network: z.object({
      status,
      /** highest rx + tx drops per second of one interface (loopback excluded) */
      worstDropsPerSec: num,
      worstErrorsPerSec: num,
      retransPct: num,
      listenOverflowsPerSec: num,
      timeWait: z.number().int().nullable(),
      conntrackUsedPct: num,
    }),
    pressure: z.object({
      status,
      cpuSomeAvg10Pct: num,
      memoryFullAvg10Pct: num,
      ioFullAvg10Pct: num,
      /** share of the sampler window with all tasks stalled on memory */
      memoryFullPctInWindow: num,
      ioFullPctInWindow: num,
      /** the cgroup v2 path that stalls most (avg10), if any */
      worstCgroup: z.string().nullable(),
    }),
    limits: z.object({
      status,
      fdsUsedPct: num,
      pidsUsedPct: num,
      threadsUsedPct: num,
      /** an upper-bound estimate */
      ephemeralPortsUsedPct: num,
      /** the process closest to its soft open-files limit */
      worstProcessFdsUsedPct: num,
      worstProcessFdsPid: z.number().int().nullable(),
    }),
  }),
  /** non-ok assessments, worst first */
  findings: z
    .array(z.object({ rank: z.number().int(), area: z.string(), status, code: z.string(), message: z.string() })),
  /** tool calls worth making next, with arguments; only tools this server serves */
  nextSteps: z
    .array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()), why: z.string() })),
});
export type TriageData = z.infer<typeof triageDataSchema>;

export interface TriageResult {
  data: TriageData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
}

/** How far past its threshold a value is, relative to the threshold: orders findings of equal status. */
function severity(a: Assessment): number {
  if (a.value === null || a.threshold === null || a.threshold === 0) return 0;
  return Math.abs(a.value - a.threshold) / Math.abs(a.threshold);
}

function rankFindings(assessments: Assessment[]): Assessment[] {
  return assessments
    .filter((a) => a.status === 'warning' || a.status === 'critical')
    .sort((a, b) => statusRank(b.status) - statusRank(a.status) || severity(b) - severity(a));
}

interface TriageOptions {
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  /** Tools nextSteps may name (name → input schema): the tools the server serves. */
  servedTools: ServedTools;
  /**
   * Readings already taken for the same moment (capture_snapshot reads each area for its own
   * section): triage judges those instead of reading again. Each must be what the named
   * reader returns with triage's own arguments (limits: top 10 fd holders).
   */
  readings?: TriageReadings;
}

interface TriageReadings {
  cpu?: Awaited<ReturnType<typeof readCpu>>;
  disk?: Awaited<ReturnType<typeof readDiskIo>>;
  network?: Awaited<ReturnType<typeof readNetwork>>;
  memory?: ReturnType<typeof readMemory>;
  filesystems?: ReturnType<typeof readFilesystemHealth>;
  limits?: ReturnType<typeof readLimitsHealth>;
}

/** Lines of proc/net/tcp(6) triage reads at most for the TCP state count it does not report. */
const TRIAGE_TCP_LINES = 5000;

export async function runTriage(services: HostInputs, options: TriageOptions): Promise<TriageResult> {
  const win = options.windowSec !== undefined ? { windowSec: options.windowSec } : {};
  const sig = options.signal ? { signal: options.signal } : {};
  // Concurrent: with windowSec each measures the same fresh window; without, each reads the sampler.
  const given = options.readings ?? {};
  const [cpu, disk, net] = await Promise.all([
    given.cpu ?? readCpu(services, { ...win, ...sig, ...(options.progress ? { progress: options.progress } : {}) }),
    given.disk ?? readDiskIo(services, { ...win, ...sig }),
    given.network ?? readNetwork(services, { ...win, ...sig, maxTcpLines: TRIAGE_TCP_LINES }),
  ]);
  const memory = given.memory ?? readMemory(services);
  const fs = given.filesystems ?? readFilesystemHealth(services);
  const pressure = readPressureDetail(services, 1);
  const limits = given.limits ?? readLimitsHealth(services, 10);
  // Conntrack is judged once, under network (get_limits repeats it for its own sweep).
  const limitAssessments = limits.assessments.filter((a) => a.code !== 'limits.conntrack');

  const byArea = (area: string, list: Assessment[]): Status => worstStatus(list.filter((a) => a.area === area).map((a) => a.status));
  const fullest = fs.data.mounts
    .filter((m) => !m.readOnly && m.usedPct !== null)
    .sort((a, b) => (b.usedPct ?? 0) - (a.usedPct ?? 0))[0];
  const busiestDisk = disk.data.devices[0] ?? null;
  const awaits = disk.data.devices.flatMap((d) => [d.readAwaitMs, d.writeAwaitMs]).filter((v): v is number => v !== null);
  const netValue = (code: string): number | null => net.assessments.find((a) => a.code === code)?.value ?? null;
  const worstFd = limits.data.topFdProcesses.filter((p) => p.usedPct !== null).sort((a, b) => (b.usedPct ?? 0) - (a.usedPct ?? 0))[0];
  const psi = pressure.data.system;

  const assessments = [...cpu.assessments, ...memory.assessments, ...disk.assessments, ...fs.assessments, ...net.assessments, ...pressure.assessments, ...limitAssessments];
  const findings = rankFindings(assessments);
  const served = options.servedTools;
  const data: TriageData = {
    overall: worstStatus(assessments.map((a) => a.status)),
    areas: {
      cpu: { status: byArea('cpu', cpu.assessments), busyPct: cpu.data.busyPct, iowaitPct: cpu.data.iowaitPct, stealPct: cpu.data.stealPct },
      load: { status: byArea('load', cpu.assessments), load1: cpu.data.load1, loadPerCpu1: cpu.data.loadPerCpu1, effectiveCpus: cpu.data.effectiveCpus },
      memory: {
        status: byArea('memory', memory.assessments),
        availablePct: memory.data.availablePct,
        availableBytes: memory.data.availableBytes,
        swapUsedPct: memory.data.swapUsedPct,
        swapOutPerSec: memory.data.swapOutPerSec,
        oomKillsSinceBoot: memory.data.oomKillsSinceBoot,
        oomKillsInWindow: memory.data.oomKillsInWindow,
      },
      disk: {
        status: byArea('disk', disk.assessments),
        busiestDevice: busiestDisk?.name ?? null,
        busiestUtilPct: busiestDisk?.utilPct ?? null,
        worstAwaitMs: awaits.length ? Math.max(...awaits) : null,
        deviceCount: disk.data.devices.length,
      },
      filesystem: { status: byArea('filesystem', fs.assessments), fullestMount: fullest?.mount ?? null, fullestUsedPct: fullest?.usedPct ?? null },
      network: {
        status: byArea('network', net.assessments),
        worstDropsPerSec: netValue('network.drops'),
        worstErrorsPerSec: netValue('network.errors'),
        retransPct: net.data.tcp.retransPct,
        listenOverflowsPerSec: net.data.tcp.listenOverflowsPerSec,
        timeWait: net.data.tcp.timeWait,
        conntrackUsedPct: net.data.conntrack?.usedPct ?? null,
      },
      pressure: {
        status: byArea('pressure', pressure.assessments),
        cpuSomeAvg10Pct: psi.cpu?.some.avg10Pct ?? null,
        memoryFullAvg10Pct: psi.memory?.full?.avg10Pct ?? null,
        ioFullAvg10Pct: psi.io?.full?.avg10Pct ?? null,
        memoryFullPctInWindow: psi.memory?.full?.stallPctInWindow ?? null,
        ioFullPctInWindow: psi.io?.full?.stallPctInWindow ?? null,
        worstCgroup: pressure.data.cgroups[0]?.path ?? null,
      },
      limits: {
        status: byArea('limits', limitAssessments),
        fdsUsedPct: limits.data.fds?.usedPct ?? null,
        pidsUsedPct: limits.data.pids?.usedPct ?? null,
        threadsUsedPct: limits.data.threads?.usedPct ?? null,
        ephemeralPortsUsedPct: limits.data.ephemeralPorts?.usedPct ?? null,
        worstProcessFdsUsedPct: worstFd?.usedPct ?? null,
        worstProcessFdsPid: worstFd?.pid ?? null,
      },
    },
    findings: findings.map((f, i) => ({ rank: i + 1, area: f.area, status: f.status, code: f.code, message: f.message })),
    nextSteps: suggestNextSteps(
      findings,
      { fullestMount: fullest?.mount ?? null, busiestDisk: busiestDisk?.name ?? null, worstFdPid: worstFd?.pid ?? null, scanRoots: services.limits.scanRoots },
      served,
    ),
  };
  // Triage does not report TCP state counts, so their line cap is not worth a warning here.
  const netWarnings = net.warnings.filter((w) => !w.startsWith('TCP state counts stopped'));
  const warnings = [...cpu.warnings, ...memory.warnings, ...disk.warnings, ...fs.warnings, ...netWarnings, ...pressure.warnings, ...limits.warnings];
  return { data, windowSec: cpu.windowSec, assessments, warnings: [...new Set(warnings)] };
}
