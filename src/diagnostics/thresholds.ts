/**
 * Health thresholds: every assessment compares one value with one of these.
 * `direction: 'above'` means higher is worse; 'below' means lower is worse.
 * The active set is served as diag://thresholds.
 */
import { z } from 'zod';

const thresholdSchema = z
  .object({
    warning: z.number(),
    critical: z.number(),
  })
  .strict();
type Threshold = z.infer<typeof thresholdSchema>;

export interface ThresholdSpec extends Threshold {
  unit: string;
  direction: 'above' | 'below';
  description: string;
}

const DEFAULT_THRESHOLDS = {
  'cpu.busyPct': { warning: 85, critical: 95, unit: '%', direction: 'above', description: 'CPU busy (all modes but idle and iowait) over the window' },
  'cpu.iowaitPct': { warning: 20, critical: 40, unit: '%', direction: 'above', description: 'CPU time waiting on I/O over the window' },
  'cpu.stealPct': { warning: 10, critical: 25, unit: '%', direction: 'above', description: 'CPU time stolen by the hypervisor over the window' },
  'load.perCpu': { warning: 1.5, critical: 3, unit: 'ratio', direction: 'above', description: '1-minute load average divided by usable CPUs' },
  'memory.availablePct': { warning: 10, critical: 5, unit: '%', direction: 'below', description: 'MemAvailable as a share of MemTotal (or of the cgroup limit)' },
  'swap.usedPct': { warning: 50, critical: 80, unit: '%', direction: 'above', description: 'Swap in use as a share of swap total' },
  'filesystem.usedPct': { warning: 85, critical: 95, unit: '%', direction: 'above', description: 'Filesystem space used (df semantics: used / (used + available))' },
  'filesystem.inodesUsedPct': { warning: 85, critical: 95, unit: '%', direction: 'above', description: 'Filesystem inodes used' },
  'pressure.cpuSomeAvg10Pct': { warning: 25, critical: 60, unit: '%', direction: 'above', description: 'PSI: share of time some task waited for CPU (10 s average)' },
  'pressure.memoryFullAvg10Pct': { warning: 5, critical: 20, unit: '%', direction: 'above', description: 'PSI: share of time all tasks stalled on memory (10 s average)' },
  'pressure.ioFullAvg10Pct': { warning: 10, critical: 30, unit: '%', direction: 'above', description: 'PSI: share of time all tasks stalled on I/O (10 s average)' },
  'disk.utilPct': { warning: 80, critical: 95, unit: '%', direction: 'above', description: 'Block device busy time (share of the window with I/O in flight) over the window' },
  'disk.awaitMs': { warning: 50, critical: 200, unit: 'ms', direction: 'above', description: 'Average time per completed read or write (queue + service) over the window' },
  'network.retransPct': { warning: 2, critical: 5, unit: '%', direction: 'above', description: 'TCP segments retransmitted as a share of segments sent over the window' },
  'network.errorsPerSec': { warning: 1, critical: 10, unit: '/s', direction: 'above', description: 'Interface receive + transmit errors per second over the window (per interface)' },
  'network.dropsPerSec': { warning: 10, critical: 100, unit: '/s', direction: 'above', description: 'Interface receive + transmit drops per second over the window (per interface)' },
  'network.listenOverflowsPerSec': { warning: 1, critical: 10, unit: '/s', direction: 'above', description: 'TCP accept-queue overflows per second over the window' },
  'conntrack.usedPct': { warning: 80, critical: 95, unit: '%', direction: 'above', description: 'nf_conntrack entries as a share of nf_conntrack_max' },
  'limits.usedPct': { warning: 80, critical: 95, unit: '%', direction: 'above', description: 'Use of a kernel or per-process limit (open files, pids, threads, ephemeral ports estimate) as a share of the limit' },
  'process.fdUsedPct': { warning: 80, critical: 95, unit: '%', direction: 'above', description: 'Open file descriptors of one process as a share of its soft RLIMIT_NOFILE (get_process)' },
  'cgroup.memoryUsedPct': { warning: 85, critical: 95, unit: '%', direction: 'above', description: 'A cgroup\'s memory in use (memory.current / usage_in_bytes) as a share of its limit (get_cgroup)' },
  'cgroup.throttledPct': { warning: 10, critical: 25, unit: '%', direction: 'above', description: 'Share of a cgroup\'s CPU scheduling periods throttled by its quota over the window (get_cgroup)' },
  'cgroup.oomKills': { warning: 1, critical: 5, unit: 'count', direction: 'above', description: 'Processes OOM-killed in a cgroup since it was created (get_cgroup)' },
  'container.restarts': { warning: 3, critical: 10, unit: 'count', direction: 'above', description: 'Restarts of a container by its restart policy since it was created (list_containers; the most-restarted container)' },
  'anomaly.robustZ': { warning: 3.5, critical: 3.5, unit: 'z', direction: 'above', description: '|robust z| (change of the median vs a baseline, in MAD-scaled units) at which detect_anomalies flags a key metric that moved in its harmful direction; anomalies are warnings only (critical is not used: the area tools judge the level itself)' },
  'kernel.oomKills': { warning: 1, critical: 5, unit: 'count', direction: 'above', description: 'Processes killed by the OOM killer in the kernel log over the asked range (get_kernel_events)' },
  'kernel.errorEvents': { warning: 1, critical: 1, unit: 'count', direction: 'above', description: 'Hung tasks, block I/O errors, filesystem errors or uncorrected machine checks in the kernel log over the asked range, per kind (get_kernel_events)' },
  'services.failedUnits': { warning: 1, critical: 3, unit: 'count', direction: 'above', description: 'systemd units in the failed state (list_services)' },
  'services.restarts': { warning: 3, critical: 10, unit: 'count', direction: 'above', description: 'Automatic restarts of one systemd unit since it was last started by hand (NRestarts; a crash loop) (list_services, get_service)' },
} as const satisfies Record<string, ThresholdSpec>;

type ThresholdKey = keyof typeof DEFAULT_THRESHOLDS;
export type Thresholds = Record<ThresholdKey, ThresholdSpec>;

const THRESHOLD_KEYS = Object.keys(DEFAULT_THRESHOLDS) as ThresholdKey[];

/** Overrides from config: `{ "cpu.busyPct": { "warning": 80, "critical": 90 } }`. */
export const thresholdOverridesSchema = z
  .object(Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, thresholdSchema.optional()])) as Record<ThresholdKey, z.ZodOptional<typeof thresholdSchema>>)
  .strict()
  .superRefine((overrides, ctx) => {
    for (const key of THRESHOLD_KEYS) {
      const o = overrides[key];
      if (!o) continue;
      const above = DEFAULT_THRESHOLDS[key].direction === 'above';
      if (above ? o.warning > o.critical : o.warning < o.critical) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: above ? 'warning must not exceed critical (higher is worse)' : 'warning must not be below critical (lower is worse)',
        });
      }
    }
  });
export type ThresholdOverrides = z.infer<typeof thresholdOverridesSchema>;

export function resolveThresholds(overrides: ThresholdOverrides = {}): Thresholds {
  const out = {} as Thresholds;
  for (const key of THRESHOLD_KEYS) {
    const base: ThresholdSpec = DEFAULT_THRESHOLDS[key];
    const o = overrides[key];
    out[key] = o ? { ...base, warning: o.warning, critical: o.critical } : { ...base };
  }
  return out;
}
