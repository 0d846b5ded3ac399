/**
 * Block device I/O over a stated window (iostat -x): from the sampler's last two ticks, or a fresh
 * measurement when windowSec is given. Used by get_disk_io.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { diskRates } from '../collectors/disks.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';
import { counterWindow } from './counter-window.js';
import { compareCodeUnits } from '../util/compare.js';

const diskDeviceSchema = z.object({
  /** kernel device name (sda, nvme0n1, dm-0, md0, …) */
  name: z.string(),
  readsPerSec: z.number(),
  writesPerSec: z.number(),
  readBytesPerSec: z.number().int(),
  writeBytesPerSec: z.number().int(),
  /** share of the window with I/O in flight (0–100); near 100 means saturated for a single-queue device */
  utilPct: z.number(),
  /** average ms per read completed in the window (queue + service); null without reads */
  readAwaitMs: z.number().nullable(),
  /** average ms per write completed in the window; null without writes */
  writeAwaitMs: z.number().nullable(),
  /** average requests in flight over the window (iostat aqu-sz) */
  avgQueueDepth: z.number(),
  /** requests in flight at the end of the window */
  inFlight: z.number().int(),
});

export const diskIoDataSchema = z.object({
  /** sampler = the 1 Hz background sampler's last window; measured = a fresh window of windowSec */
  source: z.enum(['sampler', 'measured']),
  /** busiest (highest utilPct) first */
  devices: z.array(diskDeviceSchema),
});
type DiskIoData = z.infer<typeof diskIoDataSchema>;

interface DiskIoOptions {
  windowSec?: number;
  devices?: string[];
  signal?: AbortSignal;
  progress?: (fraction: number, message?: string) => Promise<void>;
  /** Cap on listed devices, busiest kept (default 256). */
  maxDevices?: number;
}

const MAX_DEVICES = 256;

interface DiskIoResult {
  data: DiskIoData;
  windowSec: number;
  assessments: Assessment[];
  warnings: string[];
  truncated?: { returned: number; total: number };
}

/** Assessments for a set of device rates: the worst utilisation and the worst await. */
function assessDisks(devices: DiskIoData['devices'], services: Pick<HostInputs, 'thresholds'>, available: boolean): Assessment[] {
  if (!available) return [unknownAssessment('disk', 'disk.unavailable', 'proc/diskstats is not readable: disk I/O is unknown', '%')];
  if (devices.length === 0) return [unknownAssessment('disk', 'disk.no_devices', 'no block devices to assess', '%')];
  const t = services.thresholds;
  const busiest = devices.reduce((a, b) => (b.utilPct > a.utilPct ? b : a));
  const awaitOf = (d: (typeof devices)[number]): number => Math.max(d.readAwaitMs ?? 0, d.writeAwaitMs ?? 0);
  const withIo = devices.filter((d) => d.readAwaitMs !== null || d.writeAwaitMs !== null);
  const slowest = withIo.length ? withIo.reduce((a, b) => (awaitOf(b) > awaitOf(a) ? b : a)) : null;
  return [
    assess({
      area: 'disk',
      code: 'disk.util',
      label: `Disk ${busiest.name} utilisation`,
      value: busiest.utilPct,
      spec: t['disk.utilPct'],
      evidence: [`${busiest.name}: ${busiest.readsPerSec} r/s, ${busiest.writesPerSec} w/s, queue depth ${busiest.avgQueueDepth}`],
    }),
    slowest
      ? assess({
          area: 'disk',
          code: 'disk.await',
          label: `Disk ${slowest.name} await`,
          value: awaitOf(slowest),
          spec: t['disk.awaitMs'],
          evidence: [`${slowest.name}: read await ${slowest.readAwaitMs ?? '-'} ms, write await ${slowest.writeAwaitMs ?? '-'} ms`],
        })
      : { ...assess({ area: 'disk', code: 'disk.await', label: 'Disk await', value: 0, spec: t['disk.awaitMs'] }), message: 'Disk await: no I/O completed in the window' },
  ];
}

export async function readDiskIo(services: HostInputs, options: DiskIoOptions = {}): Promise<DiskIoResult> {
  const w = await counterWindow(services, options, 'disk I/O', (sample) => sample.disks);
  const warnings: string[] = [];
  const available = w.start !== null && w.end !== null;
  let devices = available ? diskRates(w.start!, w.end!, w.windowSec) : [];
  if (!available) warnings.push('proc/diskstats is not readable: disk I/O is unknown');
  if (options.devices && options.devices.length > 0) {
    const wanted = new Set(options.devices.map((d) => d.replace(/^\/dev\//, '')));
    devices = devices.filter((d) => wanted.has(d.name));
    const missing = [...wanted].filter((n) => !devices.some((d) => d.name === n));
    if (missing.length) warnings.push(`no such block device (or a partition, which is not reported): ${missing.join(', ')}`);
  }
  devices.sort((a, b) => b.utilPct - a.utilPct || b.readBytesPerSec + b.writeBytesPerSec - (a.readBytesPerSec + a.writeBytesPerSec) || compareCodeUnits(a.name, b.name));
  // Assess over every device, list at most maxDevices (hosts with hundreds of dm devices).
  const assessments = assessDisks(devices, services, available);
  const limit = options.maxDevices ?? MAX_DEVICES;
  const truncated = devices.length > limit ? { returned: limit, total: devices.length } : undefined;
  if (truncated) warnings.push(`${devices.length} devices: only the ${limit} busiest are listed`);
  const data: DiskIoData = { source: w.source, devices: devices.slice(0, limit) };
  return { data, windowSec: Math.round(w.windowSec * 1000) / 1000, assessments, warnings, ...(truncated ? { truncated } : {}) };
}
