/**
 * What one sampler tick contributes to the history: gauges from the latest sample, rates from the last two
 * (CPU breakdown, major faults, PSI stall share of the tick, disk and interface bytes, TCP retransmission %),
 * and the used % of up to 16 local filesystems (statfs only; the mount table is re-read every 60 ticks, network,
 * pseudo and image filesystems are never statfs'd). PSI values are the in-interval stall % (total µs delta / tick),
 * not the kernel's avg10.
 */
import type { CollectorContext, StatfsResult } from './context.js';
import type { CpuBreakdown } from './cpu.js';
import { diskRates } from './disks.js';
import { classifyFilesystem, dedupeMounts, readMounts } from './filesystems.js';
import type { MetricHistory } from './history.js';
import type { StackCounters } from './network.js';
import { pct } from './read.js';
import type { LatestRates, TickSample } from './sampler.js';

type HistoryValues = Array<[string, number | null]>;

/** df semantics (used / (used + avail)), unrounded; null without capacity. */
function dfUsedPct(s: StatfsResult | null): number | null {
  if (!s) return null;
  const used = Math.max(0, s.blocks - s.bfree);
  const denom = used + s.bavail;
  return denom > 0 ? (used / denom) * 100 : null;
}

function perSec(a: number | null | undefined, b: number | null | undefined, sec: number): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b < a) return null;
  return (b - a) / sec;
}

/** Local filesystems worth a series: disk-backed first, then tmpfs/ramfs; never network, pseudo or image. */
export function historyMounts(ctx: CollectorContext): string[] {
  const disk: string[] = [];
  const memory: string[] = [];
  for (const e of dedupeMounts(readMounts(ctx).entries)) {
    const c = classifyFilesystem(e.fsType, e.mount);
    if (c === 'disk') disk.push(e.mount);
    else if (c === 'memory') memory.push(e.mount);
  }
  return [...disk, ...memory];
}

/** Retransmitted / sent TCP segments between two samples, %; 0 when nothing was sent or retransmitted. */
function retransPct(a: StackCounters, b: StackCounters): number | null {
  const retrans = perSec(a.tcpRetransSegs, b.tcpRetransSegs, 1);
  const sent = perSec(a.tcpOutSegs, b.tcpOutSegs, 1);
  if (retrans !== null && sent !== null && sent > 0) return pct(retrans, sent);
  return retrans === 0 ? 0 : null;
}

interface TickInput {
  prev: TickSample | null;
  last: TickSample;
  cpu: CpuBreakdown | null;
  rates: LatestRates | null;
  mounts: readonly string[];
}

/** The values of one tick, by metric name (null = absent). */
export function tickValues(ctx: CollectorContext, history: MetricHistory, input: TickInput): HistoryValues {
  const { prev, last, cpu, rates } = input;
  const m = last.memory;
  const psi = rates?.pressure;
  const sec = prev ? (last.atMs - prev.atMs) / 1000 : 0;
  const has = prev !== null && sec > 0;
  const out: HistoryValues = [
    ['cpu.busyPct', cpu?.busyPct ?? null],
    ['cpu.iowaitPct', cpu?.iowaitPct ?? null],
    ['cpu.stealPct', cpu?.stealPct ?? null],
    ['load.1', last.loadavg.load1],
    ['mem.availableBytes', m.availableBytes],
    ['mem.usedPct', m.usedPct],
    ['swap.usedBytes', m.swapUsedBytes],
    ['mem.majorFaultsPerSec', rates?.majorFaultsPerSec ?? null],
    ['psi.cpu.some', psi?.cpuSomePct ?? null],
    ['psi.memory.some', psi?.memorySomePct ?? null],
    ['psi.memory.full', psi?.memoryFullPct ?? null],
    ['psi.io.some', psi?.ioSomePct ?? null],
    ['psi.io.full', psi?.ioFullPct ?? null],
    ['tcp.retransPct', has ? retransPct(prev.net.stack, last.net.stack) : null],
    ['procs.running', last.cpu.procsRunning],
    ['procs.blocked', last.cpu.procsBlocked],
  ];
  if (has) {
    if (prev.disks && last.disks) {
      for (const d of diskRates(prev.disks, last.disks, sec)) {
        out.push([`disk.${d.name}.utilPct`, d.utilPct], [`disk.${d.name}.readBytesPerSec`, d.readBytesPerSec], [`disk.${d.name}.writeBytesPerSec`, d.writeBytesPerSec]);
      }
    }
    const before = new Map(prev.net.interfaces.map((i) => [i.name, i]));
    for (const b of last.net.interfaces) {
      if (b.name === 'lo') continue;
      const a = before.get(b.name);
      out.push([`net.${b.name}.rxBytesPerSec`, perSec(a?.rxBytes, b.rxBytes, sec)], [`net.${b.name}.txBytesPerSec`, perSec(a?.txBytes, b.txBytes, sec)]);
    }
  }
  for (const mount of input.mounts) {
    const name = `fs.${mount}.usedPct`;
    // A mount beyond the family cap is passed without a statfs so the history counts it as dropped.
    out.push([name, history.accepts(name) ? dfUsedPct(ctx.statfs(mount)) : null]);
  }
  return out;
}
