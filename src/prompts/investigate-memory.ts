import { definePlaybook } from './playbook.js';

export const investigateMemoryPrompt = definePlaybook({
  name: 'investigate_memory',
  title: 'Investigate memory pressure and OOM kills',
  description: 'Playbook for memory trouble: available memory, swap activity, major faults, OOM kills (host and cgroup), memory PSI and the largest processes. Follows diag://runbooks/memory-pressure and diag://runbooks/oom.',
  goal: 'Find out whether this host (or one of its cgroups) is short of memory, and who is responsible, using the hostlens tools. Also read diag://runbooks/oom if any OOM kill is found.',
  runbook: 'memory-pressure',
  steps: [
    'capture_snapshot with label "memory: before".',
    'get_memory: availableBytes and availablePct (warning ≤ 10%, critical ≤ 5%), swapUsedPct, swapInPerSec / swapOutPerSec (pages/s), majorFaultsPerSec, shmemBytes, slabUnreclaimableBytes, committedBytes vs commitLimitBytes.',
    'OOM: oomKillsInWindow and oomKillsSinceBoot; cgroup.currentBytes, cgroup.maxBytes, cgroup.usedPct and cgroup.oomKills — a kill with cgroup.usedPct near 100 is a cgroup limit, not host exhaustion.',
    'get_pressure: system.memory.full.avg10Pct (warning 5%, critical 20%), stallPctInWindow, and cgroups[] ranked by memoryFullPct.',
    'top_processes with sortBy "memory", limit 10: rssBytes, memPct, swapBytes, startedAt (a recent start after a kill = restarted victim).',
    'If enabled: get_cgroup (containers toolset) for memory.events (oom, oomKill, high, max) of the suspect service; get_kernel_events (logs toolset) with kinds ["oom"] for the victims.',
    'To tell a leak from a peak: capture_snapshot again a few minutes later and diff_snapshots (history toolset, if enabled) — memory.availableBytes falling steadily is a leak; or get_history for mem.availableBytes.',
  ],
  conclude: 'Conclude: host or cgroup memory exhaustion (or neither), the process or service responsible, leak vs peak, OOM victims if any, with figures in bytes and %; and the safe remediation from the runbooks.',
});
