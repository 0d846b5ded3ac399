/**
 * The background sampler: a cheap 1 Hz tick over proc/stat, loadavg, meminfo, vmstat, PSI and our cgroup's
 * cpu.stat, diskstats and the network counters (net/dev, snmp, netstat), keeping the last two samples so
 * "instant" rates are always over a known ~1 s window; a periodic process scan as a baseline for per-process
 * CPU %; and measure(), a fresh two-sample measurement on demand (disk/network counters with `counters: true`).
 *
 * Cost (measured on a 2 vCPU VM): a tick reads 7–8 small files, ≈ 0.3 ms, plus diskstats, net/dev, snmp and
 * netstat, ≈ 0.6 ms in all (never proc/net/tcp, which grows with the socket count). The baseline process scan (stat only,
 * no uid) costs ≈ 2 ms at 100 processes and ≈ 18 ms at 1,070; at the default of one scan every 5 ticks that is
 * ≈ 0.4 % of one core at 1,000+ processes, and far less on a typical host.
 * Every tick also feeds the bounded metric history (history.ts, history-record.ts): rates from the last two
 * samples plus a statfs per tracked filesystem (≤ 16), the mount table re-read every 60 ticks. bench/sampler.ts
 * measured it at ≈ 60–80 µs of a tick (28 metrics), and the whole sampler at 0.19 % of one core without the process
 * scan, 0.27 % with it (a 2 vCPU VM under other load).
 */
import { performance } from 'node:perf_hooks';
import type { CgroupCpuStat } from './cgroup.js';
import { readCgroupCpuStat, resolveCgroupCpuDir, throttlingInWindow } from './cgroup.js';
import type { CollectorContext } from './context.js';
import type { DiskCounters } from './disks.js';
import type { HistoryOptions, MetricHistory } from './history.js';
import { createHistory, ONE_SECOND_STEP_MS } from './history.js';
import { historyMounts, tickValues } from './history-record.js';
import { readDiskStats } from './disks.js';
import type { NetCounters } from './network.js';
import { readNetCounters } from './network.js';
import type { CoreBreakdown, CpuBreakdown, CpuStat, LoadAvg } from './cpu.js';
import { cpuBreakdown, perCoreBreakdown, readCpuStat, readLoadAvg } from './cpu.js';
import type { MemInfo, VmStat } from './memory.js';
import { readMemInfo, readVmStat } from './memory.js';
import type { Pressure, PsiLine } from './pressure.js';
import { readPressure, stallPctInWindow } from './pressure.js';
import type { ProcessScan, ScanOptions } from './processes.js';
import { processCpuPct, scanProcesses } from './processes.js';
import { roundTo } from './read.js';

/** One tick a second: one point of the history's 1 s ring per tick (config `samplerIntervalMs`). */
export const DEFAULT_SAMPLER_INTERVAL_MS = ONE_SECOND_STEP_MS;

interface SamplerOptions {
  ctx: CollectorContext;
  intervalMs?: number;
  /** A baseline process scan every N ticks (default 5; 0 disables). */
  processScanEvery?: number;
  /**
   * The periodic process scan runs only while process baselines are in demand:
   * for this long (default 10 min) after start and after the last
   * processBaseline() call. An idle server then costs only the host counters;
   * the first process query after a quiet spell measures a fresh window.
   */
  processScanIdleMs?: number;
  /** Monotonic clock in ms (default performance.now); injectable for tests. */
  now?: () => number;
  /** Wall clock, epoch ms (default Date.now): sample times and history timestamps; injectable for tests. */
  wallClock?: () => number;
  /** Sizes of the metric history (see history.ts); its 1 s ring's step is intervalMs. */
  history?: Omit<HistoryOptions, 'tickMs'>;
}

export interface TickSample {
  /** Monotonic ms (performance.now) when the sample was taken. */
  atMs: number;
  /** Wall clock, RFC 3339 UTC. */
  at: string;
  cpu: CpuStat;
  loadavg: LoadAvg;
  memory: MemInfo;
  vmstat: VmStat;
  pressure: Pressure;
  /** Our own cgroup's cpu.stat (throttling); null without a cpu controller. */
  cgroupCpu: CgroupCpuStat | null;
  /** proc/diskstats (reported devices); null when unreadable. */
  disks: DiskCounters[] | null;
  /** proc/net/dev, snmp and netstat counters. */
  net: NetCounters;
}

