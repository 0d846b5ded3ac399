/** Runbook diag://runbooks/disk-full (markdown). */
export const diskFull = `# Runbook: disk full

**Symptoms:** "No space left on device" (ENOSPC), failed writes, \`filesystem.space\` or \`filesystem.inodes\` findings.

## Check (hostlens)
1. \`get_filesystems\` (optionally \`mount: "/var"\`):
   - \`usedPct\` ≥ 85 % warning, ≥ 95 % critical (df semantics: used / (used + avail)); \`availBytes\` is what unprivileged writers get (root reserve excluded).
   - \`inodesUsedPct\` ≥ 85 % warning, ≥ 95 % critical: ENOSPC with free bytes = inodes exhausted (millions of small files).
   - \`readOnly: true\` on a normally writable mount: the filesystem was remounted read-only after errors — stop, this is not a space problem.
2. \`find_space_hogs\` with \`path\` set to the full mount (allow-listed roots only, \`depth\` ≤ 3): \`entries[{path, sizeBytes, fileCount}]\` shows where the bytes are; a huge \`fileCount\` explains inode exhaustion.
3. Same call, \`deletedOpen[{pid, comm, fd, path, sizeBytes}]\`: files deleted but still held open keep their space until the process closes them (typical: rotated logs).
4. Growth ETA: \`capture_snapshot\` now and again later, then \`diff_snapshots\` (history toolset, if enabled) → \`filesystems.<mount>.usedBytes\` delta / \`elapsedSec\` = bytes/s; hours to full = \`availBytes\` / bytes per hour. If enabled, \`get_history\` for \`fs.<mount>.usedPct\` gives the trend directly.
5. \`top_processes\` with \`sortBy: "cpu"\`: a process writing fast (logger in a loop, core dumps).

## Interpret
- Space freed by \`rm\` but \`usedPct\` unchanged → deleted-open files (step 3).
- Fast growth (minutes to full) is an incident; slow growth (days) is capacity work (\`capacity_review\` prompt).

## Safe remediation (for a human)
- Never delete database files, WAL/journal segments or anything under a data directory to make room.
- Compress or remove old rotated logs (\`*.gz\`, \`*.1\`), \`journalctl --vacuum-size=500M\`, clean package caches (\`apt-get clean\`).
- For deleted-open files: restart (or signal to reopen logs, e.g. \`SIGHUP\`/\`logrotate\` postrotate) the holding process; do not truncate \`/proc/PID/fd/N\` unless the owner agrees.
- Inode exhaustion: remove the small-file backlog (session files, mail queue, cache dirs) at its source.
- Then grow the volume or add retention; re-check with \`get_filesystems\`.
`;
