/** Runbook diag://runbooks/high-cpu (markdown). */
export const highCpu = `# Runbook: high CPU

**Symptoms:** slow responses, high load, \`cpu.busy\` or \`load.per_cpu\` findings.

## Check (hostlens)
1. \`triage_host\` → \`areas.cpu.busyPct\`, \`areas.load.loadPerCpu1\`, findings.
2. \`get_cpu\` with \`windowSec: 5\` (and \`perCore: true\`):
   - \`busyPct\` ≥ 85 % warning, ≥ 95 % critical (thresholds \`cpu.busyPct\`).
   - \`loadPerCpu1\` ≥ 1.5 warning, ≥ 3 critical: more runnable tasks than usable CPUs.
   - \`userPct\` vs \`systemPct\`: high system time points at syscalls, locking or interrupts (\`irqPct\`, \`softirqPct\`).
   - \`stealPct\` ≥ 10 %: the hypervisor is short of CPU — not fixable inside the guest.
   - \`iowaitPct\` ≥ 20 %: the CPUs are idle waiting on disks → see \`diag://runbooks/io-latency\`.
   - \`cgroupThrottledPct\` > 0 with \`cgroupCpuQuotaCores\` set: a CPU quota, not the host, is the limit → \`diag://runbooks/container-throttling\`.
   - \`perCore\`: one core at 100 % and the rest idle = a single-threaded hot spot.
3. \`top_processes\` with \`sortBy: "cpu"\`, \`windowSec: 2\`: \`cpuPct\` is % of ONE core (a process can exceed 100). Note pid, user, \`cmdline\`, \`startedAt\`.
4. \`get_pressure\`: \`system.cpu.some.avg10Pct\` ≥ 25 % warning, ≥ 60 % critical = tasks are waiting for CPU; \`cgroups[]\` shows which service waits.
5. If enabled: \`get_history\` (history toolset) for \`cpu.busyPct\` over the last hour — sudden step or slow climb?
6. \`capture_snapshot\` with a label before you change anything.

## Interpret
- One process near \`100 × cores\`: runaway or legitimately busy? Check \`startedAt\` (new deploy?) and its command line.
- Many short-lived processes (\`totals.processCount\` changing fast, high \`ctxSwitchesPerSec\`): fork storm, cron or health checks.
- High load with low \`busyPct\`: tasks blocked in state \`D\` (\`blockedCount\`) → I/O, not CPU.

## Safe remediation (for a human)
- Confirm with the service owner before killing anything; prefer a graceful restart of the offending service.
- Lower the priority of batch work (\`renice +10 -p PID\`) instead of killing it.
- Cap a runaway service with a cgroup CPU quota (\`systemctl set-property UNIT CPUQuota=200%\`).
- If steal is high, move the VM or resize the instance; nothing inside the guest fixes steal.
- Afterwards: \`capture_snapshot\` again and \`diff_snapshots\` (if enabled) to show \`cpu.busyPct\` came down.
`;
