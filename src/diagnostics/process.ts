/**
 * get_process: deep detail for one pid — identity (comm, redacted cmdline, exe, cwd, user, parent, start,
 * cgroup and systemd unit), CPU % over a stated window, memory, threads, fds by type against the soft
 * limit, context switches, storage I/O, OOM score, and on request the limits table, environment variable
 * NAMES (never values), children and listening ports (from the process's own network namespace).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { parseProcCgroup } from '../collectors/cgroup.js';
import { readCpuStat } from '../collectors/cpu.js';
import {
  FD_TYPES,
  enrichProcess,
  parseLimitsTable,
  parseProcIo,
  parseStatusDetail,
  readEnvNames,
  readProcLink,
  summarizeFdTargets,
  unitFromCgroupPath,
} from '../collectors/process-detail.js';
import { processCpuPct, processStartedAt, scanProcesses } from '../collectors/processes.js';
import type { ProcessScan } from '../collectors/processes.js';
import { parseInteger, pathExists, pct, readLine, readText, roundTo } from '../collectors/read.js';
import { readFdTargets, readSocketTables } from '../collectors/sockets.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { ifKnown } from '../util/missing.js';
import { redact } from '../redaction/redact.js';
import { isListening } from './sockets.js';
import { compareCodeUnits } from '../util/compare.js';

export const INCLUDE = ['limits', 'fds', 'env', 'children', 'sockets'] as const;
type Include = (typeof INCLUDE)[number];

/** Caps: fd links classified, env names, children listed. */
const PROCESS_CAPS = { maxFdLinks: 20_000, maxEnvNames: 200, maxChildren: 50, maxListening: 100 };

const int = z.number().int();
const num = z.number().nullable();
export const processDetailSchema = z.object({
  pid: int,
  comm: z.string().nullable(),
  /** e.g. "S (sleeping)", "R (running)", "D (disk sleep)", "Z (zombie)" */
  state: z.string().nullable(),
  /** argv joined by spaces, secrets redacted, clipped with …[+N chars]; null for kernel threads */
  cmdline: z.string().nullable(),
  /** readlink of proc/<pid>/exe; null when not permitted */
  exe: z.string().nullable(),
  /** readlink of proc/<pid>/cwd; null when not permitted */
  cwd: z.string().nullable(),
  uid: int.nullable(),
  user: z.string().nullable(),
  ppid: int.nullable(),
  startedAt: z.string().nullable(),
  /** cgroup v2 path (or the v1 systemd/cpu path) */
  cgroup: z.string().nullable(),
  /** systemd service owning the cgroup, e.g. nginx.service */
  unit: z.string().nullable(),
  /** % of ONE core over windowSec (a multi-threaded process can exceed 100) */
  cpuPct: num,
  cpuWindowSource: z.enum(['sampler', 'measured']),
  rssBytes: num,
  swapBytes: num,
  threads: int.nullable(),
  /** open file descriptors; null when proc/<pid>/fd is not readable */
  fdCount: int.nullable(),
  /** soft RLIMIT_NOFILE; null when unreadable or unlimited */
  fdLimit: int.nullable(),
  fdUsedPct: num,
  /** fds per kind (socket includes unix sockets; file includes devices); null unless include has fds/sockets */
  fdsByType: z.record(z.enum(FD_TYPES), int).nullable(),
  /** since the process started */
  ctxSwitches: z.object({ voluntary: int, involuntary: int }).nullable(),
  /** storage bytes read/written since start (proc/<pid>/io); null when not readable */
  io: z.object({ readBytes: z.number(), writeBytes: z.number() }).nullable(),
  oomScore: int.nullable(),
  /** -1000 = never OOM-killed, 1000 = killed first */
  oomScoreAdj: int.nullable(),
  /** proc/<pid>/limits; soft/hard null = unlimited; unit as the kernel names it (bytes, seconds, files, us, …) */
  limits: z
    .array(z.object({ name: z.string(), soft: z.number().nullable(), hard: z.number().nullable(), unit: z.string() }))
    .nullable(),
  /** environment variable NAMES only (values are never read into the result); null unless include has env or not readable */
  envNames: z.array(z.string()).nullable(),
  envCount: int.nullable(),
  children: z.array(z.object({ pid: int, comm: z.string() })).nullable(),
  childCount: int.nullable(),
  /** TCP LISTEN and unconnected UDP sockets held by the process */
  listeningPorts: z.array(z.object({ proto: z.string(), address: z.string(), port: int })).nullable(),
  /** its TCP/UDP sockets per state */
  socketsByState: z.record(z.string(), int).nullable(),
  redactions: int,
});
type ProcessDetailData = z.infer<typeof processDetailSchema>;

