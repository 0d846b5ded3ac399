/**
 * Top processes by interval CPU %, memory or open fds. CPU % is per process
 * over a stated window: a fresh scan now against the sampler's last baseline
 * scan, or two scans windowSec apart. 100 % = one full core.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readCpuStat } from '../collectors/cpu.js';
import { readMemInfo } from '../collectors/memory.js';
import { countProcessFds, enrichProcess } from '../collectors/process-detail.js';
import { processCpuPct, processStartedAt, scanProcesses } from '../collectors/processes.js';
import type { ProcessInfo, ProcessScan } from '../collectors/processes.js';
import { redact } from '../redaction/redact.js';

export const SORT_KEYS = ['cpu', 'memory', 'fds'] as const;
type SortKey = (typeof SORT_KEYS)[number];

const processSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  user: z.string().nullable(),
  comm: z.string(),
  /** argv joined by spaces, secrets redacted, clipped with …[+N chars] */
  cmdline: z.string().nullable(),
  /** R running, S sleeping, D uninterruptible (usually I/O), Z zombie, T stopped, I idle */
  state: z.string(),
  /** % of ONE core over the window (a multi-threaded process can exceed 100) */
  cpuPct: z.number().nullable(),
  rssBytes: z.number(),
  /** RSS as a share of MemTotal */
  memPct: z.number().nullable(),
  swapBytes: z.number().nullable(),
  /** open file descriptors; null when not readable (other users without privileges) */
  fdCount: z.number().nullable(),
  fdLimit: z.number().nullable(),
  threads: z.number().int(),
  startedAt: z.string().nullable(),
});

export const topProcessesDataSchema = z.object({
  sortBy: z.enum(SORT_KEYS),
  processes: z.array(processSchema),
  states: z.object({
    running: z.number().int(),
    sleeping: z.number().int(),
    blocked: z.number().int(),
    zombie: z.number().int(),
    stopped: z.number().int(),
    total: z.number().int(),
  }),
  totals: z.object({
    processCount: z.number().int(),
    threadCount: z.number().int(),
    /** sum of RSS over all processes (shared pages counted more than once) */
    rssBytes: z.number(),
    /** sum of process CPU % over the window, in % of one core */
    cpuPct: z.number().nullable(),
  }),
  cpuWindowSource: z.enum(['sampler', 'measured']),
  /** secrets redacted from command lines */
  redactions: z.number().int(),
});
export type TopProcessesData = z.infer<typeof topProcessesDataSchema>;

interface TopOptions {
  sortBy: SortKey;
  limit: number;
  /** Skip this many of the ranked processes (paging beyond the top N within the same sort). */
  offset?: number;
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  /** A scan with interval CPU % already taken (scanWithCpu), to rank it again by another key without a second scan. */
  window?: ProcessWindow;
}

/** One process scan with each process's CPU % over the stated window. */
interface ProcessWindow {
  scan: ProcessScan;
  cpu: Map<number, number>;
  windowSec: number;
  source: 'sampler' | 'measured';
}

interface TopResult {
  data: TopProcessesData;
  windowSec: number;
  truncated?: { returned: number; total: number };
  /** Index in the ranking right after the last process examined (exited ones are skipped). */
  nextOffset: number;
  warnings: string[];
}

/** The shortest window the sampler's baseline may give; shorter waits out the difference. */
const MIN_BASELINE_SEC = 0.2;

