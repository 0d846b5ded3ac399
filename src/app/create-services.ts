/**
 * Builds the process-wide Services: the collector context for a root
 * directory, the started 1 Hz sampler, the resolved thresholds and shared
 * state. Also answers readiness: can the collectors read what they need?
 */
import { DEFAULT_CONFIG_FILES, DEFAULT_LOG_FILES, DEFAULT_MAX_RESULT_BYTES, DEFAULT_SCAN_ROOTS } from '../diagnostics/host-inputs.js';
import type { Services } from '../definitions/host-services.js';
import { createCollectorContext } from '../collectors/context.js';
import { readCpuStat } from '../collectors/cpu.js';
import { readMemInfo } from '../collectors/memory.js';
import { createProtectedFiles } from '../collectors/protected-files.js';
import { createSampler } from '../collectors/sampler.js';
import { resolveThresholds } from '../diagnostics/thresholds.js';
import type { ThresholdOverrides } from '../diagnostics/thresholds.js';
import type { ReadinessCheck } from '../http/health.js';
import type { Logger } from '../util/log.js';
import { createSnapshotStore } from '../snapshots/store.js';
import { createChangeWatcher } from '../collectors/change-watch.js';

export interface CreateServicesOptions {
  root?: string;
  thresholds?: ThresholdOverrides;
  samplerIntervalMs?: number;
  maxResultBytes?: number;
  scanRoots?: readonly string[];
  logFiles?: readonly string[];
  configFiles?: readonly string[];
  containerSocket?: string;
  journalDirectory?: string;
  /** Per-tool concurrency cap and call deadline (defaults in server/tool-limits.ts). */
  toolConcurrency?: number;
  toolTimeoutSec?: number;
  /** Config/listener change watcher for recent_changes (default: started with the sampler, every 60 s); false = off. */
  changeWatch?: { intervalMs?: number; maxFiles?: number } | false;
  /** Start the background sampler (default true). */
  startSampler?: boolean;
  /**
   * The server's own secrets, denied by inode to every file tool whatever the allow-lists say: `files` (token files,
   * the config file) and `families` (a file and its rotations: the audit log). The built-in deny-list files under
   * root are always added.
   */
  protect?: { files?: readonly string[]; families?: readonly string[] };
  /** Where the causes of failed calls and reads are logged (never sent to the client). */
  logger?: Logger;
}

export interface RunningServices extends Services {
  stop(): void;
  readiness(): Record<string, ReadinessCheck>;
}

export function createServices(options: CreateServicesOptions = {}): RunningServices {
  const collectors = createCollectorContext({ root: options.root });
  const sampler = createSampler({ ctx: collectors, intervalMs: options.samplerIntervalMs });
  // start() takes the first sample at once; rates exist from the second tick on
  // (until then, tools measure a short fresh window instead).
  if (options.startSampler !== false) sampler.start();
  const protectedFiles = createProtectedFiles({ root: options.root, ...options.protect });
  const watchOn = options.changeWatch !== false && (options.changeWatch !== undefined || options.startSampler !== false);
  const changeWatch = watchOn ? createChangeWatcher({ ctx: collectors, configFiles: options.configFiles ?? DEFAULT_CONFIG_FILES, protect: protectedFiles, ...(options.changeWatch || {}) }) : undefined;
  changeWatch?.start();
  return {
    hostId: 'local',
    limits: {
      maxResultBytes: options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
      scanRoots: options.scanRoots ?? DEFAULT_SCAN_ROOTS,
      logFiles: options.logFiles ?? DEFAULT_LOG_FILES,
      configFiles: options.configFiles ?? DEFAULT_CONFIG_FILES,
      containerSocket: options.containerSocket ?? null,
      journalDirectory: options.journalDirectory ?? null,
      ...(options.toolConcurrency !== undefined ? { toolConcurrency: options.toolConcurrency } : {}),
      ...(options.toolTimeoutSec !== undefined ? { toolTimeoutSec: options.toolTimeoutSec } : {}),
    },
    collectors,
    sampler,
    thresholds: resolveThresholds(options.thresholds),
    state: { lastTriage: null },
    snapshots: createSnapshotStore(),
    protectedFiles,
    ...(changeWatch ? { changeWatch } : {}),
    ...(options.logger ? { log: options.logger } : {}),
    stop: () => {
      sampler.stop();
      changeWatch?.stop();
    },
    readiness: () => {
      const cpu = readCpuStat(collectors);
      const mem = readMemInfo(collectors);
      const checks: Record<string, ReadinessCheck> = {
        procStat: cpu.total ? { ok: true } : { ok: false, detail: 'cannot read proc/stat' },
        procMeminfo: mem.totalBytes !== null ? { ok: true } : { ok: false, detail: 'cannot read proc/meminfo' },
        sampler: options.startSampler === false || sampler.running ? { ok: true } : { ok: false, detail: 'background sampler is not running' },
      };
      return checks;
    },
  };
}
