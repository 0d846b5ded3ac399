/** Runbook diag://runbooks/memory-pressure (markdown). */
export const memoryPressure = `# Runbook: memory pressure

**Symptoms:** swapping, slow everything, \`memory.available_low\`, \`memory.swap_used\` or \`pressure.memory\` findings.

## Check (hostlens)
1. \`get_memory\`:
   - \`availablePct\` ≤ 10 % warning, ≤ 5 % critical (\`memory.availablePct\`); \`availableBytes\` is what can be allocated without swapping.
   - \`swapUsedPct\` ≥ 50 % warning, ≥ 80 % critical; more telling are \`swapInPerSec\` / \`swapOutPerSec\` (pages/s over the window): sustained swap-in means the working set does not fit.
   - \`majorFaultsPerSec\`: page-ins from disk; hundreds per second means thrashing.
   - \`shmemBytes\` (tmpfs, shared memory) and \`slabUnreclaimableBytes\` are not freed by reclaim.
   - \`committedBytes\` vs \`commitLimitBytes\`: overcommit headroom.
   - \`cgroup.usedPct\` near 100 with \`cgroup.maxBytes\` set: the service's own limit, not the host, is tight.
2. \`get_pressure\`: \`system.memory.full.avg10Pct\` ≥ 5 % warning, ≥ 20 % critical — all tasks stalled on memory; \`stallPctInWindow\` for the current window; \`cgroups[]\` names the stalled service.
3. \`top_processes\` with \`sortBy: "memory"\`: \`rssBytes\`, \`memPct\`, \`swapBytes\` per process.
4. If enabled: \`get_history\` for \`mem.availableBytes\` — a steady decline over hours is a leak.
5. OOM kills (\`oomKillsInWindow\` > 0) → \`diag://runbooks/oom\`.

## Interpret
- Page cache (\`cachedBytes\`) is reclaimable: low \`freeBytes\` alone is normal.
- One process growing between two \`capture_snapshot\` calls (compare with \`diff_snapshots\`, history toolset, if enabled) = likely leak.
- High memory PSI with plenty of available memory inside a cgroup → cgroup \`memory.high\` throttling.

## Safe remediation (for a human)
- Restart the leaking service during a quiet period; keep a heap dump first if the owner wants one.
- Stop or reschedule batch jobs that compete for memory.
- Raise a cgroup limit only when the host has headroom (\`availableBytes\` on the host).
- Do not drop caches or disable swap as a "fix"; it hides the symptom.
- Long term: right-size the instance, set \`MemoryHigh=\`/\`MemoryMax=\` per service.
`;