export async function scanWithCpu(services: HostInputs, options: Pick<TopOptions, 'windowSec' | 'signal' | 'progress'>): Promise<ProcessWindow> {
  const ctx = services.collectors;
  const measureFor = async (sec: number) => {
    const m = await services.sampler.measure(sec, {
      processes: { withStatus: false },
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (f) => void options.progress?.(f, `measuring process CPU over ${sec} s`),
    });
    if (!m.end.processes || m.processElapsedSec === null) throw new Error('process scan failed');
    return { scan: m.end.processes, cpu: m.processCpuPct, windowSec: round(m.processElapsedSec, 3), source: 'measured' as const };
  };
  if (options.windowSec !== undefined) return measureFor(options.windowSec);
  const base = services.sampler.processBaseline();
  if (!base) return measureFor(1);
  // A baseline taken moments ago gives too short a window: wait out the rest (< 0.2 s).
  const young = MIN_BASELINE_SEC * 1000 - (performance.now() - base.atMs);
  if (young > 0) await abortableDelay(young, options.signal);
  const t0 = performance.now();
  const scan = scanProcesses(ctx, { withStatus: false });
  const atMs = (t0 + performance.now()) / 2;
  const elapsed = (atMs - base.atMs) / 1000;
  return { scan, cpu: processCpuPct(base.scan, scan, elapsed), windowSec: round(elapsed, 3), source: 'sampler' };
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export async function topProcesses(services: HostInputs, options: TopOptions): Promise<TopResult> {
  const ctx = services.collectors;
  const { scan, cpu, windowSec, source } = options.window ?? (await scanWithCpu(services, options));
  const memTotal = readMemInfo(ctx).totalBytes;
  const bootTimeSec = readCpuStat(ctx).bootTimeSec;
  const warnings = [...scan.warnings];

  let ranked: ProcessInfo[];
  let fdCounts: Map<number, number | null> | null = null;
  if (options.sortBy === 'fds') {
    fdCounts = new Map(scan.processes.map((p) => [p.pid, p.kernelThread ? null : countProcessFds(ctx, p.pid)]));
    const fd = (p: ProcessInfo): number => fdCounts?.get(p.pid) ?? -1;
    ranked = [...scan.processes].sort((a, b) => fd(b) - fd(a) || b.rssBytes - a.rssBytes);
  } else if (options.sortBy === 'memory') {
    ranked = [...scan.processes].sort((a, b) => b.rssBytes - a.rssBytes || a.pid - b.pid);
  } else {
    ranked = [...scan.processes].sort((a, b) => (cpu.get(b.pid) ?? 0) - (cpu.get(a.pid) ?? 0) || b.rssBytes - a.rssBytes);
  }

  let redactions = 0;
  const processes: TopProcessesData['processes'] = [];
  let next = Math.min(options.offset ?? 0, ranked.length);
  for (; next < ranked.length && processes.length < options.limit; next++) {
    const p = ranked[next]!;
    const detail = enrichProcess(ctx, p.pid, { startTimeTicks: p.startTimeTicks });
    if (!detail) continue; // exited since the scan
    let cmdline = detail.cmdline;
    if (cmdline !== null) {
      const r = redact(cmdline);
      cmdline = r.text;
      redactions += r.count + detail.cmdlineRedactions;
    }
    processes.push({
      pid: p.pid,
      ppid: p.ppid,
      user: detail.user,
      comm: p.comm,
      cmdline,
      state: p.state,
      cpuPct: cpu.get(p.pid) ?? null,
      rssBytes: p.rssBytes,
      memPct: memTotal ? round((p.rssBytes / memTotal) * 100) : null,
      swapBytes: detail.swapBytes,
      // When ranking by fds, report the count that was ranked (a second read could differ).
      fdCount: fdCounts?.get(p.pid) ?? detail.fdCount,
      fdLimit: detail.fdLimit,
      threads: p.threads,
      startedAt: bootTimeSec === null ? null : processStartedAt(p.startTimeTicks, bootTimeSec, ctx.clockTicks),
    });
  }
  let cpuSum = 0;
  for (const v of cpu.values()) cpuSum += v;
  const total = scan.processes.length;
  const data: TopProcessesData = {
    sortBy: options.sortBy,
    processes,
    states: {
      running: scan.states.running,
      sleeping: scan.states.sleeping,
      blocked: scan.states.blocked,
      zombie: scan.states.zombie,
      stopped: scan.states.stopped,
      total: scan.states.total,
    },
    totals: {
      processCount: total,
      threadCount: scan.processes.reduce((n, p) => n + p.threads, 0),
      rssBytes: scan.processes.reduce((n, p) => n + p.rssBytes, 0),
      cpuPct: cpu.size ? round(cpuSum) : null,
    },
    cpuWindowSource: source,
    redactions,
  };
  return {
    data,
    windowSec,
    ...(processes.length < total ? { truncated: { returned: processes.length, total } } : {}),
    nextOffset: next,
    warnings,
  };
}
