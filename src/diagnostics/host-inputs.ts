/**
 * What diagnostics read from: the collector context (root directory), the
 * background sampler, the active thresholds, the result budget and the
 * allow-lists from config. Narrower than the Services definitions get, so a
 * diagnostic cannot reach the snapshot store, the audit log or shared state.
 */
import type { ChangeWatcher } from '../collectors/change-watch.js';
import type { CollectorContext } from '../collectors/context.js';
import type { ProtectedFiles } from '../collectors/protected-files.js';
import type { Sampler } from '../collectors/sampler.js';
import type { Thresholds } from './thresholds.js';

export const DEFAULT_MAX_RESULT_BYTES = 24 * 1024;
export const DEFAULT_SCAN_ROOTS: readonly string[] = ['/var', '/tmp', '/home', '/opt', '/srv', '/root'];
/** Log files read_log_file may read (globs; rotations such as .1 and .2.gz of a match follow it). */
export const DEFAULT_LOG_FILES: readonly string[] = ['/var/log/*.log', '/var/log/*/*.log', '/var/log/syslog', '/var/log/messages', '/var/log/kern.log'];
/** Config files get_config may read (globs); a built-in deny-list (shadow, private keys, ~/.ssh, /proc/<pid>/environ) always wins. */
export const DEFAULT_CONFIG_FILES: readonly string[] = ['/etc/**'];

/** Result budgets and allow-lists from config, fixed for the process lifetime. */
interface ServiceLimits {
  /** Largest structured tool result in bytes (JSON); longer lists are cut and say so. */
  maxResultBytes: number;
  /** Absolute directories find_space_hogs may walk. */
  scanRoots: readonly string[];
  /** Absolute globs of the log files read_log_file may read. */
  logFiles: readonly string[];
  /** Absolute globs of the config files get_config may read (the built-in deny-list still applies). */
  configFiles: readonly string[];
  /** Docker/Podman-compatible API socket; null = look in the usual places. */
  containerSocket: string | null;
  /** Journal directory passed to journalctl --directory; null = the system journal. */
  journalDirectory: string | null;
  /** Calls of one tool running at once, server-wide (default 4; server/tool-limits.ts). */
  toolConcurrency?: number;
  /** Deadline of a tool call in seconds (default 30), unless the definition sets its own. */
  toolTimeoutSec?: number;
}

export interface HostInputs {
  hostId: string;
  limits: ServiceLimits;
  collectors: CollectorContext;
  sampler: Sampler;
  thresholds: Thresholds;
  /** Config-file and listener change watcher (recent_changes); absent when not started. */
  changeWatch?: ChangeWatcher;
  /**
   * Files no tool reads or lists whatever the allow-lists say (the server's own secrets, the built-in deny-list
   * files), by inode; built at start by app/create-services.ts. Absent: the name and content rules only.
   */
  protectedFiles?: ProtectedFiles;
}
