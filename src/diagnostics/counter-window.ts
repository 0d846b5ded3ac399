/**
 * Two samples of the sampler's counters (disks, network) over a stated
 * window: the background sampler's last two ticks, or — with windowSec, or
 * before the sampler has two ticks — a fresh measurement. Shared by
 * get_disk_io and get_network.
 */
import type { HostInputs } from './host-inputs.js';
import type { DiskCounters } from '../collectors/disks.js';
import type { NetCounters } from '../collectors/network.js';

interface CounterSample {
  disks?: DiskCounters[] | null;
  net?: NetCounters;
}

interface CounterWindow<T> {
  start: T | null;
  end: T | null;
  windowSec: number;
  source: 'sampler' | 'measured';
}

interface CounterWindowOptions {
  windowSec?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
}

export async function counterWindow<T>(
  services: HostInputs,
  options: CounterWindowOptions,
  what: string,
  pick: (sample: CounterSample) => T | null | undefined,
): Promise<CounterWindow<T>> {
  const measure = async (windowSec: number): Promise<CounterWindow<T>> => {
    const m = await services.sampler.measure(windowSec, {
      processes: false,
      counters: true,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (f) => void options.progress?.(f, `measuring ${what} over ${windowSec} s`),
    });
    return { start: pick(m.start) ?? null, end: pick(m.end) ?? null, windowSec: m.elapsedSec, source: 'measured' };
  };
  if (options.windowSec !== undefined) return measure(options.windowSec);
  const prev = services.sampler.previous();
  const last = services.sampler.latest();
  if (prev && last && last.atMs > prev.atMs) {
    return { start: pick(prev) ?? null, end: pick(last) ?? null, windowSec: Math.round(last.atMs - prev.atMs) / 1000, source: 'sampler' };
  }
  return measure(0.5);
}