interface LatestCpu {
  breakdown: CpuBreakdown;
  windowSec: number;
  perCore: CoreBreakdown[];
  /** RFC 3339 time of the later sample. */
  at: string;
}

export interface PressureInWindow {
  cpuSomePct: number | null;
  memorySomePct: number | null;
  memoryFullPct: number | null;
  ioSomePct: number | null;
  ioFullPct: number | null;
}

export interface LatestRates {
  windowSec: number;
  /** Pages per second. */
  swapInPerSec: number | null;
  swapOutPerSec: number | null;
  swapInBytesPerSec: number | null;
  swapOutBytesPerSec: number | null;
  majorFaultsPerSec: number | null;
  ctxSwitchesPerSec: number | null;
  interruptsPerSec: number | null;
  forksPerSec: number | null;
  oomKillsInWindow: number | null;
  /** Share of our cgroup's CFS periods that were throttled in the window. */
  cgroupThrottledPeriodsPct: number | null;
  pressure: PressureInWindow;
}

interface ProcessBaseline {
  scan: ProcessScan;
  /** Monotonic ms at the middle of the scan. */
  atMs: number;
}

interface MeasureSample {
  cpu: CpuStat;
  cpuAtMs: number;
  processes: ProcessScan | null;
  processesAtMs: number | null;
  /** Disk and network counters, read right after cpu (only with MeasureOptions.counters). */
  disks?: DiskCounters[] | null;
  net?: NetCounters;
}

interface Measurement {
  start: MeasureSample;
  end: MeasureSample;
  /** Exact seconds between the two cpu readings. */
  elapsedSec: number;
  /** Exact seconds between the middles of the two process scans (null without process scans). */
  processElapsedSec: number | null;
  breakdown: CpuBreakdown | null;
  perCore: CoreBreakdown[];
  /** pid → % of one core over processElapsedSec. */
  processCpuPct: Map<number, number>;
}

interface MeasureOptions {
  signal?: AbortSignal;
  /** Called about every 250 ms with the elapsed fraction (0–1), and once with 1 at the end. */
  onProgress?: (elapsedFraction: number) => void;
  /** Process scans: false to skip; otherwise options for the END scan (the start scan reads stat only). */
  processes?: false | ScanOptions;
  /** Also read disk and network counters in both samples (default false). */
  counters?: boolean;
}

export interface Sampler {
  start(): void;
  stop(): void;
  readonly running: boolean;
  readonly tickCount: number;
  /** One sampling step; the timer calls this, tests call it directly. Never throws. */
  tick(): void;
  latest(): TickSample | null;
  previous(): TickSample | null;
  latestCpu(): LatestCpu | null;
  latestRates(): LatestRates | null;
  processBaseline(): ProcessBaseline | null;
  /** The bounded metric history (1 s × 900 and 1 min × 1440 rings) every tick feeds. */
  readonly history: MetricHistory;
  measure(windowSec: number, opts?: MeasureOptions): Promise<Measurement>;
}

const MIN_WINDOW_SEC = 0.2;
const MAX_WINDOW_SEC = 10;
const PROGRESS_EVERY_MS = 250;
/** The history's filesystem list is re-read from the mount table every this many ticks. */
const MOUNTS_EVERY_TICKS = 60;

function rate(prev: number | null, cur: number | null, sec: number): number | null {
  if (prev === null || cur === null || !(sec > 0) || cur < prev) return null;
  return roundTo((cur - prev) / sec, 1);
}

function stall(prev: PsiLine | undefined, cur: PsiLine | undefined, sec: number): number | null {
  return prev && cur ? stallPctInWindow(prev.totalUsec, cur.totalUsec, sec) : null;
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new DOMException('The measurement was aborted', 'AbortError');
}

