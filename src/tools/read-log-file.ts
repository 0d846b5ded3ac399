import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { ToolError } from '../contracts/errors.js';
import { logFileDataSchema, readLogFile } from '../diagnostics/log-file.js';
import { fmtBytes, lines } from './common.js';

const DEFAULT_LINES = 100;

export const readLogFileTool = defineTool({
  name: 'read_log_file',
  title: 'Tail and grep a log file',
  description:
    'The last lines of a plain-text log file from the allow-list (config logFiles, default /var/log/*.log, /var/log/*/*.log, /var/log/syslog, /var/log/messages, /var/log/kern.log; rotations x.1, x.2.gz, x-YYYYMMDD of an allowed file are allowed too), for logs that are not in journald (use search_logs for those). Symlinks are never followed (a symlink anywhere in the path is refused; ask for the real path), hard-linked files are refused, and a built-in deny-list refuses /etc/shadow and its backups, private key files (by name and content), ~/.ssh and the server\'s own token, config and audit files; a private key logged inside a log is masked. grep: case-insensitive LITERAL substring (not a regex). since: "-30m", "-2h", "-1d" or RFC 3339; applies to lines with a recognisable timestamp (syslog "Nov 24 10:00:01", ISO/RFC 3339 at line start, nginx/apache "[24/Nov/2026:10:00:01 +0000]"; a time without a zone is host local time); lines without one go with the timestamped line above them. includeRotated reads x.1, x.2.gz, … newest first until enough lines match (a .gz over 16 MiB decompressed is skipped, at most 32 MiB decompressed per call; a warning says what was skipped). Files are read backwards from the end with a scan budget of 8 MiB, so huge files are cheap; matchedCount is the total of matching lines scanned (exact when matchedExact; with grep/since the count stops 2 MiB after enough lines matched). lines: oldest first, each {n, file, ts, text} with secrets redacted (redactionCount) and long lines clipped with …[+N chars].',
  toolset: 'logs',
  input: z
    .object({
      path: z.string().min(1).max(4096).describe('absolute path of the log, e.g. /var/log/syslog; must match a logFiles glob after realpath'),
      lines: z.number().int().min(1).max(1000).optional().describe(`how many of the newest matching lines to return (1–1000, default ${DEFAULT_LINES})`),
      grep: z.string().min(1).max(200).optional().describe('keep only lines containing this text (case-insensitive literal, not a regex)'),
      since: z.string().min(1).max(64).optional().describe('keep only lines at or after this time: "-30m", "-2h", "-1d" or RFC 3339 "2026-01-31T13:45:00Z"'),
      includeRotated: z.boolean().optional().describe('also read rotations (x.1, x.2.gz, …), newest first, when the current file has too few lines (default false)'),
    })
    .strict(),
  examples: [{ args: { path: '/var/log/dpkg.log', lines: 20 } }],
  data: logFileDataSchema,
  async handler({ path, lines: n, grep, since, includeRotated }, { services, signal }) {
    const r = await readLogFile(services, { path, lines: n ?? DEFAULT_LINES, grep, since, includeRotated: includeRotated ?? false }, Date.now(), signal);
    if ('error' in r) throw new ToolError(r.error);
    return { data: r.data, ...(r.truncated ? { truncated: r.truncated } : {}), warnings: r.warnings };
  },
  render({ data: d }) {
    return lines(
      `${d.file.path}${d.file.resolvedPath !== d.file.path ? ` (→ ${d.file.resolvedPath})` : ''}: ${fmtBytes(d.file.sizeBytes)}, modified ${d.file.mtime}; ${d.lines.length} of ${d.matchedCount}${d.matchedExact ? '' : '+'} matching line(s); ${d.redactionCount} redaction(s)`,
      d.filesRead.length > 1 && `files: ${d.filesRead.map((f) => f.path).join(', ')}`,
      ...d.lines.map((l) => `${l.n ?? '?'}: ${l.text}`),
    );
  },
});
