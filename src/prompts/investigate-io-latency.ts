import { definePlaybook } from './playbook.js';

export const investigateIoLatencyPrompt = definePlaybook({
  name: 'investigate_io_latency',
  title: 'Investigate slow disk I/O',
  description: 'Playbook for slow I/O: per-device utilisation, await and queue depth, iowait, blocked tasks, I/O pressure per cgroup, and swapping as a cause. Follows diag://runbooks/io-latency.',
  goal: 'Find out which device is slow or saturated on this host, and which workload causes it, using the hostlens tools.',
  runbook: 'io-latency',
  steps: [
    'capture_snapshot with label "io: before".',
    'get_disk_io with windowSec 5: per device utilPct (warning 80%, critical 95%), readAwaitMs / writeAwaitMs (warning 50 ms, critical 200 ms), avgQueueDepth, readsPerSec / writesPerSec and readBytesPerSec / writeBytesPerSec.',
    'get_cpu with windowSec 5: iowaitPct (warning 20%) and blockedCount (tasks in state D).',
    'get_pressure: system.io.full.avg10Pct (warning 10%, critical 30%) and cgroups[] ranked by ioFullPct — which service stalls on I/O.',
    'top_processes with sortBy "cpu", limit 15: processes in state D are waiting on I/O; note startedAt (a backup or reindex job?).',
    'get_memory: swapInPerSec / swapOutPerSec, majorFaultsPerSec and dirtyBytes — swapping or a writeback burst turns memory trouble into I/O trouble.',
    'If enabled (history toolset): detect_anomalies over the incident window against a baseline, or get_history for disk.<device>.utilPct.',
  ],
  conclude: 'Conclude: the slow device (busy vs slow-but-idle), the workload or cgroup driving it, whether swapping contributes, with figures in ms, % and bytes/s over the stated window; and the safe remediation from the runbook.',
});