interface ProcessOptions {
  pid: number;
  include: readonly Include[];
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
}

interface ProcessResult {
  data: ProcessDetailData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
}

const MIN_BASELINE_MS = 200;

/** A process scan now plus this pid's CPU % over a stated window (sampler baseline or a fresh measurement). */
async function cpuWindow(services: HostInputs, o: ProcessOptions): Promise<{ scan: ProcessScan; cpuPct: number | null; windowSec: number; source: 'sampler' | 'measured' }> {
  const measure = async (sec: number) => {
    const m = await services.sampler.measure(sec, {
      processes: { withUid: false },
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (f) => void o.progress?.(f, `measuring CPU of pid ${o.pid} over ${sec} s`),
    });
    return { scan: m.end.processes!, cpuPct: m.processCpuPct.get(o.pid) ?? null, windowSec: roundTo(m.processElapsedSec ?? sec, 3), source: 'measured' as const };
  };
  if (o.windowSec !== undefined) return measure(o.windowSec);
  const base = services.sampler.processBaseline();
  if (!base || !base.scan.processes.some((p) => p.pid === o.pid)) return measure(1);
  const young = MIN_BASELINE_MS - (performance.now() - base.atMs);
  if (young > 0) await sleep(young, undefined, o.signal ? { signal: o.signal } : {});
  const t0 = performance.now();
  const scan = scanProcesses(services.collectors, { withUid: false });
  const elapsed = ((t0 + performance.now()) / 2 - base.atMs) / 1000;
  return { scan, cpuPct: processCpuPct(base.scan, scan, elapsed).get(o.pid) ?? null, windowSec: roundTo(elapsed, 3), source: 'sampler' };
}

/**
 * `missing: 'gone'` when there is no process with this pid; `'unreadable'` when
 * its directory exists but its stat cannot be parsed, or it exited during the window.
 */