export function createSampler(opts: SamplerOptions): Sampler {
  const { ctx } = opts;
  const intervalMs = Math.max(50, opts.intervalMs ?? DEFAULT_SAMPLER_INTERVAL_MS);
  const every = Math.max(0, Math.floor(opts.processScanEvery ?? 5));
  const now = opts.now ?? (() => performance.now());
  const wallClock = opts.wallClock ?? (() => Date.now());
  const scanIdleMs = Math.max(0, opts.processScanIdleMs ?? 10 * 60_000);
  /** A baseline older than this would turn a rate into a long average: it is not served. */
  const baselineMaxAgeMs = 2 * Math.max(1, every) * intervalMs + 1000;
  let lastDemandMs = now();
  const history = createHistory({ ...opts.history, tickMs: intervalMs });
  let mounts: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let ticks = 0;
  let prev: TickSample | null = null;
  let last: TickSample | null = null;
  let baseline: ProcessBaseline | null = null;
  let cgroupCpuDir: { dir: string; version: 1 | 2; cpuacctDir?: string } | null | undefined;

  function timedScan(scanOpts: ScanOptions): { scan: ProcessScan; atMs: number } {
    const t0 = now();
    const scan = scanProcesses(ctx, scanOpts);
    return { scan, atMs: (t0 + now()) / 2 };
  }

  function tick(): void {
    try {
      ticks++;
      if (cgroupCpuDir === undefined) cgroupCpuDir = resolveCgroupCpuDir(ctx);
      const atMs = now();
      const wallMs = wallClock();
      const sample: TickSample = {
        atMs,
        at: new Date(wallMs).toISOString(),
        cpu: readCpuStat(ctx),
        loadavg: readLoadAvg(ctx),
        memory: readMemInfo(ctx),
        vmstat: readVmStat(ctx),
        pressure: readPressure(ctx),
        cgroupCpu: cgroupCpuDir ? readCgroupCpuStat(ctx, cgroupCpuDir.dir, cgroupCpuDir.version, cgroupCpuDir.cpuacctDir) : null,
        disks: readDisksOrNull(),
        net: readNetCounters(ctx),
      };
      prev = last;
      last = sample;
      recordHistory(wallMs);
      if (every > 0 && (ticks - 1) % every === 0 && atMs - lastDemandMs <= scanIdleMs) baseline = timedScan({ withStatus: false, withUid: false });
    } catch {
      // Collectors do not throw; this guard keeps a surprise from killing the timer.
    }
  }

  function recordHistory(wallMs: number): void {
    if ((ticks - 1) % MOUNTS_EVERY_TICKS === 0) mounts = historyMounts(ctx);
    const cpu = prev?.cpu.total && last?.cpu.total ? cpuBreakdown(prev.cpu.total, last.cpu.total) : null;
    history.record(wallMs, tickValues(ctx, history, { prev, last: last!, cpu, rates: latestRates(), mounts }));
  }

  function windowSec(): number | null {
    if (!prev || !last) return null;
    const sec = (last.atMs - prev.atMs) / 1000;
    return sec > 0 ? sec : null;
  }

  function latestCpu(): LatestCpu | null {
    const sec = windowSec();
    if (sec === null || !prev?.cpu.total || !last?.cpu.total) return null;
    const breakdown = cpuBreakdown(prev.cpu.total, last.cpu.total);
    if (!breakdown) return null;
    return { breakdown, windowSec: roundTo(sec, 3), perCore: perCoreBreakdown(prev.cpu.perCore, last.cpu.perCore), at: last.at };
  }

  function latestRates(): LatestRates | null {
    const sec = windowSec();
    if (sec === null || !prev || !last) return null;
    const a = prev;
    const b = last;
    const page = ctx.pageSize;
    const swapIn = rate(a.vmstat.pswpin, b.vmstat.pswpin, sec);
    const swapOut = rate(a.vmstat.pswpout, b.vmstat.pswpout, sec);
    const oomA = a.vmstat.oomKill;
    const oomB = b.vmstat.oomKill;
    return {
      windowSec: roundTo(sec, 3),
      swapInPerSec: swapIn,
      swapOutPerSec: swapOut,
      swapInBytesPerSec: swapIn === null ? null : Math.round(swapIn * page),
      swapOutBytesPerSec: swapOut === null ? null : Math.round(swapOut * page),
      majorFaultsPerSec: rate(a.vmstat.pgmajfault, b.vmstat.pgmajfault, sec),
      ctxSwitchesPerSec: rate(a.cpu.ctxSwitches, b.cpu.ctxSwitches, sec),
      interruptsPerSec: rate(a.cpu.interrupts, b.cpu.interrupts, sec),
      forksPerSec: rate(a.cpu.forksCount, b.cpu.forksCount, sec),
      oomKillsInWindow: oomA !== null && oomB !== null && oomB >= oomA ? oomB - oomA : null,
      cgroupThrottledPeriodsPct: a.cgroupCpu && b.cgroupCpu ? throttlingInWindow(a.cgroupCpu, b.cgroupCpu).throttledPeriodsPct : null,
      pressure: {
        cpuSomePct: stall(a.pressure.cpu?.some, b.pressure.cpu?.some, sec),
        memorySomePct: stall(a.pressure.memory?.some, b.pressure.memory?.some, sec),
        memoryFullPct: stall(a.pressure.memory?.full, b.pressure.memory?.full, sec),
        ioSomePct: stall(a.pressure.io?.some, b.pressure.io?.some, sec),
        ioFullPct: stall(a.pressure.io?.full, b.pressure.io?.full, sec),
      },
    };
  }

  function readDisksOrNull(): DiskCounters[] | null {
    const d = readDiskStats(ctx);
    return d.available ? d.devices : null;
  }

  function takeMeasureSample(scanOpts: ScanOptions | null, counters: boolean): MeasureSample {
    const cpuAtMs = now();
    const cpu = readCpuStat(ctx);
    const extra = counters ? { disks: readDisksOrNull(), net: readNetCounters(ctx) } : {};
    if (scanOpts === null) return { cpu, cpuAtMs, processes: null, processesAtMs: null, ...extra };
    const { scan, atMs } = timedScan(scanOpts);
    return { cpu, cpuAtMs, processes: scan, processesAtMs: atMs, ...extra };
  }

  function measure(windowSecArg: number, mopts: MeasureOptions = {}): Promise<Measurement> {
    const { signal, onProgress } = mopts;
    if (!(windowSecArg >= MIN_WINDOW_SEC && windowSecArg <= MAX_WINDOW_SEC)) {
      return Promise.reject(new RangeError(`windowSec must be between ${MIN_WINDOW_SEC} and ${MAX_WINDOW_SEC}, got ${windowSecArg}`));
    }
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const endScan: ScanOptions | null = mopts.processes === false ? null : { ...(mopts.processes ?? {}) };
    const startScan: ScanOptions | null = endScan === null ? null : { ...endScan, withStatus: false, withUid: false };
    return new Promise<Measurement>((resolve, reject) => {
      const counters = mopts.counters === true;
      const start = takeMeasureSample(startScan, counters);
      const t0 = now();
      const progress = (f: number): void => {
        try {
          onProgress?.(Math.min(1, Math.max(0, f)));
        } catch {
          /* a failing progress callback must not break the measurement */
        }
      };
      const cleanup = (): void => {
        clearTimeout(endTimer);
        if (progressTimer) clearInterval(progressTimer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError(signal!));
      };
      const progressTimer = onProgress ? setInterval(() => progress((now() - t0) / (windowSecArg * 1000)), PROGRESS_EVERY_MS) : null;
      const endTimer = setTimeout(() => {
        cleanup();
        const end = takeMeasureSample(endScan, counters);
        const elapsedSec = (end.cpuAtMs - start.cpuAtMs) / 1000;
        const processElapsedSec =
          start.processesAtMs !== null && end.processesAtMs !== null ? (end.processesAtMs - start.processesAtMs) / 1000 : null;
        progress(1);
        resolve({
          start,
          end,
          elapsedSec: roundTo(elapsedSec, 3),
          processElapsedSec: processElapsedSec === null ? null : roundTo(processElapsedSec, 3),
          breakdown: start.cpu.total && end.cpu.total ? cpuBreakdown(start.cpu.total, end.cpu.total) : null,
          perCore: perCoreBreakdown(start.cpu.perCore, end.cpu.perCore),
          processCpuPct:
            start.processes && end.processes && processElapsedSec !== null
              ? processCpuPct(start.processes, end.processes, processElapsedSec)
              : new Map(),
        });
      }, Math.max(0, windowSecArg * 1000 - (now() - t0)));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    start(): void {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
    get running(): boolean {
      return timer !== null;
    },
    get tickCount(): number {
      return ticks;
    },
    tick,
    latest: () => last,
    previous: () => prev,
    latestCpu,
    latestRates,
    processBaseline: () => {
      const at = now();
      lastDemandMs = at;
      return baseline && at - baseline.atMs <= baselineMaxAgeMs ? baseline : null;
    },
    history,
    measure,
  };
}
