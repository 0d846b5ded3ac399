/** Runbook diag://runbooks/container-throttling (markdown). */
export const containerThrottling = `# Runbook: container CPU throttling and limits

**Symptoms:** latency spikes inside a container while the host looks idle, \`cgroupThrottledPct\` > 0, OOM kills at a container's memory limit.

## Check (hostlens)
1. \`get_system_info\`: \`inContainer\`, \`cpus.effective\` (usable CPUs after quota) and \`effectiveMemoryLimitBytes\`.
2. \`get_cpu\`:
   - \`cgroupCpuQuotaCores\`: the CPU limit in cores (null = unlimited).
   - \`cgroupThrottledPct\`: share of CFS periods in which the cgroup was throttled — anything above a few % adds latency; above 25 % it dominates.
   - \`loadPerCpu1\` is computed against usable (quota) CPUs: ≥ 1.5 warning.
   - Host \`busyPct\` low while throttling is high = the quota, not the host, is the bottleneck.
3. \`get_memory\`: \`cgroup.usedPct\`, \`cgroup.maxBytes\`, \`cgroup.highBytes\`, \`cgroup.oomKills\`.
4. \`get_pressure\`: \`cgroups[]\` with \`cpuSomePct\` / \`memoryFullPct\` per cgroup; \`system.cpu.some.avg10Pct\` ≥ 25 % warning.
5. \`get_limits\`: \`cgroupPids\` (pids.current vs pids.max) — fork failures at the pids limit.
6. If enabled (containers toolset): \`list_containers\` (\`throttledPct\`, \`memUsedPct\`, \`restarts\`, \`oomKilled\`) and \`get_cgroup\` (\`cpu.throttledPeriodsPct\`, \`memory.events\`).
7. \`top_processes\` with \`sortBy: "cpu"\`: which process inside the cgroup burns the quota (\`cpuPct\` is % of one core).

## Interpret
- A multi-threaded app (JVM, Go, Node workers) with more threads than quota cores bursts through its quota early in each 100 ms period and then waits: throttling with moderate average usage.
- Memory: usage near \`cgroup.maxBytes\` with rising \`memoryFullPct\` precedes a cgroup OOM kill.

## Safe remediation (for a human)
- Raise the CPU limit (or remove it and keep a request/weight) when throttling is sustained and the host has idle CPU.
- Size runtime thread pools to the quota (\`GOMAXPROCS\`, JVM \`-XX:ActiveProcessorCount\`, worker counts).
- Raise the memory limit or lower the app's heap so that heap + overhead fits under \`cgroup.maxBytes\`.
- Change limits through the orchestrator (deployment spec, \`docker update\`), not by editing cgroup files by hand.
`;
