/** Runbook diag://runbooks/oom (markdown). */
export const oom = `# Runbook: OOM kills

**Symptoms:** processes vanish, exit code 137, \`memory.oom_kill\` finding, "Killed process" in the kernel log.

## Check (hostlens)
1. \`get_memory\`:
   - \`oomKillsInWindow\` > 0 = a kill in the sampler window; \`oomKillsSinceBoot\` counts all kills since boot.
   - \`cgroup.oomKills\` > 0 and \`cgroup.usedPct\` near 100: the kill came from a cgroup limit (\`cgroup.maxBytes\`), not host exhaustion.
   - \`availablePct\` ≤ 5 % (critical) on the host: a global OOM.
2. \`top_processes\` with \`sortBy: "memory"\`: the largest survivors (\`rssBytes\`, \`swapBytes\`); a restarted service shows a recent \`startedAt\`.
3. \`get_pressure\`: \`system.memory.full.avg10Pct\` and \`cgroups[].memoryFullPct\` show who stalled before the kill.
4. If enabled: \`get_kernel_events\` (logs toolset) with \`kinds: ["oom"]\` names the victim, its cgroup and RSS; \`get_cgroup\` (containers toolset) shows \`memory.events.oomKill\`, \`maxBytes\`, \`peakBytes\`.
5. \`capture_snapshot\` so the figures survive for the incident report (\`incident_report\` prompt).

## Interpret
- Cgroup OOM: the service outgrew its own limit. Host OOM: the sum of everything outgrew RAM + swap.
- The victim is the process with the highest oom_score, not necessarily the one that leaked.
- Repeated kills of the same service with growing RSS before each = leak; one kill during a peak = sizing.

## Safe remediation (for a human)
- Restart the killed service if its supervisor did not; check it came back healthy.
- Raise the cgroup memory limit only if the host has \`availableBytes\` to spare.
- Protect critical daemons with \`OOMScoreAdjust=-500\` (systemd) rather than disabling the OOM killer.
- Reduce concurrency (workers, connection pools, JVM \`-Xmx\`) so peak memory fits.
- Follow up: a memory limit and alert per service; see \`diag://runbooks/memory-pressure\`.
`;
