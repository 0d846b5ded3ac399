import { definePlaybook } from './playbook.js';

export const investigateCpuPrompt = definePlaybook({
  name: 'investigate_cpu',
  title: 'Investigate high CPU',
  description: 'Playbook for high CPU or load: utilisation breakdown, run queue, steal, cgroup throttling, the processes responsible, and CPU pressure — ending in a cause backed by figures. Follows diag://runbooks/high-cpu.',
  goal: 'Find out why CPU or load is high on this host, using the hostlens tools.',
  runbook: 'high-cpu',
  steps: [
    'capture_snapshot with label "cpu: before" so the starting point is kept as evidence.',
    'get_cpu with windowSec 5 and perCore true: busyPct (warning 85%, critical 95%), userPct vs systemPct, iowaitPct, stealPct, loadPerCpu1 (warning 1.5), runQueueCount, blockedCount, cgroupCpuQuotaCores and cgroupThrottledPct. Note whether one core or all cores are busy.',
    'top_processes with sortBy "cpu", limit 10, windowSec 2: pid, user, cpuPct (% of ONE core), state, startedAt and cmdline of the top consumers.',
    'get_pressure: system.cpu.some.avg10Pct (warning 25%) and the cgroups[] that wait most for CPU.',
    'If iowaitPct is high, this is an I/O problem: switch to the investigate_io_latency prompt. If cgroupThrottledPct is high, read diag://runbooks/container-throttling.',
    'get_process on the top pid: threads, context switches, its cgroup and systemd unit.',
    'If enabled (history toolset): get_history for cpu.busyPct over the last hour, to tell a step change from a slow climb.',
  ],
  conclude: 'Conclude: which process or cgroup uses the CPU and why (legitimate load, runaway, fork storm, steal, quota), with the figures; what you ruled out; and the safe next action for an operator from the runbook.',
});