export async function readProcessDetail(services: HostInputs, o: ProcessOptions): Promise<ProcessResult | { missing: 'gone' | 'unreadable' }> {
  const ctx = services.collectors;
  const dir = join(ctx.root, 'proc', String(o.pid));
  if (readText(join(dir, 'stat'), 4096) === null) return { missing: pathExists(dir) ? 'unreadable' : 'gone' };
  const w = await cpuWindow(services, o);
  const me = w.scan.processes.find((p) => p.pid === o.pid);
  const detail = enrichProcess(ctx, o.pid, me ? { startTimeTicks: me.startTimeTicks } : {});
  if (!me || !detail) return { missing: pathExists(dir) ? 'unreadable' : 'gone' };
  const warnings = [...detail.warnings];
  const want = new Set(o.include);
  const st = parseStatusDetail(readText(join(dir, 'status'), 16 * 1024) ?? '');
  const cg = readText(join(dir, 'cgroup'), 64 * 1024);
  const cgp = cg === null ? null : parseProcCgroup(cg);
  const cgroup = cgp ? (cgp.v2Path ?? cgp.v1.get('name=systemd') ?? cgp.v1.get('cpu') ?? null) : null;
  const bootTimeSec = readCpuStat(ctx).bootTimeSec;
  const red = detail.cmdline === null ? null : redact(detail.cmdline);

  let fdsByType: ProcessDetailData['fdsByType'] = null;
  let socketInodes = new Set<number>();
  if (want.has('fds') || want.has('sockets')) {
    const t = readFdTargets(ctx, o.pid, PROCESS_CAPS.maxFdLinks);
    if (t.error === null) {
      const s = summarizeFdTargets(t.targets);
      fdsByType = s.byType;
      socketInodes = new Set(s.socketInodes);
      if (t.total > s.classified) warnings.push(`fdsByType counts the first ${s.classified} of ${t.total} fds`);
    }
  }

  let limits: ProcessDetailData['limits'] = null;
  if (want.has('limits')) {
    const text = readText(join(dir, 'limits'), 8192);
    if (text !== null) {
      const p = parseLimitsTable(text);
      limits = p.limits;
      if (p.badLines > 0) warnings.push(`proc/${o.pid}/limits: ${p.badLines} malformed line(s) skipped`);
    }
  }

  let envNames: string[] | null = null;
  let envCount: number | null = null;
  if (want.has('env')) {
    const e = readEnvNames(ctx, o.pid, PROCESS_CAPS.maxEnvNames);
    if (e.error !== null) warnings.push(`proc/${o.pid}/environ: ${e.error} (names unavailable)`);
    else {
      envNames = e.names;
      envCount = e.total;
      if (e.total > e.names.length) warnings.push(`envNames lists ${e.names.length} of ${e.total} variables (capped, duplicates or unusual names omitted)`);
    }
  }

  let children: ProcessDetailData['children'] = null;
  let childCount: number | null = null;
  if (want.has('children')) {
    const kids = w.scan.processes.filter((p) => p.ppid === o.pid && p.pid !== o.pid);
    childCount = kids.length;
    children = kids.slice(0, PROCESS_CAPS.maxChildren).map((p) => ({ pid: p.pid, comm: p.comm }));
    if (kids.length > children.length) warnings.push(`children lists ${children.length} of ${kids.length}`);
  }

  let listeningPorts: ProcessDetailData['listeningPorts'] = null;
  let socketsByState: Record<string, number> | null = null;
  if (want.has('sockets') && fdsByType !== null) {
    // Its own network namespace (proc/<pid>/net); a recorded tree may only have proc/net.
    let tables = readSocketTables(ctx, { pid: o.pid });
    if (tables.readable.length === 0) tables = readSocketTables(ctx);
    for (const wmsg of tables.warnings) warnings.push(wmsg);
    const mine = tables.sockets.filter((s) => s.inode !== 0 && socketInodes.has(s.inode));
    socketsByState = {};
    for (const s of mine) socketsByState[s.state] = (socketsByState[s.state] ?? 0) + 1;
    const listening = mine.filter(isListening).sort((a, b) => a.localPort - b.localPort || compareCodeUnits(a.proto, b.proto));
    listeningPorts = listening.slice(0, PROCESS_CAPS.maxListening).map((s) => ({ proto: s.proto, address: s.localAddress, port: s.localPort }));
    if (listening.length > listeningPorts.length) warnings.push(`listeningPorts lists ${listeningPorts.length} of ${listening.length}`);
  }

  const io = readText(join(dir, 'io'), 4096);
  if (io === null) warnings.push(`proc/${o.pid}/io: unreadable`);
  const fdUsedPct = detail.fdCount !== null && detail.fdLimit !== null ? pct(detail.fdCount, detail.fdLimit) : null;
  const data: ProcessDetailData = {
    pid: o.pid,
    comm: st.name ?? me.comm,
    state: st.state ?? me.state,
    cmdline: red?.text ?? null,
    exe: readProcLink(ctx, o.pid, 'exe'),
    cwd: readProcLink(ctx, o.pid, 'cwd'),
    uid: detail.uid,
    user: detail.user,
    ppid: st.ppid ?? me.ppid,
    startedAt: bootTimeSec === null ? null : processStartedAt(me.startTimeTicks, bootTimeSec, ctx.clockTicks),
    cgroup,
    unit: unitFromCgroupPath(cgroup),
    cpuPct: w.cpuPct,
    cpuWindowSource: w.source,
    rssBytes: st.rssBytes ?? (me.kernelThread ? 0 : me.rssBytes),
    swapBytes: detail.swapBytes,
    threads: st.threads ?? me.threads,
    fdCount: detail.fdCount,
    fdLimit: detail.fdLimit,
    fdUsedPct,
    fdsByType,
    ctxSwitches: st.voluntaryCtxSwitches !== null && st.involuntaryCtxSwitches !== null ? { voluntary: st.voluntaryCtxSwitches, involuntary: st.involuntaryCtxSwitches } : null,
    io: io === null ? null : parseProcIo(io),
    oomScore: parseInteger(readLine(join(dir, 'oom_score'))),
    oomScoreAdj: parseInteger(readLine(join(dir, 'oom_score_adj'))),
    limits,
    envNames,
    envCount,
    children,
    childCount,
    listeningPorts,
    socketsByState,
    redactions: (red?.count ?? 0) + detail.cmdlineRedactions,
  };
  const assessments: Assessment[] = [
    assess({
      area: 'process',
      code: 'process.fds',
      label: `Open files of pid ${o.pid}${ifKnown(data.comm || null, (c) => ` (${c})`)} of its soft limit`,
      value: fdUsedPct,
      spec: services.thresholds['process.fdUsedPct'],
      ...(detail.fdCount !== null && detail.fdLimit !== null ? { evidence: [`${detail.fdCount} of ${detail.fdLimit}`] } : {}),
    }),
  ];
  return { data, windowSec: w.windowSec, assessments, warnings };
}
