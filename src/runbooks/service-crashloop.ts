/** Runbook diag://runbooks/service-crashloop (markdown). */
export const serviceCrashloop = `# Runbook: service crash loop

**Symptoms:** a service keeps restarting, health checks flap, "start request repeated too quickly".

## Check (hostlens)
1. \`list_services\` / \`get_service\` (when available in this build): \`restarts\`, \`result\`, \`execMainStatus\` (exit code) and the recent log tail. Exit code 137 = SIGKILL (often the OOM killer), 139 = segfault, 1/2 = application error or bad config.
2. \`get_memory\`: \`oomKillsInWindow\` and \`cgroup.oomKills\` > 0 → \`diag://runbooks/oom\`.
3. \`top_processes\` with \`sortBy: "cpu"\`: a very recent \`startedAt\` for the service's process confirms restarts; compare \`pid\` across two calls.
4. \`get_limits\`: \`fds.usedPct\`, \`threads.usedPct\`, \`cgroupPids\` (pids.max) ≥ 80 % warning, ≥ 95 % critical — EMFILE/EAGAIN make services exit at start; \`topFdProcesses\` shows \`fdCount\` vs \`fdLimit\` per process.
5. \`get_filesystems\`: a full or read-only filesystem (\`usedPct\` ≥ 95 %, \`readOnly: true\`) breaks startup writes (pid files, logs).
6. \`get_process\` with \`include: ["limits", "fds"]\` on the new pid: cwd, user, limits and open files.
7. If enabled: \`search_logs\` / \`get_kernel_events\` (logs toolset) for the unit's messages and segfaults; \`recent_changes\` for a deploy or config edit just before the loop began.
8. \`capture_snapshot\` with a label such as "crash loop" for the report.

## Interpret
- Loop started right after a deploy or config change → roll back first, investigate after.
- Exits after a fixed time (e.g. 90 s): a watchdog or start timeout, not a crash.
- Dependency down (database, DNS): the service is healthy, its dependency is not.

## Safe remediation (for a human)
- Stop the loop from hurting others: \`systemctl stop UNIT\` if restarts churn CPU, disk or logs.
- Roll back the last change; validate config with the service's own check (\`nginx -t\`, \`sshd -t\`).
- Fix the exhausted limit (raise \`LimitNOFILE=\`, \`TasksMax=\`) only with the cause understood.
- Restart once by hand and watch it (\`get_service\` if enabled, \`top_processes\`) before declaring it fixed.
`;
