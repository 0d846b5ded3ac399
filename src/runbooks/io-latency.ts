/** Runbook diag://runbooks/io-latency (markdown). */
export const ioLatency = `# Runbook: I/O latency

**Symptoms:** slow queries and writes, high \`iowaitPct\`, processes in state \`D\`, \`disk.util\`, \`disk.await\` or \`pressure.io\` findings.

## Check (hostlens)
1. \`get_disk_io\` with \`windowSec: 5\`:
   - \`utilPct\` ≥ 80 % warning, ≥ 95 % critical: busy time; near 100 % on a single-queue disk means saturated (NVMe and RAID can serve many requests in parallel, so judge them by await).
   - \`readAwaitMs\` / \`writeAwaitMs\` ≥ 50 ms warning, ≥ 200 ms critical (queue + service time per request).
   - \`avgQueueDepth\` high with high await: more requests than the device can serve.
   - \`readBytesPerSec\` / \`writeBytesPerSec\` vs the device's known throughput (cloud volumes have IOPS/throughput caps).
2. \`get_cpu\`: \`iowaitPct\` ≥ 20 % warning and \`blockedCount\` (tasks in \`D\` state).
3. \`get_pressure\`: \`system.io.full.avg10Pct\` ≥ 10 % warning, ≥ 30 % critical; \`cgroups[].ioFullPct\` names the stalled service.
4. \`top_processes\` with \`sortBy: "cpu"\`: processes in state \`D\` are the ones waiting on I/O.
5. \`get_memory\`: high \`swapInPerSec\`/\`swapOutPerSec\` or \`majorFaultsPerSec\` → the I/O is swapping (see \`diag://runbooks/memory-pressure\`); large \`dirtyBytes\` = a writeback burst.
6. If enabled: \`detect_anomalies\` (history toolset) over the incident window vs a baseline.

## Interpret
- High await, low util: the device (or the cloud volume behind it) is slow, not busy — check the provider's volume metrics and burst credits.
- High util and queue on one device behind a \`dm-*\` device: the underlying disk is the bottleneck.
- A backup, scrub or reindex job often coincides; check \`startedAt\` of the top processes.

## Safe remediation (for a human)
- Reschedule or throttle bulk jobs (\`ionice -c3 -p PID\`, \`systemctl set-property UNIT IOWeight=10\`).
- Fix swapping first if present; it turns memory pressure into I/O pressure.
- Move hot data to faster storage or raise the provisioned IOPS; do not change the I/O scheduler on a live database host without a test.
- Re-measure with \`get_disk_io\` \`windowSec: 5\` afterwards.
`;
